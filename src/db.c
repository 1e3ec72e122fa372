/*
 * The database state machine every route runs on, in the shape of Kore's
 * examples/pgsql: set up an async connection (or wait for one), send the
 * statement, sleep until results arrive, read them, then let the route's
 * step function decide: respond, run another statement, or start a task.
 *
 * Statements are parameterised calls of the functions in sql/; values
 * are always bound, never pasted into SQL text. src/prepared.c sends
 * each as a statement prepared once per connection.
 */

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"
#include "metrics.h"

#define DB_INIT		0
#define DB_QUERY	1
#define DB_WAIT		2
#define DB_READ		3
#define DB_ERROR	4
#define DB_STEP		5
#define DB_TASK_WAIT	6
#define DB_BATCH_WAIT	7	/* in a batch (src/batch.c) */
#define DB_BATCH_STEP	8	/* its row came */
#define DB_BATCH_DOWN	9	/* the database failed */
#define DB_BATCH_NO_ROW	10	/* the batch answered no row for it */

/* Dead idle connections to replace before one statement goes out. */
#define DB_RESETS_MAX	16

static int	db_state_init(struct http_request *);
static int	db_state_query(struct http_request *);
static int	db_state_wait(struct http_request *);
static int	db_state_read(struct http_request *);
static int	db_state_error(struct http_request *);
static int	db_state_step(struct http_request *);
static int	db_state_task_wait(struct http_request *);
static int	db_state_batch_wait(struct http_request *);
static int	db_state_batch_step(struct http_request *);
static int	db_state_batch_fail(struct http_request *);

static int	db_next(struct http_request *, int);
static int	db_answered(struct http_request *, struct api_req *);
static int	db_failed(struct http_request *, struct api_req *, int,
		    const char *);
static void	db_params_free(struct api_req *);
static void	db_verdict_learn(struct api_req *);
static void	db_cols_free(struct api_req *);
static int	db_conn_broken(struct api_req *);
static void	db_release_reset(struct api_req *);
static void	db_release(struct api_req *);
static void	db_free(struct api_req *);
static void	db_task_done(struct api_req *);

static int	db_slots(void);
static int	db_batchable_places(void);
static int	db_slot_acquire(struct http_request *, struct api_req *);
static void	db_slot_release(struct api_req *);
static int	db_slot_allowed(const struct api_req *);
static void	db_slot_take(struct api_req *);
static void	db_slot_unqueue(struct api_req *);
static void	db_slot_freed(void);
static void	db_slot_handover(struct api_req *);
static void	db_slot_fill(void);
static void	db_slot_turn(void *, u_int64_t);
static int	db_slot_batch(struct api_req *);
static void	db_batch_member(struct api_req *, int);
static void	db_batch_done(void);
static void	db_slots_report(void);
static void	db_statement_done(struct api_req *, int);


/*
 * Requests get a database connection in the order they asked for one.
 * Kore's own wait queue wakes one waiter per released connection, but
 * runs new requests before woken ones, so a new request takes the
 * connection and the woken one goes to the back of the queue again:
 * under load some requests waited for seconds. Here a released slot is
 * handed to the longest waiting request. One connection stays free for
 * the worker's own statements (rate limits, usage log, key ring), which
 * take turns in src/bgquery.c.
 */
static TAILQ_HEAD(, api_req)	db_waiting = TAILQ_HEAD_INITIALIZER(db_waiting);
static u_int16_t		db_slots_used;
static u_int32_t		db_waiting_count;
/*
 * Statements with a batch form in flight (alone or as a batch), and the
 * waiting requests without one. A create never takes a free slot at
 * once: it waits for the event loop's next turn (db_slot_turn()), and
 * goes out then with the creates that came in the same turn; one that
 * finds DB_BATCHABLE_MAX creates in flight waits for one's end. Alone, a
 * create cost the database 3.2 times what it costs in a batch
 * (bench/RESULTS.md); taken at once, the first two of each round of a
 * worker's clients went alone. The creates waiting when slots are free
 * are shared out between them, DB_BATCH_SHARE_MIN at least a batch
 * (db_slot_batch()): two batches at once, so that one's commit overlaps
 * the other's work. (With 1 in flight, a worker's creates were capped at
 * BATCH_MAX a commit.) Requests without a batch form pass waiting
 * creates to a free slot at once. The limit holds for the creates that
 * take a free slot; a slot handed over on its release goes to the head
 * of the line, whatever it is (db_slot_handover()).
 */
#define DB_BATCHABLE_MAX	2
#define DB_BATCH_SHARE_MIN	4
static u_int16_t		db_batchable_running;
static u_int32_t		db_waiting_plain;
static int			db_turn_armed;

static struct http_state db_states[] = {
	KORE_HTTP_STATE(db_state_init),
	KORE_HTTP_STATE(db_state_query),
	KORE_HTTP_STATE(db_state_wait),
	KORE_HTTP_STATE(db_state_read),
	KORE_HTTP_STATE(db_state_error),
	KORE_HTTP_STATE(db_state_step),
	KORE_HTTP_STATE(db_state_task_wait),
	KORE_HTTP_STATE(db_state_batch_wait),
	KORE_HTTP_STATE(db_state_batch_step),
	KORE_HTTP_STATE(db_state_batch_fail),
	KORE_HTTP_STATE(db_state_batch_fail),
};

#define db_states_size	(sizeof(db_states) / sizeof(db_states[0]))

/* A worker, at start: its slots are in the metrics before any request. */
void
db_worker_init(void)
{
	batch_init();
	db_slots_report();
}

/* Set up statement sql; bind its parameters next, in order. */
void
db_statement(struct api_req *ar, const char *sql)
{
	db_params_free(ar);
	ar->query = sql;
	ar->batch_sql = NULL;
	ar->sql_retried = 0;
	ar->sql_replanned = 0;
	ar->verdict_at = 0;
}

/*
 * The statement just set up may go out together with other requests' as
 * sql_batch, its batch form (src/batch.c): it waits for a connection at
 * least until the event loop's next turn, to go out with the others of
 * that turn. Bind its parameters as for the statement itself.
 */
void
db_statement_batch(struct api_req *ar, const char *sql_batch)
{
	ar->batch_sql = sql_batch;
}

/* Bind a value that outlives the statement (NULL binds SQL NULL). */
void
db_bind(struct api_req *ar, const char *v)
{
	if (ar->nparams == API_PARAMS_MAX)
		fatalx("db_bind: too many parameters for %s", ar->query);
	ar->params[ar->nparams++] = v;
}

/* Bind a kore_malloc'ed value, freed with the statement. */
void
db_bind_owned(struct api_req *ar, char *v)
{
	if (ar->nparams == API_PARAMS_MAX)
		fatalx("db_bind: too many parameters for %s", ar->query);
	ar->owned[ar->nparams] = v;
	ar->params[ar->nparams++] = v;
}

void
db_bind_int(struct api_req *ar, int64_t v)
{
	char		buf[32];

	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	db_bind_owned(ar, kore_strdup(buf));
}

/*
 * $1..$5 of every tenant statement: who is asking, from the token, and
 * the verdict epoch this worker remembers for them (src/verdict.c).
 */
void
db_bind_principal(struct api_req *ar)
{
	int64_t		epoch;

	db_bind(ar, ar->p.tenant);
	db_bind(ar, token_auth_type_name(ar->p.auth_type));
	db_bind(ar, ar->p.subject);
	db_bind(ar, ar->p.sid[0] != '\0' ? ar->p.sid : NULL);
	if (verdict_get(&ar->p, &epoch) == 0)
		db_bind_int(ar, epoch);
	else
		db_bind(ar, NULL);
	ar->verdict_at = ar->nparams;
}

/*
 * Where a request came from, for the audit trail (sql/V009__audit.sql):
 * the client address and the request id the server answers with.
 */
void
db_bind_origin(struct http_request *req, struct api_req *ar)
{
	char		ip[INET6_ADDRSTRLEN];

	(void)request_client_ip(req, ip, sizeof(ip));
	db_bind_owned(ar, kore_strdup(ip));
	db_bind(ar, ar->rid);
}

/* The validated body fields, in rule order: each its text, or NULL. */
void
db_bind_fields(struct api_req *ar, size_t n)
{
	size_t		i;

	for (i = 0; i < n && i < FIELDS_MAX; i++)
		db_bind(ar, ar->fields.values[i].text);
}

/* Which body fields were given, as a bit mask (PATCH semantics). */
void
db_bind_mask(struct api_req *ar)
{
	db_bind_int(ar, (int64_t)ar->fields.mask);
}

int
db_start(struct http_request *req, int step)
{
	struct api_req	*ar = http_state_get(req);

	ar->db_free = db_free;

	switch (step) {
	case STEP_RESPONDED:
		return (KORE_RESULT_OK);
	case STEP_QUERY:
		req->fsm_state = DB_INIT;
		break;
	case STEP_TASK:
		req->fsm_state = DB_TASK_WAIT;
		break;
	default:
		fatalx("db_start: bad step %d", step);
	}

	return (http_state_run(db_states, db_states_size, req));
}

int
db_run(struct http_request *req)
{
	return (http_state_run(db_states, db_states_size, req));
}

/* Connection, slot, parameters and row go back; safe to repeat. */
static void
db_release(struct api_req *ar)
{
	if (ar->sql_active) {
		conn_pgsql_cleanup(&ar->sql);
		ar->sql_active = 0;
	}
	db_slot_release(ar);
	db_params_free(ar);
	db_cols_free(ar);
}

/*
 * The request context's hook (src/request.c): everything of the request
 * this file holds. A task still running is left to Kore, which frees the
 * request only once it has ended (and calls this again).
 */
static void
db_free(struct api_req *ar)
{
	batch_forget(ar);
	db_release(ar);
	if (!ar->task_active || kore_task_finished(&ar->task))
		db_task_done(ar);
	if (ar->task_active && kore_task_finished(&ar->task)) {
		kore_task_destroy(&ar->task);
		ar->task_active = 0;
	}
}

/* No task of the request runs (any more): the handler's hook, once. */
static void
db_task_done(struct api_req *ar)
{
	void		(*done)(void *);

	if ((done = ar->task_done) == NULL)
		return;
	ar->task_done = NULL;
	done(ar->task_done_arg);
}

/*
 * Start entry on a Kore task thread (argon2id must not stall the event
 * loop), writing len bytes of input to its channel first.
 */
int
db_task_start(struct http_request *req, struct api_req *ar,
    int (*entry)(struct kore_task *), const void *input, size_t len)
{
	if (ar->task_active) {
		kore_task_destroy(&ar->task);
		ar->task_active = 0;
	}

	ar->db_free = db_free;
	kore_task_create(&ar->task, entry);
	kore_task_bind_request(&ar->task, req);
	ar->task_active = 1;
	kore_task_run(&ar->task);
	kore_task_channel_write(&ar->task, (void *)input, (u_int32_t)len);

	return (STEP_TASK);
}

static int
db_state_init(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	if (!db_slot_acquire(req, ar))
		return (HTTP_STATE_RETRY);

	if (!ar->sql_active) {
		kore_pgsql_init(&ar->sql);
		kore_pgsql_bind_request(&ar->sql, req);
		ar->sql_active = 1;
	}

	if (!kore_pgsql_setup(&ar->sql, API_DB, KORE_PGSQL_ASYNC)) {
		/* Still INIT: queued for a free connection, we are woken. */
		if (ar->sql.state == KORE_PGSQL_STATE_INIT)
			return (HTTP_STATE_RETRY);
		req->fsm_state = DB_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	req->fsm_state = DB_QUERY;
	return (HTTP_STATE_CONTINUE);
}

static int
db_state_query(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	/*
	 * A pooled connection that died while idle (the database restarted)
	 * would fail this statement after sending it: look first. Reading an
	 * idle non-blocking libpq socket costs one recv().
	 */
	if (ar->sql_resets < DB_RESETS_MAX && conn_pgsql_dead(&ar->sql)) {
		ar->sql_resets++;
		db_release_reset(ar);
		req->fsm_state = DB_INIT;
		return (HTTP_STATE_CONTINUE);
	}

	if (!prepared_send(req, ar)) {
		/*
		 * Nothing reached the server: a connection that died while
		 * idle (a database restart) is reopened and the statement
		 * sent once more.
		 */
		if (!ar->sql_retried && db_conn_broken(ar)) {
			ar->sql_retried = 1;
			db_release_reset(ar);
			req->fsm_state = DB_INIT;
			return (HTTP_STATE_CONTINUE);
		}
		req->fsm_state = DB_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	ar->sql_sent = metrics_now_us();
	req->fsm_state = DB_WAIT;
	return (HTTP_STATE_RETRY);
}

static int
db_state_wait(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	switch (ar->sql.state) {
	case KORE_PGSQL_STATE_WAIT:
		return (HTTP_STATE_RETRY);
	case KORE_PGSQL_STATE_COMPLETE:
		req->fsm_state = DB_STEP;
		break;
	case KORE_PGSQL_STATE_ERROR:
		req->fsm_state = DB_ERROR;
		break;
	case KORE_PGSQL_STATE_RESULT:
		req->fsm_state = DB_READ;
		break;
	default:
		kore_pgsql_continue(&ar->sql);
		break;
	}

	return (HTTP_STATE_CONTINUE);
}

/* Keep the first row: every statement here answers one. */
static int
db_state_read(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);
	int		i;

	db_cols_free(ar);
	ar->nrows = kore_pgsql_ntuples(&ar->sql);
	ar->ncols = kore_pgsql_nfields(&ar->sql);
	if (ar->ncols > API_COLS_MAX)
		ar->ncols = API_COLS_MAX;

	for (i = 0; ar->nrows > 0 && i < ar->ncols; i++) {
		if (PQgetisnull(ar->sql.result, 0, i))
			ar->cols[i] = NULL;
		else
			ar->cols[i] = kore_strdup(
			    kore_pgsql_getvalue(&ar->sql, 0, i));
	}

	kore_pgsql_continue(&ar->sql);
	req->fsm_state = DB_WAIT;

	return (HTTP_STATE_CONTINUE);
}

static int
db_state_error(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);
	int		unavailable;

	/* A prepared statement that no longer fits: prepare it anew. */
	if (prepared_replan(ar)) {
		conn_pgsql_cleanup(&ar->sql);
		ar->sql_active = 0;
		req->fsm_state = DB_INIT;
		return (HTTP_STATE_CONTINUE);
	}

	unavailable = conn_pgsql_unavailable(&ar->sql);

	/* Reopen a dead connection now so the next request finds it well. */
	if (db_conn_broken(ar))
		db_release_reset(ar);

	return (db_failed(req, ar, unavailable, ar->sql.error != NULL ?
	    ar->sql.error : "unknown"));
}

/* The request's statement failed (why): log it, answer 503 or 500. */
static int
db_failed(struct http_request *req, struct api_req *ar, int unavailable,
    const char *why)
{
	log_line(unavailable ? LOG_LEVEL_WARNING : LOG_LEVEL_ERROR,
	    ar->authed ? ar->p.tenant_slug : NULL,
	    "database error rid=%s: %s", ar->rid, why);
	db_statement_done(ar, 0);
	db_release(ar);
	if (ar->m != NULL && ar->m->fail != NULL)
		ar->m->fail(req, ar, unavailable);
	else
		resp_error_db(req, unavailable);

	return (HTTP_STATE_COMPLETE);
}

static int
db_state_step(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	db_statement_done(ar, 1);

	/* The connection goes back to the pool before anything else. */
	conn_pgsql_cleanup(&ar->sql);
	ar->sql_active = 0;
	db_slot_release(ar);

	return (db_answered(req, ar));
}

/* The statement's row is in cols: what it tells, then the route's step. */
static int
db_answered(struct http_request *req, struct api_req *ar)
{
	int		err;
	long		rpm;

	db_verdict_learn(ar);
	db_params_free(ar);

	/* API statements answer the tenant's rate limit in column 4. */
	if (ar->authed && ar->nrows > 0 && ar->ncols >= 4 &&
	    ar->cols[3] != NULL) {
		rpm = (long)kore_strtonum(ar->cols[3], 10, 1, LONG_MAX, &err);
		if (err == KORE_RESULT_OK)
			ratelimit_learn(ar->p.tenant, rpm);
	}

	/*
	 * Their 401 and 403 are api.principal() refusing the token: such a
	 * request spends nothing of the tenant's limit (a revoked token
	 * cannot use up what its tenant's valid users have).
	 */
	if (ar->authed && ar->rl_charged != 0 && ar->nrows > 0 &&
	    ar->ncols >= 4 && ar->cols[0] != NULL &&
	    (!strcmp(ar->cols[0], "401") || !strcmp(ar->cols[0], "403"))) {
		ratelimit_refund(ar->p.tenant, ar->rl_charged);
		ar->rl_charged = 0;
		if (ar->rl_remaining >= 0 && ar->rl_remaining < ar->rl_limit)
			ar->rl_remaining++;
	}

	return (db_next(req, ar->m->step(req, ar)));
}

static int
db_state_task_wait(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	if (kore_task_state(&ar->task) != KORE_TASK_STATE_FINISHED) {
		http_request_sleep(req);
		return (HTTP_STATE_RETRY);
	}
	db_task_done(ar);

	return (db_next(req, ar->m->step(req, ar)));
}

/* Woken before its batch ended: sleep on. */
static int
db_state_batch_wait(struct http_request *req)
{
	http_request_sleep(req);
	return (HTTP_STATE_RETRY);
}

static int
db_state_batch_step(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	db_statement_done(ar, 1);
	return (db_answered(req, ar));
}

/* src/batch.c logged the statement's error; this is the request's. */
static int
db_state_batch_fail(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);
	int		unavailable;

	unavailable = req->fsm_state == DB_BATCH_DOWN;

	return (db_failed(req, ar, unavailable, unavailable ?
	    "the batch it was in failed" : "its batch answered no row for it"));
}

static int
db_next(struct http_request *req, int step)
{
	switch (step) {
	case STEP_QUERY:
		req->fsm_state = DB_INIT;
		return (HTTP_STATE_CONTINUE);
	case STEP_TASK:
		req->fsm_state = DB_TASK_WAIT;
		return (HTTP_STATE_RETRY);
	default:
		return (HTTP_STATE_COMPLETE);
	}
}

static void
db_params_free(struct api_req *ar)
{
	int		i;

	for (i = 0; i < ar->nparams; i++) {
		kore_free(ar->owned[i]);
		ar->owned[i] = NULL;
		ar->params[i] = NULL;
	}
	ar->nparams = 0;
}

/*
 * API statements answer the verdict epoch to remember in column 5; a
 * change from the one sent is learnt (NULL: forgotten).
 */
static void
db_verdict_learn(struct api_req *ar)
{
	const char	*sent;

	if (ar->verdict_at == 0 || ar->nrows < 1 || ar->ncols < 5)
		return;

	sent = ar->params[ar->verdict_at - 1];
	if (sent != NULL && ar->cols[4] != NULL && !strcmp(sent, ar->cols[4])) {
		metrics_verdict(METRICS_VERDICT_HIT);
		return;
	}
	metrics_verdict(sent == NULL ? METRICS_VERDICT_MISS :
	    METRICS_VERDICT_CHANGED);
	if (sent == NULL && ar->cols[4] == NULL)
		return;

	verdict_learn(&ar->p, ar->cols[4]);
}

static void
db_cols_free(struct api_req *ar)
{
	int		i;

	for (i = 0; i < API_COLS_MAX; i++) {
		kore_free(ar->cols[i]);
		ar->cols[i] = NULL;
	}
	ar->ncols = 0;
	ar->nrows = 0;
}

static int
db_conn_broken(struct api_req *ar)
{
	return (ar->sql.conn != NULL && ar->sql.conn->db != NULL &&
	    PQstatus(ar->sql.conn->db) == CONNECTION_BAD);
}

/* The worker's slots for requests: all its connections but one. */
static int
db_slots(void)
{
	return (pgsql_conn_max > 1 ? pgsql_conn_max - 1 : 1);
}

/* How many more creates may be in flight (DB_BATCHABLE_MAX). */
static int
db_batchable_places(void)
{
	return (DB_BATCHABLE_MAX - db_batchable_running);
}

static int
db_slot_acquire(struct http_request *req, struct api_req *ar)
{
	if (ar->db_slot)
		return (1);

	if (!ar->db_queued && db_slots_used < db_slots() &&
	    db_slot_allowed(ar)) {
		if (ar->batch_sql == NULL) {
			db_slot_take(ar);
			db_slots_report();
			return (1);
		}
		if (!db_turn_armed) {
			db_turn_armed = 1;
			(void)kore_timer_add(db_slot_turn, 0, NULL,
			    KORE_TIMER_ONESHOT);
		}
	}

	if (!ar->db_queued) {
		ar->owner = req;
		ar->db_queued = 1;
		ar->db_plain = ar->batch_sql == NULL;
		db_waiting_plain += ar->db_plain;
		TAILQ_INSERT_TAIL(&db_waiting, ar, db_wait);
		db_waiting_count++;
		db_slots_report();
	}
	http_request_sleep(req);

	return (0);
}

static void
db_slot_release(struct api_req *ar)
{
	if (ar->db_queued) {
		db_slot_unqueue(ar);
		db_slots_report();
	}
	if (!ar->db_slot)
		return;

	ar->db_slot = 0;
	db_slots_used--;
	if (ar->db_batchable) {
		ar->db_batchable = 0;
		db_batchable_running--;
	}
	db_slot_freed();
}

/*
 * May ar take a free slot? Past the line's waiting creates if it has no
 * batch form. A create may have one at the next turn (db_slot_turn()),
 * with no one in line and fewer than DB_BATCHABLE_MAX creates in flight.
 */
static int
db_slot_allowed(const struct api_req *ar)
{
	if (ar->batch_sql == NULL)
		return (db_waiting_plain == 0);

	return (TAILQ_EMPTY(&db_waiting) && db_batchable_places() > 0);
}

/* A slot for ar's statement alone. */
static void
db_slot_take(struct api_req *ar)
{
	ar->db_slot = 1;
	db_slots_used++;
	if (ar->batch_sql != NULL) {
		ar->db_batchable = 1;
		db_batchable_running++;
	}
}

/* Out of the line. */
static void
db_slot_unqueue(struct api_req *ar)
{
	TAILQ_REMOVE(&db_waiting, ar, db_wait);
	ar->db_queued = 0;
	db_waiting_plain -= ar->db_plain;
	ar->db_plain = 0;
	db_waiting_count--;
}

/*
 * Hand a free slot over, nobody can take it on the way: to next, a
 * waiting request (NULL: nobody waits), or to a batch of it and the
 * requests waiting with the same batch form.
 */
static void
db_slot_handover(struct api_req *next)
{
	if (next == NULL)
		return;

	db_slot_unqueue(next);
	if (next->batch_sql != NULL && db_slot_batch(next))
		return;

	db_slot_take(next);
	request_wakeup(next->owner);
}

/*
 * A slot was released: handed over at once, unless creates wait for the
 * turn already armed, which hands it out with theirs. (At once, a read's
 * release in the same pass would send the first of them alone.)
 */
static void
db_slot_freed(void)
{
	if (!db_turn_armed) {
		db_slot_handover(TAILQ_FIRST(&db_waiting));
		db_slot_fill();
	}
	db_slots_report();
}

/*
 * Hand over the free slots: to the line's head, a create while fewer
 * than DB_BATCHABLE_MAX are in flight; past creates held back by that,
 * to the first request without a batch form.
 */
static void
db_slot_fill(void)
{
	struct api_req	*next;

	while (db_slots_used < db_slots() &&
	    (next = TAILQ_FIRST(&db_waiting)) != NULL) {
		while (next != NULL && next->batch_sql != NULL &&
		    db_batchable_places() <= 0)
			next = TAILQ_NEXT(next, db_wait);
		if (next == NULL)
			break;
		db_slot_handover(next);
	}
}

/* The turn after creates came to free slots: they go out now. */
static void
db_slot_turn(void *unused, u_int64_t now)
{
	db_turn_armed = 0;
	db_slot_fill();
	db_slots_report();
}

/*
 * first, and those waiting with its batch form, as one statement on the
 * free slot; 1 if sent. 0: first alone, the others keep their place.
 * With more places free for creates (free slots, fewer than
 * DB_BATCHABLE_MAX in flight), it takes its share of the waiting creates
 * (DB_BATCH_SHARE_MIN at least) and leaves the rest to the next place
 * (db_slot_fill()).
 */
static int
db_slot_batch(struct api_req *first)
{
	struct api_req	*members[BATCH_MAX], *ar, *next;
	int		i, n, waiting, places, share;

	/* Counted up to what all places could take. */
	waiting = 1;
	TAILQ_FOREACH(ar, &db_waiting, db_wait) {
		if (waiting == DB_BATCHABLE_MAX * BATCH_MAX)
			break;
		if (ar->batch_sql == first->batch_sql)
			waiting++;
	}
	places = db_slots() - db_slots_used;
	if (places > db_batchable_places())
		places = db_batchable_places();
	if (places > waiting / DB_BATCH_SHARE_MIN)
		places = waiting / DB_BATCH_SHARE_MIN;
	if (places < 1)
		places = 1;
	share = (waiting + places - 1) / places;
	if (share > BATCH_MAX)
		share = BATCH_MAX;

	n = 0;
	members[n++] = first;
	for (ar = TAILQ_FIRST(&db_waiting); ar != NULL && n < share;
	    ar = next) {
		next = TAILQ_NEXT(ar, db_wait);
		if (ar->batch_sql == first->batch_sql)
			members[n++] = ar;
	}
	if (n == 1)
		return (0);

	if (batch_run(first->batch_sql, members, n, db_batch_member,
	    db_batch_done) == -1)
		return (0);

	/* The slot is the batch's until db_batch_done(). */
	db_slots_used++;
	db_batchable_running++;
	first->owner->fsm_state = DB_BATCH_WAIT;
	for (i = 1; i < n; i++) {
		db_slot_unqueue(members[i]);
		members[i]->owner->fsm_state = DB_BATCH_WAIT;
	}

	return (1);
}

/* src/batch.c: one member's outcome (BATCH_*). */
static void
db_batch_member(struct api_req *ar, int how)
{
	struct http_request	*req = ar->owner;

	switch (how) {
	case BATCH_ROW:
		req->fsm_state = DB_BATCH_STEP;
		break;
	case BATCH_AGAIN:
		/* Nothing of it ran: on its own, at the end of the line. */
		ar->batch_sql = NULL;
		ar->sql_sent = 0;
		req->fsm_state = DB_INIT;
		break;
	case BATCH_UNAVAILABLE:
		req->fsm_state = DB_BATCH_DOWN;
		break;
	default:
		req->fsm_state = DB_BATCH_NO_ROW;
		break;
	}
	request_wakeup(req);
}

/* src/batch.c: the batch ended, its slot is free. */
static void
db_batch_done(void)
{
	db_slots_used--;
	db_batchable_running--;
	db_slot_freed();
}

/* This worker's slots for the metrics (src/metrics.c sums the workers). */
static void
db_slots_report(void)
{
	metrics_db_slots(db_slots_used, db_waiting_count, db_slots());
}

/* A statement that was sent ended (a connection that failed: no time). */
static void
db_statement_done(struct api_req *ar, int ok)
{
	if (ar->sql_sent != 0) {
		metrics_db_statement(metrics_now_us() - ar->sql_sent, ok);
		ar->sql_sent = 0;
	} else if (!ok) {
		metrics_db_statement(0, 0);
	}
}

/* Give the connection back and reconnect it (src/conn.c). */
static void
db_release_reset(struct api_req *ar)
{
	conn_pgsql_reset(&ar->sql);
	ar->sql_active = 0;
}
