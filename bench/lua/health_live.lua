-- The HTTP ceiling: GET /health/live/, no authentication, no database.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	local r = wrk.format("GET", "/health/live/")
	return function() return r end
end)
