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

start() {
	init
	grant_traverse
	if as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		return 0
	fi
	as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
	    -o "-p $port" start >/dev/null
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
