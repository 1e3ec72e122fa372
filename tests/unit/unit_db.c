/*
 * Unit tests for the connection-slot queue of src/db.c: requests get a
 * database connection in the order they asked for one, a released slot
 * goes to the longest waiting request, and one connection of the
 * worker's pgsql_conn_max stays free for its own statements; and the
 * prepared statements' bookkeeping.
 */

#include <criterion/criterion.h>

#include "../../src/db.c"

#define NREQ	6

static struct http_request	reqs[NREQ];
static struct api_req		ars[NREQ];
static int			slept[NREQ];
static int			woken[NREQ];
static int			wake_order[NREQ];
static int			nwoken;

static int	acquire(int);
static int	which(struct http_request *);
static const char	*num_sql(int);

void
http_request_sleep(struct http_request *req)
{
	slept[which(req)]++;
}

void
http_request_wakeup(struct http_request *req)
{
	int	i = which(req);

	woken[i]++;
	wake_order[nwoken++] = i;
}

static int
which(struct http_request *req)
{
	int	i;

	for (i = 0; i < NREQ; i++) {
		if (req == &reqs[i])
			return (i);
	}
	cr_assert_fail("unknown request");
	return (-1);
}

static int
acquire(int i)
{
	return (db_slot_acquire(&reqs[i], &ars[i]));
}

static void
setup(void)
{
	memset(reqs, 0, sizeof(reqs));
	memset(ars, 0, sizeof(ars));
	memset(slept, 0, sizeof(slept));
	memset(woken, 0, sizeof(woken));
	nwoken = 0;
	db_slots_used = 0;
	TAILQ_INIT(&db_waiting);
	pgsql_conn_max = 3;	/* two slots for requests, one kept back */
}

TestSuite(db_slots, .init = setup);

Test(db_slots, one_connection_stays_free)
{
	cr_expect_eq(acquire(0), 1);
	cr_expect_eq(acquire(1), 1);
	cr_expect_eq(acquire(2), 0, "the third request took the reserve");
	cr_expect_eq(db_slots_used, 2);
	cr_expect_eq(slept[2], 1);
	cr_expect(ars[2].db_queued);
}

Test(db_slots, acquire_twice_keeps_one_slot)
{
	cr_expect_eq(acquire(0), 1);
	cr_expect_eq(acquire(0), 1);
	cr_expect_eq(db_slots_used, 1);
}

Test(db_slots, released_slot_goes_to_the_longest_waiting)
{
	int	i;

	for (i = 0; i < 5; i++)
		(void)acquire(i);
	cr_assert_eq(db_slots_used, 2);

	db_slot_release(&ars[1]);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 2);
	cr_expect(ars[2].db_slot);
	cr_expect(!ars[2].db_queued);
	cr_expect_eq(db_slots_used, 2, "the slot was handed over");

	/* Woken, it finds the slot already its own. */
	cr_expect_eq(acquire(2), 1);

	db_slot_release(&ars[0]);
	db_slot_release(&ars[2]);
	cr_expect_eq(nwoken, 3);
	cr_expect_eq(wake_order[1], 3);
	cr_expect_eq(wake_order[2], 4);
}

/* A new request may not overtake a waiting one, even past a free slot. */
Test(db_slots, new_requests_queue_behind_waiting_ones)
{
	(void)acquire(0);
	(void)acquire(1);
	(void)acquire(2);

	/* A slot is free only in the instant before it is handed over. */
	ars[0].db_slot = 0;
	db_slots_used--;
	cr_expect_eq(acquire(3), 0);
	cr_expect(ars[3].db_queued);
	cr_expect_eq(TAILQ_FIRST(&db_waiting), &ars[2]);
}

/* A request that goes away while waiting leaves the line. */
Test(db_slots, release_of_a_waiting_request)
{
	(void)acquire(0);
	(void)acquire(1);
	(void)acquire(2);
	(void)acquire(3);

	db_slot_release(&ars[2]);
	cr_expect(!ars[2].db_queued);
	cr_expect_eq(db_slots_used, 2);
	cr_expect_eq(nwoken, 0);

	db_slot_release(&ars[0]);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 3);
	cr_expect(TAILQ_EMPTY(&db_waiting));
}

/* Releasing twice (Kore frees a request again after a task) is safe. */
Test(db_slots, release_is_idempotent)
{
	(void)acquire(0);
	db_slot_release(&ars[0]);
	db_slot_release(&ars[0]);
	cr_expect_eq(db_slots_used, 0);
}

/* With pgsql_conn_max 1 there is nothing to keep back. */
Test(db_slots, a_single_connection_is_shared)
{
	pgsql_conn_max = 1;
	cr_expect_eq(acquire(0), 1);
	cr_expect_eq(acquire(1), 0);
}

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
	memset(db_named, 0, sizeof(db_named));
	db_nnamed = 0;
	memset(db_conns, 0, sizeof(db_conns));
	db_conns_clock = 0;
	fake_pid = 100;
}

TestSuite(db_named, .init = named_setup);

Test(db_named, one_number_per_statement)
{
	static const char	a[] = "SELECT 1";
	char			copy[] = "SELECT 1";
	int			i;

	cr_expect_eq(db_named_id(a), 0);
	cr_expect_eq(db_named_id("SELECT 2"), 1);
	cr_expect_eq(db_named_id(a), 0, "the same statement again");
	cr_expect_eq(db_named_id(copy), 0, "the same text elsewhere");

	for (i = db_nnamed; i < DB_NAMED_MAX; i++)
		(void)db_named_id(kore_strdup(num_sql(i)));
	cr_expect_eq(db_named_id("SELECT 'one too many'"), -1,
	    "past DB_NAMED_MAX: unnamed");
	cr_expect_eq(db_named_id(a), 0);
}

Test(db_named, another_backend_has_nothing_prepared)
{
	struct pgsql_conn	conn;
	struct db_conn_named	*cn;
	int			fake_db;

	memset(&conn, 0, sizeof(conn));
	conn.db = (PGconn *)&fake_db;

	cr_assert_not_null(cn = db_conn_named(&conn));
	cr_expect_eq(cn->prepared, 0);
	cn->prepared = 0x5;
	cr_expect_eq(db_conn_named(&conn)->prepared, 0x5, "same backend");

	fake_pid = 101;		/* PQreset(): another backend */
	cr_expect_eq(db_conn_named(&conn)->prepared, 0, "after a reconnect");

	conn.db = NULL;
	cr_expect_null(db_conn_named(&conn), "no backend: unnamed");
}

Test(db_named, the_least_recently_used_makes_room)
{
	struct pgsql_conn	conns[DB_CONNS_MAX + 1];
	int			fake_db, i;

	memset(conns, 0, sizeof(conns));
	for (i = 0; i <= DB_CONNS_MAX; i++) {
		conns[i].db = (PGconn *)&fake_db;
		db_conn_named(&conns[i])->prepared = 1;
	}
	/* The first one was evicted for the last: known again as new. */
	cr_expect_eq(db_conn_named(&conns[0])->prepared, 0);
	cr_expect_eq(db_conn_named(&conns[DB_CONNS_MAX])->prepared, 1);
}

/*
 * A statement's name comes from its text alone: every worker names the
 * same statement alike and two statements differently, so that workers
 * sharing a server connection (a pooler) never run each other's.
 */
Test(db_named, names_follow_the_text)
{
	char	a[32], b[32], c[32];
	char	copy[] = "SELECT api.project_get($1)";

	db_named_name("SELECT api.project_get($1)", a, sizeof(a));
	db_named_name(copy, b, sizeof(b));
	db_named_name("SELECT api.task_get($1)", c, sizeof(c));
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	cr_expect_eq(strncmp(a, "mtapi_", 6), 0);
	cr_expect_eq(strlen(a), 6 + 16);
}

/* Through a pooler (DB_LISTEN_* elsewhere): nothing is prepared. */
Test(db_named, a_pooler_gets_unnamed_statements)
{
	char	direct[] = "host=127.0.0.1 port=5432";
	char	pooler[] = "host=127.0.0.1 port=6432";

	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
	cr_expect_eq(db_pooled(), 0, "no settings");

	app.s.db_conninfo = direct;
	app.s.db_listen_conninfo = direct;
	cr_expect_eq(db_pooled(), 0, "one server for both");

	app.s.db_conninfo = pooler;
	cr_expect_eq(db_pooled(), 1, "DB_PORT the pooler's");

	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
}

/* A pooler found by a missing statement: unnamed from then on. */
Test(db_named, a_missing_statement_means_a_pooler)
{
	char	direct[] = "host=127.0.0.1 port=5432";

	app.s.db_conninfo = direct;
	app.s.db_listen_conninfo = direct;
	cr_expect_eq(db_pooled(), 0);
	db_pooler_found = 1;
	cr_expect_eq(db_pooled(), 1);

	db_pooler_found = 0;
	app.s.db_conninfo = NULL;
	app.s.db_listen_conninfo = NULL;
}
