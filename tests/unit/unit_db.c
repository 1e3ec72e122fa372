/*
 * Unit tests for the connection-slot queue of src/db.c: requests get a
 * database connection in the order they asked for one, a released slot
 * goes to the longest waiting request, and one connection of the
 * worker's pgsql_conn_max stays free for its own statements. (The
 * prepared statements' bookkeeping: unit_prepared.c.)
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

/* src/prepared.c: not reached by these tests. */
int
prepared_send(struct http_request *req, struct api_req *ar)
{
	return (KORE_RESULT_ERROR);
}

int
prepared_replan(struct api_req *ar)
{
	return (0);
}

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
