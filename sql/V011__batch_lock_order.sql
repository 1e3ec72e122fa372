-- The task counts of a statement with several rows (tasks_count_apply,
-- sql/V008) lock their tenants' counts in key order too, after the
-- projects, as they already locked the projects. Two such statements
-- that wrote tasks of the same tenants (src/db.c's batched creates, from
-- two workers) took the tenant_counts rows in whatever order the UPDATE
-- met them and deadlocked. A single-row write locks one project and then
-- its tenant: the same order.
CREATE OR REPLACE FUNCTION tasks_count_apply(t uuid[], p bigint[], s task_status[],
    d bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	PERFORM 1 FROM projects x
	JOIN (SELECT c.t, c.p FROM unnest(t, p, d) AS c(t, p, d)
	    GROUP BY c.t, c.p HAVING sum(c.d) <> 0) g
	    ON x.tenant_id = g.t AND x.id = g.p
	ORDER BY x.tenant_id, x.id FOR NO KEY UPDATE OF x;
	PERFORM 1 FROM tenant_counts k
	WHERE k.tenant_id IN (SELECT DISTINCT c.t FROM unnest(t) AS c(t))
	ORDER BY k.tenant_id FOR NO KEY UPDATE OF k;

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
