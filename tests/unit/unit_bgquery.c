/*
 * Unit tests for src/bgquery.c: on_done is told once that a statement
 * ran or failed, and never for one that was not sent; the worker's own
 * statements take turns. Kore reports COMPLETE to the callback whenever
 * a connection goes back to its pool, sent or not; the stand-ins below
 * do the same.
 */

#include <criterion/criterion.h>

#include "../../src/bgquery.c"

static int		send_ok;
static u_int64_t	now_ms;

static struct bgquery	bq, bq2, batch_bq;
static int		done_calls;
static int		done_ok;

void
kore_pgsql_init(struct kore_pgsql *sql)
{
	memset(sql, 0, sizeof(*sql));
}

/* As Kore: each sql keeps its own callback. */
void
kore_pgsql_bind_callback(struct kore_pgsql *sql,
    void (*cb)(struct kore_pgsql *, void *), void *arg)
{
	sql->cb = cb;
	sql->arg = arg;
}

int
kore_pgsql_setup(struct kore_pgsql *sql, const char *db, int flags)
{
	return (KORE_RESULT_OK);
}

int
conn_pgsql_dead(struct kore_pgsql *sql)
{
	return (0);
}

int
kore_pgsql_query_params(struct kore_pgsql *sql, const void *q, int r,
    int n, ...)
{
	return (send_ok);
}

/* As Kore's release: the connection goes back, COMPLETE is reported. */
void
conn_pgsql_cleanup(struct kore_pgsql *sql)
{
	sql->state = KORE_PGSQL_STATE_COMPLETE;
	sql->cb(sql, sql->arg);
}

u_int64_t
kore_time_ms(void)
{
	return (now_ms);
}

static void
on_done(int ok, void *arg)
{
	done_calls++;
	done_ok = ok;
}

/* Kore's COMPLETE for q's statement: it ran. */
static void
complete(struct bgquery *q)
{
	cr_assert_not_null(q->sql.cb, "%s was never sent", q->name);
	q->sql.state = KORE_PGSQL_STATE_COMPLETE;
	q->sql.cb(&q->sql, q->sql.arg);
}

static void
setup(void)
{
	memset(&bq, 0, sizeof(bq));
	bq.name = "test";
	bq.on_done = on_done;
	bq2 = bq;
	bq2.name = "other";
	batch_bq = bq;
	batch_bq.name = "batch";
	batch_bq.on_slot = 1;
	bg_own = NULL;
	bg_next = NULL;
	bg_turn_freed = 0;
	done_calls = 0;
	done_ok = -1;
	send_ok = KORE_RESULT_OK;
	now_ms = 1000;
}

TestSuite(bgquery, .init = setup);

Test(bgquery, a_statement_that_ran_is_done_once)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	cr_expect_eq(bgquery_busy(&bq), 1);

	complete(&bq);
	cr_expect_eq(done_calls, 1);
	cr_expect_eq(done_ok, 1);
	cr_expect_eq(bgquery_busy(&bq), 0);
	cr_expect_null(bg_own, "the turn is free");
}

/* Its connection given back unsent is not the statement done. */
Test(bgquery, a_statement_not_sent_is_not_done)
{
	send_ok = KORE_RESULT_ERROR;
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), -1);
	cr_expect_eq(done_calls, 0, "on_done(%d) for nothing sent", done_ok);
	cr_expect_eq(bgquery_busy(&bq), 0);
	cr_expect_null(bg_own, "nothing sent takes no turn");
	send_ok = KORE_RESULT_OK;
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), 0);
}

/* Abandoned after 30 s: failed, once (whether it ran is not known). */
Test(bgquery, an_abandoned_statement_is_done_as_failed)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	now_ms += BG_QUERY_STALE_MS - 1;
	cr_expect_eq(bgquery_busy(&bq), 1);
	cr_expect_eq(done_calls, 0);

	now_ms += 1;
	cr_expect_eq(bgquery_busy(&bq), 0);
	cr_expect_eq(done_calls, 1);
	cr_expect_eq(done_ok, 0);
	cr_expect_eq(bgquery_busy(&bq), 0);
	cr_expect_eq(done_calls, 1);
}


/*
 * The worker's own statements take turns on the connection src/db.c
 * keeps back: a second waits for the first's end. (Two at once took a
 * connection a request had been handed a slot for: that request waited
 * in Kore's queue.) A batch runs on a request's slot, beside them.
 */
Test(bgquery, own_statements_take_turns)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), -1,
	    "a second own statement while one runs");
	cr_expect_eq(bgquery_busy(&bq2), 1);
	cr_expect_eq(bgquery_start(&batch_bq, "SELECT 3", "z"), 0,
	    "a batch, on its own slot");

	complete(&bq);
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), 0);
	complete(&batch_bq);
	complete(&bq2);
	cr_expect_null(bg_own);
	cr_expect_eq(done_calls, 3);
}

/*
 * The first turned away goes next, however often the others' timers
 * come (a long rate limit sync must not leave the usage log behind);
 * for a while only, if it does not come back.
 */
Test(bgquery, the_first_turned_away_goes_next)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), -1);
	complete(&bq);
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), -1,
	    "its turn is the one turned away's");
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), 0);
	complete(&bq2);
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	complete(&bq);

	/* Turned away, then gone: the turn is held BG_TURN_MS. */
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	cr_expect_eq(bgquery_busy(&bq2), 1);
	complete(&bq);
	now_ms += BG_TURN_MS - 1;
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), -1);
	now_ms += 1;
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
}

/* A stuck statement is abandoned by the next one that wants the turn. */
Test(bgquery, a_stuck_statement_gives_up_the_turn)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	now_ms += BG_QUERY_STALE_MS;
	cr_expect_eq(bgquery_start(&bq2, "SELECT 2", "y"), 0);
	cr_expect_eq(done_calls, 1, "the stuck one is done");
	cr_expect_eq(done_ok, 0);
	cr_expect_eq(bgquery_busy(&bq), 1, "bq2 has the turn now");
	cr_expect_eq(bg_own, &bq2);
}

/*
 * A turn its holder does not use is free: the rate limit sync asks on
 * every tick, and often has nothing to send.
 */
Test(bgquery, a_turn_not_used_is_free)
{
	cr_assert_eq(bgquery_start(&bq, "SELECT 1", "x"), 0);
	cr_expect_eq(bgquery_busy(&bq2), 1, "turned away: it goes next");
	complete(&bq);
	cr_expect_eq(bgquery_busy(&bq2), 0, "its turn; it sends nothing");
	cr_expect_eq(bgquery_start(&bq, "SELECT 1", "x"), 0,
	    "the turn it did not use");
}
