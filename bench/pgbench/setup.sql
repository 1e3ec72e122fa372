-- Helper tables for the pgbench floors (bench/run.sh loads them; only
-- in the benchmark's own databases). pgbench can only draw random
-- numbers, so a number picks a row here that holds what the server
-- binds for a request: the principal of a tenant's access token
-- (tenant, auth_type, subject, session id) and, for detail routes, one
-- of that tenant's projects.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

CREATE TABLE bench.principals (
	n		int PRIMARY KEY,
	tenant_id	uuid NOT NULL,
	kind		text NOT NULL,
	sub		text NOT NULL,
	sid		uuid
);

CREATE TABLE bench.targets (
	k		int PRIMARY KEY,
	n		int NOT NULL,
	project_id	bigint NOT NULL
);
