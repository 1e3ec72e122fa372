#!/bin/bash
# The plan of every list shape, as the list functions run it: each static
# statement of api.project_list, api.task_list and api.document_list (no
# filter, one filter; every whitelisted ordering, both directions) for a
# tenant of the database, through auto_explain (nested statements,
# ANALYZE, BUFFERS) after five warm-up calls, so that the plan shown is
# the generic one PL/pgSQL keeps. Prints per shape how the page is read
# (the node under its Limit), the buffers and the time, and keeps the
# full plans in OUT.
#
# usage: bench/analysis/list-plans.sh DB [OUT]
#   DB   a database of the project-local cluster with test data
#        (mtapi_bench, mtapi_bench_scale)
#   OUT  where the full plans go (default .build/bench/plans-DB.txt)
# Runs as the cluster's superuser (tools/dev/pg.sh psql): auto_explain
# must be loaded. Reads only.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
db=${1:?usage: list-plans.sh DB [OUT]}
out=${2:-$top/.build/bench/plans-$db.txt}
mkdir -p "$(dirname "$out")"

q() { "$top/tools/dev/pg.sh" psql -d "$db" -At "$@"; }

# A tenant with the most tasks, its first login, a project with tasks.
read -r t sub sid <<<"$(q -F' ' -c "SELECT s.tenant_id, s.user_id, s.id
    FROM auth_sessions s JOIN tenants tn ON tn.id = s.tenant_id
    AND tn.is_active WHERE s.user_id IS NOT NULL AND s.revoked_at IS NULL
    ORDER BY (SELECT count(*) FROM tasks x WHERE x.tenant_id = s.tenant_id)
    DESC, s.created_at LIMIT 1")"
p=$(q -c "SELECT id FROM projects WHERE tenant_id = '$t'
    ORDER BY tasks_count DESC, id LIMIT 1")
v=$(q -c "SELECT (api.principal_verdict('$t', 'user', '$sub',
    '$sid')).verdict")
pr="'$t', 'user', '$sub', '$sid', $v"

calls() {	# one call per shape: "label<TAB>SQL"
	local o
	for o in name created_at updated_at status; do
		for d in "" -; do
			printf 'projects %s%s\tapi.project_list(%s, NULL, NULL, %s, 20, 0)\n' \
			    "$d" "$o" "$pr" "'$d$o'"
			printf 'projects status=active %s%s\tapi.project_list(%s, %s, NULL, %s, 20, 0)\n' \
			    "$d" "$o" "$pr" "'active'" "'$d$o'"
		done
	done
	for o in title created_at updated_at due_date priority status; do
		for d in "" -; do
			printf 'tasks %s%s\tapi.task_list(%s, NULL, NULL, NULL, NULL, %s, 20, 0, false)\n' \
			    "$d" "$o" "$pr" "'$d$o'"
			printf 'tasks project= %s%s\tapi.task_list(%s, %s, NULL, NULL, NULL, %s, 20, 0, true)\n' \
			    "$d" "$o" "$pr" "$p" "'$d$o'"
			printf 'tasks status=todo %s%s\tapi.task_list(%s, NULL, %s, NULL, NULL, %s, 20, 0, false)\n' \
			    "$d" "$o" "$pr" "'todo'" "'$d$o'"
			printf 'tasks priority=high %s%s\tapi.task_list(%s, NULL, NULL, %s, NULL, %s, 20, 0, false)\n' \
			    "$d" "$o" "$pr" "'high'" "'$d$o'"
		done
	done
	for o in name file_size created_at updated_at; do
		for d in "" -; do
			printf 'documents %s%s\tapi.document_list(%s, NULL, NULL, NULL, %s, 20, 0)\n' \
			    "$d" "$o" "$pr" "'$d$o'"
			printf 'documents content_type= %s%s\tapi.document_list(%s, NULL, %s, NULL, %s, 20, 0)\n' \
			    "$d" "$o" "$pr" "'application/pdf'" "'$d$o'"
		done
	done
}

: >"$out"
printf '%-34s %-62s %8s %9s\n' shape "page read by" buffers ms
calls | while IFS=$'\t' read -r label call; do
	{
		echo "LOAD 'auto_explain';"
		for i in 1 2 3 4 5; do echo "SELECT count(*) FROM $call;"; done
		echo "SET auto_explain.log_min_duration = 0;"
		echo "SET auto_explain.log_analyze = on;"
		echo "SET auto_explain.log_buffers = on;"
		echo "SET auto_explain.log_nested_statements = on;"
		echo "SET auto_explain.log_level = notice;"
		echo "SET client_min_messages = notice;"
		echo "SELECT count(*) FROM $call;"
	} | q -q 2>&1 >/dev/null | sed 's/^NOTICE:  //' >"$out.one"
	# The statement with the page: the one whose plan has a Limit.
	plan=$(awk '/^duration: /{if (buf ~ /Limit/ && buf ~ /FROM (projects|tasks|documents) x/) last = buf; buf = ""} {buf = buf "\n" $0} END {if (buf ~ /Limit/ && buf ~ /FROM (projects|tasks|documents) x/) last = buf; print last}' "$out.one")
	{ echo "=== $label: $call"; echo "$plan"; echo; } >>"$out"
	read_by=$(echo "$plan" | awk '/->  Limit/{f = 1; next} f && /->/{sub(/^ *-> */, ""); sub(/  \(cost.*/, ""); print; exit}')
	bufs=$(q -c "SELECT 1" >/dev/null; echo "$plan" | sed -n 's/.*Buffers: shared hit=\([0-9]*\).*/\1/p' | head -n 1)
	ms=$(awk '/^duration: /{d = $2} END {print d}' "$out.one")
	printf '%-34s %-62s %8s %9s\n' "$label" "${read_by:-?}" "${bufs:-?}" "${ms:-?}"
done
rm -f "$out.one"
echo "full plans: $out"
