-- Shared by the scenario scripts (bench/lua/*.lua): the data file that
-- bench/run.sh writes, a pool of pre-formatted requests per wrk thread,
-- and the one-line JSON summary that bench/run.sh reads back.
--
-- The data file (BENCH_DATA) has one line per active tenant:
--   tenant id <TAB> access token <TAB> username <TAB> password <TAB>
--   project ids, comma separated
-- Every request picks a tenant (and a project of that tenant) at random,
-- so a run is spread over all tenants' tokens, not one.
--
-- Environment: BENCH_DATA (required), BENCH_POOL (requests formatted per
-- thread, default 20000), BENCH_SEED (optional, for repeatable runs).

local M = {}

local threads = {}
local thread_id = 0

function M.load(path)
	local tenants = {}
	local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
	for line in f:lines() do
		local id, tok, user, pw, ids = line:match(
		    "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
		if id ~= nil then
			local pr = {}
			for p in ids:gmatch("%d+") do
				pr[#pr + 1] = p
			end
			tenants[#tenants + 1] = { id = id, token = tok,
			    username = user, password = pw, projects = pr }
		end
	end
	f:close()
	assert(#tenants > 0, "no tenants in " .. path)
	return tenants
end

-- A JSON string literal (the values here are ASCII, but be safe).
function M.json_string(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		return string.format("\\u%04x", c:byte())
	end) .. '"'
end

function M.auth_headers(t)
	return { ["Authorization"] = "Bearer " .. t.token,
	    ["Accept"] = "application/json" }
end

function M.json_headers(t)
	local h = { ["Content-Type"] = "application/json",
	    ["Accept"] = "application/json" }
	if t ~= nil then
		h["Authorization"] = "Bearer " .. t.token
	end
	return h
end

-- A login of a random tenant's user from a random client address: the
-- bench servers trust 127.0.0.1 as a proxy (TRUSTED_PROXIES), so the
-- X-Forwarded-For address is the one the login limits count, and the
-- load stands for many users at many addresses, not one flooding
-- address (which the per-address limits rightly refuse).
function M.login(tenants)
	local t = tenants[math.random(#tenants)]
	local h = M.json_headers(nil)
	h["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255),
	    math.random(0, 255), math.random(1, 254))
	return wrk.format("POST", "/api/v1/auth/token/", h,
	    '{"username":' .. M.json_string(t.username) .. ',"password":' ..
	    M.json_string(t.password) .. '}')
end

-- A random project id of tenant t (nil when it has none).
function M.project_of(t)
	if #t.projects == 0 then
		return nil
	end
	return t.projects[math.random(#t.projects)]
end

-- Tenants that have at least one project (for detail and task writes).
function M.with_projects(tenants)
	local out = {}
	for _, t in ipairs(tenants) do
		if #t.projects > 0 then
			out[#out + 1] = t
		end
	end
	assert(#out > 0, "no tenant has projects")
	return out
end

-- Install wrk's global callbacks. build(tenants) is called once per
-- thread in init() and returns a function that formats one random
-- request; a pool of BENCH_POOL such requests is made up front and
-- request() picks from it at random.
function M.scenario(build)
	function setup(thread)
		thread_id = thread_id + 1
		thread:set("bench_thread", thread_id)
		threads[#threads + 1] = thread
	end

	function init(args)
		local seed = tonumber(os.getenv("BENCH_SEED") or "") or
		    (os.time() + os.clock() * 1e6)
		math.randomseed(seed + (bench_thread or 0) * 7919)
		local tenants = M.load(os.getenv("BENCH_DATA"))
		local make = build(tenants)
		local n = tonumber(os.getenv("BENCH_POOL") or "") or 20000
		pool = {}
		for i = 1, n do
			pool[i] = make()
		end
		pool_n = n
	end

	function request()
		return pool[math.random(pool_n)]
	end

	function done(summary, latency, requests)
		M.report(summary, latency)
	end
end

-- One line for bench/run.sh: BENCH_JSON {...}; latencies in microseconds.
function M.report(summary, latency, extra)
	local e = summary.errors
	local parts = {
		string.format('"requests":%d', summary.requests),
		string.format('"duration_us":%d', summary.duration),
		string.format('"bytes":%d', summary.bytes),
		string.format('"rps":%.2f',
		    summary.requests / (summary.duration / 1e6)),
		string.format('"errors":{"connect":%d,"read":%d,"write":%d,' ..
		    '"status":%d,"timeout":%d}', e.connect, e.read, e.write,
		    e.status, e.timeout),
		string.format('"latency_us":{"mean":%.1f,"stdev":%.1f,' ..
		    '"min":%d,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}',
		    latency.mean, latency.stdev, latency.min, latency.max,
		    latency:percentile(50), latency:percentile(90),
		    latency:percentile(99), latency:percentile(99.9)),
	}
	if extra ~= nil then
		parts[#parts + 1] = extra
	end
	io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end

return M
