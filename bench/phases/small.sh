# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The small data set: the HTTP ceiling (/health/live/) and the least a
# database route costs (/health/), then each scenario on the project and
# right after it on the Django reference, and the project's database
# floors. Rows a write scenario adds are deleted after it, on both sides.

if [ "$BENCH_SERVER" = own ]; then
	db=mtapi_bench
	env="$state/env"
	bench_env "$env" "$db"
	fixture="$state/tokens.json"
	port=$BENCH_PORT
	url="http://127.0.0.1:$port"
	if [ "$BENCH_REUSE_DATA" = 1 ] &&
	    fixture_usable "$db" "$env" "$fixture" "$BENCH_TENANTS"; then
		say "$db: reusing the data set (BENCH_REUSE_DATA=1)"
		# The data, not the schema: this tree's migrations apply.
		"$admin" --env "$env" migrate >/dev/null
	else
		make_data "$db" "$env" "$fixture" "$BENCH_TENANTS" \
		    "$BENCH_PROJECTS" "$BENCH_TASKS" "$url"
	fi
	if [ "$BENCH_TRACK_ALL" = 1 ]; then
		psql_su "$db" -c "ALTER DATABASE $db SET pg_stat_statements.track = 'all'"
	else
		psql_su "$db" -c "ALTER DATABASE $db RESET pg_stat_statements.track"
	fi >/dev/null
	start_server small "$env" "$port"
	small_pid=$server_pid
	log="$state/small.log"
else
	env="$base_env"
	db=$(envget "$env" DB_NAME)
	fixture="$top/test_tokens.json"
	url=$BENCH_URL
	port=${url##*:}
	port=${port%%/*}
	log=/dev/null
	small_pid=""
	[ -f "$fixture" ] || die "no test_tokens.json: start the server with make run"
	curl -sf -o /dev/null "$url/health/" || die "no server answers $url/health/"
	port_busy "$port" || die "BENCH_URL must be a local port of this machine"
	say "using the running server at $url, database $db"
	cleanup_dbs="$db"
fi
case "$url" in http://127.0.0.1:*|http://localhost:*) ;; *)
	die "load tests target loopback only ($url)" ;;
esac

data=$(wrk_data psql_app "$db" "$fixture" "$work/small")
floor_tables "$db" "$fixture" "$work/small"
cleanup_dbs=${cleanup_dbs:-$db}
check_routes "$url" "$data"
delete_bench_rows psql_app "$db"

say "small data set: $BENCH_THREADS wrk threads, $BENCH_CONNECTIONS connections, $BENCH_RUNS × ${BENCH_DURATION}s per figure"
run_scenario small health_live
# Kore + libpq + one trivial statement: what any DB route costs at least.
run_scenario small health_db

pgss_reset "$db"
for s in $read_scenarios; do
	run_scenario small "$s"
	reference_scenario "$s"
done
pgss_top "$db" "$work/small/pgss_reads.json"
if [ "$BENCH_FLOORS" = 1 ]; then
	for s in $read_scenarios; do
		run_floor small "$s" "$db"
	done
fi

pgss_reset "$db"
if has_scenario task_create; then
	run_scenario small task_create
	if [ "$BENCH_FLOORS" = 1 ]; then
		run_floor small task_create "$db"
	fi
	delete_bench_rows psql_app "$db"
	reference_scenario task_create
fi
if has_scenario login; then
	run_scenario small login
	reference_scenario login
fi
pgss_top "$db" "$work/small/pgss_writes.json"
