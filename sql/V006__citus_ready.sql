-- Ready for Citus, sharded by tenant (docs/scaling.md). The decision,
-- which tests/cluster/test_schema.c holds the catalog to:
--
--   distributed by tenant_id	api_clients, api_client_usage,
--				auth_sessions, refresh_tokens, projects,
--				tasks, documents
--   reference (on every node)	tenants, users, memberships, api_client_ids
--   local (coordinator only)	rate_counters, auth_failures,
--				schema_migrations
--
-- A distributed table needs tenant_id in its primary key, in every unique
-- constraint, and on both sides of every foreign key to another
-- distributed table. Two tables broke that: auth_sessions (keyed by its
-- id alone, with refresh_tokens pointing at it by that id) and
-- api_clients (client_id unique across all tenants).

-- A login and its refresh tokens belong to the login's tenant: every
-- statement on them names it (the tokens carry it), and on Citus they
-- live on that tenant's shard.
ALTER TABLE refresh_tokens ADD COLUMN tenant_id uuid;
UPDATE refresh_tokens r SET tenant_id = s.tenant_id
    FROM auth_sessions s WHERE s.id = r.session_id;
ALTER TABLE refresh_tokens ALTER COLUMN tenant_id SET NOT NULL;

ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_session_id_fkey;
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_pkey;
ALTER TABLE auth_sessions ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey;
ALTER TABLE refresh_tokens ADD PRIMARY KEY (tenant_id, jti);
ALTER TABLE refresh_tokens ADD FOREIGN KEY (tenant_id, session_id)
    REFERENCES auth_sessions (tenant_id, id) ON DELETE CASCADE;
DROP INDEX refresh_tokens_session_idx;
CREATE INDEX refresh_tokens_session_idx
    ON refresh_tokens (tenant_id, session_id);

-- An API client logs in with its client_id alone, so client ids stay
-- unique across tenants, in a small reference table that also says
-- whose a client id is: the login reads the tenant there, then only
-- that tenant's api_clients.
CREATE TABLE api_client_ids (
	client_id		text PRIMARY KEY,
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	UNIQUE (tenant_id, client_id)
);
INSERT INTO api_client_ids (client_id, tenant_id)
    SELECT client_id, tenant_id FROM api_clients;

ALTER TABLE api_clients DROP CONSTRAINT api_clients_client_id_key;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_client_id_key
    UNIQUE (tenant_id, client_id);
ALTER TABLE api_clients ADD CONSTRAINT api_clients_client_id_fkey
    FOREIGN KEY (tenant_id, client_id)
    REFERENCES api_client_ids (tenant_id, client_id);
