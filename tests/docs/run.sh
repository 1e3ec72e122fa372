#!/bin/sh
# The OpenAPI schema and browser tests (tests/docs/): run by tools/dev/test.sh
# after the Criterion suites, while the servers are up. Needs the
# environment test.sh exports (MTAPI_TEST_BASE_URL, MTAPI_TEST_FIXTURE,
# MTAPI_TEST_ROOT, MTAPI_TEST_ADMIN, MTAPI_ENV_FILE), Node.js with npm, and
# Debian's Chromium (/usr/bin/chromium).
#
# usage: tests/docs/run.sh [FILTER]   (only the tests whose name has FILTER)
# The last line is "N passed, N failed"; the exit status is non-zero on
# any failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

fail() {
	echo "docs: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed (tools/dev/deps.sh test)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (tools/dev/deps.sh test)"
[ -x "${MTAPI_TEST_CHROMIUM:-/usr/bin/chromium}" ] || fail "no Chromium at ${MTAPI_TEST_CHROMIUM:-/usr/bin/chromium}"

# The pinned packages of package-lock.json, installed again only when the
# lock file changed. playwright-core drives Debian's Chromium: it must not
# download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat node_modules/.mtapi-lock-sha256 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	npm ci --no-audit --no-fund --loglevel=error >&2 ||
	    fail "npm ci failed"
	echo "$want" >node_modules/.mtapi-lock-sha256
fi

exec node run.js "$@"
