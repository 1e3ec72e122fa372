-- State kept for the reads, in the transaction of every write that
-- changes it (issue 11): the verdict epochs that let a worker remember a
-- principal's verdict and still have every statement check it, each
-- project's task count, each tenant's counts for the statistics and the
-- lists, and indexes that read every list ordering's page in order.

-- Verdict epochs. A worker remembers "this principal was allowed when
-- its tenant's epoch was E" (src/verdict.c); each API statement compares
-- E with the epoch in its own snapshot (one row, joined into the data
-- statement) and runs the full check (api.principal) only when they
-- differ. Every change that can take a verdict away sets a new value, in
-- the same transaction: a statement that sees the change sees the new
-- epoch. Values come from one sequence, so an epoch value never returns.
-- Tenants share 64 slots (verdict_slot), so that one tenant's logout
-- does not make every other tenant's verdicts checked again.
CREATE SEQUENCE verdict_epoch_seq;

CREATE TABLE verdict_epochs (
	one			boolean PRIMARY KEY DEFAULT true CHECK (one),
	n			bigint[] NOT NULL
				CHECK (cardinality(n) = 64)
);

INSERT INTO verdict_epochs (n)
SELECT array_agg(nextval('verdict_epoch_seq')) FROM generate_series(1, 64);

CREATE FUNCTION verdict_slot(t uuid) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (uuid_hash(t) & 63) + 1
$$;

-- New epochs for the slots of these tenants; NULL: every slot. The row
-- lock orders concurrent changes; each takes its value under it.
CREATE FUNCTION verdict_bump(p_tenants uuid[]) RETURNS void
LANGUAGE sql AS $$
	UPDATE verdict_epochs e SET n = ARRAY(
	    SELECT CASE WHEN p_tenants IS NULL OR i IN (SELECT verdict_slot(t)
		FROM unnest(p_tenants) t)
		THEN nextval('verdict_epoch_seq') ELSE e.n[i] END
	    FROM generate_series(1, 64) i ORDER BY i)
$$;

-- The trigger. TG_ARGV: the tenant column ('' for users, whose
-- memberships span tenants: every slot), the key columns, the columns
-- that decide a verdict (comma-separated). Statement triggers with
-- transition tables: a bulk change bumps once, and an update that changed
-- none of those columns (api_clients.last_used_at, once a second) or no
-- row at all does not bump.
CREATE FUNCTION verdict_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	tcol	text := TG_ARGV[0];
	keys	text[] := string_to_array(TG_ARGV[1], ',');
	cols	text[] := string_to_array(TG_ARGV[2], ',');
	ts	uuid[];
	moved	boolean;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		PERFORM verdict_bump(NULL);
		RETURN NULL;
	END IF;
	IF TG_OP = 'DELETE' THEN
		IF tcol = '' THEN
			EXECUTE 'SELECT EXISTS (SELECT 1 FROM o)' INTO moved;
		ELSE
			EXECUTE format('SELECT array_agg(DISTINCT %I) FROM o',
			    tcol) INTO ts;
		END IF;
	ELSE
		-- Rows whose key or deciding columns changed.
		EXECUTE format('SELECT array_agg(DISTINCT t), count(*) > 0 '
		    'FROM (SELECT unnest(ARRAY[%1$s]) AS t FROM o FULL JOIN n '
		    'ON %2$s WHERE o.%3$I IS NULL OR n.%3$I IS NULL OR '
		    'ROW(%4$s) IS DISTINCT FROM ROW(%5$s)) x',
		    CASE WHEN tcol = '' THEN 'NULL::uuid'
			ELSE format('o.%1$I, n.%1$I', tcol) END,
		    (SELECT string_agg(format('o.%1$I = n.%1$I', k), ' AND ')
			FROM unnest(keys) k),
		    keys[1],
		    (SELECT string_agg(format('o.%I', c), ', ')
			FROM unnest(cols) c),
		    (SELECT string_agg(format('n.%I', c), ', ')
			FROM unnest(cols) c))
		    INTO ts, moved;
	END IF;
	IF tcol = '' AND moved THEN
		PERFORM verdict_bump(NULL);
	ELSIF ts IS NOT NULL THEN
		PERFORM verdict_bump(array_remove(ts, NULL));
	END IF;
	RETURN NULL;
END
$$;

-- What decides a verdict (api.principal): the tenant's activity and rate
-- limit, the user's activity, the membership, the API client's activity
-- and expiry, the login's revocation. Inserts cannot take a verdict away.
CREATE TRIGGER tenants_verdict AFTER UPDATE ON tenants
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('id', 'id',
    'is_active,requests_per_minute');
CREATE TRIGGER tenants_verdict_del AFTER DELETE ON tenants
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('id', 'id', '');
CREATE TRIGGER users_verdict AFTER UPDATE ON users
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('', 'id', 'is_active');
CREATE TRIGGER users_verdict_del AFTER DELETE ON users
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('', 'id', '');
CREATE TRIGGER memberships_verdict AFTER UPDATE ON memberships
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,user_id',
    'role');
CREATE TRIGGER memberships_verdict_del AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,user_id', '');
CREATE TRIGGER api_clients_verdict AFTER UPDATE ON api_clients
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,id',
    'is_active,expires_at,client_id,revoked_at');
CREATE TRIGGER api_clients_verdict_del AFTER DELETE ON api_clients
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,id', '');
CREATE TRIGGER auth_sessions_verdict AFTER UPDATE ON auth_sessions
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'id',
    'revoked_at,tenant_id,user_id,api_client_id');
CREATE TRIGGER auth_sessions_verdict_del AFTER DELETE ON auth_sessions
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'id', '');
CREATE TRIGGER tenants_verdict_trunc AFTER TRUNCATE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION verdict_changed();
CREATE TRIGGER users_verdict_trunc AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION verdict_changed();
CREATE TRIGGER memberships_verdict_trunc AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION verdict_changed();
CREATE TRIGGER api_clients_verdict_trunc AFTER TRUNCATE ON api_clients
    FOR EACH STATEMENT EXECUTE FUNCTION verdict_changed();
CREATE TRIGGER auth_sessions_verdict_trunc AFTER TRUNCATE ON auth_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION verdict_changed();

-- Each project's task count, and each tenant's counts: what the
-- statistics and the lists' totals read instead of counting rows. Kept by
-- row triggers in the transaction of the write (single-row updates by
-- key, planned once per connection), so every snapshot sees counts that
-- match its rows. Room on every page, so that a count's update stays on its page (HOT:
-- no index of the row is touched, the trigram index included).
ALTER TABLE projects ADD COLUMN tasks_count bigint NOT NULL DEFAULT 0
    CHECK (tasks_count >= 0);
ALTER TABLE projects SET (fillfactor = 80);

CREATE TABLE tenant_counts (
	tenant_id		uuid PRIMARY KEY REFERENCES tenants (id)
				ON DELETE CASCADE,
	projects_active		bigint NOT NULL DEFAULT 0,
	projects_completed	bigint NOT NULL DEFAULT 0,
	projects_archived	bigint NOT NULL DEFAULT 0,
	projects_with_tasks	bigint NOT NULL DEFAULT 0,
	tasks_todo		bigint NOT NULL DEFAULT 0,
	tasks_in_progress	bigint NOT NULL DEFAULT 0,
	tasks_done		bigint NOT NULL DEFAULT 0,
	documents		bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

CREATE FUNCTION tenant_counts_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tenant_counts (tenant_id) VALUES (NEW.id);
	RETURN NULL;
END
$$;

CREATE TRIGGER tenants_counts AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenant_counts_new();

-- A task comes to (NEW) or leaves (OLD) its project: the project's count
-- and the tenant's counts, in one statement each. A project already gone
-- (deleted, its tasks with it) is counted out by its own trigger. A move
-- locks both projects in key order first, so that two writers moving
-- tasks between the same two projects in opposite directions wait for
-- each other, never deadlock.
CREATE FUNCTION tasks_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	gone	int := 0;	/* the old project has no task left */
	first	int := 0;	/* the new project has its first task */
	n	bigint;
BEGIN
	IF TG_OP = 'UPDATE' AND (OLD.tenant_id <> NEW.tenant_id OR
	    OLD.project_id <> NEW.project_id) THEN
		PERFORM 1 FROM projects x
		WHERE (x.tenant_id, x.id) IN ((OLD.tenant_id, OLD.project_id),
		    (NEW.tenant_id, NEW.project_id))
		ORDER BY x.tenant_id, x.id FOR NO KEY UPDATE;
	END IF;
	IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND
	    (OLD.tenant_id <> NEW.tenant_id OR
	    OLD.project_id <> NEW.project_id)) THEN
		UPDATE projects x SET tasks_count = x.tasks_count - 1
		WHERE x.tenant_id = OLD.tenant_id AND x.id = OLD.project_id
		RETURNING x.tasks_count INTO n;
		gone := COALESCE((n = 0)::int, 0);
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND
	    (OLD.tenant_id <> NEW.tenant_id OR
	    OLD.project_id <> NEW.project_id)) THEN
		UPDATE projects x SET tasks_count = x.tasks_count + 1
		WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.project_id
		RETURNING x.tasks_count INTO n;
		first := COALESCE((n = 1)::int, 0);
	END IF;

	IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR
	    OLD.tenant_id <> NEW.tenant_id) THEN
		UPDATE tenant_counts k SET
		    tasks_todo = k.tasks_todo - (OLD.status = 'todo')::int,
		    tasks_in_progress = k.tasks_in_progress -
			(OLD.status = 'in_progress')::int,
		    tasks_done = k.tasks_done - (OLD.status = 'done')::int,
		    projects_with_tasks = k.projects_with_tasks - gone
		WHERE k.tenant_id = OLD.tenant_id;
		IF TG_OP = 'DELETE' THEN
			RETURN NULL;
		END IF;
		gone := 0;
	END IF;
	IF TG_OP = 'INSERT' OR OLD.tenant_id <> NEW.tenant_id THEN
		UPDATE tenant_counts k SET
		    tasks_todo = k.tasks_todo + (NEW.status = 'todo')::int,
		    tasks_in_progress = k.tasks_in_progress +
			(NEW.status = 'in_progress')::int,
		    tasks_done = k.tasks_done + (NEW.status = 'done')::int,
		    projects_with_tasks = k.projects_with_tasks + first
		WHERE k.tenant_id = NEW.tenant_id;
	ELSE
		-- The same tenant: the old status out, the new one in.
		UPDATE tenant_counts k SET
		    tasks_todo = k.tasks_todo - (OLD.status = 'todo')::int +
			(NEW.status = 'todo')::int,
		    tasks_in_progress = k.tasks_in_progress -
			(OLD.status = 'in_progress')::int +
			(NEW.status = 'in_progress')::int,
		    tasks_done = k.tasks_done - (OLD.status = 'done')::int +
			(NEW.status = 'done')::int,
		    projects_with_tasks = k.projects_with_tasks + first - gone
		WHERE k.tenant_id = NEW.tenant_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER tasks_counts AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_counted();
CREATE TRIGGER tasks_counts_upd AFTER UPDATE OF tenant_id, project_id,
    status ON tasks FOR EACH ROW
    WHEN (OLD.tenant_id <> NEW.tenant_id OR
    OLD.project_id <> NEW.project_id OR OLD.status <> NEW.status)
    EXECUTE FUNCTION tasks_counted();

-- Projects by status; and a project with tasks that is deleted leaves
-- projects_with_tasks (its tasks, deleted with it, find it gone).
CREATE FUNCTION projects_count_add(t uuid, s project_status, d int,
    w int) RETURNS void
LANGUAGE sql AS $$
	UPDATE tenant_counts k SET
	    projects_active = k.projects_active +
		CASE WHEN s = 'active' THEN d ELSE 0 END,
	    projects_completed = k.projects_completed +
		CASE WHEN s = 'completed' THEN d ELSE 0 END,
	    projects_archived = k.projects_archived +
		CASE WHEN s = 'archived' THEN d ELSE 0 END,
	    projects_with_tasks = k.projects_with_tasks + w
	WHERE k.tenant_id = t
$$;

CREATE FUNCTION projects_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM projects_count_add(NEW.tenant_id, NEW.status, 1,
		    (NEW.tasks_count > 0)::int);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM projects_count_add(OLD.tenant_id, OLD.status, -1,
		    -(OLD.tasks_count > 0)::int);
	ELSE
		PERFORM projects_count_add(OLD.tenant_id, OLD.status, -1,
		    -(OLD.tasks_count > 0)::int);
		PERFORM projects_count_add(NEW.tenant_id, NEW.status, 1,
		    (NEW.tasks_count > 0)::int);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER projects_counts AFTER INSERT OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_counted();
CREATE TRIGGER projects_counts_upd AFTER UPDATE OF tenant_id, status
    ON projects FOR EACH ROW
    WHEN (OLD.tenant_id <> NEW.tenant_id OR OLD.status <> NEW.status)
    EXECUTE FUNCTION projects_counted();

CREATE FUNCTION documents_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE tenant_counts k SET documents = k.documents + 1
		WHERE k.tenant_id = NEW.tenant_id;
	ELSE
		UPDATE tenant_counts k SET documents = k.documents - 1
		WHERE k.tenant_id = OLD.tenant_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER documents_counts AFTER INSERT OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_counted();


-- The counts of the rows that are already there.
UPDATE projects p SET tasks_count = c.n
FROM (SELECT tenant_id, project_id, count(*) AS n FROM tasks
    GROUP BY 1, 2) c
WHERE p.tenant_id = c.tenant_id AND p.id = c.project_id;

INSERT INTO tenant_counts (tenant_id, projects_active, projects_completed,
    projects_archived, projects_with_tasks, tasks_todo, tasks_in_progress,
    tasks_done, documents)
SELECT tn.id,
    (SELECT count(*) FROM projects p WHERE p.tenant_id = tn.id
	AND p.status = 'active'),
    (SELECT count(*) FROM projects p WHERE p.tenant_id = tn.id
	AND p.status = 'completed'),
    (SELECT count(*) FROM projects p WHERE p.tenant_id = tn.id
	AND p.status = 'archived'),
    (SELECT count(*) FROM projects p WHERE p.tenant_id = tn.id
	AND p.tasks_count > 0),
    (SELECT count(*) FROM tasks t WHERE t.tenant_id = tn.id
	AND t.status = 'todo'),
    (SELECT count(*) FROM tasks t WHERE t.tenant_id = tn.id
	AND t.status = 'in_progress'),
    (SELECT count(*) FROM tasks t WHERE t.tenant_id = tn.id
	AND t.status = 'done'),
    (SELECT count(*) FROM documents d WHERE d.tenant_id = tn.id)
FROM tenants tn;

-- Each row's JSON as the API shows it, kept with the row by the triggers
-- of sql/R__060_bodies.sql (the format is the API functions'): lists and
-- details read it instead of building it per request. kept_bodies holds
-- the format the bodies were made with; R__060 makes them again when it
-- changes.
ALTER TABLE projects ADD COLUMN body text;
ALTER TABLE tasks ADD COLUMN body text;
ALTER TABLE documents ADD COLUMN body text;

CREATE TABLE kept_bodies (
	kind			text PRIMARY KEY,
	format			text NOT NULL
);

-- Every list ordering (field, then id, either direction: the SQL's
-- api.*_list) reads its page from an index in order, LIMIT first; so do
-- the one-filter lists in the default order (-created_at).
DROP INDEX projects_updated_idx;
DROP INDEX projects_status_idx;
CREATE INDEX projects_updated_idx ON projects (tenant_id, updated_at, id);
CREATE INDEX projects_status_idx ON projects (tenant_id, status, created_at,
    id);
CREATE INDEX projects_status_id_idx ON projects (tenant_id, status, id);

DROP INDEX tasks_project_idx;
DROP INDEX tasks_priority_idx;
CREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id, created_at,
    id);
CREATE INDEX tasks_priority_idx ON tasks (tenant_id, priority, id);
CREATE INDEX tasks_priority_created_idx ON tasks (tenant_id, priority,
    created_at, id);
CREATE INDEX tasks_title_idx ON tasks (tenant_id, title, id);
CREATE INDEX tasks_updated_idx ON tasks (tenant_id, updated_at, id);
CREATE INDEX tasks_due_date_idx ON tasks (tenant_id, due_date, id);
CREATE INDEX tasks_status_id_idx ON tasks (tenant_id, status, id);

DROP INDEX documents_project_idx;
DROP INDEX documents_type_idx;
CREATE INDEX documents_project_idx ON documents (tenant_id, project_id,
    created_at, id);
CREATE INDEX documents_type_idx ON documents (tenant_id, content_type,
    created_at, id);
CREATE INDEX documents_name_idx ON documents (tenant_id, name, id);
CREATE INDEX documents_size_idx ON documents (tenant_id, file_size, id);
CREATE INDEX documents_updated_idx ON documents (tenant_id, updated_at, id);
