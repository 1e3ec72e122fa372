/*
 * Key rotation under running servers (issue 16): mtapi-admin keys rotate
 * and keys retire, picked up by every worker within JWT_KEYS_POLL_SECONDS
 * (1 s in tools/dev/test.sh) without a restart. On the RS256 and ES256
 * servers only, after test_keys.c (name order): the HS256 servers' ring,
 * which every other test's tokens use, is left alone. One test at a time
 * (a lock), as both change shared rings.
 */

#include <sys/file.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define LOGIN		"/api/v1/auth/token/"
#define REFRESH		"/api/v1/auth/token/refresh/"
#define JWKS		"/.well-known/jwks.json"
/* Far above the poll interval: a bound, not a speed figure. */
#define WAIT_MS		20000

static int	lock_fd = -1;

static void	serial_init(void);
static void	serial_fini(void);
static char	*rotate(const char *);
static void	retire(const char *);
static char	*login_kid(const char *, struct h_tenant *, char **, char **);
static char	*wait_login_kid(const char *, struct h_tenant *, const char *,
		    char **, char **);
static long	status_at(const char *, const char *);
static void	wait_status(const char *, const char *, long, const char *);
static int	jwks_has(const char *, const char *);
static void	wait_jwks(const char *, const char *, int);
static long	refresh_status(const char *, const char *);

/*
 * A token signed before keys rotate still works after it, and stops (401)
 * after keys retire of its key; the verified-token cache of every worker
 * forgets it too. The servers need no restart.
 */
Test(rotation, rotate_then_retire, .init = serial_init,
    .fini = serial_fini, .timeout = 120)
{
	struct h_tenant	 t;
	const char	*rs;
	char		*k1, *k2, *kid, *access, *refresh, *a2, *r2, *out;
	int		 i;

	rs = h_env("MTAPI_TEST_RS256_URL");
	h_new_tenant("rotate", &t);

	/* A key of this test's own, so that retiring it touches no other. */
	k1 = rotate("RS256");
	kid = wait_login_kid(rs, &t, k1, &access, &refresh);
	free(kid);
	/* Every worker has verified (and cached) it. */
	for (i = 0; i < 8; i++)
		cr_assert_eq(status_at(rs, access), 200, "before rotate");

	k2 = rotate("RS256");
	kid = wait_login_kid(rs, &t, k2, &a2, &r2);
	free(kid);
	wait_jwks(rs, k2, 1);
	cr_assert(jwks_has(rs, k1), "the verifying key left the JWK set");

	/* Rotated: the old key's tokens still work, all of them. */
	for (i = 0; i < 8; i++)
		cr_assert_eq(status_at(rs, access), 200, "after rotate");
	cr_assert_eq(status_at(rs, a2), 200);

	/* The current key cannot be retired. */
	cr_assert_eq(h_admin(h_fmt("keys retire %s", k2), NULL, &out), 1,
	    "%s", out);
	free(out);

	retire(k1);
	wait_status(rs, access, 401, "a token of the retired key");
	/* On every worker, not just one. */
	for (i = 0; i < 8; i++)
		cr_assert_eq(status_at(rs, access), 401, "after retire");
	cr_assert_eq(refresh_status(rs, refresh), 401,
	    "a refresh token of the retired key");
	wait_jwks(rs, k1, 0);

	/* The current key's tokens are untouched. */
	cr_assert_eq(status_at(rs, a2), 200);
	cr_assert_eq(refresh_status(rs, r2), 200);

	/* Retired is for good: the key's secret is gone from the database. */
	cr_assert_eq(h_sql(h_fmt("SELECT state, secret, retired_at IS NOT NULL "
	    "FROM signing_keys WHERE kid = '%s'", k1), &out), 0, "%s", out);
	cr_assert_str_eq(out, "retired|v1.|t\n");
	free(out);
	cr_assert_eq(h_admin(h_fmt("keys retire %s", k1), NULL, &out), 1,
	    "%s", out);
	free(out);

	free(access);
	free(refresh);
	free(a2);
	free(r2);
	free(k1);
	free(k2);
}

/*
 * ES256 the same way, seen from outside: the JWK set serves the new key
 * once the workers have it, and tokens it signs verify against it.
 */
Test(rotation, es256_new_key_is_published, .init = serial_init,
    .fini = serial_fini, .timeout = 120)
{
	struct h_tenant	 t;
	const char	*es;
	char		*k, *kid, *access, *refresh, *out;
	int		 rc;

	es = h_env("MTAPI_TEST_ES256_URL");
	h_new_tenant("rotatees", &t);

	k = rotate("ES256");
	wait_jwks(es, k, 1);
	kid = wait_login_kid(es, &t, k, &access, &refresh);
	cr_assert_eq(status_at(es, access), 200);

	rc = h_admin("keys list", NULL, &out);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, k) != NULL, "%s", out);
	free(out);

	free(kid);
	free(access);
	free(refresh);
	free(k);
}

/* keys rotate --key-file: an operator's own key becomes the current one. */
Test(rotation, rotate_with_a_key_file, .init = serial_init,
    .fini = serial_fini, .timeout = 120)
{
	struct h_tenant	 t;
	const char	*rs;
	char		*k, *kid, *access, *refresh, *out, path[256];
	int		 rc;

	rs = h_env("MTAPI_TEST_RS256_URL");
	h_new_tenant("rotatefile", &t);

	/* A weak HS256 secret is refused; an unreadable file too. */
	(void)snprintf(path, sizeof(path), "/tmp/mtapi-key.%ld.XXXXXX",
	    (long)getpid());
	rc = mkstemp(path);
	cr_assert(rc != -1);
	cr_assert(write(rc, "short\n", 6) == 6);
	close(rc);
	rc = h_admin(h_fmt("keys rotate --algorithm HS256 --key-file %s",
	    path), NULL, &out);
	cr_assert_eq(rc, 1, "%s", out);
	free(out);
	unlink(path);
	rc = h_admin(h_fmt("keys rotate --algorithm RS256 --key-file %s",
	    path), NULL, &out);
	cr_assert_eq(rc, 1, "%s", out);
	free(out);

	/* The RS256 server's own key file, imported again as a new key. */
	rc = h_admin(h_fmt("keys rotate --algorithm RS256 --key-file %s",
	    h_env("MTAPI_TEST_RS256_KEY")), NULL, &out);
	cr_assert_eq(rc, 0, "%s", out);
	k = calloc(1, 80);
	cr_assert_eq(sscanf(out, "rotated: %79s", k), 1, "%s", out);
	free(out);

	kid = wait_login_kid(rs, &t, k, &access, &refresh);
	cr_assert_eq(status_at(rs, access), 200);

	free(kid);
	free(access);
	free(refresh);
	free(k);
}

static void
serial_init(void)
{
	char		*copy, path[1024];

	copy = strdup(h_env("MTAPI_TEST_FIXTURE"));
	(void)snprintf(path, sizeof(path), "%s/rotation.lock", dirname(copy));
	free(copy);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(lock_fd != -1, "%s: %s", path, strerror(errno));
	cr_assert_eq(flock(lock_fd, LOCK_EX), 0);
}

static void
serial_fini(void)
{
	if (lock_fd != -1) {
		close(lock_fd);
		lock_fd = -1;
	}
}

/* keys rotate: the new current kid (caller frees). */
static char *
rotate(const char *alg)
{
	char		*out, *kid;
	int		 rc;

	rc = h_admin(h_fmt("keys rotate --algorithm %s", alg), NULL, &out);
	cr_assert_eq(rc, 0, "keys rotate: %s", out);
	kid = calloc(1, 80);
	cr_assert_eq(sscanf(out, "rotated: %79s", kid), 1, "%s", out);
	cr_assert(strstr(out, "keeps verifying") != NULL, "%s", out);
	free(out);

	return (kid);
}

static void
retire(const char *kid)
{
	char		*out;
	int		 rc;

	rc = h_admin(h_fmt("keys retire %s", kid), NULL, &out);
	cr_assert_eq(rc, 0, "keys retire: %s", out);
	cr_assert(strstr(out, "retired") != NULL, "%s", out);
	free(out);
}

/* A login at base: the kid its tokens carry; the tokens in *a, *r. */
static char *
login_kid(const char *base, struct h_tenant *t, char **a, char **r)
{
	struct h_resp	*res;
	char		*kid;

	res = h_req_url("POST", h_fmt("%s%s", base, LOGIN), NULL,
	    h_fmt("{\"username\":\"%s\",\"password\":\"%s\"}", t->username,
	    t->password), NULL);
	cr_assert_eq(res->status, 200, "%ld %s", res->status, res->body);
	*a = strdup(h_str(res, "access"));
	*r = strdup(h_str(res, "refresh"));
	kid = h_jwt_kid(*a);
	h_free(res);

	return (kid);
}

/*
 * Log in until the tokens carry kid (the worker has polled): both workers
 * answer logins, so twice in a row.
 */
static char *
wait_login_kid(const char *base, struct h_tenant *t, const char *want,
    char **a, char **r)
{
	char		*kid;
	int		 waited, in_row;

	for (waited = in_row = 0;; waited += 250) {
		kid = login_kid(base, t, a, r);
		if (!strcmp(kid, want) && ++in_row == 4)
			return (kid);
		if (strcmp(kid, want))
			in_row = 0;
		cr_assert(waited < WAIT_MS, "logins still signed with %s, not "
		    "%s", kid, want);
		free(kid);
		free(*a);
		free(*r);
		h_sleep_ms(250);
	}
}

static long
status_at(const char *base, const char *token)
{
	struct h_resp	*r;
	long		 status;

	r = h_req_url("GET", h_fmt("%s%s", base, PROJECTS), token, NULL,
	    NULL);
	status = r->status;
	h_free(r);

	return (status);
}

/* Until the token gets status from every worker (eight in a row). */
static void
wait_status(const char *base, const char *token, long status,
    const char *what)
{
	long		 got;
	int		 waited, in_row;

	for (waited = in_row = 0; in_row < 8; waited += 100) {
		got = status_at(base, token);
		in_row = got == status ? in_row + 1 : 0;
		cr_assert(waited < WAIT_MS, "%s: still %ld", what, got);
		if (in_row == 0)
			h_sleep_ms(100);
	}
}

static int
jwks_has(const char *base, const char *kid)
{
	struct h_resp	*r;
	json_t		*k;
	size_t		 i;
	int		 found;

	r = h_req_url("GET", h_fmt("%s%s", base, JWKS), NULL, NULL, NULL);
	cr_assert_eq(r->status, 200);
	found = 0;
	json_array_foreach(json_object_get(r->json, "keys"), i, k) {
		if (!strcmp(h_jstr(k, "kid"), kid))
			found = 1;
	}
	h_free(r);

	return (found);
}

/* Until every worker's JWK set has (or lacks) kid. */
static void
wait_jwks(const char *base, const char *kid, int present)
{
	int		 waited, in_row;

	for (waited = in_row = 0; in_row < 8; waited += 100) {
		in_row = jwks_has(base, kid) == present ? in_row + 1 : 0;
		cr_assert(waited < WAIT_MS, "the JWK set %s %s", present ?
		    "lacks" : "still has", kid);
		if (in_row == 0)
			h_sleep_ms(100);
	}
}

static long
refresh_status(const char *base, const char *token)
{
	struct h_resp	*r;
	long		 status;

	r = h_req_url("POST", h_fmt("%s%s", base, REFRESH), NULL,
	    h_fmt("{\"refresh\":\"%s\"}", token), NULL);
	status = r->status;
	h_free(r);

	return (status);
}
