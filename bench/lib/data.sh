# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Data: the benchmark databases and their fixtures, the wrk data file made
# from a fixture, and the rows the write scenarios add. Functions that
# read a database take the psql to use (psql_app, or the reference's
# psql_ref) and the database name.

# Make DB from scratch with the given test data set; fixture to FIXTURE.
make_data() {	# DB ENVFILE FIXTURE TENANTS PROJECTS TASKS BASEURL
	local db=$1 env=$2 fixture=$3
	say "$db: fresh database, migrations, test data ($4 tenants × $5 projects × $6 tasks)"
	tools/dev/pg.sh drop-db "$db"
	tools/dev/pg.sh ensure-db "$db"
	"$admin" --env "$env" migrate >/dev/null
	# The benchmark measures the server, not the limiter: its tenants get
	# the highest limit there is (the fixture's default is 6,000/min).
	"$admin" --env "$env" create-test-data --tenants "$4" \
	    --projects-per-tenant "$5" --tasks-per-project "$6" \
	    --rate-limit 100000000 \
	    --base-url "$7" --out "$fixture" >/dev/null
	psql_su "$db" -c 'VACUUM (ANALYZE)'
	# The load's dirty pages written now, not by checkpoints under the
	# first scenarios (the scale set's came 10 s apart for a minute).
	psql_su "$db" -c 'CHECKPOINT' >/dev/null
}

# When the first tenant's access token of FIXTURE expires (Unix time).
token_claim() {	# FIXTURE PART(0 header, 1 claims) NAME
	jq -r --argjson p "$2" --arg n "$3" '.tenants[0].access_token
	    | split(".")[$p] | gsub("-"; "+") | gsub("_"; "/")
	    | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson
	    | .[$n] // empty' "$1"
}

# The fixture's tokens must verify with ENV's key, name it (kid), live long
# enough, and the database must hold its tenants.
fixture_usable() {	# DB ENVFILE FIXTURE TENANTS
	local db=$1 env=$2 fixture=$3 key exp n
	[ -f "$fixture" ] || return 1
	key=$(envget "$env" JWT_SIGNING_KEY)
	[ "$(jq -r '.jwt.signing_key' "$fixture")" = "$key" ] || return 1
	[ "$(jq '.tenants | length' "$fixture")" = "$4" ] || return 1
	exp=$(token_claim "$fixture" 1 exp) || return 1
	[ -n "$exp" ] && [ "$exp" -gt $(($(date +%s) + 6 * 3600)) ] || return 1
	# Tokens made before the key ring carry no kid: the server refuses them.
	[ -n "$(token_claim "$fixture" 0 kid)" ] || return 1
	n=$(psql_app "$db" -At -c 'SELECT count(*) FROM tenants' 2>/dev/null) ||
	    return 1
	[ "$n" = "$4" ]
}

# The wrk data file (bench/lua/common.lua): every active tenant of FIXTURE
# with its token, login and projects (ids read from the database). Prints
# the file's path.
wrk_data() {	# PSQL DB FIXTURE OUTDIR
	local psql=$1 db=$2 fixture=$3 dir=$4
	mkdir -p "$dir"
	"$psql" "$db" -At -c "SELECT COALESCE(json_object_agg(tenant_id, ids), '{}')
	    FROM (SELECT tenant_id, string_agg(id::text, ',' ORDER BY id) AS ids
	    FROM projects GROUP BY tenant_id) x" >"$dir/projects.json"
	jq -r --slurpfile P "$dir/projects.json" '.tenants[]
	    | select(.is_active)
	    | [.id, .access_token, .username, .password, ($P[0][.id] // "")]
	    | @tsv' "$fixture" >"$dir/data.tsv"
	echo "$dir/data.tsv"
}

# Rows the write scenarios made (tasks titled "bench ..."): gone again, so
# that every scenario reads the same data set.
delete_bench_rows() {	# PSQL DB
	"$1" "$2" -c "DELETE FROM tasks WHERE title LIKE 'bench %'" \
	    -c 'VACUUM (ANALYZE) tasks' >/dev/null
}
