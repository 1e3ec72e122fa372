/*
 * Several requests' statements as one (src/db.c decides when): creates
 * that wait for a database connection (each waits at least until the
 * event loop's next turn) go out together, as one call of the statement's
 * batch form with every request's parameters, in one transaction and one
 * commit. Each element is checked and answered on its own (its
 * principal, its project); they share the commit, and with it the flush
 * to disk, the statement's round trip and the count triggers' run.
 *
 * The batch, not any of its requests, owns the statement: a client that
 * leaves does not take it away from the others, and nobody is answered
 * before the commit. The batch form answers rows of the single
 * statement's columns followed by the element's place (from 1).
 *
 * Outcomes for each request (BATCH_*): its row; nothing ran (not sent,
 * or an error that rolled the statement back), so it runs again on its
 * own; the database unavailable (a lost connection, or a statement that
 * never ended, abandoned: whether it committed is not known, as for a
 * single statement that loses its connection); or no row for it (an
 * error). The statement runs as a background statement of the worker
 * (src/bgquery.c), which owns its connection.
 */

#include <string.h>

#include <libpq-fe.h>

#include "mtapi.h"
#include "bgquery.h"
#include "metrics.h"

/* Batches in flight at once, per worker (each holds a db.c slot). */
#define BATCH_RUNNING_MAX	8

/* How often a batch that never ends is looked for (bgquery_busy()). */
#define BATCH_TICK_MS		1000

struct batch {
	int			busy;
	int			ended;		/* to be answered (batch_kick) */
	int			failed;
	int			unavailable;
	struct bgquery		bq;
	char			*json;
	struct api_req		*members[BATCH_MAX];
	int			answered[BATCH_MAX];
	int			n;
	void			(*member_done)(struct api_req *, int);
	void			(*done)(void);
};

static char	*batch_json(struct api_req **, int);
static void	batch_result(struct kore_pgsql *, void *);
static void	batch_read(struct batch *);
static void	batch_end(int, void *);
static void	batch_kick(void *, u_int64_t);
static void	batch_finish(struct batch *);
static void	batch_stale(void *, u_int64_t);

static struct batch	batches[BATCH_RUNNING_MAX];

void
batch_init(void)
{
	int		i;

	for (i = 0; i < BATCH_RUNNING_MAX; i++) {
		batches[i].bq.name = "batch";
		batches[i].bq.on_slot = 1;
		batches[i].bq.on_result = batch_result;
		batches[i].bq.on_done = batch_end;
		batches[i].bq.arg = &batches[i];
	}
	kore_timer_add(batch_stale, BATCH_TICK_MS, NULL, 0);
}

/*
 * Send the batch form sql of members[0..n) (each with its single
 * statement's parameters bound); 0 if sent: member_done() answers each
 * (BATCH_*), then done() once. -1: nothing was sent, nothing is called.
 */
int
batch_run(const char *sql, struct api_req **members, int n,
    void (*member_done)(struct api_req *, int), void (*done)(void))
{
	struct batch	*b;
	int		i;

	if (n < 1 || n > BATCH_MAX)
		fatalx("batch_run: %d requests", n);

	for (i = 0; i < BATCH_RUNNING_MAX && batches[i].busy; i++)
		;
	if (i == BATCH_RUNNING_MAX)
		return (-1);
	b = &batches[i];

	b->json = batch_json(members, n);
	if (bgquery_start(&b->bq, sql, b->json) == -1) {
		kore_free(b->json);
		b->json = NULL;
		return (-1);
	}

	b->busy = 1;
	b->ended = 0;
	b->failed = 0;
	b->unavailable = 0;
	b->n = n;
	b->member_done = member_done;
	b->done = done;
	for (i = 0; i < n; i++) {
		b->members[i] = members[i];
		b->answered[i] = 0;
		members[i]->batch = b;
		members[i]->sql_sent = metrics_now_us();
	}
	metrics_db_batch((u_int32_t)n);

	return (0);
}

/* A member's request is gone: its row, if any, goes nowhere. */
void
batch_forget(struct api_req *ar)
{
	struct batch	*b;
	int		i;

	if ((b = ar->batch) == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->members[i] == ar)
			b->members[i] = NULL;
	}
	ar->batch = NULL;
}

/* [[$1, $2, ...], ...]: each member's parameters, NULL as null. */
static char *
batch_json(struct api_req **members, int n)
{
	json_t		*all, *one;
	char		*s, *out;
	int		i, k;

	if ((all = json_array()) == NULL)
		fatalx("batch_json: out of memory");
	for (i = 0; i < n; i++) {
		if ((one = json_array()) == NULL)
			fatalx("batch_json: out of memory");
		for (k = 0; k < members[i]->nparams; k++) {
			if (json_array_append_new(one,
			    members[i]->params[k] != NULL ?
			    json_string(members[i]->params[k]) :
			    json_null()) == -1)
				fatalx("batch_json: parameter %d", k + 1);
		}
		if (json_array_append_new(all, one) == -1)
			fatalx("batch_json: out of memory");
	}

	if ((s = json_dumps(all, JSON_COMPACT)) == NULL)
		fatalx("batch_json: out of memory");
	json_decref(all);
	out = kore_strdup(s);
	free(s);

	return (out);
}

static void
batch_result(struct kore_pgsql *sql, void *arg)
{
	batch_read(arg);
}

/* Each row to its member: the single statement's columns, then i. */
static void
batch_read(struct batch *b)
{
	struct api_req	*ar;
	int		row, rows, cols, i, k, err;

	rows = kore_pgsql_ntuples(&b->bq.sql);
	cols = kore_pgsql_nfields(&b->bq.sql) - 1;
	if (cols < 1 || cols > API_COLS_MAX)
		return;

	for (row = 0; row < rows; row++) {
		i = (int)kore_strtonum(kore_pgsql_getvalue(&b->bq.sql, row, cols),
		    10, 1, b->n, &err);
		if (err != KORE_RESULT_OK || b->answered[--i])
			continue;
		b->answered[i] = 1;
		if ((ar = b->members[i]) == NULL)
			continue;
		for (k = 0; k < API_COLS_MAX; k++) {
			kore_free(ar->cols[k]);
			ar->cols[k] = NULL;
		}
		for (k = 0; k < cols; k++) {
			if (!PQgetisnull(b->bq.sql.result, row, k))
				ar->cols[k] = kore_strdup(
				    kore_pgsql_getvalue(&b->bq.sql, row, k));
		}
		ar->nrows = 1;
		ar->ncols = cols;
	}
}

/*
 * bgquery reports the end from inside Kore's own release of the
 * connection: the members are answered (and the next batch may start,
 * on that very connection) from the event loop's next turn instead.
 */
static void
batch_end(int ok, void *arg)
{
	struct batch	*b = arg;

	b->failed = !ok;
	b->unavailable = b->bq.unavailable;
	b->ended = 1;
	(void)kore_timer_add(batch_kick, 0, NULL, KORE_TIMER_ONESHOT);
}

static void
batch_kick(void *unused, u_int64_t now)
{
	int		i;

	for (i = 0; i < BATCH_RUNNING_MAX; i++) {
		if (batches[i].busy && batches[i].ended)
			batch_finish(&batches[i]);
	}
}

/* Answer every member still there, then give the batch back. */
static void
batch_finish(struct batch *b)
{
	struct api_req	*ar;
	int		i, how;

	b->busy = 0;
	b->ended = 0;
	kore_free(b->json);
	b->json = NULL;

	for (i = 0; i < b->n; i++) {
		if ((ar = b->members[i]) == NULL)
			continue;
		b->members[i] = NULL;
		ar->batch = NULL;
		if (b->unavailable)
			how = BATCH_UNAVAILABLE;
		else if (b->failed)
			how = BATCH_AGAIN;
		else if (b->answered[i])
			how = BATCH_ROW;
		else
			how = BATCH_NO_ROW;
		b->member_done(ar, how);
	}
	b->done();
}

/* A statement that never ends is abandoned by bgquery: unavailable. */
static void
batch_stale(void *unused, u_int64_t now)
{
	int		i;

	for (i = 0; i < BATCH_RUNNING_MAX; i++) {
		if (batches[i].busy && !batches[i].ended)
			(void)bgquery_busy(&batches[i].bq);
	}
}
