-- Indexes that serve the lists in index order (ORDER BY ... LIMIT) and the
-- statistics without visiting the tasks' heap: the status index gets the
-- id tiebreaker and covers what the statistics count.

DROP INDEX tasks_status_idx;
CREATE INDEX tasks_status_idx ON tasks (tenant_id, status, created_at, id)
    INCLUDE (due_date, project_id);
