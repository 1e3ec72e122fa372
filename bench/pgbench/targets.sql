-- After bench.principals is loaded: every project of those tenants.
INSERT INTO bench.targets (k, n, project_id)
SELECT row_number() OVER (ORDER BY b.n, p.id), b.n, p.id
FROM bench.principals b JOIN projects p ON p.tenant_id = b.tenant_id;
-- The verdict epoch the server's workers remember for each principal
-- (src/verdict.c), so that the floors send what the server sends.
ALTER TABLE bench.principals ADD COLUMN verdict bigint;
UPDATE bench.principals b SET verdict = (api.principal_verdict(b.tenant_id,
    b.kind, b.sub, b.sid)).verdict;
ANALYZE bench.principals;
ANALYZE bench.targets;
