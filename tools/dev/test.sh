#!/bin/sh
# make test: the whole suite against the real server and a real, throw-away
# PostgreSQL database (mtapi_test in the project-local cluster).
#
#   1. packages, build (MTAPI_ASAN=1: AddressSanitizer + UBSan build)
#   2. a fresh database, migrations, a small test data set
#   3. four servers on their own ports: plain HTTP (conf/mtapi.conf) and
#      TLS (conf/mtapi-tls.conf) with HS256, and two more plain HTTP ones
#      with RS256 and ES256 key rings (and the leeway, refresh grace and
#      kid-less settings the key tests need), on the same database
#   4. the build's own rules (tests/build/), Criterion unit tests, the
#      fuzzing harnesses on their regression
#      inputs and seed corpora (tests/fuzz/, replayed once, no fuzzing),
#      then Criterion + libcurl integration tests, then the schema and
#      browser tests (tests/docs/)
#   5. the cluster tests (tools/dev/test-cluster.sh): two instances
#      behind HAProxy, through PgBouncer, and the Citus-ready schema
#      (MTAPI_TEST_ONLY=cluster, make test-cluster: these alone;
#      MTAPI_TEST_ONLY=test_limits, build, fuzz-replay or docs: that
#      one alone)
#   6. the servers' logs must hold no sandbox violation and no sanitizer
#      report; everything is stopped and dropped again
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

asan="${MTAPI_ASAN:-0}"
if [ "$asan" = 1 ]; then
	t="$top/.build/test-asan"
	appdir="$top/.build/asan/mtapi"
	bindir="$top/.build/asan/bin"
	makeflags="ASAN=1"
else
	t="$top/.build/test"
	appdir="$top/.build/mtapi"
	bindir="$top/.build/bin"
	makeflags=""
fi
only="${MTAPI_TEST_ONLY:-}"
# wanted NAME: whether MTAPI_TEST_ONLY lets the suite NAME run.
wanted() {
	[ -z "$only" ] || [ "$only" = "$1" ]
}
http_port="${MTAPI_TEST_HTTP_PORT:-18000}"
tls_port="${MTAPI_TEST_TLS_PORT:-18443}"
# Below the ephemeral range (32768), apart from everyone's HTTP and TLS
# ports: the operator listeners of the HTTP and TLS servers
# (conf/ops-routes.conf), the RS256 and ES256 servers and theirs.
ops_port="${MTAPI_TEST_OPS_PORT:-$((http_port + 10000))}"
tls_ops_port="${MTAPI_TEST_TLS_OPS_PORT:-$((tls_port + 10000))}"
rs256_port="${MTAPI_TEST_RS256_PORT:-$((http_port + 11000))}"
es256_port="${MTAPI_TEST_ES256_PORT:-$((http_port + 12000))}"
rs256_ops_port=$((http_port + 13000))
es256_ops_port=$((http_port + 14000))

tools/dev/deps.sh test
tools/dev/keys.sh >/dev/null
# shellcheck disable=SC2086
make --no-print-directory $makeflags build tests fuzz-replay

rm -rf "$t"
mkdir -p "$t"
umask 077

# Settings of the test servers and of the CLI: fresh secrets every run.
cat >"$t/env" <<EOF
DEBUG=True
SECRET_KEY=$(openssl rand -hex 32)
JWT_SIGNING_KEY=$(openssl rand -hex 32)
JWT_ALGORITHM=HS256
JWT_ACCESS_TOKEN_LIFETIME_MINUTES=60
JWT_REFRESH_TOKEN_LIFETIME_DAYS=1
JWT_ISSUER=mtapi-test
JWT_AUDIENCE=mtapi-test-clients
DB_NAME=mtapi_test
DB_USER=mtapi_test
DB_PASSWORD=$(openssl rand -hex 16)
DB_HOST=127.0.0.1
DB_PORT=${DB_PORT:-54329}
ALLOWED_HOSTS=localhost,127.0.0.1
CORS_ALLOWED_ORIGINS=http://allowed.example
LOG_LEVEL=INFO
TLS_RELOAD_SECONDS=1
JWT_KEYS_POLL_SECONDS=1
EOF
export MTAPI_ENV_FILE="$t/env"
set -a
. "$t/env"
set +a

pg_was_up=0
tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
tools/dev/pg.sh start
tools/dev/pg.sh drop-db mtapi_test
tools/dev/pg.sh ensure-db mtapi_test
# Every statement, nested ones too: the cluster phase's schema test reads
# what the suite ran inside the api functions.
tools/dev/pg.sh psql -c "ALTER DATABASE mtapi_test SET pg_stat_statements.track = 'all'"

if [ "$asan" = 1 ]; then
	# Leaks are checked in the unit tests and in the set-up commands
	# below; the servers (Kore's sandbox forbids LeakSanitizer's exit-time
	# scan) and the CLI's error exits run without the leak check.
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

admin="$bindir/mtapi-admin"
"$admin" --env "$t/env" migrate
"$admin" --env "$t/env" create-test-data --tenants 6 \
    --projects-per-tenant 5 --tasks-per-project 3 \
    --base-url "http://127.0.0.1:$http_port" --out "$t/tokens.json" >/dev/null
# The schema test reads what the suite ran, not the set-up: a migration
# rewrites whole tables on purpose (sql/R__060_bodies.sql). The full
# suite evicted those entries by its own; the cluster tests alone did not.
tools/dev/pg.sh psql -d mtapi_test -c 'SELECT pg_stat_statements_reset()' \
    >/dev/null

# The two servers' configurations: the shipped ones with test ports; the
# TLS one without chroot and privilege drop (the test reloads certs).
mkdir -p "$t/tls"
cp .keys/tls/server.pem .keys/tls/key.pem "$t/tls/"
sed -e "s|^\(\tbind\t\)127.0.0.1 8000|\1127.0.0.1 $http_port|" \
    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $ops_port|" \
    conf/mtapi.conf >"$t/http.conf"
echo "pidfile $t/http.pid" >>"$t/http.conf"
sed -e "s|^\(\tbind\t\)0.0.0.0 8443|\1127.0.0.1 $tls_port|" \
    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $tls_ops_port|" \
    -e "s|cert/server.pem|$t/tls/server.pem|" \
    -e "s|cert/key.pem|$t/tls/key.pem|" \
    -e '/^runas/d' -e '/^root/d' \
    conf/mtapi-tls.conf >"$t/tls.conf"
echo "pidfile $t/tls.pid" >>"$t/tls.conf"
grep -q "127.0.0.1 $http_port" "$t/http.conf"
grep -q "127.0.0.1 $tls_port" "$t/tls.conf"
grep -q "127.0.0.1 $ops_port" "$t/http.conf"
grep -q "127.0.0.1 $tls_ops_port" "$t/tls.conf"

# The RS256 and ES256 servers: their key files (the rings' first keys),
# and their settings through the environment, which wins over the file.
for alg in rs256 es256; do
	if [ "$alg" = rs256 ]; then
		port=$rs256_port
		aport=$rs256_ops_port
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$t/$alg-private.pem" 2>/dev/null
	else
		port=$es256_port
		aport=$es256_ops_port
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -out "$t/$alg-private.pem" 2>/dev/null
	fi
	openssl pkey -in "$t/$alg-private.pem" -pubout -out "$t/$alg-public.pem"
	sed -e "s|^\(\tbind\t\)127.0.0.1 8000|\1127.0.0.1 $port|" \
	    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $aport|" \
	    conf/mtapi.conf >"$t/$alg.conf"
	echo "pidfile $t/$alg.pid" >>"$t/$alg.conf"
	grep -q "127.0.0.1 $port" "$t/$alg.conf"
	grep -q "127.0.0.1 $aport" "$t/$alg.conf"
done

preload=""
if [ "$asan" = 1 ]; then
	preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
	export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$t/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$t/ubsan"
fi

servers=""

# A process and all its descendants (Kore's parent, its workers).
kill_tree() {
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		kill_tree "$child"
	done
	kill -KILL "$1" 2>/dev/null || true
}

stop_servers() {
	for pid in $servers; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	# Kore drains and exits; a server still there after 20 s is killed
	# and reported. Under the sanitizers (make test-asan) a worker can
	# hang in exit(): libp11-kit's destructor (libpq → libldap → gnutls)
	# waits in freelocale() on glibc's locale lock, whose reader count
	# has gone below zero (seen with gdb on 2026-12-03; never without
	# the sanitizers' preload).
	i=0
	while [ "$i" -lt 100 ]; do
		alive=0
		for pid in $servers; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.2
		i=$((i + 1))
	done
	if [ "$alive" = 1 ]; then
		echo "test: a server did not stop within 20 s: killed" >&2
		for pid in $servers; do
			kill_tree "$pid"
		done
	fi
	for pid in $servers; do
		wait "$pid" 2>/dev/null || true
	done
	servers=""
}

finish() {
	rc=$?
	stop_servers
	if command -v cl_stop_all >/dev/null 2>&1; then
		cl_stop_all
	fi
	tools/dev/pg.sh start >/dev/null 2>&1 || true
	tools/dev/pg.sh drop-db mtapi_test >/dev/null 2>&1 || true
	if [ "$pg_was_up" = 0 ]; then
		tools/dev/pg.sh stop >/dev/null 2>&1 || true
	fi
	exit "$rc"
}
trap finish EXIT INT TERM

# start_server CONF LOG [NAME=VALUE ...]: the settings for that server.
start_server() {
	conf=$1
	log=$2
	shift 2
	(cd "$appdir" && env "$@" LD_PRELOAD="$preload" stdbuf -oL \
	    kore -fnrc "$conf" >"$log" 2>&1) &
	servers="$servers $!"
}

urls=""
if [ "$only" != cluster ]; then
	start_server "$t/http.conf" "$t/http.log"
	start_server "$t/tls.conf" "$t/tls.log"
	start_server "$t/rs256.conf" "$t/rs256.log" JWT_ALGORITHM=RS256 \
	    JWT_PRIVATE_KEY_FILE="$t/rs256-private.pem" \
	    JWT_PUBLIC_KEY_FILE="$t/rs256-public.pem" \
	    JWT_LEEWAY_SECONDS=60 JWT_REFRESH_REUSE_SECONDS=60
	start_server "$t/es256.conf" "$t/es256.log" JWT_ALGORITHM=ES256 \
	    JWT_PRIVATE_KEY_FILE="$t/es256-private.pem" \
	    JWT_PUBLIC_KEY_FILE="$t/es256-public.pem" \
	    JWT_ACCEPT_MISSING_KID=True
	urls="http://127.0.0.1:$http_port/health/"
	urls="$urls https://127.0.0.1:$tls_port/health/"
	urls="$urls http://127.0.0.1:$rs256_port/health/"
	urls="$urls http://127.0.0.1:$es256_port/health/"
fi

for url in $urls; do
	i=0
	until curl -skf -o /dev/null "$url"; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			echo "test: server at $url did not come up" >&2
			cat "$t/http.log" "$t/tls.log" "$t/rs256.log" \
			    "$t/es256.log" >&2
			exit 1
		fi
		sleep 0.2
	done
done

export MTAPI_TEST_BASE_URL="http://127.0.0.1:$http_port"
export MTAPI_TEST_TLS_URL="https://127.0.0.1:$tls_port"
export MTAPI_TEST_OPS_URL="http://127.0.0.1:$ops_port"
export MTAPI_TEST_TLS_OPS_URL="http://127.0.0.1:$tls_ops_port"
export MTAPI_TEST_TLS_DIR="$t/tls"
export MTAPI_TEST_FIXTURE="$t/tokens.json"
export MTAPI_TEST_ADMIN="$admin"
export MTAPI_TEST_ROOT="$top"
export MTAPI_TEST_HTTP_LOG="$t/http.log"
export MTAPI_TEST_RS256_URL="http://127.0.0.1:$rs256_port"
export MTAPI_TEST_RS256_KEY="$t/rs256-private.pem"
export MTAPI_TEST_ES256_URL="http://127.0.0.1:$es256_port"
export MTAPI_TEST_ES256_KEY="$t/es256-private.pem"

passed=0
failed=0
# What failed, one line each: printed again after the totals, since a
# CI log may keep only its tail.
failures=""
note_failure() {
	failures="$failures$1
"
}

# Run one Criterion binary; add its synthesis line to the totals.
run_suite() {
	name=$(basename "$1")
	out="$t/$name.out"
	if "$1" --jobs 2 >"$out" 2>&1; then ok=1; else ok=0; fi
	line=$(grep -a 'Synthesis:' "$out" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	p=${p:-0}
	f=${f:-0}	# Criterion's Failing already counts the crashes
	if [ "$ok" = 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		# The assertions' own lines too, without their blank ones.
		grep -a -v '^\[----\] *$' "$out" | tail -n 60 >&2
		names=$(grep -a -E '^\[(FAIL|CRASH)\]' "$out" | \
		    sed 's/^\[[A-Z]*\] *//; s/: .*//' | sort -u | tr '\n' ' ')
		note_failure "$name: ${names:-exit status, no failing test named}"
	fi
	printf '%-40s %s\n' "$name" "${line:-no result}"
}

# The build's own rules (tests/build/): each script is one test.
if wanted build; then
	bp=0
	bf=0
	for check in tests/build/*.sh; do
		if "$check" >"$t/build.out" 2>&1; then
			bp=$((bp + 1))
		else
			bf=$((bf + 1))
			cat "$t/build.out" >&2
			note_failure "build: $check"
		fi
	done
	passed=$((passed + bp))
	failed=$((failed + bf))
	printf '%-40s %s\n' "build" "$bp passed, $bf failed"
fi

for bin in "$bindir"/tests/unit/*; do
	[ -x "$bin" ] || continue
	wanted "$(basename "$bin")" || continue
	if [ "$asan" = 1 ]; then
		ASAN_OPTIONS="detect_leaks=1:log_path=$t/asan-unit" run_suite "$bin"
	else
		run_suite "$bin"
	fi
done

# The fuzzing harnesses, built with cc + ASan/UBSan and a plain main():
# each regression input is a test, each seed corpus one more, and the
# copies of the handlers' rule tables must match (tests/fuzz/).
fuzz_replay() {
	fp=0
	ff=0
	if tests/fuzz/rules-check.sh >"$t/fuzz-rules.out" 2>&1; then
		fp=$((fp + 1))
	else
		ff=$((ff + 1))
		cat "$t/fuzz-rules.out" >&2
		note_failure "fuzz: tests/fuzz/rules-check.sh"
	fi
	for bin in .build/fuzz/replay/fuzz_*; do
		h=${bin##*/fuzz_}
		for input in "tests/fuzz/corpus/$h" \
		    tests/fuzz/regressions/"$h"/*; do
			[ -e "$input" ] || continue
			out="$t/fuzz-$h.out"
			if MTAPI_FUZZ_API_CONF="$top/conf/api.conf" \
			    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" \
			    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
			    "$bin" "$input" >"$out" 2>&1; then
				fp=$((fp + 1))
			else
				ff=$((ff + 1))
				last=$(grep -a '^replay: ' "$out" | tail -n 1)
				echo "test: fuzz_$h fails on ${last#replay: }" >&2
				note_failure "fuzz_$h: $input"
				grep -a -v '^replay: ' "$out" | head -n 40 >&2
			fi
		done
	done
	passed=$((passed + fp))
	failed=$((failed + ff))
	printf '%-40s %s\n' "fuzz-replay" "$fp passed, $ff failed"
}
if wanted fuzz-replay; then
	fuzz_replay
fi

for bin in "$bindir"/tests/it/*; do
	wanted "$(basename "$bin")" || continue
	[ -x "$bin" ] && run_suite "$bin"
done

# The schema and browser tests: they print their own "N passed, N failed".
if [ -x tests/docs/run.sh ] && wanted docs; then
	if tests/docs/run.sh >"$t/docs.out" 2>&1; then ok=1; else ok=0; fi
	line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$t/docs.out" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	[ "$ok" = 0 ] && [ "$f" = 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		tail -n 60 "$t/docs.out" >&2
		note_failure "docs: $(grep -a -E '^(not ok|FAIL)' "$t/docs.out" | \
		    head -n 5 | tr '\n' ' ')"
	fi
	printf '%-40s %s\n' "docs" "${line:-no result}"
fi

stop_servers

# Last: they stop instances on purpose, and read what the suite ran.
if wanted cluster; then
	. tools/dev/test-cluster.sh
fi

# The servers must have run clean.
for log in "$t/http.log" "$t/tls.log" "$t/rs256.log" "$t/es256.log" \
    "$t"/cluster/k*.log "$t"/asan* "$t"/ubsan*; do
	[ -f "$log" ] || continue
	# "exited with status": Kore's parent saw a worker die (a fatal).
	if grep -a -E 'sandbox violation|AddressSanitizer|runtime error:|LeakSanitizer|died|exited with status' \
	    "$log" >/dev/null; then
		echo "test: problems reported in $log:" >&2
		grep -a -E -B2 -A20 'sandbox violation|AddressSanitizer|runtime error:|LeakSanitizer|died|exited with status' \
		    "$log" | head -n 80 >&2
		failed=$((failed + 1))
		note_failure "server log: $log"
	fi
done

echo
if [ -n "$failures" ]; then
	echo "failed:"
	printf '%s' "$failures" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
