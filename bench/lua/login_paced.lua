-- Background logins at a fixed rate (BENCH_LOGIN_RATE per second, default
-- 20) for the login-interference scenario. Debian's wrk has no -R: each
-- request waits (delay()) for its slot on a schedule of one login every
-- 1000/rate ms, shared by the thread's connections, so the rate holds as
-- long as a login takes less than connections × 1000/rate ms. Run it with
-- one thread (-t1) and BENCH_LOGIN_CONNECTIONS (20) connections: the rate
-- holds while a login takes under a second.
local c = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ffi = require("ffi")

ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int, bench_timespec *);
]]

local ts = ffi.new("bench_timespec")

local function now_ms()
	ffi.C.clock_gettime(1, ts)	-- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval = 1000 / (tonumber(os.getenv("BENCH_LOGIN_RATE") or "") or 20)
local next_slot = nil

function delay()
	local now = now_ms()
	if next_slot == nil or next_slot < now - 1000 then
		-- Start, or more than a second behind: do not burst to catch up.
		next_slot = now
	end
	local slot = next_slot
	next_slot = next_slot + interval
	if slot <= now then
		return 0
	end
	return math.floor(slot - now + 0.5)
end

c.scenario(function(tenants)
	return function() return c.login(tenants) end
end)
