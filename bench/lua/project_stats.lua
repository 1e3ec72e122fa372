-- GET /api/v1/projects/statistics/ as a random tenant.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	return function()
		local t = tenants[math.random(#tenants)]
		return wrk.format("GET", "/api/v1/projects/statistics/",
		    c.auth_headers(t))
	end
end)
