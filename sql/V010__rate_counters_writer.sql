-- Rate counters written per writer (the backend that ran the sync), so
-- that no two syncs ever write the same row. With one row per tenant and
-- window, every worker's sync upserted the same rows as every other's
-- and waited for its commit: at 10,000 tenants, in chains of seconds,
-- on the connections request statements use (bench/RESULTS.md). A
-- tenant's count is the sum of its window's rows; a row may go below
-- zero (a refund of a charge another backend sent), the sum does not.
ALTER TABLE rate_counters ADD COLUMN writer int NOT NULL DEFAULT 0;
ALTER TABLE rate_counters DROP CONSTRAINT rate_counters_pkey;
ALTER TABLE rate_counters ADD CONSTRAINT rate_counters_pkey
    PRIMARY KEY (tenant_id, window_start, writer);
