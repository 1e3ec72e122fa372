-- POST /api/v1/tasks/: a new task in a random project of a random tenant.
-- Titles start with "bench " (bench/run.sh may delete them afterwards).
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local priorities = { "low", "medium", "high", "critical" }

c.scenario(function(tenants)
	tenants = c.with_projects(tenants)
	local n = 0
	return function()
		local t = tenants[math.random(#tenants)]
		n = n + 1
		local body = string.format('{"project":%s,"title":"bench task ' ..
		    '%d-%d","description":"made by bench/run.sh",' ..
		    '"priority":"%s"}', c.project_of(t), bench_thread or 0, n,
		    priorities[math.random(#priorities)])
		return wrk.format("POST", "/api/v1/tasks/", c.json_headers(t),
		    body)
	end
end)
