-- Floor of GET /api/v1/projects/: the statement src/handlers/projects.c
-- sends (api.project_list with the default page), for a random tenant.
-- The principal comes from bench.principals in the same round trip.
\set n random(1, :ntenants)
SELECT f.* FROM bench.principals b, LATERAL api.project_list(b.tenant_id, b.kind, b.sub, b.sid, b.verdict, NULL, NULL, '-created_at', 20, 0) f WHERE b.n = :n;
