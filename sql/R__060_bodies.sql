-- Kept bodies: each project's, task's and document's JSON as the API
-- shows it (api.project_json, api.task_json, api.document_json), made by
-- these triggers whenever the row is written and kept in its body column
-- (sql/V008): a list concatenates its page's bodies, a detail answers
-- one, instead of building JSON on every read. A body shows the task
-- count (kept on the project by sql/V008's triggers, which update the
-- project: this trigger makes its body again) and the project's name
-- (renaming a project makes its tasks' and documents' bodies again).
-- Readers fall back to building the JSON for a row without a body.

CREATE FUNCTION api.project_body() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.body := api.project_json(NEW)::text;
	RETURN NEW;
END
$$;

CREATE FUNCTION api.task_body() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.body := api.task_json(NEW, (SELECT p.name FROM projects p
	    WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.project_id))::text;
	RETURN NEW;
END
$$;

CREATE FUNCTION api.document_body() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.body := api.document_json(NEW, (SELECT p.name FROM projects p
	    WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.project_id))::text;
	RETURN NEW;
END
$$;

-- A project's new name goes into its tasks' and documents' bodies.
CREATE FUNCTION api.project_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tasks t SET body = NULL
	WHERE t.tenant_id = NEW.tenant_id AND t.project_id = NEW.id;
	UPDATE documents d SET body = NULL
	WHERE d.tenant_id = NEW.tenant_id AND d.project_id = NEW.id;
	RETURN NULL;
END
$$;

CREATE TRIGGER projects_body BEFORE INSERT OR UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION api.project_body();
CREATE TRIGGER tasks_body BEFORE INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION api.task_body();
CREATE TRIGGER documents_body BEFORE INSERT OR UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION api.document_body();
CREATE TRIGGER projects_renamed AFTER UPDATE OF name ON projects
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION api.project_renamed();

-- The bodies are made again when their format changed: the functions
-- and row types that make them, as this file set defines them now.
DO $$
DECLARE
	fmt	text;
BEGIN
	SELECT md5(string_agg(x.d, E'\n' ORDER BY x.d)) INTO fmt FROM (
		SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p
		WHERE p.pronamespace = 'api'::regnamespace
		AND p.proname IN ('ts', 'project_json', 'task_json',
		    'document_json')
		UNION ALL
		SELECT t.typname || ':' || string_agg(a.attname || ' ' ||
		    format_type(a.atttypid, a.atttypmod), ','
		    ORDER BY a.attnum)
		FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid
		WHERE t.typnamespace = 'api'::regnamespace
		AND t.typname IN ('project_out', 'task_out', 'document_out')
		AND a.attnum > 0 AND NOT a.attisdropped
		GROUP BY t.typname) x;

	IF fmt IS DISTINCT FROM (SELECT k.format FROM kept_bodies k
	    WHERE k.kind = 'api') THEN
		UPDATE projects SET body = NULL;
		UPDATE tasks SET body = NULL;
		UPDATE documents SET body = NULL;
		INSERT INTO kept_bodies (kind, format) VALUES ('api', fmt)
		ON CONFLICT (kind) DO UPDATE SET format = excluded.format;
	END IF;
END
$$;
