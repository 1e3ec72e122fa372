-- No JIT compilation in this database's sessions. The API's statements
-- are short; PostgreSQL compiles a statement whose estimated cost is
-- above jit_above_cost, and an estimate can be far off (a table not yet
-- analysed: verdict_epochs, one row, was taken for 1,330): the batched
-- creates of src/batch.c were estimated at 2e9 and spent 1 to 3 s each
-- compiling themselves, holding their worker's database connections, so
-- that every request of that worker waited with them. The server warns
-- at its start when a session of its database has jit on (a database
-- restored without its settings: docs/operations.md).
DO $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END
$$;
