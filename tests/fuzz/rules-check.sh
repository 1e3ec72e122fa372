#!/bin/sh
# The rule tables fuzz_body.c validates with must be those of the handlers.
#
# Every "static const struct field_rule NAME[] = {" table of
# src/handlers/FILE.c must be copied into tests/fuzz/fuzz_body.c as
# FILE_NAME (whitespace aside, the same text; the choice lists are
# src/core/values.c's in both); a constant the copy defines (METADATA_MAX)
# must be the handler's.
# Prints what differs; exits 1 if anything does.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

harness=tests/fuzz/fuzz_body.c
bad=0
n=0

# The body of table $2 in file $1, one line per rule, blanks squeezed.
table() {
	awk -v name="$2" '
	    $0 ~ "^static const struct field_rule " name "\\[\\] = \\{$" \
		{ on = 1; next }
	    on && /^};$/ { exit }
	    on { print }' "$1" | tr -s ' \t\n' ' '
}

for src in src/handlers/*.c; do
	base=$(basename "$src" .c)
	for name in $(sed -n \
	    's/^static const struct field_rule \([a-z_]*\)\[\] = {$/\1/p' \
	    "$src"); do
		n=$((n + 1))
		copy="${base}_${name}"
		want=$(table "$src" "$name")
		got=$(table "$harness" "$copy")
		if [ -z "$got" ]; then
			echo "rules-check: $src $name is not in $harness" \
			    "(as $copy)" >&2
			bad=1
		elif [ "$want" != "$got" ]; then
			echo "rules-check: $harness $copy differs from" \
			    "$src $name:" >&2
			echo "  handler: $want" >&2
			echo "  harness: $got" >&2
			bad=1
		fi
	done

	# The harness's #define lines for this file: a constant the handler
	# defines too.
	awk -v f="/* From $src */" '
	    $0 == f { on = 1; next }
	    on && /^\/\* (From|End of)/ { exit }
	    on && /^#define/ { print }' "$harness" |
	while read -r _ macro value; do
		want=$(sed -n "s/^#define[ \t]*${macro}[ \t]*//p" \
		    "$src" | tr -d ' \t')
		got=$(echo "$value" | tr -d ' \t')
		what="$harness $macro ($got) is not $src's ($want)"
		if [ -z "$want" ] || [ "$want" != "$got" ]; then
			echo "rules-check: $what" >&2
			exit 1
		fi
	done || bad=1
done

if [ "$n" = 0 ]; then
	echo "rules-check: no rule tables found in src/handlers" >&2
	bad=1
fi

# A copy no handler has any more is stale.
for copy in $(sed -n \
    's/^static const struct field_rule \([a-z_]*\)\[\] = {$/\1/p' \
    "$harness"); do
	base=${copy%%_*}
	name=${copy#*_}
	if [ ! -f "src/handlers/$base.c" ] ||
	    ! grep -q "^static const struct field_rule $name\[\] = {$" \
	    "src/handlers/$base.c"; then
		echo "rules-check: $harness $copy has no handler table" >&2
		bad=1
	fi
done

[ "$bad" = 0 ] && echo "rules-check: $n rule tables match src/handlers/"
exit "$bad"
