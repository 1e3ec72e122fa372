#!/bin/bash
# make bench: the benchmark harness (bench/README.md explains it all).
#
#   1. packages, keys, build; the project-local PostgreSQL cluster (the one
#      `make run` uses), a fresh database mtapi_bench with the default test
#      data set, and a server of its own on 127.0.0.1:$BENCH_PORT
#      (BENCH_SERVER=running: the server already running on $BENCH_URL,
#      with .env and test_tokens.json, instead)
#   2. the HTTP ceiling (/health/live/), the six scenarios with wrk and
#      bench/lua/*.lua over every tenant's token, the database floor of
#      each (pgbench -M prepared running the same SQL, random tenants)
#   3. login interference, the soak, the scale data set (10,000 tenants,
#      1,000,000 tasks, database mtapi_bench_scale, its own server)
#   4. bench/results/<time>.json and .md (and latest.json, latest.md)
#
# Short run:   BENCH_QUICK=1 bench/run.sh
# Everything is bounded in time and count, and loopback only.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bench="$top/bench"

# ---------------------------------------------------------------- settings
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_DURATION:=3}" "${BENCH_RUNS:=1}" "${BENCH_WARMUP:=1}"
	: "${BENCH_SOAK_REQUESTS:=20000}" "${BENCH_SCALE:=0}"
fi
: "${BENCH_SERVER:=own}"		# own | running
: "${BENCH_PORT:=18580}"
: "${BENCH_SCALE_PORT:=18581}"
: "${BENCH_URL:=http://127.0.0.1:8000}"	# BENCH_SERVER=running only
: "${BENCH_DURATION:=10}"		# seconds per measured run
: "${BENCH_RUNS:=3}"			# runs per figure (median)
: "${BENCH_WARMUP:=2}"			# seconds, not recorded
: "${BENCH_THREADS:=2}"
: "${BENCH_CONNECTIONS:=32}"
: "${BENCH_SCENARIOS:=projects_list project_detail task_create project_stats login tasks_filtered}"
: "${BENCH_FLOORS:=1}"			# pgbench floors
: "${BENCH_PGBENCH_CLIENTS:=8}"
: "${BENCH_PGBENCH_THREADS:=2}"
: "${BENCH_LOGIN:=1}"			# login-interference scenario
: "${BENCH_LOGIN_RATE:=20}"
: "${BENCH_LOGIN_CONNECTIONS:=20}"	# the pacer holds its rate while a login takes < c / rate s
: "${BENCH_SOAK:=1}"
: "${BENCH_SOAK_REQUESTS:=1000000}"
: "${BENCH_SOAK_CHUNK:=30}"		# seconds per soak chunk
: "${BENCH_SCALE:=1}"
: "${BENCH_SCALE_TENANTS:=10000}"
: "${BENCH_SCALE_PROJECTS:=20}"
: "${BENCH_SCALE_TASKS:=5}"
: "${BENCH_SCALE_REBUILD:=0}"
: "${BENCH_TENANTS:=50}"
: "${BENCH_PROJECTS:=100}"
: "${BENCH_TASKS:=5}"
: "${BENCH_REUSE_DATA:=0}"		# 1: keep mtapi_bench as it is
: "${BENCH_LOG_LEVEL:=INFO}"		# the bench servers' LOG_LEVEL
: "${BENCH_TOKEN_MINUTES:=10080}"	# access token lifetime of the fixtures
: "${BENCH_POOL:=20000}"		# requests pre-formatted per wrk thread
: "${BENCH_TRACK_ALL:=0}"		# 1: pg_stat_statements.track = all
: "${BENCH_KEEP_SERVER:=0}"		# 1: leave the bench server running
: "${BENCH_RESULTS:=$bench/results}"

state="$top/.build/bench"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$state/run-$stamp"
admin="$top/.build/bin/mtapi-admin"
app="$top/.build/mtapi"

case "$BENCH_SERVER" in own|running) ;; *)
	echo "bench: BENCH_SERVER must be own or running" >&2; exit 2 ;;
esac

say() {
	printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

# ------------------------------------------------------------------ set-up
tools/dev/deps.sh bench
tools/dev/keys.sh >/dev/null
make --no-print-directory build
for tool in wrk pgbench psql jq curl ss kore; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

mkdir -p "$state" "$work" "$BENCH_RESULTS"
find "$state" -maxdepth 1 -name 'run-*' -mtime +2 -exec rm -rf {} + \
    2>/dev/null || true

# A value of an env file (the last assignment wins, as in settings.c).
envget() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# The service reads its settings from the environment before its env file
# (setenv without overwrite): nothing of ours may leak into it.
db_port_override="${DB_PORT:-}"
unset DB_NAME DB_HOST DB_PORT DB_USER DB_PASSWORD DATABASE_URL LOG_LEVEL \
    SECRET_KEY JWT_SIGNING_KEY JWT_ALGORITHM JWT_PRIVATE_KEY_FILE \
    JWT_PUBLIC_KEY_FILE JWT_ACCESS_TOKEN_LIFETIME_MINUTES JWT_ISSUER \
    JWT_AUDIENCE MTAPI_ENV_FILE DEBUG

base_env="$top/.env"
[ -f "$base_env" ] || die "no .env (tools/dev/keys.sh makes it)"
DB_HOST=$(envget "$base_env" DB_HOST)
DB_PORT=${db_port_override:-$(envget "$base_env" DB_PORT)}
DB_USER=$(envget "$base_env" DB_USER)
DB_PASSWORD=$(envget "$base_env" DB_PASSWORD)
: "${DB_HOST:=127.0.0.1}" "${DB_PORT:=54329}" "${DB_USER:=mtapi}"
# tools/dev/pg.sh reads these three.
export DB_PORT DB_USER DB_PASSWORD

# The bench servers' settings: .env with the bench database, its own
# signing key (kept in .build/bench so that the scale fixture's tokens
# stay valid between runs) and long-lived fixture tokens.
if [ ! -f "$state/secrets" ]; then
	(umask 077; {
		echo "SECRET_KEY=$(openssl rand -hex 32)"
		echo "JWT_SIGNING_KEY=$(openssl rand -hex 32)"
	} >"$state/secrets")
fi

# bench_env FILE DBNAME
bench_env() {
	(umask 077; {
		grep -v -E '^(SECRET_KEY|JWT_SIGNING_KEY|JWT_ALGORITHM|JWT_PRIVATE_KEY_FILE|JWT_PUBLIC_KEY_FILE|JWT_ACCESS_TOKEN_LIFETIME_MINUTES|DB_NAME|DB_PORT|DATABASE_URL|LOG_LEVEL|DEBUG)=' \
		    "$base_env" || true
		cat "$state/secrets"
		echo "DEBUG=True"
		echo "JWT_ALGORITHM=HS256"
		echo "JWT_ACCESS_TOKEN_LIFETIME_MINUTES=$BENCH_TOKEN_MINUTES"
		echo "DB_NAME=$2"
		echo "DB_PORT=$DB_PORT"
		echo "LOG_LEVEL=$BENCH_LOG_LEVEL"
	} >"$1")
}

psql_app() {	# DB psql-args...
	local db=$1
	shift
	PGPASSWORD="$DB_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 \
	    -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$db" "$@"
}

psql_su() {	# DB psql-args...
	local db=$1
	shift
	tools/dev/pg.sh psql -d "$db" "$@"
}

# ------------------------------------------------- background processes
bgpids=""
servers=""
pg_was_up=0
tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
cleanup_dbs=""

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

finish() {
	rc=$?
	trap - EXIT INT TERM
	for p in $bgpids; do
		# A background wrk_run is a subshell: its wrk too.
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $bgpids; do
		wait "$p" 2>/dev/null || true
	done
	if [ "$BENCH_KEEP_SERVER" != 1 ]; then
		for p in $servers; do
			stop_pid "$p"
		done
	fi
	for db in $cleanup_dbs; do
		psql_app "$db" -c 'DROP SCHEMA IF EXISTS bench CASCADE' \
		    >/dev/null 2>&1 || true
	done
	if [ "$pg_was_up" = 0 ] && [ "$BENCH_KEEP_SERVER" != 1 ]; then
		tools/dev/pg.sh stop >/dev/null 2>&1 || true
	fi
	[ "$rc" = 0 ] || say "failed (exit $rc); work files in $work"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

bg_add() {
	bgpids="$bgpids $1"
}

bg_wait() {	# PID: wait and forget it
	local rc=0
	wait "$1" || rc=$?
	bgpids=$(echo "$bgpids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	return "$rc"
}

# ------------------------------------------------------------ the servers
port_busy() {
	ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
}

# start_server NAME ENVFILE PORT: a Kore server as `make run` starts it,
# with the shipped conf/mtapi.conf on another port; sets server_pid.
start_server() {
	local name=$1 env=$2 port=$3 conf="$state/$1.conf"
	local log="$state/$1.log" pidf="$state/$1.pid" i
	if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
		say "stopping the $name server left by an earlier run"
		kill -TERM "$(cat "$pidf")" 2>/dev/null || true
		i=0
		while kill -0 "$(cat "$pidf")" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	port_busy "$port" && die "port $port is in use (BENCH_PORT / BENCH_SCALE_PORT)"
	sed -e "s|^\(\tbind\t\)127.0.0.1 8000|\1127.0.0.1 $port|" \
	    conf/mtapi.conf >"$conf"
	grep -q "127.0.0.1 $port" "$conf" || die "cannot set the port in $conf"
	echo "pidfile $pidf" >>"$conf"
	: >"$log"
	(cd "$app" && MTAPI_ENV_FILE="$env" exec stdbuf -oL kore -fnrc "$conf" \
	    >>"$log" 2>&1) &
	server_pid=$!
	servers="$servers $server_pid"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/health/"; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			cat "$log" >&2
			die "the $name server did not come up on port $port"
		fi
		sleep 0.2
	done
	say "$name server up on 127.0.0.1:$port (pid $server_pid)"
}

stop_server() {	# PID
	stop_pid "$1"
	servers=$(echo "$servers" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# Errors in a server log since the last call (then it starts empty again;
# the server appends to it).
log_check() {	# LOGFILE -> JSON
	local f=$1 n_err n_sandbox n_lines
	[ -f "$f" ] || { echo '{"lines":0,"errors":0,"sandbox":0}'; return; }
	n_lines=$(wc -l <"$f")
	n_err=$(grep -c -E ' (ERROR|CRITICAL|FATAL) |status 5[0-9][0-9]| 5[0-9][0-9] [0-9]+ms' "$f" || true)
	n_sandbox=$(grep -c -i 'sandbox violation\|worker died\|restarting worker' "$f" || true)
	if [ "$n_err" -gt 0 ] || [ "$n_sandbox" -gt 0 ]; then
		grep -E ' (ERROR|CRITICAL|FATAL) | 5[0-9][0-9] [0-9]+ms|sandbox|died' "$f" |
		    head -n 5 | sed 's/^/  server log: /' >&2
		cp "$f" "$work/$(basename "$f").$(date +%s)"
	fi
	: >"$f"
	printf '{"lines":%d,"errors":%d,"sandbox":%d}\n' "$n_lines" "$n_err" \
	    "$n_sandbox"
}

# ------------------------------------------------------------ worker RSS
# The server's Kore workers ("kore [wrk N]"), found by the port they
# listen on: "PID NAME" lines.
workers_of() {	# PORT
	local p cmd n
	ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' |
	    cut -d= -f2 | sort -un | while read -r p; do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		case "$cmd" in
		*"[wrk "*)
			n=${cmd#*[}
			n=${n%%]*}
			echo "$p ${n// /_}"
			;;
		esac
	done
}

rss_kib() {	# PID
	local k v rest
	while read -r k v rest; do
		if [ "$k" = "VmRSS:" ]; then
			echo "$v"
			return
		fi
	done <"/proc/$1/status"
	echo 0
}

rss_now() {	# PORT -> {"wrk_1": MiB, ...}
	workers_of "$1" | while read -r p n; do
		echo "$n $(rss_kib "$p")"
	done | jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
	    | {(.[0]): ((.[1] | tonumber) / 1024 * 10 | round / 10)}) | add // {}'
}

# Sample every worker's RSS twice a second into FILE until stopped.
rss_sampler_start() {	# PORT FILE
	local ws
	ws=$(workers_of "$1")
	(
		trap 'exit 0' TERM
		while :; do
			echo "$ws" | while read -r p n; do
				[ -n "$p" ] && echo "$n $(rss_kib "$p" 2>/dev/null)"
			done
			sleep 0.5
		done
	) >"$2" 2>/dev/null &
	sampler=$!
	bg_add "$sampler"
}

rss_sampler_stop() {	# FILE -> {"wrk_1": max MiB, ...}
	kill -TERM "$sampler" 2>/dev/null || true
	bg_wait "$sampler" || true
	jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
	    | select(length == 2 and .[1] != "")
	    | {k: .[0], v: (.[1] | tonumber)})
	    | group_by(.k) | map({(.[0].k): ((map(.v) | max) / 1024 * 10
	    | round / 10)}) | add // {}' "$1"
}

# ------------------------------------------------------------ CPU time
clk_tck=$(getconf CLK_TCK)

ticks_of() {	# PID... -> utime + stime, in clock ticks
	local p
	for p in "$@"; do
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ s += $12 + $13 } END { print s + 0 }'
}

# CPU used so far by the server's workers and by PostgreSQL (the
# postmaster and every process it started): "KORE POSTGRES" in ticks.
cpu_ticks() {	# PORT
	local pm kore
	kore=$(workers_of "$1" | cut -d' ' -f1)
	pm=$(head -n 1 "$top/.pgdata/15/postmaster.pid" 2>/dev/null || true)
	# shellcheck disable=SC2086
	echo "$(ticks_of $kore) $( [ -n "$pm" ] &&
	    ticks_of "$pm" $(pgrep -P "$pm" 2>/dev/null) || echo 0)"
}

# ---------------------------------------------------------------- wrk
# wrk_run OUT SCRIPT URL SECONDS CONNECTIONS THREADS: OUT gets the JSON
# summary (bench/lua/common.lua), OUT.txt wrk's own output.
wrk_run() {
	local out=$1 script=$2 url=$3 secs=$4 conns=$5 thr=$6 before after
	local TIMEFORMAT='%3U %3S'
	before=$(cpu_ticks "$port")
	if ! { time BENCH_LUA="$bench/lua" BENCH_DATA="$data" \
	    BENCH_POOL="$BENCH_POOL" BENCH_LOGIN_RATE="$BENCH_LOGIN_RATE" \
	    wrk -t"$thr" -c"$conns" -d"${secs}s" --timeout 5s \
	    -s "$bench/lua/$script" "$url" >"$out.txt" 2>&1; } 2>"$out.cpu"; then
		cat "$out.txt" >&2
		die "wrk failed ($script)"
	fi
	after=$(cpu_ticks "$port")
	grep '^BENCH_JSON ' "$out.txt" | sed 's/^BENCH_JSON //' |
	    jq -c --arg b "$before" --arg a "$after" --arg w "$(cat "$out.cpu")" \
	    --argjson hz "$clk_tck" '($b | split(" ") | map(tonumber)) as $b
	    | ($a | split(" ") | map(tonumber)) as $a
	    | ($w | split(" ") | map(tonumber)) as $w
	    | . + {cpu_ms: {kore: (($a[0] - $b[0]) * 1000 / $hz),
		postgres: (($a[1] - $b[1]) * 1000 / $hz),
		wrk: (($w[0] + $w[1]) * 1000)}}' >"$out"
	[ -s "$out" ] || { cat "$out.txt" >&2; die "no summary from $script"; }
}

scenario_def() {	# NAME -> "script method path reference kind"
	case "$1" in
	health_live)	echo "health_live.lua GET /health/live/ 0 ceiling" ;;
	health_db)	echo "health_db.lua GET /health/ 0 ceiling" ;;
	projects_list)	echo "projects_list.lua GET /api/v1/projects/ 319 read" ;;
	project_detail)	echo "project_detail.lua GET /api/v1/projects/{id}/ 426 read" ;;
	task_create)	echo "task_create.lua POST /api/v1/tasks/ 377 write" ;;
	project_stats)	echo "project_stats.lua GET /api/v1/projects/statistics/ 335 read" ;;
	login)		echo "login.lua POST /api/v1/auth/token/ 24 login" ;;
	tasks_filtered)	echo "tasks_filtered.lua GET /api/v1/tasks/?status=todo&ordering=-created_at 224 read" ;;
	*)		die "unknown scenario $1" ;;
	esac
}

jq_median='def median: sort | if length == 0 then null
    elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# run_scenario PHASE NAME: warm-up, BENCH_RUNS measured runs, worker RSS;
# writes $work/PHASE/NAME.json.
run_scenario() {
	local phase=$1 name=$2 def script method path ref kind i dir
	def=$(scenario_def "$name")
	read -r script method path ref kind <<<"$def"
	dir="$work/$phase"
	mkdir -p "$dir"
	say "$phase: $name ($method $path): ${BENCH_WARMUP}s warm-up, $BENCH_RUNS × ${BENCH_DURATION}s"
	if [ "$BENCH_WARMUP" -gt 0 ]; then
		wrk_run "$dir/$name.warm.json" "$script" "$url" "$BENCH_WARMUP" \
		    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
	fi
	log_check "$log" >/dev/null
	for i in $(seq 1 "$BENCH_RUNS"); do
		rss_sampler_start "$port" "$dir/$name.rss.$i"
		wrk_run "$dir/$name.run.$i.json" "$script" "$url" \
		    "$BENCH_DURATION" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		rss_sampler_stop "$dir/$name.rss.$i" >"$dir/$name.rssmax.$i.json"
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
	       reference_rps: ($ref | tonumber),
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
		     kore: ($runs | map(.cpu_ms.kore) | add / $n * 1000 | round / 1000),
		     postgres: ($runs | map(.cpu_ms.postgres) | add / $n * 1000 | round / 1000),
		     wrk: ($runs | map(.cpu_ms.wrk) | add / $n * 1000 | round / 1000)}
		   else null end),
	       cpu_busy_pct: (($runs | map(.cpu_ms.kore + .cpu_ms.postgres
		   + .cpu_ms.wrk) | add) / ($runs | map(.duration_us / 1000) | add)
		   / $ncpu * 100 | round),
	       server_log: $log}' \
	    --argjson ncpu "$(nproc)" \
	    --arg name "$name" --arg method "$method" --arg path "$path" \
	    --arg kind "$kind" --arg ref "$ref" \
	    "$dir/$name".run.*.json "$dir/$name".rssmax.*.json \
	    "$dir/$name.log.json" >"$dir/$name.json"
	jq -r '"  \(.name): \(.rps | floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, non-2xx \(.non2xx), RSS \(.rss_max_mib | tostring)"' \
	    "$dir/$name.json" >&2
}

# ------------------------------------------------------------- pgbench
# run_floor PHASE NAME DB: the scenario's SQL through pgbench -M prepared.
run_floor() {
	local phase=$1 name=$2 db=$3 dir="$work/$1" i f
	f="$bench/pgbench/$name.sql"
	[ -f "$f" ] || return 0
	say "$phase: database floor of $name: pgbench -M prepared -c $BENCH_PGBENCH_CLIENTS -j $BENCH_PGBENCH_THREADS, $BENCH_RUNS × ${BENCH_DURATION}s"
	for i in $(seq 0 "$BENCH_RUNS"); do
		# Run 0 is the warm-up (plans cached in the connections, data
		# in shared buffers), not recorded.
		secs=$BENCH_DURATION
		if [ "$i" = 0 ]; then
			[ "$BENCH_WARMUP" -gt 0 ] || continue
			secs=$BENCH_WARMUP
		fi
		if ! PGPASSWORD="$DB_PASSWORD" pgbench -n -M prepared \
		    -c "$BENCH_PGBENCH_CLIENTS" -j "$BENCH_PGBENCH_THREADS" \
		    -T "$secs" -D ntenants="$ntenants" -D ntargets="$ntargets" \
		    -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -f "$f" "$db" \
		    >"$dir/$name.floor.$i.txt" 2>&1; then
			cat "$dir/$name.floor.$i.txt" >&2
			die "pgbench failed ($name)"
		fi
	done
	for i in $(seq 1 "$BENCH_RUNS"); do
		awk '
		/^tps = / { tps = $3 }
		/^latency average = / { lat = $4 }
		/^number of failed transactions: / { failed = $5 }
		/^number of transactions actually processed: / { n = $6 }
		END { printf "{\"tps\":%s,\"latency_ms\":%s,\"failed\":%s,\"transactions\":%s}\n",
		    tps + 0, lat + 0, failed + 0, n + 0 }' \
		    "$dir/$name.floor.$i.txt"
	done | jq -s "$jq_median"'{runs: ., tps: (map(.tps) | median),
	    latency_ms: (map(.latency_ms) | median),
	    failed: (map(.failed) | add)}' >"$dir/$name.floor.json"
	jq -r '"  floor: \(.tps | floor) tps, \(.latency_ms) ms average, failed \(.failed)"' \
	    "$dir/$name.floor.json" >&2
}

# --------------------------------------------------------------- data
# Make DB from scratch with the given test data set; fixture to FIXTURE.
make_data() {	# DB ENVFILE FIXTURE TENANTS PROJECTS TASKS BASEURL
	local db=$1 env=$2 fixture=$3
	say "$db: fresh database, migrations, test data ($4 tenants × $5 projects × $6 tasks)"
	tools/dev/pg.sh drop-db "$db"
	tools/dev/pg.sh ensure-db "$db"
	"$admin" --env "$env" migrate >/dev/null
	# The benchmark measures the server, not the limiter: its tenants get
	# the highest limit there is (the fixture's default is 6,000/min).
	"$admin" --env "$env" create-test-data --tenants "$4" \
	    --projects-per-tenant "$5" --tasks-per-project "$6" \
	    --rate-limit 100000000 \
	    --base-url "$7" --out "$fixture" >/dev/null
	psql_su "$db" -c 'VACUUM (ANALYZE)'
}

# The fixture's tokens must verify with ENV's key, live long enough, and
# the database must hold its tenants.
fixture_usable() {	# DB ENVFILE FIXTURE TENANTS
	local db=$1 env=$2 fixture=$3 key exp n
	[ -f "$fixture" ] || return 1
	key=$(envget "$env" JWT_SIGNING_KEY)
	[ "$(jq -r '.jwt.signing_key' "$fixture")" = "$key" ] || return 1
	[ "$(jq '.tenants | length' "$fixture")" = "$4" ] || return 1
	exp=$(jq -r '.tenants[0].access_token | split(".")[1]
	    | gsub("-"; "+") | gsub("_"; "/")
	    | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson | .exp' \
	    "$fixture") || return 1
	[ "$exp" -gt $(($(date +%s) + 6 * 3600)) ] || return 1
	n=$(psql_app "$db" -At -c 'SELECT count(*) FROM tenants' 2>/dev/null) ||
	    return 1
	[ "$n" = "$4" ]
}

# The wrk data file (bench/lua/common.lua) and the pgbench helper tables:
# every active tenant with its token's principal and its projects.
# Sets data, ntenants, ntargets.
prepare_load() {	# DB FIXTURE OUTDIR
	local db=$1 fixture=$2 dir=$3
	mkdir -p "$dir"
	psql_app "$db" -At -c "SELECT COALESCE(json_object_agg(tenant_id, ids), '{}')
	    FROM (SELECT tenant_id, string_agg(id::text, ',' ORDER BY id) AS ids
	    FROM projects GROUP BY tenant_id) x" >"$dir/projects.json"
	jq -r --slurpfile P "$dir/projects.json" '.tenants[]
	    | select(.is_active)
	    | [.id, .access_token, .username, .password, ($P[0][.id] // "")]
	    | @tsv' "$fixture" >"$dir/data.tsv"
	data="$dir/data.tsv"
	jq -r 'def b64url: gsub("-"; "+") | gsub("_"; "/")
	    | . + ("=" * ((4 - length % 4) % 4)) | @base64d;
	    [.tenants[] | select(.is_active)] | to_entries[]
	    | (.value.access_token | split(".")[1] | b64url | fromjson) as $c
	    | [.key + 1, $c.tenant, $c.auth_type, $c.sub,
	       ($c.sid // "\\N")] | @tsv' "$fixture" >"$dir/principals.tsv"
	psql_app "$db" -f "$bench/pgbench/setup.sql" >/dev/null
	psql_app "$db" -c "\\copy bench.principals FROM '$dir/principals.tsv'"
	psql_app "$db" -f "$bench/pgbench/targets.sql" >/dev/null
	ntenants=$(psql_app "$db" -At -c 'SELECT count(*) FROM bench.principals')
	ntargets=$(psql_app "$db" -At -c 'SELECT count(*) FROM bench.targets')
	[ "$ntenants" -gt 0 ] || die "$db: no active tenants in $fixture"
	[ "$ntargets" -gt 0 ] || die "$db: the tenants have no projects"
	say "$db: $ntenants tenants, $ntargets projects in the load"
}

# Rows the write scenarios made: gone again, so that every phase reads
# the same data set.
delete_bench_rows() {	# DB
	psql_app "$1" -c "DELETE FROM tasks WHERE title LIKE 'bench %'" \
	    -c 'VACUUM (ANALYZE) tasks' >/dev/null
}

pgss_reset() {	# DB
	psql_su "$1" -c 'SELECT pg_stat_statements_reset()' >/dev/null 2>&1 || true
}

# The statements that took the most time since the reset.
pgss_top() {	# DB OUT
	psql_su "$1" -At -c "SELECT COALESCE(json_agg(x), '[]') FROM (
	    SELECT regexp_replace(left(query, 160), '\\s+', ' ', 'g') AS query,
	    calls, round(total_exec_time::numeric, 1) AS total_ms,
	    round(mean_exec_time::numeric, 3) AS mean_ms,
	    round((100 * total_exec_time / NULLIF(sum(total_exec_time)
		OVER (), 0))::numeric, 1) AS pct,
	    shared_blks_hit + shared_blks_read AS blocks,
	    round(((shared_blks_hit + shared_blks_read)::numeric
		/ NULLIF(calls, 0)), 1) AS blocks_per_call
	    FROM pg_stat_statements
	    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
	    ORDER BY total_exec_time DESC LIMIT 15) x" >"$2" 2>/dev/null ||
	    echo '[]' >"$2"
}

# ============================================================== phases
read_scenarios=""
for s in $BENCH_SCENARIOS; do
	scenario_def "$s" >/dev/null
	case "$s" in task_create|login) ;; *) read_scenarios="$read_scenarios $s" ;; esac
done
has_scenario() {
	case " $BENCH_SCENARIOS " in *" $1 "*) return 0 ;; esac
	return 1
}

tools/dev/pg.sh start >/dev/null

# Durability is part of every figure: record it.
psql_su postgres -At -c "SELECT json_build_object('fsync', current_setting('fsync'),
    'synchronous_commit', current_setting('synchronous_commit'),
    'full_page_writes', current_setting('full_page_writes'),
    'shared_buffers', current_setting('shared_buffers'),
    'server_version', current_setting('server_version'))" \
    >"$work/postgres.json"

# ---------------------------------------------------------- small data
if [ "$BENCH_SERVER" = own ]; then
	db=mtapi_bench
	env="$state/env"
	bench_env "$env" "$db"
	fixture="$state/tokens.json"
	port=$BENCH_PORT
	url="http://127.0.0.1:$port"
	if [ "$BENCH_REUSE_DATA" = 1 ] &&
	    fixture_usable "$db" "$env" "$fixture" "$BENCH_TENANTS"; then
		say "$db: reusing the data set (BENCH_REUSE_DATA=1)"
	else
		make_data "$db" "$env" "$fixture" "$BENCH_TENANTS" \
		    "$BENCH_PROJECTS" "$BENCH_TASKS" "$url"
	fi
	if [ "$BENCH_TRACK_ALL" = 1 ]; then
		psql_su "$db" -c "ALTER DATABASE $db SET pg_stat_statements.track = 'all'"
	else
		psql_su "$db" -c "ALTER DATABASE $db RESET pg_stat_statements.track"
	fi >/dev/null
	start_server small "$env" "$port"
	small_pid=$server_pid
	log="$state/small.log"
else
	env="$base_env"
	db=$(envget "$env" DB_NAME)
	fixture="$top/test_tokens.json"
	url=$BENCH_URL
	port=${url##*:}
	port=${port%%/*}
	log=/dev/null
	small_pid=""
	[ -f "$fixture" ] || die "no test_tokens.json: start the server with make run"
	curl -sf -o /dev/null "$url/health/" || die "no server answers $url/health/"
	port_busy "$port" || die "BENCH_URL must be a local port of this machine"
	say "using the running server at $url, database $db"
	cleanup_dbs="$db"
fi
case "$url" in http://127.0.0.1:*|http://localhost:*) ;; *)
	die "load tests target loopback only ($url)" ;;
esac

prepare_load "$db" "$fixture" "$work/small"
[ -z "$cleanup_dbs" ] && cleanup_dbs="$db"

# Sanity: every scenario's request answers 2xx once before measuring.
first=$(head -n 1 "$data")
tok=$(echo "$first" | cut -f2)
pid1=$(echo "$first" | cut -f5 | cut -d, -f1)
for path in /api/v1/projects/ "/api/v1/projects/$pid1/" \
    /api/v1/projects/statistics/ \
    "/api/v1/tasks/?status=todo&ordering=-created_at"; do
	code=$(curl -s -o "$work/sanity.txt" -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" "$url$path")
	[ "$code" = 200 ] || { cat "$work/sanity.txt" >&2; echo >&2;
	    die "GET $path answered $code"; }
done

if has_scenario task_create; then
	code=$(curl -s -o "$work/sanity.txt" -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    -d "{\"project\":$pid1,\"title\":\"bench sanity\"}" \
	    "$url/api/v1/tasks/")
	[ "$code" = 201 ] || { cat "$work/sanity.txt" >&2; echo >&2;
	    die "POST /api/v1/tasks/ answered $code"; }
fi
if has_scenario login || [ "$BENCH_LOGIN" = 1 ]; then
	body=$(echo "$first" | jq -R -c 'split("\t") | {username: .[2], password: .[3]}')
	code=$(curl -s -o "$work/sanity.txt" -w '%{http_code}' \
	    -H 'Content-Type: application/json' -d "$body" \
	    "$url/api/v1/auth/token/")
	[ "$code" = 200 ] || { cat "$work/sanity.txt" >&2; echo >&2;
	    die "POST /api/v1/auth/token/ answered $code"; }
fi
rm -f "$work/sanity.txt"
delete_bench_rows "$db"

say "small data set: $BENCH_THREADS wrk threads, $BENCH_CONNECTIONS connections, $BENCH_RUNS × ${BENCH_DURATION}s per figure"
mkdir -p "$work/small"
run_scenario small health_live
# Kore + libpq + one trivial statement: what any DB route costs at least.
run_scenario small health_db

pgss_reset "$db"
for s in $read_scenarios; do
	run_scenario small "$s"
done
pgss_top "$db" "$work/small/pgss_reads.json"
if [ "$BENCH_FLOORS" = 1 ]; then
	for s in $read_scenarios; do
		run_floor small "$s" "$db"
	done
fi

pgss_reset "$db"
if has_scenario task_create; then
	run_scenario small task_create
	[ "$BENCH_FLOORS" = 1 ] && run_floor small task_create "$db"
	delete_bench_rows "$db"
fi
if has_scenario login; then
	run_scenario small login
fi
pgss_top "$db" "$work/small/pgss_writes.json"

# The warm-up of the phases below also tells the soak its rate: 1 s at least.
warm=$BENCH_WARMUP
[ "$warm" -ge 1 ] || warm=1

# -------------------------------------------------- login interference
if [ "$BENCH_LOGIN" = 1 ]; then
	dir="$work/small"
	say "login interference: project detail p99 without and with $BENCH_LOGIN_RATE logins/s, $BENCH_RUNS × ${BENCH_DURATION}s each"
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
		rss_sampler_start "$port" "$dir/li.rss.$i"
		wrk_run "$dir/li.with.$i.json" project_detail.lua "$url" \
		    "$BENCH_DURATION" "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		rss_sampler_stop "$dir/li.rss.$i" >"$dir/li.rssmax.$i.json"
		bg_wait "$pacer"
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
fi

# ---------------------------------------------------------------- soak
if [ "$BENCH_SOAK" = 1 ]; then
	dir="$work/small/soak"
	mkdir -p "$dir"
	say "soak: $BENCH_SOAK_REQUESTS requests of the mixed scenario (bench/lua/soak.lua)"
	wrk_run "$dir/warm.json" soak.lua "$url" "$warm" \
	    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
	workers_of "$port" >"$dir/workers.start"
	rss_now "$port" >"$dir/rss.start.json"
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
		rss_sampler_start "$port" "$dir/rss.$chunk"
		wrk_run "$dir/chunk.$chunk.json" soak.lua "$url" "$secs" \
		    "$BENCH_CONNECTIONS" "$BENCH_THREADS"
		rss_sampler_stop "$dir/rss.$chunk" >"$dir/rssmax.$chunk.json"
		rss_now "$port" >"$dir/rss.after.$chunk.json"
		log_check "$log" >"$dir/log.$chunk.json"
		n=$(jq '.requests' "$dir/chunk.$chunk.json")
		rate=$(jq '.rps | floor' "$dir/chunk.$chunk.json")
		total=$((total + n))
		say "  soak chunk $chunk: ${secs}s, $n requests ($total of $BENCH_SOAK_REQUESTS), RSS $(jq -c . "$dir/rss.after.$chunk.json")"
		[ "$chunk" -ge 1000 ] && break
	done
	t1=$(date +%s)
	rss_now "$port" >"$dir/rss.end.json"
	workers_of "$port" >"$dir/workers.end"
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
	delete_bench_rows "$db"
fi

if [ -n "$small_pid" ] && [ "$BENCH_KEEP_SERVER" != 1 ]; then
	stop_server "$small_pid"
fi

# --------------------------------------------------------------- scale
if [ "$BENCH_SCALE" = 1 ]; then
	sdb=mtapi_bench_scale
	senv="$state/env.scale"
	bench_env "$senv" "$sdb"
	sfixture="$state/tokens.scale.json"
	port=$BENCH_SCALE_PORT
	url="http://127.0.0.1:$port"
	tools/dev/pg.sh ensure-db "$sdb"
	if [ "$BENCH_SCALE_REBUILD" = 1 ] ||
	    ! fixture_usable "$sdb" "$senv" "$sfixture" "$BENCH_SCALE_TENANTS"; then
		make_data "$sdb" "$senv" "$sfixture" "$BENCH_SCALE_TENANTS" \
		    "$BENCH_SCALE_PROJECTS" "$BENCH_SCALE_TASKS" "$url"
	else
		say "$sdb: reusing the scale data set ($BENCH_SCALE_TENANTS tenants; BENCH_SCALE_REBUILD=1 makes it again)"
		delete_bench_rows "$sdb"
	fi
	start_server scale "$senv" "$port"
	scale_pid=$server_pid
	log="$state/scale.log"
	prepare_load "$sdb" "$sfixture" "$work/scale"
	cleanup_dbs="$cleanup_dbs $sdb"
	psql_app "$sdb" -At -c "SELECT json_build_object(
	    'tenants', (SELECT count(*) FROM tenants),
	    'projects', (SELECT count(*) FROM projects),
	    'tasks', (SELECT count(*) FROM tasks),
	    'database_mib', pg_database_size(current_database()) / 1048576)" \
	    >"$work/scale/size.json"
	say "scale data set: $(jq -c . "$work/scale/size.json")"
	pgss_reset "$sdb"
	for s in $read_scenarios; do
		run_scenario scale "$s"
	done
	pgss_top "$sdb" "$work/scale/pgss_reads.json"
	if [ "$BENCH_FLOORS" = 1 ]; then
		for s in $read_scenarios; do
			run_floor scale "$s" "$sdb"
		done
	fi
	[ "$BENCH_KEEP_SERVER" != 1 ] && stop_server "$scale_pid"
fi

# -------------------------------------------------------------- report
phase_json() {	# PHASE -> [scenario + floor, ...]
	local phase=$1 f n
	for f in "$work/$phase"/*.json; do
		n=$(basename "$f" .json)
		case "$n" in *.*|projects|pgss_*|size|soak|login_interference) continue ;; esac
		if [ -f "$work/$phase/$n.floor.json" ]; then
			jq --slurpfile fl "$work/$phase/$n.floor.json" \
			    '. + {floor: $fl[0]}' "$f"
		else
			jq '. + {floor: null}' "$f"
		fi
	done | jq -s --arg order "health_live health_db $BENCH_SCENARIOS" '
	    ($order | split(" ") | map(select(length > 0))) as $o
	    | sort_by(.name as $n | ($o | index($n)) // 99)
	    | map(. + {
	    x_reference: (if .reference_rps > 0 then .rps / .reference_rps
		else null end),
	    x_floor: (if .floor != null and .floor.tps > 0
		then .rps / .floor.tps else null end)})'
}

optional() {	# FILE
	if [ -f "$1" ]; then cat "$1"; else echo null; fi
}

result="$BENCH_RESULTS/$stamp.json"
jq -n \
    --arg stamp "$stamp" \
    --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --arg dirty "$(git status --porcelain -- src sql conf 2>/dev/null | head -c 1)" \
    --arg host "$(uname -srm)" --arg cpus "$(nproc)" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --arg mode "$BENCH_SERVER" \
    --argjson pg "$(cat "$work/postgres.json")" \
    --argjson small "$(phase_json small)" \
    --argjson scale "$( [ "$BENCH_SCALE" = 1 ] && phase_json scale || echo null)" \
    --argjson scale_size "$(optional "$work/scale/size.json")" \
    --argjson li "$(optional "$work/small/login_interference.json")" \
    --argjson soak "$(optional "$work/small/soak.json")" \
    --argjson pgss_reads "$(optional "$work/small/pgss_reads.json")" \
    --argjson pgss_writes "$(optional "$work/small/pgss_writes.json")" \
    --argjson pgss_scale "$(optional "$work/scale/pgss_reads.json")" \
    --argjson cfg "$(jq -n --arg d "$BENCH_DURATION" --arg r "$BENCH_RUNS" \
	--arg w "$BENCH_WARMUP" --arg t "$BENCH_THREADS" \
	--arg c "$BENCH_CONNECTIONS" --arg pc "$BENCH_PGBENCH_CLIENTS" \
	--arg pt "$BENCH_PGBENCH_THREADS" --arg lr "$BENCH_LOGIN_RATE" \
	--arg sr "$BENCH_SOAK_REQUESTS" --arg st "$BENCH_SCALE_TENANTS" \
	--arg sp "$BENCH_SCALE_PROJECTS" --arg sk "$BENCH_SCALE_TASKS" \
	--arg tn "$BENCH_TENANTS" --arg pr "$BENCH_PROJECTS" \
	--arg tk "$BENCH_TASKS" --arg ll "$BENCH_LOG_LEVEL" \
	--arg port "$BENCH_PORT" --arg url "$BENCH_URL" \
	'{duration_s: ($d|tonumber), runs: ($r|tonumber),
	  warmup_s: ($w|tonumber), wrk_threads: ($t|tonumber),
	  connections: ($c|tonumber), pgbench_clients: ($pc|tonumber),
	  pgbench_threads: ($pt|tonumber), login_rate: ($lr|tonumber),
	  soak_requests: ($sr|tonumber), log_level: $ll,
	  port: ($port|tonumber), url: $url,
	  small: {tenants: ($tn|tonumber), projects_per_tenant: ($pr|tonumber),
	      tasks_per_project: ($tk|tonumber)},
	  scale: {tenants: ($st|tonumber), projects_per_tenant: ($sp|tonumber),
	      tasks_per_project: ($sk|tonumber)}}')" \
    '{started: $stamp, commit: ($commit + (if $dirty != "" then "+dirty" else "" end)),
      machine: {kernel: $host, cpus: ($cpus|tonumber), loadavg_at_end: $load},
      server: $mode, postgres: $pg, config: $cfg,
      small: $small, login_interference: $li, soak: $soak,
      scale: (if $scale == null then null else {data: $scale_size, scenarios: $scale} end),
      pg_stat_statements: {small_reads: $pgss_reads,
	  small_writes_and_logins: $pgss_writes, scale_reads: $pgss_scale}}' \
    >"$result.tmp"

# Targets (bench/RESULTS.md): each check true, false or null (not run).
jq '
  def rss_max: [.. | objects | to_entries[]? | select(.key | test("^wrk_"))
      | .value | numbers] | max;
  . as $r
  | ($r.small | map({(.name): .}) | add // {}) as $s
  | ($r.scale.scenarios // [] | map({(.name): .}) | add // {}) as $l
  | .targets = (
    [ $r.small[] | select(.kind == "read")
      | {check: "\(.name): ≥ 25× reference req/s", value: .x_reference,
         pass: (.x_reference >= 25)},
        {check: "\(.name): ≥ 0.6× database floor", value: .x_floor,
         pass: (if .x_floor == null then null else .x_floor >= 0.6 end)},
        {check: "\(.name): p99 ≤ 10 ms", value: .p99_ms,
         pass: (.p99_ms <= 10)} ]
    + [ $r.small[] | select(.kind == "write")
      | {check: "\(.name): ≥ 25× reference req/s", value: .x_reference,
         pass: (.x_reference >= 25)} ]
    + [ $r.small[] | select(.kind != "ceiling")
      | {check: "\(.name): no non-2xx responses", value: .non2xx,
         pass: (.non2xx == 0 and .socket_errors == 0)} ]
    + (if $r.login_interference == null then [] else
      [ {check: "detail p99 with \($r.login_interference.login_rate_target) logins/s ≤ 2× without",
         value: $r.login_interference.p99_ratio,
         pass: ($r.login_interference.p99_ratio != null
             and $r.login_interference.p99_ratio <= 2)},
        {check: "logins/s reached during the interference runs ≥ 90% of \($r.login_interference.login_rate_target)",
         value: $r.login_interference.logins.rate,
         pass: ($r.login_interference.logins.rate
             >= 0.9 * $r.login_interference.login_rate_target)} ] end)
    + [ ("projects_list", "project_detail") as $n
      | select($l[$n] != null and $s[$n] != null)
      | ($l[$n].rps / $s[$n].rps) as $x
      | {check: "scale: \($n) req/s within 20% of the small set", value: $x,
         pass: ($x >= 0.8)} ]
    + [ ([($r.small // [] | map(select(.kind != "login"))),
          ($r.scale.scenarios // []), $r.soak]
          | rss_max) as $m
        | {check: "every worker RSS ≤ 32 MiB under API load (all but logins)",
           value: $m, pass: ($m != null and $m <= 32)} ]
    + [ ([($r.small // [] | map(select(.kind == "login"))),
          $r.login_interference] | rss_max) as $m
        | select($m != null)
        | {check: "every worker RSS ≤ 32 MiB under login load (argon2id)",
           value: $m, pass: ($m <= 32)} ]
    + (if $r.soak == null then [] else
      [ {check: "soak: no worker RSS growth over 5%",
         value: ([$r.soak.rss_growth_pct[]] | max),
         pass: (([$r.soak.rss_growth_pct[]] | max) <= 5
             and $r.soak.same_workers)} ] end)
    + [ {check: "durability: fsync and synchronous_commit on",
         value: "\($r.postgres.fsync)/\($r.postgres.synchronous_commit)",
         pass: ($r.postgres.fsync == "on"
             and $r.postgres.synchronous_commit == "on")} ])' \
    "$result.tmp" >"$result"
rm -f "$result.tmp"

# The Markdown summary.
md="$BENCH_RESULTS/$stamp.md"
jq -r '
  def f0: if . == null then "–" else (. | floor | tostring) end;
  def f1: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
  def f2: if . == null then "–" else (. * 100 | round / 100 | tostring) end;
  def rss: if . == null or . == {} then "–"
      else (to_entries | map(.value | tostring) | join(" / ")) end;
  def table($rows):
    "| scenario | req/s | ref | × ref | DB floor tps | × floor | p50 ms | p99 ms | non-2xx | worker RSS max MiB | CPU ms/req Kore / PG / wrk |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ($rows[] | "| \(.method) \(.path) | \(.rps | f0) | \(if .reference_rps > 0 then .reference_rps else "–" end) | \(.x_reference | f1) | \(.floor.tps | f0) | \(.x_floor | f2) | \(.p50_ms | f2) | \(.p99_ms | f2) | \(.non2xx + .socket_errors) | \(.rss_max_mib | rss) | \(.cpu_ms_per_request | if . == null then "–" else "\(.kore) / \(.postgres) / \(.wrk)" end) |");
  "# mtapi benchmark \(.started)",
  "",
  "commit \(.commit), \(.machine.kernel), \(.machine.cpus) CPUs (load average at the end \(.machine.loadavg_at_end)); PostgreSQL \(.postgres.server_version), fsync=\(.postgres.fsync), synchronous_commit=\(.postgres.synchronous_commit).",
  "Server: \(if .server == "own" then "its own (conf/mtapi.conf on port \(.config.port))" else "the running one at \(.config.url)" end).",
  "wrk \(.config.wrk_threads) threads × \(.config.connections) connections, median of \(.config.runs) × \(.config.duration_s) s after \(.config.warmup_s) s warm-up; floors: pgbench -M prepared -c \(.config.pgbench_clients) -j \(.config.pgbench_threads); server LOG_LEVEL=\(.config.log_level).",
  "",
  "## Small data set (\(.config.small.tenants) tenants × \(.config.small.projects_per_tenant) projects × \(.config.small.tasks_per_project) tasks)",
  "",
  table(.small),
  "",
  (if .login_interference then
    (.login_interference as $li |
    "## Login interference",
    "",
    "GET /api/v1/projects/{id}/ p99: \($li.base.p99_ms | f2) ms without logins, \($li.with_logins.p99_ms | f2) ms with \($li.logins.rate | f1) logins/s (target \($li.login_rate_target)/s): ×\($li.p99_ratio | f2). Detail req/s \($li.base.rps | f0) → \($li.with_logins.rps | f0); login p99 \($li.logins.p99_ms | f1) ms; worker RSS max \($li.rss_max_mib | rss) MiB.",
    "") else empty end),
  (if .soak then
    (.soak as $s |
    "## Soak",
    "",
    "\($s.requests) requests in \($s.seconds) s (\($s.rps | f0) req/s), non-2xx \($s.non2xx), socket errors \($s.socket_errors); worker RSS MiB at start \($s.rss_start_mib | rss), at end \($s.rss_end_mib | rss), max \($s.rss_max_mib | rss); growth % \($s.rss_growth_pct | rss); same worker processes throughout: \($s.same_workers).",
    "req/s per chunk: \($s.rps_per_chunk | map(tostring) | join(", ")).",
    "") else empty end),
  (if .scale then
    "## Scale data set (\(.scale.data.tenants) tenants, \(.scale.data.projects) projects, \(.scale.data.tasks) tasks, \(.scale.data.database_mib) MiB)",
    "",
    table(.scale.scenarios),
    "" else empty end),
  "## Targets",
  "",
  "| check | value | pass |",
  "|---|---:|---|",
  (.targets[] | "| \(.check) | \(if (.value | type) == "number" then (.value | f2) else (.value | tostring) end) | \(if .pass == true then "yes" elif .pass == false then "**no**" else "–" end) |"),
  "",
  "## Statements that took the most database time (reads, small set)",
  "",
  "| statement | calls | mean ms | % time | blocks/call |",
  "|---|---:|---:|---:|---:|",
  (.pg_stat_statements.small_reads // [] | .[0:8][] | "| `\(.query | gsub("\\|"; "\\|"))` | \(.calls) | \(.mean_ms) | \(.pct) | \(.blocks_per_call) |")
' "$result" >"$md"

ln -sfn "$(basename "$result")" "$BENCH_RESULTS/latest.json"
ln -sfn "$(basename "$md")" "$BENCH_RESULTS/latest.md"
echo
cat "$md"
echo
say "results: $result and $md"
