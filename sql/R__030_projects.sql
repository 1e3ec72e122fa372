-- Projects: the SQL behind src/handlers/projects.c. Every statement is
-- scoped by p_tenant, the tenant of the verified token.

CREATE TYPE api.project_out AS (id bigint, name text, description text,
    status project_status, tasks_count bigint, created_at text,
    updated_at text);

-- A project as the API shows it. Without a sub-select of its own,
-- PostgreSQL inlines it into the statement that calls it (the caller
-- counts the tasks).
CREATE FUNCTION api.project_json(p projects, tasks_count bigint)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(ROW(p.id, p.name, p.description, p.status,
	    tasks_count, api.ts(p.created_at), api.ts(p.updated_at))
	    ::api.project_out)
$$;

-- Lists run through EXECUTE: planned with the values, the filters and the
-- ordering (a whitelisted column) use the indexes, and the page is read
-- in index order, LIMIT first.
CREATE FUNCTION api.project_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_status text, p_search text, p_ordering text,
    p_limit bigint, p_offset bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr	record;
	n	bigint;
	page	text;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	EXECUTE format($q$
	    WITH f AS NOT MATERIALIZED (
		SELECT * FROM projects p WHERE p.tenant_id = $1
		AND ($2::text IS NULL OR p.status = $2::project_status)
		AND ($3::text IS NULL OR p.name ILIKE $3
		    OR p.description ILIKE $3))
	    SELECT (SELECT count(*) FROM f),
		(SELECT COALESCE(json_agg(j), '[]')::text FROM (
		    SELECT api.project_json(x, (SELECT count(*) FROM tasks t
			WHERE t.tenant_id = x.tenant_id
			AND t.project_id = x.id)) AS j
		    FROM f x ORDER BY %s LIMIT $4 OFFSET $5) s)
	    $q$, api.order_by(p_ordering,
	    '{name,created_at,updated_at,status}'))
	INTO n, page
	USING p_tenant, p_status, api.contains(p_search), p_limit, p_offset;

	RETURN QUERY SELECT 200, n, page, pr.rpm;
END
$$;

CREATE FUNCTION api.project_get(p_tenant uuid, p_kind text, p_sub text,
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

	RETURN QUERY SELECT 200, NULL::bigint, api.project_json(p,
	    (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id
	    AND t.project_id = p.id))::text, pr.rpm
	FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
	END IF;
END
$$;

CREATE FUNCTION api.project_create(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_name text, p_description text, p_status text)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	p	projects;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	INSERT INTO projects (tenant_id, name, description, status)
	VALUES (p_tenant, p_name, COALESCE(p_description, ''),
	    COALESCE(p_status, 'active')::project_status)
	ON CONFLICT (tenant_id, name) DO NOTHING
	RETURNING * INTO p;

	IF p.id IS NULL THEN
		RETURN QUERY SELECT 400, NULL::bigint, api.field_err('name',
		    'A project with this name already exists.'), pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY SELECT 201, NULL::bigint, api.project_json(p, 0)::text,
	    pr.rpm;
END
$$;

-- PUT and PATCH: p_mask says which fields were given (1 name,
-- 2 description, 4 status); the others keep their values.
CREATE FUNCTION api.project_update(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_id bigint, p_mask int, p_name text, p_description text,
    p_status text)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	p	projects;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	BEGIN
		UPDATE projects x SET
		    name = CASE WHEN p_mask & 1 <> 0 THEN p_name ELSE x.name END,
		    description = CASE WHEN p_mask & 2 <> 0
			THEN p_description ELSE x.description END,
		    status = CASE WHEN p_mask & 4 <> 0
			THEN p_status::project_status ELSE x.status END,
		    updated_at = now()
		WHERE x.tenant_id = p_tenant AND x.id = p_id
		RETURNING * INTO p;
	EXCEPTION WHEN unique_violation THEN
		RETURN QUERY SELECT 400, NULL::bigint, api.field_err('name',
		    'A project with this name already exists.'), pr.rpm;
		RETURN;
	END;

	IF p.id IS NULL THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint, api.project_json(p,
	    (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id
	    AND t.project_id = p.id))::text, pr.rpm;
END
$$;

-- Its tasks and documents go with it (ON DELETE CASCADE).
CREATE FUNCTION api.project_delete(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	DELETE FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY SELECT 204, NULL::bigint, NULL::text, pr.rpm;
END
$$;

-- The statistics body, nested, its keys in this order.
CREATE TYPE api.stats_projects_by AS (active bigint, completed bigint,
    archived bigint);
CREATE TYPE api.stats_tasks_by AS (todo bigint, in_progress bigint,
    done bigint);
CREATE TYPE api.stats_projects AS (total bigint, by_status json);
CREATE TYPE api.stats_tasks AS (total bigint, by_status json,
    overdue bigint);
CREATE TYPE api.stats_documents AS (total bigint);
CREATE TYPE api.stats_out AS (total_projects bigint, active_projects bigint,
    completed_projects bigint, archived_projects bigint,
    projects_with_tasks bigint, projects json, tasks json, documents json);

-- Every status key present, zeros included. The flat keys are what the
-- original service's clients read. One pass over each table.
CREATE FUNCTION api.project_statistics(p_tenant uuid, p_kind text,
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
	), ds AS (
		SELECT count(*) AS total
		FROM documents d WHERE d.tenant_id = p_tenant
	)
	SELECT 200, NULL::bigint, row_to_json(ROW(ps.total, ps.active,
	    ps.completed, ps.archived, ts.with_tasks,
	    row_to_json(ROW(ps.total, row_to_json(ROW(ps.active, ps.completed,
		ps.archived)::api.stats_projects_by))::api.stats_projects),
	    row_to_json(ROW(ts.total, row_to_json(ROW(ts.todo, ts.in_progress,
		ts.done)::api.stats_tasks_by), ts.overdue)::api.stats_tasks),
	    row_to_json(ROW(ds.total)::api.stats_documents))
	    ::api.stats_out)::text, pr.rpm
	FROM ps, ts, ds;
END
$$;
