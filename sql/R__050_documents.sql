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

CREATE FUNCTION api.document_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_project bigint, p_content_type text, p_search text,
    p_ordering text, p_limit bigint, p_offset bigint)
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
		SELECT * FROM documents d WHERE d.tenant_id = $1
		AND ($2::bigint IS NULL OR d.project_id = $2)
		AND ($3::text IS NULL OR d.content_type = $3)
		AND ($4::text IS NULL OR d.name ILIKE $4))
	    SELECT (SELECT count(*) FROM f),
		(SELECT COALESCE(json_agg(j), '[]')::text FROM (
		    SELECT api.document_json(x, (SELECT p.name FROM projects p
			WHERE p.tenant_id = x.tenant_id
			AND p.id = x.project_id)) AS j
		    FROM f x ORDER BY %s LIMIT $5 OFFSET $6) s)
	    $q$, api.order_by(p_ordering,
	    '{name,file_size,created_at,updated_at}'))
	INTO n, page
	USING p_tenant, p_project, p_content_type, api.contains(p_search),
	    p_limit, p_offset;

	RETURN QUERY SELECT 200, n, page, pr.rpm;
END
$$;

CREATE FUNCTION api.document_get(p_tenant uuid, p_kind text, p_sub text,
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

	RETURN QUERY SELECT 200, NULL::bigint, api.document_json(d, p.name)::text,
	    pr.rpm
	FROM documents d LEFT JOIN projects p ON p.tenant_id = d.tenant_id
	    AND p.id = d.project_id
	WHERE d.tenant_id = p_tenant AND d.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
	END IF;
END
$$;

CREATE FUNCTION api.document_create(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_project bigint, p_name text, p_file_path text,
    p_file_size bigint, p_content_type text, p_metadata json)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	d	documents;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	IF p_project IS NOT NULL AND NOT EXISTS (SELECT 1 FROM projects p
	    WHERE p.tenant_id = p_tenant AND p.id = p_project) THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm;
		RETURN;
	END IF;

	INSERT INTO documents (tenant_id, project_id, name, file_path,
	    file_size, content_type, metadata)
	VALUES (p_tenant, p_project, p_name, p_file_path, p_file_size,
	    p_content_type, COALESCE(p_metadata, '{}'))
	RETURNING * INTO d;

	RETURN QUERY SELECT 201, NULL::bigint, api.document_json(d,
	    (SELECT p.name FROM projects p WHERE p.tenant_id = d.tenant_id
	    AND p.id = d.project_id))::text, pr.rpm;
END
$$;

-- PUT and PATCH. p_mask: 1 project, 2 name, 4 file_path, 8 file_size,
-- 16 content_type, 32 metadata.
CREATE FUNCTION api.document_update(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_id bigint, p_mask int, p_project bigint, p_name text,
    p_file_path text, p_file_size bigint, p_content_type text,
    p_metadata json)
RETURNS TABLE (status int, total bigint, body text, rpm int)
LANGUAGE plpgsql AS $$
DECLARE
	pr	record;
	d	documents;
BEGIN
	pr := api.principal(p_tenant, p_kind, p_sub, p_sid);
	IF pr.status <> 0 THEN
		RETURN QUERY SELECT pr.status, NULL::bigint, pr.body, pr.rpm;
		RETURN;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM documents x
	    WHERE x.tenant_id = p_tenant AND x.id = p_id) THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
		RETURN;
	END IF;

	IF p_mask & 1 <> 0 AND p_project IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM projects p WHERE p.tenant_id = p_tenant AND p.id = p_project)
	THEN
		RETURN QUERY SELECT 400, NULL::bigint,
		    api.bad_project(p_project), pr.rpm;
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

	RETURN QUERY SELECT 200, NULL::bigint, api.document_json(d,
	    (SELECT p.name FROM projects p WHERE p.tenant_id = d.tenant_id
	    AND p.id = d.project_id))::text, pr.rpm;
END
$$;

CREATE FUNCTION api.document_delete(p_tenant uuid, p_kind text, p_sub text,
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

	DELETE FROM documents d WHERE d.tenant_id = p_tenant AND d.id = p_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, NULL::bigint,
		    api.err('not_found', 'Not found.'), pr.rpm;
		RETURN;
	END IF;

	RETURN QUERY SELECT 204, NULL::bigint, NULL::text, pr.rpm;
END
$$;
