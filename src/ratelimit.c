/*
 * Per-tenant rate limits: requests per minute, fixed one-minute windows.
 *
 * A database round trip per request would double the cost of a cheap
 * read, so each worker decides locally and reconciles in the background:
 * it counts what it admits, and sends its new counts to the shared
 * (unlogged) rate_counters table in one statement, which answers each
 * tenant's total across all workers and all server processes using the
 * database, and the tenant's current limit. A worker admits a request
 * while  total seen at the last sync + its own unsent count  is under the
 * limit, so the limit holds to within what other workers admit in one
 * sync interval. That interval is RL_SYNC_MS while some tenant has used
 * half its limit, RL_SYNC_IDLE_MS otherwise: far from every limit,
 * precision buys nothing and the statement costs the database. (A sync
 * may also wait for one other of the worker's own statements: they take
 * turns, src/bgquery.c.) A sync sends at most RL_BATCH_MAX tenants: the
 * next one starts where it stopped, and goes at the next tick. (Each
 * batch used to start at the first bucket: at 10,000 tenants, those past
 * the first 2,000 with new counts were never sent while the load went
 * on, and each worker held their limit alone; bench/RESULTS.md.)
 *
 * The limit itself also comes back with every API statement's result
 * (ratelimit_learn), so a tenant's limit is known after its first request.
 * A request whose principal the database refused is given back
 * (ratelimit_refund).
 */

#include <limits.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "mtapi.h"
#include "bgquery.h"
#include "metrics.h"

/* 10,000 tenants in 1,024 buckets made chains of ten, on every request. */
#define RL_BUCKETS		16384
#define RL_SYNC_MS		200
#define RL_SYNC_IDLE_MS		1000
#define RL_IDLE_SECONDS		180
#define RL_BATCH_MAX		2000

#define RL_SQL	"SELECT tenant_id, window_start, total, rpm " \
		"FROM api.ratelimit_sync($1::json)"

struct rl_entry {
	char			tenant[TOKEN_UUID_LEN + 1];
	long			limit;
	int64_t			window;
	long			total;		/* all workers, at last sync */
	long			pending;	/* admitted here, unsent */
	long			inflight;	/* in the running sync */
	int64_t			inflight_window;
	time_t			last_used;
	LIST_ENTRY(rl_entry)	list;
};

LIST_HEAD(rl_bucket, rl_entry);

static struct rl_bucket		rl_table[RL_BUCKETS];
static struct bgquery		rl_sync_query;
static u_int64_t		rl_last_sync;
static size_t			rl_cursor;	/* the next batch's first bucket */
static int			rl_behind;	/* the last batch was full */
static int			rl_near;	/* a tenant used half its limit */
static int			rl_writer;	/* this worker's rows (sql/R__010) */

static struct rl_entry	*rl_lookup(const char *, int);
static u_int32_t	rl_hash(const char *);
static void		rl_window_roll(struct rl_entry *, int64_t);
static int		rl_sync_due(u_int64_t);
static void		rl_sweep(time_t);
static int		rl_is_near(const struct rl_entry *);
static void		rl_sync_row(struct kore_pgsql *, void *);
static void		rl_sync_done(int, void *);

void
ratelimit_init(void)
{
	size_t		i;

	for (i = 0; i < RL_BUCKETS; i++)
		LIST_INIT(&rl_table[i]);

	rl_sync_query.name = "ratelimit sync";
	rl_sync_query.on_result = rl_sync_row;
	rl_sync_query.on_done = rl_sync_done;

	/*
	 * The rows this worker writes, whichever of its connections runs the
	 * sync: random, so that no other worker of any server writes them.
	 */
	rl_writer = (int)randombytes_uniform(INT32_MAX) + 1;

	kore_timer_add(ratelimit_sync, RL_SYNC_MS, NULL, 0);
}

/*
 * Charge one request to tenant. Returns 0 and the limit and what remains
 * of it, or -1 (throttled) and the seconds until the window ends.
 */
int
ratelimit_take(const char *tenant, long *limit, long *remaining, long *retry)
{
	struct rl_entry	*e;
	time_t		now;
	long		used;

	now = time(NULL);
	e = rl_lookup(tenant, 1);
	rl_window_roll(e, now / 60);
	e->last_used = now;

	*limit = e->limit;
	used = e->total + e->pending +
	    (e->inflight_window == e->window ? e->inflight : 0);

	if (used >= e->limit) {
		*remaining = 0;
		*retry = 60 - (now % 60);
		return (-1);
	}

	e->pending++;
	*remaining = e->limit - used - 1;
	if (rl_is_near(e))
		rl_near = 1;

	return (0);
}

/*
 * Give back one request charged at when, the principal check having
 * refused it: a revoked token spends nothing of its tenant's limit. A
 * charge of a window that has ended is not given back. pending may go
 * below zero when the charge was sent already: the next sync subtracts.
 */
void
ratelimit_refund(const char *tenant, time_t when)
{
	struct rl_entry	*e;

	if ((e = rl_lookup(tenant, 0)) == NULL)
		return;
	rl_window_roll(e, time(NULL) / 60);
	if (e->window != when / 60)
		return;

	e->pending--;
}

/* The tenant's limit as the database just reported it. */
void
ratelimit_learn(const char *tenant, long rpm)
{
	struct rl_entry	*e;

	if (rpm > 0 && (e = rl_lookup(tenant, 0)) != NULL)
		e->limit = rpm;
}

void
ratelimit_sync(void *unused, u_int64_t now_ms)
{
	struct rl_entry	*e;
	json_t		*batch, *counts;
	char		*text;
	size_t		b, k, n;

	if (bgquery_busy(&rl_sync_query))
		return;

	/* Each tick costs the table walk only when a sync is due. */
	if (!rl_sync_due(now_ms))
		return;
	rl_sweep(time(NULL));
	if (!rl_sync_due(now_ms))
		return;

	/* New counts only: a tenant with none has nothing to learn yet. */
	counts = json_array();
	n = 0;
	for (k = 0; k < RL_BUCKETS && n < RL_BATCH_MAX; k++) {
		b = (rl_cursor + k) % RL_BUCKETS;
		LIST_FOREACH(e, &rl_table[b], list) {
			if (n == RL_BATCH_MAX)
				break;
			if (e->pending == 0)
				continue;
			json_array_append_new(counts,
			    json_pack("{s:s, s:I, s:I}", "t", e->tenant,
			    "w", (json_int_t)e->window,
			    "n", (json_int_t)e->pending));
			e->inflight = e->pending;
			e->inflight_window = e->window;
			e->pending = 0;
			n++;
		}
	}

	/* Full: the next batch starts at the bucket this one stopped in. */
	rl_behind = (n == RL_BATCH_MAX);
	if (rl_behind)
		rl_cursor = (rl_cursor + k - 1) % RL_BUCKETS;

	rl_last_sync = now_ms;
	if (n == 0) {
		json_decref(counts);
		return;
	}

	batch = json_pack("{s:i, s:o}", "writer", rl_writer, "counts", counts);
	text = batch != NULL ? json_dumps(batch, JSON_COMPACT) : NULL;
	json_decref(batch);

	if (text == NULL || bgquery_start(&rl_sync_query, RL_SQL, text) == -1)
		rl_sync_done(0, NULL);

	free(text);
}

static void
rl_sync_row(struct kore_pgsql *sql, void *arg)
{
	struct rl_entry	*e;
	int		i, rows, err;
	int64_t		window;
	long		total, rpm;

	rows = kore_pgsql_ntuples(sql);
	for (i = 0; i < rows; i++) {
		if ((e = rl_lookup(kore_pgsql_getvalue(sql, i, 0), 0)) == NULL)
			continue;
		window = kore_strtonum64(kore_pgsql_getvalue(sql, i, 1), 1,
		    &err);
		if (err != KORE_RESULT_OK)
			continue;
		total = (long)kore_strtonum(kore_pgsql_getvalue(sql, i, 2),
		    10, 0, LONG_MAX, &err);
		if (err != KORE_RESULT_OK)
			continue;
		rpm = (long)kore_strtonum(kore_pgsql_getvalue(sql, i, 3),
		    10, 0, LONG_MAX, &err);
		if (err == KORE_RESULT_OK && rpm > 0)
			e->limit = rpm;
		if (window != e->window)
			continue;
		/* The total now includes what was in flight. */
		e->total = total;
		e->inflight = 0;
		if (rl_is_near(e))
			rl_near = 1;
	}
}

/* A failed sync puts its counts back to be sent again. */
static void
rl_sync_done(int ok, void *arg)
{
	struct rl_entry	*e;
	size_t		i;

	metrics_ratelimit_sync(ok);

	for (i = 0; i < RL_BUCKETS; i++) {
		LIST_FOREACH(e, &rl_table[i], list) {
			if (e->inflight == 0)
				continue;
			if (!ok && e->inflight_window == e->window)
				e->pending += e->inflight;
			e->inflight = 0;
		}
	}
}

static struct rl_entry *
rl_lookup(const char *tenant, int create)
{
	struct rl_entry		*e;
	u_int32_t		h;

	h = rl_hash(tenant) % RL_BUCKETS;
	LIST_FOREACH(e, &rl_table[h], list) {
		if (!strcmp(e->tenant, tenant))
			return (e);
	}

	if (!create)
		return (NULL);

	e = kore_calloc(1, sizeof(*e));
	(void)kore_strlcpy(e->tenant, tenant, sizeof(e->tenant));
	e->limit = app.s.rate_limit_default;
	e->window = time(NULL) / 60;
	e->inflight_window = -1;
	LIST_INSERT_HEAD(&rl_table[h], e, list);

	return (e);
}

/* Near a limit, a full batch behind, or the idle interval over. */
static int
rl_sync_due(u_int64_t now_ms)
{
	return (rl_near || rl_behind ||
	    now_ms - rl_last_sync >= RL_SYNC_IDLE_MS);
}

/*
 * Before a sync: forget tenants idle for RL_IDLE_SECONDS, start the new
 * window of the others, and find again whether one is near its limit.
 */
static void
rl_sweep(time_t now)
{
	struct rl_entry	*e, *next;
	size_t		i;

	rl_near = 0;
	for (i = 0; i < RL_BUCKETS; i++) {
		for (e = LIST_FIRST(&rl_table[i]); e != NULL; e = next) {
			next = LIST_NEXT(e, list);
			if (now - e->last_used > RL_IDLE_SECONDS &&
			    e->pending == 0) {
				LIST_REMOVE(e, list);
				kore_free(e);
				continue;
			}
			rl_window_roll(e, now / 60);
			if (rl_is_near(e))
				rl_near = 1;
		}
	}
}

/* Half the limit used: precision starts to matter. */
static int
rl_is_near(const struct rl_entry *e)
{
	return (2 * (e->total + e->pending) >= e->limit);
}

static void
rl_window_roll(struct rl_entry *e, int64_t window)
{
	if (e->window == window)
		return;

	e->window = window;
	e->total = 0;
	e->pending = 0;
}

/* FNV-1a over the tenant id. */
static u_int32_t
rl_hash(const char *s)
{
	u_int32_t	h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}

	return (h);
}
