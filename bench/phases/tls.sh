# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Full and resumed TLS handshakes per second of the production TLS
# configuration (bench/tls-handshakes.sh starts its own server with the
# settings of the small phase ($env) and stops it); writes $work/tls.json.

say "tls: full and resumed handshakes/s (bench/tls-handshakes.sh)"
if ! BENCH_TLS_JSON="$work/tls.json" MTAPI_ENV_FILE="$env" \
    bench/tls-handshakes.sh >"$work/tls.txt" 2>&1; then
	say "tls: failed (see $work/tls.txt)"
	rm -f "$work/tls.json"
fi
