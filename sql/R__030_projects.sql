-- Projects: the SQL behind src/handlers/projects.c. Every statement is
-- scoped by p_tenant, the tenant of the verified token.

-- row_to_json keeps the column order and writes compact JSON.
CREATE FUNCTION api.project_json(p projects) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (SELECT
	    p.id,
	    p.name,
	    p.description,
	    p.status,
	    (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id
		AND t.project_id = p.id) AS tasks_count,
	    api.ts(p.created_at) AS created_at,
	    api.ts(p.updated_at) AS updated_at) x
$$;

CREATE FUNCTION api.project_list(p_tenant uuid, p_kind text, p_sub text,
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
		SELECT * FROM projects p
		WHERE p.tenant_id = p_tenant
		AND (p_status IS NULL OR p.status = p_status::project_status)
		AND (p_search IS NULL OR p.name ILIKE pat
		    OR p.description ILIKE pat)
	)
	SELECT 200, (SELECT count(*) FROM f),
	    (SELECT COALESCE(json_agg(api.project_json(pg::projects)), '[]')
	    FROM (SELECT * FROM f
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
		LIMIT p_limit OFFSET p_offset) pg)::text,
	    pr.rpm;
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

	RETURN QUERY SELECT 200, NULL::bigint, api.project_json(p)::text, pr.rpm
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

	RETURN QUERY SELECT 201, NULL::bigint, api.project_json(p)::text, pr.rpm;
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

	RETURN QUERY SELECT 200, NULL::bigint, api.project_json(p)::text, pr.rpm;
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

-- Every status key present, zeros included. The flat keys are what the
-- original service's clients read.
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
		    count(*) FILTER (WHERE p.status = 'archived') AS archived,
		    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM tasks t
			WHERE t.tenant_id = p.tenant_id
			AND t.project_id = p.id)) AS with_tasks
		FROM projects p WHERE p.tenant_id = p_tenant
	), ts AS (
		SELECT
		    count(*) AS total,
		    count(*) FILTER (WHERE t.status = 'todo') AS todo,
		    count(*) FILTER (WHERE t.status = 'in_progress') AS in_progress,
		    count(*) FILTER (WHERE t.status = 'done') AS done,
		    count(*) FILTER (WHERE t.status <> 'done'
			AND t.due_date < current_date) AS overdue
		FROM tasks t WHERE t.tenant_id = p_tenant
	)
	SELECT 200, NULL::bigint, row_to_json(x)::text, pr.rpm
	FROM ps, ts, LATERAL (SELECT
	    ps.total AS total_projects,
	    ps.active AS active_projects,
	    ps.completed AS completed_projects,
	    ps.archived AS archived_projects,
	    ps.with_tasks AS projects_with_tasks,
	    (SELECT row_to_json(p) FROM (SELECT ps.total,
		(SELECT row_to_json(b) FROM (SELECT ps.active, ps.completed,
		    ps.archived) b) AS by_status) p) AS projects,
	    (SELECT row_to_json(t) FROM (SELECT ts.total,
		(SELECT row_to_json(b) FROM (SELECT ts.todo, ts.in_progress,
		    ts.done) b) AS by_status, ts.overdue) t) AS tasks,
	    (SELECT row_to_json(d) FROM (SELECT count(*) AS total
		FROM documents d WHERE d.tenant_id = p_tenant) d) AS documents) x;
END
$$;
