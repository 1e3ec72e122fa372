-- A tenant's kept counts (sql/V008) in parts: each writing transaction
-- adds its changes to a part no other open transaction writes, and a
-- tenant's counts are the sum of its parts (the view tenant_counts, which
-- the reads already name). With one row per tenant, every create,
-- however many tenants apart, waited for the commit of every other
-- write of the same tenant, fsync included: POST /api/v1/tasks/ spent
-- most of its database time in those waits (bench/RESULTS.md). The
-- parts are few (COUNT_PARTS), so a read sums a handful of rows.

CREATE TABLE tenant_count_parts (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	part			int NOT NULL CHECK (part >= 0 AND part < 16),
	projects_active		bigint NOT NULL DEFAULT 0,
	projects_completed	bigint NOT NULL DEFAULT 0,
	projects_archived	bigint NOT NULL DEFAULT 0,
	projects_with_tasks	bigint NOT NULL DEFAULT 0,
	tasks_todo		bigint NOT NULL DEFAULT 0,
	tasks_in_progress	bigint NOT NULL DEFAULT 0,
	tasks_done		bigint NOT NULL DEFAULT 0,
	documents		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, part)
) WITH (fillfactor = 50);

INSERT INTO tenant_count_parts (tenant_id, part, projects_active,
    projects_completed, projects_archived, projects_with_tasks, tasks_todo,
    tasks_in_progress, tasks_done, documents)
SELECT tenant_id, 0, projects_active, projects_completed, projects_archived,
    projects_with_tasks, tasks_todo, tasks_in_progress, tasks_done,
    documents
FROM tenant_counts;

DROP TABLE tenant_counts;

-- A part may go below zero (a task made in one part, deleted in
-- another); the sum cannot. Every tenant has part 0 from its creation
-- on, so every tenant has a row here.
CREATE VIEW tenant_counts AS
SELECT tenant_id,
    sum(projects_active)::bigint AS projects_active,
    sum(projects_completed)::bigint AS projects_completed,
    sum(projects_archived)::bigint AS projects_archived,
    sum(projects_with_tasks)::bigint AS projects_with_tasks,
    sum(tasks_todo)::bigint AS tasks_todo,
    sum(tasks_in_progress)::bigint AS tasks_in_progress,
    sum(tasks_done)::bigint AS tasks_done,
    sum(documents)::bigint AS documents
FROM tenant_count_parts GROUP BY tenant_id;

-- The number of parts: the CHECK above says it too.
CREATE FUNCTION count_parts() RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT 16
$$;

-- The part this transaction writes: the first, from this backend's own,
-- that no other open transaction holds (a transaction-scoped advisory
-- lock, keyed by the table); a transaction asks again at each write and
-- gets the part it holds, or another free one. With every part held
-- (16 writers at once) it writes its own and waits for that row's
-- lock, as every writer did before the parts.
CREATE FUNCTION count_part() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	n	int := count_parts();
	first	int := pg_backend_pid() % n;
	i	int;
BEGIN
	FOR i IN 0 .. n - 1 LOOP
		IF pg_try_advisory_xact_lock(
		    'tenant_count_parts'::regclass::oid::bigint::int,
		    (first + i) % n) THEN
			RETURN (first + i) % n;
		END IF;
	END LOOP;
	RETURN first;
END
$$;

-- What a statement changed, per tenant: the one type every count
-- trigger hands to tenant_counts_add.
CREATE TYPE tenant_count_delta AS (
	tenant_id		uuid,
	projects_active		bigint,
	projects_completed	bigint,
	projects_archived	bigint,
	projects_with_tasks	bigint,
	tasks_todo		bigint,
	tasks_in_progress	bigint,
	tasks_done		bigint,
	documents		bigint
);

-- Add the changes to this transaction's part, tenants in key order (two
-- writers that share a part, when all are held, wait; never deadlock).
-- The UPDATE of one row per tenant this replaces matched nothing for a
-- tenant already deleted; an insert would break the foreign key.
CREATE FUNCTION tenant_counts_add(d tenant_count_delta[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	mine	int := count_part();
BEGIN
	INSERT INTO tenant_count_parts AS k (tenant_id, part, projects_active,
	    projects_completed, projects_archived, projects_with_tasks,
	    tasks_todo, tasks_in_progress, tasks_done, documents)
	SELECT x.tenant_id, mine, x.pa, x.pc, x.par, x.pw, x.tt,
	    x.tip, x.td, x.doc
	FROM (SELECT c.tenant_id,
		COALESCE(sum(c.projects_active), 0) AS pa,
		COALESCE(sum(c.projects_completed), 0) AS pc,
		COALESCE(sum(c.projects_archived), 0) AS par,
		COALESCE(sum(c.projects_with_tasks), 0) AS pw,
		COALESCE(sum(c.tasks_todo), 0) AS tt,
		COALESCE(sum(c.tasks_in_progress), 0) AS tip,
		COALESCE(sum(c.tasks_done), 0) AS td,
		COALESCE(sum(c.documents), 0) AS doc
	    FROM unnest(d) AS c GROUP BY c.tenant_id) x
	WHERE (x.pa, x.pc, x.par, x.pw, x.tt, x.tip, x.td, x.doc) <>
	    (0, 0, 0, 0, 0, 0, 0, 0)
	    -- A tenant being deleted (its rows go with it): nothing to count.
	    AND EXISTS (SELECT 1 FROM tenants tn WHERE tn.id = x.tenant_id)
	ORDER BY x.tenant_id
	ON CONFLICT (tenant_id, part) DO UPDATE SET
	    projects_active = k.projects_active + excluded.projects_active,
	    projects_completed = k.projects_completed +
		excluded.projects_completed,
	    projects_archived = k.projects_archived +
		excluded.projects_archived,
	    projects_with_tasks = k.projects_with_tasks +
		excluded.projects_with_tasks,
	    tasks_todo = k.tasks_todo + excluded.tasks_todo,
	    tasks_in_progress = k.tasks_in_progress +
		excluded.tasks_in_progress,
	    tasks_done = k.tasks_done + excluded.tasks_done,
	    documents = k.documents + excluded.documents;
END
$$;

-- The count triggers of sql/V008 and V011, writing parts.
CREATE OR REPLACE FUNCTION tenant_counts_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tenant_count_parts (tenant_id, part)
	SELECT n.id, 0 FROM n;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION tasks_count_apply(t uuid[], p bigint[],
    s task_status[], d bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	delta	tenant_count_delta[];
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
	)
	SELECT array_agg(ROW(st.t, 0, 0, 0, COALESCE(w.w, 0), st.todo,
	    st.in_progress, st.done, 0)::tenant_count_delta) INTO delta
	FROM (SELECT c.t,
		COALESCE(sum(c.d) FILTER (WHERE c.s = 'todo'), 0) AS todo,
		COALESCE(sum(c.d) FILTER (WHERE c.s = 'in_progress'), 0)
		    AS in_progress,
		COALESCE(sum(c.d) FILTER (WHERE c.s = 'done'), 0) AS done
	    FROM c GROUP BY c.t) st
	LEFT JOIN w ON w.t = st.t;
	PERFORM tenant_counts_add(delta);
END
$$;

CREATE OR REPLACE FUNCTION tasks_counted() RETURNS trigger
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

	PERFORM tenant_counts_add(ARRAY[ROW(t[1], 0, 0, 0,
	    CASE WHEN n > 0 AND n - d[1] <= 0 THEN 1
	    WHEN n <= 0 AND n - d[1] > 0 THEN -1 ELSE 0 END,
	    CASE WHEN s[1] = 'todo' THEN d[1] ELSE 0 END,
	    CASE WHEN s[1] = 'in_progress' THEN d[1] ELSE 0 END,
	    CASE WHEN s[1] = 'done' THEN d[1] ELSE 0 END,
	    0)::tenant_count_delta]);
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION projects_counted() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	t	uuid[];
	s	project_status[];
	d	bigint[];
	w	bigint[];
	delta	tenant_count_delta[];
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
		SELECT array_agg(ROW(c.t,
		    CASE WHEN c.s = 'active' THEN c.d ELSE 0 END,
		    CASE WHEN c.s = 'completed' THEN c.d ELSE 0 END,
		    CASE WHEN c.s = 'archived' THEN c.d ELSE 0 END,
		    c.w, 0, 0, 0, 0)::tenant_count_delta) INTO delta
		FROM unnest(t, s, d, w) AS c(t, s, d, w);
		PERFORM tenant_counts_add(delta);
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION documents_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	delta	tenant_count_delta[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(ROW(n.tenant_id, 0, 0, 0, 0, 0, 0, 0,
		    n.d)::tenant_count_delta) INTO delta
		FROM (SELECT n.tenant_id, count(*) AS d FROM n GROUP BY 1) n;
	ELSE
		SELECT array_agg(ROW(o.tenant_id, 0, 0, 0, 0, 0, 0, 0,
		    -o.d)::tenant_count_delta) INTO delta
		FROM (SELECT o.tenant_id, count(*) AS d FROM o GROUP BY 1) o;
	END IF;
	PERFORM tenant_counts_add(delta);
	RETURN NULL;
END
$$;
