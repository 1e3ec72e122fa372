# shellcheck shell=bash disable=SC2034,SC2154 # globals shared by the harness (run.sh)
# The report: the work files of the run gathered into
# $BENCH_RESULTS/<time>.json (every figure, and the targets of RESULTS.md
# as checks), its summary <time>.md, and latest.json / latest.md.

optional() {	# FILE
	if [ -f "$1" ]; then cat "$1"; else echo null; fi
}

# A phase's scenarios, each with its floor and (small set) the Django
# reference's figures of the same run, and its ratios to them and to the
# phase's /health/live/ and /health/.
phase_json() {	# PHASE [REFDIR] -> [scenario + floor + reference, ...]
	local phase=$1 refdir=${2:-} f n rf
	for f in "$work/$phase"/*.json; do
		n=$(basename "$f" .json)
		case "$n" in *.*|projects|pgss_*|size|soak|login_interference) continue ;; esac
		rf=null
		[ -z "$refdir" ] || rf=$(optional "$refdir/$n.json")
		jq --argjson fl "$(optional "$work/$phase/$n.floor.json")" \
		    --argjson pr "$(optional "$work/$phase/$n.pairs.json")" \
		    --argjson rf "$rf" '. + {floor: $fl, reference: $rf, pairs: $pr}' "$f"
	done | jq -s --arg order "health_live health_db $BENCH_SCENARIOS" '
	    def ratio($a; $b): if $a != null and $b != null and $b > 0
		then $a / $b else null end;
	    ($order | split(" ") | map(select(length > 0))) as $o
	    | (map(select(.name == "health_live")) | .[0].rps) as $live
	    | (map(select(.name == "health_db")) | .[0].rps) as $hdb
	    | sort_by(.name as $n | ($o | index($n)) // 99)
	    | map(. + {
	    reference_rps: .reference.rps,
	    x_reference: ratio(.rps; .reference.rps),
	    x_health_live: (if .kind == "ceiling" then null
		else ratio(.rps; $live) end),
	    x_health_db: (if .kind == "ceiling" then null
		else ratio(.rps; $hdb) end),
	    x_floor: ratio(.rps; .floor.tps)})'
}

report_json() {	# OUT
	jq -n \
	    --arg stamp "$stamp" \
	    --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	    --arg dirty "$(git status --porcelain -- src sql conf 2>/dev/null | head -c 1)" \
	    --arg host "$(uname -srm)" --arg cpus "$(nproc)" \
	    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	    --arg autogroup "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo unknown)" \
	    --arg thp "$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)" \
	    --arg mode "$BENCH_SERVER" \
	    --argjson pg "$(cat "$work/postgres.json")" \
	    --argjson small "$(phase_json small "$work/reference")" \
	    --argjson scale "$( [ "$BENCH_SCALE" = 1 ] && phase_json scale || echo null)" \
	    --argjson scale_size "$(optional "$work/scale/size.json")" \
	    --argjson reference "$(optional "$work/reference/info.json")" \
	    --argjson li "$(optional "$work/small/login_interference.json")" \
	    --argjson soak "$(optional "$work/small/soak.json")" \
	    --argjson tls "$(optional "$work/tls.json")" \
	    --argjson cluster "$(optional "$work/cluster/cluster.json")" \
	    --argjson pgss_reads "$(optional "$work/small/pgss_reads.json")" \
	    --argjson pgss_writes "$(optional "$work/small/pgss_writes.json")" \
	    --argjson pgss_scale "$(optional "$work/scale/pgss_reads.json")" \
	    --argjson cfg "$(jq -n --arg d "$BENCH_DURATION" --arg r "$BENCH_RUNS" \
		--arg w "$BENCH_WARMUP" --arg t "$BENCH_THREADS" \
		--arg c "$BENCH_CONNECTIONS" --arg pc "$BENCH_PGBENCH_CLIENTS" \
		--arg pt "$BENCH_PGBENCH_THREADS" --arg lr "$BENCH_LOGIN_RATE" \
		--arg sr "$BENCH_SOAK_REQUESTS" --arg st "$BENCH_SCALE_TENANTS" \
		--arg sp "$BENCH_SCALE_PROJECTS" --arg sk "$BENCH_SCALE_TASKS" \
		--arg tn "$BENCH_TENANTS" --arg pr "$BENCH_PROJECTS" \
		--arg tk "$BENCH_TASKS" --arg ll "$BENCH_LOG_LEVEL" \
		--arg port "$BENCH_PORT" --arg url "$BENCH_URL" \
		--arg dj "$BENCH_DJANGO" \
		'{duration_s: ($d|tonumber), runs: ($r|tonumber),
		  warmup_s: ($w|tonumber), wrk_threads: ($t|tonumber),
		  connections: ($c|tonumber), pgbench_clients: ($pc|tonumber),
		  pgbench_threads: ($pt|tonumber), login_rate: ($lr|tonumber),
		  soak_requests: ($sr|tonumber), log_level: $ll,
		  port: ($port|tonumber), url: $url, django: ($dj == "1"),
		  small: {tenants: ($tn|tonumber), projects_per_tenant: ($pr|tonumber),
		      tasks_per_project: ($tk|tonumber)},
		  scale: {tenants: ($st|tonumber), projects_per_tenant: ($sp|tonumber),
		      tasks_per_project: ($sk|tonumber)}}')" \
	    '{started: $stamp, commit: ($commit + (if $dirty != "" then "+dirty" else "" end)),
	      machine: {kernel: $host, cpus: ($cpus|tonumber), loadavg_at_end: $load,
		  sched_autogroup: $autogroup,
		  transparent_hugepage: (if $thp == "" then "unknown" else $thp end)},
	      server: $mode, postgres: $pg, config: $cfg, reference: $reference,
	      small: $small, login_interference: $li, soak: $soak,
	      tls_handshakes: $tls, cluster: $cluster,
	      scale: (if $scale == null then null else {data: $scale_size, scenarios: $scale} end),
	      pg_stat_statements: {small_reads: $pgss_reads,
		  small_writes_and_logins: $pgss_writes, scale_reads: $pgss_scale}}' \
	    >"$1"
}

# The targets (bench/RESULTS.md): each check true, false or null (not
# run; the reference ratios are null when BENCH_DJANGO=0).
report_targets() {	# IN OUT
	jq '
	  def rss_max: [.. | objects | to_entries[]? | select(.key | test("^wrk_"))
	      | .value | numbers] | max;
	  def atleast($x; $min): if $x == null then null else $x >= $min end;
	  . as $r
	  | ($r.small | map({(.name): .}) | add // {}) as $s
	  | ($r.scale.scenarios // [] | map({(.name): .}) | add // {}) as $l
	  | .targets = (
	    [ $r.small[] | select(.kind == "read")
	      | {check: "\(.name): ≥ 25× the Django reference req/s", value: .x_reference,
		 pass: atleast(.x_reference; 25)},
		{check: "\(.name): ≥ 0.6× database floor", value: .x_floor,
		 pass: atleast(.x_floor; 0.6)},
		{check: "\(.name): p99 ≤ 10 ms", value: .p99_ms,
		 pass: (.p99_ms <= 10)} ]
	    + [ $s.project_detail // empty
	      | {check: "project_detail: ≥ 0.5× /health/ req/s", value: .x_health_db,
		 pass: atleast(.x_health_db; 0.5)} ]
	    + [ $r.small[] | select(.kind == "write")
	      | {check: "\(.name): ≥ 15× the Django reference req/s", value: .x_reference,
		 pass: atleast(.x_reference; 15)} ]
	    + [ $r.small[] | select(.kind == "login")
	      | {check: "\(.name): ≥ 7× the Django reference req/s", value: .x_reference,
		 pass: atleast(.x_reference; 7)} ]
	    + [ $r.small[] | select(.kind != "ceiling")
	      | {check: "\(.name): no non-2xx responses", value: .non2xx,
		 pass: (.non2xx == 0 and .socket_errors == 0)} ]
	    + (if $r.login_interference == null then [] else
	      [ {check: "detail p99 with \($r.login_interference.login_rate_target) logins/s ≤ 2× without",
		 value: $r.login_interference.p99_ratio,
		 pass: ($r.login_interference.p99_ratio != null
		     and $r.login_interference.p99_ratio <= 2)},
		{check: "logins/s reached during the interference runs ≥ 90% of \($r.login_interference.login_rate_target)",
		 value: $r.login_interference.logins.rate,
		 pass: ($r.login_interference.logins.rate
		     >= 0.9 * $r.login_interference.login_rate_target)} ] end)
	    + [ ("projects_list", "project_detail") as $n
	      | select($l[$n] != null and $s[$n] != null)
	      | ($l[$n].pairs.ratio // ($l[$n].rps / $s[$n].rps)) as $x
	      | {check: "scale: \($n) req/s within 20% of the small set\(if $l[$n].pairs then " (adjacent runs)" else "" end)",
		 value: $x, pass: ($x >= 0.8)} ]
	    + [ ([($r.small // [] | map(select(.kind != "login") | del(.reference))),
		  ($r.scale.scenarios // []), $r.soak]
		  | rss_max) as $m
		| {check: "every worker RSS ≤ 32 MiB under API load (all but logins)",
		   value: $m, pass: ($m != null and $m <= 32)} ]
	    + [ ([($r.small // [] | map(select(.kind == "login") | del(.reference))),
		  $r.login_interference] | rss_max) as $m
		| select($m != null)
		| {check: "every worker RSS ≤ 32 MiB under login load (argon2id)",
		   value: $m, pass: ($m <= 32)} ]
	    + (if $r.soak == null then [] else
	      [ {check: "soak: no worker RSS growth over 5%",
		 value: ([$r.soak.rss_growth_pct[]] | max),
		 pass: (([$r.soak.rss_growth_pct[]] | max) <= 5
		     and $r.soak.same_workers)} ] end)
	    + [ {check: "durability: fsync and synchronous_commit on",
		 value: "\($r.postgres.fsync)/\($r.postgres.synchronous_commit)",
		 pass: ($r.postgres.fsync == "on"
		     and $r.postgres.synchronous_commit == "on")} ])' \
	    "$1" >"$2"
}

# The Markdown summary of a results file.
report_md() {	# RESULT OUT
	jq -r '
	  def f0: if . == null then "–" else (. | floor | tostring) end;
	  def f1: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
	  def f2: if . == null then "–" else (. * 100 | round / 100 | tostring) end;
	  def rss: if . == null or . == {} then "–"
	      else (to_entries | map(.value | tostring) | join(" / ")) end;
	  def rss_sum: if . == null or . == {} then "–"
	      else ([.[]] | add | f1) end;
	  def cpu($k): if . == null then "–"
	      else "\(.[$k]) / \(.postgres) / \(.wrk)" end;
	  def table($rows):
	    "| scenario | req/s | Django req/s | × Django | × /health/ | × /health/live/ | DB floor tps | × floor | p50 ms | p99 ms | non-2xx | worker RSS max MiB | CPU ms/req Kore / PG / wrk |",
	    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
	    ($rows[] | "| \(.method) \(.path) | \(.rps | f0) | \(.reference_rps | f0) | \(.x_reference | f1) | \(.x_health_db | f2) | \(.x_health_live | f2) | \(.floor.tps | f0) | \(.x_floor | f2) | \(.p50_ms | f2) | \(.p99_ms | f2) | \(.non2xx + .socket_errors) | \(.rss_max_mib | rss) | \(.cpu_ms_per_request | cpu("kore")) |");
	  "# mtapi benchmark \(.started)",
	  "",
	  "commit \(.commit), \(.machine.kernel), \(.machine.cpus) CPUs (load average at the end \(.machine.loadavg_at_end); kernel.sched_autogroup_enabled=\(.machine.sched_autogroup // "unknown"), transparent_hugepage=\(.machine.transparent_hugepage // "unknown")); PostgreSQL \(.postgres.server_version), fsync=\(.postgres.fsync), synchronous_commit=\(.postgres.synchronous_commit).",
	  "Server: \(if .server == "own" then "its own (conf/mtapi.conf on port \(.config.port))" else "the running one at \(.config.url)" end).",
	  (if .reference then
	    "Django reference (same run, same wrk scripts): \(.reference.url), gunicorn \(.reference.gunicorn_workers) workers, \(.reference.data.tenants) tenants, \(.reference.data.projects) projects, \(.reference.data.tasks) tasks\(if .reference.data_remade then " (data and tokens made again for this run)" else "" end); its PostgreSQL \(.reference.postgres.server_version), fsync=\(.reference.postgres.fsync), synchronous_commit=\(.reference.postgres.synchronous_commit)."
	  else "Django reference: not run (BENCH_DJANGO=0)." end),
	  "wrk \(.config.wrk_threads) threads × \(.config.connections) connections, median of \(.config.runs) × \(.config.duration_s) s after \(.config.warmup_s) s warm-up; floors: pgbench -M prepared -c \(.config.pgbench_clients) -j \(.config.pgbench_threads); server LOG_LEVEL=\(.config.log_level).",
	  "",
	  "## Small data set (\(.config.small.tenants) tenants × \(.config.small.projects_per_tenant) projects × \(.config.small.tasks_per_project) tasks)",
	  "",
	  table(.small),
	  "",
	  ([.small[] | select(.reference != null)] as $ref
	  | if ($ref | length) > 0 then
	    "## The Django reference, same run",
	    "",
	    "| scenario | req/s | p50 ms | p99 ms | non-2xx | RSS max MiB, all processes | CPU ms/req gunicorn / PG / wrk |",
	    "|---|---:|---:|---:|---:|---:|---|",
	    ($ref[] | .reference as $d | "| \(.method) \(.path) | \($d.rps | f0) | \($d.p50_ms | f2) | \($d.p99_ms | f2) | \($d.non2xx + $d.socket_errors) | \($d.rss_max_mib | rss_sum) | \($d.cpu_ms_per_request | cpu("gunicorn")) |"),
	    "" else empty end),
	  (if .login_interference then
	    (.login_interference as $li |
	    "## Login interference",
	    "",
	    "GET /api/v1/projects/{id}/ p99: \($li.base.p99_ms | f2) ms without logins, \($li.with_logins.p99_ms | f2) ms with \($li.logins.rate | f1) logins/s (target \($li.login_rate_target)/s): ×\($li.p99_ratio | f2). Detail req/s \($li.base.rps | f0) → \($li.with_logins.rps | f0); login p99 \($li.logins.p99_ms | f1) ms; worker RSS max \($li.rss_max_mib | rss) MiB.",
	    "") else empty end),
	  (if .soak then
	    (.soak as $s |
	    "## Soak",
	    "",
	    "\($s.requests) requests in \($s.seconds) s (\($s.rps | f0) req/s), non-2xx \($s.non2xx), socket errors \($s.socket_errors); worker RSS MiB at start \($s.rss_start_mib | rss), at end \($s.rss_end_mib | rss), max \($s.rss_max_mib | rss); growth % \($s.rss_growth_pct | rss); same worker processes throughout: \($s.same_workers).",
	    "req/s per chunk: \($s.rps_per_chunk | map(tostring) | join(", ")).",
	    "") else empty end),
	  (if .tls_handshakes then
	    "## TLS handshakes (\(.tls_handshakes.clients) clients, \(.tls_handshakes.seconds) s each)",
	    "",
	    (.tls_handshakes.figures[] | "TLS \(.version) \(.handshake): \(.per_s)/s (\(.resumed) of \(.connections) resumed)."),
	    "" else empty end),
	  (if .scale then
	    "## Scale data set (\(.scale.data.tenants) tenants, \(.scale.data.projects) projects, \(.scale.data.tasks) tasks, \(.scale.data.database_mib) MiB)",
	    "",
	    table(.scale.scenarios),
	    "",
	    (.scale.scenarios[] | select(.pairs != null)
	      | "\(.name): the small set then the scale set in adjacent runs, req/s \(.pairs.pairs | map("\(.small | f0) → \(.scale | f0)") | join(", ")); scale / small \(.pairs.pairs | map(.ratio | f2) | join(", ")), median **\(.pairs.ratio | f2)**."),
	    "" else empty end),
	  "## Targets",
	  "",
	  "| check | value | pass |",
	  "|---|---:|---|",
	  (.targets[] | "| \(.check) | \(if (.value | type) == "number" then (.value | f2) elif .value == null then "–" else (.value | tostring) end) | \(if .pass == true then "yes" elif .pass == false then "**no**" else "–" end) |"),
	  "",
	  "## Statements that took the most database time (reads, small set)",
	  "",
	  "| statement | calls | mean ms | % time | blocks/call |",
	  "|---|---:|---:|---:|---:|",
	  (.pg_stat_statements.small_reads // [] | .[0:8][] | "| `\(.query | gsub("\\|"; "\\|"))` | \(.calls) | \(.mean_ms) | \(.pct) | \(.blocks_per_call) |")
	' "$1" >"$2"
}

report() {
	local result="$BENCH_RESULTS/$stamp.json" md="$BENCH_RESULTS/$stamp.md"
	report_json "$result.tmp"
	report_targets "$result.tmp" "$result"
	rm -f "$result.tmp"
	report_md "$result" "$md"
	if [ -f "$work/cluster/cluster.md" ]; then
		{ echo; cat "$work/cluster/cluster.md"; } >>"$md"
	fi
	ln -sfn "$(basename "$result")" "$BENCH_RESULTS/latest.json"
	ln -sfn "$(basename "$md")" "$BENCH_RESULTS/latest.md"
	echo
	cat "$md"
	echo
	say "results: $result and $md"
}
