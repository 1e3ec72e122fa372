-- POST /api/v1/auth/token/ with a random tenant user's username and
-- password (argon2id verification, a new session and a token pair).
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

c.scenario(function(tenants)
	local reqs = {}
	for i, t in ipairs(tenants) do
		reqs[i] = wrk.format("POST", "/api/v1/auth/token/",
		    c.json_headers(nil), '{"username":' ..
		    c.json_string(t.username) .. ',"password":' ..
		    c.json_string(t.password) .. '}')
	end
	return function() return reqs[math.random(#reqs)] end
end)
