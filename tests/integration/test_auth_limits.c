/*
 * Rate limits over HTTP: the per-tenant request limit (X-RateLimit-*
 * headers, 429 throttled with Retry-After) and the throttling of failed
 * logins per account at an address and per address.
 *
 * What these tests assume of the server, from src/ratelimit.c and
 * sql/R__020_auth.sql:
 *  - Limits count in fixed one-minute windows (minutes since the epoch).
 *    A test that must stay in one window waits for a fresh one when the
 *    current one is nearly over.
 *  - A server worker learns a tenant's limit from the database with the
 *    tenant's first request (until then it applies the default, and
 *    reports it in X-RateLimit-Limit), and reconciles its counts with the
 *    other workers every 200 ms. The exact-count test therefore sends
 *    every request over one keep-alive connection (one worker); the
 *    cross-connection test allows one request admitted by a worker that
 *    sees the tenant for the first time.
 *  - Failed logins count per client IP and per account at that IP. Each
 *    test fails logins from addresses of its own (127.13.y.z and up), so
 *    that the limit of 127.0.0.1, shared by every test, is never touched.
 *  - A login attempt is counted before its password is checked (and given
 *    back if it succeeds), so parallel guesses cannot pass the limit; and
 *    a worker checks at most AUTH_LOGINS_IN_FLIGHT_PER_IP (4 by default,
 *    as in the suite) passwords of one address at a time.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define LOGIN		"/api/v1/auth/token/"

/* This file's second address octet: 127.13.y.z. */
#define IP_OCTET	13

/* n login bodies for username (wrong passwords), for h_req_parallel(). */
static char **
login_bodies(const char *username, size_t n)
{
	char		**bodies;
	json_t		*o;
	size_t		i;

	bodies = calloc(n, sizeof(*bodies));
	cr_assert_not_null(bodies);
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s}", "username", username != NULL ?
		    username : h_unique("ghost"), "password",
		    "wrong-password", NULL);
		bodies[i] = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}

	return (bodies);
}

static void
bodies_free(char **bodies, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
}

/* A header's value as a number; fails the test if it is absent. */
static long
header_long(struct h_resp *r, const char *name)
{
	char		buf[64], *end;
	long		v;

	cr_assert_not_null(h_header(r, name, buf, sizeof(buf)),
	    "no %s header: %ld %s", name, r->status, r->body);
	v = strtol(buf, &end, 10);
	cr_assert(end != buf && *end == '\0', "%s: %s", name, buf);

	return (v);
}

/* 429 throttled with a Retry-After within what is left of the window. */
static void
assert_throttled(struct h_resp *r, const char *what)
{
	long		retry;

	cr_assert_eq(r->status, 429, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "throttled", "%s: %s", what,
	    r->body);
	cr_assert_not_null(h_str(r, "detail"));
	retry = header_long(r, "retry-after");
	cr_assert(retry >= 1 && retry <= 60, "%s: Retry-After %ld", what,
	    retry);
	cr_assert(retry <= 60 - time(NULL) % 60 + 1, "%s: Retry-After %ld "
	    "goes past the end of the window", what, retry);
	cr_assert_null(h_str(r, "access"), "%s: %s", what, r->body);
	cr_assert_null(json_object_get(r->json, "results"));
}

/*
 * Make sure at least need seconds are left of the current one-minute
 * window, waiting for the next one if not.
 */
static void
fresh_window(int need)
{
	time_t		now;

	now = time(NULL);
	if (now % 60 + need >= 59) {
		sleep((unsigned int)(60 - now % 60 + 1));
		cr_log_info("waited for a new rate limit window");
	}
}

/* ---- the per-tenant request limit ---- */

Test(rate_limit, headers_on_authenticated_responses)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURL		*c;
	long		first;
	int		reused;
	const long	limit = 1000;

	h_new_tenant("rlhdr", &t);
	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute %ld", t.slug,
	    limit), NULL, NULL);
	fresh_window(10);
	cr_assert((c = curl_easy_init()) != NULL);

	/* The first request: the worker's limit before it learns ours. */
	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	first = header_long(r, "x-ratelimit-remaining");
	cr_assert(header_long(r, "x-ratelimit-limit") > 0);
	cr_assert(first >= 0 && first < header_long(r, "x-ratelimit-limit"),
	    "remaining %ld", first);
	h_free(r);

	/* A 404 and a 400 are charged and carry the headers too. */
	r = h_req_on(c, NULL, "GET", "/api/v1/projects/987654321/", t.access,
	    NULL, &reused);
	cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
	cr_assert(reused, "the connection was not kept alive");
	cr_assert_eq(header_long(r, "x-ratelimit-limit"), limit);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), limit - 2);
	h_free(r);

	r = h_req_on(c, NULL, "POST", PROJECTS, t.access, "{}", NULL);
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	cr_assert_eq(header_long(r, "x-ratelimit-limit"), limit);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), limit - 3);
	h_free(r);

	/* Unauthenticated requests are charged to no tenant. */
	r = h_req_on(c, NULL, "GET", PROJECTS, NULL, NULL, NULL);
	cr_assert_eq(r->status, 401);
	h_free(r);

	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, &reused);
	cr_assert_eq(r->status, 200);
	cr_assert(reused, "the connection was not kept alive");
	cr_assert_eq(header_long(r, "x-ratelimit-limit"), limit);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), limit - 4);
	h_free(r);

	curl_easy_cleanup(c);
}

/*
 * set-rate-limit 5: over one connection, requests 1..5 pass (the first
 * teaches the worker the limit), the 6th is 429 throttled.
 */
Test(rate_limit, tenant_limit_throttles, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURL		*c;
	int		i, reused;
	const int	limit = 5;

	h_new_tenant("rlten", &t);
	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute %d", t.slug,
	    limit), NULL, NULL);
	fresh_window(10);
	cr_assert((c = curl_easy_init()) != NULL);

	for (i = 1; i <= limit; i++) {
		r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, &reused);
		cr_assert_eq(r->status, 200, "request %d of %d: %ld %s", i,
		    limit, r->status, r->body);
		if (i > 1) {
			cr_assert(reused, "request %d: not on the same "
			    "connection", i);
			cr_assert_eq(header_long(r, "x-ratelimit-limit"),
			    limit, "request %d", i);
			cr_assert_eq(header_long(r, "x-ratelimit-remaining"),
			    limit - i, "request %d", i);
		} else {
			cr_assert(header_long(r, "x-ratelimit-limit") > 0);
			cr_assert(header_long(r, "x-ratelimit-remaining") >= 0);
		}
		h_free(r);
	}

	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, &reused);
	assert_throttled(r, "request limit + 1");
	cr_assert_eq(header_long(r, "x-ratelimit-limit"), limit);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), 0);
	h_free(r);

	/* Writes are throttled alike, and do not happen. */
	r = h_req_on(c, NULL, "POST", PROJECTS, t.access,
	    "{\"name\": \"throttled\"}", NULL);
	assert_throttled(r, "POST over the limit");
	h_free(r);

	/* Another tenant is not affected. */
	r = h_req_on(c, NULL, "GET", PROJECTS, h_token(H_INITECH), NULL, NULL);
	cr_assert_eq(r->status, 200, "another tenant: %ld %s", r->status,
	    r->body);
	h_free(r);

	curl_easy_cleanup(c);
}

/*
 * The limit holds for the tenant, not per connection: after it is used
 * up on one connection, new connections are throttled too (a worker that
 * has never seen the tenant may admit one request before it learns).
 */
Test(rate_limit, limit_is_per_tenant_not_per_connection, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURL		*c;
	int		i, admitted;
	const int	limit = 3;

	h_new_tenant("rlconn", &t);
	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute %d", t.slug,
	    limit), NULL, NULL);
	fresh_window(10);
	cr_assert((c = curl_easy_init()) != NULL);

	for (i = 1; i <= limit; i++) {
		r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
		cr_assert_eq(r->status, 200, "request %d: %ld %s", i,
		    r->status, r->body);
		h_free(r);
	}
	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
	assert_throttled(r, "over the limit");
	h_free(r);
	curl_easy_cleanup(c);

	/* Past a reconciliation (200 ms), on new connections. */
	usleep(600 * 1000);
	admitted = 0;
	for (i = 0; i < 6; i++) {
		r = h_req_on(NULL, NULL, "GET", PROJECTS, t.access, NULL, NULL);
		if (r->status == 200)
			admitted++;
		else
			assert_throttled(r, "new connection over the limit");
		h_free(r);
		usleep(300 * 1000);
	}
	cr_assert(admitted <= 1, "%d requests over the limit admitted on new "
	    "connections", admitted);
}

/*
 * Tokens that the principal check refuses (a revoked login: 401; a
 * revoked API client: 403) spend nothing of their tenant's limit (their
 * X-RateLimit-Remaining says so): hammering with them leaves the
 * tenant's valid users their whole budget. All over one keep-alive
 * connection (one worker), so that the count is exact.
 */
Test(rate_limit, refused_tokens_spend_nothing, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURL		*c;
	char		*out, id[128], secret[128], revoked[2048];
	char		client_access[2048];
	const char	*p;
	long		remaining;
	int		i;
	const int	limit = 5;

	h_new_tenant("rlrefund", &t);

	/* A second login of the user, logged out again. */
	r = h_login(NULL, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	(void)snprintf(revoked, sizeof(revoked), "%s", h_str(r, "access"));
	p = h_fmt("{\"refresh\":\"%s\"}", h_str(r, "refresh"));
	h_free(r);
	r = h_post("/api/v1/auth/token/revoke/", NULL, p);
	cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
	h_free(r);

	/* An API client with a token, revoked. */
	h_admin_ok(h_fmt("create-api-client --name refunded --tenant %s "
	    "--roles read --scopes read:projects", t.slug), NULL, &out);
	cr_assert_not_null(p = strstr(out, "client_id:"), "%s", out);
	cr_assert(sscanf(p, "client_id: %127s", id) == 1, "%s", out);
	cr_assert_not_null(p = strstr(out, "client_secret:"), "%s", out);
	cr_assert(sscanf(p, "client_secret: %127s", secret) == 1, "%s", out);
	free(out);
	r = h_client_login(NULL, id, secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	(void)snprintf(client_access, sizeof(client_access), "%s",
	    h_str(r, "access"));
	h_free(r);
	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);

	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute %d", t.slug,
	    limit), NULL, NULL);
	fresh_window(20);
	cr_assert((c = curl_easy_init()) != NULL);

	/* Two requests: the first teaches the worker the limit. */
	for (i = 0; i < 2; i++) {
		r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
		cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
		remaining = header_long(r, "x-ratelimit-remaining");
		h_free(r);
	}
	cr_assert_eq(remaining, limit - 2);

	for (i = 0; i < 3 * limit; i++) {
		r = h_req_on(c, NULL, "GET", PROJECTS, revoked, NULL, NULL);
		cr_assert_eq(r->status, 401, "revoked login, request %d: "
		    "%ld %s", i + 1, r->status, r->body);
		cr_assert_str_eq(h_str(r, "code"), "token_not_valid");
		cr_assert_eq(header_long(r, "x-ratelimit-remaining"),
		    limit - 2, "revoked login, request %d", i + 1);
		h_free(r);

		r = h_req_on(c, NULL, "GET", PROJECTS, client_access, NULL,
		    NULL);
		cr_assert_eq(r->status, 403, "revoked client, request %d: "
		    "%ld %s", i + 1, r->status, r->body);
		cr_assert_eq(header_long(r, "x-ratelimit-remaining"),
		    limit - 2, "revoked client, request %d", i + 1);
		h_free(r);
	}

	/* The valid user has what it had, less this one request. */
	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
	cr_assert_eq(r->status, 200, "the valid user after %d refused "
	    "requests: %ld %s", 6 * limit, r->status, r->body);
	cr_assert_eq(header_long(r, "x-ratelimit-limit"), limit);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), limit - 3);
	h_free(r);

	/* Past a reconciliation with the database, still so. */
	usleep(600 * 1000);
	r = h_req_on(c, NULL, "GET", PROJECTS, t.access, NULL, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_eq(header_long(r, "x-ratelimit-remaining"), limit - 4);
	h_free(r);

	curl_easy_cleanup(c);
}

/* ---- failed logins ---- */

/*
 * Failures count in one-minute windows: a test whose failures straddled
 * two windows proves nothing and runs again, from new addresses, in the
 * window it ended in (which then has most of its minute left).
 */
#define ATTEMPTS	3

/* A tenant of its own, tag in its id: nobody else's count moves. */
static long
own_tenant(char *buf, size_t len, unsigned int tag)
{
	(void)snprintf(buf, len, "%08x-0000-4000-%04x-%012lx",
	    (unsigned int)getpid(), tag & 0xffff, (unsigned long)h_now_ms());
	return ((long)(time(NULL) / 60));	/* the current window */
}

/*
 * Two syncs of the same tenant never wait for each other (sql/V010):
 * while one sync's transaction is still open, another connection's sync
 * answers at once, and the next one counts both. With one row per tenant
 * and window, the second waited for the first's commit: at 10,000
 * tenants, in chains of seconds on the request connections.
 */
Test(rate_limit, syncs_of_one_tenant_do_not_wait, .timeout = 60)
{
	PGconn		*a, *b;
	PGresult	*res;
	const char	*params[1];
	char		batch[256], tenant[37];
	long		w;

	w = own_tenant(tenant, sizeof(tenant), 0x8000);
	(void)snprintf(batch, sizeof(batch),
	    "[{\"t\":\"%s\",\"w\":%ld,\"n\":1}]", tenant, w);
	params[0] = batch;

	a = h_db_open();
	b = h_db_open();
	PQclear(h_db_query(a, "BEGIN", 0, NULL));
	PQclear(h_db_query(a, "SELECT * FROM api.ratelimit_sync($1::json)",
	    1, params));

	/* The first one's rows are still locked: fail rather than wait. */
	PQclear(h_db_query(b, "SET lock_timeout = '2s'", 0, NULL));
	res = h_db_query(b, "SELECT total FROM api.ratelimit_sync($1::json)",
	    1, params);
	cr_expect_eq(PQntuples(res), 1);
	PQclear(res);

	PQclear(h_db_query(a, "COMMIT", 0, NULL));
	/* Both counted: what b added, what a added, in that window. */
	(void)snprintf(batch, sizeof(batch),
	    "[{\"t\":\"%s\",\"w\":%ld,\"n\":0}]", tenant, w);
	res = h_db_query(b, "SELECT total FROM api.ratelimit_sync($1::json)",
	    1, params);
	cr_assert_eq(PQntuples(res), 1);
	cr_expect_geq(atol(PQgetvalue(res, 0, 0)), 2);
	PQclear(res);
	PQfinish(a);
	PQfinish(b);
}

/*
 * A worker's syncs name its writer (src/ratelimit.c), and write one row a
 * tenant and window whichever of its connections runs them. Before, the
 * row was the backend's: at 10,000 tenants a tenant had 8 rows a window,
 * and every sync summed them all.
 */
Test(rate_limit, a_writer_keeps_one_row_on_any_connection, .timeout = 60)
{
	PGconn		*a, *b;
	PGresult	*res;
	const char	*params[1];
	char		batch[256], tenant[37];
	long		w;

	w = own_tenant(tenant, sizeof(tenant), 0x9000);
	(void)snprintf(batch, sizeof(batch), "{\"writer\":%u,\"counts\":"
	    "[{\"t\":\"%s\",\"w\":%ld,\"n\":1}]}",
	    (unsigned int)getpid(), tenant, w);
	params[0] = batch;

	a = h_db_open();
	b = h_db_open();
	PQclear(h_db_query(a, "SELECT * FROM api.ratelimit_sync($1::json)",
	    1, params));
	res = h_db_query(b, "SELECT total FROM api.ratelimit_sync($1::json)",
	    1, params);
	cr_assert_eq(PQntuples(res), 1);
	cr_expect_eq(atol(PQgetvalue(res, 0, 0)), 2, "both counted");
	PQclear(res);

	params[0] = tenant;
	res = h_db_query(b, "SELECT count(*), sum(count) FROM rate_counters "
	    "WHERE tenant_id = $1::uuid", 1, params);
	cr_assert_eq(PQntuples(res), 1);
	cr_expect_str_eq(PQgetvalue(res, 0, 0), "1", "one row, not one "
	    "a connection");
	cr_expect_str_eq(PQgetvalue(res, 0, 1), "2");
	PQclear(res);
	PQfinish(a);
	PQfinish(b);
}

static int
window_changed(time_t start)
{
	if (time(NULL) / 60 == start / 60)
		return (0);
	cr_log_info("a rate limit window ended during the test: again");
	return (1);
}

/*
 * 10 failures for one account from one address: the 11th attempt, even
 * with the right password, is 429 throttled. The account is not locked
 * for other addresses, and the address is not locked for other accounts.
 */
Test(login_throttle, per_account_at_an_address, .timeout = 120)
{
	struct h_tenant	t, u;
	struct h_resp	*r, *r2;
	char		ip[32], other[32];
	time_t		start;
	int		i, attempt;

	h_new_tenant("ltacct", &t);
	h_new_tenant("ltacct2", &u);
	h_own_ip(IP_OCTET + ATTEMPTS, other, sizeof(other));

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		h_own_ip(IP_OCTET + attempt, ip, sizeof(ip));
		start = time(NULL);
		for (i = 1; i <= 10; i++) {
			r = h_login(ip, t.username, "wrong-password", NULL);
			cr_assert_eq(r->status, 401, "failure %d: %ld %s", i,
			    r->status, r->body);
			h_free(r);
		}
		r = h_login(ip, t.username, t.password, NULL);
		r2 = h_login(ip, t.username, "wrong-password", NULL);
		if (!window_changed(start))
			break;
		h_free(r);
		h_free(r2);
	}
	assert_throttled(r, "11th attempt, right password");
	assert_throttled(r2, "12th attempt, wrong password");
	h_free(r);
	h_free(r2);

	/* The same account from another address. */
	r = h_login(other, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "same account, another address: %ld %s",
	    r->status, r->body);
	h_free(r);

	/* Another account from the throttled address. */
	r = h_login(ip, u.username, u.password, NULL);
	cr_assert_eq(r->status, 200, "another account, same address: %ld %s",
	    r->status, r->body);
	h_free(r);
}

/* Nine failures are not yet throttled: the 10th try with the right
 * password succeeds. */
Test(login_throttle, below_the_limit_logs_in, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		ip[32];
	int		i;

	h_own_ip(IP_OCTET + ATTEMPTS + 1, ip, sizeof(ip));
	h_new_tenant("ltbelow", &t);

	for (i = 1; i <= 9; i++) {
		r = h_login(ip, t.username, "wrong-password", NULL);
		cr_assert_eq(r->status, 401, "failure %d: %ld %s", i,
		    r->status, r->body);
		h_free(r);
	}
	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "after 9 failures: %ld %s", r->status,
	    r->body);
	h_free(r);
}

/*
 * 50 failures from one address, each for another (unknown) account: the
 * address is throttled for every account, real ones with their right
 * password included, and for API client logins; other addresses are not.
 */
Test(login_throttle, per_address, .timeout = 300)
{
	struct h_tenant	t;
	struct h_resp	*r, *r2;
	char		ip[32], other[32];
	time_t		start;
	int		i, attempt;

	h_new_tenant("ltip", &t);
	h_own_ip(IP_OCTET + 2 * ATTEMPTS + 2, other, sizeof(other));

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		h_own_ip(IP_OCTET + ATTEMPTS + 2 + attempt, ip, sizeof(ip));
		start = time(NULL);
		for (i = 1; i <= 50; i++) {
			r = h_login(ip, h_unique("ghost"), "wrong-password",
			    NULL);
			cr_assert_eq(r->status, 401, "failure %d: %ld %s", i,
			    r->status, r->body);
			h_free(r);
		}
		r = h_login(ip, t.username, t.password, NULL);
		r2 = h_client_login(ip, h_client(H_ACME, "readonly",
		    "client_id"), h_client(H_ACME, "readonly",
		    "client_secret"));
		if (!window_changed(start))
			break;
		h_free(r);
		h_free(r2);
	}
	assert_throttled(r, "51st attempt from the address");
	assert_throttled(r2, "API client login from the throttled address");
	h_free(r);
	h_free(r2);

	r = h_login(other, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "another address: %ld %s", r->status,
	    r->body);
	h_free(r);
}

/*
 * Parallel guesses are counted before they are hashed: 5 waves of 3
 * wrong passwords at once (3: under the bound on one address's password
 * checks) for one account, limit 10 a minute. Exactly 10 are checked
 * (401), 5 are throttled (429). Counted after the hash, the fourth wave
 * (failures 10 to 12) all passed the check.
 */
Test(login_throttle, parallel_guesses_counted_before_hashing,
    .timeout = 300)
{
	struct h_tenant	t;
	struct h_resp	*r[3];
	char		ip[32], **bodies;
	time_t		start;
	int		attempt, wave, i, denied, throttled;

	h_new_tenant("ltpar", &t);
	bodies = login_bodies(t.username, 3);

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		h_own_ip(IP_OCTET + 13 + attempt, ip, sizeof(ip));
		start = time(NULL);
		denied = throttled = 0;
		for (wave = 0; wave < 5; wave++) {
			h_req_parallel(ip, "POST", LOGIN,
			    (const char *const *)bodies, 3, r);
			for (i = 0; i < 3; i++) {
				if (r[i]->status == 401) {
					denied++;
				} else {
					assert_throttled(r[i], "a parallel "
					    "guess over the limit");
					throttled++;
				}
				h_free(r[i]);
			}
		}
		if (!window_changed(start))
			break;
	}
	cr_assert_eq(denied, 10, "%d parallel guesses checked, limit 10",
	    denied);
	cr_assert_eq(throttled, 5);
	bodies_free(bodies, 3);
}

/*
 * 30 wrong passwords for one account at once from one address: at most
 * 10 are checked (401), the rest are throttled (429), whether by the
 * failure count or by the bound on the address's password checks.
 */
Test(login_throttle, parallel_flood_of_one_account, .timeout = 300)
{
	struct h_tenant	t;
	struct h_resp	*r[30];
	char		ip[32], **bodies;
	time_t		start;
	int		attempt, i, denied;

	h_new_tenant("ltflood", &t);
	bodies = login_bodies(t.username, 30);

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		h_own_ip(IP_OCTET + 16 + attempt, ip, sizeof(ip));
		start = time(NULL);
		h_req_parallel(ip, "POST", LOGIN, (const char *const *)bodies,
		    30, r);
		denied = 0;
		for (i = 0; i < 30; i++) {
			if (r[i]->status == 401)
				denied++;
			else
				assert_throttled(r[i], "flood over the limit");
			h_free(r[i]);
		}
		if (!window_changed(start))
			break;
	}
	cr_assert(denied <= 10, "%d of 30 parallel guesses checked, limit 10",
	    denied);
	bodies_free(bodies, 30);
}

/*
 * A worker checks at most a few passwords of one address at a time: 24
 * logins at once from one address, each for another (unknown) account,
 * under every failure limit. The ones over the bound get 429 with
 * Retry-After: 1 at once, without being hashed or counted as failures;
 * the address can log in right after.
 */
Test(login_throttle, hashing_bounded_per_address, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r[24];
	char		ip[32], **bodies, buf[16];
	int		i, denied, bounced;

	h_new_tenant("ltbound", &t);
	h_own_ip(IP_OCTET + 19, ip, sizeof(ip));
	bodies = login_bodies(NULL, 24);

	h_req_parallel(ip, "POST", LOGIN, (const char *const *)bodies, 24, r);
	denied = bounced = 0;
	for (i = 0; i < 24; i++) {
		if (r[i]->status == 401) {
			denied++;
		} else {
			cr_assert_eq(r[i]->status, 429, "%ld %s", r[i]->status,
			    r[i]->body);
			cr_assert_str_eq(h_str(r[i], "code"), "throttled");
			cr_assert_not_null(h_header(r[i], "retry-after", buf,
			    sizeof(buf)));
			cr_assert_str_eq(buf, "1");
			bounced++;
		}
		h_free(r[i]);
	}
	cr_log_info("24 logins at once: %d checked, %d bounced", denied,
	    bounced);
	cr_assert_gt(bounced, 0, "24 password checks at once from one "
	    "address, none bounced");
	cr_assert_gt(denied, 0);
	bodies_free(bodies, 24);

	r[0] = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r[0]->status, 200, "the address after the burst: %ld %s",
	    r[0]->status, r[0]->body);
	h_free(r[0]);
}

/*
 * One account guessed from many addresses: past
 * AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL (30 by default, as in the
 * suite) failures in a minute across all addresses, the account's logins
 * are throttled from every address it has not logged in from lately, the
 * right password included; from its usual address (a login there before)
 * its owner still logs in. Each address stays under the per-address
 * limits (8 failures each from 4 addresses).
 */
Test(login_throttle, per_account_across_addresses, .timeout = 300)
{
	struct h_tenant	t;
	struct h_resp	*r, *over[3];
	char		usual[32], ip[32];
	time_t		start;
	long		status[30];
	int		attempt, a, i;

	h_new_tenant("ltglob", &t);
	h_own_ip(IP_OCTET + 20, usual, sizeof(usual));
	r = h_login(usual, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "the usual address: %ld %s", r->status,
	    r->body);
	h_free(r);

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		start = time(NULL);
		for (a = 0; a < 4; a++) {
			h_own_ip(IP_OCTET + 21 + 5 * attempt + a, ip,
			    sizeof(ip));
			for (i = 0; i < 8; i++) {
				r = h_login(ip, t.username,
				    "wrong-password", NULL);
				if (a * 8 + i < 30) {
					status[a * 8 + i] = r->status;
					h_free(r);
				} else {
					over[a * 8 + i - 30] = r;
				}
			}
		}
		/* A fifth address, the right password: slowed down. */
		h_own_ip(IP_OCTET + 21 + 5 * attempt + 4, ip, sizeof(ip));
		over[2] = h_login(ip, t.username, t.password, NULL);
		if (!window_changed(start))
			break;
		for (i = 0; i < 3; i++)
			h_free(over[i]);
	}
	for (i = 0; i < 30; i++)
		cr_assert_eq(status[i], 401, "failure %d (address %d): %ld",
		    i + 1, i / 8 + 1, status[i]);
	assert_throttled(over[0], "failure 31, from a fourth address");
	assert_throttled(over[1], "failure 32, from a fourth address");
	assert_throttled(over[2], "the right password from a new address");
	for (i = 0; i < 3; i++)
		h_free(over[i]);

	/* The owner at the usual address keeps its own budget. */
	r = h_login(usual, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "the usual address after the guessing: "
	    "%ld %s", r->status, r->body);
	h_free(r);
}

/* The same for API clients: 10 bad secrets for a client at an address. */
Test(login_throttle, api_client_secret_guessing, .timeout = 120)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		ip[32], other[32], *out, id[128], secret[128];
	const char	*p;
	time_t		start;
	int		i, attempt;

	h_new_tenant("ltcli", &t);
	h_admin_ok(h_fmt("create-api-client --name guessed --tenant %s "
	    "--roles read --scopes read:projects", t.slug), NULL, &out);
	cr_assert_not_null(p = strstr(out, "client_id:"), "%s", out);
	cr_assert(sscanf(p, "client_id: %127s", id) == 1, "%s", out);
	cr_assert_not_null(p = strstr(out, "client_secret:"), "%s", out);
	cr_assert(sscanf(p, "client_secret: %127s", secret) == 1, "%s", out);
	free(out);
	h_own_ip(IP_OCTET + 3 * ATTEMPTS + 3, other, sizeof(other));

	for (attempt = 0;; attempt++) {
		cr_assert(attempt < ATTEMPTS, "no attempt within one window");
		h_own_ip(IP_OCTET + 2 * ATTEMPTS + 3 + attempt, ip, sizeof(ip));
		start = time(NULL);
		for (i = 1; i <= 10; i++) {
			r = h_client_login(ip, id, "wrong-secret");
			cr_assert_eq(r->status, 401, "failure %d: %ld %s", i,
			    r->status, r->body);
			h_free(r);
		}
		r = h_client_login(ip, id, secret);
		if (!window_changed(start))
			break;
		h_free(r);
	}
	assert_throttled(r, "11th attempt, right secret");
	h_free(r);

	r = h_client_login(other, id, secret);
	cr_assert_eq(r->status, 200, "another address: %ld %s", r->status,
	    r->body);
	h_free(r);
}
