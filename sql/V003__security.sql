-- Issue 12 (security): the records that let service tokens be revoked.

-- Service tokens (mtapi-admin create-service-token). A request with one
-- is served only while its record is here and not revoked
-- (api.principal(), one primary key lookup), so that one token can be
-- ended before it expires (mtapi-admin revoke-service-token). Keyed by
-- tenant first, like every tenant table (docs/scaling.md).
CREATE TABLE service_tokens (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	jti			uuid NOT NULL,
	service			text NOT NULL
				CHECK (char_length(service) BETWEEN 1 AND 127),
	roles			text[] NOT NULL DEFAULT '{}',
	scopes			text[] NOT NULL DEFAULT '{}',
	expires_at		timestamptz NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	revoked_at		timestamptz,
	PRIMARY KEY (tenant_id, jti)
);

CREATE INDEX service_tokens_tenant_idx ON service_tokens (tenant_id, service);
CREATE INDEX service_tokens_expires_idx ON service_tokens (expires_at);

-- Where each account logged in lately: the account-at-IP keys of
-- api.auth_attempt ("user:<name>|<ip>", "client:<id>|<ip>") of its
-- successful logins, kept 30 days. An address an account logged in from
-- is not held to the account's failure limit across all addresses
-- (AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL): guessing an account from
-- many addresses slows its logins down everywhere else, not its owner's.
CREATE TABLE auth_known_logins (
	key			text PRIMARY KEY,
	last_login_at		timestamptz NOT NULL
);

CREATE INDEX auth_known_logins_last_idx ON auth_known_logins (last_login_at);
