#!/bin/sh
# make run: everything a fresh Debian 12 machine needs, then the server in
# the foreground on http://127.0.0.1:8000. Ctrl-C or SIGTERM stops it
# cleanly (and the PostgreSQL cluster, if this run started it); running it
# again reuses the database.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

setup_deps=run
. tools/dev/setup.sh

cleanup() {
	if [ "$pg_was_up" = 0 ]; then
		tools/dev/pg.sh stop || true
	fi
}

cd .build/mtapi
echo "run: serving http://127.0.0.1:8000 (Ctrl-C to stop)"
# Line-buffered: Kore's parent output is otherwise copied into each worker.
stdbuf -oL kore -fnrc conf/mtapi.conf &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
if [ "$status" -gt 128 ]; then
	# A signal interrupted the wait: let Kore finish draining.
	status=0
	wait "$pid" || status=$?
fi
cd "$top"
cleanup
exit "$status"
