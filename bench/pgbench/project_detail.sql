-- Floor of GET /api/v1/projects/{id}/: api.project_get for a random
-- project of a random tenant (uniform over all (tenant, project) pairs).
\set k random(1, :ntargets)
SELECT f.* FROM bench.targets g JOIN bench.principals b ON b.n = g.n, LATERAL api.project_get(b.tenant_id, b.kind, b.sub, b.sid, b.verdict, g.project_id) f WHERE g.k = :k;
