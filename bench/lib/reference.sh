# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The Django reference (BENCH_DJANGO_DIR, its README): the same API built
# the way the original service was, measured in the same run with the same
# wrk scripts over the same data shape, so that every scenario is reported
# as a ratio to it. It runs from its writable copy DJANGO_REF_HOME, serves
# 127.0.0.1:$ANCHOR_PORT and keeps its data in its own PostgreSQL
# (127.0.0.1:$ANCHOR_PGPORT, role, database and password "anchor").

ref_url="http://127.0.0.1:$ANCHOR_PORT"
ref_fixture="$DJANGO_REF_HOME/test_tokens.json"
ref_data=""
ref_was_up=0
ref_remade=false

psql_ref() {	# DB psql-args...
	local db=$1
	shift
	PGPASSWORD=anchor psql -X -q -v ON_ERROR_STOP=1 \
	    -h 127.0.0.1 -p "$ANCHOR_PGPORT" -U anchor -d "$db" "$@"
}

# gunicorn's master and its workers: "PID NAME" lines (names that are not
# Kore's wrk_N, so that no target on the project's workers counts them).
reference_processes() {
	local m p n=0
	m=$(cat "$DJANGO_REF_HOME/gunicorn.pid" 2>/dev/null) || return 0
	if [ -z "$m" ] || ! kill -0 "$m" 2>/dev/null; then
		return 0
	fi
	echo "$m gunicorn_master"
	for p in $(pgrep -P "$m" | sort -n); do
		n=$((n + 1))
		echo "$p gunicorn_$n"
	done
}

# Why the reference's data must be made again (nothing if it need not):
# its fixture is missing, its access tokens expire within the hour, or
# its data set is not the shape of ours.
reference_stale() {
	local exp counts want
	[ -s "$ref_fixture" ] || { echo "no fixture"; return; }
	exp=$(token_claim "$ref_fixture" 1 exp 2>/dev/null) || exp=0
	[ -n "$exp" ] || exp=0
	[ "$exp" -gt $(($(date +%s) + 3600)) ] ||
	    { echo "its access tokens expire within the hour"; return; }
	counts=$(psql_ref anchor -At -F ' ' -c "SELECT
	    (SELECT count(*) FROM tenants), (SELECT count(*) FROM projects),
	    (SELECT count(*) FROM tasks WHERE title NOT LIKE 'bench %')" \
	    2>/dev/null) || { echo "its database does not answer"; return; }
	want="$BENCH_TENANTS $((BENCH_TENANTS * BENCH_PROJECTS)) $((BENCH_TENANTS * BENCH_PROJECTS * BENCH_TASKS))"
	[ "$counts" = "$want" ] ||
	    echo "its data set ($counts tenants, projects, tasks) is not $want"
	[ "$(jq '.tenants | length' "$ref_fixture")" = "$BENCH_TENANTS" ] ||
	    echo "its fixture has not $BENCH_TENANTS tenants"
}

# The reference's run.sh (idempotent: packages, its PostgreSQL, data,
# gunicorn restarted); FORCE 1 makes its data and tokens again, for the
# reason WHY. Sets ref_data, the wrk data file.
reference_run() {	# FORCE [WHY]
	say "Django reference: run.sh${2:+ with FORCE_DATA=1 ($2)}"
	if ! TENANTS=$BENCH_TENANTS PROJECTS=$BENCH_PROJECTS \
	    TASKS=$BENCH_TASKS FORCE_DATA=$1 DJANGO_REF_HOME=$DJANGO_REF_HOME \
	    ANCHOR_PORT=$ANCHOR_PORT ANCHOR_PGPORT=$ANCHOR_PGPORT \
	    ANCHOR_PGDATA=$ANCHOR_PGDATA "$BENCH_DJANGO_DIR/run.sh" \
	    >>"$work/reference/run.log" 2>&1; then
		tail -n 20 "$work/reference/run.log" >&2
		die "the Django reference did not start ($work/reference/run.log)"
	fi
	[ "$1" = 1 ] && ref_remade=true
	ref_data=$(wrk_data psql_ref anchor "$ref_fixture" "$work/reference")
}

# Start (or restart) the reference with fresh tokens and our data shape,
# without bench rows; stopped at the end if it was not running before.
reference_start() {
	local why tok code
	[ -x "$BENCH_DJANGO_DIR/run.sh" ] ||
	    die "no Django reference in $BENCH_DJANGO_DIR (set BENCH_DJANGO_DIR, or BENCH_DJANGO=0 to skip it)"
	mkdir -p "$work/reference"
	curl -sf -o /dev/null "$ref_url/health/" && ref_was_up=1
	at_exit reference_stop
	# run.sh first: its PostgreSQL may have been stopped with it.
	reference_run 0
	why=$(reference_stale)
	if [ -n "$why" ]; then
		reference_run 1 "$(echo "$why" | head -n 1)"
	fi
	# Tokens signed with a key the reference no longer has: make them
	# again, once.
	tok=$(head -n 1 "$ref_data" | cut -f2)
	code=$(http_status /dev/null -H "Authorization: Bearer $tok" \
	    "$ref_url/api/v1/projects/")
	if [ "$code" = 401 ]; then
		reference_run 1 "its tokens are refused"
	fi
	check_routes "$ref_url" "$ref_data"
	delete_bench_rows psql_ref anchor
	psql_ref anchor -At -c "SELECT json_build_object(
	    'tenants', (SELECT count(*) FROM tenants),
	    'projects', (SELECT count(*) FROM projects),
	    'tasks', (SELECT count(*) FROM tasks),
	    'fsync', current_setting('fsync'),
	    'synchronous_commit', current_setting('synchronous_commit'),
	    'server_version', current_setting('server_version'))" |
	    jq -c --arg url "$ref_url" --argjson remade "$ref_remade" \
	    --argjson w "$(reference_processes | grep -vc master)" \
	    '{url: $url, gunicorn_workers: $w, data_remade: $remade,
	      data: {tenants, projects, tasks},
	      postgres: {fsync, synchronous_commit, server_version}}' \
	    >"$work/reference/info.json"
	say "Django reference at $ref_url: $(jq -c '.data' "$work/reference/info.json")"
}

# An exit hook: no bench rows left; stopped if the run started it.
reference_stop() {
	delete_bench_rows psql_ref anchor 2>/dev/null || true
	if [ "$ref_was_up" = 0 ] && [ "$BENCH_KEEP_SERVER" != 1 ]; then
		DJANGO_REF_HOME=$DJANGO_REF_HOME ANCHOR_PGDATA=$ANCHOR_PGDATA \
		    "$BENCH_DJANGO_DIR/stop.sh" >>"$work/reference/run.log" 2>&1
	fi
}

# Wait until every gunicorn worker is free: one /health/ request per
# worker, queued behind whatever the workers still have to serve.
reference_drain() {
	local p pids="" n
	n=$(reference_processes | grep -vc master) || n=4
	for _ in $(seq 1 "$n"); do
		curl -s -o /dev/null --max-time 60 "$ref_url/health/" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || true
	done
}

# Run CMD with the reference as the measured side (bash's locals are seen
# by the functions CMD calls).
on_reference() {	# CMD...
	local side=reference url=$ref_url port=$ANCHOR_PORT log=/dev/null \
	    data=$ref_data
	"$@"
}

# The scenario NAME on the reference ($work/reference/NAME.json), when it
# is measured; the rows a write scenario added are deleted after it.
reference_scenario() {	# NAME
	[ "$BENCH_DJANGO" = 1 ] || return 0
	on_reference run_scenario reference "$1"
	case "$(scenario_def "$1")" in
	*" write") delete_bench_rows psql_ref anchor ;;
	esac
}
