/*
 * Unit tests for src/batch.c's own logic: the batch's parameter (every
 * request's parameters, in order, NULL as null), each result row to the
 * request whose place it names (out of order, unknown and repeated
 * places ignored, a request that left skipped), and what each request
 * is told at the end (its row, run again alone, 503, no row).
 */

#include <criterion/criterion.h>

#include "../../src/batch.c"

#define NMEM	3

static struct api_req	ars[NMEM];
static struct batch	b;

/* The result the stand-ins below show: rows of 5 columns and the place. */
static const char	*rows[8][6];
static int		nrows;

static int	told[NMEM];
static int	told_count;
static int	done_count;

int
kore_pgsql_ntuples(struct kore_pgsql *sql)
{
	return (nrows);
}

int
kore_pgsql_nfields(struct kore_pgsql *sql)
{
	return (6);
}

char *
kore_pgsql_getvalue(struct kore_pgsql *sql, int row, int col)
{
	return ((char *)(rows[row][col] != NULL ? rows[row][col] : ""));
}

int
PQgetisnull(const PGresult *res, int row, int col)
{
	return (rows[row][col] == NULL);
}

long long
kore_strtonum(const char *s, int base, long long min, long long max,
    int *err)
{
	char		*end;
	long long	v;

	v = strtoll(s, &end, base);
	*err = (*s == '\0' || *end != '\0' || v < min || v > max) ?
	    KORE_RESULT_ERROR : KORE_RESULT_OK;
	return (v);
}

/* batch_end() answers from the event loop's next turn, not here. */
struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t ms, void *arg,
    int flags)
{
	return (NULL);
}

static void
member_done(struct api_req *ar, int how)
{
	told[ar - ars] = how;
	told_count++;
}

static void
all_done(void)
{
	done_count++;
}

static void
setup(void)
{
	int	i;

	memset(ars, 0, sizeof(ars));
	memset(&b, 0, sizeof(b));
	memset(rows, 0, sizeof(rows));
	nrows = 0;
	told_count = done_count = 0;
	b.n = NMEM;
	b.busy = 1;
	b.member_done = member_done;
	b.done = all_done;
	for (i = 0; i < NMEM; i++) {
		told[i] = -1;
		b.members[i] = &ars[i];
		ars[i].batch = &b;
	}
}

static void
teardown(void)
{
	int	i, k;

	for (i = 0; i < NMEM; i++) {
		for (k = 0; k < API_COLS_MAX; k++)
			free(ars[i].cols[k]);
	}
}

TestSuite(batch, .init = setup, .fini = teardown);

static void
row(const char *status, const char *body, const char *i)
{
	rows[nrows][0] = status;
	rows[nrows][2] = body;
	rows[nrows][5] = i;
	nrows++;
}

Test(batch, the_parameter_is_each_requests_parameters_in_order)
{
	json_t		*j, *want;
	char		*s;

	ars[0].params[0] = "tenant-a";
	ars[0].params[1] = NULL;
	ars[0].params[2] = "a \"quoted\" \\ title";
	ars[0].nparams = 3;
	ars[1].params[0] = "tenant-b";
	ars[1].nparams = 1;
	ars[2].nparams = 0;

	s = batch_json(b.members, NMEM);
	j = json_loads(s, 0, NULL);
	cr_assert_not_null(j, "not JSON: %s", s);
	want = json_pack("[[s, n, s], [s], []]", "tenant-a",
	    "a \"quoted\" \\ title", "tenant-b");
	cr_expect(json_equal(j, want), "%s", s);
	json_decref(want);
	json_decref(j);
	free(s);
}

Test(batch, each_row_goes_to_the_request_it_names)
{
	row("201", "{\"id\":3}", "3");
	row("400", "{\"code\":\"invalid\"}", "1");
	row("201", "{\"id\":2}", "2");
	row("201", "{\"id\":99}", "4");		/* no such place */
	row("201", "{\"id\":98}", "2");		/* second row for 2 */
	row("201", "{\"id\":97}", "x");
	batch_read(&b);

	cr_expect_str_eq(ars[0].cols[0], "400");
	cr_expect_str_eq(ars[0].cols[2], "{\"code\":\"invalid\"}");
	cr_expect_str_eq(ars[1].cols[2], "{\"id\":2}");
	cr_expect_str_eq(ars[2].cols[2], "{\"id\":3}");
	cr_expect_null(ars[2].cols[1], "a NULL column stays NULL");
	cr_expect_eq(ars[2].ncols, 5, "the place is not a column of it");
	cr_expect_eq(ars[2].nrows, 1);
	cr_expect(b.answered[0] && b.answered[1] && b.answered[2]);
}

Test(batch, a_request_that_left_gets_nothing)
{
	batch_forget(&ars[1]);
	cr_expect_null(ars[1].batch);
	cr_expect_null(b.members[1]);

	row("201", "{\"id\":1}", "1");
	row("201", "{\"id\":2}", "2");
	batch_read(&b);
	cr_expect_null(ars[1].cols[2]);

	batch_finish(&b);
	cr_expect_eq(told_count, 2, "told %d", told_count);
	cr_expect_eq(told[0], BATCH_ROW);
	cr_expect_eq(told[1], -1);
	cr_expect_eq(told[2], BATCH_NO_ROW);
	cr_expect_eq(done_count, 1);
	cr_expect(!b.busy);
}

Test(batch, a_rolled_back_batch_runs_each_again)
{
	row("201", "{\"id\":1}", "1");
	batch_read(&b);
	b.failed = 1;
	batch_finish(&b);
	cr_expect_eq(told[0], BATCH_AGAIN, "a row before the error is void");
	cr_expect_eq(told[1], BATCH_AGAIN);
	cr_expect_eq(told[2], BATCH_AGAIN);
	cr_expect_eq(done_count, 1);
}

Test(batch, an_unavailable_database_is_503_for_each)
{
	b.failed = 1;
	b.unavailable = 1;
	batch_finish(&b);
	cr_expect_eq(told[0], BATCH_UNAVAILABLE);
	cr_expect_eq(told[2], BATCH_UNAVAILABLE);
}

/* What bgquery tells of a statement it abandoned (src/bgquery.c). */
Test(batch, an_abandoned_batch_is_503_for_each)
{
	row("201", "{\"id\":1}", "1");
	batch_read(&b);
	b.bq.unavailable = 1;
	batch_end(0, &b);
	cr_expect_eq(told_count, 0, "answered inside Kore's release");
	cr_expect(b.ended);
	batch_finish(&b);	/* what batch_kick() does with it */
	cr_expect_eq(told[0], BATCH_UNAVAILABLE);
	cr_expect_eq(told[1], BATCH_UNAVAILABLE);
	cr_expect_null(ars[0].batch);
}

/*
 * A batch runs on the request slot src/db.c holds for it, not in the
 * turns of the worker's own statements (src/bgquery.c): it must not
 * wait behind a rate limit sync, nor hold one up.
 */
Test(batch, batches_run_on_their_slot)
{
	int	i;

	batch_init();
	for (i = 0; i < BATCH_RUNNING_MAX; i++)
		cr_expect(batches[i].bq.on_slot, "batch %d", i);
}
