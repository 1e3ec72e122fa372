-- Floor of POST /api/v1/tasks/: what the server sends under load, a batch
-- of waiting creates (src/batch.c) as one api.task_create_batch, here of
-- 16 elements with what bench/lua/task_create.lua posts, each in a random
-- project of a random tenant. A write: one commit (fsync) per batch. The
-- floor is in creates a second (run_floor: tps × the line below).
-- creates per transaction: 16
\set k random(1, :ntargets)
SELECT f.* FROM api.task_create_batch((SELECT json_agg(json_build_array(b.tenant_id, b.kind, b.sub, b.sid, b.verdict, g.project_id, 'bench floor task', 'made by pgbench', NULL, 'medium', NULL)) FROM bench.targets g JOIN bench.principals b ON b.n = g.n WHERE g.k IN (SELECT 1 + (:k + i * 7919) % :ntargets FROM generate_series(0, 15) i))) f;
