# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Settings: every BENCH_* variable with its default (bench/README.md lists
# them), the paths of a run, messages, and the environment the bench
# servers get. Sourced by bench/run.sh, which sets top and bench.

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_DURATION:=3}" "${BENCH_RUNS:=1}" "${BENCH_WARMUP:=1}"
	: "${BENCH_SOAK_REQUESTS:=20000}" "${BENCH_SCALE:=0}"
	: "${BENCH_CLUSTER:=0}"
fi
: "${BENCH_SERVER:=own}"		# own | running
: "${BENCH_PORT:=18580}"
: "${BENCH_SCALE_PORT:=18581}"
: "${BENCH_URL:=http://127.0.0.1:8000}"	# BENCH_SERVER=running only
: "${BENCH_DURATION:=10}"		# seconds per measured run
: "${BENCH_RUNS:=3}"			# runs per figure (median)
: "${BENCH_WARMUP:=2}"			# seconds, not recorded
: "${BENCH_THREADS:=2}"
: "${BENCH_CONNECTIONS:=32}"
: "${BENCH_SCENARIOS:=projects_list project_detail task_create project_stats login tasks_filtered}"
: "${BENCH_FLOORS:=1}"			# pgbench floors
: "${BENCH_PGBENCH_CLIENTS:=8}"
: "${BENCH_PGBENCH_THREADS:=2}"
: "${BENCH_LOGIN:=1}"			# login-interference scenario
: "${BENCH_LOGIN_RATE:=20}"
: "${BENCH_LOGIN_CONNECTIONS:=20}"	# the pacer holds its rate while a login takes < c / rate s
: "${BENCH_SOAK:=1}"
: "${BENCH_TLS:=1}"			# full and resumed TLS handshakes/s
: "${BENCH_CLUSTER:=1}"			# HAProxy + two instances + PgBouncer
: "${BENCH_SOAK_REQUESTS:=1000000}"
: "${BENCH_SOAK_CHUNK:=30}"		# seconds per soak chunk
: "${BENCH_SCALE:=1}"
: "${BENCH_SCALE_TENANTS:=10000}"
: "${BENCH_SCALE_PROJECTS:=20}"
: "${BENCH_SCALE_TASKS:=5}"
: "${BENCH_SCALE_REBUILD:=0}"
: "${BENCH_SCALE_PAIRS:=1}"	# the scale ratios from adjacent runs too
: "${BENCH_TENANTS:=50}"
: "${BENCH_PROJECTS:=100}"
: "${BENCH_TASKS:=5}"
: "${BENCH_REUSE_DATA:=0}"		# 1: keep mtapi_bench as it is
: "${BENCH_LOG_LEVEL:=INFO}"		# the bench servers' LOG_LEVEL
: "${BENCH_TOKEN_MINUTES:=10080}"	# access token lifetime of the fixtures
: "${BENCH_POOL:=20000}"		# requests pre-formatted per wrk thread
: "${BENCH_TRACK_ALL:=0}"		# 1: pg_stat_statements.track = all
: "${BENCH_KEEP_SERVER:=0}"		# 1: leave the bench server running
: "${BENCH_RESULTS:=$bench/results}"

# The Django reference (lib/reference.sh), measured side by side with the
# project in the small phase. The ANCHOR_* and DJANGO_REF_HOME defaults
# are the reference's own (its README).
: "${BENCH_DJANGO:=1}"			# 0: skip the reference
: "${BENCH_DJANGO_DIR:=$top/../shared/reference/django}"
: "${DJANGO_REF_HOME:=/tmp/django-reference}"
: "${ANCHOR_PORT:=8100}"
: "${ANCHOR_PGPORT:=55433}"
: "${ANCHOR_PGDATA:=/tmp/django-reference-pg}"

# The warm-up of login interference and soak, which also tells the soak
# its rate: 1 s at least.
warm=$BENCH_WARMUP
[ "$warm" -ge 1 ] || warm=1

# The side a phase measures: mtapi, or the Django reference (on_reference).
side=mtapi

state="$top/.build/bench"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$state/run-$stamp"
admin="$top/.build/bin/mtapi-admin"
app="$top/.build/mtapi"

case "$BENCH_SERVER" in own|running) ;; *)
	echo "bench: BENCH_SERVER must be own or running" >&2; exit 2 ;;
esac

say() {
	printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

# A value of an env file (the last assignment wins, as in settings.c).
envget() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# The service reads its settings from the environment before its env file
# (setenv without overwrite): nothing of ours may leak into it. Reads the
# database of .env (an exported DB_PORT wins) and keeps the bench servers'
# own keys in .build/bench/secrets, so that the scale fixture's tokens stay
# valid between runs.
service_env() {
	local db_port_override="${DB_PORT:-}"
	unset DB_NAME DB_HOST DB_PORT DB_USER DB_PASSWORD DATABASE_URL \
	    LOG_LEVEL SECRET_KEY JWT_SIGNING_KEY JWT_ALGORITHM \
	    JWT_PRIVATE_KEY_FILE JWT_PUBLIC_KEY_FILE \
	    JWT_ACCESS_TOKEN_LIFETIME_MINUTES JWT_ISSUER JWT_AUDIENCE \
	    MTAPI_ENV_FILE DEBUG
	base_env="$top/.env"
	[ -f "$base_env" ] || die "no .env (tools/dev/keys.sh makes it)"
	DB_HOST=$(envget "$base_env" DB_HOST)
	DB_PORT=${db_port_override:-$(envget "$base_env" DB_PORT)}
	DB_USER=$(envget "$base_env" DB_USER)
	DB_PASSWORD=$(envget "$base_env" DB_PASSWORD)
	: "${DB_HOST:=127.0.0.1}" "${DB_PORT:=54329}" "${DB_USER:=mtapi}"
	# tools/dev/pg.sh reads these three.
	export DB_PORT DB_USER DB_PASSWORD
	if [ ! -f "$state/secrets" ]; then
		(umask 077; {
			echo "SECRET_KEY=$(openssl rand -hex 32)"
			echo "JWT_SIGNING_KEY=$(openssl rand -hex 32)"
		} >"$state/secrets")
	fi
}

# The bench servers' settings: .env with the bench database, the bench
# keys and long-lived fixture tokens.
bench_env() {	# FILE DBNAME
	(umask 077; {
		grep -v -E '^(SECRET_KEY|JWT_SIGNING_KEY|JWT_ALGORITHM|JWT_PRIVATE_KEY_FILE|JWT_PUBLIC_KEY_FILE|JWT_ACCESS_TOKEN_LIFETIME_MINUTES|DB_NAME|DB_PORT|DATABASE_URL|LOG_LEVEL|DEBUG|TRUSTED_PROXIES)=' \
		    "$base_env" || true
		cat "$state/secrets"
		echo "DEBUG=True"
		echo "JWT_ALGORITHM=HS256"
		echo "JWT_ACCESS_TOKEN_LIFETIME_MINUTES=$BENCH_TOKEN_MINUTES"
		echo "DB_NAME=$2"
		echo "DB_PORT=$DB_PORT"
		echo "LOG_LEVEL=$BENCH_LOG_LEVEL"
		# All logins come from 127.0.0.1, standing for many users: the
		# per-address bound on password checks would bounce them.
		echo "AUTH_LOGINS_IN_FLIGHT_PER_IP=1000"
		echo "AUTH_LOGINS_IN_FLIGHT_PER_WORKER=1000"
		# The login scenarios send each login from an address of
		# 10.0.0.0/8 (bench/lua/common.lua, M.login) through
		# X-Forwarded-For: the per-address counts are then spread
		# as many users' would be.
		echo "TRUSTED_PROXIES=127.0.0.1"
	} >"$1")
}

psql_app() {	# DB psql-args...
	local db=$1
	shift
	PGPASSWORD="$DB_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 \
	    -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$db" "$@"
}

psql_su() {	# DB psql-args...
	local db=$1
	shift
	tools/dev/pg.sh psql -d "$db" "$@"
}
