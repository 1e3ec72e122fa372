-- Authentication state: logins, refresh token rotation and reuse
-- detection, revocation, and the attempt counters that throttle password
-- guessing. Called by src/handlers/login.c and src/handlers/tokens.c.
-- Passwords and client secrets never reach the database: only their
-- hashes live here, and they are compared in C (constant time).

-- The current one-minute window.
CREATE FUNCTION api.minute() RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT extract(epoch FROM now())::bigint / 60
$$;

-- Count a login attempt, before its password or secret is checked: the
-- counters of this minute of the client IP, of the account at that IP
-- and of the account across all addresses go up by one, atomically (a
-- row lock each, taken in key order, so that two logins never deadlock),
-- and parallel guesses cannot all pass a check made before any of them
-- was counted. Answers the seconds until the window ends when a counter
-- is now over its limit (the attempt is then given back at once: refused
-- attempts count nowhere), else 0, and the window it counted in. A
-- failed attempt stays counted; a success is given back
-- (api.auth_refund).
--
-- Counting the account per IP means nobody can lock an account out from
-- elsewhere; the higher limit across addresses stops guessing from many
-- addresses, and does not apply at an address the account logged in
-- from in the last 30 days (auth_known_logins): there its owner keeps
-- the per-IP budget.
CREATE FUNCTION api.auth_attempt(p_ip_key text, p_id_key text,
    p_acct_key text, p_ip_limit int, p_id_limit int, p_acct_limit int,
    OUT retry_after int, OUT attempt_window bigint)
LANGUAGE plpgsql AS $$
DECLARE
	over		boolean;
	acct_over	boolean;
BEGIN
	attempt_window := api.minute();
	-- Old windows go; rows another login is deleting are left to it.
	DELETE FROM auth_failures f USING (SELECT o.key, o.window_start
	    FROM auth_failures o WHERE o.window_start < attempt_window - 1
	    LIMIT 1000 FOR UPDATE SKIP LOCKED) old
	WHERE f.key = old.key AND f.window_start = old.window_start;

	WITH k AS (
		SELECT * FROM unnest(ARRAY[p_ip_key, p_id_key, p_acct_key],
		    ARRAY[p_ip_limit, p_id_limit, p_acct_limit]) AS k(key, lim)
	), up AS (
		INSERT INTO auth_failures AS f (key, window_start, count)
		SELECT k.key, attempt_window, 1 FROM k ORDER BY k.key
		ON CONFLICT (key, window_start)
		    DO UPDATE SET count = f.count + 1
		RETURNING f.key, f.count
	)
	SELECT COALESCE(bool_or(up.count > k.lim AND k.key <> p_acct_key),
	    false), COALESCE(bool_or(up.count > k.lim AND
	    k.key = p_acct_key), false)
	INTO over, acct_over
	FROM up JOIN k ON k.key = up.key;

	IF acct_over AND NOT over THEN
		over := NOT EXISTS (SELECT 1 FROM auth_known_logins l
		    WHERE l.key = p_id_key
		    AND l.last_login_at > now() - interval '30 days');
	END IF;

	retry_after := 0;
	IF over THEN
		PERFORM api.auth_refund(p_ip_key, p_id_key, p_acct_key,
		    attempt_window);
		retry_after := 60 - (extract(epoch FROM now())::int % 60);
	END IF;
END
$$;

-- Give back an attempt counted in p_window (a login that succeeded, or
-- one refused before it was checked). Rows are locked in key order, as
-- api.auth_attempt locks them.
CREATE FUNCTION api.auth_refund(p_ip_key text, p_id_key text,
    p_acct_key text, p_window bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM auth_failures f
	WHERE f.key IN (p_ip_key, p_id_key, p_acct_key)
	    AND f.window_start = p_window
	ORDER BY f.key FOR UPDATE;
	UPDATE auth_failures f SET count = f.count - 1
	WHERE f.key IN (p_ip_key, p_id_key, p_acct_key)
	    AND f.window_start = p_window AND f.count > 0;
END
$$;

-- A user login's first step: the attempt counted (api.auth_attempt), the
-- user's hash, and the tenant it selects. tenant_count: how many active
-- tenants of the user match p_tenant (a slug or an id), or, without
-- p_tenant, how many the user has.
CREATE FUNCTION api.login_lookup(p_username text, p_tenant text,
    p_ip_key text, p_id_key text, p_acct_key text, p_ip_limit int,
    p_id_limit int, p_acct_limit int)
RETURNS TABLE (retry_after int, user_id bigint, password_hash text,
    tenant_count int, tenant_id uuid, tenant_slug text, tenant_name text,
    attempt_window bigint)
LANGUAGE plpgsql AS $$
DECLARE
	u	users;
	n	int;
	tid	uuid;
	tslug	text;
	tname	text;
BEGIN
	SELECT a.retry_after, a.attempt_window INTO retry_after, attempt_window
	FROM api.auth_attempt(p_ip_key, p_id_key, p_acct_key, p_ip_limit,
	    p_id_limit, p_acct_limit) a;
	IF retry_after > 0 THEN
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT * INTO u FROM users WHERE username = p_username AND is_active;
	IF u.id IS NULL THEN
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT count(*) OVER (), tn.id, tn.slug, tn.name
	INTO n, tid, tslug, tname
	FROM memberships m JOIN tenants tn ON tn.id = m.tenant_id
	WHERE m.user_id = u.id AND tn.is_active AND (p_tenant IS NULL OR
	    tn.slug = p_tenant OR tn.id::text = lower(p_tenant))
	ORDER BY tn.slug LIMIT 1;

	user_id := u.id;
	password_hash := u.password_hash;
	tenant_count := COALESCE(n, 0);
	IF tenant_count = 1 THEN
		tenant_id := tid;
		tenant_slug := tslug;
		tenant_name := tname;
	END IF;
	RETURN NEXT;
END
$$;

-- An API client login's first step, counted like a user's: whose the
-- client id is (the reference table api_client_ids), then that tenant's
-- client.
CREATE FUNCTION api.client_lookup(p_client_id text, p_ip_key text,
    p_id_key text, p_acct_key text, p_ip_limit int, p_id_limit int,
    p_acct_limit int)
RETURNS TABLE (retry_after int, client_pk bigint, secret_hash text,
    tenant_id uuid, tenant_slug text, tenant_name text, roles json,
    scopes json, attempt_window bigint)
LANGUAGE plpgsql AS $$
DECLARE
	tid	uuid;
BEGIN
	SELECT a.retry_after, a.attempt_window INTO retry_after, attempt_window
	FROM api.auth_attempt(p_ip_key, p_id_key, p_acct_key, p_ip_limit,
	    p_id_limit, p_acct_limit) a;
	IF retry_after > 0 THEN
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT k.tenant_id INTO tid FROM api_client_ids k
	    WHERE k.client_id = p_client_id;

	-- Unusable clients answer like unknown ones.
	SELECT c.id, c.secret_hash, tn.id, tn.slug, tn.name, to_json(c.roles),
	    to_json(c.scopes)
	INTO client_pk, secret_hash, tenant_id, tenant_slug, tenant_name,
	    roles, scopes
	FROM api_clients c JOIN tenants tn ON tn.id = c.tenant_id
	WHERE c.tenant_id = tid AND c.client_id = p_client_id
	    AND c.is_active AND tn.is_active
	    AND (c.expires_at IS NULL OR c.expires_at > now());
	RETURN NEXT;
END
$$;

-- An event of a login (sql/V009__audit.sql): its actor is the session's
-- user or API client. p_ip, p_rid: the client address and the request
-- id the server answered.
CREATE FUNCTION api.audit_session(p_tenant uuid, p_sid uuid, p_kind text,
    p_ip text, p_rid text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM audit_record(p_tenant, p_kind,
	    CASE WHEN s.user_id IS NOT NULL THEN 'user' ELSE 'api_client' END,
	    COALESCE(s.user_id::text, c.client_id), p_ip, p_rid,
	    jsonb_build_object('session', s.id))
	FROM auth_sessions s LEFT JOIN api_clients c
	    ON c.tenant_id = s.tenant_id AND c.id = s.api_client_id
	WHERE s.tenant_id = p_tenant AND s.id = p_sid;
END
$$;

-- A login failed (a wrong password or secret, an unknown or inactive
-- account, a user with no tenant to log in to): recorded for the tenant
-- the login was for when that is known (p_tenant: the one tenant the
-- user named or has; an API client's own), else for no tenant. p_name
-- is the username or client id as given; p_user the user's id if there
-- is one. The attempt itself was counted by api.auth_attempt.
CREATE FUNCTION api.login_failed(p_kind text, p_name text, p_user bigint,
    p_tenant uuid, p_ip text, p_rid text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	tid	uuid := p_tenant;
	known	boolean := p_user IS NOT NULL;
BEGIN
	IF p_kind = 'api_client' THEN
		SELECT k.tenant_id INTO tid FROM api_client_ids k
		    WHERE k.client_id = p_name;
		known := tid IS NOT NULL;
	END IF;
	PERFORM audit_record(tid, 'login.failed', p_kind,
	    CASE WHEN p_kind = 'user' THEN p_user::text
	    WHEN known THEN p_name END, p_ip, p_rid,
	    jsonb_build_object(CASE WHEN p_kind = 'user' THEN 'username'
	    ELSE 'client_id' END, left(p_name, 150)));
END
$$;

-- A login succeeded: its attempt is given back, its address is one the
-- account is known at (auth_known_logins), a new session gets its first
-- refresh token, and the audit trail its event.
CREATE FUNCTION api.session_start(p_tenant uuid, p_user bigint,
    p_client bigint, p_refresh_exp double precision, p_ip_key text,
    p_id_key text, p_acct_key text, p_window bigint, p_ip text, p_rid text)
RETURNS TABLE (sid uuid, jti uuid)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM api.auth_refund(p_ip_key, p_id_key, p_acct_key, p_window);

	INSERT INTO auth_known_logins AS l (key, last_login_at)
	VALUES (p_id_key, now())
	ON CONFLICT (key) DO UPDATE SET last_login_at = now();
	DELETE FROM auth_known_logins l USING (SELECT o.key
	    FROM auth_known_logins o
	    WHERE o.last_login_at < now() - interval '30 days'
	    LIMIT 100 FOR UPDATE SKIP LOCKED) old
	WHERE l.key = old.key;

	INSERT INTO auth_sessions (tenant_id, user_id, api_client_id)
	VALUES (p_tenant, p_user, p_client) RETURNING id INTO sid;

	jti := gen_random_uuid();
	INSERT INTO refresh_tokens (tenant_id, jti, session_id, expires_at)
	VALUES (p_tenant, jti, sid, to_timestamp(p_refresh_exp));
	PERFORM api.audit_session(p_tenant, sid, 'login.succeeded', p_ip,
	    p_rid);
	RETURN NEXT;
END
$$;

-- Rotation: the presented refresh token is spent and a new one issued. A
-- spent token presented again means it was stolen or replayed: the whole
-- session (every token descended from that login) is revoked. p_tenant
-- is the refresh token's own (verified) tenant claim; p_ip and p_rid go
-- to the audit trail with the rotation or the reuse.
CREATE FUNCTION api.refresh(p_tenant uuid, p_jti uuid, p_kind text,
    p_refresh_exp double precision, p_ip text, p_rid text)
RETURNS TABLE (status int, sid uuid, jti uuid, tenant_id uuid,
    tenant_slug text, tenant_name text, user_id bigint, client_id text,
    roles json, scopes json)
LANGUAGE plpgsql AS $$
DECLARE
	rt	refresh_tokens;
	s	auth_sessions;
	tn	tenants;
	c	api_clients;
	ok	boolean;
BEGIN
	status := 401;

	SELECT * INTO rt FROM refresh_tokens r
	    WHERE r.tenant_id = p_tenant AND r.jti = p_jti FOR UPDATE;
	IF rt.jti IS NULL THEN
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT * INTO s FROM auth_sessions a
	    WHERE a.tenant_id = p_tenant AND a.id = rt.session_id FOR UPDATE;
	IF s.revoked_at IS NOT NULL THEN
		RETURN NEXT;
		RETURN;
	END IF;

	IF rt.used_at IS NOT NULL THEN
		UPDATE auth_sessions a SET revoked_at = now(),
		    revoked_reason = 'refresh token reuse'
		WHERE a.tenant_id = p_tenant AND a.id = s.id;
		PERFORM api.audit_session(p_tenant, s.id,
		    'token.reuse_detected', p_ip, p_rid);
		RETURN NEXT;
		RETURN;
	END IF;

	IF rt.expires_at <= now() OR
	    (p_kind = 'user') <> (s.user_id IS NOT NULL) THEN
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT * INTO tn FROM tenants t WHERE t.id = s.tenant_id;
	ok := tn.is_active;
	IF s.user_id IS NOT NULL THEN
		ok := ok AND EXISTS (SELECT 1 FROM memberships m
		    JOIN users u ON u.id = m.user_id
		    WHERE m.tenant_id = s.tenant_id AND m.user_id = s.user_id
		    AND u.is_active);
	ELSE
		SELECT * INTO c FROM api_clients a
		    WHERE a.tenant_id = s.tenant_id AND a.id = s.api_client_id;
		ok := ok AND c.is_active AND
		    (c.expires_at IS NULL OR c.expires_at > now());
	END IF;
	IF NOT COALESCE(ok, false) THEN
		RETURN NEXT;
		RETURN;
	END IF;

	UPDATE refresh_tokens r SET used_at = now()
	    WHERE r.tenant_id = p_tenant AND r.jti = rt.jti;
	jti := gen_random_uuid();
	INSERT INTO refresh_tokens (tenant_id, jti, session_id, parent_jti,
	    expires_at)
	VALUES (p_tenant, jti, s.id, rt.jti, to_timestamp(p_refresh_exp));
	PERFORM api.audit_session(p_tenant, s.id, 'token.refreshed', p_ip,
	    p_rid);

	status := 200;
	sid := s.id;
	tenant_id := tn.id;
	tenant_slug := tn.slug;
	tenant_name := tn.name;
	user_id := s.user_id;
	client_id := c.client_id;
	roles := to_json(c.roles);
	scopes := to_json(c.scopes);
	RETURN NEXT;
END
$$;

-- Logout: the session of this refresh token ends, with every token of
-- it; the audit trail records the logout that ended it (not a repeat).
CREATE FUNCTION api.revoke(p_tenant uuid, p_jti uuid, p_ip text,
    p_rid text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	s	uuid;
BEGIN
	SELECT r.session_id INTO s FROM refresh_tokens r
	    WHERE r.tenant_id = p_tenant AND r.jti = p_jti;
	IF s IS NULL THEN
		RETURN 401;
	END IF;

	UPDATE auth_sessions a SET revoked_at = now(),
	    revoked_reason = 'logout'
	WHERE a.tenant_id = p_tenant AND a.id = s AND a.revoked_at IS NULL;
	IF FOUND THEN
		PERFORM api.audit_session(p_tenant, s, 'logout', p_ip, p_rid);
	END IF;
	RETURN 204;
END
$$;

-- Is a token (already verified cryptographically) still good? What a
-- request with it would need: api.principal_at() (an active tenant, user or
-- API client, a login not revoked); a refresh token must be unspent too.
-- p_verdict: the epoch the worker remembers (sql/V008), as on every
-- request; p_jti: a refresh token's id, else NULL.
CREATE FUNCTION api.verify(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_jti uuid)
RETURNS int
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN (api.principal_at(p_tenant, p_kind, p_sub, p_sid,
		p_verdict)).status <> 0
		THEN 401
	    WHEN p_jti IS NOT NULL AND NOT EXISTS (SELECT 1
		FROM refresh_tokens r
		JOIN auth_sessions s ON s.tenant_id = r.tenant_id
		AND s.id = r.session_id
		WHERE r.tenant_id = p_tenant AND r.jti = p_jti
		AND r.used_at IS NULL AND s.revoked_at IS NULL) THEN 401
	    ELSE 200 END
$$;
