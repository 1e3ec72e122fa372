-- Floor of POST /api/v1/tasks/: api.task_create with what
-- bench/lua/task_create.lua posts, in a random project of a random
-- tenant. A write: one commit (fsync) per transaction.
\set k random(1, :ntargets)
SELECT f.* FROM bench.targets g JOIN bench.principals b ON b.n = g.n, LATERAL api.task_create(b.tenant_id, b.kind, b.sub, b.sid, b.verdict, g.project_id, 'bench floor task', 'made by pgbench', NULL, 'medium', NULL) f WHERE g.k = :k;
