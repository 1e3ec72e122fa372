-- POST /api/v1/auth/token/ with a random tenant user's username and
-- password from a random client address (argon2id verification, a new
-- session and a token pair; bench/lua/common.lua, M.login).
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	return function() return c.login(tenants) end
end)
