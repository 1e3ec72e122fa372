/*
 * State the database keeps for the reads (sql/V008__kept_state.sql,
 * sql/R__060_bodies.sql), under concurrent requests:
 *   - each project's tasks_count and the statistics' counts equal a real
 *     count(*) after concurrent creates, deletes, status changes and
 *     moves between projects;
 *   - the JSON bodies kept with the rows equal the JSON the API functions
 *     build, after the same writes and a rename of a project;
 *   - deactivating a tenant, or revoking one login, while 16 connections
 *     hammer it: no request that starts after the change has committed
 *     is served (the remembered verdicts of src/verdict.c are checked in
 *     every statement), and reactivation is served again at once.
 * The requests run concurrently on one libcurl multi handle; a change is
 * made by a child process while they run.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

#define CONNS		16
#define PROJECTS	"/api/v1/projects/"
#define TASKS		"/api/v1/tasks/"
#define NPROJ		4
#define WRITE_OPS	800

struct slot {
	CURL			*c;
	struct curl_slist	*hdrs;
	char			*body;
	size_t			len;
	char			*sent;
	double			started;	/* ms, monotonic */
	int			op;
};

static double	now_ms(void);
static long long db_value(const char *);
static void	slot_start(CURLM *, struct slot *, const char *,
		    const char *, const char *, const char *);
static void	slot_done(CURLM *, struct slot *);
static size_t	slot_collect(char *, size_t, size_t, void *);
static pid_t	spawn_admin(const char *);
static pid_t	spawn_revoke(const char *);

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

/* One number from the test database (psql, the server's own settings). */
static long long
db_value(const char *sql)
{
	FILE		*fp;
	char		line[512], host[512], port[512], name[512], user[512];
	char		pass[512], cmd[8192], out[128];
	long long	v;

	host[0] = port[0] = name[0] = user[0] = pass[0] = '\0';
	fp = fopen(h_env("MTAPI_ENV_FILE"), "r");
	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "DB_HOST=", 8))
			(void)snprintf(host, sizeof(host), "%s", line + 8);
		else if (!strncmp(line, "DB_PORT=", 8))
			(void)snprintf(port, sizeof(port), "%s", line + 8);
		else if (!strncmp(line, "DB_NAME=", 8))
			(void)snprintf(name, sizeof(name), "%s", line + 8);
		else if (!strncmp(line, "DB_USER=", 8))
			(void)snprintf(user, sizeof(user), "%s", line + 8);
		else if (!strncmp(line, "DB_PASSWORD=", 12))
			(void)snprintf(pass, sizeof(pass), "%s", line + 12);
	}
	fclose(fp);

	if (system("command -v psql >/dev/null 2>&1") != 0)
		cr_skip_test("psql is not installed: cannot count rows");

	/* The SQL holds no quote: the callers' statements are fixed. */
	cr_assert_null(strchr(sql, '"'));
	(void)snprintf(cmd, sizeof(cmd), "PGPASSWORD='%s' psql -X -At "
	    "-v ON_ERROR_STOP=1 -h '%s' -p '%s' -U '%s' -d '%s' -c \"%s\"",
	    pass, host, port, user, name, sql);
	cr_assert_not_null(fp = popen(cmd, "r"));
	cr_assert_not_null(fgets(out, sizeof(out), fp), "no value: %s", sql);
	cr_assert_eq(pclose(fp), 0, "psql failed on: %s", sql);
	v = strtoll(out, NULL, 10);

	return (v);
}

static size_t
slot_collect(char *data, size_t size, size_t n, void *arg)
{
	struct slot	*s = arg;
	size_t		len = size * n;

	s->body = realloc(s->body, s->len + len + 1);
	cr_assert_not_null(s->body);
	memcpy(s->body + s->len, data, len);
	s->len += len;
	s->body[s->len] = '\0';

	return (len);
}

static void
slot_start(CURLM *m, struct slot *s, const char *method, const char *path,
    const char *token, const char *body)
{
	free(s->body);
	s->body = NULL;
	s->len = 0;
	free(s->sent);
	s->sent = body != NULL ? strdup(body) : NULL;
	curl_slist_free_all(s->hdrs);
	s->hdrs = curl_slist_append(NULL, h_fmt("Authorization: Bearer %s",
	    token));
	s->hdrs = curl_slist_append(s->hdrs, "Content-Type: application/json");
	s->hdrs = curl_slist_append(s->hdrs, "Expect:");

	curl_easy_setopt(s->c, CURLOPT_URL, h_fmt("%s%s", h_base_url(), path));
	curl_easy_setopt(s->c, CURLOPT_CUSTOMREQUEST, method);
	if (s->sent != NULL) {
		curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, s->sent);
		curl_easy_setopt(s->c, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(s->sent));
	} else
		curl_easy_setopt(s->c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, slot_collect);
	curl_easy_setopt(s->c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->c, CURLOPT_TIMEOUT, 30L);
	s->started = now_ms();
	cr_assert_eq(curl_multi_add_handle(m, s->c), CURLM_OK);
}

static void
slot_done(CURLM *m, struct slot *s)
{
	curl_multi_remove_handle(m, s->c);
}

static pid_t
spawn_admin(const char *args)
{
	char		*out;
	pid_t		pid;
	int		rc;

	fflush(NULL);
	cr_assert((pid = fork()) != -1);
	if (pid == 0) {
		rc = h_admin(args, NULL, &out);
		_exit(rc == 0 ? 0 : 1);
	}
	return (pid);
}

static pid_t
spawn_revoke(const char *refresh)
{
	struct h_resp	*r;
	pid_t		pid;

	fflush(NULL);
	cr_assert((pid = fork()) != -1);
	if (pid == 0) {
		r = h_post("/api/v1/auth/token/revoke/", NULL,
		    h_fmt("{\"refresh\":\"%s\"}", refresh));
		_exit(r->status == 204 ? 0 : 1);
	}
	return (pid);
}

/*
 * Hammer GET path with token on CONNS connections; once served at least
 * once each, run the change (a child process) and go on until 1 s after
 * it has finished. Every request that started after the change finished
 * must be answered want_status with want_code.
 */
static void
hammer_through(const char *path_in, const char *token, pid_t (*change)(
    const char *), const char *arg_in, long want_status,
    const char *want_code)
{
	char		*path, *arg;
	struct slot	slots[CONNS];
	CURLM		*m;
	CURLMsg		*msg;
	struct slot	*s;
	json_t		*j;
	double		done_at, deadline, last_ok, took, slowest;
	long		status;
	pid_t		pid;
	int		running, i, left, wst, before, after, refused;
	int		active;

	/* Copies: h_fmt()'s buffers are reused by every request. */
	path = strdup(path_in);
	arg = strdup(arg_in);
	m = curl_multi_init();
	cr_assert_not_null(m);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < CONNS; i++) {
		slots[i].c = curl_easy_init();
		slot_start(m, &slots[i], "GET", path, token, NULL);
	}

	active = CONNS;
	pid = -1;
	done_at = -1;
	last_ok = -1;
	before = after = refused = 0;
	slowest = 0;
	deadline = now_ms() + 20000;
	for (;;) {
		cr_assert_eq(curl_multi_perform(m, &running), CURLM_OK);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			cr_assert_eq(msg->data.result, CURLE_OK, "%s",
			    curl_easy_strerror(msg->data.result));
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE,
			    &status);
			slot_done(m, s);
			took = now_ms() - s->started;
			if (done_at >= 0 && took > slowest)
				slowest = took;

			if (status == 200) {
				if (s->started > last_ok)
					last_ok = s->started;
				if (done_at < 0)
					before++;
			}
			if (done_at >= 0 && s->started > done_at) {
				after++;
				cr_assert_eq(status, want_status, "a request "
				    "that started %.1f ms after the change "
				    "was answered %ld: %s",
				    s->started - done_at, status, s->body);
				j = json_loads(s->body, 0, NULL);
				cr_assert_str_eq(json_string_value(
				    json_object_get(j, "code")), want_code);
				json_decref(j);
				refused++;
			}
			if (done_at < 0 || now_ms() < done_at + 1000)
				slot_start(m, s, "GET", path, token, NULL);
			else
				active--;
		}

		if (pid == -1 && before >= 2 * CONNS)
			pid = change(arg);
		if (pid > 0 && done_at < 0 &&
		    waitpid(pid, &wst, WNOHANG) == pid) {
			cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
			    "the change failed");
			done_at = now_ms();
		}
		if (active == 0)
			break;
		cr_assert_lt(now_ms(), deadline, "hammering did not end");
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}

	cr_assert_geq(before, 2 * CONNS, "served before the change");
	cr_assert_gt(after, CONNS, "requests after the change: %d (the "
	    "slowest answer since took %.1f ms)", after, slowest);
	/*
	 * The figure: the last served request started this long before.
	 * On stderr, into the suite's .build/test/test_kept.out.
	 */
	fprintf(stderr, "figure: %s: %d served before, %d started after the "
	    "change and all refused; the last served one started %.1f ms "
	    "before the change finished\n", path, before, refused,
	    done_at - last_ok);

	for (i = 0; i < CONNS; i++) {
		curl_easy_cleanup(slots[i].c);
		curl_slist_free_all(slots[i].hdrs);
		free(slots[i].body);
		free(slots[i].sent);
	}
	curl_multi_cleanup(m);
	free(path);
	free(arg);
}

Test(kept, deactivation_under_load)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*out;
	long long	pid;
	int		rc;

	h_new_tenant_unlimited("kept", &t);
	r = h_post(PROJECTS, t.access, "{\"name\":\"hammered\"}");
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	pid = h_int(r, "id");
	h_free(r);

	hammer_through(h_fmt("%s%lld/", PROJECTS, pid), t.access, spawn_admin,
	    h_fmt("set-tenant-active --tenant %s --active no", t.slug), 403,
	    "tenant_inactive");

	/* Reactivation counts from the very next request too. */
	rc = h_admin(h_fmt("set-tenant-active --tenant %s --active yes",
	    t.slug), NULL, &out);
	cr_assert_eq(rc, 0, "%s", out);
	free(out);
	r = h_get(h_fmt("%s%lld/", PROJECTS, pid), t.access);
	cr_assert_eq(r->status, 200, "right after reactivation: %ld %s",
	    r->status, r->body);
	h_free(r);
}

Test(kept, revocation_under_load)
{
	struct h_tenant	t;
	struct h_resp	*r, *other;

	h_new_tenant_unlimited("kept", &t);
	other = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":"
	    "\"%s\",\"password\":\"%s\"}", t.username, t.password));
	cr_assert_eq(other->status, 200, "%ld %s", other->status, other->body);

	hammer_through(PROJECTS, t.access, spawn_revoke, t.refresh, 401,
	    "token_not_valid");

	/* The other login of the same user goes on. */
	r = h_get(PROJECTS, h_str(other, "access"));
	cr_assert_eq(r->status, 200, "the other login: %ld %s", r->status,
	    r->body);
	h_free(r);
	h_free(other);
}

/* The writers' shared state: the projects, the tasks made so far. */
struct writes {
	CURLM		*m;
	const char	*token;
	long long	proj[NPROJ];
	long long	ids[WRITE_OPS];
	int		nids;
	int		started;
};

static const char *const statuses[] = { "todo", "in_progress", "done" };

/* The next write on s: create (first, and 1 in 4), delete, move, status. */
static void
write_next(struct writes *w, struct slot *s)
{
	long long	id;

	s->op = w->nids < 8 ? 0 : rand() % 4;
	id = w->nids > 0 ? w->ids[rand() % w->nids] : 0;
	switch (s->op) {
	case 0:
		slot_start(w->m, s, "POST", TASKS, w->token, h_fmt(
		    "{\"project\":%lld,\"title\":\"t%d\",\"status\":\"%s\"}",
		    w->proj[rand() % NPROJ], w->started, statuses[rand() % 3]));
		break;
	case 1:
		slot_start(w->m, s, "DELETE", h_fmt("%s%lld/", TASKS, id),
		    w->token, NULL);
		break;
	case 2:
		slot_start(w->m, s, "PATCH", h_fmt("%s%lld/", TASKS, id),
		    w->token, h_fmt("{\"project\":%lld}",
		    w->proj[rand() % NPROJ]));
		break;
	default:
		slot_start(w->m, s, "PATCH", h_fmt("%s%lld/", TASKS, id),
		    w->token, h_fmt("{\"status\":\"%s\"}",
		    statuses[rand() % 3]));
		break;
	}
	w->started++;
}

/*
 * Creates, deletes, status changes and moves of tasks between NPROJ
 * projects on CONNS connections at once; then every kept count equals a
 * real count(*) and every kept body the JSON built from the row.
 */
Test(kept, counts_after_concurrent_writes)
{
	struct h_tenant	t;
	struct h_resp	*r;
	struct slot	slots[CONNS];
	struct writes	w;
	long long	total, n;
	CURLMsg		*msg;
	struct slot	*s;
	json_t		*j, *by;
	long		status;
	int		running, left, i;

	h_new_tenant_unlimited("kept", &t);
	memset(&w, 0, sizeof(w));
	w.token = t.access;
	for (i = 0; i < NPROJ; i++) {
		r = h_post(PROJECTS, t.access, h_fmt("{\"name\":\"p%d\"}", i));
		cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
		w.proj[i] = h_int(r, "id");
		h_free(r);
	}

	srand(4242);
	w.m = curl_multi_init();
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < CONNS; i++) {
		slots[i].c = curl_easy_init();
		write_next(&w, &slots[i]);
	}
	for (;;) {
		cr_assert_eq(curl_multi_perform(w.m, &running), CURLM_OK);
		while ((msg = curl_multi_info_read(w.m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			cr_assert_eq(msg->data.result, CURLE_OK);
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE,
			    &status);
			slot_done(w.m, s);
			if (s->op == 0) {
				cr_assert_eq(status, 201, "%ld %s", status,
				    s->body);
				j = json_loads(s->body, 0, NULL);
				w.ids[w.nids++] = json_integer_value(
				    json_object_get(j, "id"));
				json_decref(j);
			} else {
				/* Deleted by another request meanwhile: 404. */
				cr_assert(status == 200 || status == 204 ||
				    status == 404, "op %d: %ld %s", s->op,
				    status, s->body);
			}
			if (w.started < WRITE_OPS)
				write_next(&w, s);
		}
		if (running == 0 && w.started >= WRITE_OPS)
			break;
		curl_multi_poll(w.m, NULL, 0, 10, NULL);
	}
	for (i = 0; i < CONNS; i++) {
		curl_easy_cleanup(slots[i].c);
		curl_slist_free_all(slots[i].hdrs);
		free(slots[i].body);
		free(slots[i].sent);
	}
	curl_multi_cleanup(w.m);

	/* A rename: the tasks' bodies show the new name. */
	r = h_send_json("PATCH", h_fmt("%s%lld/", PROJECTS, w.proj[0]),
	    t.access, json_pack("{s:s}", "name", "p0 renamed"));
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);

	total = 0;
	for (i = 0; i < NPROJ; i++) {
		n = db_value(h_fmt("SELECT count(*) FROM tasks WHERE "
		    "project_id = %lld", w.proj[i]));
		total += n;
		r = h_get(h_fmt("%s%lld/", PROJECTS, w.proj[i]), t.access);
		cr_assert_eq(r->status, 200);
		cr_expect_eq(h_int(r, "tasks_count"), n, "project %d: "
		    "tasks_count %lld, count(*) %lld", i,
		    h_int(r, "tasks_count"), n);
		h_free(r);
		r = h_get(h_fmt("%s%lld/tasks/", PROJECTS, w.proj[i]),
		    t.access);
		cr_expect_eq(h_int(r, "count"), n, "project %d's task list",
		    i);
		h_free(r);
	}
	cr_assert_gt(total, 0, "no tasks left to count");

	r = h_get(PROJECTS "statistics/", t.access);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	j = json_object_get(r->json, "tasks");
	cr_expect_eq(json_integer_value(json_object_get(j, "total")), total);
	by = json_object_get(j, "by_status");
	n = db_value(h_fmt("SELECT count(*) FROM projects p JOIN tenants tn "
	    "ON tn.id = p.tenant_id WHERE tn.slug = '%s' AND EXISTS (SELECT 1 "
	    "FROM tasks x WHERE x.tenant_id = p.tenant_id AND x.project_id = "
	    "p.id)", t.slug));
	cr_expect_eq(h_int(r, "projects_with_tasks"), n);
	for (i = 0; i < 3; i++) {
		n = db_value(h_fmt("SELECT count(*) FROM tasks t JOIN tenants "
		    "tn ON tn.id = t.tenant_id WHERE tn.slug = '%s' AND "
		    "t.status = '%s'", t.slug, statuses[i]));
		cr_expect_eq(json_integer_value(json_object_get(by,
		    statuses[i])), n, "tasks %s", statuses[i]);
	}
	h_free(r);
	for (i = 0; i < 3; i++) {
		n = db_value(h_fmt("SELECT count(*) FROM tasks t JOIN tenants "
		    "tn ON tn.id = t.tenant_id WHERE tn.slug = '%s' AND "
		    "t.status = '%s'", t.slug, statuses[i]));
		r = h_get(h_fmt("%s?status=%s", TASKS, statuses[i]), t.access);
		cr_expect_eq(h_int(r, "count"), n, "task list ?status=%s",
		    statuses[i]);
		h_free(r);
	}

	/* The kept bodies are the JSON the API functions build. */
	cr_expect_eq(db_value(h_fmt("SELECT count(*) FROM tasks t JOIN "
	    "tenants tn ON tn.id = t.tenant_id WHERE tn.slug = '%s' AND "
	    "t.body IS DISTINCT FROM api.task_json(t, (SELECT p.name FROM "
	    "projects p WHERE p.tenant_id = t.tenant_id AND p.id = "
	    "t.project_id))::text", t.slug)), 0, "task bodies");
	cr_expect_eq(db_value(h_fmt("SELECT count(*) FROM projects p JOIN "
	    "tenants tn ON tn.id = p.tenant_id WHERE tn.slug = '%s' AND "
	    "p.body IS DISTINCT FROM api.project_json(p)::text", t.slug)), 0,
	    "project bodies");
}

/*
 * Two transactions that write one tenant's counts never wait for each
 * other (sql/V012): while one has created a task and not committed,
 * another connection's create in another project of the same tenant
 * goes through at once, and the statistics count both. With one counts
 * row per tenant, the second waited for the first's commit, fsync
 * included: under load, most of POST /api/v1/tasks/'s database time.
 */
Test(kept, count_writers_do_not_wait, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	PGconn		*a, *b;
	const char	*params[2];
	char		proj[2][24];
	long long	before;
	int		i;

	h_new_tenant_unlimited("kwait", &t);
	for (i = 0; i < 2; i++) {
		r = h_post(PROJECTS, t.access, h_fmt("{\"name\":\"w%d\"}", i));
		cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
		(void)snprintf(proj[i], sizeof(proj[i]), "%lld",
		    h_int(r, "id"));
		h_free(r);
	}
	before = db_value(h_fmt("SELECT count(*) FROM tasks WHERE "
	    "tenant_id = '%s'", t.id));

	a = h_db_open();
	b = h_db_open();
	params[0] = t.id;
	params[1] = proj[0];
	PQclear(h_db_query(a, "BEGIN", 0, NULL));
	PQclear(h_db_query(a, "INSERT INTO tasks (tenant_id, project_id, "
	    "title) VALUES ($1::uuid, $2::bigint, 'open')", 2, params));

	/* a's counts are written and not committed: fail rather than wait. */
	PQclear(h_db_query(b, "SET lock_timeout = '2s'", 0, NULL));
	params[1] = proj[1];
	PQclear(h_db_query(b, "INSERT INTO tasks (tenant_id, project_id, "
	    "title) VALUES ($1::uuid, $2::bigint, 'beside')", 2, params));
	PQclear(h_db_query(a, "COMMIT", 0, NULL));
	PQfinish(a);
	PQfinish(b);

	r = h_get(PROJECTS "statistics/", t.access);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "tasks"), "total")), before + 2);
	cr_expect_eq(h_int(r, "projects_with_tasks"), db_value(h_fmt(
	    "SELECT count(DISTINCT project_id) FROM tasks WHERE tenant_id = "
	    "'%s'", t.id)));
	h_free(r);
	r = h_get(TASKS, t.access);
	cr_expect_eq(h_int(r, "count"), before + 2);
	h_free(r);
}
