-- The soak: a mix of reads and writes, each request chosen at random
-- (weights in parts per 100): 35 project detail, 20 project list,
-- 15 tasks filtered by status, 10 statistics, 10 task create, 10 task
-- list of one project.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	tenants = c.with_projects(tenants)
	local n = 0
	local kinds = {
		{ 35, function(t)
			return wrk.format("GET", "/api/v1/projects/" ..
			    c.project_of(t) .. "/", c.auth_headers(t))
		end },
		{ 20, function(t)
			return wrk.format("GET", "/api/v1/projects/",
			    c.auth_headers(t))
		end },
		{ 15, function(t)
			return wrk.format("GET",
			    "/api/v1/tasks/?status=todo&ordering=-created_at",
			    c.auth_headers(t))
		end },
		{ 10, function(t)
			return wrk.format("GET", "/api/v1/projects/statistics/",
			    c.auth_headers(t))
		end },
		{ 10, function(t)
			n = n + 1
			return wrk.format("POST", "/api/v1/tasks/",
			    c.json_headers(t), string.format('{"project":%s,' ..
			    '"title":"bench soak %d-%d"}', c.project_of(t),
			    bench_thread or 0, n))
		end },
		{ 10, function(t)
			return wrk.format("GET", "/api/v1/projects/" ..
			    c.project_of(t) .. "/tasks/", c.auth_headers(t))
		end },
	}
	return function()
		local t = tenants[math.random(#tenants)]
		local r = math.random(100)
		for _, k in ipairs(kinds) do
			if r <= k[1] then
				return k[2](t)
			end
			r = r - k[1]
		end
		return kinds[1][2](t)
	end
end)
