# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Sampling: the RSS and the CPU time of the measured side's server
# processes and of its PostgreSQL, from /proc. The side is the one the
# phase measures: side=mtapi (the Kore server on $port) or side=reference
# (the Django reference's gunicorn, lib/reference.sh).

# The server's Kore workers ("kore [wrk N]"), found by the port they
# listen on: "PID NAME" lines.
workers_of() {	# PORT
	local p cmd n
	ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' |
	    cut -d= -f2 | sort -un | while read -r p; do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		case "$cmd" in
		*"[wrk "*)
			n=${cmd#*[}
			n=${n%%]*}
			echo "$p ${n// /_}"
			;;
		esac
	done
}

# The measured side's server processes: "PID NAME" lines.
server_processes() {
	if [ "$side" = reference ]; then
		reference_processes
	else
		workers_of "$port"
	fi
}

# The measured side's PostgreSQL postmaster (empty if unknown).
postmaster_pid() {
	local f="$top/.pgdata/15/postmaster.pid"
	[ "$side" = reference ] && f="$ANCHOR_PGDATA/postmaster.pid"
	head -n 1 "$f" 2>/dev/null || true
}

rss_kib() {	# PID
	local k v rest
	while read -r k v rest; do
		if [ "$k" = "VmRSS:" ]; then
			echo "$v"
			return
		fi
	done <"/proc/$1/status"
	echo 0
}

rss_now() {	# -> {"wrk_1": MiB, ...}
	server_processes | while read -r p n; do
		echo "$n $(rss_kib "$p")"
	done | jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
	    | {(.[0]): ((.[1] | tonumber) / 1024 * 10 | round / 10)}) | add // {}'
}

# Sample every server process's RSS twice a second into FILE until
# stopped.
rss_sampler_start() {	# FILE
	local ws
	ws=$(server_processes)
	(
		trap 'exit 0' TERM
		while :; do
			echo "$ws" | while read -r p n; do
				[ -n "$p" ] && echo "$n $(rss_kib "$p" 2>/dev/null)"
			done
			sleep 0.5
		done
	) >"$1" 2>/dev/null &
	sampler=$!
	bg_add "$sampler"
}

rss_sampler_stop() {	# FILE -> {"wrk_1": max MiB, ...}
	kill -TERM "$sampler" 2>/dev/null || true
	bg_wait "$sampler" || true
	jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
	    | select(length == 2 and .[1] != "")
	    | {k: .[0], v: (.[1] | tonumber)})
	    | group_by(.k) | map({(.[0].k): ((map(.v) | max) / 1024 * 10
	    | round / 10)}) | add // {}' "$1"
}

clk_tck=$(getconf CLK_TCK)

ticks_of() {	# PID... -> utime + stime, in clock ticks
	local p
	for p in "$@"; do
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ s += $12 + $13 } END { print s + 0 }'
}

# CPU used so far by the server's processes and by PostgreSQL (the
# postmaster and every process it started): "SERVER POSTGRES" in ticks.
cpu_ticks() {
	local pm srv
	srv=$(server_processes | cut -d' ' -f1)
	pm=$(postmaster_pid)
	# shellcheck disable=SC2086
	echo "$(ticks_of $srv) $( [ -n "$pm" ] &&
	    ticks_of "$pm" $(pgrep -P "$pm" 2>/dev/null) || echo 0)"
}
