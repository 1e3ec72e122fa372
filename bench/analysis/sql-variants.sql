-- Candidate rewrites of the hot API functions, for measurement only
-- (bench/analysis/cpu-per-call.sh loads them into a scratch schema
-- "benchx" of a benchmark database and drops it again). Each one answers
-- byte for byte what its sql/R__*.sql original answers on the test data
-- (the script checks that before timing). This is the evidence for the
-- first analysis in bench/RESULTS.md: the originals it was measured
-- against are sql/ at commit 9b2fa3f; commit eaea94f adopted these
-- rewrites (with EXECUTE for the lists' ORDER BY), so against today's
-- sql/ the script compares two near-equal versions. Check out 9b2fa3f
-- to reproduce the figures.
--
--   benchx.project_get         JSON built inline: no call of the SQL
--                              function api.project_json, which PostgreSQL
--                              15 re-plans on every statement execution
--   benchx.project_list        the same for the list
--   benchx.project_list_idx    + a static ORDER BY that the index
--                              projects_created_idx serves (no
--                              materialized CTE, no sort of every row),
--                              count(*) from the index
--   benchx.project_statistics  projects_with_tasks from one pass over the
--                              tenant's tasks (count(DISTINCT project_id))
--                              instead of an EXISTS probe per project
--   benchx.task_list           JSON inline (no api.task_json)
--   benchx.task_list_idx       + static ORDER BY served by tasks_status_idx
--   benchx.principal           the principal check as one statement

DROP SCHEMA IF EXISTS benchx CASCADE;
CREATE SCHEMA benchx;

CREATE FUNCTION benchx.project_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_status text, p_search text, p_ordering text,
    p_limit bigint, p_offset bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
	pat	text := api.contains(p_search);
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY
	WITH f AS MATERIALIZED (
		SELECT p.id, p.name, p.description, p.status, p.created_at, p.updated_at FROM projects p
		WHERE p.tenant_id = p_tenant
		AND (p_status IS NULL OR p.status = p_status::project_status)
		AND (p_search IS NULL OR p.name ILIKE pat
		    OR p.description ILIKE pat)
	)
	SELECT 200, (SELECT count(*) FROM f),
	    (SELECT COALESCE(json_agg(row_to_json(x)), '[]') FROM (SELECT f.id, f.name, f.description, f.status,
	        (SELECT count(*) FROM tasks t WHERE t.tenant_id = p_tenant AND t.project_id = f.id) AS tasks_count,
	        api.ts(f.created_at) AS created_at, api.ts(f.updated_at) AS updated_at
	     FROM f
		ORDER BY
		CASE WHEN p_ordering = 'name' THEN f.name END,
		CASE WHEN p_ordering = '-name' THEN f.name END DESC,
		CASE WHEN p_ordering = 'status' THEN f.status END,
		CASE WHEN p_ordering = '-status' THEN f.status END DESC,
		CASE WHEN p_ordering = 'created_at' THEN f.created_at END,
		CASE WHEN p_ordering = '-created_at' THEN f.created_at END DESC,
		CASE WHEN p_ordering = 'updated_at' THEN f.updated_at END,
		CASE WHEN p_ordering = '-updated_at' THEN f.updated_at END DESC,
		CASE WHEN left(p_ordering, 1) = '-' THEN f.id END DESC,
		f.id
		LIMIT p_limit OFFSET p_offset) x)::text,
	    pr.rpm;
END
$$;

-- statistics: projects_with_tasks from the tenant's tasks (one scan),
-- not an EXISTS probe per project.
CREATE FUNCTION benchx.project_statistics(p_tenant uuid, p_kind text,
    p_sub text, p_sid uuid)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY
	WITH ps AS (
		SELECT
		    count(*) AS total,
		    count(*) FILTER (WHERE p.status = 'active') AS active,
		    count(*) FILTER (WHERE p.status = 'completed') AS completed,
		    count(*) FILTER (WHERE p.status = 'archived') AS archived
		FROM projects p WHERE p.tenant_id = p_tenant
	), ts AS (
		SELECT
		    count(*) AS total,
		    count(*) FILTER (WHERE t.status = 'todo') AS todo,
		    count(*) FILTER (WHERE t.status = 'in_progress') AS in_progress,
		    count(*) FILTER (WHERE t.status = 'done') AS done,
		    count(*) FILTER (WHERE t.status <> 'done'
			AND t.due_date < current_date) AS overdue,
		    count(DISTINCT t.project_id) AS with_tasks
		FROM tasks t WHERE t.tenant_id = p_tenant
	)
	SELECT 200, NULL::bigint, json_build_object(
	    'total_projects', ps.total,
	    'active_projects', ps.active,
	    'completed_projects', ps.completed,
	    'archived_projects', ps.archived,
	    'projects_with_tasks', ts.with_tasks,
	    'projects', json_build_object(
		'total', ps.total,
		'by_status', json_build_object('active', ps.active,
		    'completed', ps.completed, 'archived', ps.archived)),
	    'tasks', json_build_object(
		'total', ts.total,
		'by_status', json_build_object('todo', ts.todo,
		    'in_progress', ts.in_progress, 'done', ts.done),
		'overdue', ts.overdue),
	    'documents', json_build_object(
		'total', (SELECT count(*) FROM documents d
		    WHERE d.tenant_id = p_tenant)))::text,
	    pr.rpm
	FROM ps, ts;
END
$$;

-- detail: JSON inline.
CREATE FUNCTION benchx.project_get(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint, row_to_json(x)::text, pr.rpm
	FROM (SELECT p.id, p.name, p.description, p.status,
	    (SELECT count(*) FROM tasks t WHERE t.tenant_id = p_tenant AND t.project_id = p.id) AS tasks_count,
	    api.ts(p.created_at) AS created_at, api.ts(p.updated_at) AS updated_at
	    FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_id) x;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
	END IF;
END
$$;

-- task list: JSON inline, project name by join.
CREATE FUNCTION benchx.task_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_project bigint, p_status text, p_priority text,
    p_search text, p_ordering text, p_limit bigint, p_offset bigint,
    p_in_project boolean)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
	pat	text := api.contains(p_search);
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	IF p_in_project AND NOT EXISTS (SELECT 1 FROM projects p
	    WHERE p.tenant_id = p_tenant AND p.id = p_project) THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY
	WITH f AS MATERIALIZED (
		SELECT t.id, t.project_id, t.title, t.description, t.status, t.priority, t.due_date, t.completed_at, t.created_at, t.updated_at FROM tasks t
		WHERE t.tenant_id = p_tenant
		AND (p_project IS NULL OR t.project_id = p_project)
		AND (p_status IS NULL OR t.status = p_status::task_status)
		AND (p_priority IS NULL OR
		    t.priority = p_priority::task_priority)
		AND (p_search IS NULL OR t.title ILIKE pat)
	)
	SELECT 200, (SELECT count(*) FROM f),
	    (SELECT COALESCE(json_agg(row_to_json(x)), '[]') FROM (SELECT pg.id, pg.project_id AS project,
		(SELECT p.name FROM projects p WHERE p.tenant_id = p_tenant AND p.id = pg.project_id) AS project_name,
		pg.title, pg.description, pg.status, pg.priority, pg.due_date,
		api.ts(pg.completed_at) AS completed_at, api.ts(pg.created_at) AS created_at, api.ts(pg.updated_at) AS updated_at
	    FROM (SELECT * FROM f
		ORDER BY
		CASE WHEN p_ordering = 'title' THEN f.title END,
		CASE WHEN p_ordering = '-title' THEN f.title END DESC,
		CASE WHEN p_ordering = 'status' THEN f.status END,
		CASE WHEN p_ordering = '-status' THEN f.status END DESC,
		CASE WHEN p_ordering = 'priority' THEN f.priority END,
		CASE WHEN p_ordering = '-priority' THEN f.priority END DESC,
		CASE WHEN p_ordering = 'due_date' THEN f.due_date END,
		CASE WHEN p_ordering = '-due_date' THEN f.due_date END DESC,
		CASE WHEN p_ordering = 'created_at' THEN f.created_at END,
		CASE WHEN p_ordering = '-created_at' THEN f.created_at END DESC,
		CASE WHEN p_ordering = 'updated_at' THEN f.updated_at END,
		CASE WHEN p_ordering = '-updated_at' THEN f.updated_at END DESC,
		CASE WHEN left(p_ordering, 1) = '-' THEN f.id END DESC,
		f.id
		LIMIT p_limit OFFSET p_offset) pg) x)::text,
	    pr.rpm;
END
$$;

-- The plan shape a static query per ordering gets (here only the default
-- ordering, no filters: an illustration, not a full implementation; with
-- EXECUTE format(... ORDER BY %s ...) over the whitelisted orderings, or
-- one static query per ordering, the real function would get it).
CREATE FUNCTION benchx.project_list_idx(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_status text, p_search text, p_ordering text,
    p_limit bigint, p_offset bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT 200, (SELECT count(*) FROM projects p WHERE p.tenant_id = p_tenant),
	    (SELECT COALESCE(json_agg(row_to_json(x)), '[]') FROM (SELECT f.id, f.name, f.description, f.status,
	        (SELECT count(*) FROM tasks t WHERE t.tenant_id = p_tenant AND t.project_id = f.id) AS tasks_count,
	        api.ts(f.created_at) AS created_at, api.ts(f.updated_at) AS updated_at
	     FROM projects f WHERE f.tenant_id = p_tenant
		ORDER BY f.created_at DESC, f.id DESC
		LIMIT p_limit OFFSET p_offset) x)::text,
	    pr.rpm;
END
$$;

-- As above for GET /api/v1/tasks/?status=...&ordering=-created_at only.
CREATE FUNCTION benchx.task_list_idx(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_project bigint, p_status text, p_priority text,
    p_search text, p_ordering text, p_limit bigint, p_offset bigint,
    p_in_project boolean)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT 200, (SELECT count(*) FROM tasks t WHERE t.tenant_id = p_tenant AND t.status = p_status::task_status),
	    (SELECT COALESCE(json_agg(row_to_json(x)), '[]') FROM (SELECT pg.id, pg.project_id AS project,
		(SELECT p.name FROM projects p WHERE p.tenant_id = p_tenant AND p.id = pg.project_id) AS project_name,
		pg.title, pg.description, pg.status, pg.priority, pg.due_date,
		api.ts(pg.completed_at) AS completed_at, api.ts(pg.created_at) AS created_at, api.ts(pg.updated_at) AS updated_at
	    FROM (SELECT * FROM tasks f WHERE f.tenant_id = p_tenant AND f.status = p_status::task_status
		ORDER BY f.created_at DESC, f.id DESC
		LIMIT p_limit OFFSET p_offset) pg) x)::text,
	    pr.rpm;
END
$$;

-- api.principal with its three look-ups in one statement.
CREATE FUNCTION benchx.principal(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, OUT status int, OUT body text, OUT rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	active boolean; revoked boolean; member boolean; client boolean;
BEGIN
	SELECT t.is_active, t.requests_per_minute,
	    p_sid IS NOT NULL AND EXISTS (SELECT 1 FROM auth_sessions s
		WHERE s.id = p_sid AND s.revoked_at IS NOT NULL),
	    p_kind = 'user' AND EXISTS (SELECT 1 FROM memberships m
		JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = p_tenant AND m.user_id = p_sub::bigint AND u.is_active),
	    p_kind = 'api_client' AND EXISTS (SELECT 1 FROM api_clients c
		WHERE c.tenant_id = p_tenant AND c.client_id = p_sub AND c.is_active
		AND (c.expires_at IS NULL OR c.expires_at > now()))
	INTO active, rpm, revoked, member, client
	FROM tenants t WHERE t.id = p_tenant;
	rpm := COALESCE(rpm, 0);
	status := 0;
	IF active IS NOT TRUE THEN
		status := 403;
		body := api.err('tenant_inactive', 'Tenant is inactive or does not exist.');
	ELSIF revoked THEN
		status := 401;
		body := api.err('token_not_valid', 'Given token not valid for any token type');
	ELSIF p_kind = 'user' AND NOT member THEN
		status := 403;
		body := api.err('permission_denied', 'User is inactive or not a member of this tenant.');
	ELSIF p_kind = 'api_client' AND NOT client THEN
		status := 403;
		body := api.err('permission_denied', 'API client is inactive, expired or revoked.');
	ELSIF p_kind NOT IN ('user', 'api_client', 'service') THEN
		status := 403;
		body := api.err('permission_denied', 'You do not have permission to perform this action.');
	END IF;
END
$$;
