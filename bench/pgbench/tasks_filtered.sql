-- Floor of GET /api/v1/tasks/?status=todo&ordering=-created_at: the
-- api.task_list call src/handlers/tasks.c makes, for a random tenant.
\set n random(1, :ntenants)
SELECT f.* FROM bench.principals b, LATERAL api.task_list(b.tenant_id, b.kind, b.sub, b.sid, b.verdict, NULL, 'todo', NULL, NULL, '-created_at', 20, 0, false) f WHERE b.n = :n;
