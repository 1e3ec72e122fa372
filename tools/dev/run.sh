#!/bin/sh
# make run: everything a fresh Debian 12 machine needs, then the server in
# the foreground on http://127.0.0.1:8000. Ctrl-C or SIGTERM stops it
# cleanly (and the PostgreSQL cluster, if this run started it); running it
# again reuses the database.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

tools/dev/deps.sh run
tools/dev/keys.sh

set -a
. ./.env
set +a

pg_was_up=0
tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
tools/dev/pg.sh ensure-db "$DB_NAME"

make --no-print-directory build
.build/bin/mtapi-admin migrate

# The test data once; again (replacing the test tenants) when the access
# tokens it handed out have expired, or have no kid (made before the key
# ring: the server refuses them).
token_part() {
	part=$(jq -r '.tenants[0].access_token' test_tokens.json |
	    cut -d. -f"$1" | tr '_-' '/+')
	while [ $((${#part} % 4)) -ne 0 ]; do part="$part="; done
	printf '%s' "$part" | base64 -d 2>/dev/null
}
token_expired() {
	exp=$(token_part 2 | jq -r .exp)
	kid=$(token_part 1 | jq -r '.kid // empty')
	[ -z "$exp" ] || [ "$exp" -le "$(date +%s)" ] || [ -z "$kid" ]
}
if [ ! -f test_tokens.json ]; then
	.build/bin/mtapi-admin create-test-data --out test_tokens.json
elif token_expired; then
	echo "run: the test tokens have expired: making the test data again"
	.build/bin/mtapi-admin create-test-data --replace --out test_tokens.json
fi

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
