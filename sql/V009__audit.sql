-- Issue 15: the security audit trail (docs/audit.md).
--
-- One row per security event, written in the same transaction as the
-- event itself, so that an event that did not happen (rolled back) has
-- no row, and one that happened always has one:
--
--   by the API functions (sql/R__020_auth.sql): logins that succeeded or
--     failed, refreshes, refresh token reuse, logouts; with the client
--     address and the request id the server answered (X-Request-ID);
--   by triggers on the rows an operator changes (mtapi-admin): tenants
--     created, activated or deactivated, members added, removed or given
--     another role, users activated or deactivated, API clients and
--     service tokens created or revoked. The operator command names
--     itself in the session settings mtapi.actor_kind and mtapi.actor_id;
--     a change made without them (psql) is recorded as actor 'database'.
--   by mtapi-admin audit-prune: the prune itself (audit.pruned).
--
-- Append-only: no UPDATE, no TRUNCATE (privilege revoked, and a trigger
-- for whoever grants it back); DELETE only in a transaction that set
-- mtapi.audit_prune (mtapi-admin audit-prune, the retention).
--
-- Keyed by tenant like every tenant table (docs/scaling.md), without a
-- foreign key to tenants: events outlive a deleted tenant. An event of
-- no tenant (a login failure of an unknown account, or of a user who
-- named no single tenant; a user of no tenant deactivated) has the nil
-- uuid, which no tenant has (gen_random_uuid never answers it).
-- Functions here, not in the api schema: the triggers need them, and the
-- api schema is dropped and created again whenever an R__ file changes.

CREATE TABLE audit_events (
	tenant_id		uuid NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	created_at		timestamptz NOT NULL DEFAULT now(),
	kind			text NOT NULL CHECK (kind IN (
				    'login.succeeded', 'login.failed',
				    'token.refreshed', 'token.reuse_detected',
				    'logout',
				    'api_client.created', 'api_client.revoked',
				    'service_token.created',
				    'service_token.revoked',
				    'tenant.created', 'tenant.activated',
				    'tenant.deactivated',
				    'member.added', 'member.removed',
				    'member.role_changed',
				    'user.activated', 'user.deactivated',
				    'audit.pruned')),
	actor_kind		text NOT NULL CHECK (actor_kind IN ('user',
				    'api_client', 'operator', 'database')),
	actor_id		text CHECK (char_length(actor_id) <= 200),
	address			text CHECK (char_length(address) <= 64),
	request_id		text CHECK (char_length(request_id) <= 128),
	detail			jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (tenant_id, id)
);

CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, created_at);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

REVOKE UPDATE, TRUNCATE ON audit_events FROM PUBLIC, CURRENT_USER;

CREATE FUNCTION audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND
	    current_setting('mtapi.audit_prune', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();

-- One event. p_tenant NULL: of no tenant (the nil uuid).
CREATE FUNCTION audit_record(p_tenant uuid, p_kind text, p_actor_kind text,
    p_actor_id text, p_address text, p_request_id text, p_detail jsonb)
RETURNS void
LANGUAGE sql AS $$
	INSERT INTO audit_events (tenant_id, kind, actor_kind, actor_id,
	    address, request_id, detail)
	VALUES (COALESCE(p_tenant, '00000000-0000-0000-0000-000000000000'),
	    p_kind, p_actor_kind, left(p_actor_id, 200), left(p_address, 64),
	    left(p_request_id, 128), COALESCE(p_detail, '{}'))
$$;

-- An event of a row change: the actor the session named.
CREATE FUNCTION audit_change(p_tenant uuid, p_kind text, p_detail jsonb)
RETURNS void
LANGUAGE sql AS $$
	SELECT audit_record(p_tenant, p_kind,
	    COALESCE(NULLIF(current_setting('mtapi.actor_kind', true), ''),
	    'database'),
	    COALESCE(NULLIF(current_setting('mtapi.actor_id', true), ''),
	    session_user::text), NULL, NULL, p_detail)
$$;

CREATE FUNCTION audit_tenants() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM audit_change(NEW.id, 'tenant.created',
		    jsonb_build_object('slug', NEW.slug,
		    'active', NEW.is_active));
	ELSIF NEW.is_active IS DISTINCT FROM OLD.is_active THEN
		PERFORM audit_change(NEW.id, CASE WHEN NEW.is_active
		    THEN 'tenant.activated' ELSE 'tenant.deactivated' END,
		    jsonb_build_object('slug', NEW.slug));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER tenants_audit AFTER INSERT OR UPDATE OF is_active ON tenants
    FOR EACH ROW EXECUTE FUNCTION audit_tenants();

CREATE FUNCTION audit_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	m	memberships;
BEGIN
	m := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	IF TG_OP = 'UPDATE' AND NEW.role IS NOT DISTINCT FROM OLD.role THEN
		RETURN NULL;
	END IF;
	PERFORM audit_change(m.tenant_id, CASE TG_OP
	    WHEN 'INSERT' THEN 'member.added'
	    WHEN 'DELETE' THEN 'member.removed'
	    ELSE 'member.role_changed' END,
	    jsonb_build_object('user_id', m.user_id, 'username',
	    (SELECT u.username FROM users u WHERE u.id = m.user_id),
	    'role', m.role));
	RETURN NULL;
END
$$;

CREATE TRIGGER memberships_audit
    AFTER INSERT OR DELETE OR UPDATE OF role ON memberships
    FOR EACH ROW EXECUTE FUNCTION audit_memberships();

-- Users are global: the event goes to each tenant the user is a member
-- of (each sees its own), or to no tenant.
CREATE FUNCTION audit_users() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	m	record;
	k	text;
	d	jsonb;
	n	int;
BEGIN
	IF NEW.is_active IS NOT DISTINCT FROM OLD.is_active THEN
		RETURN NULL;
	END IF;
	k := CASE WHEN NEW.is_active THEN 'user.activated'
	    ELSE 'user.deactivated' END;
	d := jsonb_build_object('user_id', NEW.id, 'username', NEW.username);
	n := 0;
	FOR m IN SELECT * FROM memberships WHERE user_id = NEW.id LOOP
		PERFORM audit_change(m.tenant_id, k, d);
		n := n + 1;
	END LOOP;
	IF n = 0 THEN
		PERFORM audit_change(NULL, k, d);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER users_audit AFTER UPDATE OF is_active ON users
    FOR EACH ROW EXECUTE FUNCTION audit_users();

CREATE FUNCTION audit_api_clients() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM audit_change(NEW.tenant_id, 'api_client.created',
		    jsonb_build_object('client_id', NEW.client_id,
		    'name', NEW.name, 'roles', NEW.roles,
		    'scopes', NEW.scopes));
	ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
		PERFORM audit_change(NEW.tenant_id, 'api_client.revoked',
		    jsonb_build_object('client_id', NEW.client_id,
		    'name', NEW.name));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER api_clients_audit
    AFTER INSERT OR UPDATE OF revoked_at ON api_clients
    FOR EACH ROW EXECUTE FUNCTION audit_api_clients();

CREATE FUNCTION audit_service_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM audit_change(NEW.tenant_id, 'service_token.created',
		    jsonb_build_object('jti', NEW.jti, 'service', NEW.service,
		    'roles', NEW.roles, 'scopes', NEW.scopes,
		    'expires_at', NEW.expires_at));
	ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
		PERFORM audit_change(NEW.tenant_id, 'service_token.revoked',
		    jsonb_build_object('jti', NEW.jti, 'service', NEW.service));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER service_tokens_audit
    AFTER INSERT OR UPDATE OF revoked_at ON service_tokens
    FOR EACH ROW EXECUTE FUNCTION audit_service_tokens();
