# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Login interference: BENCH_RUNS pairs of project-detail runs, one alone
# and one while login_paced.lua posts BENCH_LOGIN_RATE logins a second;
# writes $work/small/login_interference.json.

dir="$work/small"
say "login interference: project detail p99 without and with $BENCH_LOGIN_RATE logins/s, $BENCH_RUNS × ${BENCH_DURATION}s each"
settle
wrk_run "$dir/li.warm.json" project_detail.lua "$url" "$warm" \
    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
for i in $(seq 1 "$BENCH_RUNS"); do
	wrk_run "$dir/li.base.$i.json" project_detail.lua "$url" \
	    "$BENCH_DURATION" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
	wrk_run "$dir/li.logins.$i.json" login_paced.lua "$url" \
	    $((BENCH_DURATION + 2)) "$BENCH_LOGIN_CONNECTIONS" 1 &
	pacer=$!
	bg_add "$pacer"
	sleep 1
	rss_sampler_start "$dir/li.rss.$i"
	wrk_run "$dir/li.with.$i.json" project_detail.lua "$url" \
	    "$BENCH_DURATION" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
	rss_sampler_stop "$dir/li.rss.$i" >"$dir/li.rssmax.$i.json"
	bg_wait "$pacer"
	settle
done
log_check "$log" >"$dir/li.log.json"
files=()
for k in base with logins rssmax; do
	for i in $(seq 1 "$BENCH_RUNS"); do
		files+=("$dir/li.$k.$i.json")
	done
done
jq -n "$jq_median"'
    def p99s: map(.latency_us.p99 / 1000);
    [inputs] as $all
    | ($all[0:$n]) as $base | ($all[$n:2*$n]) as $with
    | ($all[2*$n:3*$n]) as $logins | ($all[3*$n:4*$n]) as $rss
    | {login_rate_target: $rate,
       base: {runs: $base, rps: ($base | map(.rps) | median),
	   p50_ms: ($base | map(.latency_us.p50 / 1000) | median),
	   p99_ms: ($base | p99s | median)},
       with_logins: {runs: $with, rps: ($with | map(.rps) | median),
	   p50_ms: ($with | map(.latency_us.p50 / 1000) | median),
	   p99_ms: ($with | p99s | median),
	   non2xx: ($with | map(.errors.status) | add)},
       logins: {runs: $logins,
	   rate: ($logins | map(.rps) | median),
	   p99_ms: ($logins | p99s | median),
	   non2xx: ($logins | map(.errors.status) | add)},
       rss_max_mib: ($rss | map(to_entries) | add // [] | group_by(.key)
	   | map({(.[0].key): (map(.value) | max)}) | add // {})}
    | .p99_ratio = (if .base.p99_ms > 0
	then .with_logins.p99_ms / .base.p99_ms else null end)' \
    --argjson n "$BENCH_RUNS" --argjson rate "$BENCH_LOGIN_RATE" \
    "${files[@]}" \
    >"$dir/login_interference.json"
jq -r '"  detail p99 \(.base.p99_ms) ms without, \(.with_logins.p99_ms) ms with \(.logins.rate | . * 10 | round / 10) logins/s (×\(.p99_ratio | . * 100 | round / 100))"' \
    "$dir/login_interference.json" >&2
