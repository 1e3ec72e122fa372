# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The soak: BENCH_SOAK_REQUESTS requests of soak.lua (the mixed scenario)
# in chunks of BENCH_SOAK_CHUNK seconds, each worker's RSS at the start,
# after every chunk and at the end, and whether the workers are the same
# processes at the end; writes $work/small/soak.json.

dir="$work/small/soak"
mkdir -p "$dir"
say "soak: $BENCH_SOAK_REQUESTS requests of the mixed scenario (bench/lua/soak.lua)"
wrk_run "$dir/warm.json" soak.lua "$url" "$warm" \
    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
server_processes >"$dir/workers.start"
rss_now >"$dir/rss.start.json"
total=0
chunk=0
rate=$(jq '.rps | floor' "$dir/warm.json")
t0=$(date +%s)
while [ "$total" -lt "$BENCH_SOAK_REQUESTS" ]; do
	chunk=$((chunk + 1))
	secs=$BENCH_SOAK_CHUNK
	if [ "$rate" -gt 0 ]; then
		need=$(( (BENCH_SOAK_REQUESTS - total + rate - 1) / rate ))
		[ "$need" -lt 1 ] && need=1
		[ "$need" -lt "$secs" ] && secs=$need
	fi
	rss_sampler_start "$dir/rss.$chunk"
	wrk_run "$dir/chunk.$chunk.json" soak.lua "$url" "$secs" \
	    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
	rss_sampler_stop "$dir/rss.$chunk" >"$dir/rssmax.$chunk.json"
	rss_now >"$dir/rss.after.$chunk.json"
	log_check "$log" >"$dir/log.$chunk.json"
	n=$(jq '.requests' "$dir/chunk.$chunk.json")
	rate=$(jq '.rps | floor' "$dir/chunk.$chunk.json")
	total=$((total + n))
	say "  soak chunk $chunk: ${secs}s, $n requests ($total of $BENCH_SOAK_REQUESTS), RSS $(jq -c . "$dir/rss.after.$chunk.json")"
	[ "$chunk" -ge 1000 ] && break
done
t1=$(date +%s)
rss_now >"$dir/rss.end.json"
server_processes >"$dir/workers.end"
same=true
cmp -s "$dir/workers.start" "$dir/workers.end" || same=false
files=()
for k in chunk rss.after rssmax; do
	for i in $(seq 1 "$chunk"); do
		files+=("$dir/$k.$i.json")
	done
done
jq -s '{lines: (map(.lines) | add), errors: (map(.errors) | add),
    sandbox: (map(.sandbox) | add)}' "$dir"/log.*.json >"$dir/log.json"
jq -n '[inputs] as $all
    | ($all[0:$n]) as $chunks | ($all[$n:2*$n]) as $after
    | ($all[2*$n:3*$n]) as $max
    | $all[3*$n] as $start | $all[3*$n+1] as $fin
    | {requests: ($chunks | map(.requests) | add),
       seconds: $secs,
       rps: (($chunks | map(.requests) | add) / $secs),
       non2xx: ($chunks | map(.errors.status) | add),
       socket_errors: ($chunks | map(.errors.connect + .errors.read
	   + .errors.write + .errors.timeout) | add),
       p99_ms_per_chunk: ($chunks | map(.latency_us.p99 / 1000)),
       rps_per_chunk: ($chunks | map(.rps | floor)),
       rss_start_mib: $start, rss_end_mib: $fin,
       rss_per_chunk_mib: $after,
       rss_max_mib: ($max | map(to_entries) | add // [] | group_by(.key)
	   | map({(.[0].key): (map(.value) | max)}) | add // {}),
       rss_growth_pct: ($start | with_entries(.value as $v
	   | .value = (if $v > 0 then (($fin[.key] // 0) - $v) / $v * 100
	   | . * 10 | round / 10 else null end))),
       same_workers: $same, server_log: $log}' \
    --argjson n "$chunk" --argjson secs $((t1 - t0)) \
    --argjson same "$same" --argjson log "$(cat "$dir/log.json")" \
    "${files[@]}" \
    "$dir/rss.start.json" "$dir/rss.end.json" >"$work/small/soak.json"
jq -r '"  soak: \(.requests) requests in \(.seconds)s, non-2xx \(.non2xx), RSS start \(.rss_start_mib | tostring) end \(.rss_end_mib | tostring), growth % \(.rss_growth_pct | tostring)"' \
    "$work/small/soak.json" >&2
delete_bench_rows psql_app "$db"
