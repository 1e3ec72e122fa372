-- Documents: the SQL behind src/handlers/documents.c. A document is the
-- metadata of a stored file; its project is optional. Every statement is
-- scoped by p_tenant.

CREATE TYPE api.document_out AS (id bigint, project bigint,
    project_name text, name text, file_path text, file_size bigint,
    content_type text, metadata json, created_at text, updated_at text);

-- A document as the API shows it; inlined into its caller (who looks up
-- the project's name).
CREATE FUNCTION api.document_json(d documents, project_name text)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(ROW(d.id, d.project_id, project_name, d.name,
	    d.file_path, d.file_size, d.content_type, d.metadata,
	    api.ts(d.created_at), api.ts(d.updated_at))::api.document_out)
$$;

-- The list: one static statement per shape (no filter; project or
-- content type alone) and ordering (api.list_cases); a search or two
-- filters run through EXECUTE, planned with the values.
DO $gen$
DECLARE
	-- The ordering whitelist (src/core/values.c, checked by
	-- tests/unit/unit_values.c).
	orderings	text[] := '{name,file_size,created_at,updated_at}';
BEGIN
	EXECUTE format($f$
CREATE FUNCTION api.document_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_project bigint, p_content_type text,
    p_search text, p_ordering text, p_limit bigint, p_offset bigint)
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
	    num_nonnulls(p_project, p_content_type) > 1 THEN 0
	    WHEN p_project IS NOT NULL THEN 2
	    WHEN p_content_type IS NOT NULL THEN 3 ELSE 1 END;
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
		api.document_json(x, (SELECT p.name FROM projects p
		    WHERE p.tenant_id = x.tenant_id
		    AND p.id = x.project_id))::text), ', '), '') || ']'
	    FROM (SELECT * FROM documents x WHERE x.tenant_id = p_tenant %1$s
		ORDER BY %2$s LIMIT p_limit OFFSET p_offset) x),
	    v_rpm, v_verdict
	FROM verdict_epochs e LEFT JOIN tenant_counts k
	    ON k.tenant_id = p_tenant
	WHERE ok OR e.n[verdict_slot(p_tenant)] = p_verdict$t$,
	ARRAY['', 'AND x.project_id = p_project',
	    'AND x.content_type = p_content_type'],
	ARRAY['COALESCE(k.documents, 0)',
	    $c$(SELECT count(*) FROM documents d WHERE d.tenant_id = p_tenant
		AND d.project_id = p_project)$c$,
	    $c$(SELECT count(*) FROM documents d WHERE d.tenant_id = p_tenant
		AND d.content_type = p_content_type)$c$],
	orderings, format($e$
	RETURN QUERY EXECUTE format($q$
	    WITH f AS NOT MATERIALIZED (
		SELECT * FROM documents d WHERE d.tenant_id = $1
		AND ($2::bigint IS NULL OR d.project_id = $2)
		AND ($3::text IS NULL OR d.content_type = $3)
		AND ($4::text IS NULL OR d.name ILIKE $4))
	    SELECT 200, (SELECT count(*) FROM f),
		(SELECT '[' || COALESCE(string_agg(COALESCE(x.body,
		    api.document_json(x, (SELECT p.name FROM projects p
		        WHERE p.tenant_id = x.tenant_id
		        AND p.id = x.project_id))::text), ', '), '') || ']'
		FROM (SELECT * FROM f x ORDER BY %%s LIMIT $5 OFFSET $6) x),
		$7, $8
	    FROM verdict_epochs e
	    WHERE $9 OR e.n[verdict_slot($1)] = $8
	    $q$, api.order_by(p_ordering, %L, 'documents'))
	USING p_tenant, p_project, p_content_type, api.contains(p_search),
	    p_limit, p_offset, v_rpm, v_verdict, ok;$e$, orderings),
	'documents'));
END
$gen$;

SELECT api.define_get('document',
    'COALESCE(d.body, api.document_json(d, p.name)::text)',
    'documents d LEFT JOIN projects p ON p.tenant_id = d.tenant_id AND p.id = d.project_id',
    'd.tenant_id = p_tenant AND d.id = p_id');

CREATE FUNCTION api.document_create(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_project bigint, p_name text,
    p_file_path text, p_file_size bigint, p_content_type text,
    p_metadata json)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	d	documents;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	IF p_project IS NOT NULL AND NOT EXISTS (SELECT 1 FROM projects p
	    WHERE p.tenant_id = p_tenant AND p.id = p_project) THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	INSERT INTO documents (tenant_id, project_id, name, file_path,
	    file_size, content_type, metadata)
	VALUES (p_tenant, p_project, p_name, p_file_path, p_file_size,
	    p_content_type, COALESCE(p_metadata, '{}'))
	RETURNING * INTO d;

	RETURN QUERY SELECT 201, NULL::bigint, COALESCE(d.body,
	    api.document_json(d, (SELECT p.name FROM projects p
	    WHERE p.tenant_id = d.tenant_id AND p.id = d.project_id))::text),
	    pr.rpm, pr.verdict;
END
$$;

-- PUT and PATCH. p_mask: 1 project, 2 name, 4 file_path, 8 file_size,
-- 16 content_type, 32 metadata.
CREATE FUNCTION api.document_update(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_verdict bigint, p_id bigint, p_mask int,
    p_project bigint, p_name text, p_file_path text, p_file_size bigint,
    p_content_type text, p_metadata json)
RETURNS TABLE (status int, total bigint, body text, rpm int,
    verdict bigint)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	d	documents;
BEGIN
	pr := api.principal_at(p_tenant, p_kind, p_sub, p_sid, p_verdict);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm,
		    NULL::bigint;
		RETURN;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM documents x
	    WHERE x.tenant_id = p_tenant AND x.id = p_id) THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	IF p_mask & 1 <> 0 AND p_project IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_project)
	THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	UPDATE documents x SET
	    project_id = CASE WHEN p_mask & 1 <> 0
		THEN p_project ELSE x.project_id END,
	    name = CASE WHEN p_mask & 2 <> 0 THEN p_name ELSE x.name END,
	    file_path = CASE WHEN p_mask & 4 <> 0
		THEN p_file_path ELSE x.file_path END,
	    file_size = CASE WHEN p_mask & 8 <> 0
		THEN p_file_size ELSE x.file_size END,
	    content_type = CASE WHEN p_mask & 16 <> 0
		THEN p_content_type ELSE x.content_type END,
	    metadata = CASE WHEN p_mask & 32 <> 0
		THEN COALESCE(p_metadata, '{}') ELSE x.metadata END,
	    updated_at = now()
	WHERE x.tenant_id = p_tenant AND x.id = p_id
	RETURNING * INTO d;

	-- Deleted since the check above, by a concurrent request.
	IF d.id IS NULL THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 200, NULL::bigint, COALESCE(d.body,
	    api.document_json(d, (SELECT p.name FROM projects p
	    WHERE p.tenant_id = d.tenant_id AND p.id = d.project_id))::text),
	    pr.rpm, pr.verdict;
END
$$;

CREATE FUNCTION api.document_delete(p_tenant uuid, p_kind text, p_sub text,
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

	DELETE FROM documents d WHERE d.tenant_id = p_tenant AND d.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm, pr.verdict;
		RETURN;
	END IF;

	RETURN QUERY SELECT 204, NULL::bigint, NULL::text, pr.rpm, pr.verdict;
END
$$;
