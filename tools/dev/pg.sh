#!/bin/sh
# The project-local PostgreSQL 15 cluster: data in .pgdata/ (git-ignored),
# loopback only, its own port. PostgreSQL refuses to run as root, so every
# server command runs as the 'postgres' user on a directory it owns.
#
# usage: tools/dev/pg.sh start|stop|restart [MODE]|status|ensure-db NAME|
#                        drop-db NAME|psql
# (restart immediate: a crash and its recovery, for make chaos)
# Reads DB_PORT, DB_USER, DB_PASSWORD from the environment (see .env).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=/usr/lib/postgresql/15/bin
data="$top/.pgdata/15"
run="$top/.pgdata/run"
port="${DB_PORT:-54329}"
log="$top/.pgdata/server.log"

as_pg() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -u postgres -- "$@"
	fi
}

# The postgres user must be able to reach .pgdata/ through every parent
# directory (a checkout under /root or a mktemp -d is mode 0700).
grant_traverse() {
	d="$top"
	while [ "$d" != "/" ]; do
		if ! as_pg test -x "$d" 2>/dev/null; then
			if command -v setfacl >/dev/null; then
				setfacl -m u:postgres:x "$d"
			else
				chmod o+x "$d"
			fi
			echo "pg: granted the postgres user search (x) on $d"
		fi
		d=$(dirname "$d")
	done
}

psql_admin() {
	as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
	    -h "$run" -p "$port" -U postgres -d postgres "$@"
}

init() {
	[ -f "$data/PG_VERSION" ] && return 0
	grant_traverse
	mkdir -p "$top/.pgdata"
	chown postgres: "$top/.pgdata" 2>/dev/null || true
	as_pg mkdir -p "$data" "$run"
	as_pg "$bindir/initdb" -D "$data" -U postgres -A peer \
	    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
	cat >>"$data/postgresql.conf" <<EOF
# project-local settings (tools/dev/pg.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$run'
max_connections = 200
shared_buffers = 256MB
shared_preload_libraries = 'pg_stat_statements'
fsync = on
synchronous_commit = on
log_min_messages = warning
EOF
	echo "pg: initialised cluster in .pgdata/15"
}

running() {
	[ -f "$data/PG_VERSION" ] &&
	    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# Who has TCP port $1: with "listen", a server listening on it; with
# "connection", an established connection using it as its local port.
# "postgres (pid 123, data directory ...)", "another process", or nothing.
port_holder() {
	if command -v ss >/dev/null 2>&1; then
		if [ "$2" = listen ]; then
			line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)
		else
			line=$(ss -Htnp state established "sport = :$1" \
			    2>/dev/null | head -n 1)
		fi
	else
		st=01
		[ "$2" = listen ] && st=0A
		line=$(awk -v p="$(printf ':%04X' "$1")" -v st="$st" \
		    '$4 == st && substr($2, length($2) - 4) == p' \
		    /proc/net/tcp /proc/net/tcp6 2>/dev/null | head -n 1)
	fi
	[ -n "$line" ] || return 0
	pid=$(echo "$line" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
	if [ -z "$pid" ]; then
		echo "another process"
		return 0
	fi
	name=$(echo "$line" | sed -n 's/.*users:(("\([^"]*\)".*/\1/p')
	dir=""
	if [ "$name" = postgres ]; then	# it works in its data directory
		dir=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
	fi
	echo "${name:-a process} (pid $pid${dir:+, data directory $dir})"
}

# A port from $1 up that nobody listens on.
port_free() {
	p="$1"
	while [ "$p" -lt $(($1 + 100)) ] &&
	    [ -n "$(port_holder "$p" listen)" ]; do
		p=$((p + 1))
	done
	echo "$p"
}

# Another checkout's PostgreSQL (or any server) on our port: say so, and
# how to pick another, instead of pg_ctl's "could not start server".
port_check() {
	holder=$(port_holder "$port" listen)
	[ -n "$holder" ] || return 0
	cat >&2 <<EOF
pg: port $port on 127.0.0.1 is taken by $holder,
pg: not by this checkout's cluster (.pgdata/15). Choose another port:
pg:   DB_PORT=$(port_free $((port + 1))) make test
pg: (make run and make db-start read DB_PORT from .env)
EOF
	exit 1
}

start() {
	running && return 0
	port_check
	init
	grant_traverse
	tries=1
	until as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
	    -o "-p $port" start >/dev/null 2>&1; do
		port_check	# taken since the check above
		# An outgoing connection may hold a port of the kernel's
		# ephemeral range for a moment: try again, then say so.
		if [ "$tries" -lt 10 ]; then
			tries=$((tries + 1))
			sleep 1
			continue
		fi
		conn=$(port_holder "$port" connection)
		if [ -n "$conn" ]; then
			range=$(tr -s '\t ' '-' \
			    </proc/sys/net/ipv4/ip_local_port_range)
			cat >&2 <<EOF
pg: port $port on 127.0.0.1 is held by a connection of $conn:
pg: ports $range are the kernel's ephemeral ports, which any outgoing
pg: connection may take. Try again, or choose a port below them:
pg:   DB_PORT=$(port_free $((port % 10000 + 20000))) make test
pg: (make run and make db-start read DB_PORT from .env)
EOF
		else
			echo "pg: PostgreSQL did not start; the end of" \
			    "$log:" >&2
			tail -n 5 "$log" >&2 || true
		fi
		exit 1
	done
	echo "pg: started on 127.0.0.1:$port"
}

stop() {
	if [ -f "$data/PG_VERSION" ] &&
	    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
		echo "pg: stopped"
	fi
}

# MODE fast (default) or immediate (no shutdown checkpoint: crash recovery).
restart() {
	as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -m "${1:-fast}" -w -t 60 \
	    -o "-p $port" restart >/dev/null
	echo "pg: restarted (${1:-fast}) on 127.0.0.1:$port"
}

# Create (or update the password of) the application role and database.
ensure_db() {
	name="$1"
	user="${DB_USER:?DB_USER not set}"
	pass="${DB_PASSWORD:?DB_PASSWORD not set}"
	psql_admin -v u="$user" -v p="$pass" <<'EOF'
SELECT format('CREATE ROLE %I LOGIN', :'u')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'u', :'p') \gexec
EOF
	psql_admin -v u="$user" -v d="$name" <<'EOF'
SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
EOF
	# pg_stat_statements for the benchmark's figures; gen_random_uuid is core.
	psql_admin -d "$name" -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' \
	    >/dev/null 2>&1 || true
}

drop_db() {
	psql_admin -v d="$1" <<'EOF'
SET client_min_messages TO warning;
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'d') \gexec
EOF
}

case "${1:-}" in
start)		start ;;
stop)		stop ;;
restart)	restart "${2:-fast}" ;;
status)		as_pg "$bindir/pg_ctl" -D "$data" status ;;
ensure-db)	start; ensure_db "${2:?database name}" ;;
drop-db)	drop_db "${2:?database name}" ;;
psql)		shift; psql_admin "$@" ;;
*)		echo "usage: $0 start|stop|restart [MODE]|status|ensure-db NAME|drop-db NAME|psql" >&2
		exit 2 ;;
esac
