/*
 * API clients over HTTP: client_id + client_secret login, refresh, the
 * scopes and roles of API.md, revocation, and the usage log.
 *
 * Clients are made with mtapi-admin create-api-client on tenants of the
 * test's own; the fixture's clients are only logged in with. Failed
 * logins come from the test's own 127.x.y.z address.
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

#define CLIENT_LOGIN	"/api/v1/auth/api-client/token/"
#define CLIENT_REFRESH	"/api/v1/auth/api-client/token/refresh/"
#define USER_REFRESH	"/api/v1/auth/token/refresh/"
#define PROJECTS	"/api/v1/projects/"
#define TASKS		"/api/v1/tasks/"
#define DOCUMENTS	"/api/v1/documents/"

/* This file's second address octet: 127.12.y.z. */
#define IP_OCTET	12

struct client {
	char	id[128];
	char	secret[128];
};

/* mtapi-admin create-api-client; scopes may be NULL. */
static void
new_client(const char *slug, const char *roles, const char *scopes,
    struct client *c)
{
	char		*out;

	h_admin_ok(h_fmt("create-api-client --name %s --tenant %s --roles "
	    "%s%s%s", h_unique("client"), slug, roles, scopes != NULL ?
	    " --scopes " : "", scopes != NULL ? scopes : ""), NULL, &out);
	cr_assert_not_null(h_field_after(out, "client_id:", c->id,
	    sizeof(c->id)), "no client_id in: %s", out);
	cr_assert_not_null(h_field_after(out, "client_secret:", c->secret,
	    sizeof(c->secret)), "no client_secret in: %s", out);
	free(out);
}

/* A client's access token (login from 127.0.0.1, which succeeds). */
static void
client_token(const struct client *c, char *access, size_t len)
{
	struct h_resp	*r;

	r = h_client_login(NULL, c->id, c->secret);
	cr_assert_eq(r->status, 200, "client login: %ld %s", r->status,
	    r->body);
	(void)snprintf(access, len, "%s", h_str(r, "access"));
	h_free(r);
}

/* A 401 challenge that hands out no token. */
static void
assert_401(struct h_resp *r, const char *what)
{
	h_assert_401(r, what);
	cr_assert_null(h_str(r, "access"), "%s: %s", what, r->body);
}

/* method path with token answers status (and code, if not NULL). */
static void
expect(const char *method, const char *path, const char *token,
    const char *body, long status, const char *code)
{
	struct h_resp	*r;

	r = h_req(method, path, token, body, NULL);
	cr_assert_eq(r->status, status, "%s %s: %ld %s (expected %ld)", method,
	    path, r->status, r->body, status);
	if (code != NULL)
		cr_assert_str_eq(h_str(r, "code"), code, "%s %s: %s", method,
		    path, r->body);
	h_free(r);
}

static int
same_strings(json_t *a, json_t *b)
{
	size_t		i, j;
	json_t		*v, *w;
	int		found;

	if (!json_is_array(a) || !json_is_array(b) ||
	    json_array_size(a) != json_array_size(b))
		return (0);
	json_array_foreach(a, i, v) {
		found = 0;
		json_array_foreach(b, j, w) {
			if (json_equal(v, w))
				found = 1;
		}
		if (!found)
			return (0);
	}

	return (1);
}

static json_t *
fixture_client(int tenant, const char *name)
{
	json_t		*c;
	size_t		i;

	json_array_foreach(json_object_get(h_tenant(tenant), "api_clients"),
	    i, c) {
		if (!strcmp(json_string_value(json_object_get(c, "name")),
		    name))
			return (c);
	}
	cr_assert_fail("no fixture client %s", name);

	return (NULL);
}

/* ---- login ---- */

Test(auth_client, login_success)
{
	struct h_resp	*r;
	json_t		*fc, *tenant, *a, *f;
	const char	*id;
	time_t		now;

	fc = fixture_client(H_ACME, "readonly");
	id = h_client(H_ACME, "readonly", "client_id");
	now = time(NULL);

	r = h_client_login(NULL, id, h_client(H_ACME, "readonly",
	    "client_secret"));
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(h_str(r, "token_type"), "Bearer");
	cr_assert(h_int(r, "expires_in") > 0);
	cr_assert_not_null(h_str(r, "access_token_expires_at"));
	cr_assert_not_null(h_str(r, "refresh_token_expires_at"));

	tenant = json_object_get(r->json, "tenant");
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "id")),
	    h_tenant_str(H_ACME, "id"));
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "slug")),
	    h_tenant_str(H_ACME, "slug"));
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "name")),
	    h_tenant_str(H_ACME, "name"));
	cr_assert(same_strings(json_object_get(r->json, "roles"),
	    json_object_get(fc, "roles")), "roles: %s", r->body);
	cr_assert(same_strings(json_object_get(r->json, "scopes"),
	    json_object_get(fc, "scopes")), "scopes: %s", r->body);

	a = h_jwt_claims(h_str(r, "access"));
	cr_assert_str_eq(json_string_value(json_object_get(a, "auth_type")),
	    "api_client");
	cr_assert_str_eq(json_string_value(json_object_get(a, "token_type")),
	    "access");
	cr_assert_str_eq(json_string_value(json_object_get(a, "client_id")),
	    id);
	cr_assert_str_eq(json_string_value(json_object_get(a, "sub")), id);
	cr_assert_str_eq(json_string_value(json_object_get(a, "tenant")),
	    h_tenant_str(H_ACME, "id"));
	cr_assert_null(json_object_get(a, "user_id"));
	cr_assert(same_strings(json_object_get(a, "roles"),
	    json_object_get(fc, "roles")));
	cr_assert(same_strings(json_object_get(a, "scopes"),
	    json_object_get(fc, "scopes")));
	cr_assert(json_integer_value(json_object_get(a, "exp")) -
	    json_integer_value(json_object_get(a, "iat")) ==
	    h_int(r, "expires_in"));
	cr_assert(json_integer_value(json_object_get(a, "iat")) >= now - 5);

	f = h_jwt_claims(h_str(r, "refresh"));
	cr_assert_str_eq(json_string_value(json_object_get(f, "token_type")),
	    "refresh");
	cr_assert_str_eq(json_string_value(json_object_get(f, "client_id")),
	    id);
	cr_assert_str_neq(json_string_value(json_object_get(f, "jti")),
	    json_string_value(json_object_get(a, "jti")));

	expect("GET", PROJECTS, h_str(r, "access"), NULL, 200, NULL);

	json_decref(a);
	json_decref(f);
	h_free(r);
}

/* Bad id, bad secret, revoked client, inactive tenant: one answer. */
Test(auth_client, login_failures_share_one_body)
{
	struct h_tenant	t;
	struct h_resp	*r;
	struct client	c, gone, off;
	char		ip[32], *first, other[80];

	h_own_ip(IP_OCTET, ip, sizeof(ip));
	h_new_tenant("clifail", &t);
	new_client(t.slug, "read", "read:projects", &c);
	new_client(t.slug, "read", "read:projects", &gone);
	h_admin_ok(h_fmt("revoke-api-client --client-id %s", gone.id), NULL,
	    NULL);

	/* A client of a second tenant of ours, then deactivated. */
	(void)snprintf(other, sizeof(other), "%s-off", t.slug);
	h_admin_ok(h_fmt("create-tenant --slug %s --name Off", other), NULL,
	    NULL);
	new_client(other, "read", "read:projects", &off);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", other),
	    NULL, NULL);

	r = h_client_login(ip, c.id, "not-the-secret");
	assert_401(r, "wrong secret");
	first = strdup(r->body);
	h_free(r);

	r = h_client_login(ip, h_unique("mtc_nosuchclient"), c.secret);
	assert_401(r, "unknown client id");
	cr_assert_str_eq(r->body, first);
	h_free(r);

	r = h_client_login(ip, c.id, gone.secret);
	assert_401(r, "another client's secret");
	cr_assert_str_eq(r->body, first);
	h_free(r);

	r = h_client_login(ip, gone.id, gone.secret);
	assert_401(r, "revoked client");
	cr_assert_str_eq(r->body, first);
	h_free(r);

	r = h_client_login(ip, off.id, off.secret);
	assert_401(r, "client of an inactive tenant");
	cr_assert_str_eq(r->body, first);
	h_free(r);

	r = h_client_login(ip, h_client(H_UMBRELLA, "full", "client_id"),
	    h_client(H_UMBRELLA, "full", "client_secret"));
	assert_401(r, "umbrella's client");
	cr_assert_str_eq(r->body, first);
	h_free(r);

	r = h_client_login(ip, c.id, "");
	cr_assert(r->status == 401 || r->status == 400, "empty secret: %ld %s",
	    r->status, r->body);
	h_free(r);

	/* The good client still logs in, from the same address. */
	r = h_client_login(ip, c.id, c.secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	free(first);
}

Test(auth_client, missing_fields_are_400)
{
	struct h_resp	*r;
	json_t		*e;

	r = h_post(CLIENT_LOGIN, NULL, "{}");
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	e = json_object_get(r->json, "errors");
	cr_assert(json_is_array(json_object_get(e, "client_id")), "%s",
	    r->body);
	cr_assert(json_is_array(json_object_get(e, "client_secret")), "%s",
	    r->body);
	h_free(r);

	r = h_client_login(NULL, h_client(H_ACME, "readonly", "client_id"),
	    NULL);
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	e = json_object_get(r->json, "errors");
	cr_assert(json_is_array(json_object_get(e, "client_secret")), "%s",
	    r->body);
	cr_assert_null(json_object_get(e, "client_id"), "%s", r->body);
	h_free(r);
}

/* ---- refresh ---- */

Test(auth_client, refresh_rotates)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r, *n;
	json_t		*a;

	h_new_tenant("cliref", &t);
	new_client(t.slug, "read", "read:projects,read:tasks", &c);

	r = h_client_login(NULL, c.id, c.secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);

	n = h_post_token(CLIENT_REFRESH, "refresh", h_str(r, "refresh"));
	cr_assert_eq(n->status, 200, "client refresh: %ld %s", n->status,
	    n->body);
	cr_assert_str_eq(h_str(n, "token_type"), "Bearer");
	cr_assert(h_int(n, "expires_in") > 0);
	cr_assert_not_null(h_str(n, "access_token_expires_at"));
	cr_assert_not_null(h_str(n, "refresh_token_expires_at"));
	cr_assert_str_neq(h_str(n, "refresh"), h_str(r, "refresh"));

	/* The new access token is the same client's, scopes and all. */
	a = h_jwt_claims(h_str(n, "access"));
	cr_assert_str_eq(json_string_value(json_object_get(a, "auth_type")),
	    "api_client");
	cr_assert_str_eq(json_string_value(json_object_get(a, "client_id")),
	    c.id);
	cr_assert_str_eq(json_string_value(json_object_get(a, "tenant")),
	    t.id);
	cr_assert_eq(json_array_size(json_object_get(a, "scopes")), 2);
	json_decref(a);
	expect("GET", TASKS, h_str(n, "access"), NULL, 200, NULL);
	expect("GET", DOCUMENTS, h_str(n, "access"), NULL, 403,
	    "permission_denied");
	expect("POST", PROJECTS, h_str(n, "access"), "{\"name\": \"x\"}", 403,
	    "permission_denied");

	/* The old refresh token is spent. */
	h_free(n);
	n = h_post_token(CLIENT_REFRESH, "refresh", h_str(r, "refresh"));
	assert_401(n, "spent client refresh token");
	h_free(n);
	h_free(r);
}

Test(auth_client, refresh_wrong_tokens_are_401)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r, *n;

	h_new_tenant("clirefw", &t);
	new_client(t.slug, "read", "read:projects", &c);
	r = h_client_login(NULL, c.id, c.secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);

	/* A client's refresh token at the users' endpoint. */
	n = h_post_token(USER_REFRESH, "refresh", h_str(r, "refresh"));
	assert_401(n, "client refresh token at the user endpoint");
	h_free(n);

	/* An access token. */
	n = h_post_token(CLIENT_REFRESH, "refresh", h_str(r, "access"));
	assert_401(n, "client access token to refresh");
	h_free(n);

	/* A refresh token as a bearer token. */
	n = h_get(PROJECTS, h_str(r, "refresh"));
	assert_401(n, "client refresh token as Bearer");
	h_free(n);

	/* None of that spent it. */
	n = h_post_token(CLIENT_REFRESH, "refresh", h_str(r, "refresh"));
	cr_assert_eq(n->status, 200, "%ld %s", n->status, n->body);
	h_free(n);
	h_free(r);
}

/* ---- scopes and roles ---- */

/* The fixture's read-only client reads (and is not tried on writes: the
 * fixture is shared; the write checks use clients of our own). */
Test(auth_client, fixture_readonly_reads)
{
	char		tok[2048];
	struct client	c;

	(void)snprintf(c.id, sizeof(c.id), "%s",
	    h_client(H_ACME, "readonly", "client_id"));
	(void)snprintf(c.secret, sizeof(c.secret), "%s",
	    h_client(H_ACME, "readonly", "client_secret"));
	client_token(&c, tok, sizeof(tok));

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	expect("GET", TASKS, tok, NULL, 200, NULL);
	expect("GET", DOCUMENTS, tok, NULL, 200, NULL);
}

Test(auth_client, readonly_cannot_write)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r;
	char		tok[2048];
	long long	pid;

	h_new_tenant("cliro", &t);
	pid = h_new_project(t.access, "existing");
	new_client(t.slug, "read", "read:projects,read:tasks,read:documents",
	    &c);
	client_token(&c, tok, sizeof(tok));

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	expect("GET", h_fmt("%s%lld/", PROJECTS, pid), tok, NULL, 200, NULL);
	expect("GET", TASKS, tok, NULL, 200, NULL);
	expect("GET", DOCUMENTS, tok, NULL, 200, NULL);

	expect("POST", PROJECTS, tok, "{\"name\": \"by readonly\"}", 403,
	    "permission_denied");
	expect("PATCH", h_fmt("%s%lld/", PROJECTS, pid), tok,
	    "{\"name\": \"renamed\"}", 403, "permission_denied");
	expect("PUT", h_fmt("%s%lld/", PROJECTS, pid), tok,
	    "{\"name\": \"renamed\"}", 403, "permission_denied");
	expect("DELETE", h_fmt("%s%lld/", PROJECTS, pid), tok, NULL, 403,
	    "permission_denied");
	expect("POST", TASKS, tok, h_fmt("{\"project\": %lld, \"title\": "
	    "\"t\"}", pid), 403, "permission_denied");
	expect("POST", DOCUMENTS, tok, "{\"name\": \"d\", \"file_path\": "
	    "\"/d\", \"file_size\": 1, \"content_type\": \"text/plain\"}", 403,
	    "permission_denied");

	/* Nothing changed. */
	r = h_get(h_fmt("%s%lld/", PROJECTS, pid), t.access);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(h_str(r, "name"), "existing");
	h_free(r);
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
}

Test(auth_client, scope_of_one_resource)
{
	struct h_tenant	t;
	struct client	c;
	char		tok[2048];

	h_new_tenant("clione", &t);
	new_client(t.slug, "read", "read:projects", &c);
	client_token(&c, tok, sizeof(tok));

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	expect("GET", TASKS, tok, NULL, 403, "permission_denied");
	expect("GET", "/api/v1/tasks/by-status/?status=todo", tok, NULL, 403,
	    "permission_denied");
	expect("GET", DOCUMENTS, tok, NULL, 403, "permission_denied");
	expect("POST", PROJECTS, tok, "{\"name\": \"no\"}", 403,
	    "permission_denied");
}

/* write:<resource> without read:<resource>: writes, cannot read. */
Test(auth_client, write_without_read)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r;
	char		tok[2048];

	h_new_tenant("cliwo", &t);
	new_client(t.slug, "write", "write:projects", &c);
	client_token(&c, tok, sizeof(tok));

	expect("POST", PROJECTS, tok, "{\"name\": \"written\"}", 201, NULL);
	expect("GET", PROJECTS, tok, NULL, 403, "permission_denied");

	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
}

Test(auth_client, full_client_writes)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r;
	char		tok[2048];
	long long	pid, tid;

	h_new_tenant("clifull", &t);
	new_client(t.slug, "read,write", "read:projects,write:projects,"
	    "read:tasks,write:tasks,read:documents,write:documents", &c);
	client_token(&c, tok, sizeof(tok));

	pid = h_new_project(tok, "by the full client");
	expect("PATCH", h_fmt("%s%lld/", PROJECTS, pid), tok,
	    "{\"description\": \"patched\"}", 200, NULL);
	r = h_post(TASKS, tok, h_fmt("{\"project\": %lld, \"title\": \"t\"}",
	    pid));
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	tid = h_int(r, "id");
	h_free(r);
	expect("POST", h_fmt("%s%lld/complete/", TASKS, tid), tok, "{}", 200,
	    NULL);
	expect("POST", DOCUMENTS, tok, "{\"name\": \"d\", \"file_path\": "
	    "\"/d\", \"file_size\": 1, \"content_type\": \"text/plain\"}", 201,
	    NULL);
	expect("DELETE", h_fmt("%s%lld/", TASKS, tid), tok, NULL, 204, NULL);
	expect("DELETE", h_fmt("%s%lld/", PROJECTS, pid), tok, NULL, 204,
	    NULL);
}

/* Role admin grants every scope, with no scopes of its own. */
Test(auth_client, admin_role_grants_everything)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r;
	char		tok[2048];
	long long	pid;

	h_new_tenant("cliadm", &t);
	new_client(t.slug, "admin", NULL, &c);

	r = h_client_login(NULL, c.id, c.secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert(json_array_size(json_object_get(r->json, "scopes")) == 0,
	    "scopes of an admin-only client: %s", r->body);
	(void)snprintf(tok, sizeof(tok), "%s", h_str(r, "access"));
	h_free(r);

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	expect("GET", TASKS, tok, NULL, 200, NULL);
	expect("GET", DOCUMENTS, tok, NULL, 200, NULL);
	pid = h_new_project(tok, "by admin");
	expect("POST", TASKS, tok, h_fmt("{\"project\": %lld, \"title\": "
	    "\"t\"}", pid), 201, NULL);
	expect("POST", DOCUMENTS, tok, "{\"name\": \"d\", \"file_path\": "
	    "\"/d\", \"file_size\": 1, \"content_type\": \"text/plain\"}", 201,
	    NULL);
	expect("DELETE", h_fmt("%s%lld/", PROJECTS, pid), tok, NULL, 204,
	    NULL);
}

/* ---- revocation and deactivation ---- */

/*
 * API.md: 403 for "valid token, but ... user/API client inactive or
 * revoked". A revoked client's access token must stop working on the
 * next request, with 403.
 */
Test(auth_client, revoked_client_token_is_403)
{
	struct h_tenant	t;
	struct client	c;
	struct h_resp	*r;
	char		access[2048], refresh[2048];

	h_new_tenant("clirev", &t);
	new_client(t.slug, "read", "read:projects", &c);
	r = h_client_login(NULL, c.id, c.secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	(void)snprintf(refresh, sizeof(refresh), "%s", h_str(r, "refresh"));
	h_free(r);

	expect("GET", PROJECTS, access, NULL, 200, NULL);
	h_admin_ok(h_fmt("revoke-api-client --client-id %s", c.id), NULL, NULL);

	/* The refresh token is dead. */
	r = h_post_token(CLIENT_REFRESH, "refresh", refresh);
	assert_401(r, "refresh of a revoked client");
	h_free(r);

	/* The very next request with the access token. */
	r = h_get(PROJECTS, access);
	cr_assert_neq(r->status, 200, "revoked client still served: %s",
	    r->body);
	cr_assert_null(json_object_get(r->json, "results"));
	cr_assert_eq(r->status, 403, "revoked client's access token: %ld %s "
	    "(API.md: 403 for a revoked API client)", r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "permission_denied", "%s",
	    r->body);
	h_free(r);
}

Test(auth_client, inactive_tenant_client_token_is_403)
{
	struct h_tenant	t;
	struct client	c;
	char		tok[2048];

	h_new_tenant("clitin", &t);
	new_client(t.slug, "read", "read:projects", &c);
	client_token(&c, tok, sizeof(tok));
	expect("GET", PROJECTS, tok, NULL, 200, NULL);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL, NULL);
	expect("GET", PROJECTS, tok, NULL, 403, "tenant_inactive");
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes",
	    t.slug), NULL, NULL);
	expect("GET", PROJECTS, tok, NULL, 200, NULL);
}

/* ---- the usage log ---- */

struct usage_line {
	char	time[64];
	char	method[16];
	char	status[16];
	char	path[512];
};

/*
 * mtapi-admin usage --client ID [--since T]: its rows, waiting up to
 * ~6 s for at least want of them (the server flushes every second).
 */
static size_t
usage_lines(const char *id, const char *since, size_t want,
    struct usage_line *out, size_t max)
{
	char		*text, *line, *save, ms[32], ip[64];
	size_t		n;
	int		tries;

	for (tries = 0;; tries++) {
		h_admin_ok(h_fmt("usage --client %s%s%s", id,
		    since != NULL ? " --since " : "", since != NULL ? since :
		    ""), NULL, &text);
		n = 0;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, "time", 4) || n == max ||
			    !isdigit((unsigned char)line[0]))
				continue;
			if (sscanf(line, "%63s %15s %15s %31s %63s %511s",
			    out[n].time, out[n].method, out[n].status, ms, ip,
			    out[n].path) == 6)
				n++;
		}
		free(text);
		if (n >= want || tries == 12)
			return (n);
		usleep(500 * 1000);
	}
}

static int
usage_has(struct usage_line *l, size_t n, const char *method,
    const char *path, const char *status)
{
	size_t		i;

	for (i = 0; i < n; i++) {
		if (!strcmp(l[i].method, method) && !strcmp(l[i].path, path) &&
		    !strcmp(l[i].status, status))
			return (1);
	}

	return (0);
}

Test(auth_client, usage_log_lists_requests, .timeout = 60)
{
	struct h_tenant		t;
	struct client		c;
	struct usage_line	l[32];
	char			tok[2048];
	size_t			n;

	h_new_tenant("cliuse", &t);
	new_client(t.slug, "read", "read:projects", &c);
	client_token(&c, tok, sizeof(tok));

	/* Nothing yet: logins are not resource requests. */
	n = usage_lines(c.id, NULL, 0, l, 32);
	cr_assert_eq(n, 0, "usage before any request: %zu rows", n);

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	expect("GET", "/api/v1/projects/987654321/", tok, NULL, 404, NULL);
	expect("POST", PROJECTS, tok, "{\"name\": \"no\"}", 403, NULL);
	expect("GET", TASKS, tok, NULL, 403, NULL);

	sleep(2);
	n = usage_lines(c.id, NULL, 4, l, 32);
	cr_assert_eq(n, 4, "usage rows: %zu, expected 4", n);
	cr_assert(usage_has(l, n, "GET", PROJECTS, "200"));
	cr_assert(usage_has(l, n, "GET", "/api/v1/projects/987654321/",
	    "404"));
	cr_assert(usage_has(l, n, "POST", PROJECTS, "403"));
	cr_assert(usage_has(l, n, "GET", TASKS, "403"));

	/* Another client's log is its own; a user's requests are not in it. */
	expect("GET", PROJECTS, t.access, NULL, 200, NULL);
	sleep(2);
	n = usage_lines(c.id, NULL, 0, l, 32);
	cr_assert_eq(n, 4, "a user's request in the client's log: %zu", n);
}

/*
 * The rows carry the time of the request: within a minute of now, and
 * found by --since with a time just before the requests.
 */
Test(auth_client, usage_log_times_are_wall_clock, .timeout = 60)
{
	struct h_tenant		t;
	struct client		c;
	struct usage_line	l[8];
	struct tm		tm;
	char			tok[2048], since[64];
	time_t			start, at;
	size_t			n;

	h_new_tenant("cliuset", &t);
	new_client(t.slug, "read", "read:projects", &c);
	client_token(&c, tok, sizeof(tok));

	start = time(NULL) - 60;
	(void)gmtime_r(&start, &tm);
	(void)strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);

	expect("GET", PROJECTS, tok, NULL, 200, NULL);
	sleep(2);
	n = usage_lines(c.id, NULL, 1, l, 8);
	cr_assert_eq(n, 1, "usage rows: %zu", n);

	memset(&tm, 0, sizeof(tm));
	cr_assert_not_null(strptime(l[0].time, "%Y-%m-%dT%H:%M:%S", &tm),
	    "usage time %s", l[0].time);
	at = timegm(&tm);
	cr_assert(at >= start && at <= time(NULL) + 60,
	    "the usage row's time %s is not the time of the request (%s)",
	    l[0].time, since);

	n = usage_lines(c.id, since, 1, l, 8);
	cr_assert_eq(n, 1, "usage --since %s: %zu rows", since, n);
}
