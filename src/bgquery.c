/*
 * Background statements, driven by pgsql callbacks instead of a request's
 * state machine. One in flight per bg_query; a caller whose statement is
 * still running simply tries again at its next timer tick.
 */

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"
#include "bgquery.h"

/* Kore drops a statement silently if its socket errors: give up on it. */
#define BG_QUERY_STALE_MS	30000

/*
 * The worker's own statements in flight, at most one: src/db.c hands
 * requests all the worker's connections but one. A second one took the
 * connection a request had just been handed a slot for, and that
 * request waited in Kore's own queue, where new requests pass it: up to
 * 5 s at 10,000 tenants, while a rate limit sync ran (bench/RESULTS.md).
 */
static u_int32_t	bg_own_running;

static void	bgquery_cb(struct kore_pgsql *, void *);
static void	bgquery_end(struct bgquery *);

int
bgquery_busy(struct bgquery *bq)
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

int
bgquery_start(struct bgquery *bq, const char *sql, const char *param)
{
	if (bgquery_busy(bq))
		return (-1);
	if (!bq->on_slot && bg_own_running > 0)
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
		bg_own_running++;
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

/* Not in flight any more. */
static void
bgquery_end(struct bgquery *bq)
{
	bq->busy = 0;
	if (!bq->on_slot)
		bg_own_running--;
}
