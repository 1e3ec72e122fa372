#!/bin/sh
# The Makefile makes .build/gen/migrations.c (the SQL files built into
# mtapi-admin) again when a file of sql/ is removed, not only when one
# is added or changed: on a copy of the Makefile, the generator and two
# files of sql/, the second one is removed and must leave the output.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/sql" "$d/tools/admin" "$d/src" "$d/assets"
cp "$top/Makefile" "$d/"
cp "$top/tools/admin/gen-migrations.sh" "$d/tools/admin/"
echo 'SELECT 1;' >"$d/sql/V001__first.sql"
echo 'SELECT 2;' >"$d/sql/V002__second.sql"

make -s -C "$d" .build/gen/migrations.c >/dev/null 2>&1
grep -q 'V002__second.sql' "$d/.build/gen/migrations.c" || {
	echo "sql-removed: V002__second.sql missing from the first output" >&2
	exit 1
}
rm "$d/sql/V002__second.sql"
make -s -C "$d" .build/gen/migrations.c >/dev/null 2>&1
if grep -q 'V002__second.sql' "$d/.build/gen/migrations.c"; then
	echo "sql-removed: migrations.c still embeds a removed file" >&2
	exit 1
fi
grep -q 'V001__first.sql' "$d/.build/gen/migrations.c"
echo "sql-removed: ok"
