-- After bench.principals is loaded: every project of those tenants.
INSERT INTO bench.targets (k, n, project_id)
SELECT row_number() OVER (ORDER BY b.n, p.id), b.n, p.id
FROM bench.principals b JOIN projects p ON p.tenant_id = b.tenant_id;
ANALYZE bench.principals;
ANALYZE bench.targets;
