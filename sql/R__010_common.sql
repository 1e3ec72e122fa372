-- Helpers shared by the API functions (schema "api").
--
-- Repeatable migration: the operator command drops the api schema and
-- re-creates every R__ file whenever one of them changes. The api schema
-- holds functions only, never data.
--
-- Every API function answers one row (status, total, body, rpm):
--   status	the HTTP status
--   total	the row count of a list (NULL otherwise)
--   body	the JSON body (a list's results array), or NULL for 204
--   rpm	the tenant's requests-per-minute limit, for the rate limiter
-- and takes the principal from the verified token as $1..$4:
--   p_tenant uuid, p_kind text, p_sub text, p_sid uuid.

-- RFC 3339 in UTC with microseconds, as DRF renders DateTimeField.
CREATE FUNCTION api.ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The error body of API.md, compact like the ones src/response.c writes.
CREATE FUNCTION api.err(code text, detail text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT format('{"detail":%s,"code":%s}', to_json(detail), to_json(code))
$$;

-- 400 with DRF's {"field": ["message"]} errors.
CREATE FUNCTION api.field_err(field text, message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT format('{"detail":"Invalid input.","code":"invalid",'
	    '"errors":{%s:[%s]}}', to_json(field), to_json(message))
$$;

-- A "project" that is not a project of this tenant: the same answer
-- whether it exists in another tenant or nowhere.
CREATE FUNCTION api.bad_project(p_project bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT api.field_err('project',
	    format('Invalid pk "%s" - object does not exist.', p_project))
$$;

-- A LIKE pattern matching s anywhere, with s's wildcards taken literally.
CREATE FUNCTION api.contains(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT '%' || replace(replace(replace(s, '\', '\\'), '%', '\%'),
	    '_', '\_') || '%'
$$;

-- The ORDER BY of the column f of p_table in the direction dir (ASC or
-- DESC), its ties in the same direction: by creation (created_at, then
-- id) for a column of an enum type, a status or a priority, whose few
-- values make ties the rule, and whose one-filter list's index
-- (tenant_id, f, created_at, id) then serves the ordering too; by id for
-- the others. f comes from an ordering whitelist, never from the client.
CREATE FUNCTION api.order_key(p_table regclass, f text, dir text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT format(CASE WHEN t.typtype = 'e'
	    THEN 'x.%1$I %2$s, x.created_at %2$s, x.id %2$s'
	    ELSE 'x.%1$I %2$s, x.id %2$s' END, f, dir)
	FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
	WHERE a.attrelid = p_table AND a.attname = f AND NOT a.attisdropped
$$;

-- The ORDER BY of a list of p_table: p_ordering ("name", "-created_at",
-- ...) if it is one of p_fields (api.order_key); anything else (the
-- route's validator already refused it) gets the default order,
-- -created_at.
CREATE FUNCTION api.order_by(p_ordering text, p_fields text[],
    p_table regclass) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT COALESCE((SELECT api.order_key(p_table, f,
	    CASE WHEN left(p_ordering, 1) = '-' THEN 'DESC' ELSE 'ASC' END)
	    FROM unnest(p_fields) AS f WHERE f = ltrim(p_ordering, '-')),
	    api.order_key(p_table, 'created_at', 'DESC'))
$$;

-- May this principal act for this tenant now? Checked on every request in
-- the same statement as the data, so that deactivating a tenant, user or
-- API client, or revoking a login or a service token, counts from the
-- very next request. For a service token p_sid is its jti: it must have
-- a record (sql/V003), not revoked.
CREATE FUNCTION api.principal(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, OUT status int, OUT body text, OUT rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	why	int;
BEGIN
	-- One statement: it runs on every request.
	SELECT CASE
	    WHEN t.id IS NULL OR NOT t.is_active THEN 1
	    WHEN p_kind = 'user' AND NOT EXISTS (SELECT 1 FROM memberships m
		JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = p_tenant AND m.user_id = p_sub::bigint
		AND u.is_active) THEN 2
	    WHEN p_kind = 'api_client' AND NOT EXISTS (SELECT 1
		FROM api_clients c WHERE c.tenant_id = p_tenant
		AND c.client_id = p_sub AND c.is_active
		AND (c.expires_at IS NULL OR c.expires_at > now())) THEN 3
	    WHEN p_kind = 'service' AND NOT EXISTS (SELECT 1
		FROM service_tokens st WHERE st.jti = p_sid
		AND st.tenant_id = p_tenant AND st.revoked_at IS NULL) THEN 5
	    WHEN p_kind NOT IN ('user', 'api_client', 'service') THEN 4
	    -- Still active, but this login was revoked.
	    WHEN p_kind <> 'service' AND p_sid IS NOT NULL AND EXISTS (SELECT 1
		FROM auth_sessions s WHERE s.tenant_id = p_tenant AND s.id = p_sid
		AND s.revoked_at IS NOT NULL) THEN 5
	    ELSE 0 END,
	    COALESCE(t.requests_per_minute, 0)
	INTO why, rpm
	FROM (SELECT 1) one LEFT JOIN tenants t ON t.id = p_tenant;

	status := CASE why WHEN 0 THEN 0 WHEN 5 THEN 401 ELSE 403 END;
	body := CASE why
	    WHEN 1 THEN api.err('tenant_inactive',
		'Tenant is inactive or does not exist.')
	    WHEN 2 THEN api.err('permission_denied',
		'User is inactive or not a member of this tenant.')
	    WHEN 3 THEN api.err('permission_denied',
		'API client is inactive, expired or revoked.')
	    WHEN 4 THEN api.err('permission_denied',
		'You do not have permission to perform this action.')
	    WHEN 5 THEN api.err('token_not_valid',
		'Given token not valid for any token type')
	    END;
END
$$;

-- Rate limit reconciliation (src/ratelimit.c): add each worker's new
-- counts, answer the totals across every worker and server, and the
-- tenants' limits. A count below zero gives back requests the principal
-- check refused after they were sent. p_batch is {"writer": W, "counts":
-- [{"t": tenant, "w": window, "n": count}, ...]}: each worker writes rows
-- of its own, writer W (sql/V010), so no two syncs wait for each other.
-- A bare array of counts (a server from before the writer) writes this
-- backend's rows: one row per connection that synced, not per worker,
-- which the totals sum (at 10,000 tenants, 8 rows a tenant and window).
CREATE FUNCTION api.ratelimit_sync(p_batch json)
RETURNS TABLE (tenant_id uuid, window_start bigint, total bigint, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	-- A key of an array is NULL: a bare array is its own counts.
	v_counts	json := COALESCE(p_batch->'counts', p_batch);
	v_writer	int := COALESCE((p_batch->>'writer')::int,
	    pg_backend_pid());
BEGIN
	-- Windows that ended: rows another sync is deleting are its own.
	DELETE FROM rate_counters rc WHERE rc.ctid IN (
	    SELECT o.ctid FROM rate_counters o
	    WHERE o.window_start < (extract(epoch FROM now())::bigint / 60) - 2
	    FOR UPDATE SKIP LOCKED);

	-- This writer's own rows only (V010): no sync waits for another.
	-- The total: every writer's row as this snapshot sees it, plus what
	-- this batch adds (the upsert's own change is not in the snapshot).
	RETURN QUERY
	WITH b AS (
		SELECT x.t, x.w, sum(x.n)::bigint AS n
		FROM json_to_recordset(v_counts) AS x(t uuid, w bigint,
		    n bigint)
		GROUP BY 1, 2
	), up AS (
		INSERT INTO rate_counters AS rc (tenant_id, window_start,
		    writer, count)
		SELECT b.t, b.w, v_writer, b.n FROM b WHERE b.n <> 0
		ON CONFLICT ON CONSTRAINT rate_counters_pkey
		    DO UPDATE SET count = rc.count + excluded.count
	), cur AS (
		SELECT c.tenant_id AS t, c.window_start AS w, sum(c.count) AS n
		FROM rate_counters c JOIN b ON c.tenant_id = b.t
		    AND c.window_start = b.w
		GROUP BY 1, 2
	)
	SELECT b.t, b.w, greatest(COALESCE(cur.n, 0) + b.n, 0)::bigint,
	    COALESCE(tn.requests_per_minute, 0)
	FROM b
	LEFT JOIN cur ON cur.t = b.t AND cur.w = b.w
	LEFT JOIN tenants tn ON tn.id = b.t;
END
$$;

-- The API client usage log (src/usage.c): one statement per batch.
CREATE FUNCTION api.usage_insert(p_batch json) RETURNS void
LANGUAGE sql AS $$
	WITH r AS (
		SELECT * FROM json_to_recordset(p_batch) AS x(client_id text,
		    tenant uuid, method text, path text, status int,
		    latency_ms bigint, ip text, at double precision)
	), ins AS (
		INSERT INTO api_client_usage (tenant_id, api_client_id, method,
		    path, status, latency_ms, client_ip, created_at)
		SELECT c.tenant_id, c.id, r.method, left(r.path, 2000),
		    r.status, least(r.latency_ms, 2147483647), r.ip,
		    to_timestamp(r.at)
		FROM r JOIN api_clients c ON c.client_id = r.client_id
		    AND c.tenant_id = r.tenant
	)
	UPDATE api_clients c SET last_used_at = greatest(c.last_used_at, u.at)
	FROM (SELECT r.client_id, r.tenant, to_timestamp(max(r.at)) AS at
	    FROM r GROUP BY r.client_id, r.tenant) u
	WHERE c.client_id = u.client_id AND c.tenant_id = u.tenant
$$;

-- The verdict with the epoch of its tenant's slot (sql/V008), read in the
-- same snapshot: what a worker may remember (src/verdict.c) and send
-- back as p_verdict. NULL verdict: not to be remembered (a refusal, a
-- kind whose state no epoch covers, an API client that expires).
CREATE FUNCTION api.principal_verdict(p_tenant uuid, p_kind text,
    p_sub text, p_sid uuid, OUT status int, OUT body text, OUT rpm int,
    OUT verdict bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	SELECT pr.status, pr.body, pr.rpm INTO status, body, rpm
	FROM api.principal(p_tenant, p_kind, p_sub, p_sid) pr;
	IF status = 0 AND (p_kind = 'user' OR (p_kind = 'api_client' AND
	    EXISTS (SELECT 1 FROM api_clients c WHERE c.tenant_id = p_tenant
	    AND c.client_id = p_sub AND c.expires_at IS NULL))) THEN
		SELECT e.n[verdict_slot(p_tenant)] INTO verdict
		FROM verdict_epochs e;
	END IF;
END
$$;

-- The check of the statements that are not on the read path: the
-- remembered verdict if its epoch still holds (rpm NULL: the worker
-- knows it), else the full check. The reads join the same comparison
-- into their data statement instead.
CREATE FUNCTION api.principal_at(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, OUT status int, OUT body text,
    OUT rpm int, OUT verdict bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_verdict IS NOT NULL AND EXISTS (SELECT 1 FROM verdict_epochs e
	    WHERE e.n[verdict_slot(p_tenant)] = p_verdict) THEN
		status := 0;
		verdict := p_verdict;
		RETURN;
	END IF;
	SELECT * INTO status, body, rpm, verdict
	FROM api.principal_verdict(p_tenant, p_kind, p_sub, p_sid);
END
$$;

-- The ORDER BY of each whitelisted ordering of a list of p_table, either
-- direction (api.order_key).
CREATE FUNCTION api.orderings(p_fields text[], p_table regclass)
RETURNS TABLE (ordering text, order_by text)
LANGUAGE sql STABLE AS $$
	SELECT d.p || f, api.order_key(p_table, f, d.dir)
	FROM unnest(p_fields) WITH ORDINALITY AS u(f, i),
	    (VALUES ('', 'ASC', 1), ('-', 'DESC', 2)) AS d(p, dir, k)
	ORDER BY u.i, d.k
$$;

-- A list function's static statements, as PL/pgSQL: for each shape (a
-- WHEN of the variable shape, numbered from 1) and each ordering, a
-- RETURN QUERY of p_template with %1$s the shape's condition on the rows
-- x, %2$s the ORDER BY and %3$s the shape's count; anything else goes to
-- p_else. Each statement gets its own plan, which PL/pgSQL keeps for the
-- connection's life: the lists are planned once, not per request. The
-- default order (-created_at) is every CASE's ELSE. p_fields: the
-- ordering whitelist of p_table.
CREATE FUNCTION api.list_cases(p_template text, p_conds text[],
    p_counts text[], p_fields text[], p_else text, p_table regclass)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	src	text := E'CASE shape\n';
	o	record;
	i	int;
BEGIN
	FOR i IN 1 .. cardinality(p_conds) LOOP
		src := src || format(E'WHEN %s THEN\nCASE p_ordering\n', i);
		FOR o IN SELECT * FROM api.orderings(p_fields, p_table)
		    WHERE ordering <> '-created_at' LOOP
			src := src || format(E'WHEN %L THEN RETURN QUERY %s;\n',
			    o.ordering, format(p_template, p_conds[i],
			    o.order_by, p_counts[i]));
		END LOOP;
		src := src || format(E'ELSE RETURN QUERY %s;\nEND CASE;\n',
		    format(p_template, p_conds[i], api.order_key(p_table,
		    'created_at', 'DESC'), p_counts[i]));
	END LOOP;

	RETURN src || E'ELSE\n' || p_else || E'\nEND CASE;';
END
$$;

-- A resource's detail read, api.<p_name>_get: one SQL function that
-- PostgreSQL inlines into the prepared statement calling it, so a read
-- whose remembered verdict epoch still holds is a plain statement (no
-- PL/pgSQL call): the row %2$s (its body) FROM verdict_epochs e, %3$s
-- WHERE %4$s, only while the epoch of the tenant's slot is p_verdict.
-- Else, in the same snapshot, api.<p_name>_get_checked: the full check,
-- then the row (404 when there is none). PL/pgSQL runs only on a miss.
CREATE FUNCTION api.define_get(p_name text, p_body text, p_from text,
    p_where text) RETURNS void
LANGUAGE plpgsql AS $gen$
BEGIN
	EXECUTE format($f$
CREATE FUNCTION api.%1$s_get_checked(p_tenant uuid, p_kind text,
    p_sub text, p_sid uuid, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal_verdict(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, NULL::bigint, %2$s, pr.rpm, pr.verdict
	FROM %3$s WHERE %4$s;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
	END IF;
END
$$;

CREATE FUNCTION api.%1$s_get(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE sql STABLE AS $$
	WITH hit AS MATERIALIZED (
		SELECT 200 AS status, NULL::bigint AS total, %2$s AS body,
		    NULL::int AS rpm, p_verdict AS verdict
		FROM verdict_epochs e, %3$s
		WHERE e.n[verdict_slot(p_tenant)] = p_verdict AND %4$s)
	SELECT * FROM hit
	UNION ALL
	SELECT * FROM api.%1$s_get_checked(p_tenant, p_kind, p_sub, p_sid,
	    p_id)
	WHERE NOT EXISTS (SELECT FROM hit)
$$;
$f$, p_name, p_body, p_from, p_where);
END
$gen$;
