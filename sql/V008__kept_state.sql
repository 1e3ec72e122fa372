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
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,id',
    'revoked_at,tenant_id,user_id,api_client_id');
CREATE TRIGGER auth_sessions_verdict_del AFTER DELETE ON auth_sessions
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION verdict_changed('tenant_id', 'tenant_id,id', '');
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
-- statement triggers in the transaction of the write, so every snapshot
-- sees counts that match its rows. An API write of one task: two
-- single-row updates by key. A bulk write (test data, a cascade) updates
-- each project and tenant once: row triggers would update a tenant's
-- counts once per row, each time slower (a row updated many times in one
-- transaction keeps every version) and leave that many dead versions
-- (the 10,000-tenant data set grew 3x that way). Room on every page, so that a count's update stays on its page (HOT:
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
	INSERT INTO tenant_counts (tenant_id) SELECT n.id FROM n;
	RETURN NULL;
END
$$;

CREATE TRIGGER tenants_counts AFTER INSERT ON tenants
    REFERENCING NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION tenant_counts_new();

-- Task changes of a statement with several rows (test data, a cascade):
-- d[i] tasks of status s[i] come to (d > 0) or leave
-- (d < 0) project p[i] of tenant t[i]. The projects are locked in key
-- order first, so that two writers moving tasks between the same
-- projects in opposite directions wait for each other, never deadlock. A
-- project already gone (deleted, its tasks with it) is counted out by its
-- own trigger.
CREATE FUNCTION tasks_count_apply(t uuid[], p bigint[], s task_status[],
    d bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	PERFORM 1 FROM projects x
	JOIN (SELECT c.t, c.p FROM unnest(t, p, d) AS c(t, p, d)
	    GROUP BY c.t, c.p HAVING sum(c.d) <> 0) g
	    ON x.tenant_id = g.t AND x.id = g.p
	ORDER BY x.tenant_id, x.id FOR NO KEY UPDATE OF x;

	WITH c AS (
		SELECT * FROM unnest(t, p, s, d) AS c(t, p, s, d)
	), pc AS (
		UPDATE projects x SET tasks_count = x.tasks_count + g.d
		FROM (SELECT c.t, c.p, sum(c.d)::bigint AS d FROM c
		    GROUP BY c.t, c.p HAVING sum(c.d) <> 0) g
		WHERE x.tenant_id = g.t AND x.id = g.p
		RETURNING x.tenant_id AS t, (x.tasks_count > 0)::int -
		    (x.tasks_count - g.d > 0)::int AS w
	), w AS (
		SELECT pc.t, sum(pc.w)::bigint AS w FROM pc GROUP BY pc.t
	), st AS (
		SELECT c.t,
		    COALESCE(sum(c.d) FILTER (WHERE c.s = 'todo'), 0) AS todo,
		    COALESCE(sum(c.d) FILTER (WHERE c.s = 'in_progress'), 0)
			AS in_progress,
		    COALESCE(sum(c.d) FILTER (WHERE c.s = 'done'), 0) AS done
		FROM c GROUP BY c.t
	)
	UPDATE tenant_counts k SET
	    tasks_todo = k.tasks_todo + st.todo,
	    tasks_in_progress = k.tasks_in_progress + st.in_progress,
	    tasks_done = k.tasks_done + st.done,
	    projects_with_tasks = k.projects_with_tasks + COALESCE(w.w, 0)
	FROM st LEFT JOIN w ON w.t = st.t
	WHERE k.tenant_id = st.t;
END
$$;

CREATE FUNCTION tasks_counted() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	t	uuid[];
	p	bigint[];
	s	task_status[];
	d	bigint[];
	n	bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(x.tenant_id), array_agg(x.project_id),
		    array_agg(x.status), array_agg(x.d) INTO t, p, s, d
		FROM (SELECT n.tenant_id, n.project_id, n.status, count(*) AS d
		    FROM n GROUP BY 1, 2, 3) x;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(x.tenant_id), array_agg(x.project_id),
		    array_agg(x.status), array_agg(x.d) INTO t, p, s, d
		FROM (SELECT o.tenant_id, o.project_id, o.status, -count(*) AS d
		    FROM o GROUP BY 1, 2, 3) x;
	ELSE
		SELECT array_agg(x.tenant_id), array_agg(x.project_id),
		    array_agg(x.status), array_agg(x.d) INTO t, p, s, d
		FROM (SELECT y.tenant_id, y.project_id, y.status, sum(y.d) AS d
		    FROM (SELECT o.tenant_id, o.project_id, o.status, -1 AS d
			FROM o UNION ALL SELECT n.tenant_id, n.project_id,
			n.status, 1 FROM n) y
		    GROUP BY 1, 2, 3 HAVING sum(y.d) <> 0) x;
	END IF;
	IF t IS NULL THEN
		RETURN NULL;
	END IF;
	IF cardinality(t) > 1 THEN
		PERFORM tasks_count_apply(t, p, s, d);
		RETURN NULL;
	END IF;

	-- One row (an API write): the project's count, the tenant's counts.
	UPDATE projects x SET tasks_count = x.tasks_count + d[1]
	WHERE x.tenant_id = t[1] AND x.id = p[1]
	RETURNING x.tasks_count INTO n;

	UPDATE tenant_counts k SET
	    tasks_todo = k.tasks_todo +
		CASE WHEN s[1] = 'todo' THEN d[1] ELSE 0 END,
	    tasks_in_progress = k.tasks_in_progress +
		CASE WHEN s[1] = 'in_progress' THEN d[1] ELSE 0 END,
	    tasks_done = k.tasks_done +
		CASE WHEN s[1] = 'done' THEN d[1] ELSE 0 END,
	    projects_with_tasks = k.projects_with_tasks +
		CASE WHEN n > 0 AND n - d[1] <= 0 THEN 1
		WHEN n <= 0 AND n - d[1] > 0 THEN -1 ELSE 0 END
	WHERE k.tenant_id = t[1];
	RETURN NULL;
END
$$;

CREATE TRIGGER tasks_counts_ins AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION tasks_counted();
CREATE TRIGGER tasks_counts_del AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION tasks_counted();
CREATE TRIGGER tasks_counts_upd AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION tasks_counted();

-- Projects by status; and a project with tasks that is deleted leaves
-- projects_with_tasks (its tasks, deleted with it, find it gone).
CREATE FUNCTION projects_counted() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	t	uuid[];
	s	project_status[];
	d	bigint[];
	w	bigint[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(x.tenant_id), array_agg(x.status),
		    array_agg(x.d), array_agg(x.w) INTO t, s, d, w
		FROM (SELECT n.tenant_id, n.status, count(*) AS d,
		    count(*) FILTER (WHERE n.tasks_count > 0) AS w
		    FROM n GROUP BY 1, 2) x;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(x.tenant_id), array_agg(x.status),
		    array_agg(x.d), array_agg(x.w) INTO t, s, d, w
		FROM (SELECT o.tenant_id, o.status, -count(*) AS d,
		    -count(*) FILTER (WHERE o.tasks_count > 0) AS w
		    FROM o GROUP BY 1, 2) x;
	ELSE
		-- Status changes only: tasks_count_apply's own updates of the
		-- counts change no status and are skipped here.
		SELECT array_agg(x.tenant_id), array_agg(x.status),
		    array_agg(x.d), array_agg(x.w) INTO t, s, d, w
		FROM (SELECT y.tenant_id, y.status, sum(y.d) AS d,
		    sum(y.w) AS w
		    FROM (SELECT o.tenant_id, o.status, -1 AS d,
			-(o.tasks_count > 0)::int AS w FROM o
			UNION ALL SELECT n.tenant_id, n.status, 1,
			(n.tasks_count > 0)::int FROM n) y
		    GROUP BY 1, 2 HAVING sum(y.d) <> 0) x;
	END IF;
	IF t IS NOT NULL THEN
		UPDATE tenant_counts k SET
		    projects_active = k.projects_active + g.a,
		    projects_completed = k.projects_completed + g.co,
		    projects_archived = k.projects_archived + g.ar,
		    projects_with_tasks = k.projects_with_tasks + g.w
		FROM (SELECT c.t,
			COALESCE(sum(c.d) FILTER (WHERE c.s = 'active'), 0)
			    AS a,
			COALESCE(sum(c.d) FILTER (WHERE c.s = 'completed'), 0)
			    AS co,
			COALESCE(sum(c.d) FILTER (WHERE c.s = 'archived'), 0)
			    AS ar,
			sum(c.w) AS w
		    FROM unnest(t, s, d, w) AS c(t, s, d, w) GROUP BY c.t) g
		WHERE k.tenant_id = g.t;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER projects_counts_ins AFTER INSERT ON projects
    REFERENCING NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION projects_counted();
CREATE TRIGGER projects_counts_del AFTER DELETE ON projects
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION projects_counted();
-- Not for the count updates of tasks_count_apply (a trigger's own
-- statement, WHEN skips it at no cost): they change no status.
CREATE TRIGGER projects_counts_upd AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT
    WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION projects_counted();

CREATE FUNCTION documents_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE tenant_counts k SET documents = k.documents + x.d
		FROM (SELECT n.tenant_id, count(*) AS d FROM n GROUP BY 1) x
		WHERE k.tenant_id = x.tenant_id;
	ELSE
		UPDATE tenant_counts k SET documents = k.documents - x.d
		FROM (SELECT o.tenant_id, count(*) AS d FROM o GROUP BY 1) x
		WHERE k.tenant_id = x.tenant_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER documents_counts_ins AFTER INSERT ON documents
    REFERENCING NEW TABLE AS n FOR EACH STATEMENT
    EXECUTE FUNCTION documents_counted();
CREATE TRIGGER documents_counts_del AFTER DELETE ON documents
    REFERENCING OLD TABLE AS o FOR EACH STATEMENT
    EXECUTE FUNCTION documents_counted();

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
