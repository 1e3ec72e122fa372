/*
 * Unit tests for src/prepared.c, the statements prepared once per
 * connection: one number per statement text, names from the text alone,
 * what a connection has prepared forgotten when its backend changed, and
 * unnamed statements through a pooler.
 */

#include <criterion/criterion.h>

#include "../../src/prepared.c"

/*
 * Prepared statements: a statement gets one number for its life in the
 * worker (by pointer, else by text), and a connection's prepared set is
 * forgotten when its backend changed (a reconnect, a new connection in
 * the same place).
 */
static int	fake_pid = 100;

static const char *
num_sql(int i)
{
	static char	buf[32];

	(void)snprintf(buf, sizeof(buf), "SELECT %d + 0", i);
	return (buf);
}

int
PQbackendPID(const PGconn *db)
{
	return (db != NULL ? fake_pid : 0);
}

static void
named_setup(void)
{
	memset(prepared_sql, 0, sizeof(prepared_sql));
	prepared_n = 0;
	memset(prepared_conns, 0, sizeof(prepared_conns));
	prepared_clock = 0;
	fake_pid = 100;
}

TestSuite(prepared, .init = named_setup);

Test(prepared, one_number_per_statement)
{
	static const char	a[] = "SELECT 1";
	char			copy[] = "SELECT 1";
	int			i;

	cr_expect_eq(prepared_id(a), 0);
	cr_expect_eq(prepared_id("SELECT 2"), 1);
	cr_expect_eq(prepared_id(a), 0, "the same statement again");
	cr_expect_eq(prepared_id(copy), 0, "the same text elsewhere");

	for (i = prepared_n; i < PREPARED_MAX; i++)
		(void)prepared_id(kore_strdup(num_sql(i)));
	cr_expect_eq(prepared_id("SELECT 'one too many'"), -1,
	    "past PREPARED_MAX: unnamed");
	cr_expect_eq(prepared_id(a), 0);
}

Test(prepared, another_backend_has_nothing_prepared)
{
	struct pgsql_conn	conn;
	struct prepared_conn	*cn;
	int			fake_db;

	memset(&conn, 0, sizeof(conn));
	conn.db = (PGconn *)&fake_db;

	cr_assert_not_null(cn = prepared_conn_find(&conn));
	cr_expect_eq(cn->prepared, 0);
	cn->prepared = 0x5;
	cr_expect_eq(prepared_conn_find(&conn)->prepared, 0x5, "same backend");

	fake_pid = 101;		/* PQreset(): another backend */
	cr_expect_eq(prepared_conn_find(&conn)->prepared, 0, "after a reconnect");

	conn.db = NULL;
	cr_expect_null(prepared_conn_find(&conn), "no backend: unnamed");
}

Test(prepared, the_least_recently_used_makes_room)
{
	struct pgsql_conn	conns[PREPARED_CONNS_MAX + 1];
	int			fake_db, i;

	memset(conns, 0, sizeof(conns));
	for (i = 0; i <= PREPARED_CONNS_MAX; i++) {
		conns[i].db = (PGconn *)&fake_db;
		prepared_conn_find(&conns[i])->prepared = 1;
	}
	/* The first one was evicted for the last: known again as new. */
	cr_expect_eq(prepared_conn_find(&conns[0])->prepared, 0);
	cr_expect_eq(prepared_conn_find(&conns[PREPARED_CONNS_MAX])->prepared, 1);
}

/*
 * A statement's name comes from its text alone: every worker names the
 * same statement alike and two statements differently, so that workers
 * sharing a server connection (a pooler) never run each other's.
 */
Test(prepared, names_follow_the_text)
{
	char	a[32], b[32], c[32];
	char	copy[] = "SELECT api.project_get($1)";

	prepared_name("SELECT api.project_get($1)", a, sizeof(a));
	prepared_name(copy, b, sizeof(b));
	prepared_name("SELECT api.task_get($1)", c, sizeof(c));
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	cr_expect_eq(strncmp(a, "mtapi_", 6), 0);
	cr_expect_eq(strlen(a), 6 + 16);
}

/* Through a pooler (DB_LISTEN_* elsewhere): nothing is prepared. */
Test(prepared, a_pooler_gets_unnamed_statements)
{
	char	direct[] = "host=127.0.0.1 port=5432";
	char	pooler[] = "host=127.0.0.1 port=6432";

	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
	cr_expect_eq(prepared_pooled(), 0, "no settings");

	app.s.db_conninfo = direct;
	app.s.db_listen_conninfo = direct;
	cr_expect_eq(prepared_pooled(), 0, "one server for both");

	app.s.db_conninfo = pooler;
	cr_expect_eq(prepared_pooled(), 1, "DB_PORT the pooler's");

	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
}

/* A pooler found by a missing statement: unnamed from then on. */
Test(prepared, a_missing_statement_means_a_pooler)
{
	char	direct[] = "host=127.0.0.1 port=5432";

	app.s.db_conninfo = direct;
	app.s.db_listen_conninfo = direct;
	cr_expect_eq(prepared_pooled(), 0);
	prepared_pooler_found = 1;
	cr_expect_eq(prepared_pooled(), 1);

	prepared_pooler_found = 0;
	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
}
