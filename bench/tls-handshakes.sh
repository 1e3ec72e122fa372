#!/bin/sh
# Full and resumed TLS handshakes per second of the production TLS server
# (conf/mtapi-tls.conf, src/tls.c): openssl s_time, BENCH_TLS_CLIENTS
# clients at once, each connecting again and again for BENCH_TLS_SECONDS,
# once with a new session every time (full handshakes) and once resuming
# one session (resumed), for TLS 1.2 and 1.3. Each connection asks for
# /health/live/ (no database) and reads the answer, which brings TLS 1.3
# its session tickets; then it closes.
#
# usage: bench/tls-handshakes.sh [HOST:PORT]
#   With HOST:PORT, measures that server. Without, starts one of its own
#   from .build/mtapi (make build) on 127.0.0.1:BENCH_TLS_PORT with the
#   development certificate (.keys/tls/, ECDSA P-256) or the pair named by
#   BENCH_TLS_CERT and BENCH_TLS_KEY (e.g. an RSA one), and the settings
#   of MTAPI_ENV_FILE (default .env), and stops it after.
#
# Prints one line per figure, "tls1.3 full 3120/s" and
# "tls1.3 resumed 9870/s (100% resumed)"; BENCH_TLS_JSON=FILE also writes
# them as JSON. Targets 127.0.0.1 (or the server given) only, bounded in
# time: 2 versions x 2 kinds x BENCH_TLS_SECONDS.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

: "${BENCH_TLS_PORT:=18582}"
: "${BENCH_TLS_SECONDS:=5}"
: "${BENCH_TLS_CLIENTS:=2}"
: "${BENCH_TLS_VERSIONS:=1.2 1.3}"
: "${BENCH_TLS_CERT:=$top/.keys/tls/server.pem}"
: "${BENCH_TLS_KEY:=$top/.keys/tls/key.pem}"
: "${BENCH_TLS_JSON:=}"
: "${MTAPI_ENV_FILE:=$top/.env}"

die() {
	echo "tls-handshakes: $*" >&2
	exit 1
}

command -v openssl >/dev/null || die "openssl is missing"
work=$(mktemp -d "${TMPDIR:-/tmp}/mtapi-tls-bench.XXXXXX")
server=""

finish() {
	if [ -n "$server" ]; then
		kill -TERM "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap finish EXIT INT TERM

if [ $# -ge 1 ]; then
	target="$1"
else
	[ -f .build/mtapi/mtapi.so ] || die "no .build/mtapi/mtapi.so: make build"
	[ -f "$MTAPI_ENV_FILE" ] || tools/dev/keys.sh >/dev/null
	[ -f "$BENCH_TLS_CERT" ] || tools/dev/keys.sh >/dev/null
	target="127.0.0.1:$BENCH_TLS_PORT"
	# The shipped configuration with its port and pair, as make test
	# runs it: no chroot, no privilege drop.
	sed -e "s|^\(\tbind\t\)0.0.0.0 8443|\1127.0.0.1 $BENCH_TLS_PORT|" \
	    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $((BENCH_TLS_PORT + 10000))|" \
	    -e "s|cert/server.pem|$BENCH_TLS_CERT|" \
	    -e "s|cert/key.pem|$BENCH_TLS_KEY|" \
	    -e '/^runas/d' -e '/^root/d' \
	    conf/mtapi-tls.conf >"$work/tls.conf"
	grep -q "127.0.0.1 $BENCH_TLS_PORT" "$work/tls.conf" ||
	    die "conf/mtapi-tls.conf: no 'bind 0.0.0.0 8443' line to change"
	(cd .build/mtapi && MTAPI_ENV_FILE="$MTAPI_ENV_FILE" \
	    exec kore -fnrc "$work/tls.conf" >"$work/server.log" 2>&1) &
	server=$!
	i=0
	until openssl s_client -connect "$target" </dev/null >/dev/null 2>&1
	do
		i=$((i + 1))
		kill -0 "$server" 2>/dev/null && [ "$i" -le 100 ] ||
		    die "the server did not come up: $(tail -n 5 \
		    "$work/server.log")"
		sleep 0.2
	done
fi

now() {
	date +%s.%N
}

# measure VERSION new|reuse: "<connections/s> <resumed> <connections>"
measure() {
	c=0
	pids=""
	start=$(now)
	while [ "$c" -lt "$BENCH_TLS_CLIENTS" ]; do
		openssl s_time -connect "$target" "-tls1_${1#1.}" "-$2" \
		    -www /health/live/ -time "$BENCH_TLS_SECONDS" \
		    >"$work/out.$c" 2>&1 &
		pids="$pids $!"
		c=$((c + 1))
	done
	for pid in $pids; do
		wait "$pid" || true
	done
	end=$(now)
	cat "$work"/out.* | awk -v t0="$start" -v t1="$end" '
	    / connections in .* real seconds/ { n += $1 }
	    /^[r*]+$/ { r += gsub(/r/, "r") }
	    END { printf "%.0f %d %d\n", n / (t1 - t0), r, n }'
	rm -f "$work"/out.*
}

json="{\"target\":\"$target\",\"clients\":$BENCH_TLS_CLIENTS,"
json="$json\"seconds\":$BENCH_TLS_SECONDS,\"figures\":["
sep=""
for v in $BENCH_TLS_VERSIONS; do
	for kind in new reuse; do
		set -- $(measure "$v" "$kind")
		[ "${3:-0}" -gt 0 ] || die "TLS $v: no connection was made"
		if [ "$kind" = new ]; then
			echo "tls$v full $1/s"
			name=full
		else
			echo "tls$v resumed $1/s ($(($2 * 100 / $3))% resumed)"
			name=resumed
		fi
		json="$json$sep{\"version\":\"$v\",\"handshake\":\"$name\","
		json="$json\"per_s\":$1,\"resumed\":$2,\"connections\":$3}"
		sep=","
	done
done
[ -z "$BENCH_TLS_JSON" ] || echo "$json]}" >"$BENCH_TLS_JSON"
