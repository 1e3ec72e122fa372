#!/bin/bash
# The cluster phase of make bench: the read scenarios through HAProxy
# against two Kore instances, next to one instance alone, and with the
# request connections through PgBouncer; PostgreSQL's connection count in
# each; the rate-limit overshoot with one tenant hammered through both
# instances. Self-contained: the driver (bench/run.sh) calls it with its
# own data set, or it runs alone on a data set of its own.
#
# On a 2-core machine with the load generator on the same cores, two
# instances cannot be faster than one: the figures show what the
# balancer (and the pooler) cost per request, not a speed-up.
#
# Environment (the driver's, all optional):
#   BENCH_ENV		the bench server's settings file (driver: $env)
#   BENCH_DATA		the wrk data file of bench/lua/common.lua ($data)
#   BENCH_OUT		where cluster.json and cluster.md go ($work/cluster)
#   BENCH_DURATION BENCH_RUNS BENCH_WARMUP BENCH_THREADS BENCH_CONNECTIONS
#   BENCH_POOL BENCH_SCENARIOS	as for bench/run.sh
#   BENCH_CLUSTER_PORT	HAProxy (18590; the instances take the next two)
#   BENCH_PGBOUNCER_PORT	PgBouncer (18593)
#   BENCH_PGBOUNCER_POOL	its server connections (8)
#   BENCH_OVERSHOOT	1: the rate-limit overshoot runs (default 1)
# Without BENCH_ENV and BENCH_DATA it makes database mtapi_bench_cluster
# with BENCH_TENANTS × BENCH_PROJECTS × BENCH_TASKS (50 × 100 × 5).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bench="$top/bench"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_DURATION:=3}" "${BENCH_RUNS:=1}" "${BENCH_WARMUP:=1}"
fi
: "${BENCH_DURATION:=10}" "${BENCH_RUNS:=3}" "${BENCH_WARMUP:=2}"
: "${BENCH_THREADS:=2}" "${BENCH_CONNECTIONS:=32}" "${BENCH_POOL:=20000}"
: "${BENCH_SCENARIOS:=projects_list project_detail project_stats tasks_filtered}"
: "${BENCH_CLUSTER_PORT:=18590}" "${BENCH_PGBOUNCER_PORT:=18593}"
: "${BENCH_PGBOUNCER_POOL:=8}" "${BENCH_OVERSHOOT:=1}"
: "${BENCH_TENANTS:=50}" "${BENCH_PROJECTS:=100}" "${BENCH_TASKS:=5}"

state="$top/.build/bench"
out=${BENCH_OUT:-$state/cluster-$(date -u +%Y%m%dT%H%M%SZ)}
admin="$top/.build/bin/mtapi-admin"
mkdir -p "$out"

say() {
	printf '%s bench cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

envget() {	# FILE NAME
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# ------------------------------------------------------------- data set
standalone=0
if [ -z "${BENCH_ENV:-}" ] || [ -z "${BENCH_DATA:-}" ]; then
	standalone=1
	tools/dev/deps.sh bench
	tools/dev/keys.sh >/dev/null
	make --no-print-directory build
fi
for tool in wrk haproxy pgbouncer jq curl ss kore psql; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

if [ "$standalone" = 1 ]; then
	BENCH_ENV="$state/cluster-env"
	mkdir -p "$state"
	(umask 077
	grep -v -E '^(DB_NAME|LOG_LEVEL|JWT_ACCESS_TOKEN_LIFETIME_MINUTES|DEBUG)=' \
	    .env >"$BENCH_ENV"
	{ echo "DB_NAME=mtapi_bench_cluster"; echo "DEBUG=True"
	  echo "LOG_LEVEL=WARNING"
	  echo "JWT_ACCESS_TOKEN_LIFETIME_MINUTES=600"; } >>"$BENCH_ENV")
fi

# The instances' settings come from BENCH_ENV alone.
unset DB_NAME DB_HOST DB_PORT DB_USER DB_PASSWORD DATABASE_URL MTAPI_ENV_FILE
DB_NAME=$(envget "$BENCH_ENV" DB_NAME)
DB_HOST=$(envget "$BENCH_ENV" DB_HOST)
DB_PORT=$(envget "$BENCH_ENV" DB_PORT)
DB_USER=$(envget "$BENCH_ENV" DB_USER)
DB_PASSWORD=$(envget "$BENCH_ENV" DB_PASSWORD)
: "${DB_HOST:=127.0.0.1}" "${DB_PORT:=54329}" "${DB_USER:=mtapi}"
export DB_NAME DB_HOST DB_PORT DB_USER DB_PASSWORD

pg_was_up=0
tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
tools/dev/pg.sh start >/dev/null

psql_app() {
	PGPASSWORD="$DB_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 \
	    -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" "$@"
}

if [ "$standalone" = 1 ]; then
	say "$DB_NAME: fresh database, test data ($BENCH_TENANTS × $BENCH_PROJECTS × $BENCH_TASKS)"
	tools/dev/pg.sh drop-db "$DB_NAME"
	tools/dev/pg.sh ensure-db "$DB_NAME" >/dev/null
	"$admin" --env "$BENCH_ENV" migrate >/dev/null
	"$admin" --env "$BENCH_ENV" create-test-data --tenants "$BENCH_TENANTS" \
	    --projects-per-tenant "$BENCH_PROJECTS" \
	    --tasks-per-project "$BENCH_TASKS" --out "$out/tokens.json" >/dev/null
	tools/dev/pg.sh psql -d "$DB_NAME" -c 'VACUUM (ANALYZE)' >/dev/null
	# The data file of bench/lua/common.lua, as bench/run.sh makes it.
	psql_app -At -c "SELECT COALESCE(json_object_agg(tenant_id, ids), '{}')
	    FROM (SELECT tenant_id, string_agg(id::text, ',' ORDER BY id) AS ids
	    FROM projects GROUP BY tenant_id) x" >"$out/projects.json"
	jq -r --slurpfile P "$out/projects.json" '.tenants[]
	    | select(.is_active)
	    | [.id, .access_token, .username, .password, ($P[0][.id] // "")]
	    | @tsv' "$out/tokens.json" >"$out/data.tsv"
	BENCH_DATA="$out/data.tsv"
fi
[ -s "$BENCH_DATA" ] || die "no data in $BENCH_DATA"

# -------------------------------------------------------------- cluster
. tools/dev/cluster-lib.sh
cl_dir="$state/cluster"
cl_app="$top/.build/mtapi"
cl_env="$BENCH_ENV"
cl_front=$BENCH_CLUSTER_PORT
cl_ports="$((cl_front + 1)) $((cl_front + 2))"
cl_pool=$BENCH_PGBOUNCER_POOL
set -- $cl_ports
k1="http://127.0.0.1:$1"
k2="http://127.0.0.1:$2"
lb="http://127.0.0.1:$cl_front"

finish() {
	rc=$?
	trap - EXIT INT TERM
	[ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null
	cl_stop_all
	if [ "$pg_was_up" = 0 ]; then
		tools/dev/pg.sh stop >/dev/null 2>&1 || true
	fi
	[ "$rc" = 0 ] || say "failed (exit $rc); files in $out and $cl_dir"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# PostgreSQL's client connections to the database, and the instances'
# connections to PgBouncer: the largest of each, sampled every 0.2 s
# until stopped, into FILE ("pg bouncer").
conns_now() {
	tools/dev/pg.sh psql -At -c "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$DB_NAME' AND backend_type = 'client backend'"
}
sampler_start() {	# FILE
	(
		pgmax=0
		bcmax=0
		trap 'echo "$pgmax $bcmax" >"$1"; exit 0' TERM
		while :; do
			v=$(conns_now 2>/dev/null || echo 0)
			[ "$v" -gt "$pgmax" ] && pgmax=$v
			if [ -n "$cl_bouncer" ]; then
				v=$(ss -tnH state established \
				    "dport = :$cl_bouncer" | wc -l)
				[ "$v" -gt "$bcmax" ] && bcmax=$v
			fi
			sleep 0.2 &
			wait $!
		done
	) &
	sampler=$!
}
sampler_stop() {
	kill -TERM "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	sampler=""
}

wrk_json() {	# OUT SCRIPT URL SECONDS
	BENCH_LUA="$bench/lua" BENCH_DATA="$BENCH_DATA" BENCH_POOL="$BENCH_POOL" \
	    wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"$4s" \
	    --timeout 5s -s "$bench/lua/$2" "$3" >"$1.txt" 2>&1 ||
	    { cat "$1.txt" >&2; die "wrk failed ($2 at $3)"; }
	sed -n 's/^BENCH_JSON //p' "$1.txt" >"$1"
	[ -s "$1" ] || { cat "$1.txt" >&2; die "no summary from $2"; }
}

jq_median='def median: sort | if length == 0 then null
    elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# measure CONFIG SCENARIO URL: warm-up, BENCH_RUNS runs, the connection
# peaks; $out/CONFIG.SCENARIO.json.
measure() {
	local cfg=$1 name=$2 url=$3 i f
	f="$out/$cfg.$name"
	if [ "$BENCH_WARMUP" -gt 0 ]; then
		wrk_json "$f.warm.json" "$name.lua" "$url" "$BENCH_WARMUP"
	fi
	sampler_start "$f.conns"
	for i in $(seq 1 "$BENCH_RUNS"); do
		wrk_json "$f.run.$i.json" "$name.lua" "$url" "$BENCH_DURATION"
	done
	sampler_stop
	read -r pgmax bcmax <"$f.conns"
	jq -s "$jq_median"'{rps: (map(.rps) | median),
	    p50_ms: (map(.latency_us.p50 / 1000) | median),
	    p99_ms: (map(.latency_us.p99 / 1000) | median),
	    requests: (map(.requests) | add),
	    non2xx: (map(.errors.status) | add),
	    socket_errors: (map(.errors.connect + .errors.read + .errors.write
		+ .errors.timeout) | add),
	    pg_connections_max: $pg, bouncer_clients_max: $bc}' \
	    --argjson pg "$pgmax" --argjson bc "$bcmax" "$f".run.*.json >"$f.json"
	jq -r --arg c "$cfg" --arg n "$name" '"  \($c) \($n): \(.rps | floor) req/s, p99 \(.p99_ms) ms, non-2xx \(.non2xx), PostgreSQL connections \(.pg_connections_max)"' \
	    "$f.json" >&2
}

reads=""
for s in $BENCH_SCENARIOS; do
	case "$s" in projects_list|project_detail|project_stats|tasks_filtered)
		reads="$reads $s" ;;
	esac
done
[ -n "$reads" ] || die "no read scenario in BENCH_SCENARIOS"
workers=$(awk '$1 == "workers" { print $2 }' conf/mtapi.conf)
conn_max=$(awk '$1 == "pgsql_conn_max" { print $2 }' conf/mtapi.conf)

# Two instances straight to PostgreSQL: one alone (k1), then both
# behind HAProxy.
cl_bouncer=""
say "two instances ($workers workers each, pgsql_conn_max $conn_max) on $cl_ports, HAProxy on $cl_front, no pooler"
cl_start_all
for s in $reads; do
	measure single "$s" "$k1"
	measure haproxy "$s" "$lb"
done
cl_stop_all

# The same behind PgBouncer.
cl_bouncer=$BENCH_PGBOUNCER_PORT
say "the same with PgBouncer on $cl_bouncer (transaction pooling, $cl_pool server connections)"
cl_start_all
for s in $reads; do
	measure pgbouncer "$s" "$lb"
done

# ------------------------------------------------ rate-limit overshoot
# One tenant, its limit L per minute, hammered for 3 s through both
# instances at once (4 connections each): admitted beyond L, in % of L.
overshoot_json="[]"
if [ "$BENCH_OVERSHOOT" = 1 ]; then
	say "rate-limit overshoot: one tenant hammered through both instances, 3 × 3 s per limit"
	# Limits the hammer reaches in the first second or so.
	for limit in 300 600 1200 2400; do
		for rep in 1 2 3; do
			slug="bench-rl-$limit-$rep-$$"
			"$admin" --env "$BENCH_ENV" create-tenant --slug "$slug" \
			    --name "$slug" --rate-limit "$limit" >/dev/null
			tok=$("$admin" --env "$BENCH_ENV" create-service-token \
			    --tenant "$slug" --service bench --minutes 10 \
			    --scopes read:projects,read:tasks)
			while [ $(($(date +%s) % 60)) -gt 55 ]; do sleep 0.5; done
			for k in 1 2; do
				eval "u=\$k$k"
				wrk -t1 -c4 -d3s --timeout 5s \
				    -s tests/cluster/statuses.lua \
				    -H "Authorization: Bearer $tok" \
				    "$u/api/v1/projects/" >"$out/rl.$limit.$rep.$k" 2>&1 &
				eval "w$k=\$!"
			done
			wait "$w1" "$w2" || true
			a=$(sed -n 's/^STATUSES //p' "$out/rl.$limit.$rep.1" | jq '."200" // 0')
			b=$(sed -n 's/^STATUSES //p' "$out/rl.$limit.$rep.2" | jq '."200" // 0')
			overshoot_json=$(echo "$overshoot_json" | jq -c \
			    --argjson l "$limit" --argjson a "$a" --argjson b "$b" \
			    '. + [{limit: $l, admitted_k1: $a, admitted_k2: $b,
			    admitted: ($a + $b),
			    overshoot_pct: (($a + $b - $l) * 1000 / $l | round / 10)}]')
			say "  limit $limit/min: admitted $a + $b = $((a + b)) ($(( (a + b - limit) * 100 / limit ))% over)"
			psql_app -c "DELETE FROM tenants WHERE slug = '$slug'" >/dev/null
		done
	done
fi
cl_stop_all

# -------------------------------------------------------------- results
files=()
for cfg in single haproxy pgbouncer; do
	for s in $reads; do
		files+=("$out/$cfg.$s.json")
	done
done
jq -n --arg reads "$reads" --argjson overshoot "$overshoot_json" \
    --argjson workers "$workers" --argjson conn_max "$conn_max" \
    --argjson pool "$cl_pool" --argjson ncpu "$(nproc)" \
    --argjson dur "$BENCH_DURATION" --argjson runs "$BENCH_RUNS" \
    --argjson conns "$BENCH_CONNECTIONS" '
    ($reads | split(" ") | map(select(length > 0))) as $names
    | [inputs] as $all | ($names | length) as $n
    | {cpus: $ncpu, duration_s: $dur, runs: $runs, connections: $conns,
       instances: 2, workers_per_instance: $workers,
       pgsql_conn_max: $conn_max, pgbouncer_pool: $pool,
       scenarios: [range($n) as $i | {name: $names[$i],
	   single: $all[$i], haproxy: $all[$n + $i],
	   pgbouncer: $all[2 * $n + $i]}],
       overshoot: $overshoot}' "${files[@]}" >"$out/cluster.json"

jq -r '
    "## Cluster: two instances behind HAProxy (\(.cpus) CPUs)\n",
    "One instance alone, then HAProxy over two instances straight to PostgreSQL, then the same through PgBouncer (transaction pooling, \(.pgbouncer_pool) server connections). \(.instances) instances × \(.workers_per_instance) workers × pgsql_conn_max \(.pgsql_conn_max). wrk \(.connections) connections, \(.runs) × \(.duration_s) s, median. On this machine the load generator shares the cores: the HAProxy columns show what the balancer costs, not a speed-up.\n",
    "| scenario | one instance req/s | p99 ms | HAProxy, 2 instances req/s | p99 ms | + PgBouncer req/s | p99 ms | PostgreSQL connections: one / HAProxy / PgBouncer |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    (.scenarios[] | "| \(.name) | \(.single.rps | floor) | \(.single.p99_ms) | \(.haproxy.rps | floor) | \(.haproxy.p99_ms) | \(.pgbouncer.rps | floor) | \(.pgbouncer.p99_ms) | \(.single.pg_connections_max) / \(.haproxy.pg_connections_max) / \(.pgbouncer.pg_connections_max) (\(.pgbouncer.bouncer_clients_max) to PgBouncer) |"),
    (if (.overshoot | length) > 0 then
	"\nRate-limit overshoot, one tenant hammered through both instances for 3 s (4 connections each):\n",
	"| limit/min | admitted | overshoot |", "|---:|---|---:|",
	(.overshoot[] | "| \(.limit) | \(.admitted_k1) + \(.admitted_k2) = \(.admitted) | \(.overshoot_pct)% |")
     else empty end)' "$out/cluster.json" >"$out/cluster.md"
cat "$out/cluster.md" >&2
say "results: $out/cluster.json, $out/cluster.md"
