#!/bin/sh
# Install the Debian packages a target needs, only those missing.
# usage: tools/dev/deps.sh run|cluster|test|bench|fuzz
set -eu

run_pkgs="kore build-essential pkg-config libjwt-dev libjansson-dev
	libsodium-dev libssl-dev libpq-dev postgresql-15 postgresql-client-15
	openssl acl curl ca-certificates jq"
# make cluster: the load balancer and the connection pooler.
cluster_pkgs="haproxy pgbouncer"
# The suite runs the cluster tests too (make test-cluster), with wrk as
# the load of the kill and reload checks; PyJWT reads the JWKS.
# prometheus: its promtool checks the /metrics exposition (test_metrics.c).
test_pkgs="libcriterion-dev libcurl4-openssl-dev chromium jq $cluster_pkgs wrk
	python3-jwt python3-cryptography prometheus"
bench_pkgs="wrk jq $cluster_pkgs"
# libFuzzer and the sanitizer runtimes come with clang 14's libclang-rt;
# llvm has llvm-symbolizer (readable reports) and llvm-cov/llvm-profdata.
fuzz_pkgs="clang libclang-rt-14-dev llvm"

case "${1:-run}" in
run)	pkgs="$run_pkgs" ;;
cluster) pkgs="$run_pkgs $cluster_pkgs" ;;
test)	pkgs="$run_pkgs $test_pkgs" ;;
bench)	pkgs="$run_pkgs $bench_pkgs" ;;
fuzz)	pkgs="$run_pkgs $fuzz_pkgs" ;;
*)	echo "usage: $0 run|cluster|test|bench|fuzz" >&2; exit 2 ;;
esac

# Node.js and npm for the schema and browser tests: Debian's, unless the
# machine has them already (a NodeSource nodejs conflicts with Debian's npm).
if [ "${1:-run}" = test ] && ! command -v npm >/dev/null 2>&1; then
	pkgs="$pkgs nodejs npm"
fi

missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps: need root or sudo to install:$missing" >&2
		exit 1
	}
	sudo="sudo"
fi

echo "deps: installing$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $missing >/dev/null
