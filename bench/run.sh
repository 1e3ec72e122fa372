#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# make bench: the benchmark harness (bench/README.md explains it all).
# Everything is bounded in time and count, and loopback only.
#
#   make bench                   # the full measurement (~30 min)
#   BENCH_QUICK=1 bench/run.sh   # a short run (~3 min)
set -eu

bench=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$bench")
cd "$top"

. "$bench/lib/settings.sh"	# BENCH_* with their defaults, paths, messages
. "$bench/lib/proc.sh"		# background processes, servers, exit clean-up
. "$bench/lib/sample.sh"	# RSS and CPU time of servers and PostgreSQL
. "$bench/lib/wrk.sh"		# the scenarios and their wrk runs
. "$bench/lib/pgbench.sh"	# database floors, pg_stat_statements
. "$bench/lib/data.sh"		# databases, fixtures, the wrk data file
. "$bench/lib/reference.sh"	# the Django reference, measured alongside
. "$bench/lib/report.sh"	# results/<time>.json and .md

. "$bench/phases/setup.sh"	# packages, build, PostgreSQL, the reference
. "$bench/phases/small.sh"	# ceiling, scenarios (and the reference), floors
if [ "$BENCH_LOGIN" = 1 ]; then
	. "$bench/phases/login.sh"	# detail p99 without and with logins
fi
if [ "$BENCH_SOAK" = 1 ]; then
	. "$bench/phases/soak.sh"	# worker RSS over many requests
fi
stop_server "$small_pid"
if [ "$BENCH_TLS" = 1 ]; then
	. "$bench/phases/tls.sh"	# full and resumed TLS handshakes/s
fi
if [ "$BENCH_CLUSTER" = 1 ]; then	# one instance, two behind HAProxy, PgBouncer
	BENCH_ENV="$env" BENCH_DATA="$data" BENCH_OUT="$work/cluster" \
	    "$bench/phases/cluster.sh"
fi
if [ "$BENCH_SCALE" = 1 ]; then
	. "$bench/phases/scale.sh"	# 10,000 tenants, 1,000,000 tasks
fi
report
