-- GET /health/: no authentication, one trivial statement (SELECT 1)
-- through Kore's async pgsql: the least any database route costs.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	local r = wrk.format("GET", "/health/")
	return function() return r end
end)
