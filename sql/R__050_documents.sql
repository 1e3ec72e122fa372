-- Documents: the SQL behind src/handlers/documents.c. A document is the
-- metadata of a stored file; its project is optional. Every statement is
-- scoped by p_tenant.

CREATE FUNCTION api.document_json(d documents) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (SELECT
	    d.id,
	    d.project_id AS project,
	    (SELECT p.name FROM projects p WHERE p.tenant_id = d.tenant_id
		AND p.id = d.project_id) AS project_name,
	    d.name,
	    d.file_path,
	    d.file_size,
	    d.content_type,
	    d.metadata,
	    api.ts(d.created_at) AS created_at,
	    api.ts(d.updated_at) AS updated_at) x
$$;

CREATE FUNCTION api.document_list(p_tenant uuid, p_kind text, p_sub text,
    p_sid uuid, p_project bigint, p_content_type text, p_search text,
    p_ordering text, p_limit bigint, p_offset bigint)
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
		SELECT * FROM documents d
		WHERE d.tenant_id = p_tenant
		AND (p_project IS NULL OR d.project_id = p_project)
		AND (p_content_type IS NULL OR d.content_type = p_content_type)
		AND (p_search IS NULL OR d.name ILIKE pat)
	)
	SELECT 200, (SELECT count(*) FROM f),
	    (SELECT COALESCE(json_agg(api.document_json(pg::documents)), '[]')
	    FROM (SELECT * FROM f
		ORDER BY
		CASE WHEN p_ordering = 'name' THEN f.name END,
		CASE WHEN p_ordering = '-name' THEN f.name END DESC,
		CASE WHEN p_ordering = 'file_size' THEN f.file_size END,
		CASE WHEN p_ordering = '-file_size' THEN f.file_size END DESC,
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

	RETURN QUERY SELECT 200, NULL::bigint, api.document_json(d)::text,
	    pr.rpm
	FROM documents d WHERE d.tenant_id = p_tenant AND d.id = p_id;
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

	RETURN QUERY SELECT 201, NULL::bigint, api.document_json(d)::text,
	    pr.rpm;
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

	RETURN QUERY SELECT 200, NULL::bigint, api.document_json(d)::text,
	    pr.rpm;
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
