/*
 * Authentication over HTTP: the user token endpoints of API.md (login,
 * refresh with rotation and reuse detection, verify, revoke).
 *
 * Failed logins count against the client IP (AUTH_FAILURES_PER_MINUTE_IP,
 * shared by every test that connects from 127.0.0.1), so each test that
 * fails logins on purpose connects from its own 127.x.y.z address.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <sodium.h>

#include "harness.h"

#define LOGIN		"/api/v1/auth/token/"
#define REFRESH		"/api/v1/auth/token/refresh/"
#define VERIFY		"/api/v1/auth/token/verify/"
#define REVOKE		"/api/v1/auth/token/revoke/"
#define CLIENT_REFRESH	"/api/v1/auth/api-client/token/refresh/"
#define PROJECTS	"/api/v1/projects/"

/* This file's second address octet: 127.11.y.z. */
#define IP_OCTET	11

static const char *
claim_str(json_t *claims, const char *name)
{
	const char	*v;

	v = json_string_value(json_object_get(claims, name));
	cr_assert_not_null(v, "claim %s is missing or not a string", name);

	return (v);
}

static long long
claim_int(json_t *claims, const char *name)
{
	json_t		*v;

	v = json_object_get(claims, name);
	cr_assert(json_is_integer(v), "claim %s is missing or not an integer",
	    name);

	return (json_integer_value(v));
}

static int
is_uuid(const char *s)
{
	size_t		i;

	if (s == NULL || strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!isxdigit((unsigned char)s[i])) {
			return (0);
		}
	}

	return (1);
}

/* An RFC 3339 UTC timestamp (optional fraction) as a time_t, or -1. */
static time_t
rfc3339(const char *s)
{
	struct tm	tm;
	int		n, frac;
	const char	*p;

	if (s == NULL)
		return (-1);
	memset(&tm, 0, sizeof(tm));
	n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19 || s[4] != '-' || s[7] != '-' || s[13] != ':')
		return (-1);
	p = s + n;
	if (*p == '.') {
		for (p++, frac = 0; isdigit((unsigned char)*p); p++)
			frac++;
		if (frac == 0)
			return (-1);
	}
	if (strcmp(p, "Z") && strcmp(p, "+00:00"))
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;

	return (timegm(&tm));
}

/* A numeric setting of the server, or def. */
static long
setting(const char *name, long def)
{
	char		*s;
	long		v;

	if ((s = h_setting(name)) == NULL)
		return (def);
	v = strtol(s, NULL, 10);
	free(s);

	return (v);
}

/*
 * A statement run directly in the test database: the operator command
 * cannot deactivate a user, so the tests that need one do it here with
 * psql and the server's own database settings.
 */
static void
db_exec(const char *sql)
{
	static const char *const	names[] = { "DB_HOST", "DB_PORT",
					    "DB_NAME", "DB_USER",
					    "DB_PASSWORD" };
	char				*v[5], cmd[4096], path[128];
	size_t				i;
	int				fd, rc;

	for (i = 0; i < 5; i++) {
		v[i] = h_setting(names[i]);
		if (v[i] == NULL)
			v[i] = strdup("");
		cr_assert_not_null(v[i]);
	}

	if (system("command -v psql >/dev/null 2>&1") != 0)
		cr_skip_test("psql is not installed: cannot deactivate a user");

	/* The statement through a file: no quoting of SQL in a shell. */
	(void)snprintf(path, sizeof(path), "/tmp/mtapi-auth-sql.%ld.XXXXXX",
	    (long)getpid());
	cr_assert((fd = mkstemp(path)) != -1);
	cr_assert(write(fd, sql, strlen(sql)) == (ssize_t)strlen(sql));
	close(fd);

	(void)snprintf(cmd, sizeof(cmd), "PGPASSWORD='%s' psql -X -q "
	    "-v ON_ERROR_STOP=1 -h '%s' -p '%s' -U '%s' -d '%s' -f '%s' "
	    ">/dev/null", v[4], v[0], v[1], v[3], v[2], path);
	rc = system(cmd);
	unlink(path);
	for (i = 0; i < 5; i++)
		free(v[i]);
	cr_assert_eq(rc, 0, "psql failed on: %s", sql);
}

/* A 401 challenge with the error body. */
static void
assert_401(struct h_resp *r, const char *what)
{
	h_assert_401(r, what);
	cr_assert_not_null(h_str(r, "detail"), "%s: %s", what, r->body);
	cr_assert_not_null(h_str(r, "code"), "%s: %s", what, r->body);
}

/* 400 naming field in errors. */
static void
assert_400_field(struct h_resp *r, const char *field, const char *what)
{
	json_t		*msgs;

	cr_assert_eq(r->status, 400, "%s: %ld %s", what, r->status, r->body);
	msgs = json_object_get(json_object_get(r->json, "errors"), field);
	cr_assert(json_is_array(msgs) && json_array_size(msgs) > 0 &&
	    json_is_string(json_array_get(msgs, 0)),
	    "%s: no errors.%s in %s", what, field, r->body);
}

static void
assert_get(const char *token, long status, const char *what)
{
	struct h_resp	*r;

	r = h_get(PROJECTS, token);
	cr_assert_eq(r->status, status, "%s: GET %s: %ld %s", what, PROJECTS,
	    r->status, r->body);
	h_free(r);
}

/* A user with this password, a member of no tenant yet. */
static void
new_user(const char *prefix, const char *password, char *out, size_t len)
{
	(void)snprintf(out, len, "%s", h_unique(prefix));
	h_admin_ok(h_fmt("create-user --username %s", out),
	    h_fmt("%s\n", password), NULL);
}

/* ---- login ---- */

Test(auth_login, success_body)
{
	struct h_resp	*r;
	json_t		*tenant;
	time_t		now, at, rt;
	long long	lifetime;

	now = time(NULL);
	r = h_login(NULL, h_tenant_str(H_ACME, "username"),
	    h_tenant_str(H_ACME, "password"), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);

	cr_assert(strlen(h_str(r, "access")) > 20);
	cr_assert(strlen(h_str(r, "refresh")) > 20);
	cr_assert_str_neq(h_str(r, "access"), h_str(r, "refresh"));
	cr_assert_str_eq(h_str(r, "token_type"), "Bearer");

	lifetime = setting("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", 60) * 60;
	cr_assert_eq(h_int(r, "expires_in"), lifetime);

	at = rfc3339(h_str(r, "access_token_expires_at"));
	rt = rfc3339(h_str(r, "refresh_token_expires_at"));
	cr_assert(at != -1, "access_token_expires_at: %s", r->body);
	cr_assert(rt != -1, "refresh_token_expires_at: %s", r->body);
	cr_assert(at >= now + lifetime - 5 && at <= now + lifetime + 5,
	    "access_token_expires_at %s is not now + %lld s",
	    h_str(r, "access_token_expires_at"), lifetime);
	cr_assert(rt >= now + setting("JWT_REFRESH_TOKEN_LIFETIME_DAYS", 1) *
	    86400 - 5 && rt <= now + setting("JWT_REFRESH_TOKEN_LIFETIME_DAYS",
	    1) * 86400 + 5, "refresh_token_expires_at %s",
	    h_str(r, "refresh_token_expires_at"));

	tenant = json_object_get(r->json, "tenant");
	cr_assert(json_is_object(tenant), "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "id")),
	    h_tenant_str(H_ACME, "id"));
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "slug")),
	    h_tenant_str(H_ACME, "slug"));
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "name")),
	    h_tenant_str(H_ACME, "name"));

	/* The new access token works. */
	assert_get(h_str(r, "access"), 200, "fresh access token");
	h_free(r);
}

Test(auth_login, access_and_refresh_claims)
{
	struct h_resp	*r;
	json_t		*a, *f, *fx;
	time_t		now;
	long long	uid;

	fx = json_object_get(h_fixture(), "jwt");
	now = time(NULL);
	r = h_login(NULL, h_tenant_str(H_GLOBEX, "username"),
	    h_tenant_str(H_GLOBEX, "password"), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);

	a = h_jwt_claims(h_str(r, "access"));
	cr_assert_str_eq(claim_str(a, "tenant"), h_tenant_str(H_GLOBEX, "id"));
	cr_assert_str_eq(claim_str(a, "tenant_slug"),
	    h_tenant_str(H_GLOBEX, "slug"));
	cr_assert_str_eq(claim_str(a, "auth_type"), "user");
	cr_assert_str_eq(claim_str(a, "token_type"), "access");
	uid = claim_int(a, "user_id");
	cr_assert(uid > 0);
	cr_assert_str_eq(claim_str(a, "sub"), h_fmt("%lld", uid));
	cr_assert_str_eq(claim_str(a, "iss"),
	    json_string_value(json_object_get(fx, "issuer")));
	cr_assert_str_eq(claim_str(a, "aud"),
	    json_string_value(json_object_get(fx, "audience")));
	cr_assert(is_uuid(claim_str(a, "jti")), "jti %s",
	    claim_str(a, "jti"));
	cr_assert(claim_int(a, "iat") >= now - 5 &&
	    claim_int(a, "iat") <= now + 5);
	cr_assert_eq(claim_int(a, "exp") - claim_int(a, "iat"),
	    h_int(r, "expires_in"));
	cr_assert_eq(claim_int(a, "exp"),
	    rfc3339(h_str(r, "access_token_expires_at")));
	cr_assert_null(json_object_get(a, "client_id"));

	f = h_jwt_claims(h_str(r, "refresh"));
	cr_assert_str_eq(claim_str(f, "token_type"), "refresh");
	cr_assert_str_eq(claim_str(f, "tenant"), h_tenant_str(H_GLOBEX, "id"));
	cr_assert_str_eq(claim_str(f, "auth_type"), "user");
	cr_assert_eq(claim_int(f, "user_id"), uid);
	cr_assert(is_uuid(claim_str(f, "jti")));
	cr_assert_str_neq(claim_str(f, "jti"), claim_str(a, "jti"));
	cr_assert_eq(claim_int(f, "exp"),
	    rfc3339(h_str(r, "refresh_token_expires_at")));
	cr_assert(claim_int(f, "exp") > claim_int(a, "exp"));

	json_decref(a);
	json_decref(f);
	h_free(r);
}

Test(auth_login, jti_unique_per_token)
{
	struct h_resp	*r;
	json_t		*c, *seen;
	const char	*jti;
	int		i;

	seen = json_object();
	for (i = 0; i < 3; i++) {
		r = h_login(NULL, h_tenant_str(H_INITECH, "username"),
		    h_tenant_str(H_INITECH, "password"), NULL);
		cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);

		c = h_jwt_claims(h_str(r, "access"));
		jti = claim_str(c, "jti");
		cr_assert_null(json_object_get(seen, jti), "jti %s twice", jti);
		json_object_set_new(seen, jti, json_true());
		json_decref(c);

		c = h_jwt_claims(h_str(r, "refresh"));
		jti = claim_str(c, "jti");
		cr_assert_null(json_object_get(seen, jti), "jti %s twice", jti);
		json_object_set_new(seen, jti, json_true());
		json_decref(c);
		h_free(r);
	}
	cr_assert_eq(json_object_size(seen), 6);
	json_decref(seen);
}

Test(auth_login, missing_and_invalid_fields_are_400)
{
	struct h_resp	*r;

	r = h_post(LOGIN, NULL, "{}");
	assert_400_field(r, "username", "empty body");
	assert_400_field(r, "password", "empty body");
	h_free(r);

	r = h_login(NULL, "someone", NULL, NULL);
	assert_400_field(r, "password", "no password");
	cr_assert_null(json_object_get(json_object_get(r->json, "errors"),
	    "username"), "%s", r->body);
	h_free(r);

	r = h_login(NULL, NULL, "some-password", NULL);
	assert_400_field(r, "username", "no username");
	h_free(r);

	/* Numbers pass as strings, as in DRF; a list does not. */
	r = h_post(LOGIN, NULL,
	    "{\"username\": [\"a\"], \"password\": \"x\"}");
	assert_400_field(r, "username", "username a list");
	h_free(r);

	r = h_post(LOGIN, NULL, "{\"username\": \"a\", \"password\": \"x\"");
	cr_assert_eq(r->status, 400, "malformed JSON: %ld %s", r->status,
	    r->body);
	cr_assert_str_eq(h_str(r, "code"), "parse_error");
	h_free(r);
}

/*
 * Wrong password, unknown user, inactive user, a user without tenants,
 * a user whose only tenant is inactive: 401, byte for byte the same body.
 */
Test(auth_login, credential_failures_share_one_body, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*body[6];
	char		ip[32], lonely[80], *first;
	int		i, n;

	h_own_ip(IP_OCTET, ip, sizeof(ip));
	h_new_tenant("authfail", &t);
	new_user("lonely", "lonely-password-1", lonely, sizeof(lonely));
	n = 0;

	/* Wrong password. */
	r = h_login(ip, t.username, "not-the-password", NULL);
	assert_401(r, "wrong password");
	first = strdup(r->body);
	body[n++] = "wrong password";
	h_free(r);

	/* Unknown user. */
	r = h_login(ip, h_unique("nobody"), "not-the-password", NULL);
	assert_401(r, "unknown user");
	cr_assert_str_eq(r->body, first, "unknown user: %s", r->body);
	body[n++] = "unknown user";
	h_free(r);

	/* The right password of a user who is a member of no tenant. */
	r = h_login(ip, lonely, "lonely-password-1", NULL);
	assert_401(r, "user without tenant");
	cr_assert_str_eq(r->body, first, "user without tenant: %s", r->body);
	body[n++] = "user without tenant";
	h_free(r);

	/* The right password; the user's only tenant is inactive. */
	r = h_login(ip, h_tenant_str(H_UMBRELLA, "username"),
	    h_tenant_str(H_UMBRELLA, "password"), NULL);
	assert_401(r, "user of an inactive tenant");
	cr_assert_str_eq(r->body, first, "inactive tenant: %s", r->body);
	body[n++] = "inactive tenant";
	h_free(r);

	/* The right password, a tenant the user is not a member of. */
	r = h_login(ip, t.username, t.password, h_tenant_str(H_ACME, "slug"));
	assert_401(r, "not a member");
	cr_assert_str_eq(r->body, first, "not a member: %s", r->body);
	body[n++] = "not a member";
	h_free(r);

	/* The right password, a tenant that does not exist. */
	r = h_login(ip, t.username, t.password, "no-such-tenant-slug");
	assert_401(r, "unknown tenant");
	cr_assert_str_eq(r->body, first, "unknown tenant: %s", r->body);
	body[n++] = "unknown tenant";
	h_free(r);

	for (i = 0; i < n; i++)
		cr_log_info("401 with the same body: %s", body[i]);

	/* And the user can still log in: nothing above locked it out. */
	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	free(first);
}

/* Deactivating a user (no CLI for it: SQL) ends logins and refreshes. */
Test(auth_login, inactive_user, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		ip[32], *wrong;

	h_own_ip(IP_OCTET, ip, sizeof(ip));
	h_new_tenant("authinact", &t);

	r = h_login(ip, t.username, "not-the-password", NULL);
	assert_401(r, "wrong password");
	wrong = strdup(r->body);
	h_free(r);

	db_exec(h_fmt("UPDATE users SET is_active = false "
	    "WHERE username = '%s'", t.username));

	r = h_login(ip, t.username, t.password, NULL);
	assert_401(r, "inactive user, right password");
	cr_assert_str_eq(r->body, wrong, "inactive user: %s", r->body);
	h_free(r);

	/* Its tokens from before: the access token is refused (API.md: 403
	 * for an inactive user), the refresh token no longer works. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(r->status, 403, "inactive user's access token: %ld %s",
	    r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "permission_denied");
	h_free(r);

	r = h_post_token(REFRESH, "refresh", t.refresh);
	assert_401(r, "inactive user's refresh token");
	h_free(r);

	/* Active again: logs in. */
	db_exec(h_fmt("UPDATE users SET is_active = true "
	    "WHERE username = '%s'", t.username));
	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "reactivated user: %ld %s", r->status,
	    r->body);
	h_free(r);
	free(wrong);
}

/* A user of two tenants must name one: by slug or by id. */
Test(auth_login, tenant_selection, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*c;
	char		ip[32], second[80], second_id[40], *wrong;

	h_own_ip(IP_OCTET, ip, sizeof(ip));
	h_new_tenant("authsel", &t);
	(void)snprintf(second, sizeof(second), "%s-b", t.slug);
	h_admin_ok(h_fmt("create-tenant --slug %s --name 'Second %s'", second,
	    t.slug), NULL, NULL);
	h_admin_ok(h_fmt("add-member --user %s --tenant %s", t.username,
	    second), NULL, NULL);

	/* None given: 400 naming the tenant field. */
	r = h_login(ip, t.username, t.password, NULL);
	assert_400_field(r, "tenant", "two tenants, none given");
	cr_assert_null(h_str(r, "access"));
	h_free(r);

	/* By slug. */
	r = h_login(ip, t.username, t.password, second);
	cr_assert_eq(r->status, 200, "by slug: %ld %s", r->status, r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    r->json, "tenant"), "slug")), second);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    r->json, "tenant"), "name")), h_fmt("Second %s", t.slug));
	(void)snprintf(second_id, sizeof(second_id), "%s",
	    json_string_value(json_object_get(json_object_get(r->json,
	    "tenant"), "id")));
	cr_assert(is_uuid(second_id));
	cr_assert_str_neq(second_id, t.id);
	c = h_jwt_claims(h_str(r, "access"));
	cr_assert_str_eq(claim_str(c, "tenant"), second_id);
	cr_assert_str_eq(claim_str(c, "tenant_slug"), second);
	json_decref(c);
	h_free(r);

	/* By id. */
	r = h_login(ip, t.username, t.password, t.id);
	cr_assert_eq(r->status, 200, "by id: %ld %s", r->status, r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    r->json, "tenant"), "id")), t.id);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    r->json, "tenant"), "slug")), t.slug);
	c = h_jwt_claims(h_str(r, "access"));
	cr_assert_str_eq(claim_str(c, "tenant"), t.id);
	json_decref(c);
	h_free(r);

	/* A tenant of which the user is not a member: the credentials
	 * failure body, by slug and by id. */
	r = h_login(ip, t.username, "not-the-password", NULL);
	assert_401(r, "wrong password");
	wrong = strdup(r->body);
	h_free(r);

	r = h_login(ip, t.username, t.password, h_tenant_str(H_ACME, "slug"));
	assert_401(r, "other tenant by slug");
	cr_assert_str_eq(r->body, wrong);
	h_free(r);

	r = h_login(ip, t.username, t.password, h_tenant_str(H_ACME, "id"));
	assert_401(r, "other tenant by id");
	cr_assert_str_eq(r->body, wrong);
	h_free(r);

	/* One of the two tenants inactive: naming it fails like the rest. */
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", second),
	    NULL, NULL);
	r = h_login(ip, t.username, t.password, second);
	assert_401(r, "inactive tenant by slug");
	cr_assert_str_eq(r->body, wrong);
	h_free(r);

	r = h_login(ip, t.username, t.password, t.slug);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	free(wrong);
}

/* ---- refresh ---- */

Test(auth_refresh, rotates)
{
	struct h_tenant	t;
	struct h_resp	*r, *r2;
	json_t		*c, *old;
	time_t		now;

	h_new_tenant("authrot", &t);
	now = time(NULL);

	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(h_str(r, "token_type"), "Bearer");
	cr_assert_eq(h_int(r, "expires_in"),
	    setting("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", 60) * 60);
	cr_assert(rfc3339(h_str(r, "access_token_expires_at")) >=
	    now + h_int(r, "expires_in") - 5);
	cr_assert(rfc3339(h_str(r, "refresh_token_expires_at")) > now);
	cr_assert_str_neq(h_str(r, "refresh"), t.refresh);
	cr_assert_str_neq(h_str(r, "access"), t.access);

	/* The new pair: same principal, new ids. */
	c = h_jwt_claims(h_str(r, "access"));
	old = h_jwt_claims(t.access);
	cr_assert_str_eq(claim_str(c, "token_type"), "access");
	cr_assert_str_eq(claim_str(c, "tenant"), t.id);
	cr_assert_str_eq(claim_str(c, "auth_type"), "user");
	cr_assert_eq(claim_int(c, "user_id"), claim_int(old, "user_id"));
	cr_assert_str_neq(claim_str(c, "jti"), claim_str(old, "jti"));
	json_decref(c);
	json_decref(old);
	c = h_jwt_claims(h_str(r, "refresh"));
	old = h_jwt_claims(t.refresh);
	cr_assert_str_eq(claim_str(c, "token_type"), "refresh");
	cr_assert_str_neq(claim_str(c, "jti"), claim_str(old, "jti"));
	json_decref(c);
	json_decref(old);

	assert_get(h_str(r, "access"), 200, "refreshed access token");

	/* The new refresh token rotates in turn. */
	r2 = h_post_token(REFRESH, "refresh", h_str(r, "refresh"));
	cr_assert_eq(r2->status, 200, "%ld %s", r2->status, r2->body);
	h_free(r2);

	/* The old one is spent. */
	r2 = h_post_token(REFRESH, "refresh", t.refresh);
	assert_401(r2, "spent refresh token");
	cr_assert_null(h_str(r2, "access"));
	h_free(r2);
	h_free(r);
}

/*
 * Replaying a spent refresh token revokes the whole login: the refresh
 * token it was rotated into, and the access tokens of that login.
 */
Test(auth_refresh, reuse_revokes_the_login)
{
	struct h_tenant	t;
	struct h_resp	*r, *other;
	char		*access1, *refresh1;

	h_new_tenant("authreuse", &t);

	/* A second login of the same user: must not be affected. */
	other = h_login(NULL, t.username, t.password, NULL);
	cr_assert_eq(other->status, 200, "%ld %s", other->status, other->body);

	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	access1 = strdup(h_str(r, "access"));
	refresh1 = strdup(h_str(r, "refresh"));
	h_free(r);
	assert_get(access1, 200, "rotated access token before reuse");
	assert_get(t.access, 200, "first access token before reuse");

	/* Reuse. */
	r = h_post_token(REFRESH, "refresh", t.refresh);
	assert_401(r, "reused refresh token");
	h_free(r);

	/* Every token of that login is dead now. */
	r = h_post_token(REFRESH, "refresh", refresh1);
	assert_401(r, "descendant of a reused refresh token");
	h_free(r);
	r = h_post_token(VERIFY, "token", refresh1);
	assert_401(r, "verify: descendant of a reused refresh token");
	h_free(r);

	r = h_get(PROJECTS, access1);
	assert_401(r, "access token of the revoked login");
	h_free(r);
	r = h_get(PROJECTS, t.access);
	assert_401(r, "first access token of the revoked login");
	h_free(r);

	/* The other login goes on. */
	assert_get(h_str(other, "access"), 200, "another login of the user");
	r = h_post_token(REFRESH, "refresh", h_str(other, "refresh"));
	cr_assert_eq(r->status, 200, "another login's refresh: %ld %s",
	    r->status, r->body);
	h_free(r);

	h_free(other);
	free(access1);
	free(refresh1);
}

Test(auth_refresh, wrong_tokens_are_401)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("authwrong", &t);

	/* An access token is not a refresh token. */
	r = h_post_token(REFRESH, "refresh", t.access);
	assert_401(r, "access token to refresh");
	h_free(r);

	/* A refresh token is not a bearer token. */
	r = h_get(PROJECTS, t.refresh);
	assert_401(r, "refresh token as Bearer");
	h_free(r);

	/* A user's refresh token is not an API client's. */
	r = h_post_token(CLIENT_REFRESH, "refresh", t.refresh);
	assert_401(r, "user refresh token at the API client endpoint");
	h_free(r);

	r = h_post_token(REFRESH, "refresh", "not.a.token");
	assert_401(r, "garbage refresh token");
	h_free(r);

	/* None of the above spent it. */
	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
}

Test(auth_refresh, missing_field_is_400)
{
	struct h_resp	*r;

	r = h_post(REFRESH, NULL, "{}");
	assert_400_field(r, "refresh", "refresh without a token");
	h_free(r);

	r = h_post(REFRESH, NULL, "{\"refresh\": {\"a\": 1}}");
	assert_400_field(r, "refresh", "refresh: an object");
	h_free(r);

	r = h_post(VERIFY, NULL, "{}");
	assert_400_field(r, "token", "verify without a token");
	h_free(r);

	r = h_post(REVOKE, NULL, "{}");
	assert_400_field(r, "refresh", "revoke without a token");
	h_free(r);
}

/* A refresh of a user whose tenant was deactivated fails. */
Test(auth_refresh, inactive_tenant)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("authrefin", &t);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL, NULL);
	r = h_post_token(REFRESH, "refresh", t.refresh);
	assert_401(r, "refresh in an inactive tenant");
	h_free(r);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes", t.slug),
	    NULL, NULL);
	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "reactivated: %ld %s", r->status,
	    r->body);
	h_free(r);
}

/* ---- verify ---- */

Test(auth_verify, valid_spent_and_garbage)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*spent;

	h_new_tenant("authver", &t);

	r = h_post_token(VERIFY, "token", t.access);
	cr_assert_eq(r->status, 200, "valid access: %ld %s", r->status,
	    r->body);
	cr_assert(json_is_object(r->json) && json_object_size(r->json) == 0,
	    "verify body: %s", r->body);
	h_free(r);

	r = h_post_token(VERIFY, "token", t.refresh);
	cr_assert_eq(r->status, 200, "valid refresh: %ld %s", r->status,
	    r->body);
	cr_assert(json_is_object(r->json) && json_object_size(r->json) == 0,
	    "verify body: %s", r->body);
	h_free(r);

	/* Spend the refresh token. */
	spent = strdup(t.refresh);
	r = h_post_token(REFRESH, "refresh", spent);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);

	r = h_post_token(VERIFY, "token", spent);
	assert_401(r, "verify: spent refresh token");
	h_free(r);

	r = h_post_token(VERIFY, "token", "garbage");
	assert_401(r, "verify: garbage");
	h_free(r);

	r = h_post_token(VERIFY, "token", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA");
	assert_401(r, "verify: badly signed token");
	h_free(r);

	/* Verify spends nothing: the access token still verifies. */
	r = h_post_token(VERIFY, "token", t.access);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	free(spent);
}

/*
 * Verify applies the check every request gets: a token of an inactive
 * tenant, of an inactive user or of a revoked API client is 401
 * token_not_valid (as simplejwt answers for any token it will not take),
 * access and refresh tokens alike, and valid again once the account is.
 */
Test(auth_verify, principal_check_as_on_every_request, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*out, id[128], secret[128], access[2048], refresh[2048];
	const char	*p, *tokens[2];
	int		i;

	h_new_tenant("authverp", &t);
	tokens[0] = t.access;
	tokens[1] = t.refresh;

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug), NULL,
	    NULL);
	for (i = 0; i < 2; i++) {
		r = h_post_token(VERIFY, "token", tokens[i]);
		assert_401(r, i == 0 ? "verify: access token, inactive tenant" :
		    "verify: refresh token, inactive tenant");
		cr_assert_str_eq(h_str(r, "code"), "token_not_valid");
		h_free(r);
	}
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes", t.slug), NULL,
	    NULL);
	for (i = 0; i < 2; i++) {
		r = h_post_token(VERIFY, "token", tokens[i]);
		cr_assert_eq(r->status, 200, "tenant active again: %ld %s",
		    r->status, r->body);
		h_free(r);
	}

	db_exec(h_fmt("UPDATE users SET is_active = false "
	    "WHERE username = '%s'", t.username));
	for (i = 0; i < 2; i++) {
		r = h_post_token(VERIFY, "token", tokens[i]);
		assert_401(r, i == 0 ? "verify: access token, inactive user" :
		    "verify: refresh token, inactive user");
		cr_assert_str_eq(h_str(r, "code"), "token_not_valid");
		h_free(r);
	}
	db_exec(h_fmt("UPDATE users SET is_active = true "
	    "WHERE username = '%s'", t.username));
	r = h_post_token(VERIFY, "token", t.access);
	cr_assert_eq(r->status, 200, "user active again: %ld %s", r->status,
	    r->body);
	h_free(r);

	/* An API client's tokens, before and after it is revoked. */
	cr_assert_eq(h_admin(h_fmt("create-api-client --name verified "
	    "--tenant %s --roles read --scopes read:projects", t.slug), NULL,
	    &out), 0, "%s", out);
	cr_assert_not_null(p = strstr(out, "client_id:"), "%s", out);
	cr_assert(sscanf(p, "client_id: %127s", id) == 1, "%s", out);
	cr_assert_not_null(p = strstr(out, "client_secret:"), "%s", out);
	cr_assert(sscanf(p, "client_secret: %127s", secret) == 1, "%s", out);
	free(out);
	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id,
	    secret));
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	(void)snprintf(refresh, sizeof(refresh), "%s", h_str(r, "refresh"));
	h_free(r);
	tokens[0] = access;
	tokens[1] = refresh;
	for (i = 0; i < 2; i++) {
		r = h_post_token(VERIFY, "token", tokens[i]);
		cr_assert_eq(r->status, 200, "API client token: %ld %s",
		    r->status, r->body);
		h_free(r);
	}
	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);
	for (i = 0; i < 2; i++) {
		r = h_post_token(VERIFY, "token", tokens[i]);
		assert_401(r, i == 0 ? "verify: revoked client's access token" :
		    "verify: revoked client's refresh token");
		cr_assert_str_eq(h_str(r, "code"), "token_not_valid");
		h_free(r);
	}

	/* The fixture's inactive tenant. */
	r = h_post_token(VERIFY, "token", h_token(H_UMBRELLA));
	assert_401(r, "verify: a token of the inactive fixture tenant");
	h_free(r);
}

/* ---- revoke ---- */

Test(auth_revoke, logout_ends_the_login)
{
	struct h_tenant	t;
	struct h_resp	*r, *other;

	h_new_tenant("authrev", &t);
	other = h_login(NULL, t.username, t.password, NULL);
	cr_assert_eq(other->status, 200, "%ld %s", other->status, other->body);

	assert_get(t.access, 200, "before logout");

	r = h_post_token(REVOKE, "refresh", t.refresh);
	cr_assert_eq(r->status, 204, "revoke: %ld %s", r->status, r->body);
	cr_assert_eq(r->len, 0, "204 with a body: %s", r->body);
	h_free(r);

	r = h_post_token(REFRESH, "refresh", t.refresh);
	assert_401(r, "refresh after logout");
	h_free(r);

	r = h_get(PROJECTS, t.access);
	assert_401(r, "access token after logout");
	h_free(r);

	r = h_post_token(VERIFY, "token", t.access);
	assert_401(r, "verify: access token after logout");
	h_free(r);
	r = h_post_token(VERIFY, "token", t.refresh);
	assert_401(r, "verify: refresh token after logout");
	h_free(r);

	/* Only that login: the user's other login goes on. */
	assert_get(h_str(other, "access"), 200, "other login after logout");
	h_free(other);
}

Test(auth_revoke, descendants_stop_working)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*access1, *refresh1;

	h_new_tenant("authrevd", &t);
	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	access1 = strdup(h_str(r, "access"));
	refresh1 = strdup(h_str(r, "refresh"));
	h_free(r);

	/* Revoke with the newest refresh token. */
	r = h_post_token(REVOKE, "refresh", refresh1);
	cr_assert_eq(r->status, 204, "revoke: %ld %s", r->status, r->body);
	h_free(r);

	r = h_post_token(REFRESH, "refresh", refresh1);
	assert_401(r, "revoked refresh token");
	h_free(r);
	r = h_get(PROJECTS, access1);
	assert_401(r, "access token of the revoked login");
	h_free(r);
	r = h_get(PROJECTS, t.access);
	assert_401(r, "first access token of the revoked login");
	h_free(r);
	free(access1);
	free(refresh1);
}

Test(auth_revoke, bad_tokens_are_401)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("authrevb", &t);

	r = h_post_token(REVOKE, "refresh", "garbage");
	assert_401(r, "revoke: garbage");
	h_free(r);

	/* An access token does not log out. */
	r = h_post_token(REVOKE, "refresh", t.access);
	assert_401(r, "revoke: an access token");
	h_free(r);
	assert_get(t.access, 200, "after a refused revoke");

	r = h_post_token(REFRESH, "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "after a refused revoke: %ld %s",
	    r->status, r->body);
	h_free(r);
}

/*
 * The same refresh token sent several times at once: it is spent once.
 * One request wins; the others are reuse, which ends the login, so the
 * winner's new refresh token fails too.
 */
Test(auth_refresh, concurrent_reuse_spends_once, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	CURLM		*multi;
	CURL		*easy[6];
	struct h_buf	out[6];
	struct curl_slist	*hdrs;
	json_t		*o;
	char		*body, *winner;
	long		status;
	int		i, running, ok, denied;

	h_new_tenant("authrace", &t);
	o = json_pack("{s:s}", "refresh", t.refresh);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);

	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	cr_assert((multi = curl_multi_init()) != NULL);
	for (i = 0; i < 6; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		cr_assert((easy[i] = curl_easy_init()) != NULL);
		curl_easy_setopt(easy[i], CURLOPT_URL, h_fmt("%s%s",
		    h_base_url(), REFRESH));
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, h_collect);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &out[i]);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
		curl_multi_add_handle(multi, easy[i]);
	}
	do {
		cr_assert(curl_multi_perform(multi, &running) == CURLM_OK);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running > 0);

	ok = denied = 0;
	winner = NULL;
	for (i = 0; i < 6; i++) {
		status = 0;
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			ok++;
			o = json_loadb(out[i].data, out[i].len, 0, NULL);
			winner = strdup(json_string_value(json_object_get(o,
			    "refresh")));
			json_decref(o);
		} else if (status == 401) {
			denied++;
		} else {
			cr_assert_fail("concurrent refresh %d: %ld %s", i,
			    status, out[i].data != NULL ? out[i].data : "");
		}
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
		free(out[i].data);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdrs);
	free(body);

	cr_assert_eq(ok, 1, "one refresh token spent %d times at once", ok);
	cr_assert_eq(denied, 5);

	r = h_post_token(REFRESH, "refresh", winner);
	assert_401(r, "the winner's refresh token after concurrent reuse");
	h_free(r);
	free(winner);
}
