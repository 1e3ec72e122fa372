/*
 * The auth hook over HTTP: what a resource request needs in its
 * Authorization header (API.md, "Authentication"), with tokens forged
 * from the fixture's signing key to reach every check the server makes
 * (signature, algorithm, exp, iss, aud, token_type, tenant), and the
 * activity checks made on every request (tenant, service tokens).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
/* The server's header: its algorithm and the kid of its current key. */
#define HDR_HS256	h_fmt("{\"alg\":\"HS256\",\"kid\":\"%s\"," \
			    "\"typ\":\"JWT\"}", fixture_jwt("kid"))

#define SIG_NONE	0
#define SIG_HS256	1
#define SIG_HS512	2

static const char *
fixture_jwt(const char *field)
{
	const char	*v;

	v = json_string_value(json_object_get(json_object_get(h_fixture(),
	    "jwt"), field));
	cr_assert_not_null(v, "fixture jwt.%s", field);

	return (v);
}

/*
 * A JWT of header (JSON text) and claims, signed with key as sig says
 * (SIG_NONE: an empty signature). The caller frees it.
 */
static char *
forge(const char *header, json_t *claims, const char *key, int sig)
{
	crypto_auth_hmacsha256_state	s256;
	crypto_auth_hmacsha512_state	s512;
	unsigned char			mac[64];
	char				*h, *p, *c, *m, *input, *out;
	size_t				maclen, len;

	if (strcmp(fixture_jwt("algorithm"), "HS256"))
		cr_skip_test("the test server does not use HS256");

	c = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_not_null(c);
	h = h_b64url(header, strlen(header));
	p = h_b64url(c, strlen(c));
	free(c);

	len = strlen(h) + strlen(p) + 2;
	input = malloc(len);
	cr_assert_not_null(input);
	(void)snprintf(input, len, "%s.%s", h, p);

	maclen = 0;
	if (sig == SIG_HS256) {
		crypto_auth_hmacsha256_init(&s256, (const unsigned char *)key,
		    strlen(key));
		crypto_auth_hmacsha256_update(&s256,
		    (const unsigned char *)input, strlen(input));
		crypto_auth_hmacsha256_final(&s256, mac);
		maclen = 32;
	} else if (sig == SIG_HS512) {
		crypto_auth_hmacsha512_init(&s512, (const unsigned char *)key,
		    strlen(key));
		crypto_auth_hmacsha512_update(&s512,
		    (const unsigned char *)input, strlen(input));
		crypto_auth_hmacsha512_final(&s512, mac);
		maclen = 64;
	}
	m = maclen > 0 ? h_b64url(mac, maclen) : strdup("");

	len = strlen(input) + strlen(m) + 2;
	out = malloc(len);
	cr_assert_not_null(out);
	(void)snprintf(out, len, "%s.%s", input, m);

	free(h);
	free(p);
	free(m);
	free(input);

	return (out);
}

static void
new_jti(json_t *claims)
{
	unsigned char	b[16];
	char		s[40];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	(void)snprintf(s, sizeof(s), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	json_object_set_new(claims, "jti", json_string(s));
}

/* The claims of acme's access token, with a new jti and fresh times. */
static json_t *
acme_claims(void)
{
	json_t		*c;
	time_t		now;

	c = h_jwt_claims(h_token(H_ACME));
	now = time(NULL);
	json_object_set_new(c, "iat", json_integer(now));
	json_object_set_new(c, "exp", json_integer(now + 600));
	new_jti(c);

	return (c);
}

static char *
sign(json_t *claims)
{
	return (forge(HDR_HS256, claims, fixture_jwt("signing_key"),
	    SIG_HS256));
}

/* A 401 challenge (with code, if not NULL) that shows no results. */
static void
assert_401(struct h_resp *r, const char *code, const char *what)
{
	h_assert_401(r, what);
	if (code != NULL)
		cr_assert_str_eq(h_str(r, "code"), code, "%s: %s", what,
		    r->body);
	cr_assert_null(json_object_get(r->json, "results"), "%s: %s", what,
	    r->body);
}

static void
assert_status(const char *token, long status, const char *code,
    const char *what)
{
	struct h_resp	*r;

	r = h_get(PROJECTS, token);
	if (status == 401) {
		assert_401(r, code, what);
	} else {
		cr_assert_eq(r->status, status, "%s: %ld %s", what, r->status,
		    r->body);
		if (code != NULL)
			cr_assert_str_eq(h_str(r, "code"), code, "%s: %s",
			    what, r->body);
	}
	h_free(r);
}

/* A forged variant of acme's claims must be refused with 401. */
static void
assert_forged_401(json_t *claims, const char *what)
{
	char		*tok;

	tok = sign(claims);
	assert_status(tok, 401, "token_not_valid", what);
	free(tok);
}

/* ---- the Authorization header ---- */

Test(auth_hook, no_credentials)
{
	static const char	*paths[] = { "/api/v1/projects/",
				    "/api/v1/projects", "/api/v1/tasks/",
				    "/api/v1/documents/",
				    "/api/v1/projects/1/",
				    "/api/v1/projects/statistics/",
				    "/api/v1/tasks/by-status/?status=todo",
				    NULL };
	struct h_resp		*r;
	size_t			i;

	for (i = 0; paths[i] != NULL; i++) {
		r = h_get(paths[i], NULL);
		assert_401(r, "not_authenticated", paths[i]);
		cr_assert_not_null(h_str(r, "detail"));
		h_free(r);
	}

	r = h_post(PROJECTS, NULL, "{\"name\": \"no auth\"}");
	assert_401(r, "not_authenticated", "POST without a token");
	h_free(r);
}

Test(auth_hook, other_schemes_are_401)
{
	const char	*basic[] = { "Authorization: Basic eHl6OnBhc3M=",
			    NULL };
	const char	*bare[] = { "Authorization: Bearer", NULL };
	const char	*spaces[] = { "Authorization: Bearer    ", NULL };
	const char	*token[] = { NULL, NULL };
	struct h_resp	*r;

	r = h_req("GET", PROJECTS, NULL, NULL, basic);
	assert_401(r, "not_authenticated", "Basic");
	h_free(r);

	r = h_req("GET", PROJECTS, NULL, NULL, bare);
	assert_401(r, NULL, "Bearer without a token");
	h_free(r);

	r = h_req("GET", PROJECTS, NULL, NULL, spaces);
	assert_401(r, NULL, "Bearer and spaces");
	h_free(r);

	/* A valid access token, but not as a Bearer token. */
	token[0] = h_fmt("Authorization: Basic %s", h_token(H_ACME));
	r = h_req("GET", PROJECTS, NULL, NULL, token);
	assert_401(r, "not_authenticated", "valid token, scheme Basic");
	h_free(r);

	token[0] = h_fmt("Authorization: %s", h_token(H_ACME));
	r = h_req("GET", PROJECTS, NULL, NULL, token);
	assert_401(r, "not_authenticated", "valid token without a scheme");
	h_free(r);
}

Test(auth_hook, garbage_tokens_are_401)
{
	static const char	*bad[] = { "garbage", "a.b.c", "a.b", "...",
				    "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", NULL };
	size_t			i;

	for (i = 0; bad[i] != NULL; i++)
		assert_status(bad[i], 401, "token_not_valid", bad[i]);
}

/*
 * The forging itself is right: re-signed claims are accepted. Every
 * test below changes one thing from this.
 */
Test(auth_hook, forged_with_the_right_key_works)
{
	json_t		*c;
	char		*tok;

	c = acme_claims();
	tok = sign(c);
	assert_status(tok, 200, NULL, "re-signed acme claims");
	free(tok);
	json_decref(c);
}

Test(auth_hook, expired_token_is_401)
{
	json_t		*c;
	time_t		now;

	now = time(NULL);
	c = acme_claims();
	json_object_set_new(c, "iat", json_integer(now - 7200));
	json_object_set_new(c, "exp", json_integer(now - 60));
	assert_forged_401(c, "expired a minute ago");

	json_object_set_new(c, "exp", json_integer(now - 1));
	assert_forged_401(c, "expired a second ago");

	json_object_del(c, "exp");
	assert_forged_401(c, "no exp");

	json_object_set_new(c, "exp", json_string("9999999999"));
	assert_forged_401(c, "exp a string");
	json_decref(c);
}

Test(auth_hook, wrong_issuer_audience_type_are_401)
{
	json_t		*c;

	c = acme_claims();
	json_object_set_new(c, "iss", json_string("someone-else"));
	assert_forged_401(c, "wrong iss");
	json_object_del(c, "iss");
	assert_forged_401(c, "no iss");
	json_decref(c);

	c = acme_claims();
	json_object_set_new(c, "aud", json_string("other-clients"));
	assert_forged_401(c, "wrong aud");
	json_object_del(c, "aud");
	assert_forged_401(c, "no aud");
	json_decref(c);

	c = acme_claims();
	json_object_set_new(c, "token_type", json_string("refresh"));
	assert_forged_401(c, "token_type refresh");
	json_object_set_new(c, "token_type", json_string("id"));
	assert_forged_401(c, "token_type id");
	json_object_del(c, "token_type");
	assert_forged_401(c, "no token_type");
	json_decref(c);
}

Test(auth_hook, wrong_algorithm_or_key_is_401)
{
	json_t		*c;
	char		*tok;
	const char	*key;

	key = fixture_jwt("signing_key");
	c = acme_claims();

	tok = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, key, SIG_NONE);
	assert_status(tok, 401, "token_not_valid", "alg none, unsigned");
	free(tok);

	tok = forge("{\"alg\":\"none\"}", c, key, SIG_HS256);
	assert_status(tok, 401, "token_not_valid", "alg none with a MAC");
	free(tok);

	tok = forge(HDR_HS256, c, key, SIG_NONE);
	assert_status(tok, 401, "token_not_valid", "HS256 without signature");
	free(tok);

	tok = forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", c, key, SIG_HS512);
	assert_status(tok, 401, "token_not_valid", "HS512 with the right key");
	free(tok);

	tok = forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", c, key, SIG_HS256);
	assert_status(tok, 401, "token_not_valid", "alg RS256, HMAC signed");
	free(tok);

	tok = forge(HDR_HS256, c, "a-different-signing-key-0123456789",
	    SIG_HS256);
	assert_status(tok, 401, "token_not_valid", "HS256, another key");
	free(tok);

	tok = forge(HDR_HS256, c, "", SIG_HS256);
	assert_status(tok, 401, "token_not_valid", "HS256, empty key");
	free(tok);

	json_decref(c);
}

/* A valid token whose payload is changed keeps its old signature. */
Test(auth_hook, tampered_payload_is_401)
{
	json_t		*c;
	char		*orig, *forged, *tampered;
	const char	*d1, *d2, *f1, *f2;
	size_t		len;

	c = acme_claims();
	orig = sign(c);
	assert_status(orig, 200, NULL, "untampered");

	json_object_set_new(c, "tenant", json_string(h_tenant_str(H_GLOBEX,
	    "id")));
	json_object_set_new(c, "tenant_slug", json_string(h_tenant_str(
	    H_GLOBEX, "slug")));
	forged = sign(c);

	/* orig's header and signature around forged's payload. */
	d1 = strchr(orig, '.');
	d2 = strchr(d1 + 1, '.');
	f1 = strchr(forged, '.');
	f2 = strchr(f1 + 1, '.');
	len = strlen(orig) + strlen(forged);
	tampered = malloc(len);
	cr_assert_not_null(tampered);
	(void)snprintf(tampered, len, "%.*s%.*s%s", (int)(d1 - orig), orig,
	    (int)(f2 - f1), f1, d2);
	cr_assert_str_neq(tampered, orig);
	assert_status(tampered, 401, "token_not_valid", "tampered payload");

	/* A real token of the fixture with one signature byte changed. */
	free(tampered);
	tampered = strdup(h_token(H_ACME));
	len = strlen(tampered);
	tampered[len - 2] = tampered[len - 2] == 'A' ? 'B' : 'A';
	assert_status(tampered, 401, "token_not_valid", "changed signature");

	free(tampered);
	free(orig);
	free(forged);
	json_decref(c);
}

Test(auth_hook, tenant_claim_must_be_a_uuid)
{
	json_t		*c;

	c = acme_claims();
	json_object_set_new(c, "tenant", json_string(h_tenant_str(H_ACME,
	    "slug")));
	assert_forged_401(c, "tenant is a slug");
	json_object_set_new(c, "tenant", json_string("1"));
	assert_forged_401(c, "tenant is \"1\"");
	json_object_set_new(c, "tenant", json_integer(1));
	assert_forged_401(c, "tenant is a number");
	json_object_set_new(c, "tenant",
	    json_string("94f50e24-c70c-4b1a-b3c4-342703dad31"));
	assert_forged_401(c, "tenant is a UUID short of a digit");
	json_object_set_new(c, "tenant", json_string(h_fmt("%s' OR '1'='1",
	    h_tenant_str(H_ACME, "id"))));
	assert_forged_401(c, "tenant with SQL after it");
	json_object_del(c, "tenant");
	assert_forged_401(c, "no tenant");
	json_decref(c);
}

Test(auth_hook, unknown_tenant_is_403)
{
	json_t		*c;
	char		*tok;

	c = acme_claims();
	json_object_set_new(c, "tenant",
	    json_string("00000000-0000-4000-8000-000000000000"));
	tok = sign(c);
	assert_status(tok, 403, "tenant_inactive",
	    "tenant that does not exist");
	free(tok);
	json_decref(c);
}

Test(auth_hook, inactive_tenant_is_403)
{
	struct h_resp	*r;

	r = h_get(PROJECTS, h_token(H_UMBRELLA));
	cr_assert_eq(r->status, 403, "umbrella: %ld %s", r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "tenant_inactive");
	cr_assert_null(json_object_get(r->json, "results"));
	h_free(r);

	r = h_get("/api/v1/tasks/", h_token(H_UMBRELLA));
	cr_assert_eq(r->status, 403, "umbrella tasks: %ld %s", r->status,
	    r->body);
	cr_assert_str_eq(h_str(r, "code"), "tenant_inactive");
	h_free(r);

	r = h_post(PROJECTS, h_token(H_UMBRELLA), "{\"name\": \"inactive\"}");
	cr_assert_eq(r->status, 403, "umbrella POST: %ld %s", r->status,
	    r->body);
	cr_assert_str_eq(h_str(r, "code"), "tenant_inactive");
	h_free(r);
}

/* A user's token for another tenant (only with the key): not a member. */
Test(auth_hook, user_of_another_tenant_is_403)
{
	json_t		*c;
	char		*tok;

	c = acme_claims();
	json_object_set_new(c, "tenant", json_string(h_tenant_str(H_GLOBEX,
	    "id")));
	json_object_set_new(c, "tenant_slug", json_string(h_tenant_str(
	    H_GLOBEX, "slug")));
	tok = sign(c);
	assert_status(tok, 403, "permission_denied", "acme user in globex");
	free(tok);
	json_decref(c);
}

/* tenant_slug is informational: the tenant claim decides. */
Test(auth_hook, tenant_slug_is_not_trusted)
{
	struct h_resp	*a, *b;
	json_t		*c;
	char		*tok;

	c = acme_claims();
	json_object_set_new(c, "tenant_slug", json_string(h_tenant_str(
	    H_GLOBEX, "slug")));
	tok = sign(c);

	a = h_get("/api/v1/projects/?ordering=name", h_token(H_ACME));
	b = h_get("/api/v1/projects/?ordering=name", tok);
	cr_assert_eq(a->status, 200, "%ld %s", a->status, a->body);
	cr_assert_eq(b->status, 200, "%ld %s", b->status, b->body);
	cr_assert_str_eq(b->body, a->body,
	    "a lying tenant_slug changed what the token sees");

	free(tok);
	h_free(a);
	h_free(b);
	json_decref(c);
}

/* Deactivation counts from the very next request, and so does undoing it. */
Test(auth_hook, deactivation_takes_effect_at_once)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("hookdeact", &t);
	assert_status(t.access, 200, NULL, "active");

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL, NULL);
	assert_status(t.access, 403, "tenant_inactive",
	    "right after deactivation");
	r = h_post(PROJECTS, t.access, "{\"name\": \"while inactive\"}");
	cr_assert_eq(r->status, 403, "POST while inactive: %ld %s", r->status,
	    r->body);
	cr_assert_str_eq(h_str(r, "code"), "tenant_inactive");
	h_free(r);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes", t.slug),
	    NULL, NULL);
	assert_status(t.access, 200, NULL, "right after reactivation");

	/* Nothing was created while it was inactive. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
	h_free(r);
}

/* mtapi-admin create-service-token: an access token for a service. */
Test(auth_hook, service_token)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*c, *scopes;
	char		service[80], *out, *tok, *end;
	time_t		now;

	h_new_tenant("hooksvc", &t);
	(void)snprintf(service, sizeof(service), "%s", h_unique("svc"));
	now = time(NULL);
	h_admin_ok(h_fmt("create-service-token --tenant %s --service %s "
	    "--minutes 5 --scopes '*'", t.slug, service), NULL, &out);
	for (tok = out; isspace((unsigned char)*tok); tok++)
		;
	for (end = tok; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	*end = '\0';

	c = h_jwt_claims(tok);
	cr_assert_str_eq(json_string_value(json_object_get(c, "auth_type")),
	    "service");
	cr_assert_str_eq(json_string_value(json_object_get(c, "token_type")),
	    "access");
	cr_assert_str_eq(json_string_value(json_object_get(c, "tenant")),
	    t.id);
	cr_assert_str_eq(json_string_value(json_object_get(c, "sub")),
	    service);
	cr_assert_str_eq(json_string_value(json_object_get(c, "iss")),
	    fixture_jwt("issuer"));
	cr_assert_str_eq(json_string_value(json_object_get(c, "aud")),
	    fixture_jwt("audience"));
	cr_assert(json_integer_value(json_object_get(c, "exp")) >=
	    now + 5 * 60 - 5 &&
	    json_integer_value(json_object_get(c, "exp")) <= now + 5 * 60 + 5,
	    "exp is not now + 5 minutes");
	scopes = json_object_get(c, "scopes");
	cr_assert(json_is_array(scopes) && json_array_size(scopes) > 0);
	cr_assert(json_is_array(json_object_get(c, "roles")));
	json_decref(c);

	/* It reads and (scope "*", asked for) writes its tenant's data. */
	r = h_post(PROJECTS, tok, "{\"name\": \"by a service\"}");
	cr_assert_eq(r->status, 201, "service POST: %ld %s", r->status,
	    r->body);
	h_free(r);
	r = h_get(PROJECTS, tok);
	cr_assert_eq(r->status, 200, "service GET: %ld %s", r->status,
	    r->body);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(r->json, "results"), 0), "name")), "by a service");
	h_free(r);

	/* The tenant's user sees what the service made. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);

	/* And it is refused once the tenant is inactive. */
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL, NULL);
	assert_status(tok, 403, "tenant_inactive", "service, inactive tenant");
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes", t.slug),
	    NULL, NULL);
	assert_status(tok, 200, NULL, "service, tenant active again");
	free(out);
}

/* The first word of mtapi-admin's output (the token), in place. */
static char *
first_word(char *out)
{
	char		*tok, *end;

	for (tok = out; isspace((unsigned char)*tok); tok++)
		;
	for (end = tok; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	*end = '\0';

	return (tok);
}

/*
 * A service token is good while its record is: revoke-service-token
 * ends it from the next request on (401 token_not_valid, verify too),
 * and leaves the service's other tokens alone.
 */
Test(auth_hook, service_token_revoked)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*c;
	char		*out, *out2, *tok, *other, jti[64];

	h_new_tenant("hooksvcr", &t);
	h_admin_ok(h_fmt("create-service-token --tenant %s --service nightly "
	    "--scopes read:projects", t.slug), NULL, &out);
	tok = first_word(out);
	h_admin_ok(h_fmt("create-service-token --tenant %s --service nightly "
	    "--scopes read:projects", t.slug), NULL, &out2);
	other = first_word(out2);
	assert_status(tok, 200, NULL, "service token");

	c = h_jwt_claims(tok);
	(void)snprintf(jti, sizeof(jti), "%s",
	    json_string_value(json_object_get(c, "jti")));
	json_decref(c);
	h_admin_ok(h_fmt("revoke-service-token --jti %s", jti), NULL, NULL);

	assert_status(tok, 401, "token_not_valid", "revoked service token");
	r = h_post("/api/v1/auth/token/verify/", NULL,
	    h_fmt("{\"token\":\"%s\"}", tok));
	assert_401(r, "token_not_valid", "verify: revoked service token");
	h_free(r);
	assert_status(other, 200, NULL, "the service's other token");
	free(out);
	free(out2);
}

/*
 * A service token the operator command did not issue (signed with the
 * key, but with no record) is refused: 401 token_not_valid.
 */
Test(auth_hook, service_token_unknown)
{
	struct h_tenant	t;
	json_t		*c;
	char		*tok;
	time_t		now;

	h_new_tenant("hooksvcu", &t);
	now = time(NULL);
	c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:[s], "
	    "s:[s]}", "token_type", "access", "auth_type", "service",
	    "tenant", t.id, "tenant_slug", t.slug, "sub", "forged",
	    "iss", fixture_jwt("issuer"), "aud", fixture_jwt("audience"),
	    "iat", (json_int_t)now, "exp", (json_int_t)(now + 300),
	    "scopes", "*", "roles", "service");
	new_jti(c);
	tok = sign(c);
	json_decref(c);

	assert_status(tok, 401, "token_not_valid", "unrecorded service token");
	free(tok);
}

Test(auth_hook, service_token_scopes)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*out, *tok, *end;

	h_new_tenant("hooksvcs", &t);
	h_admin_ok(h_fmt("create-service-token --tenant %s --service %s "
	    "--minutes 5 --scopes read:projects --roles read", t.slug,
	    h_unique("svc")), NULL, &out);
	for (tok = out; isspace((unsigned char)*tok); tok++)
		;
	for (end = tok; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	*end = '\0';

	assert_status(tok, 200, NULL, "read:projects service GET");
	r = h_post(PROJECTS, tok, "{\"name\": \"not allowed\"}");
	cr_assert_eq(r->status, 403, "read-only service POST: %ld %s",
	    r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "permission_denied");
	h_free(r);
	r = h_get("/api/v1/tasks/", tok);
	cr_assert_eq(r->status, 403, "read:projects service, tasks: %ld %s",
	    r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "permission_denied");
	h_free(r);
	free(out);
}
