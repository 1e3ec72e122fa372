/*
 * Database outage: PostgreSQL stops under the running servers, which must
 * answer 503 (JSON, Retry-After, nothing internal) and come back by
 * themselves when it returns. Runs last (name order): it stops the
 * database every other suite uses. The two outage tests take a lock, so
 * that they do not overlap when Criterion runs them in parallel.
 *
 * Last of all, the servers' whole logs are searched for secrets.
 */

#include <sys/file.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static int	lock_fd = -1;
static int	pg_down;

static void	outage_init(void);
static void	outage_fini(void);
static void	pg(const char *);
static int	sql_int(const char *);
static int	log_count(const char *);
static void	wait_healthy(const char *, long);
static void	wait_ready(long);
static void	assert_503(struct h_resp *, const char *);
static int	warm_up_for(const char *, long);
static void	warm_up(const char *);

Test(outage, answers_503_then_recovers, .init = outage_init,
    .fini = outage_fini, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		buf[64];
	long		start;
	int		n;

	h_new_tenant("outage", &t);
	r = h_get("/api/v1/projects/", h_token(H_ACME));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);

	pg("stop");

	r = h_get("/health/", NULL);
	cr_assert_eq(r->status, 503, "%ld %s", r->status, r->body);
	cr_assert_not_null(r->json, "%s", r->body);
	cr_assert_str_eq(h_str(r, "status"), "unhealthy");
	cr_assert_str_eq(h_str(r, "database"), "unavailable");
	cr_assert_not_null(h_header(r, "retry-after", buf, sizeof(buf)),
	    "503 without Retry-After");
	cr_assert_gt(atol(buf), 0, "Retry-After: %s", buf);
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
	h_free(r);

	/* Readiness on the operator listener: not ready, in JSON. */
	r = h_req_url("GET", h_fmt("%s/health/ready/", h_ops_url()), NULL,
	    NULL, NULL);
	cr_assert_eq(r->status, 503, "%ld %s", r->status, r->body);
	cr_assert_not_null(r->json, "%s", r->body);
	cr_assert_str_eq(h_str(r, "status"), "not_ready");
	cr_assert_str_eq(h_str(r, "database"), "unavailable");
	cr_assert_not_null(h_header(r, "retry-after", buf, sizeof(buf)));
	h_free(r);

	/* Every kind of request that needs the database. */
	r = h_get("/api/v1/projects/", h_token(H_ACME));
	assert_503(r, "resource list");
	h_free(r);
	r = h_get("/api/v1/projects/statistics/", h_token(H_ACME));
	assert_503(r, "statistics");
	h_free(r);
	r = h_post("/api/v1/projects/", t.access,
	    "{\"name\":\"made during the outage\"}");
	assert_503(r, "create");
	h_free(r);
	/* A login is not "wrong password" while the database is away. */
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":\"%s\"}", t.username, t.password));
	assert_503(r, "login");
	h_free(r);
	r = h_post("/api/v1/auth/token/refresh/", NULL, h_fmt(
	    "{\"refresh\":\"%s\"}", t.refresh));
	assert_503(r, "refresh");
	h_free(r);

	/* Still no SQL, no database involved: unchanged answers. */
	r = h_get("/health/live/", NULL);
	cr_assert_eq(r->status, 200, "liveness needs no database: %ld",
	    r->status);
	h_free(r);
	r = h_get("/api/v1/projects/", NULL);
	cr_assert_eq(r->status, 401);
	h_free(r);

	/* The servers must find the database again by themselves. */
	pg("start");
	start = h_now_ms();
	wait_healthy(h_base_url(), 10000);
	cr_log_info("HTTP server healthy %ld ms after the restart",
	    h_now_ms() - start);
	wait_ready(10000);

	/*
	 * Resources too, within the same time. (That a request may still
	 * meet a connection that died unseen is the next test's concern.)
	 */
	n = warm_up_for(h_base_url(), 10000 - (h_now_ms() - start));
	if (n > 0)
		cr_log_warn("%d resource requests failed after /health/ was "
		    "200 again", n);

	/* The write of the outage did not happen; the login works now. */
	r = h_get("/api/v1/projects/", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
	h_free(r);
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":\"%s\"}", t.username, t.password));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	r = h_post("/api/v1/projects/", t.access, "{\"name\":\"after\"}");
	cr_assert_eq(r->status, 201, "%s", r->body);
	h_free(r);
}

/*
 * A database restart while the servers are idle (a failover, a
 * maintenance restart at night): their pooled connections die unseen.
 * Once the database is back, not a single request may get a 503: a
 * connection found dead is reopened and the statement sent again.
 */
Test(outage, restart_while_idle_costs_no_request, .init = outage_init,
    .fini = outage_fini, .timeout = 120)
{
	struct h_resp	*r;
	int		i, bad_http, bad_tls;
	long		first_http, first_tls;

	/*
	 * Open pooled connections in the workers of both servers: twelve
	 * answers in a row from each (an earlier outage may have left dead
	 * connections behind, the very fault this test is about: they are
	 * used up here, so that the check below sees this restart alone).
	 */
	warm_up(h_base_url());
	warm_up(h_env("MTAPI_TEST_TLS_URL"));

	pg("stop");
	pg("start");	/* returns once it accepts connections */

	bad_http = bad_tls = 0;
	first_http = first_tls = 0;
	for (i = 0; i < 12; i++) {
		r = h_get("/api/v1/projects/", h_token(H_ACME));
		if (r->status != 200 && bad_http++ == 0)
			first_http = r->status;
		h_free(r);
		r = h_req_url("GET", h_fmt("%s/api/v1/projects/",
		    h_env("MTAPI_TEST_TLS_URL")), h_token(H_ACME), NULL, NULL);
		if (r->status != 200 && bad_tls++ == 0)
			first_tls = r->status;
		h_free(r);
	}
	cr_assert(bad_http == 0 && bad_tls == 0, "with the database up "
	    "again, %d of 12 HTTP requests (first: %ld) and %d of 12 TLS "
	    "requests (first: %ld) failed", bad_http, first_http, bad_tls,
	    first_tls);
}

/*
 * A connection that breaks under a statement (its server process is
 * killed: PostgreSQL recovers from the crash) is a 503, and no worker
 * dies of it: libpq has closed that socket, and Kore's release of the
 * connection took it out of epoll again, fatally ("Bad file descriptor").
 */
Test(outage, a_connection_killed_under_a_statement_is_503,
    .init = outage_init, .fini = outage_fini, .timeout = 120)
{
	FILE		*fp;
	char		cmd[4096], status[16];
	int		pid, i, exits;

	warm_up(h_base_url());
	exits = log_count("exited with status");

	/* A lock that the list below waits for, in a session of our own. */
	(void)snprintf(cmd, sizeof(cmd), "%s/tools/dev/pg.sh psql -d %s -c "
	    "'BEGIN; LOCK TABLE projects IN ACCESS EXCLUSIVE MODE; "
	    "SELECT pg_sleep(30)' >/dev/null 2>&1 &",
	    h_env("MTAPI_TEST_ROOT"), h_env("DB_NAME"));
	cr_assert_eq(system(cmd), 0);
	for (i = 0; sql_int("SELECT count(*) FROM pg_locks WHERE relation = "
	    "'projects'::regclass AND mode = 'AccessExclusiveLock' AND "
	    "granted") == 0; i++) {
		cr_assert_lt(i, 100, "the lock was not taken");
		h_sleep_ms(100);
	}

	(void)snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -m 30 "
	    "-w '%%{http_code}' -H 'Authorization: Bearer %s' "
	    "%s/api/v1/projects/", h_token(H_ACME), h_base_url());
	cr_assert_not_null(fp = popen(cmd, "r"));

	/* Its statement waits in the server process we kill. */
	for (i = 0; (pid = sql_int(h_fmt("SELECT coalesce(max(pid), 0) FROM "
	    "pg_stat_activity WHERE usename = '%s' AND wait_event_type = "
	    "'Lock'", h_env("DB_USER")))) == 0; i++) {
		cr_assert_lt(i, 100, "no statement waits for the lock");
		h_sleep_ms(100);
	}
	pg_down = 1;
	cr_assert_eq(kill(pid, SIGKILL), 0, "kill %d: %s", pid,
	    strerror(errno));

	memset(status, 0, sizeof(status));
	if (fgets(status, sizeof(status), fp) == NULL)
		status[0] = '\0';
	pclose(fp);
	cr_assert_str_eq(status, "503", "the broken statement's answer: "
	    "'%s' (000: the connection closed without one)", status);

	/* PostgreSQL is back by itself; the servers find it again. */
	wait_healthy(h_base_url(), 30000);
	pg_down = 0;
	cr_assert_eq(log_count("exited with status"), exits,
	    "a worker died (%s)", h_env("MTAPI_TEST_HTTP_LOG"));
}

/*
 * The end of the suite: nothing any test did put a secret of the fixture
 * or of the settings into either server's log.
 */
Test(zz_logs, no_secret_in_the_whole_logs)
{
	json_t		*secrets;
	size_t		i;
	char		*log, *dir, *copy, path[1024];
	const char	*logs[2];

	secrets = h_secrets();

	logs[0] = h_env("MTAPI_TEST_HTTP_LOG");
	copy = strdup(logs[0]);
	dir = dirname(copy);
	(void)snprintf(path, sizeof(path), "%s/tls.log", dir);
	free(copy);
	logs[1] = access(path, R_OK) == 0 ? path : NULL;

	for (i = 0; i < 2 && logs[i] != NULL; i++) {
		log = h_read_file(logs[i], NULL);
		h_assert_no_secret(secrets, log, logs[i]);
		free(log);
	}
	json_decref(secrets);
}

/* One outage at a time; a restart-proof database afterwards. */
static void
outage_init(void)
{
	char		*copy, path[1024];

	copy = strdup(h_env("MTAPI_TEST_FIXTURE"));
	(void)snprintf(path, sizeof(path), "%s/outage.lock", dirname(copy));
	free(copy);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(lock_fd != -1, "%s: %s", path, strerror(errno));
	cr_assert_eq(flock(lock_fd, LOCK_EX), 0);

	/* Whatever ran before us must have left a healthy server. */
	wait_healthy(h_base_url(), 15000);
}

/* Runs after a failed assertion too: the database must come back. */
static void
outage_fini(void)
{
	if (pg_down)
		pg("start");
	if (lock_fd != -1) {
		wait_healthy(h_base_url(), 15000);
		close(lock_fd);
		lock_fd = -1;
	}
}

static void
pg(const char *what)
{
	char		cmd[2048];
	int		rc;

	(void)snprintf(cmd, sizeof(cmd), "%s/tools/dev/pg.sh %s >/dev/null",
	    h_env("MTAPI_TEST_ROOT"), what);
	if (!strcmp(what, "stop"))
		pg_down = 1;
	rc = system(cmd);
	cr_assert_eq(rc, 0, "%s failed (%d)", cmd, rc);
	if (!strcmp(what, "start"))
		pg_down = 0;
}

/* GET base/health/ until 200, for at most ms. */
static void
wait_healthy(const char *base, long ms)
{
	struct h_resp	*r;
	long		start, status;

	start = h_now_ms();
	for (;;) {
		r = h_req_url("GET", h_fmt("%s/health/", base), NULL, NULL,
		    NULL);
		status = r->status;
		h_free(r);
		if (status == 200)
			return;
		cr_assert(h_now_ms() - start < ms, "%s/health/ still %ld after "
		    "%ld ms", base, status, ms);
		h_sleep_ms(250);
	}
}

static void
assert_503(struct h_resp *r, const char *what)
{
	const char	*leaks[] = { "SELECT", "select ", "api.", "postgres",
			    "PostgreSQL", "libpq", "connection", "Connection",
			    "refused", "socket", "127.0.0.1", ".c:", NULL };
	char		buf[64];
	size_t		i;
	void		*iter;

	cr_assert_eq(r->status, 503, "%s: %ld %s", what, r->status, r->body);
	cr_assert_not_null(r->json, "%s: not JSON: %s", what, r->body);
	cr_assert_str_eq(h_str(r, "code"), "service_unavailable", "%s: %s",
	    what, r->body);
	cr_assert_not_null(h_str(r, "detail"));
	/* detail and code, nothing else. */
	for (iter = json_object_iter(r->json); iter != NULL;
	    iter = json_object_iter_next(r->json, iter)) {
		cr_assert(!strcmp(json_object_iter_key(iter), "detail") ||
		    !strcmp(json_object_iter_key(iter), "code"),
		    "%s: unexpected field %s", what,
		    json_object_iter_key(iter));
	}
	for (i = 0; leaks[i] != NULL; i++)
		cr_assert_null(strstr(r->body, leaks[i]), "%s leaks '%s': %s",
		    what, leaks[i], r->body);
	cr_assert_not_null(h_header(r, "retry-after", buf, sizeof(buf)),
	    "%s: 503 without Retry-After", what);
	cr_assert_gt(atol(buf), 0, "Retry-After: %s", buf);
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
}

/*
 * Resource requests to the server at base until twelve in a row answer
 * 200, for at most ms; returns how many failed before.
 */
static int
warm_up_for(const char *base, long ms)
{
	struct h_resp	*r;
	long		start, status;
	int		ok, failed;

	start = h_now_ms();
	for (ok = failed = 0; ok < 12;) {
		r = h_req_url("GET", h_fmt("%s/api/v1/projects/", base),
		    h_token(H_ACME), NULL, NULL);
		status = r->status;
		h_free(r);
		if (status == 200) {
			ok++;
			continue;
		}
		ok = 0;
		failed++;
		cr_assert(h_now_ms() - start < ms, "%s/api/v1/projects/ still "
		    "%ld after %ld ms", base, status, ms);
		h_sleep_ms(100);
	}

	return (failed);
}

static void
warm_up(const char *base)
{
	(void)warm_up_for(base, 10000);
}
/* The first value of a one-row query, as an integer (-1 on failure). */
static int
sql_int(const char *sql)
{
	FILE		*fp;
	char		cmd[4096], line[64];
	int		v;

	(void)snprintf(cmd, sizeof(cmd), "%s/tools/dev/pg.sh psql -d %s -At "
	    "-c \"%s\" 2>/dev/null", h_env("MTAPI_TEST_ROOT"),
	    h_env("DB_NAME"), sql);
	if ((fp = popen(cmd, "r")) == NULL)
		return (-1);
	v = -1;
	if (fgets(line, sizeof(line), fp) != NULL)
		v = atoi(line);
	pclose(fp);

	return (v);
}

/* Lines of the HTTP server's log holding s. */
static int
log_count(const char *s)
{
	FILE		*fp;
	char		line[4096];
	int		n;

	cr_assert_not_null(fp = fopen(h_env("MTAPI_TEST_HTTP_LOG"), "r"));
	n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, s) != NULL)
			n++;
	}
	fclose(fp);

	return (n);
}

/* The operator listener's readiness is 200 again within ms. */
static void
wait_ready(long ms)
{
	struct h_resp	*r;
	long		deadline, status;

	deadline = h_now_ms() + ms;
	for (;;) {
		r = h_req_url("GET", h_fmt("%s/health/ready/", h_ops_url()),
		    NULL, NULL, NULL);
		status = r->status;
		if (status == 200) {
			cr_assert_str_eq(h_str(r, "status"), "ready");
			h_free(r);
			return;
		}
		h_free(r);
		cr_assert(h_now_ms() < deadline, "/health/ready/ still %ld "
		    "%ld ms after the restart", status, ms);
		h_sleep_ms(100);
	}
}
