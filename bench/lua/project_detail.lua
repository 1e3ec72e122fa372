-- GET /api/v1/projects/{id}/: a random project of a random tenant.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	tenants = c.with_projects(tenants)
	return function()
		local t = tenants[math.random(#tenants)]
		return wrk.format("GET", "/api/v1/projects/" .. c.project_of(t) ..
		    "/", c.auth_headers(t))
	end
end)
