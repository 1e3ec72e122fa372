-- Tasks: the SQL behind src/handlers/tasks.c (and GET
-- /projects/{id}/tasks/). Every statement is scoped by p_tenant.

CREATE TYPE api.task_out AS (id bigint, project bigint, project_name text,
    title text, description text, status task_status, priority task_priority,
    due_date date, completed_at text, created_at text, updated_at text);

-- A task as the API shows it; inlined into its caller (who looks up the
-- project's name).
CREATE FUNCTION api.task_json(t tasks, project_name text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(ROW(t.id, t.project_id, project_name, t.title,
	    t.description, t.status, t.priority, t.due_date,
	    api.ts(t.completed_at), api.ts(t.created_at),
	    api.ts(t.updated_at))::api.task_out)
$$;

-- Lists for /tasks/, /tasks/by-status/ and /projects/{id}/tasks/
-- (p_in_project: the project must exist, else 404). One static statement
-- per shape (no filter; project, status or priority alone) and ordering
-- (api.list_cases), the total from the kept counts where there is one; a
-- search or two filters run through EXECUTE, planned with the values.
DO $gen$
DECLARE
	-- The ordering whitelist (src/core/values.c, checked by
	-- tests/unit/unit_values.c).
	orderings	text[] :=
	    '{title,created_at,updated_at,due_date,priority,status}';
BEGIN
	EXECUTE format($f$
CREATE FUNCTION api.task_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_project bigint, p_status text,
    p_priority text, p_search text, p_ordering text, p_limit bigint,
    p_offset bigint, p_in_project boolean)
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
	shape := CASE WHEN p_search IS NOT NULL OR
	    num_nonnulls(p_project, p_status, p_priority) > 1 THEN 0
	    WHEN p_project IS NOT NULL THEN 2
	    WHEN p_status IS NOT NULL THEN 3
	    WHEN p_priority IS NOT NULL THEN 4 ELSE 1 END;
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
	-- No row once checked: p_in_project and no such project.
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), v_rpm, v_verdict;
	END IF;
END
$$
$f$, api.list_cases($t$
	SELECT 200, %3$s,
	    (SELECT '[' || COALESCE(string_agg(COALESCE(x.body,
		api.task_json(x, (SELECT p.name FROM projects p
		    WHERE p.tenant_id = x.tenant_id
		    AND p.id = x.project_id))::text), ', '), '') || ']'
	    FROM (SELECT * FROM tasks x WHERE x.tenant_id = p_tenant %1$s
		ORDER BY %2$s LIMIT p_limit OFFSET p_offset) x),
	    v_rpm, v_verdict
	FROM verdict_epochs e LEFT JOIN tenant_counts k
	    ON k.tenant_id = p_tenant
	LEFT JOIN projects pj ON pj.tenant_id = p_tenant
	    AND pj.id = p_project
	WHERE (ok OR e.n[verdict_slot(p_tenant)] = p_verdict)
	AND (pj.id IS NOT NULL OR NOT p_in_project)$t$,
	ARRAY['', 'AND x.project_id = p_project',
	    'AND x.status = p_status::task_status',
	    'AND x.priority = p_priority::task_priority'],
	ARRAY['COALESCE(k.tasks_todo + k.tasks_in_progress + k.tasks_done, 0)',
	    'COALESCE(pj.tasks_count, 0)',
	    $c$COALESCE(CASE p_status WHEN 'todo' THEN k.tasks_todo
		WHEN 'in_progress' THEN k.tasks_in_progress
		ELSE k.tasks_done END, 0)$c$,
	    $c$(SELECT count(*) FROM tasks t WHERE t.tenant_id = p_tenant
		AND t.priority = p_priority::task_priority)$c$],
	orderings, format($e$
	RETURN QUERY EXECUTE format($q$
	    WITH f AS NOT MATERIALIZED (
		SELECT * FROM tasks t WHERE t.tenant_id = $1
		AND ($2::bigint IS NULL OR t.project_id = $2)
		AND ($3::text IS NULL OR t.status = $3::task_status)
		AND ($4::text IS NULL OR t.priority = $4::task_priority)
		AND ($5::text IS NULL OR t.title ILIKE $5))
	    SELECT 200, (SELECT count(*) FROM f),
		(SELECT '[' || COALESCE(string_agg(COALESCE(x.body,
		    api.task_json(x, (SELECT p.name FROM projects p
		        WHERE p.tenant_id = x.tenant_id
		        AND p.id = x.project_id))::text), ', '), '') || ']'
		FROM (SELECT * FROM f x ORDER BY %%s LIMIT $6 OFFSET $7) x),
		$8, $9
	    FROM verdict_epochs e
	    WHERE ($10 OR e.n[verdict_slot($1)] = $9)
	    AND (NOT $11 OR EXISTS (SELECT 1 FROM projects p
		WHERE p.tenant_id = $1 AND p.id = $2))
	    $q$, api.order_by(p_ordering, %L, 'tasks'))
	USING p_tenant, p_project, p_status, p_priority,
	    api.contains(p_search), p_limit, p_offset, v_rpm, v_verdict, ok,
	    p_in_project;$e$, orderings), 'tasks'));
END
$gen$;

-- Retrieve shows the project in full, last.
SELECT api.define_get('task',
    $b$left(COALESCE(t.body, api.task_json(t, p.name)::text), -1) ||
    ',"project_details":' || COALESCE(p.body, api.project_json(p)::text) ||
    '}'$b$,
    'tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.id = t.project_id',
    't.tenant_id = p_tenant AND t.id = p_id');

CREATE FUNCTION api.task_create(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_project bigint, p_title text,
    p_description text, p_status text, p_priority text, p_due_date date)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	pname	text;
	t	tasks;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	SELECT p.name INTO pname FROM projects p
	WHERE p.tenant_id = p_tenant AND p.id = p_project;
	IF pname IS NULL THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	INSERT INTO tasks (tenant_id, project_id, title, description, status,
	    priority, due_date, completed_at)
	VALUES (p_tenant, p_project, p_title, COALESCE(p_description, ''),
	    COALESCE(p_status, 'todo')::task_status,
	    COALESCE(p_priority, 'medium')::task_priority, p_due_date,
	    CASE WHEN p_status = 'done' THEN now() END)
	RETURNING * INTO t;

	RETURN QUERY SELECT 201, NULL::bigint,
	    COALESCE(t.body, api.task_json(t, pname)::text),
	    pr.rpm, pr.verdict;
END
$$;

-- Several creates in one statement, one commit (src/batch.c: the POSTs
-- that wait for a connection of their worker): each answered by a row
-- whose i is its place in p_batch (from 1). Each element is checked with
-- its own principal and project, as api.task_create does, and the
-- accepted rows are one INSERT, so the count triggers run once for them
-- all. One statement for the whole batch: the checks are joins, not a
-- loop of statements, and the full principal check (api.principal_verdict)
-- runs only for an element whose remembered verdict is not its tenant's
-- epoch (api.principal_at's test).
-- A batch's elements (src/batch.c sends each as the JSON array of
-- api.task_create's parameters, in their order), and n, its place;
-- parsed once, as jsonb.
CREATE FUNCTION api.task_batch_rows(p_batch json)
RETURNS TABLE (tenant uuid, kind text, sub text, sid uuid, verdict bigint,
    project bigint, title text, description text, status text,
    priority text, due_date date, n bigint)
LANGUAGE sql IMMUTABLE AS $$
	SELECT (e.v->>0)::uuid, e.v->>1, e.v->>2, (e.v->>3)::uuid,
	    (e.v->>4)::bigint, (e.v->>5)::bigint, e.v->>6, e.v->>7, e.v->>8,
	    e.v->>9, (e.v->>10)::date, e.n
	FROM jsonb_array_elements(p_batch::jsonb) WITH ORDINALITY AS e(v, n)
$$;

CREATE FUNCTION api.task_create_batch(p_batch json)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint, i int)
LANGUAGE plpgsql AS $$
BEGIN
	-- The ids first, from the identity's own sequence: RETURNING cannot
	-- say which element a row was. OFFSET 0 keeps the full check's
	-- subquery apart, so that its WHERE decides whether it runs.
	RETURN QUERY
	WITH x AS MATERIALIZED (
		SELECT * FROM api.task_batch_rows(p_batch)
	), f AS MATERIALIZED (
		SELECT x.*, x.verdict IS NOT NULL AND x.verdict =
		    e.n[verdict_slot(x.tenant)] AS fast
		FROM x CROSS JOIN verdict_epochs e
	), v AS MATERIALIZED (
		SELECT f.*, CASE WHEN f.fast THEN 0 ELSE pr.status END AS pst,
		    pr.body AS pbody, pr.rpm AS prpm,
		    CASE WHEN f.fast THEN f.verdict ELSE pr.verdict END
			AS pverdict,
		    (SELECT true FROM projects p WHERE p.tenant_id = f.tenant
			AND p.id = f.project) IS NOT NULL AS known
		FROM f LEFT JOIN LATERAL (SELECT * FROM
		    api.principal_verdict(f.tenant, f.kind, f.sub, f.sid)
		    WHERE NOT f.fast OFFSET 0) pr ON true
	), k AS MATERIALIZED (
		SELECT v.n, nextval('tasks_id_seq') AS id FROM v
		WHERE v.pst = 0 AND v.known
	), ins AS (
		INSERT INTO tasks (id, tenant_id, project_id, title,
		    description, status, priority, due_date, completed_at)
		OVERRIDING SYSTEM VALUE
		SELECT k.id, v.tenant, v.project, v.title,
		    COALESCE(v.description, ''),
		    COALESCE(v.status, 'todo')::task_status,
		    COALESCE(v.priority, 'medium')::task_priority, v.due_date,
		    CASE WHEN v.status = 'done' THEN now() END
		FROM k JOIN v ON v.n = k.n
		RETURNING *
	)
	SELECT 201, NULL::bigint, COALESCE(ins.body,
	    api.task_json(ROW(ins.*)::tasks, (SELECT p.name FROM projects p
		WHERE p.tenant_id = ins.tenant_id AND p.id = ins.project_id))::text),
	    v.prpm, v.pverdict, v.n::int
	FROM ins JOIN k ON k.id = ins.id JOIN v ON v.n = k.n
	UNION ALL
	SELECT v.pst, NULL::bigint, v.pbody, v.prpm, NULL::bigint, v.n::int
	FROM v WHERE v.pst <> 0
	UNION ALL
	SELECT 400, NULL::bigint, api.bad_project(v.project), v.prpm,
	    v.pverdict, v.n::int
	FROM v WHERE v.pst = 0 AND NOT v.known;
END
$$;

-- PUT and PATCH. p_mask: 1 project, 2 title, 4 description, 8 status,
-- 16 priority, 32 due_date. completed_at is set when the status becomes
-- done and cleared when it leaves done.
CREATE FUNCTION api.task_update(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint, p_mask int,
    p_project bigint, p_title text, p_description text, p_status text,
    p_priority text, p_due_date date)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	t	tasks;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM tasks x
	    WHERE x.tenant_id = p_tenant AND x.id = p_id) THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	IF p_mask & 1 <> 0 AND NOT EXISTS (SELECT 1 FROM projects p
	    WHERE p.tenant_id = p_tenant AND p.id = p_project) THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	UPDATE tasks x SET
	    project_id = CASE WHEN p_mask & 1 <> 0
		THEN p_project ELSE x.project_id END,
	    title = CASE WHEN p_mask & 2 <> 0 THEN p_title ELSE x.title END,
	    description = CASE WHEN p_mask & 4 <> 0
		THEN p_description ELSE x.description END,
	    status = CASE WHEN p_mask & 8 <> 0
		THEN p_status::task_status ELSE x.status END,
	    priority = CASE WHEN p_mask & 16 <> 0
		THEN p_priority::task_priority ELSE x.priority END,
	    due_date = CASE WHEN p_mask & 32 <> 0
		THEN p_due_date ELSE x.due_date END,
	    completed_at = CASE
		WHEN (CASE WHEN p_mask & 8 <> 0 THEN p_status::task_status
		    ELSE x.status END) = 'done'
		THEN COALESCE(x.completed_at, now()) END,
	    updated_at = now()
	WHERE x.tenant_id = p_tenant AND x.id = p_id
	RETURNING * INTO t;

	-- Deleted since the check above, by a concurrent request.
	IF t.id IS NULL THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint,
	    COALESCE(t.body, api.task_json(t, p.name)::text),
	    pr.rpm, pr.verdict
	FROM projects p WHERE p.tenant_id = t.tenant_id AND p.id = t.project_id;
END
$$;

CREATE FUNCTION api.task_delete(p_tenant uuid, p_kind text, p_sub text,
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

	DELETE FROM tasks t WHERE t.tenant_id = p_tenant AND t.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 204, NULL::bigint, NULL::text, pr.rpm, pr.verdict;
END
$$;

-- Idempotent: completing a done task keeps its first completed_at.
CREATE FUNCTION api.task_complete(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	t	tasks;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	UPDATE tasks x SET status = 'done',
	    completed_at = COALESCE(x.completed_at, now()),
	    updated_at = CASE WHEN x.status = 'done'
		THEN x.updated_at ELSE now() END
	WHERE x.tenant_id = p_tenant AND x.id = p_id
	RETURNING * INTO t;

	IF t.id IS NULL THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint,
	    COALESCE(t.body, api.task_json(t, p.name)::text),
	    pr.rpm, pr.verdict
	FROM projects p WHERE p.tenant_id = t.tenant_id AND p.id = t.project_id;
END
$$;
