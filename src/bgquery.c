/*
 * Background statements, driven by pgsql callbacks instead of a request's
 * state machine. One in flight per bgquery; a caller whose statement
 * cannot go now (its own still runs, or another of the worker's own
 * statements has the turn) simply tries again at its next timer tick.
 */

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"
#include "bgquery.h"

/* Kore drops a statement silently if its socket errors: give up on it. */
#define BG_QUERY_STALE_MS	30000

/*
 * How long the first statement turned away keeps the next turn once it
 * is free: longer than the slowest caller's tick (USAGE_FLUSH_MS).
 */
#define BG_TURN_MS		1500

/*
 * The worker's own statements (all but on_slot ones) take turns: src/db.c
 * keeps one of the worker's connections back from requests for them, and
 * a second own statement at once took a connection a request had just
 * been handed a slot for; that request waited in Kore's own queue, which
 * new requests overtake (seen at 10,000 tenants, bench/RESULTS.md). The
 * first turned away goes next, so that a long rate limit sync does not
 * leave the usage log or the key ring behind for good.
 */
static struct bgquery	*bg_own;	/* the own statement in flight */
static struct bgquery	*bg_next;	/* the first turned away */
static u_int64_t	bg_turn_freed;	/* when bg_own last ended */

static int	bgquery_running(struct bgquery *);
static int	bgquery_turn_taken(struct bgquery *);
static void	bgquery_cb(struct kore_pgsql *, void *);
static void	bgquery_end(struct bgquery *);

int
bgquery_busy(struct bgquery *bq)
{
	return (bgquery_running(bq) || bgquery_turn_taken(bq));
}

int
bgquery_start(struct bgquery *bq, const char *sql, const char *param)
{
	if (bgquery_busy(bq))
		return (-1);

	kore_pgsql_init(&bq->sql);
	kore_pgsql_bind_callback(&bq->sql, bgquery_cb, bq);

	/* No free connection now: give up this tick, requests go first. */
	if (!kore_pgsql_setup(&bq->sql, API_DB, KORE_PGSQL_ASYNC)) {
		conn_pgsql_cleanup(&bq->sql);
		return (-1);
	}

	/*
	 * A pooled connection that died while idle (the database restarted)
	 * would fail after the statement was sent: reopen it, try next tick.
	 */
	if (conn_pgsql_dead(&bq->sql)) {
		conn_pgsql_reset(&bq->sql);
		return (-1);
	}

	/*
	 * Busy only once sent: the cleanup of a statement that never went
	 * out reports COMPLETE, which is not the statement done (before,
	 * it told on_done that it ran, and the caller dropped what it sent).
	 */
	if (!kore_pgsql_query_params(&bq->sql, sql, 0, 1,
	    KORE_PGSQL_PARAM_TEXT(param))) {
		log_line(LOG_LEVEL_WARNING, NULL, "%s: %s", bq->name,
		    bq->sql.error != NULL ? bq->sql.error : "send failed");
		conn_pgsql_cleanup(&bq->sql);
		return (-1);
	}

	bq->busy = 1;
	if (!bq->on_slot)
		bg_own = bq;
	bq->failed = 0;
	bq->unavailable = 0;
	bq->started = kore_time_ms();

	return (0);
}

static void
bgquery_cb(struct kore_pgsql *sql, void *arg)
{
	struct bgquery		*bq = arg;
	struct pgsql_conn	*conn;

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		if (bq->on_result != NULL)
			bq->on_result(sql, bq->arg);
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		bq->failed = 1;
		bq->unavailable = conn_pgsql_unavailable(sql);
		log_line(LOG_LEVEL_WARNING, NULL, "%s: %s", bq->name,
		    sql->error != NULL ? sql->error : "unknown error");
		conn = sql->conn;
		if (conn != NULL && PQstatus(conn->db) == CONNECTION_BAD) {
			bq->unavailable = 1;
			/*
			 * Reading on would fail the same way again: release
			 * (which reports COMPLETE to us), then reconnect.
			 */
			conn_pgsql_reset(sql);
		} else {
			kore_pgsql_continue(sql);
		}
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* Not sent yet (a dead connection given back): nothing ran. */
		if (!bq->busy)
			break;
		/* Released by Kore: nothing left to clean up here. */
		bgquery_end(bq);
		if (bq->on_done != NULL)
			bq->on_done(!bq->failed, bq->arg);
		break;
	default:
		kore_pgsql_continue(sql);
		break;
	}
}

/* Is bq's statement in flight? One stuck for long is abandoned. */
static int
bgquery_running(struct bgquery *bq)
{
	if (!bq->busy)
		return (0);
	if (kore_time_ms() - bq->started < BG_QUERY_STALE_MS)
		return (1);

	log_line(LOG_LEVEL_WARNING, NULL, "%s: abandoning a statement that "
	    "never finished", bq->name);
	/* Not busy first: the cleanup's COMPLETE is not a statement done. */
	bgquery_end(bq);
	conn_pgsql_cleanup(&bq->sql);
	bq->failed = 1;
	bq->unavailable = 1;
	if (bq->on_done != NULL)
		bq->on_done(0, bq->arg);

	return (0);
}

/*
 * Is the turn of the worker's own statements another's: one in flight
 * (abandoned here if stuck), or the first turned away waiting for it?
 */
static int
bgquery_turn_taken(struct bgquery *bq)
{
	if (bq->on_slot)
		return (0);

	if (bg_own != NULL && bg_own != bq && bgquery_running(bg_own)) {
		if (bg_next == NULL)
			bg_next = bq;
		return (1);
	}

	/*
	 * The turn is free: the first turned away's, for a while. Given to
	 * it now: it sends in this same pass of the loop, or not at all
	 * (a rate limit sync with nothing to send), and then it is free.
	 */
	if (bg_next != NULL && bg_next != bq &&
	    kore_time_ms() - bg_turn_freed < BG_TURN_MS)
		return (1);
	bg_next = NULL;

	return (0);
}

/* Not in flight any more: the turn is free. */
static void
bgquery_end(struct bgquery *bq)
{
	bq->busy = 0;
	if (bg_own == bq) {
		bg_own = NULL;
		bg_turn_freed = kore_time_ms();
	}
}
