#!/bin/bash
# PostgreSQL's instructions per call of the statements the server sends,
# counted by callgrind: a number that does not depend on how busy the
# machine is (CPU times on a shared machine do). A copy of the
# project-local cluster (pg_basebackup) runs under valgrind on a Unix
# socket only; each statement runs through pgbench with one principal
# and project (what the server binds: the verdict epoch its workers
# remember, $5), N and 2N times on one connection, and the difference of
# the backend's instruction counts over N is the cost of one call,
# connection set-up excluded. -M extended is what Kore's unnamed
# statements cost, -M prepared what src/db.c sends now.
#
# usage: bench/analysis/instr-per-call.sh DB [N]
#   DB  a database of the project-local cluster with test data
#       (mtapi_bench after a bench run)
#   N   calls (default 300; under valgrind ~50x slower than native)
# Needs valgrind (Debian package valgrind). Leaves nothing behind but
# .build/bench/callgrind/ (removed at the start of the next run).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
db=${1:?usage: instr-per-call.sh DB [N]}
n=${2:-300}
command -v valgrind >/dev/null || { echo "valgrind is missing" >&2; exit 1; }

port=${DB_PORT:-54329}
bindir=/usr/lib/postgresql/15/bin
w="$top/.build/bench/callgrind"
as_pg() { runuser -u postgres -- "$@"; }

rm -rf "$w"
mkdir -p "$w/run" "$w/out"
chown -R postgres: "$w"
as_pg "$bindir/pg_basebackup" -D "$w/data" -h "$top/.pgdata/run" \
    -p "$port" -U postgres -c fast >/dev/null
as_pg bash -c "cd '$w/out' && exec valgrind --tool=callgrind \
    --trace-children=yes --callgrind-out-file='$w/out/cg.%p' \
    '$bindir/postgres' -D '$w/data' -c listen_addresses= \
    -c unix_socket_directories='$w/run' -p $port \
    -c shared_preload_libraries= -c autovacuum=off \
    -c max_connections=20 -c shared_buffers=128MB" >"$w/pg.log" 2>&1 &
pm=$!
trap 'kill -INT $pm 2>/dev/null || true; wait $pm 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
	[ -S "$w/run/.s.PGSQL.$port" ] && break
	sleep 1
done

q() { as_pg psql -X -At -h "$w/run" -p "$port" -U postgres -d "$db" "$@"; }
until q -c 'SELECT 1' >/dev/null 2>&1; do sleep 1; done

# The first login of the tenant with the most projects, one of its
# projects, and the epoch a worker would remember for it.
read -r t sub sid p <<<"$(q -F' ' -c "SELECT s.tenant_id, s.user_id,
    s.id, (SELECT min(x.id) FROM projects x WHERE x.tenant_id = s.tenant_id)
    FROM auth_sessions s JOIN tenants tn ON tn.id = s.tenant_id
    AND tn.is_active WHERE s.user_id IS NOT NULL AND s.revoked_at IS NULL
    ORDER BY s.created_at LIMIT 1")"
v=$(q -c "SELECT (api.principal_verdict('$t', 'user', '$sub',
    '$sid')).verdict")
vars=(-D "t=$t" -D "kd=user" -D "s=$sub" -D "sid=$sid" -D "p=$p" -D "v=$v")

cat >"$w/select1.sql" <<'SQL'
SELECT 1;
SQL
cat >"$w/project_get.sql" <<'SQL'
SELECT * FROM api.project_get(:t, :kd, :s, :sid, :v, :p);
SQL
cat >"$w/project_get_full_check.sql" <<'SQL'
SELECT * FROM api.project_get(:t, :kd, :s, :sid, NULL, :p);
SQL
cat >"$w/project_list.sql" <<'SQL'
SELECT * FROM api.project_list(:t, :kd, :s, :sid, :v, NULL, NULL, '-created_at', 20, 0);
SQL
cat >"$w/project_statistics.sql" <<'SQL'
SELECT * FROM api.project_statistics(:t, :kd, :s, :sid, :v);
SQL
cat >"$w/task_list.sql" <<'SQL'
SELECT * FROM api.task_list(:t, :kd, :s, :sid, :v, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false);
SQL
cat >"$w/task_create.sql" <<'SQL'
SELECT * FROM api.task_create(:t, :kd, :s, :sid, :v, :p, 'bench callgrind task', 'made by instr-per-call.sh', NULL, 'medium', NULL);
SQL

run() {	# FILE MODE CALLS -> instructions of the backend
	local before f best=0 i
	before=$(ls "$w/out")
	as_pg pgbench -n -M "$2" -c 1 -t "$3" "${vars[@]}" -h "$w/run" \
	    -p "$port" -U postgres -f "$1" "$db" >"$w/pgbench.out" 2>&1 ||
	    { cat "$w/pgbench.out" >&2; exit 1; }
	sleep 1.5
	for f in $(comm -13 <(echo "$before") <(ls "$w/out")); do
		i=$(sed -n 's/^summary: //p' "$w/out/$f")
		[ "${i:-0}" -gt "$best" ] && best=$i
		rm -f "$w/out/$f"
	done
	echo "$best"
}

printf '%-26s %14s %14s\n' "instructions per call" "-M extended" "-M prepared"
for s in select1 project_get project_get_full_check project_list \
    project_statistics task_list task_create; do
	line=$(printf '%-26s' "$s")
	for mode in extended prepared; do
		a=$(run "$w/$s.sql" "$mode" "$n")
		b=$(run "$w/$s.sql" "$mode" $((2 * n)))
		line="$line $(printf '%14d' $(((b - a) / n)))"
	done
	echo "$line"
done
q -c "DELETE FROM tasks WHERE title = 'bench callgrind task'" >/dev/null
