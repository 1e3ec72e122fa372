# The set-up of make run and make cluster, sourced by tools/dev/run.sh and
# tools/dev/cluster.sh: the packages (setup_deps: run or cluster), keys
# and .env, the project-local PostgreSQL and the database, the build, the
# migrations, and the test data (again when its tokens have expired).
# Leaves .env's settings exported and pg_was_up set (1: PostgreSQL was
# running before, so leave it running).

tools/dev/deps.sh "${setup_deps:-run}"
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
