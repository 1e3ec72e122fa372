#!/bin/sh
# make slowclients / make chaos: the reliability checks of
# docs/reliability.md against a server of their own.
#
#   1. packages, keys, build
#   2. a fresh database (RELIAB_DB, default mtapi_chaos) in the
#      project-local PostgreSQL cluster, migrations, a small test data set
#   3. a server with the shipped conf/mtapi.conf on 127.0.0.1:RELIAB_PORT
#   4. tests/reliability/slowclients.py or chaos.py, which print their
#      table and exit non-zero on a missed figure
#   5. the server's log must hold no sandbox violation; everything is
#      stopped and the database dropped again
#
# usage: tests/reliability/run.sh slowclients|chaos
# Environment: DB_PORT (the cluster's port, as for make test), RELIAB_PORT
# (default 18610), RELIAB_DB, RELIAB_KEEP=1 (keep .build/reliability).
# Loopback only; every phase is bounded in time and connections.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

what="${1:-}"
case "$what" in
slowclients|chaos) ;;
*)	echo "usage: $0 slowclients|chaos" >&2; exit 2 ;;
esac

port="${RELIAB_PORT:-18610}"
db="${RELIAB_DB:-mtapi_chaos}"
t="$top/.build/reliability/$what"
appdir="$top/.build/mtapi"
admin="$top/.build/bin/mtapi-admin"
python=/usr/bin/python3

tools/dev/deps.sh run
[ -x "$python" ] || {
	echo "reliability: $python is missing (Debian's python3)" >&2
	exit 1
}
tools/dev/keys.sh >/dev/null
make --no-print-directory build

rm -rf "$t"
mkdir -p "$t"
umask 077

# The server's and the CLI's settings: fresh secrets every run. The
# fixture tenants get a rate limit no phase reaches.
cat >"$t/env" <<EOF
DEBUG=True
SECRET_KEY=$(openssl rand -hex 32)
JWT_SIGNING_KEY=$(openssl rand -hex 32)
JWT_ALGORITHM=HS256
JWT_ACCESS_TOKEN_LIFETIME_MINUTES=60
JWT_ISSUER=mtapi-reliability
JWT_AUDIENCE=mtapi-reliability
DB_NAME=$db
DB_USER=mtapi_chaos
DB_PASSWORD=$(openssl rand -hex 16)
DB_HOST=127.0.0.1
DB_PORT=${DB_PORT:-54329}
ALLOWED_HOSTS=localhost,127.0.0.1
LOG_LEVEL=WARNING
EOF
export MTAPI_ENV_FILE="$t/env"
set -a
. "$t/env"
set +a

pg_was_up=0
tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
tools/dev/pg.sh start
tools/dev/pg.sh drop-db "$db"
tools/dev/pg.sh ensure-db "$db"
"$admin" --env "$t/env" migrate
"$admin" --env "$t/env" create-test-data --tenants 4 \
    --projects-per-tenant 5 --tasks-per-project 2 \
    --base-url "http://127.0.0.1:$port" --out "$t/tokens.json" >/dev/null
for slug in $(jq -r '.tenants[].slug' "$t/tokens.json"); do
	"$admin" --env "$t/env" set-rate-limit --tenant "$slug" \
	    --per-minute 10000000 2>/dev/null
done

# The shipped configuration, on our port.
sed -e "s|^\(\tbind\t\)127.0.0.1 8000|\1127.0.0.1 $port|" \
    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $((port + 10000))|" \
    conf/mtapi.conf >"$t/server.conf"
echo "pidfile $t/server.pid" >>"$t/server.conf"
grep -q "127.0.0.1 $port" "$t/server.conf"

server=""

finish() {
	rc=$?
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server" 2>/dev/null || true
		i=0
		while kill -0 "$server" 2>/dev/null && [ "$i" -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		kill -KILL "$server" 2>/dev/null || true
	fi
	tools/dev/pg.sh start >/dev/null 2>&1 || true
	tools/dev/pg.sh drop-db "$db" >/dev/null 2>&1 || true
	if [ "$pg_was_up" = 0 ]; then
		tools/dev/pg.sh stop >/dev/null 2>&1 || true
	fi
	if [ "${RELIAB_KEEP:-0}" != 1 ]; then
		rm -f "$t/env" "$t/tokens.json"
	fi
	exit "$rc"
}
trap finish EXIT INT TERM

# Open files: the slow-client checks hold thousands of sockets (dash and
# bash both have ulimit -n).
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true

(cd "$appdir" && exec stdbuf -oL kore -fnrc "$t/server.conf" \
    >"$t/server.log" 2>&1) &
server=$!

i=0
until curl -sf -o /dev/null "http://127.0.0.1:$port/health/"; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then
		echo "reliability: the server did not come up" >&2
		cat "$t/server.log" >&2
		exit 1
	fi
	sleep 0.2
done

rc=0
"$python" "tests/reliability/$what.py" --port "$port" \
    --fixture "$t/tokens.json" --server-pid "$server" \
    --server-log "$t/server.log" --conf "$t/server.conf" \
    --pg "$top/tools/dev/pg.sh" \
    --db "$db" || rc=$?

if grep -a -E 'sandbox violation' "$t/server.log" >/dev/null; then
	echo "reliability: sandbox violations in $t/server.log" >&2
	rc=1
fi
exit "$rc"
