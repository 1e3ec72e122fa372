#!/bin/bash
# PostgreSQL CPU time per call of each hot API function, and of the
# candidate rewrites in sql-variants.sql: the backend's own user+system
# time (/proc/PID/stat) over N calls in one session, so that the figure
# holds on a busy machine where wall-clock times do not.
#
# usage: bench/analysis/cpu-per-call.sh [ENVFILE] [CALLS]
#   ENVFILE  the settings of the database to use (default .build/bench/env,
#            the one bench/run.sh makes: database mtapi_bench)
#   CALLS    calls per figure (default 3000)
# Needs the test data set (bench/run.sh makes it). Creates and drops the
# scratch schemas bench and benchx in that database; changes nothing else.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
env=${1:-$top/.build/bench/env}
n=${2:-3000}
[ -f "$env" ] || { echo "no $env: run bench/run.sh first" >&2; exit 1; }

get() { sed -n "s/^$1=//p" "$env" | tail -n 1; }
db=$(get DB_NAME)
PGHOST=$(get DB_HOST)
PGPORT=${DB_PORT:-$(get DB_PORT)}
PGUSER=$(get DB_USER)
PGPASSWORD=$(get DB_PASSWORD)
PGDATABASE=$db
export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
work=$(mktemp -d)
trap 'psql -X -q -c "DROP SCHEMA IF EXISTS benchx CASCADE" \
    -c "DROP SCHEMA IF EXISTS bench CASCADE" >/dev/null 2>&1 || true;
    rm -rf "$work"' EXIT

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q -f "$top/bench/pgbench/setup.sql" >/dev/null 2>&1
# The first (fixture) login session of every active tenant's user.
q -c "INSERT INTO bench.principals
    SELECT row_number() OVER (ORDER BY tenant_id), tenant_id, 'user',
	user_id::text, id
    FROM (SELECT DISTINCT ON (s.tenant_id) s.tenant_id, s.user_id, s.id
	FROM auth_sessions s JOIN tenants t ON t.id = s.tenant_id
	AND t.is_active WHERE s.user_id IS NOT NULL AND s.revoked_at IS NULL
	ORDER BY s.tenant_id, s.created_at) x"
q -f "$top/bench/pgbench/targets.sql" >/dev/null
q -f "$top/bench/analysis/sql-variants.sql" >/dev/null 2>&1
nt=$(q -At -c 'SELECT count(*) FROM bench.principals')
ng=$(q -At -c 'SELECT count(*) FROM bench.targets')

# The same answers, byte for byte, before anything is timed.
q -At -c "SELECT 'project_list', count(*) FILTER (WHERE a.body = b.body AND a.body = c.body), count(*)
    FROM bench.principals p,
    api.project_list(p.tenant_id, p.kind, p.sub, p.sid, NULL, NULL, '-created_at', 20, 0) a,
    benchx.project_list(p.tenant_id, p.kind, p.sub, p.sid, NULL, NULL, '-created_at', 20, 0) b,
    benchx.project_list_idx(p.tenant_id, p.kind, p.sub, p.sid, NULL, NULL, '-created_at', 20, 0) c" \
    -c "SELECT 'project_statistics', count(*) FILTER (WHERE a.body = b.body), count(*)
    FROM bench.principals p, api.project_statistics(p.tenant_id, p.kind, p.sub, p.sid) a,
    benchx.project_statistics(p.tenant_id, p.kind, p.sub, p.sid) b" \
    -c "SELECT 'project_get', count(*) FILTER (WHERE a.body = b.body), count(*)
    FROM bench.targets g JOIN bench.principals p USING (n),
    api.project_get(p.tenant_id, p.kind, p.sub, p.sid, g.project_id) a,
    benchx.project_get(p.tenant_id, p.kind, p.sub, p.sid, g.project_id) b" \
    -c "SELECT 'task_list', count(*) FILTER (WHERE a.body = b.body AND a.body = c.body AND a.total = c.total), count(*)
    FROM bench.principals p,
    api.task_list(p.tenant_id, p.kind, p.sub, p.sid, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false) a,
    benchx.task_list(p.tenant_id, p.kind, p.sub, p.sid, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false) b,
    benchx.task_list_idx(p.tenant_id, p.kind, p.sub, p.sid, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false) c" \
    -c "SELECT 'principal', count(*) FILTER (WHERE a = b), count(*)
    FROM bench.principals p, api.principal(p.tenant_id, p.kind, p.sub, p.sid) a,
    benchx.principal(p.tenant_id, p.kind, p.sub, p.sid) b" |
    awk -F'|' '{ print "same answers: " $1 " " $2 "/" $3; if ($2 != $3) bad = 1 }
    END { exit bad }'

# cpu NAME CALL: CPU ms per call; CALL may use b.* (a principal) and
# b.project_id (a project of that tenant).
cpu() {
	cat >"$work/q.sql" <<SQL
SET enable_memoize = off;
\\o $work/pid
SELECT pg_backend_pid();
\\o
SELECT count(*) FROM generate_series(1, 200) i, LATERAL (SELECT * FROM bench.targets g JOIN bench.principals p USING (n) WHERE g.k = 1 + (i * 7919) % $ng OFFSET 0) b, LATERAL $2 f;
\\! sed 's/^.*) //' /proc/\$(cat $work/pid)/stat | awk '{ print \$12 + \$13 }' >$work/t0
SELECT count(*) FROM generate_series(1, $n) i, LATERAL (SELECT * FROM bench.targets g JOIN bench.principals p USING (n) WHERE g.k = 1 + (i * 7919) % $ng OFFSET 0) b, LATERAL $2 f;
\\! sed 's/^.*) //' /proc/\$(cat $work/pid)/stat | awk '{ print \$12 + \$13 }' >$work/t1
SQL
	q -At -f "$work/q.sql" >/dev/null
	awk -v a="$(cat "$work/t0")" -v b="$(cat "$work/t1")" -v n="$n" \
	    -v hz="$(getconf CLK_TCK)" -v name="$1" \
	    'BEGIN { printf "%-28s %7.3f ms\n", name, (b - a) * 1000 / hz / n }'
}

echo "PostgreSQL CPU per call, $n calls over $nt tenants ($db):"
args="b.tenant_id, b.kind, b.sub, b.sid"
for s in api benchx; do
	cpu "$s.project_get" "$s.project_get($args, b.project_id)"
done
for s in api.project_list benchx.project_list benchx.project_list_idx; do
	cpu "$s" "$s($args, NULL, NULL, '-created_at', 20, 0)"
done
for s in api benchx; do
	cpu "$s.project_statistics" "$s.project_statistics($args)"
done
for s in api.task_list benchx.task_list benchx.task_list_idx; do
	cpu "$s" "$s($args, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false)"
done
for s in api benchx; do
	cpu "$s.principal" "$s.principal($args)"
done
