# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The database's own figures: the floors (each scenario's SQL through
# pgbench -M prepared, bench/pgbench/*.sql, over the helper tables of
# schema bench) and the statements that took the most time
# (pg_stat_statements).

# The pgbench helper tables: every active tenant of FIXTURE with its
# token's principal, and their projects. Sets ntenants, ntargets.
floor_tables() {	# DB FIXTURE OUTDIR
	local db=$1 fixture=$2 dir=$3
	jq -r 'def b64url: gsub("-"; "+") | gsub("_"; "/")
	    | . + ("=" * ((4 - length % 4) % 4)) | @base64d;
	    [.tenants[] | select(.is_active)] | to_entries[]
	    | (.value.access_token | split(".")[1] | b64url | fromjson) as $c
	    | [.key + 1, $c.tenant, $c.auth_type, $c.sub,
	       ($c.sid // "\\N")] | @tsv' "$fixture" >"$dir/principals.tsv"
	psql_app "$db" -f "$bench/pgbench/setup.sql" >/dev/null
	psql_app "$db" -c "\\copy bench.principals FROM '$dir/principals.tsv'"
	psql_app "$db" -f "$bench/pgbench/targets.sql" >/dev/null
	ntenants=$(psql_app "$db" -At -c 'SELECT count(*) FROM bench.principals')
	ntargets=$(psql_app "$db" -At -c 'SELECT count(*) FROM bench.targets')
	[ "$ntenants" -gt 0 ] || die "$db: no active tenants in $fixture"
	[ "$ntargets" -gt 0 ] || die "$db: the tenants have no projects"
	say "$db: $ntenants tenants, $ntargets projects in the load"
}

# The schema bench goes again at the end (an exit hook).
drop_floor_tables() {
	local db
	for db in $cleanup_dbs; do
		psql_app "$db" -c 'DROP SCHEMA IF EXISTS bench CASCADE' \
		    >/dev/null 2>&1 || true
	done
}

# run_floor PHASE NAME DB: the scenario's SQL through pgbench -M prepared.
run_floor() {
	local phase=$1 name=$2 db=$3 dir="$work/$1" i f secs per
	f="$bench/pgbench/$name.sql"
	[ -f "$f" ] || return 0
	# A script whose transaction does several requests' work says so.
	per=$(sed -n 's/^-- creates per transaction: \([0-9][0-9]*\)$/\1/p' "$f")
	per=${per:-1}
	say "$phase: database floor of $name: pgbench -M prepared -c $BENCH_PGBENCH_CLIENTS -j $BENCH_PGBENCH_THREADS, $BENCH_RUNS × ${BENCH_DURATION}s"
	for i in $(seq 0 "$BENCH_RUNS"); do
		# Run 0 is the warm-up (plans cached in the connections, data
		# in shared buffers), not recorded.
		secs=$BENCH_DURATION
		if [ "$i" = 0 ]; then
			[ "$BENCH_WARMUP" -gt 0 ] || continue
			secs=$BENCH_WARMUP
		fi
		if ! PGPASSWORD="$DB_PASSWORD" pgbench -n -M prepared \
		    -c "$BENCH_PGBENCH_CLIENTS" -j "$BENCH_PGBENCH_THREADS" \
		    -T "$secs" -D ntenants="$ntenants" -D ntargets="$ntargets" \
		    -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -f "$f" "$db" \
		    >"$dir/$name.floor.$i.txt" 2>&1; then
			cat "$dir/$name.floor.$i.txt" >&2
			die "pgbench failed ($name)"
		fi
	done
	for i in $(seq 1 "$BENCH_RUNS"); do
		awk -v per="$per" '
		/^tps = / { tps = $3 * per }
		/^latency average = / { lat = $4 }
		/^number of failed transactions: / { failed = $5 }
		/^number of transactions actually processed: / { n = $6 }
		END { printf "{\"tps\":%s,\"latency_ms\":%s,\"failed\":%s,\"transactions\":%s}\n",
		    tps + 0, lat + 0, failed + 0, n + 0 }' \
		    "$dir/$name.floor.$i.txt"
	done | jq -s "$jq_median"'{runs: ., tps: (map(.tps) | median),
	    latency_ms: (map(.latency_ms) | median),
	    failed: (map(.failed) | add)}' >"$dir/$name.floor.json"
	jq -r '"  floor: \(.tps | floor) tps, \(.latency_ms) ms average, failed \(.failed)"' \
	    "$dir/$name.floor.json" >&2
}

pgss_reset() {	# DB
	psql_su "$1" -c 'SELECT pg_stat_statements_reset()' >/dev/null 2>&1 || true
}

# The statements that took the most time since the reset.
pgss_top() {	# DB OUT
	psql_su "$1" -At -c "SELECT COALESCE(json_agg(x), '[]') FROM (
	    SELECT regexp_replace(left(query, 160), '\\s+', ' ', 'g') AS query,
	    calls, round(total_exec_time::numeric, 1) AS total_ms,
	    round(mean_exec_time::numeric, 3) AS mean_ms,
	    round((100 * total_exec_time / NULLIF(sum(total_exec_time)
		OVER (), 0))::numeric, 1) AS pct,
	    shared_blks_hit + shared_blks_read AS blocks,
	    round(((shared_blks_hit + shared_blks_read)::numeric
		/ NULLIF(calls, 0)), 1) AS blocks_per_call
	    FROM pg_stat_statements
	    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
	    ORDER BY total_exec_time DESC LIMIT 15) x" >"$2" 2>/dev/null ||
	    echo '[]' >"$2"
}
