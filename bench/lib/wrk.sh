# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# HTTP load: the scenarios, wrk runs with bench/lua/*.lua, and a
# scenario's measurement (warm-up, runs, median). What is measured is the
# current side: url, port, log (the server log to check) and data (the wrk
# data file, bench/lua/common.lua), set by the phase.

scenario_def() {	# NAME -> "script method path kind"
	case "$1" in
	health_live)	echo "health_live.lua GET /health/live/ ceiling" ;;
	health_db)	echo "health_db.lua GET /health/ ceiling" ;;
	projects_list)	echo "projects_list.lua GET /api/v1/projects/ read" ;;
	project_detail)	echo "project_detail.lua GET /api/v1/projects/{id}/ read" ;;
	task_create)	echo "task_create.lua POST /api/v1/tasks/ write" ;;
	project_stats)	echo "project_stats.lua GET /api/v1/projects/statistics/ read" ;;
	login)		echo "login.lua POST /api/v1/auth/token/ login" ;;
	tasks_filtered)	echo "tasks_filtered.lua GET /api/v1/tasks/?status=todo&ordering=-created_at read" ;;
	*)		die "unknown scenario $1" ;;
	esac
}

read_scenarios=""
for s in $BENCH_SCENARIOS; do
	scenario_def "$s" >/dev/null
	case "$s" in task_create|login) ;; *) read_scenarios="$read_scenarios $s" ;; esac
done

has_scenario() {
	case " $BENCH_SCENARIOS " in *" $1 "*) return 0 ;; esac
	return 1
}

# The CPU time of the server processes is recorded under this name.
server_cpu_key() {
	if [ "$side" = reference ]; then echo gunicorn; else echo kore; fi
}

# After a run, before the next one: the reference has served what it had
# queued. gunicorn's sync workers serve every request they accepted, those
# of connections wrk has closed too, and would carry them into whatever
# runs next (seconds of logins). The project's task threads likewise
# still check the passwords of the logins wrk left: wait until its
# operator listener (the bench servers' port + 10000) shows none queued
# (a server without that listener is not waited for).
settle() {
	local port i=0
	if [ "$side" = reference ]; then
		reference_drain
		return
	fi
	port=${url##*:}
	port=${port%%/*}
	while curl -s --max-time 2 "http://127.0.0.1:$((port + 10000))/metrics" |
	    grep -q '^mtapi_login_hashing_queue [1-9]' && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# wrk_run OUT SCRIPT URL SECONDS CONNECTIONS THREADS: OUT gets the JSON
# summary (bench/lua/common.lua), OUT.txt wrk's own output.
wrk_run() {
	local out=$1 script=$2 url=$3 secs=$4 conns=$5 thr=$6 before after
	local TIMEFORMAT='%3U %3S'
	before=$(cpu_ticks)
	if ! { time BENCH_LUA="$bench/lua" BENCH_DATA="$data" \
	    BENCH_POOL="$BENCH_POOL" BENCH_LOGIN_RATE="$BENCH_LOGIN_RATE" \
	    wrk -t"$thr" -c"$conns" -d"${secs}s" --timeout 5s \
	    -s "$bench/lua/$script" "$url" >"$out.txt" 2>&1; } 2>"$out.cpu"; then
		cat "$out.txt" >&2
		die "wrk failed ($script)"
	fi
	after=$(cpu_ticks)
	grep '^BENCH_JSON ' "$out.txt" | sed 's/^BENCH_JSON //' |
	    jq -c --arg b "$before" --arg a "$after" --arg w "$(cat "$out.cpu")" \
	    --argjson hz "$clk_tck" --arg srv "$(server_cpu_key)" '
	    ($b | split(" ") | map(tonumber)) as $b
	    | ($a | split(" ") | map(tonumber)) as $a
	    | ($w | split(" ") | map(tonumber)) as $w
	    | . + {cpu_ms: {($srv): (($a[0] - $b[0]) * 1000 / $hz),
		postgres: (($a[1] - $b[1]) * 1000 / $hz),
		wrk: (($w[0] + $w[1]) * 1000)}}' >"$out"
	[ -s "$out" ] || { cat "$out.txt" >&2; die "no summary from $script"; }
}

jq_median='def median: sort | if length == 0 then null
    elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# run_scenario PHASE NAME: warm-up, BENCH_RUNS measured runs, RSS of the
# server processes; writes $work/PHASE/NAME.json.
run_scenario() {
	local phase=$1 name=$2 def script method path kind i dir
	def=$(scenario_def "$name")
	read -r script method path kind <<<"$def"
	dir="$work/$phase"
	mkdir -p "$dir"
	say "$phase: $name ($method $path): ${BENCH_WARMUP}s warm-up, $BENCH_RUNS × ${BENCH_DURATION}s"
	if [ "$BENCH_WARMUP" -gt 0 ]; then
		wrk_run "$dir/$name.warm.json" "$script" "$url" "$BENCH_WARMUP" \
		    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		settle
	fi
	log_check "$log" >/dev/null
	for i in $(seq 1 "$BENCH_RUNS"); do
		rss_sampler_start "$dir/$name.rss.$i"
		wrk_run "$dir/$name.run.$i.json" "$script" "$url" \
		    "$BENCH_DURATION" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		rss_sampler_stop "$dir/$name.rss.$i" >"$dir/$name.rssmax.$i.json"
		settle
	done
	log_check "$log" >"$dir/$name.log.json"
	jq -n "$jq_median"'
	    [inputs] as $all
	    | ($all | map(select(has("requests")))) as $runs
	    | ($all | map(select(has("requests") | not)
		| select(has("lines") | not))) as $rss
	    | ($all | map(select(has("lines"))) | .[0]) as $log
	    | ($rss | map(to_entries) | add // [] | group_by(.key)
		| map({(.[0].key): (map(.value) | max)}) | add // {}) as $rssmax
	    | {name: $name, method: $method, path: $path, kind: $kind,
	       runs: $runs,
	       rps: ($runs | map(.rps) | median),
	       p50_ms: ($runs | map(.latency_us.p50 / 1000) | median),
	       p99_ms: ($runs | map(.latency_us.p99 / 1000) | median),
	       p999_ms: ($runs | map(.latency_us.p999 / 1000) | median),
	       requests: ($runs | map(.requests) | add),
	       non2xx: ($runs | map(.errors.status) | add),
	       socket_errors: ($runs | map(.errors.connect + .errors.read
		   + .errors.write + .errors.timeout) | add),
	       rss_max_mib: $rssmax,
	       cpu_ms_per_request: (($runs | map(.requests) | add) as $n
		   | if $n > 0 then {
		     ($srv): ($runs | map(.cpu_ms[$srv]) | add / $n * 1000 | round / 1000),
		     postgres: ($runs | map(.cpu_ms.postgres) | add / $n * 1000 | round / 1000),
		     wrk: ($runs | map(.cpu_ms.wrk) | add / $n * 1000 | round / 1000)}
		   else null end),
	       cpu_busy_pct: (($runs | map(.cpu_ms[$srv] + .cpu_ms.postgres
		   + .cpu_ms.wrk) | add) / ($runs | map(.duration_us / 1000) | add)
		   / $ncpu * 100 | round),
	       server_log: $log}' \
	    --argjson ncpu "$(nproc)" --arg srv "$(server_cpu_key)" \
	    --arg name "$name" --arg method "$method" --arg path "$path" \
	    --arg kind "$kind" \
	    "$dir/$name".run.*.json "$dir/$name".rssmax.*.json \
	    "$dir/$name.log.json" >"$dir/$name.json"
	jq -r '"  \(.name): \(.rps | floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, non-2xx \(.non2xx), RSS \(.rss_max_mib | tostring)"' \
	    "$dir/$name.json" >&2
}

# run_pairs NAME SMALL_URL SMALL_DATA: the scenario on the small set's
# server and on the scale set's ($url, $data) in adjacent runs, a warm-up
# of each then BENCH_RUNS pairs; writes $work/scale/NAME.pairs.json with
# each pair's req/s and the median of the pairs' ratios. The two phases'
# own figures are minutes apart, and this machine's speed drifts more
# than that ratio's margin in minutes: a pair shares the machine's state.
run_pairs() {
	local name=$1 surl=$2 sdata=$3 lurl=$url ldata=$data dir="$work/scale"
	local def script method path kind i secs
	def=$(scenario_def "$name")
	read -r script method path kind <<<"$def"
	say "scale: $name, small set then scale set in adjacent runs, $BENCH_RUNS pairs of ${BENCH_DURATION}s"
	for i in $(seq 0 "$BENCH_RUNS"); do
		secs=$BENCH_DURATION
		if [ "$i" = 0 ]; then
			[ "$BENCH_WARMUP" -gt 0 ] || continue
			secs=$BENCH_WARMUP
		fi
		url=$surl data=$sdata
		wrk_run "$dir/$name.pair.$i.small.json" "$script" "$url" \
		    "$secs" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		settle
		url=$lurl data=$ldata
		wrk_run "$dir/$name.pair.$i.scale.json" "$script" "$url" \
		    "$secs" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		settle
	done
	for i in $(seq 1 "$BENCH_RUNS"); do
		jq -s '{small: .[0].rps, scale: .[1].rps, ratio: (.[1].rps / .[0].rps)}' \
		    "$dir/$name.pair.$i.small.json" "$dir/$name.pair.$i.scale.json"
	done | jq -s "$jq_median"'{pairs: ., ratio: (map(.ratio) | median)}' \
	    >"$dir/$name.pairs.json"
	jq -r --arg n "$name" '"  \($n): scale / small in adjacent runs \(.pairs | map(.ratio * 100 | round / 100 | tostring) | join(", ")), median \(.ratio * 100 | round / 100)"' \
	    "$dir/$name.pairs.json" >&2
}

# The HTTP status of one request: http_status OUT CURL-ARGS... (OUT gets
# the body).
http_status() {
	local out=$1
	shift
	curl -s -o "$out" -w '%{http_code}' "$@"
}

# Sanity: every scenario's request answers 2xx once before measuring, on
# the side at URL with the data file DATA; dies with the answer if not.
check_routes() {	# URL DATA
	local url=$1 first tok pid1 path code body out="$work/sanity.txt"
	first=$(head -n 1 "$2")
	tok=$(echo "$first" | cut -f2)
	pid1=$(echo "$first" | cut -f5 | cut -d, -f1)
	for path in /api/v1/projects/ "/api/v1/projects/$pid1/" \
	    /api/v1/projects/statistics/ \
	    "/api/v1/tasks/?status=todo&ordering=-created_at"; do
		code=$(http_status "$out" -H "Authorization: Bearer $tok" \
		    "$url$path")
		[ "$code" = 200 ] || { cat "$out" >&2; echo >&2;
		    die "GET $url$path answered $code"; }
	done
	if has_scenario task_create; then
		code=$(http_status "$out" -H "Authorization: Bearer $tok" \
		    -H 'Content-Type: application/json' \
		    -d "{\"project\":$pid1,\"title\":\"bench sanity\"}" \
		    "$url/api/v1/tasks/")
		[ "$code" = 201 ] || { cat "$out" >&2; echo >&2;
		    die "POST $url/api/v1/tasks/ answered $code"; }
	fi
	if has_scenario login || [ "$BENCH_LOGIN" = 1 ]; then
		body=$(echo "$first" | jq -R -c 'split("\t") | {username: .[2], password: .[3]}')
		code=$(http_status "$out" -H 'Content-Type: application/json' \
		    -d "$body" "$url/api/v1/auth/token/")
		[ "$code" = 200 ] || { cat "$out" >&2; echo >&2;
		    die "POST $url/api/v1/auth/token/ answered $code"; }
	fi
	rm -f "$out"
}
