-- GET /api/v1/projects/ (first page, default ordering) as a random tenant.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	return function()
		local t = tenants[math.random(#tenants)]
		return wrk.format("GET", "/api/v1/projects/", c.auth_headers(t))
	end
end)
