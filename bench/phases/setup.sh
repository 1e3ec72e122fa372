# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Set-up: packages, keys, build; the bench servers' settings; the
# project-local PostgreSQL (its durability recorded: it is part of every
# figure); the Django reference with fresh tokens.

tools/dev/deps.sh bench
tools/dev/keys.sh >/dev/null
make --no-print-directory build
for tool in wrk pgbench psql jq curl ss kore; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

mkdir -p "$state" "$work" "$BENCH_RESULTS"
find "$state" -maxdepth 1 -name 'run-*' -mtime +2 -exec rm -rf {} + \
    2>/dev/null || true

service_env

# Databases whose schema bench is dropped at the end (before the cluster
# stops).
cleanup_dbs=""
at_exit drop_floor_tables
pg_start

psql_su postgres -At -c "SELECT json_build_object('fsync', current_setting('fsync'),
    'synchronous_commit', current_setting('synchronous_commit'),
    'full_page_writes', current_setting('full_page_writes'),
    'shared_buffers', current_setting('shared_buffers'),
    'server_version', current_setting('server_version'))" \
    >"$work/postgres.json"

if [ "$BENCH_DJANGO" = 1 ]; then
	reference_start
fi
