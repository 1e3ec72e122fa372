/*
 * Creates that wait for a database connection go out as one statement
 * (src/batch.c, api.task_create_batch): each request is still answered
 * on its own, with its own task, checked with its own principal and
 * project; a batch that fails runs each of its requests alone; a client
 * that leaves takes nothing from the others.
 *
 * To make the line form, a test holds its tenants' projects locked for
 * a moment (the foreign key check of every task insert waits for them):
 * the first creates to arrive hold every connection of their worker, the
 * others wait and then go out together. Tasks created by
 * one statement share its transaction id (xmin): fewer distinct ones
 * than tasks is the proof that a batch ran.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "harness.h"

#define TASKS		"/api/v1/tasks/"
#define PROJECTS	"/api/v1/projects/"
#define N		24

static PGconn	*lock_projects(const char *, const char *, double);
static void	lock_wait(PGconn *);
static long long db_count(PGconn *, const char *, const char *);
static char	*title_body(long long, const char *, int);

/*
 * Lock the projects of tenants a and b (b may be NULL) for
 * secs, on a connection of its own; lock_wait() ends it.
 */
static PGconn *
lock_projects(const char *a, const char *b, double secs)
{
	PGconn		*db;
	const char	*params[2];

	db = h_db_open();
	params[0] = a;
	params[1] = b != NULL ? b : a;
	PQclear(h_db_query(db, "BEGIN", 0, NULL));
	PQclear(h_db_query(db, "SELECT 1 FROM projects WHERE tenant_id "
	    "IN ($1::uuid, $2::uuid) FOR UPDATE", 2, params));
	cr_assert(PQsendQuery(db, h_fmt("SELECT pg_sleep(%.3f); COMMIT",
	    secs)) == 1, "%s", PQerrorMessage(db));

	return (db);
}

static void
lock_wait(PGconn *db)
{
	PGresult	*res;

	while ((res = PQgetResult(db)) != NULL) {
		cr_expect(PQresultStatus(res) == PGRES_TUPLES_OK ||
		    PQresultStatus(res) == PGRES_COMMAND_OK, "the lock: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
	}
	PQfinish(db);
}

/* count(*) or count(DISTINCT xmin) of the tasks whose title starts so. */
static long long
db_count(PGconn *db, const char *what, const char *prefix)
{
	PGresult	*res;
	const char	*params[1];
	long long	n;
	char		like[256];

	(void)snprintf(like, sizeof(like), "%s%%", prefix);
	params[0] = like;
	res = h_db_query(db, h_fmt("SELECT %s FROM tasks WHERE title LIKE $1",
	    what), 1, params);
	n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);

	return (n);
}

static char *
title_body(long long project, const char *prefix, int i)
{
	char		*s;

	cr_assert(asprintf(&s, "{\"project\":%lld,\"title\":\"%s%d\","
	    "\"priority\":\"high\"}", project, prefix, i) != -1);
	return (s);
}

/*
 * Two tenants' creates, waiting together: each answered with its own
 * title and project, each visible to its own tenant only, the counts
 * exact; and they went out in fewer statements than requests.
 */
Test(batch, waiting_creates_go_out_together, .timeout = 120)
{
	struct h_tenant	a, b;
	struct h_resp	*r[N], *g;
	const char	*tokens[N];
	char		*bodies[N], prefix[96];
	long long	pa, pb, id, n_a;
	PGconn		*lk, *db;
	json_t		*j;
	int		i, mine;

	h_new_tenant_unlimited("batch", &a);
	h_new_tenant_unlimited("batch", &b);
	pa = h_new_project(a.access, NULL);
	pb = h_new_project(b.access, NULL);
	(void)snprintf(prefix, sizeof(prefix), "%s-", h_unique("together"));

	for (i = 0; i < N; i++) {
		mine = i % 3 != 2;
		tokens[i] = mine ? a.access : b.access;
		bodies[i] = title_body(mine ? pa : pb, prefix, i);
	}
	lk = lock_projects(a.id, b.id, 1.0);
	h_req_parallel_as(NULL, "POST", TASKS, tokens,
	    (const char *const *)bodies, N, r);
	lock_wait(lk);

	n_a = 0;
	for (i = 0; i < N; i++) {
		mine = i % 3 != 2;
		cr_assert_eq(r[i]->status, 201, "%d: %ld %s", i, r[i]->status,
		    r[i]->body);
		cr_expect_str_eq(h_str(r[i], "title"),
		    h_fmt("%s%d", prefix, i));
		cr_expect_eq(h_int(r[i], "project"), mine ? pa : pb);
		cr_expect_str_eq(h_str(r[i], "priority"), "high");
		id = h_int(r[i], "id");
		g = h_get(h_fmt("%s%lld/", TASKS, id), mine ? a.access :
		    b.access);
		cr_expect_eq(g->status, 200, "own task %lld: %ld", id,
		    g->status);
		h_free(g);
		g = h_get(h_fmt("%s%lld/", TASKS, id), mine ? b.access :
		    a.access);
		cr_expect_eq(g->status, 404, "the other tenant's task %lld: "
		    "%ld", id, g->status);
		h_free(g);
		n_a += mine;
		h_free(r[i]);
		free(bodies[i]);
	}

	j = h_get_json(h_fmt("%s%lld/", PROJECTS, pa), a.access);
	cr_expect_eq(json_integer_value(json_object_get(j, "tasks_count")),
	    n_a);
	json_decref(j);
	j = h_get_json(h_fmt("%s%lld/", PROJECTS, pb), b.access);
	cr_expect_eq(json_integer_value(json_object_get(j, "tasks_count")),
	    N - n_a);
	json_decref(j);
	j = h_get_json(PROJECTS "statistics/", b.access);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j,
	    "tasks"), "total")), N - n_a);
	json_decref(j);

	db = h_db_open();
	cr_expect_eq(db_count(db, "count(*)", prefix), N);
	cr_expect_lt(db_count(db, "count(DISTINCT xmin::text)", prefix), N,
	    "every create went out alone: no batch formed");
	PQfinish(db);
}

/*
 * In one batch, each element is checked as a create alone would be:
 * another tenant's project is 400 for this one (and nothing is made in
 * either tenant), while the rest are made.
 */
Test(batch, each_element_is_checked_alone, .timeout = 120)
{
	struct h_tenant	a, b;
	struct h_resp	*r[N];
	const char	*tokens[N];
	char		*bodies[N], prefix[96];
	long long	pa, pb;
	PGconn		*lk, *db;
	json_t		*j;
	int		i;

	h_new_tenant_unlimited("batch", &a);
	h_new_tenant_unlimited("batch", &b);
	pa = h_new_project(a.access, NULL);
	pb = h_new_project(b.access, NULL);
	(void)snprintf(prefix, sizeof(prefix), "%s-", h_unique("checked"));

	/* Every fourth asks for b's project with a's token. */
	for (i = 0; i < N; i++) {
		tokens[i] = a.access;
		bodies[i] = title_body(i % 4 == 3 ? pb : pa, prefix, i);
	}
	lk = lock_projects(a.id, NULL, 1.0);
	h_req_parallel_as(NULL, "POST", TASKS, tokens,
	    (const char *const *)bodies, N, r);
	lock_wait(lk);

	for (i = 0; i < N; i++) {
		if (i % 4 == 3) {
			cr_expect_eq(r[i]->status, 400, "%d: %ld %s", i,
			    r[i]->status, r[i]->body);
			cr_expect(strstr(r[i]->body, "object does not exist")
			    != NULL, "%s", r[i]->body);
		} else {
			cr_expect_eq(r[i]->status, 201, "%d: %ld %s", i,
			    r[i]->status, r[i]->body);
			cr_expect_str_eq(h_str(r[i], "title"),
			    h_fmt("%s%d", prefix, i));
		}
		h_free(r[i]);
		free(bodies[i]);
	}

	j = h_get_json(h_fmt("%s%lld/", PROJECTS, pb), b.access);
	cr_expect_eq(json_integer_value(json_object_get(j, "tasks_count")), 0);
	json_decref(j);

	db = h_db_open();
	cr_expect_eq(db_count(db, "count(*)", prefix), N - N / 4);
	cr_expect_lt(db_count(db, "count(DISTINCT xmin::text)", prefix),
	    N - N / 4, "every create went out alone: no batch formed");
	PQfinish(db);
}

/*
 * A batch whose statement fails (here a trigger refuses any insert of
 * several of this test's rows at once) rolled back: each of its requests
 * runs again alone, and every one is made exactly once.
 */
Test(batch, a_failed_batch_runs_each_alone, .timeout = 120)
{
	struct h_tenant	a;
	struct h_resp	*r[N];
	const char	*tokens[N];
	char		*bodies[N], prefix[96], *log, *fn;
	long long	pa;
	PGconn		*lk, *db;
	int		i;

	h_new_tenant_unlimited("batch", &a);
	pa = h_new_project(a.access, NULL);
	(void)snprintf(prefix, sizeof(prefix), "%s-", h_unique("refused"));
	fn = strdup(h_fmt("batch_refuse_%d", (int)getpid()));

	db = h_db_open();
	PQclear(h_db_query(db, h_fmt("CREATE FUNCTION %s() RETURNS trigger "
	    "LANGUAGE plpgsql AS $f$ BEGIN IF (SELECT count(*) FROM n "
	    "WHERE n.title LIKE '%s%%') > 1 THEN RAISE EXCEPTION "
	    "'%s: refused'; END IF; RETURN NULL; END $f$", fn, prefix, fn),
	    0, NULL));
	PQclear(h_db_query(db, h_fmt("CREATE TRIGGER %s AFTER INSERT ON tasks "
	    "REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION "
	    "%s()", fn, fn), 0, NULL));

	for (i = 0; i < N; i++) {
		tokens[i] = a.access;
		bodies[i] = title_body(pa, prefix, i);
	}
	lk = lock_projects(a.id, NULL, 1.0);
	h_req_parallel_as(NULL, "POST", TASKS, tokens,
	    (const char *const *)bodies, N, r);
	lock_wait(lk);

	PQclear(h_db_query(db, h_fmt("DROP TRIGGER %s ON tasks", fn), 0,
	    NULL));
	PQclear(h_db_query(db, h_fmt("DROP FUNCTION %s()", fn), 0, NULL));

	for (i = 0; i < N; i++) {
		cr_expect_eq(r[i]->status, 201, "%d: %ld %s", i, r[i]->status,
		    r[i]->body);
		h_free(r[i]);
		free(bodies[i]);
	}
	cr_expect_eq(db_count(db, "count(*)", prefix), N);
	cr_expect_eq(db_count(db, "count(DISTINCT title)", prefix), N);
	cr_expect_eq(db_count(db, "count(DISTINCT xmin::text)", prefix), N,
	    "a refused batch's tasks were made together after all");
	PQfinish(db);

	/* The refusal did happen, to a batch: its statement's error. */
	log = h_read_file(h_env("MTAPI_TEST_HTTP_LOG"), NULL);
	cr_expect(strstr(log, h_fmt("%s: refused", fn)) != NULL,
	    "no batch was refused: none formed");
	free(log);
	free(fn);
}

/*
 * Clients that give up while their creates wait or run in a batch: the
 * others are answered, the server stays up, and a task whose batch
 * committed is there once, whether its client heard of it or not.
 */
Test(batch, clients_that_leave, .timeout = 120)
{
	struct h_tenant	a;
	struct curl_slist *hdrs;
	struct h_buf	bufs[N];
	CURL		*easy[N];
	CURLM		*multi;
	CURLMsg		*msg;
	char		*bodies[N], prefix[96], *url;
	long long	pa, made;
	long		status;
	PGconn		*lk, *db;
	struct h_resp	*r;
	int		i, running, left, answered;

	h_new_tenant_unlimited("batch", &a);
	pa = h_new_project(a.access, NULL);
	(void)snprintf(prefix, sizeof(prefix), "%s-", h_unique("leave"));

	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, h_fmt("Authorization: Bearer %s",
	    a.access));
	cr_assert(asprintf(&url, "%s%s", h_base_url(), TASKS) != -1);
	cr_assert((multi = curl_multi_init()) != NULL);
	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < N; i++) {
		bodies[i] = title_body(pa, prefix, i);
		cr_assert((easy[i] = curl_easy_init()) != NULL);
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[i]);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, h_collect);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &bufs[i]);
		curl_easy_setopt(easy[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
		/* Every other one leaves while the lock still holds. */
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS,
		    i % 2 ? 400L : 30000L);
		curl_multi_add_handle(multi, easy[i]);
	}

	lk = lock_projects(a.id, NULL, 1.0);
	do {
		cr_assert(curl_multi_perform(multi, &running) == CURLM_OK);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0);
	lock_wait(lk);

	answered = 0;
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || msg->data.result != CURLE_OK)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &status);
		cr_expect_eq(status, 201);
		answered++;
	}
	cr_expect_geq(answered, N / 2, "those that stayed: %d answered",
	    answered);
	for (i = 0; i < N; i++) {
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
		free(bufs[i].data);
		free(bodies[i]);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdrs);
	free(url);

	/* Still serving; and each task is there at most once. */
	r = h_get("/health/", NULL);
	cr_expect_eq(r->status, 200);
	h_free(r);
	db = h_db_open();
	h_sleep_ms(500);
	made = db_count(db, "count(*)", prefix);
	cr_expect_geq(made, answered);
	cr_expect_leq(made, N);
	cr_expect_eq(db_count(db, "count(DISTINCT title)", prefix), made);
	PQfinish(db);
}

/*
 * The API's sessions do not JIT-compile (sql/V013): a batch whose
 * estimate was far off (verdict_epochs not yet analysed) spent 1 to 3 s
 * compiling itself, and its worker's other requests waited for it.
 */
Test(batch, sessions_do_not_jit)
{
	PGconn		*db;
	PGresult	*res;
	int		i;

	db = h_db_open();
	res = h_db_query(db, "SELECT current_setting('jit')", 0, NULL);
	cr_expect_str_eq(PQgetvalue(res, 0, 0), "off");
	PQclear(res);

	/* Estimated far above jit_optimize_above_cost: no JIT in its plan. */
	res = h_db_query(db, "EXPLAIN SELECT sum(i) FROM "
	    "generate_series(1, 100000000) i", 0, NULL);
	for (i = 0; i < PQntuples(res); i++)
		cr_expect_null(strstr(PQgetvalue(res, i, 0), "JIT"), "%s",
		    PQgetvalue(res, i, 0));
	PQclear(res);
	PQfinish(db);
}
