-- Issue 12 (security): the records that let service tokens be revoked.

-- Service tokens (mtapi-admin create-service-token). A request with one
-- is served only while its record is here and not revoked
-- (api.principal(), one primary key lookup), so that one token can be
-- ended before it expires (mtapi-admin revoke-service-token).
CREATE TABLE service_tokens (
	jti			uuid PRIMARY KEY,
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	service			text NOT NULL
				CHECK (char_length(service) BETWEEN 1 AND 127),
	roles			text[] NOT NULL DEFAULT '{}',
	scopes			text[] NOT NULL DEFAULT '{}',
	expires_at		timestamptz NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	revoked_at		timestamptz
);

CREATE INDEX service_tokens_tenant_idx ON service_tokens (tenant_id, service);
CREATE INDEX service_tokens_expires_idx ON service_tokens (expires_at);
