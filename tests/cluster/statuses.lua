-- wrk script of the cluster checks (tools/dev/test-cluster.sh): the
-- count of each response status, printed as one line at the end:
--   STATUSES {"200": n, "429": n, ...}
-- Every request is a GET of wrk's URL with its -H headers.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	counts = {}
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local all = {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("counts")) do
			all[k] = (all[k] or 0) + v
		end
	end
	local parts = {}
	for k, v in pairs(all) do
		table.insert(parts, string.format('"%d": %d', k, v))
	end
	io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
