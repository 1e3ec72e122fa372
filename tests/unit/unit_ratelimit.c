/*
 * Unit tests for the rate limit syncs of src/ratelimit.c: under a steady
 * load of more tenants than one batch holds, every tenant's counts reach
 * the database, and a full batch is followed by another at the next
 * tick; far from every limit a worker syncs once a second, near one at
 * every tick. Every batch names the worker's writer (sql/R__010).
 */

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "../../src/ratelimit.c"

#define TENANTS		5000

static int	busy;		/* a sync in flight */
static int	syncs;		/* bgquery_start calls */
static int	sent[TENANTS];	/* batches each tenant was in */
static size_t	last_batch;	/* tenants in the last batch */
static json_int_t writer;	/* the first batch's writer */

static char	row[4][64];	/* the one row a sync answers */

static void	tenant_id(char *, size_t, int);
static void	load(int, int);
static void	finish(void);
static void	answer(int, long);

void *
kore_calloc(size_t n, size_t size)
{
	return (calloc(n, size));
}

struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t ms, void *arg,
    int flags)
{
	return (NULL);
}

void
metrics_ratelimit_sync(int ok)
{
}

int
kore_pgsql_ntuples(struct kore_pgsql *sql)
{
	return (1);
}

char *
kore_pgsql_getvalue(struct kore_pgsql *sql, int r, int c)
{
	return (row[c]);
}

u_int64_t
kore_strtonum64(const char *s, int sign, int *err)
{
	*err = KORE_RESULT_OK;
	return ((u_int64_t)strtoll(s, NULL, 10));
}

long long
kore_strtonum(const char *s, int base, long long min, long long max,
    int *err)
{
	*err = KORE_RESULT_OK;
	return (strtoll(s, NULL, 10));
}

int
bgquery_busy(struct bgquery *bq)
{
	return (busy);
}

/* Records which tenants the batch holds. */
int
bgquery_start(struct bgquery *bq, const char *sql, const char *param)
{
	json_t		*batch, *counts, *e;
	json_error_t	err;
	json_int_t	w;
	size_t		i;
	int		n;

	batch = json_loads(param, 0, &err);
	cr_assert_not_null(batch, "the batch is JSON: %s", err.text);

	/* One writer for all the worker's syncs, whatever connection. */
	w = json_integer_value(json_object_get(batch, "writer"));
	cr_assert_gt(w, 0);
	if (writer == 0)
		writer = w;
	cr_assert_eq(w, writer, "the same writer in every sync");

	counts = json_object_get(batch, "counts");
	cr_assert(json_is_array(counts));
	last_batch = json_array_size(counts);
	json_array_foreach(counts, i, e) {
		n = atoi(json_string_value(json_object_get(e, "t")) + 24);
		cr_assert(n >= 0 && n < TENANTS);
		sent[n]++;
	}
	json_decref(batch);

	busy = 1;
	syncs++;
	return (0);
}

static void
tenant_id(char *buf, size_t len, int n)
{
	(void)snprintf(buf, len, "7d3c1e0a-7c52-4f0e-9c43-%012d", n);
}

/* Each of the first tenants requests once. */
static void
load(int tenants, int requests)
{
	char	t[TOKEN_UUID_LEN + 1];
	long	limit, remaining, retry;
	int	i, r;

	for (i = 0; i < tenants; i++) {
		tenant_id(t, sizeof(t), i);
		for (r = 0; r < requests; r++)
			cr_assert_eq(ratelimit_take(t, &limit, &remaining,
			    &retry), 0);
	}
}

/* The running sync answered (its rows are not needed here). */
static void
finish(void)
{
	rl_sync_done(1, NULL);
	busy = 0;
}

/* The running sync answered: tenant n has total requests, limit 10. */
static void
answer(int n, long total)
{
	tenant_id(row[0], sizeof(row[0]), n);
	(void)snprintf(row[1], sizeof(row[1]), "%lld",
	    (long long)(time(NULL) / 60));
	(void)snprintf(row[2], sizeof(row[2]), "%ld", total);
	(void)snprintf(row[3], sizeof(row[3]), "10");
	rl_sync_row(NULL, NULL);
	finish();
}

Test(ratelimit, every_tenant_is_sent_under_a_steady_load)
{
	u_int64_t	now;
	int		i, round;

	app.s.rate_limit_default = 1000000;
	ratelimit_init();

	/*
	 * Every tenant has new counts at every sync. Three batches hold
	 * them all; six rounds leave room for a window that ends during
	 * the test (its counts start again from zero).
	 */
	now = 10000;
	for (round = 0; round < 6; round++) {
		load(TENANTS, 1);
		now += RL_SYNC_IDLE_MS;
		ratelimit_sync(NULL, now);
		cr_assert_eq(busy, 1, "a sync went out in round %d", round);
		cr_expect_leq(last_batch, RL_BATCH_MAX);
		finish();
	}

	for (i = 0; i < TENANTS; i++) {
		if (sent[i] == 0)
			cr_assert_fail("tenant %d was never sent", i);
	}
}

Test(ratelimit, a_full_batch_is_followed_at_the_next_tick)
{
	app.s.rate_limit_default = 1000000;
	ratelimit_init();

	load(RL_BATCH_MAX + 500, 1);
	ratelimit_sync(NULL, 10000);
	cr_assert_eq(syncs, 1);
	cr_expect_eq(last_batch, RL_BATCH_MAX);
	finish();

	/* The rest: at the next tick, not a second later. */
	ratelimit_sync(NULL, 10000 + RL_SYNC_MS);
	cr_assert_eq(syncs, 2, "the rest went at the next tick");
	cr_expect_eq(last_batch, 500);
	finish();

	/* Nothing left behind, far from the limits: idle again. */
	load(1, 1);
	ratelimit_sync(NULL, 10000 + 2 * RL_SYNC_MS);
	cr_expect_eq(syncs, 2, "no sync before the idle interval");
	ratelimit_sync(NULL, 10000 + RL_SYNC_MS + RL_SYNC_IDLE_MS);
	cr_expect_eq(syncs, 3, "a sync after it");
	finish();
}

Test(ratelimit, a_tenant_near_its_limit_syncs_at_every_tick)
{
	app.s.rate_limit_default = 10;
	ratelimit_init();

	load(1, 1);
	ratelimit_sync(NULL, 10000);
	cr_assert_eq(syncs, 1);
	/* Other workers admitted 2 more: 3 of 10. */
	answer(0, 3);

	/* 4 of 10: far, the next sync waits for the idle interval. */
	load(1, 1);
	ratelimit_sync(NULL, 10000 + RL_SYNC_MS);
	cr_expect_eq(syncs, 1, "far from the limit: once a second");

	/* One more makes 5 of 10, and a sync at the next tick. */
	load(1, 1);
	ratelimit_sync(NULL, 10000 + 2 * RL_SYNC_MS);
	cr_expect_eq(syncs, 2, "near the limit: every tick");
	answer(0, 5);

	/* The database says 5: still near, the next tick syncs again. */
	load(1, 1);
	ratelimit_sync(NULL, 10000 + 3 * RL_SYNC_MS);
	cr_expect_eq(syncs, 3, "near after the answer too");
	finish();
}
