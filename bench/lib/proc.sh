# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# Process control: background processes (wrk, samplers), the bench
# servers, their logs, and the clean-up on exit (Ctrl-C included).

bgpids=""
servers=""
exit_hooks=""

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Functions that finish runs after the servers are stopped, in the order
# they were added (clean a database before stopping its cluster).
at_exit() {	# FUNCTION
	exit_hooks="$exit_hooks $1"
}

finish() {
	rc=$?
	local h
	trap - EXIT INT TERM
	for p in $bgpids; do
		# A background wrk_run is a subshell: its wrk too.
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $bgpids; do
		wait "$p" 2>/dev/null || true
	done
	if [ "$BENCH_KEEP_SERVER" != 1 ]; then
		for p in $servers; do
			stop_pid "$p"
		done
	fi
	for h in $exit_hooks; do
		"$h" || true
	done
	[ "$rc" = 0 ] || say "failed (exit $rc); work files in $work"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

bg_add() {
	bgpids="$bgpids $1"
}

bg_wait() {	# PID: wait and forget it
	local rc=0
	wait "$1" || rc=$?
	bgpids=$(echo "$bgpids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	return "$rc"
}

# The project-local PostgreSQL cluster (the one `make run` uses): started
# for the run, stopped at its end if it was not running before.
pg_start() {
	pg_was_up=0
	tools/dev/pg.sh status >/dev/null 2>&1 && pg_was_up=1
	at_exit pg_stop
	tools/dev/pg.sh start >/dev/null
}

pg_stop() {
	if [ "$pg_was_up" = 0 ] && [ "$BENCH_KEEP_SERVER" != 1 ]; then
		tools/dev/pg.sh stop >/dev/null 2>&1 || true
	fi
}

port_busy() {
	ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
}

# start_server NAME ENVFILE PORT: a Kore server as `make run` starts it,
# with the shipped conf/mtapi.conf on another port; sets server_pid.
start_server() {
	local name=$1 env=$2 port=$3 conf="$state/$1.conf"
	local log="$state/$1.log" pidf="$state/$1.pid" i
	if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
		say "stopping the $name server left by an earlier run"
		kill -TERM "$(cat "$pidf")" 2>/dev/null || true
		i=0
		while kill -0 "$(cat "$pidf")" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	port_busy "$port" && die "port $port is in use (BENCH_PORT / BENCH_SCALE_PORT)"
	sed -e "s|^\(\tbind\t\)127.0.0.1 8000|\1127.0.0.1 $port|" \
	    -e "s|^\(\tbind\t\)127.0.0.1 8001|\1127.0.0.1 $((port + 10000))|" \
	    conf/mtapi.conf >"$conf"
	grep -q "127.0.0.1 $port" "$conf" || die "cannot set the port in $conf"
	echo "pidfile $pidf" >>"$conf"
	: >"$log"
	(cd "$app" && MTAPI_ENV_FILE="$env" exec stdbuf -oL kore -fnrc "$conf" \
	    >>"$log" 2>&1) &
	server_pid=$!
	servers="$servers $server_pid"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/health/"; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			cat "$log" >&2
			die "the $name server did not come up on port $port"
		fi
		sleep 0.2
	done
	say "$name server up on 127.0.0.1:$port (pid $server_pid)"
}

stop_server() {	# PID (none: nothing), unless BENCH_KEEP_SERVER=1
	if [ -z "$1" ] || [ "$BENCH_KEEP_SERVER" = 1 ]; then
		return 0
	fi
	stop_pid "$1"
	servers=$(echo "$servers" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# Errors in a server log since the last call (then it starts empty again;
# the server appends to it).
log_check() {	# LOGFILE -> JSON
	local f=$1 n_err n_sandbox n_lines
	[ -f "$f" ] || { echo '{"lines":0,"errors":0,"sandbox":0}'; return; }
	n_lines=$(wc -l <"$f")
	n_err=$(grep -c -E ' (ERROR|CRITICAL|FATAL) |status 5[0-9][0-9]| 5[0-9][0-9] [0-9]+ms' "$f" || true)
	n_sandbox=$(grep -c -i 'sandbox violation\|worker died\|restarting worker' "$f" || true)
	if [ "$n_err" -gt 0 ] || [ "$n_sandbox" -gt 0 ]; then
		grep -E ' (ERROR|CRITICAL|FATAL) | 5[0-9][0-9] [0-9]+ms|sandbox|died' "$f" |
		    head -n 5 | sed 's/^/  server log: /' >&2
		cp "$f" "$work/$(basename "$f").$(date +%s)"
	fi
	: >"$f"
	printf '{"lines":%d,"errors":%d,"sandbox":%d}\n' "$n_lines" "$n_err" \
	    "$n_sandbox"
}
