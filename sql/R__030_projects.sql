-- Projects: the SQL behind src/handlers/projects.c. Every statement is
-- scoped by p_tenant, the tenant of the verified token.
--
-- p_verdict (after the principal, $5) is the verdict epoch the worker
-- remembers for this principal, or NULL (sql/V008, api.principal_at);
-- every function answers the epoch to remember in a fifth column,
-- verdict (NULL: forget it). The reads compare the epoch inside their
-- data statement and run the full check only when it no longer holds:
--   LOOP: the statement, WHERE (ok OR epoch = p_verdict); found, or
--   checked already: done; else api.principal_verdict(), ok, again.

CREATE TYPE api.project_out AS (id bigint, name text, description text,
    status project_status, tasks_count bigint, created_at text,
    updated_at text);

-- A project as the API shows it; inlined into the statement that calls
-- it. Its task count is kept on the row (sql/V008).
CREATE FUNCTION api.project_json(p projects)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(ROW(p.id, p.name, p.description, p.status,
	    p.tasks_count, api.ts(p.created_at), api.ts(p.updated_at))
	    ::api.project_out)
$$;

-- The list: one static statement per shape (no filter, status) and
-- ordering (api.list_cases), its total from the kept counts; a search
-- runs through EXECUTE, planned with its pattern.
DO $gen$
DECLARE
	-- The ordering whitelist (src/core/values.c, checked by
	-- tests/unit/unit_values.c).
	orderings	text[] := '{name,created_at,updated_at,status}';
BEGIN
	EXECUTE format($f$
CREATE FUNCTION api.project_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_status text, p_search text,
    p_ordering text, p_limit bigint, p_offset bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
-- Generic plans always: each static statement is planned once per
-- connection, never again with the values (the plan cache would keep
-- planning these for the values, which it estimates a little cheaper).
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	pr		record;
	ok		boolean := false;
	v_rpm		int;
	v_verdict	bigint := p_verdict;
	shape		int;
BEGIN
	shape := CASE WHEN p_search IS NOT NULL THEN 0
	    WHEN p_status IS NOT NULL THEN 2 ELSE 1 END;
	LOOP
		IF ok OR p_verdict IS NOT NULL THEN
			%s
			EXIT WHEN FOUND OR ok;
		END IF;
		pr := api.principal_verdict(p_tenant, p_kind, p_sub, p_sid);
		IF pr.status <> 0 THEN
			RETURN QUERY SELECT pr.status, NULL::bigint, pr.body,
			    pr.rpm, NULL::bigint;
			RETURN;
		END IF;
		ok := true;
		v_rpm := pr.rpm;
		v_verdict := pr.verdict;
	END LOOP;
END
$$
$f$, api.list_cases($t$
	SELECT 200, %3$s,
	    (SELECT '[' || COALESCE(string_agg(COALESCE(x.body,
		api.project_json(x)::text), ', '), '') || ']'
	    FROM (SELECT * FROM projects x WHERE x.tenant_id = p_tenant %1$s
		ORDER BY %2$s LIMIT p_limit OFFSET p_offset) x),
	    v_rpm, v_verdict
	FROM verdict_epochs e LEFT JOIN tenant_counts k
	    ON k.tenant_id = p_tenant
	WHERE ok OR e.n[verdict_slot(p_tenant)] = p_verdict$t$,
	ARRAY['', 'AND x.status = p_status::project_status'],
	ARRAY['COALESCE(k.projects_active + k.projects_completed + '
	    'k.projects_archived, 0)',
	    $c$COALESCE(CASE p_status WHEN 'active' THEN k.projects_active
		WHEN 'completed' THEN k.projects_completed
		ELSE k.projects_archived END, 0)$c$],
	orderings, format($e$
	RETURN QUERY EXECUTE format($q$
	    WITH f AS NOT MATERIALIZED (
		SELECT * FROM projects p WHERE p.tenant_id = $1
		AND ($2::text IS NULL OR p.status = $2::project_status)
		AND ($3::text IS NULL OR p.name ILIKE $3
		    OR p.description ILIKE $3))
	    SELECT 200, (SELECT count(*) FROM f),
		(SELECT '[' || COALESCE(string_agg(COALESCE(x.body,
		api.project_json(x)::text), ', '), '') || ']'
		FROM (SELECT * FROM f x ORDER BY %%s LIMIT $4 OFFSET $5) x),
		$6, $7
	    FROM verdict_epochs e
	    WHERE $8 OR e.n[verdict_slot($1)] = $7
	    $q$, api.order_by(p_ordering, %L, 'projects'))
	USING p_tenant, p_status, api.contains(p_search), p_limit, p_offset,
	    v_rpm, v_verdict, ok;$e$, orderings), 'projects'));
END
$gen$;

SELECT api.define_get('project',
    'COALESCE(p.body, api.project_json(p)::text)',
    'projects p',
    'p.tenant_id = p_tenant AND p.id = p_id');

CREATE FUNCTION api.project_create(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_name text, p_description text,
    p_status text)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	p	projects;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	INSERT INTO projects (tenant_id, name, description, status)
	VALUES (p_tenant, p_name, COALESCE(p_description, ''),
	    COALESCE(p_status, 'active')::project_status)
	ON CONFLICT (tenant_id, name) DO NOTHING
	RETURNING * INTO p;

	IF p.id IS NULL THEN
		RETURN QUERY SELECT 400, NULL::bigint, api.field_err('name',
		    'A project with this name already exists.'), pr.rpm,
		    pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 201, NULL::bigint,
	    COALESCE(p.body, api.project_json(p)::text),
	    pr.rpm, pr.verdict;
END
$$;

-- PUT and PATCH: p_mask says which fields were given (1 name,
-- 2 description, 4 status); the others keep their values.
CREATE FUNCTION api.project_update(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint, p_mask int, p_name text,
    p_description text, p_status text)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	p	projects;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
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
		    'A project with this name already exists.'), pr.rpm,
		    pr.verdict;
		RETURN;
	END;

	IF p.id IS NULL THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint,
	    COALESCE(p.body, api.project_json(p)::text),
	    pr.rpm, pr.verdict;
END
$$;

-- Its tasks and documents go with it (ON DELETE CASCADE).
CREATE FUNCTION api.project_delete(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	DELETE FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 204, NULL::bigint, NULL::text, pr.rpm, pr.verdict;
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
-- original service's clients read. The counts are kept (sql/V008); only
-- "overdue", which moves with the date, is counted (the partial index of
-- the tasks not done, by due date).
CREATE FUNCTION api.project_statistics(p_tenant uuid, p_kind text,
    p_sub text, p_sid uuid, p_verdict bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	pr		record;
	ok		boolean := false;
	v_rpm		int;
	v_verdict	bigint := p_verdict;
BEGIN
	LOOP
		IF ok OR p_verdict IS NOT NULL THEN
			RETURN QUERY SELECT 200, NULL::bigint,
			    row_to_json(ROW(c.pt, c.pa, c.pc, c.par, c.pw,
			    row_to_json(ROW(c.pt, row_to_json(ROW(c.pa, c.pc,
				c.par)::api.stats_projects_by))
				::api.stats_projects),
			    row_to_json(ROW(c.tt, row_to_json(ROW(c.tt1, c.tt2,
				c.tt3)::api.stats_tasks_by), (SELECT count(*)
				FROM tasks t WHERE t.tenant_id = p_tenant
				AND t.status <> 'done'
				AND t.due_date < current_date))
				::api.stats_tasks),
			    row_to_json(ROW(c.d)::api.stats_documents))
			    ::api.stats_out)::text, v_rpm, v_verdict
			FROM verdict_epochs e, LATERAL (SELECT
			    k.projects_active + k.projects_completed +
				k.projects_archived AS pt,
			    k.projects_active AS pa,
			    k.projects_completed AS pc,
			    k.projects_archived AS par,
			    k.projects_with_tasks AS pw,
			    k.tasks_todo + k.tasks_in_progress + k.tasks_done
				AS tt,
			    k.tasks_todo AS tt1, k.tasks_in_progress AS tt2,
			    k.tasks_done AS tt3, k.documents AS d
			    FROM tenant_counts k
			    WHERE k.tenant_id = p_tenant) c
			WHERE ok OR e.n[verdict_slot(p_tenant)] = p_verdict;
			EXIT WHEN FOUND OR ok;
		END IF;
		pr := api.principal_verdict(p_tenant, p_kind, p_sub, p_sid);
		IF pr.status <> 0 THEN
			RETURN QUERY SELECT pr.status, NULL::bigint, pr.body,
			    pr.rpm, NULL::bigint;
			RETURN;
		END IF;
		ok := true;
		v_rpm := pr.rpm;
		v_verdict := pr.verdict;
	END LOOP;
END
$$;
