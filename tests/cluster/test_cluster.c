/*
 * Two instances, one service: what one Kore instance of the cluster
 * (tools/dev/test-cluster.sh) issues, spends, revokes or counts holds on
 * the other, and behind HAProxy the instances see the real client.
 *
 * Environment, besides the harness's (MTAPI_TEST_BASE_URL is instance A):
 *   MTAPI_TEST_CLUSTER_URL	HAProxy in front of both
 *   MTAPI_TEST_CLUSTER_A	instance A (k1), directly
 *   MTAPI_TEST_CLUSTER_B	instance B (k2), directly
 *
 * A change made through one place must be refused everywhere within
 * BOUND_MS: the verdict is checked in every statement today, and may be
 * cached per worker (invalidated by NOTIFY) tomorrow; either must hold
 * this bound, on a connection that was already open and had been served.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "harness.h"

#define BOUND_MS	1000
/* Far above JWT_KEYS_POLL_SECONDS (1 in the tests): a bound, not a speed. */
#define KEYS_WAIT_MS	20000

/* A measured figure: tools/dev/test-cluster.sh prints these lines. */
#define FIGURE(...)	do {						\
	fprintf(stderr, "figure: " __VA_ARGS__);			\
	fputc('\n', stderr);						\
} while (0)
#define PROJECTS	"/api/v1/projects/"

static const char	*url_a(const char *);
static const char	*url_b(const char *);
static const char	*url_lb(const char *);
static long		status_at(CURL *, const char *, const char *,
			    const char **);
static long		refused_within(CURL *, const char *, const char *,
			    long, long);
static void		wait_minute_room(int);
static struct h_resp	*login_at(const char *, const char *,
			    const char *, const char *, const char *);
static void		fail_logins(const char *, const char *, const char *,
			    const char *, int);
static void		new_client(struct h_tenant *, char *, size_t, char *,
			    size_t);
static char		*wait_signing_kid(const char *, struct h_tenant *,
			    const char *);

TestSuite(cluster, .timeout = 120);

static const char *
url_a(const char *path)
{
	return (h_fmt("%s%s", h_env("MTAPI_TEST_CLUSTER_A"), path));
}

static const char *
url_b(const char *path)
{
	return (h_fmt("%s%s", h_env("MTAPI_TEST_CLUSTER_B"), path));
}

static const char *
url_lb(const char *path)
{
	return (h_fmt("%s%s", h_env("MTAPI_TEST_CLUSTER_URL"), path));
}

/* GET url with token over handle (NULL: a connection of its own). */
static long
status_at(CURL *handle, const char *url, const char *token,
    const char **extra)
{
	struct h_resp	*r;
	long		st;

	r = h_req_at(handle, NULL, "GET", url, token, NULL, extra);
	st = r->status;
	h_free(r);

	return (st);
}

/*
 * GET url over handle until it answers want, for at most bound ms: the
 * milliseconds that took, or -1.
 */
static long
refused_within(CURL *handle, const char *url, const char *token, long want,
    long bound)
{
	long	start, now;

	start = h_now_ms();
	for (;;) {
		now = h_now_ms();
		if (status_at(handle, url, token, NULL) == want)
			return (now - start);
		if (now - start > bound)
			return (-1);
		h_sleep_ms(10);
	}
}

/*
 * Rate limits and login failures count per minute: start a run that
 * needs secs seconds early enough in the minute.
 */
static void
wait_minute_room(int secs)
{
	while (time(NULL) % 60 > 60 - secs)
		h_sleep_ms(200);
}

static struct h_resp *
login_at(const char *url, const char *ip, const char *xff,
    const char *username, const char *password)
{
	const char	*extra[2] = { NULL, NULL };

	if (xff != NULL)
		extra[0] = h_fmt("X-Forwarded-For: %s", xff);

	return (h_req_at(NULL, ip, "POST", h_fmt("%s/api/v1/auth/token/", url),
	    NULL, h_fmt("{\"username\":\"%s\",\"password\":\"%s\"}", username,
	    password), extra));
}

/* n failed logins of username at url, from ip with X-Forwarded-For xff. */
static void
fail_logins(const char *url, const char *ip, const char *xff,
    const char *username, int n)
{
	struct h_resp	*r;
	char		hops[256];
	int		i;

	/* Our own copy: h_fmt()'s ring is reused by every request. */
	if (xff != NULL)
		(void)snprintf(hops, sizeof(hops), "%s", xff);
	for (i = 0; i < n; i++) {
		r = login_at(url, ip, xff != NULL ? hops : NULL, username,
		    "wrong password");
		cr_assert_eq(r->status, 401, "failed login %d: %ld %s", i + 1,
		    r->status, r->body);
		h_free(r);
	}
}

/* An API client of t with every scope: its id and secret. */
static void
new_client(struct h_tenant *t, char *id, size_t idlen, char *secret,
    size_t secretlen)
{
	char	*out;

	h_admin_ok(h_fmt("create-api-client --name %s --tenant %s "
	    "--roles read,write --scopes read:projects,write:projects",
	    h_unique("etl"), t->slug), NULL, &out);
	cr_assert_not_null(h_field_after(out, "client_id:", id, idlen), "%s",
	    out);
	cr_assert_not_null(h_field_after(out, "client_secret:", secret,
	    secretlen), "%s", out);
	free(out);
}

/*
 * Log in at url until its tokens carry kid want (every worker of that
 * instance has polled the ring: four in a row); the last access token.
 */
static char *
wait_signing_kid(const char *url, struct h_tenant *t, const char *want)
{
	struct h_resp	*r;
	char		*kid, *access;
	int		 waited, in_row;

	for (waited = in_row = 0;; waited += 250) {
		r = login_at(url, NULL, NULL, t->username, t->password);
		cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
		access = strdup(h_str(r, "access"));
		h_free(r);
		kid = h_jwt_kid(access);
		in_row = strcmp(kid, want) ? 0 : in_row + 1;
		cr_assert(in_row > 0 || waited < KEYS_WAIT_MS, "%s still signs "
		    "with %s, not %s", url, kid, want);
		free(kid);
		if (in_row == 4)
			return (access);
		free(access);
		h_sleep_ms(250);
	}
}

/*
 * The key ring is the database's: a key rotated once (mtapi-admin keys
 * rotate) becomes the signing key of both instances, each verifies what
 * the other signs with it, and tokens of the previous key keep working
 * on both.
 */
Test(cluster, key_rotated_once_signs_on_both)
{
	struct h_tenant	 t;
	char		*out, *old_kid, new_kid[80], *on_a, *on_b;

	h_new_tenant("cl-key", &t);	/* logged in at instance A */
	old_kid = h_jwt_kid(t.access);

	h_admin_ok("keys rotate", NULL, &out);
	cr_assert_eq(sscanf(out, "rotated: %79s", new_kid), 1, "%s", out);
	free(out);
	cr_assert_str_neq(new_kid, old_kid);

	on_a = wait_signing_kid(h_env("MTAPI_TEST_CLUSTER_A"), &t, new_kid);
	on_b = wait_signing_kid(h_env("MTAPI_TEST_CLUSTER_B"), &t, new_kid);
	cr_expect_eq(status_at(NULL, url_b(PROJECTS), on_a, NULL), 200);
	cr_expect_eq(status_at(NULL, url_a(PROJECTS), on_b, NULL), 200);
	cr_expect_eq(status_at(NULL, url_lb(PROJECTS), on_a, NULL), 200);

	/* The previous key verifies on both. */
	cr_expect_eq(status_at(NULL, url_a(PROJECTS), t.access, NULL), 200);
	cr_expect_eq(status_at(NULL, url_b(PROJECTS), t.access, NULL), 200);

	free(old_kid);
	free(on_a);
	free(on_b);
}

/* A token one instance issued serves on the other; data is shared too. */
Test(cluster, token_from_one_works_on_other)
{
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*name;
	long long	id;

	h_new_tenant("cl-tok", &t);	/* logged in at instance A */
	cr_expect_eq(status_at(NULL, url_b(PROJECTS), t.access, NULL), 200);
	cr_expect_eq(status_at(NULL, url_lb(PROJECTS), t.access, NULL), 200);

	name = h_unique("shared");
	r = h_req_at(NULL, NULL, "POST", url_a(PROJECTS), t.access,
	    h_fmt("{\"name\":\"%s\"}", name), NULL);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	id = h_int(r, "id");
	h_free(r);

	r = h_req_at(NULL, NULL, "GET", url_b(h_fmt(PROJECTS "%lld/", id)),
	    t.access, NULL, NULL);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_expect_str_eq(h_str(r, "name"), name);
	h_free(r);
}

/*
 * A refresh token rotated on A is spent on B: presenting it there is
 * reuse, which ends the login everywhere.
 */
Test(cluster, refresh_rotated_on_one_spent_on_other)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		refresh[2048], access[2048];
	const char	*body;
	long		ms;

	h_new_tenant("cl-rot", &t);
	body = h_fmt("{\"refresh\":\"%s\"}", t.refresh);

	r = h_req_at(NULL, NULL, "POST", url_a("/api/v1/auth/token/refresh/"),
	    NULL, body, NULL);
	cr_assert_eq(r->status, 200, "rotation on A: %ld %s", r->status,
	    r->body);
	(void)snprintf(refresh, sizeof(refresh), "%s", h_str(r, "refresh"));
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	h_free(r);
	cr_assert_eq(status_at(NULL, url_b(PROJECTS), access, NULL), 200);

	r = h_req_at(NULL, NULL, "POST", url_b("/api/v1/auth/token/refresh/"),
	    NULL, body, NULL);
	h_assert_401(r, "the spent refresh token on B");
	h_free(r);

	/* Reuse revoked the login: A's new pair is dead on both. */
	r = h_req_at(NULL, NULL, "POST", url_a("/api/v1/auth/token/refresh/"),
	    NULL, h_fmt("{\"refresh\":\"%s\"}", refresh), NULL);
	h_assert_401(r, "the rotated refresh token after reuse");
	h_free(r);
	ms = refused_within(NULL, url_a(PROJECTS), access, 401, BOUND_MS);
	cr_expect_geq(ms, 0, "A still serves the revoked login");
	ms = refused_within(NULL, url_b(PROJECTS), access, 401, BOUND_MS);
	cr_expect_geq(ms, 0, "B still serves the revoked login");
}

/* A logout through A is refused by B, on B's open connection too. */
Test(cluster, login_revoked_on_one_refused_on_other)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURL		*b;
	long		ms;

	h_new_tenant("cl-rev", &t);
	b = curl_easy_init();
	cr_assert_eq(status_at(b, url_b(PROJECTS), t.access, NULL), 200);

	r = h_req_at(NULL, NULL, "POST", url_a("/api/v1/auth/token/revoke/"),
	    NULL, h_fmt("{\"refresh\":\"%s\"}", t.refresh), NULL);
	cr_assert_eq(r->status, 204, "logout on A: %ld %s", r->status,
	    r->body);
	h_free(r);

	ms = refused_within(b, url_b(PROJECTS), t.access, 401, BOUND_MS);
	cr_expect_geq(ms, 0, "B still serves a login revoked through A "
	    "after %d ms", BOUND_MS);
	FIGURE("logout on A refused on B after %ld ms", ms);

	r = h_req_at(NULL, NULL, "POST", url_b("/api/v1/auth/token/refresh/"),
	    NULL, h_fmt("{\"refresh\":\"%s\"}", t.refresh), NULL);
	h_assert_401(r, "the logged-out refresh token on B");
	h_free(r);
	curl_easy_cleanup(b);
}

/* A tenant deactivated is refused by both instances; and back again. */
Test(cluster, tenant_deactivated_refused_on_both)
{
	struct h_tenant	t;
	CURL		*a, *b;
	long		ms;

	h_new_tenant("cl-off", &t);
	a = curl_easy_init();
	b = curl_easy_init();
	cr_assert_eq(status_at(a, url_a(PROJECTS), t.access, NULL), 200);
	cr_assert_eq(status_at(b, url_b(PROJECTS), t.access, NULL), 200);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL, NULL);
	ms = refused_within(a, url_a(PROJECTS), t.access, 403, BOUND_MS);
	cr_expect_geq(ms, 0, "A serves an inactive tenant");
	ms = refused_within(b, url_b(PROJECTS), t.access, 403, BOUND_MS);
	cr_expect_geq(ms, 0, "B serves an inactive tenant");
	FIGURE("deactivation refused on B after %ld ms", ms);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes",
	    t.slug), NULL, NULL);
	cr_expect_geq(refused_within(a, url_a(PROJECTS), t.access, 200,
	    BOUND_MS), 0, "A still refuses a reactivated tenant");
	cr_expect_geq(refused_within(b, url_b(PROJECTS), t.access, 200,
	    BOUND_MS), 0, "B still refuses a reactivated tenant");
	curl_easy_cleanup(a);
	curl_easy_cleanup(b);
}

/* An API client logged in on A and revoked is refused by both. */
Test(cluster, api_client_revoked_refused_on_both)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		id[128], secret[256], access[2048];
	CURL		*a, *b;

	h_new_tenant("cl-cli", &t);
	new_client(&t, id, sizeof(id), secret, sizeof(secret));
	r = h_req_at(NULL, NULL, "POST",
	    url_a("/api/v1/auth/api-client/token/"), NULL,
	    h_fmt("{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id,
	    secret), NULL);
	cr_assert_eq(r->status, 200, "client login on A: %ld %s", r->status,
	    r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	h_free(r);

	a = curl_easy_init();
	b = curl_easy_init();
	cr_assert_eq(status_at(a, url_a(PROJECTS), access, NULL), 200);
	cr_assert_eq(status_at(b, url_b(PROJECTS), access, NULL), 200);

	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);
	cr_expect_geq(refused_within(a, url_a(PROJECTS), access, 403,
	    BOUND_MS), 0, "A serves a revoked API client");
	cr_expect_geq(refused_within(b, url_b(PROJECTS), access, 403,
	    BOUND_MS), 0, "B serves a revoked API client");
	curl_easy_cleanup(a);
	curl_easy_cleanup(b);
}

/*
 * One tenant's limit is one budget across both instances: requests taken
 * in turns on A and B (paced, so that the workers' 200 ms reconciliation
 * keeps up) are admitted up to about the limit in all, though each
 * instance alone admits less. Without the shared count each instance
 * would admit the whole limit. tools/dev/test-cluster.sh measures the
 * overshoot under full load.
 */
Test(cluster, rate_limit_shared_across_instances)
{
	struct h_tenant	t;
	CURL		*a, *b;
	long		st, minute;
	int		limit, ok_a, ok_b, no_a, no_b, i, attempt;

	limit = 60;
	h_new_tenant("cl-rl", &t);
	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute %d", t.slug,
	    limit), NULL, NULL);

	a = curl_easy_init();
	b = curl_easy_init();
	for (attempt = 0; attempt < 2; attempt++) {
		wait_minute_room(15);
		minute = time(NULL) / 60;
		ok_a = ok_b = no_a = no_b = 0;
		for (i = 0; i < 6 * limit && (no_a < 3 || no_b < 3); i++) {
			if (i % 2 == 0) {
				st = status_at(a, url_a(PROJECTS), t.access,
				    NULL);
				ok_a += st == 200;
				no_a += st == 429;
			} else {
				st = status_at(b, url_b(PROJECTS), t.access,
				    NULL);
				ok_b += st == 200;
				no_b += st == 429;
			}
			cr_assert(st == 200 || st == 429, "status %ld", st);
			h_sleep_ms(25);
		}
		if (time(NULL) / 60 == minute)
			break;
		/* The window turned during the run: once more, in the next. */
		cr_log_info("the minute turned during the run: again");
	}
	curl_easy_cleanup(a);
	curl_easy_cleanup(b);

	FIGURE("paced, limit %d: admitted %d on A + %d on B = %d (%+.0f%%)",
	    limit, ok_a, ok_b, ok_a + ok_b,
	    100.0 * (ok_a + ok_b - limit) / limit);
	cr_expect_geq(no_a, 3, "A never refused");
	cr_expect_geq(no_b, 3, "B never refused");
	cr_expect_lt(ok_a, limit, "A alone admitted the whole limit");
	cr_expect_lt(ok_b, limit, "B alone admitted the whole limit");
	cr_expect_geq(ok_a + ok_b, limit - limit / 10,
	    "admitted %d of a limit of %d", ok_a + ok_b, limit);
	cr_expect_leq(ok_a + ok_b, limit + limit / 2,
	    "admitted %d of a limit of %d", ok_a + ok_b, limit);
}

/*
 * X-Forwarded-For from a client that is not a trusted proxy counts for
 * nothing: its failed logins are throttled by its own address, whatever
 * address it claims.
 */
Test(cluster, xff_from_untrusted_client_ignored)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		ip[32], other[32];

	h_new_tenant("cl-xff", &t);
	h_own_ip(21, ip, sizeof(ip));
	h_own_ip(22, other, sizeof(other));

	wait_minute_room(20);
	fail_logins(h_env("MTAPI_TEST_CLUSTER_A"), ip, "198.51.100.7",
	    t.username, 10);
	r = login_at(h_env("MTAPI_TEST_CLUSTER_A"), ip, "198.51.100.8",
	    t.username, t.password);
	cr_expect_eq(r->status, 429, "another claimed address escaped the "
	    "throttle: %ld %s", r->status, r->body);
	h_free(r);

	/* The throttle is per address: another client logs in. */
	r = login_at(h_env("MTAPI_TEST_CLUSTER_A"), other, NULL, t.username,
	    t.password);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
}

/*
 * Behind HAProxy each instance sees the real client: one client's
 * failures throttle that client, not every client of the balancer, and
 * what a client writes in X-Forwarded-For itself is dropped.
 */
Test(cluster, haproxy_passes_the_real_client)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		ip[32], other[32];

	h_new_tenant("cl-lbip", &t);
	h_own_ip(23, ip, sizeof(ip));
	h_own_ip(24, other, sizeof(other));

	wait_minute_room(20);
	fail_logins(h_env("MTAPI_TEST_CLUSTER_URL"), ip, "198.51.100.9",
	    t.username, 10);
	r = login_at(h_env("MTAPI_TEST_CLUSTER_URL"), ip, "198.51.100.10",
	    t.username, t.password);
	cr_expect_eq(r->status, 429, "%ld %s", r->status, r->body);
	h_free(r);

	r = login_at(h_env("MTAPI_TEST_CLUSTER_URL"), other, NULL, t.username,
	    t.password);
	cr_expect_eq(r->status, 200, "another client behind HAProxy is "
	    "throttled too: %ld %s", r->status, r->body);
	h_free(r);

	/* A trusted proxy (127.0.0.1) naming that client: the same key. */
	r = login_at(h_env("MTAPI_TEST_CLUSTER_A"), NULL, ip, t.username,
	    t.password);
	cr_expect_eq(r->status, 429, "%ld %s", r->status, r->body);
	h_free(r);
}

/* From a trusted proxy, only the last hop counts. */
Test(cluster, xff_last_hop_only)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		hop[32];

	h_new_tenant("cl-hop", &t);
	h_own_ip(25, hop, sizeof(hop));

	wait_minute_room(20);
	fail_logins(h_env("MTAPI_TEST_CLUSTER_A"), NULL,
	    h_fmt("198.51.100.30, %s", hop), t.username, 10);
	r = login_at(h_env("MTAPI_TEST_CLUSTER_A"), NULL,
	    h_fmt("198.51.100.31, %s", hop), t.username, t.password);
	cr_expect_eq(r->status, 429, "an earlier hop changed the key: %ld %s",
	    r->status, r->body);
	h_free(r);

	r = login_at(h_env("MTAPI_TEST_CLUSTER_A"), NULL,
	    h_fmt("%s, 198.51.100.32", hop), t.username, t.password);
	cr_expect_eq(r->status, 200, "an earlier hop was taken for the "
	    "client: %ld %s", r->status, r->body);
	h_free(r);
}

/* The usage log of an API client called through HAProxy: the client. */
Test(cluster, usage_log_records_the_real_client)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		id[128], secret[256], access[2048], ip[32], *out;
	long		start;
	int		found;

	h_new_tenant("cl-use", &t);
	new_client(&t, id, sizeof(id), secret, sizeof(secret));
	h_own_ip(26, ip, sizeof(ip));

	r = h_req_at(NULL, ip, "POST",
	    url_lb("/api/v1/auth/api-client/token/"), NULL,
	    h_fmt("{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id,
	    secret), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	h_free(r);

	r = h_req_at(NULL, ip, "GET", url_lb(PROJECTS), access, NULL,
	    (const char *[]){ "X-Forwarded-For: 198.51.100.40", NULL });
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);

	/* Workers write the log in batches, every second. */
	found = 0;
	start = h_now_ms();
	while (!found && h_now_ms() - start < 10000) {
		h_admin_ok(h_fmt("usage --client %s", id), NULL, &out);
		found = strstr(out, ip) != NULL;
		if (found) {
			cr_expect(strstr(out, "198.51.100.40") == NULL, "%s",
			    out);
			cr_expect(strstr(out, "127.0.0.1 ") == NULL, "%s",
			    out);
		}
		free(out);
		if (!found)
			h_sleep_ms(200);
	}
	cr_expect(found, "the usage log never named client %s", ip);
}
