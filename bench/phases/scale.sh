# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The scale data set (BENCH_SCALE_TENANTS tenants, database
# mtapi_bench_scale, kept between runs): the read scenarios and their
# floors again, on a server of its own.

sdb=mtapi_bench_scale
senv="$state/env.scale"
bench_env "$senv" "$sdb"
sfixture="$state/tokens.scale.json"
port=$BENCH_SCALE_PORT
url="http://127.0.0.1:$port"
tools/dev/pg.sh ensure-db "$sdb"
if [ "$BENCH_SCALE_REBUILD" = 1 ] ||
    ! fixture_usable "$sdb" "$senv" "$sfixture" "$BENCH_SCALE_TENANTS"; then
	make_data "$sdb" "$senv" "$sfixture" "$BENCH_SCALE_TENANTS" \
	    "$BENCH_SCALE_PROJECTS" "$BENCH_SCALE_TASKS" "$url"
else
	say "$sdb: reusing the scale data set ($BENCH_SCALE_TENANTS tenants; BENCH_SCALE_REBUILD=1 makes it again)"
	# The data, not the schema: this tree's migrations apply.
	"$admin" --env "$senv" migrate >/dev/null
	delete_bench_rows psql_app "$sdb"
fi
start_server scale "$senv" "$port"
scale_pid=$server_pid
log="$state/scale.log"
data=$(wrk_data psql_app "$sdb" "$sfixture" "$work/scale")
floor_tables "$sdb" "$sfixture" "$work/scale"
cleanup_dbs="$cleanup_dbs $sdb"
psql_app "$sdb" -At -c "SELECT json_build_object(
    'tenants', (SELECT count(*) FROM tenants),
    'projects', (SELECT count(*) FROM projects),
    'tasks', (SELECT count(*) FROM tasks),
    'database_mib', pg_database_size(current_database()) / 1048576)" \
    >"$work/scale/size.json"
say "scale data set: $(jq -c . "$work/scale/size.json")"
pgss_reset "$sdb"
for s in $read_scenarios; do
	run_scenario scale "$s"
done
pgss_top "$sdb" "$work/scale/pgss_reads.json"
# The ratios to the small set from adjacent runs (run_pairs): the small
# set's server again, next to this one.
if [ "$BENCH_SCALE_PAIRS" = 1 ] && [ "$BENCH_SERVER" = own ]; then
	start_server small "$env" "$BENCH_PORT"
	pairs_pid=$server_pid
	for s in projects_list project_detail; do
		case " $read_scenarios " in *" $s "*)
			run_pairs "$s" "http://127.0.0.1:$BENCH_PORT" \
			    "$work/small/data.tsv" ;;
		esac
	done
	stop_server "$pairs_pid"
fi
if [ "$BENCH_FLOORS" = 1 ]; then
	for s in $read_scenarios; do
		run_floor scale "$s" "$sdb"
	done
fi
stop_server "$scale_pid"
