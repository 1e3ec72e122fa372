#!/bin/sh
# make cluster: make run's set-up, then the service as it runs past one
# machine, on this one: two Kore instances of the module (their own
# ports and workers) behind HAProxy on http://127.0.0.1:8080, their
# request connections through PgBouncer (transaction pooling) to the
# project-local PostgreSQL. Ctrl-C or SIGTERM stops all of it (and
# PostgreSQL, if this run started it). docs/scaling.md explains it.
#
#   tools/dev/cluster.sh           start, in the foreground
#   tools/dev/cluster.sh reload    graceful HAProxy reload of the running
#                                  cluster (as SIGHUP to it does)
#
# Ports (environment): MTAPI_CLUSTER_PORT (HAProxy, 8080),
# MTAPI_CLUSTER_INSTANCE_PORTS ("8081 8082"), MTAPI_PGBOUNCER_PORT (6432),
# MTAPI_PGBOUNCER_POOL (server connections, 8). State in .build/cluster/.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

cl_dir="$top/.build/cluster"

if [ "${1:-}" = reload ]; then
	pid=$(cat "$cl_dir/cluster.pid" 2>/dev/null) ||
	    { echo "cluster: not running (no $cl_dir/cluster.pid)" >&2; exit 1; }
	kill -HUP "$pid"
	exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [reload]" >&2; exit 2; }

setup_deps=cluster
. tools/dev/setup.sh

. tools/dev/cluster-lib.sh
cl_app="$top/.build/mtapi"
cl_env="$top/.env"
cl_front=${MTAPI_CLUSTER_PORT:-8080}
cl_ports=${MTAPI_CLUSTER_INSTANCE_PORTS:-"8081 8082"}
cl_bouncer=${MTAPI_PGBOUNCER_PORT:-6432}
cl_pool=${MTAPI_PGBOUNCER_POOL:-8}
: "${DB_HOST:=127.0.0.1}"

mkdir -p "$cl_dir"
rm -f "$cl_dir"/*.log

stop=0
reload=0
finish() {
	rc=$?
	trap - EXIT INT TERM HUP
	cl_stop_all
	rm -f "$cl_dir/cluster.pid"
	if [ "$pg_was_up" = 0 ]; then
		tools/dev/pg.sh stop || true
	fi
	echo "cluster: stopped"
	exit "$rc"
}
trap finish EXIT
trap 'stop=1' INT TERM
trap 'reload=1' HUP

cl_start_all
echo $$ >"$cl_dir/cluster.pid"

cat <<EOF
cluster: serving http://127.0.0.1:$cl_front (HAProxy, round robin) over
$(for p in $cl_ports; do echo "cluster:   a Kore instance on http://127.0.0.1:$p"; done)
cluster: through PgBouncer on 127.0.0.1:$cl_bouncer to PostgreSQL on :$DB_PORT
cluster: clients: use http://127.0.0.1:$cl_front as the base URL (the
cluster: tokens in test_tokens.json work on every instance)
cluster: logs: $cl_dir/*.log; statistics: curl --unix-socket \\
cluster:   $cl_dir/stats.sock 'http://x/;csv'
cluster: graceful reload: tools/dev/cluster.sh reload (Ctrl-C stops it all)
EOF

# Until a signal: a trap runs when the short sleep it interrupts ends.
while [ "$stop" = 0 ]; do
	sleep 1 &
	wait $! || true
	if [ "$reload" = 1 ]; then
		reload=0
		cl_haproxy_reload || echo "cluster: reload failed" >&2
	fi
done
exit 0
