-- Floor of GET /api/v1/projects/statistics/ for a random tenant.
\set n random(1, :ntenants)
SELECT f.* FROM bench.principals b, LATERAL api.project_statistics(b.tenant_id, b.kind, b.sub, b.sid, b.verdict) f WHERE b.n = :n;
