/*
 * Unit tests for the connection-slot queue of src/db.c: requests get a
 * database connection in the order they asked for one, a released slot
 * goes to the longest waiting request, and one connection of the
 * worker's pgsql_conn_max stays free for its own statements; waiting
 * requests with the same batch form get a released slot together, as one
 * batch (src/batch.c, stood in for here), and creates wait for the event
 * loop's next turn (the timer, stood in for here) to go out together.
 * (The prepared statements' bookkeeping: unit_prepared.c.)
 */

#include <criterion/criterion.h>

#include "../../src/db.c"

#define NREQ	12

static struct http_request	reqs[NREQ];
static struct api_req		ars[NREQ];
static int			slept[NREQ];
static int			woken[NREQ];
static int			wake_order[NREQ];
static int			nwoken;

static int	acquire(int);
static int	acquire_batched(int, const char *);
static int	which(struct http_request *);
static void	turn(void);

/* batch_run()'s stand-in: what it was given, and what it answers. */
static int		batch_answer;
static int		batch_calls;
static int		batch_members[NREQ];
static int		batch_n;
static int		batch_sizes[NREQ];
static const char	*batch_sql_seen;

/* kore_timer_add()'s stand-in: the one-shot timer db.c arms. */
static void		(*timer_cb)(void *, u_int64_t);
static int		timer_calls;

struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t ms, void *arg,
    int flags)
{
	cr_assert_eq(ms, 0, "the next turn, not later");
	cr_assert_eq(flags, KORE_TIMER_ONESHOT);
	cr_assert_null(timer_cb, "armed twice");
	timer_cb = cb;
	timer_calls++;
	return (NULL);
}

/* The event loop's next turn: the timer fires. */
static void
turn(void)
{
	void	(*cb)(void *, u_int64_t) = timer_cb;

	cr_assert_not_null(cb, "no timer armed");
	timer_cb = NULL;
	cb(NULL, 0);
}

int
batch_run(const char *sql, struct api_req **members, int n,
    void (*member_done)(struct api_req *, int), void (*done)(void))
{
	int	i;

	cr_assert_lt(batch_calls, NREQ);
	batch_sizes[batch_calls++] = n;
	batch_sql_seen = sql;
	batch_n = n;
	for (i = 0; i < n; i++)
		batch_members[i] = (int)(members[i] - ars);
	cr_assert_eq(member_done, db_batch_member);
	cr_assert_eq(done, db_batch_done);

	return (batch_answer);
}

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
request_wakeup(struct http_request *req)
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

/* Request i waits with the batch form sql (NULL: none). */
static int
acquire_batched(int i, const char *sql)
{
	ars[i].batch_sql = sql;
	return (acquire(i));
}

static void
setup(void)
{
	memset(reqs, 0, sizeof(reqs));
	memset(ars, 0, sizeof(ars));
	memset(slept, 0, sizeof(slept));
	memset(woken, 0, sizeof(woken));
	nwoken = 0;
	batch_answer = 0;
	batch_calls = 0;
	batch_n = 0;
	memset(batch_sizes, 0, sizeof(batch_sizes));
	timer_cb = NULL;
	timer_calls = 0;
	db_turn_armed = 0;
	batch_sql_seen = NULL;
	db_slots_used = 0;
	db_batchable_running = 0;
	db_waiting_plain = 0;
	db_waiting_count = 0;
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

#define BATCH_A	"SELECT * FROM api.a_batch($1)"
#define BATCH_B	"SELECT * FROM api.b_batch($1)"

/*
 * A released slot goes to the longest waiting request and every request
 * waiting with its batch form, as one batch that holds the slot; the
 * others keep their places.
 */
Test(db_slots, waiting_creates_get_a_slot_together)
{
	(void)acquire(0);
	(void)acquire(1);
	(void)acquire_batched(2, BATCH_A);
	(void)acquire(3);
	(void)acquire_batched(4, BATCH_B);
	(void)acquire_batched(5, BATCH_A);
	cr_expect_eq(timer_calls, 0, "no turn: no slot free");

	db_slot_release(&ars[0]);
	cr_assert_eq(batch_calls, 1);
	cr_expect_eq(batch_sql_seen, BATCH_A);
	cr_assert_eq(batch_n, 2);
	cr_expect_eq(batch_members[0], 2);
	cr_expect_eq(batch_members[1], 5);
	cr_expect_eq(nwoken, 0, "a batch's requests sleep until it ends");
	cr_expect_eq(reqs[2].fsm_state, DB_BATCH_WAIT);
	cr_expect_eq(reqs[5].fsm_state, DB_BATCH_WAIT);
	cr_expect(!ars[2].db_queued && !ars[5].db_queued);
	cr_expect(!ars[2].db_slot && !ars[5].db_slot);
	cr_expect_eq(db_slots_used, 2, "the batch holds the slot");
	cr_expect_eq(TAILQ_FIRST(&db_waiting), &ars[3]);
	cr_expect_eq(TAILQ_NEXT(&ars[3], db_wait), &ars[4]);

	/* Its end hands the slot on, to the next in line. */
	db_batch_done();
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 3);
	cr_expect(ars[3].db_slot);
	cr_expect_eq(db_slots_used, 2);
}

/* A create that waits alone is handed the slot as any request. */
Test(db_slots, a_lone_create_goes_alone)
{
	(void)acquire(0);
	(void)acquire(1);
	(void)acquire_batched(2, BATCH_A);
	(void)acquire(3);

	db_slot_release(&ars[0]);
	cr_expect_eq(batch_calls, 0);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 2);
	cr_expect(ars[2].db_slot);
}

/*
 * A create that finds a slot free waits for the event loop's next turn
 * and goes out then with the creates that came in the same turn; a
 * request without a batch form takes a free slot at once. (Taken at
 * once, the first two creates of each round of a worker's clients went
 * alone, at 3.2 times a batched create's cost.)
 */
Test(db_slots, creates_wait_for_the_next_turn)
{
	pgsql_conn_max = 5;	/* four slots */
	cr_expect_eq(acquire_batched(0, BATCH_A), 0, "a free slot, and yet");
	cr_expect(ars[0].db_queued);
	cr_expect_eq(timer_calls, 1);
	cr_expect_eq(acquire_batched(1, BATCH_A), 0);
	cr_expect_eq(acquire_batched(2, BATCH_A), 0);
	cr_expect_eq(acquire(3), 1, "a read passes them to a free slot");
	cr_expect_eq(db_slots_used, 1);
	cr_expect_eq(nwoken, 0);

	/* Too few to share: one batch, though two places are free. */
	turn();
	cr_assert_eq(batch_calls, 1);
	cr_expect_eq(batch_sizes[0], 3);
	cr_expect_eq(batch_members[0], 0);
	cr_expect_eq(batch_members[2], 2);
	cr_expect_eq(nwoken, 0);
	cr_expect(TAILQ_EMPTY(&db_waiting));
	cr_expect_eq(db_batchable_running, 1);
	cr_expect_eq(db_slots_used, 2);
	cr_expect(!db_turn_armed);

	/* A lone create, with a place free: alone, at the next turn. */
	cr_expect_eq(acquire_batched(4, BATCH_A), 0);
	cr_expect_eq(timer_calls, 2);
	turn();
	cr_expect_eq(batch_calls, 1);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 4);
	cr_expect(ars[4].db_slot);
}

/*
 * With DB_BATCHABLE_MAX creates in flight a create waits for one's end,
 * and goes out then with the creates that came meanwhile.
 */
Test(db_slots, a_create_waits_for_the_creates_in_flight)
{
	int	i;

	cr_assert_eq(DB_BATCHABLE_MAX, 2, "the test's line is laid out for 2");
	pgsql_conn_max = 5;	/* four slots */
	for (i = 0; i < DB_BATCHABLE_MAX; i++) {
		(void)acquire_batched(i, BATCH_A);
		turn();
	}
	cr_assert_eq(db_batchable_running, DB_BATCHABLE_MAX);
	cr_assert(ars[0].db_slot && ars[1].db_slot);

	cr_expect_eq(acquire_batched(2, BATCH_A), 0, "creates in flight");
	cr_expect_eq(timer_calls, 2, "no turn: no place to take");
	cr_expect_eq(acquire(3), 1, "a read passes it to the free slot");
	cr_expect_eq(acquire_batched(4, BATCH_A), 0);
	cr_expect_eq(db_slots_used, 3);

	/* A create's end sends the two that waited as one batch. */
	db_slot_release(&ars[0]);
	cr_assert_eq(batch_calls, 1);
	cr_assert_eq(batch_n, 2);
	cr_expect_eq(batch_members[0], 2);
	cr_expect_eq(batch_members[1], 4);
	cr_expect(TAILQ_EMPTY(&db_waiting));
	cr_expect_eq(db_slots_used, 3, "the batch holds the slot");
	cr_expect_eq(db_batchable_running, DB_BATCHABLE_MAX);

	/* The batch counts as one in flight: a create waits for it too. */
	cr_expect_eq(acquire_batched(5, BATCH_A), 0);
	db_batch_done();
	cr_expect_eq(nwoken, 3, "handed the batch's slot, alone");
	cr_expect_eq(wake_order[2], 5);
	cr_expect(ars[5].db_slot);
}

/*
 * The creates waiting when several places are free are shared between
 * them: two batches at once, not one twice as large while the other
 * place stays idle; and every slot comes back.
 */
Test(db_slots, waiting_creates_are_shared_between_free_places)
{
	int	i;

	pgsql_conn_max = 5;	/* four slots */
	for (i = 0; i < 9; i++)
		(void)acquire_batched(i, BATCH_A);
	turn();
	cr_assert_eq(batch_calls, 2);
	cr_expect_eq(batch_sizes[0], 5);
	cr_expect_eq(batch_sizes[1], 4);
	cr_expect_eq(batch_members[0], 5, "the second batch, in line order");
	cr_expect(TAILQ_EMPTY(&db_waiting));
	cr_expect_eq(db_slots_used, 2);
	cr_expect_eq(db_batchable_running, 2);

	/* One place free at a batch's end: it takes every waiting create. */
	(void)acquire_batched(9, BATCH_A);
	cr_expect_eq(acquire(10), 1);
	(void)acquire_batched(11, BATCH_A);
	cr_expect_eq(timer_calls, 1);
	db_batch_done();
	cr_assert_eq(batch_calls, 3);
	cr_expect_eq(batch_sizes[2], 2);
	cr_expect_eq(batch_members[0], 9);
	cr_expect_eq(batch_members[1], 11);

	db_batch_done();
	db_batch_done();
	db_slot_release(&ars[10]);
	cr_expect_eq(db_slots_used, 0);
	cr_expect_eq(db_batchable_running, 0);
	cr_expect(TAILQ_EMPTY(&db_waiting));
}

/*
 * A slot released while creates wait for their turn is theirs at the
 * turn, not the first one's alone at once (a read's end in the same
 * pass of the event loop).
 */
Test(db_slots, a_release_before_the_turn_leaves_the_slot_to_it)
{
	cr_expect_eq(acquire(0), 1);
	cr_expect_eq(acquire_batched(1, BATCH_A), 0);
	db_slot_release(&ars[0]);
	cr_expect_eq(nwoken, 0);
	cr_expect_eq(batch_calls, 0);
	cr_expect(ars[1].db_queued);
	(void)acquire_batched(2, BATCH_A);

	turn();
	cr_assert_eq(batch_calls, 1);
	cr_expect_eq(batch_sizes[0], 2);
	cr_expect_eq(db_slots_used, 1);
}

/* A turn that finds every slot taken leaves the creates in line. */
Test(db_slots, a_turn_with_no_slot_free)
{
	(void)acquire_batched(0, BATCH_A);
	cr_expect_eq(acquire(1), 1);
	cr_expect_eq(acquire(2), 1);
	turn();
	cr_expect(!db_turn_armed);
	cr_expect(ars[0].db_queued);
	cr_expect_eq(nwoken, 0);

	db_slot_release(&ars[1]);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 0);
	cr_expect(ars[0].db_slot);
}

/* A create gone before its turn: the turn finds nothing to do. */
Test(db_slots, a_create_gone_before_its_turn)
{
	(void)acquire_batched(0, BATCH_A);
	db_slot_release(&ars[0]);
	cr_expect(TAILQ_EMPTY(&db_waiting));
	turn();
	cr_expect(!db_turn_armed);
	cr_expect_eq(db_slots_used, 0);
	cr_expect_eq(db_batchable_running, 0);
	cr_expect_eq(nwoken, 0);
	cr_expect_eq(batch_calls, 0);
}

/*
 * At the turn, a read behind creates held back by DB_BATCHABLE_MAX gets
 * a free slot: it is not kept waiting by creates that cannot go.
 */
Test(db_slots, a_read_passes_creates_held_back_at_the_turn)
{
	int	i;

	pgsql_conn_max = 6;	/* five slots */
	(void)acquire_batched(0, BATCH_A);
	turn();
	cr_assert(ars[0].db_slot);
	cr_expect_eq(acquire_batched(1, BATCH_A), 0);
	cr_expect_eq(acquire_batched(2, BATCH_B), 0);
	for (i = 3; i < 7; i++)
		cr_expect_eq(acquire(i), 1, "read %d", i);
	cr_expect_eq(acquire(7), 0, "the slots are full");
	cr_assert_eq(nwoken, 1, "the first create");
	db_slot_release(&ars[3]);
	db_slot_release(&ars[4]);
	cr_expect_eq(nwoken, 1, "the turn hands them out");

	turn();
	cr_expect(ars[1].db_slot, "the first create, alone");
	cr_expect(ars[7].db_slot, "the read, past the create held back");
	cr_expect(ars[2].db_queued);
	cr_expect_eq(TAILQ_FIRST(&db_waiting), &ars[2]);
	cr_expect_eq(db_batchable_running, DB_BATCHABLE_MAX);
	cr_expect_eq(db_slots_used, 5);
}

/* A request without a batch form that waits keeps its place. */
Test(db_slots, reads_do_not_pass_a_waiting_read)
{
	(void)acquire_batched(0, BATCH_A);
	turn();
	cr_assert(ars[0].db_slot);
	(void)acquire(1);
	(void)acquire(2);	/* slots full: it waits */
	(void)acquire_batched(3, BATCH_A);

	/* A slot free only in the instant before its handover. */
	ars[1].db_slot = 0;
	db_slots_used--;
	cr_expect_eq(acquire(4), 0, "passed a waiting read");
	cr_expect_eq(db_waiting_plain, 2);
}

/* A batch that could not be sent: the first goes alone, no one is lost. */
Test(db_slots, an_unsent_batch_leaves_the_line_as_it_was)
{
	batch_answer = -1;
	(void)acquire(0);
	(void)acquire(1);
	(void)acquire_batched(2, BATCH_A);
	(void)acquire_batched(3, BATCH_A);

	db_slot_release(&ars[0]);
	cr_expect_eq(batch_calls, 1);
	cr_expect_eq(nwoken, 1);
	cr_expect_eq(wake_order[0], 2);
	cr_expect(ars[2].db_slot);
	cr_expect(ars[3].db_queued);
	cr_expect_eq(TAILQ_FIRST(&db_waiting), &ars[3]);
	cr_expect_eq(db_slots_used, 2);
}

/* Each outcome of batch_run() wakes the request into its next state. */
Test(db_slots, batch_outcomes)
{
	static const struct {
		int	how;
		int	state;
	} cases[] = {
		{ BATCH_ROW, DB_BATCH_STEP },
		{ BATCH_AGAIN, DB_INIT },
		{ BATCH_UNAVAILABLE, DB_BATCH_DOWN },
		{ BATCH_NO_ROW, DB_BATCH_NO_ROW },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ars[i].owner = &reqs[i];
		ars[i].batch_sql = BATCH_A;
		reqs[i].fsm_state = DB_BATCH_WAIT;
		db_batch_member(&ars[i], cases[i].how);
		cr_expect_eq(reqs[i].fsm_state, cases[i].state, "outcome %d",
		    cases[i].how);
		cr_expect_eq(woken[i], 1);
	}
	/* Run again, it runs alone: it does not wait for a batch twice. */
	cr_expect_null(ars[1].batch_sql);
	cr_expect_not_null(ars[0].batch_sql);
}
