#!/bin/sh
# make fuzz: every harness of tests/fuzz/ under libFuzzer (clang 14,
# AddressSanitizer + UBSan + LeakSanitizer) for FUZZ_SECONDS each.
#
#   tools/dev/fuzz.sh          run (what make fuzz does)
#   tools/dev/fuzz.sh cov      line coverage of src/core/ by the corpora
#   tools/dev/fuzz.sh merge    add the inputs of the working corpora that
#                              reach new code to tests/fuzz/corpus/
#
#   FUZZ_SECONDS=60   per harness        FUZZ_ONLY="token body"  a subset
#   FUZZ_RUNS=N       stop a harness after N inputs (with FUZZ_SECONDS as
#                     the cap), e.g. 10000000 for the long run
#   FUZZ_JOBS=1       harnesses at once (the machine's cores are shared)
#
# Each harness starts from its committed seeds (tests/fuzz/corpus/<name>),
# its regression inputs (tests/fuzz/regressions/<name>) and what earlier
# runs found (.build/fuzz/corpus/<name>, where new inputs go), with the
# dictionaries of tests/fuzz/dict/. A crash, a leak, a sanitizer report, a
# broken property (an abort) or an input running over 10 s fails the run;
# the input is copied to tests/fuzz/regressions/<name>/, which make test
# replays: commit it with the fix.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

mode="${1:-run}"
seconds="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:--1}"
jobs="${FUZZ_JOBS:-1}"
work="$top/.build/fuzz"
names="${FUZZ_ONLY:-$(cd tests/fuzz &&
    ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}"

case "$seconds$runs" in
*[!0-9-]*) echo "fuzz: FUZZ_SECONDS and FUZZ_RUNS are numbers" >&2; exit 2 ;;
esac

# Dictionaries and the longest input, per harness.
dicts() {
	case "$1" in
	token)	echo "json jwt" ;;
	body)	echo "json fields" ;;
	*)	echo "$1" ;;
	esac
}
max_len() {
	case "$1" in
	token)		echo 4400 ;;	# TOKEN_MAX_LEN and a little
	body)		echo 70000 ;;	# past the 64 KiB of metadata
	envfile)	echo 9000 ;;	# past the 4 KiB line limit
	hosts)		echo 1024 ;;
	*)		echo 4096 ;;
	esac
}

# ASan records a stack for every allocation; through libpq, built without
# frame pointers, the fast unwinder reads stack garbage as frames, so
# fuzz_envfile's stack depot grew by ~100 bytes a run (1.4 GB after 10
# million, no leak). Two frames keep the caller and stop the growth; make
# fuzz-replay gives full stacks for a finding.
asan_extra() {
	case "$1" in
	envfile)	echo ":malloc_context_size=2" ;;
	esac
}

export MTAPI_FUZZ_API_CONF="$top/conf/api.conf"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

tools/dev/deps.sh fuzz

if [ "$mode" = cov ]; then
	bins=""
	for h in $names; do
		bins="$bins .build/fuzz/cov/fuzz_$h"
	done
	# shellcheck disable=SC2086
	make --no-print-directory $bins
	rm -f "$work"/cov/*.profraw
	objs=""
	for h in $names; do
		dirs="tests/fuzz/corpus/$h"
		[ -d "$work/corpus/$h" ] && dirs="$dirs $work/corpus/$h"
		# shellcheck disable=SC2086
		LLVM_PROFILE_FILE="$work/cov/$h.profraw" \
		    "$work/cov/fuzz_$h" $dirs >/dev/null 2>&1
		if [ -z "$objs" ]; then
			objs="$work/cov/fuzz_$h"
		else
			objs="$objs -object $work/cov/fuzz_$h"
		fi
	done
	llvm-profdata merge -sparse "$work"/cov/*.profraw \
	    -o "$work/cov/all.profdata"
	# shellcheck disable=SC2086
	llvm-cov report $objs -instr-profile "$work/cov/all.profdata" \
	    src/core/*.c
	exit 0
fi

make --no-print-directory fuzz-build
tests/fuzz/rules-check.sh

if [ "$mode" = merge ]; then
	for h in $names; do
		[ -d "$work/corpus/$h" ] || continue
		"$work/bin/fuzz_$h" -merge=1 -max_len="$(max_len "$h")" \
		    "tests/fuzz/corpus/$h" "$work/corpus/$h" \
		    >"$work/logs/merge-$h.log" 2>&1
		echo "fuzz: tests/fuzz/corpus/$h:" \
		    "$(ls "tests/fuzz/corpus/$h" | wc -l) inputs"
	done
	exit 0
fi

[ "$mode" = run ] || { echo "usage: $0 [run|cov|merge]" >&2; exit 2; }

mkdir -p "$work/logs" "$work/dict"

# One harness for $seconds; its log in $work/logs/<name>.log.
run_one() {
	h=$1
	mkdir -p "$work/corpus/$h" "$work/artifacts/$h" \
	    "tests/fuzz/regressions/$h"
	dict="$work/dict/$h.dict"
	: >"$dict"
	for d in $(dicts "$h"); do
		cat "tests/fuzz/dict/$d.dict" >>"$dict"
	done
	rm -f "$work/artifacts/$h"/*
	ASAN_OPTIONS="$ASAN_OPTIONS$(asan_extra "$h")" "$work/bin/fuzz_$h" \
	    -max_total_time="$seconds" -runs="$runs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="$(max_len "$h")" -dict="$dict" \
	    -print_final_stats=1 -artifact_prefix="$work/artifacts/$h/" \
	    "$work/corpus/$h" "tests/fuzz/corpus/$h" \
	    "tests/fuzz/regressions/$h" </dev/null >"$work/logs/$h.log" 2>&1
}

running=0
for h in $names; do
	if [ ! -x "$work/bin/fuzz_$h" ]; then
		echo "fuzz: no harness $h" >&2
		exit 2
	fi
	echo "fuzz: $h for ${seconds}s"
	run_one "$h" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

failed=0
printf '\n%-8s %8s %12s %8s %6s %7s %7s %6s  %s\n' harness seconds runs \
    exec/s cov ft corpus rss result
# What a finding looks like in a log.
report='ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:'
report="$report|property failed"

# A figure of libFuzzer's final stats in $log.
figure() {
	sed -n "s/^stat::$1: *\\([0-9]*\\).*/\\1/p" "$log" | tail -n 1
}

for h in $names; do
	log="$work/logs/$h.log"
	last=$(grep -a -E '^#[0-9]+' "$log" | grep -a 'cov:' | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	n=$(figure number_of_executed_units)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	rate=$(figure average_exec_per_sec)
	rss=$(figure peak_rss_mb)
	result=ok
	if ! grep -a -q -E '^#[0-9]+[[:space:]]+DONE' "$log" ||
	    grep -a -q -E "$report" "$log"; then
		result=FAILED
		failed=$((failed + 1))
	fi
	printf '%-8s %8s %12s %8s %6s %7s %7s %5sM  %s\n' "$h" "${secs:-?}" \
	    "${n:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "${rss:-?}" "$result"
	if [ "$result" = FAILED ]; then
		for a in "$work/artifacts/$h"/*; do
			[ -f "$a" ] || continue
			cp "$a" "tests/fuzz/regressions/$h/"
			echo "  kept tests/fuzz/regressions/$h/$(basename "$a")"
		done
		grep -a -E -A30 'ERROR:|runtime error:|property failed' "$log" |
		    head -n 40 | sed 's/^/  /'
	fi
done

echo
if [ "$failed" -gt 0 ]; then
	echo "fuzz: $failed harness(es) failed; logs in $work/logs/"
	exit 1
fi
echo "fuzz: no finding (logs in $work/logs/)"
