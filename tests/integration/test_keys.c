/*
 * The signing key ring over HTTP (issue 16) and the claims other issuers
 * write (issue 12: any jti, nbf). Four servers share the database
 * (tools/dev/test.sh): the HS256 ones (leeway 0, no refresh grace), an
 * RS256 one with JWT_LEEWAY_SECONDS=60 and JWT_REFRESH_REUSE_SECONDS=60,
 * and an ES256 one that accepts kid-less tokens (JWT_ACCEPT_MISSING_KID).
 * Tokens are forged here with the keys the rings started from: the
 * fixture's HS256 key, the RS256 and ES256 key files. Rotation and
 * retirement, which change a ring under the servers, are in
 * test_keys_rotation.c, which runs after this file.
 */

#include <sys/wait.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define LOGIN		"/api/v1/auth/token/"
#define REFRESH		"/api/v1/auth/token/refresh/"
#define VERIFY		"/api/v1/auth/token/verify/"
#define REVOKE		"/api/v1/auth/token/revoke/"
#define JWKS		"/.well-known/jwks.json"
#define HEX32		"0123456789abcdef0123456789abcdef"

static const char	*fx_jwt(const char *);
static char		*input_of(const char *, json_t *);
static char		*forge_hs(const char *, json_t *, const char *);
static char		*forge_pem(const char *, json_t *, const char *, int);
static char		*read_file(const char *);
static char		*public_of(const char *);
static json_t		*jwk_of(EVP_PKEY *);
static char		*private_hex(const char *);
static json_t		*keys_list(void);
static char		*kid_of(json_t *, const char *, const char *,
			    const char *);
static json_t		*acme_claims(const char *);
static long		 status_at(const char *, const char *);
static struct h_resp	*post_at(const char *, const char *, const char *,
			    const char *);
static struct h_resp	*login_at(const char *, struct h_tenant *);
static void		 assert_401(struct h_resp *, const char *);
static const char	*hdr(const char *, const char *, const char *);
static int		 pyjwt_verifies(const char *, const char *, char **);

static const char *
fx_jwt(const char *field)
{
	const char	*v;

	v = json_string_value(json_object_get(json_object_get(h_fixture(),
	    "jwt"), field));
	cr_assert_not_null(v, "fixture jwt.%s", field);

	return (v);
}

/* ---- kid ---- */

/* Every token signed carries the kid of the ring's current key. */
Test(kid, on_every_token)
{
	struct h_tenant	 t;
	json_t		*list, *h;
	char		*current;

	h_new_tenant("kidtok", &t);
	list = keys_list();
	current = kid_of(list, "HS256", "current", NULL);

	h = h_jwt_header(t.access);
	cr_assert_str_eq(h_jstr(h, "alg"), "HS256");
	cr_assert_str_eq(h_jstr(h, "kid"), current, "access kid");
	json_decref(h);
	h = h_jwt_header(t.refresh);
	cr_assert_str_eq(h_jstr(h, "kid"), current, "refresh kid");
	json_decref(h);
	cr_assert_str_eq(fx_jwt("kid"), current);

	free(current);
	json_decref(list);
}

/*
 * The kid picks a key among the configured algorithm's keys: no kid, an
 * unknown one, or the kid of another algorithm's key is 401, whatever the
 * token's alg and however it is signed.
 */
Test(kid, chooses_a_key_never_an_algorithm)
{
	json_t		*list, *c;
	char		*tok, *rs_kid, *rs_priv, *rs_pub;

	list = keys_list();
	rs_kid = kid_of(list, "RS256", NULL, "imported");
	rs_priv = read_file(h_env("MTAPI_TEST_RS256_KEY"));
	rs_pub = public_of(rs_priv);
	c = acme_claims(NULL);

	/* The control: the right kid and key. */
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 200, "the forging works");
	free(tok);

	tok = forge_hs(hdr("HS256", NULL, NULL), c, fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "no kid");
	free(tok);
	tok = forge_hs(hdr("HS256", "no-such-kid", NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "unknown kid");
	free(tok);

	/* The RS256 ring's kid, HMAC keyed with its public key. */
	tok = forge_hs(hdr("HS256", rs_kid, NULL), c, rs_pub);
	cr_assert_eq(status_at(h_base_url(), tok), 401, "RS256 kid, HS256");
	free(tok);
	/* ... and a real RS256 token of that key, to the HS256 server. */
	tok = forge_pem(hdr("RS256", rs_kid, NULL), c, rs_priv, 0);
	cr_assert_eq(status_at(h_base_url(), tok), 401, "RS256 token");
	cr_assert_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok), 200,
	    "the same token at the RS256 server");
	free(tok);
	/* The HS256 kid at the RS256 server. */
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok), 401,
	    "HS256 kid and key at the RS256 server");
	free(tok);

	json_decref(c);
	free(rs_kid);
	free(rs_priv);
	free(rs_pub);
	json_decref(list);
}

/* jwk, jku, x5u: a key the token brings along is never used. */
Test(kid, key_in_the_header_is_refused)
{
	EVP_PKEY	*pk;
	BIO		*b;
	json_t		*list, *c, *jwk, *h;
	char		*rs_kid, *mine, *p, *tok, *text;
	long		 n;

	list = keys_list();
	rs_kid = kid_of(list, "RS256", NULL, "imported");
	c = acme_claims(NULL);

	/* Someone's own RSA key, its public half in the header. */
	pk = EVP_RSA_gen(2048);
	cr_assert_not_null(pk);
	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &p);
	mine = strndup(p, n);
	BIO_free(b);
	jwk = jwk_of(pk);
	EVP_PKEY_free(pk);

	h = json_pack("{s:s, s:s, s:s, s:O}", "alg", "RS256", "kid", rs_kid,
	    "typ", "JWT", "jwk", jwk);
	text = json_dumps(h, JSON_COMPACT);
	tok = forge_pem(text, c, mine, 0);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok), 401,
	    "jwk header");
	free(tok);
	free(text);
	json_decref(h);

	tok = forge_pem(hdr("RS256", rs_kid, "\"jku\":\"http://127.0.0.1:1/"
	    "jwks.json\""), c, mine, 0);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok), 401,
	    "jku header");
	free(tok);
	tok = forge_pem(hdr("RS256", rs_kid, "\"x5u\":\"http://127.0.0.1:1/"
	    "cert.pem\""), c, mine, 0);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok), 401,
	    "x5u header");
	free(tok);

	/* An HMAC key (oct JWK) of one's own to the HS256 server. */
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), "\"jwk\":{\"kty\":\"oct\","
	    "\"k\":\"bXktb3duLWhtYWMta2V5LTAxMjM0NTY3ODlhYmNkZWY\"}"), c,
	    "my-own-hmac-key-0123456789abcdef");
	cr_assert_eq(status_at(h_base_url(), tok), 401, "oct jwk header");
	free(tok);

	json_decref(jwk);
	json_decref(c);
	free(mine);
	free(rs_kid);
	json_decref(list);
}

/* JWT_ACCEPT_MISSING_KID (the ES256 server): kid-less with the current key. */
Test(kid, transition_accepts_kidless_tokens)
{
	json_t		*list, *c;
	char		*tok, *es_priv, *es_kid;

	list = keys_list();
	es_kid = kid_of(list, "ES256", "current", NULL);
	es_priv = read_file(h_env("MTAPI_TEST_ES256_KEY"));
	c = acme_claims(NULL);

	tok = forge_pem(hdr("ES256", es_kid, NULL), c, es_priv, 1);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_ES256_URL"), tok), 200,
	    "ES256 token with kid");
	free(tok);
	tok = forge_pem(hdr("ES256", NULL, NULL), c, es_priv, 1);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_ES256_URL"), tok), 200,
	    "kid-less ES256 token, transition on");
	free(tok);
	/* Unknown kids are not kid-less. */
	tok = forge_pem(hdr("ES256", "no-such-kid", NULL), c, es_priv, 1);
	cr_assert_eq(status_at(h_env("MTAPI_TEST_ES256_URL"), tok), 401,
	    "unknown kid, transition on");
	free(tok);

	json_decref(c);
	free(es_priv);
	free(es_kid);
	json_decref(list);
}

/* ---- jti and nbf (issue 12) ---- */

Test(claims, jti_is_any_string)
{
	json_t		*c;
	char		*tok, *long_ok, *too_long;
	struct h_resp	*r;

	long_ok = h_repeat("j", 255);
	too_long = h_repeat("j", 256);

	c = acme_claims(HEX32);
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 200, "simplejwt's jti");
	/* verify answers the same; an access token's jti is not looked up. */
	r = post_at(h_base_url(), VERIFY, "token", tok);
	cr_assert_eq(r->status, 200, "verify: %ld %s", r->status, r->body);
	h_free(r);
	free(tok);
	json_decref(c);

	c = acme_claims(long_ok);
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 200, "255-byte jti");
	free(tok);
	json_decref(c);

	c = acme_claims(too_long);
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "256-byte jti");
	free(tok);
	json_decref(c);

	c = acme_claims("");
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "empty jti");
	free(tok);
	json_decref(c);

	free(long_ok);
	free(too_long);
}

/*
 * A refresh token whose jti is not one of ours (not a UUID, or not in
 * the database) is unknown: 401 from refresh, verify and revoke, never a
 * 500.
 */
Test(claims, foreign_refresh_jti_is_401)
{
	static const char *jtis[] = { HEX32, "not-a-uuid", "x",
	    "00000000-0000-4000-8000-000000000000",
	    "A1B2C3D4-E5F6-4789-8ABC-DEF012345678",
	    "a1b2c3d4e5f647898abcdef012345678", "'; SELECT 1; --",
	    "a1b2c3d4-e5f6-4789-8abc-def0123456789" };
	static const char *paths[] = { REFRESH, VERIFY, REVOKE };
	struct h_resp	*r;
	json_t		*c;
	char		*tok;
	size_t		 i, j;

	for (i = 0; i < sizeof(jtis) / sizeof(jtis[0]); i++) {
		c = h_jwt_claims(h_tenant_str(H_ACME, "refresh_token"));
		json_object_set_new(c, "jti", json_string(jtis[i]));
		tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
		    fx_jwt("signing_key"));
		for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
			r = post_at(h_base_url(), paths[j],
			    j == 1 ? "token" : "refresh", tok);
			assert_401(r, h_fmt("%s with jti '%s'", paths[j],
			    jtis[i]));
			h_free(r);
		}
		free(tok);
		json_decref(c);
	}

	/* The control: the fixture's own refresh token is known. */
	r = post_at(h_base_url(), VERIFY, "token",
	    h_tenant_str(H_ACME, "refresh_token"));
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
}

/* nbf is checked, with no leeway on the HS256 servers. */
Test(claims, nbf_and_exp_without_leeway)
{
	json_t		*c;
	char		*tok;
	time_t		 now;

	now = time(NULL);
	c = acme_claims(NULL);
	json_object_set_new(c, "nbf", json_integer(now - 5));
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 200, "nbf in the past");
	free(tok);

	json_object_set_new(c, "nbf", json_integer(now + 600));
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "nbf in the future");
	free(tok);

	json_object_set_new(c, "nbf", json_string("soon"));
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "nbf a string");
	free(tok);

	json_object_del(c, "nbf");
	json_object_set_new(c, "exp", json_integer(now - 2));
	tok = forge_hs(hdr("HS256", fx_jwt("kid"), NULL), c,
	    fx_jwt("signing_key"));
	cr_assert_eq(status_at(h_base_url(), tok), 401, "expired 2 s ago");
	free(tok);
	json_decref(c);
}

/* JWT_LEEWAY_SECONDS=60 (the RS256 server), for exp and nbf alike. */
Test(claims, leeway)
{
	static const struct {
		const char	*claim;
		long		 offset;
		long		 status;
	} rows[] = {
		{ "exp", -30, 200 }, { "exp", -120, 401 },
		{ "nbf", 30, 200 }, { "nbf", 120, 401 },
	};
	json_t		*list, *c;
	char		*tok, *rs_priv, *rs_kid;
	time_t		 now;
	size_t		 i;

	list = keys_list();
	rs_kid = kid_of(list, "RS256", NULL, "imported");
	rs_priv = read_file(h_env("MTAPI_TEST_RS256_KEY"));

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		now = time(NULL);
		c = acme_claims(NULL);
		json_object_set_new(c, rows[i].claim,
		    json_integer(now + rows[i].offset));
		tok = forge_pem(hdr("RS256", rs_kid, NULL), c, rs_priv, 0);
		cr_expect_eq(status_at(h_env("MTAPI_TEST_RS256_URL"), tok),
		    rows[i].status, "%s now%+ld", rows[i].claim,
		    rows[i].offset);
		free(tok);
		json_decref(c);
	}

	free(rs_priv);
	free(rs_kid);
	json_decref(list);
}

/* ---- refresh reuse grace window (the RS256 server: 60 s) ---- */

/* Within the window a spent refresh token gets the login's current pair. */
Test(grace, reuse_within_the_window_gets_the_current_pair)
{
	struct h_tenant	 t;
	struct h_resp	*r0, *r1, *r2, *r3;
	json_t		*a, *b;
	const char	*rs;

	rs = h_env("MTAPI_TEST_RS256_URL");
	h_new_tenant("grace", &t);
	r0 = login_at(rs, &t);

	r1 = post_at(rs, REFRESH, "refresh", h_str(r0, "refresh"));
	cr_assert_eq(r1->status, 200, "%ld %s", r1->status, r1->body);

	/* The same spent token again: the same successor, a working access. */
	r2 = post_at(rs, REFRESH, "refresh", h_str(r0, "refresh"));
	cr_assert_eq(r2->status, 200, "reuse in the window: %ld %s",
	    r2->status, r2->body);
	a = h_jwt_claims(h_str(r1, "refresh"));
	b = h_jwt_claims(h_str(r2, "refresh"));
	cr_assert_str_eq(h_jstr(a, "jti"), h_jstr(b, "jti"),
	    "not the same login's current refresh token");
	cr_assert_eq(h_jint(a, "exp"), h_jint(b, "exp"));
	cr_assert_str_eq(h_str(r1, "refresh_token_expires_at"),
	    h_str(r2, "refresh_token_expires_at"));
	json_decref(a);
	json_decref(b);
	cr_assert_eq(status_at(rs, h_str(r2, "access")), 200);
	cr_assert_eq(status_at(rs, h_str(r1, "access")), 200,
	    "the login was not revoked");

	/* The chain goes on; the first token now gets the newest pair. */
	r3 = post_at(rs, REFRESH, "refresh", h_str(r2, "refresh"));
	cr_assert_eq(r3->status, 200, "%ld %s", r3->status, r3->body);
	h_free(r2);
	r2 = post_at(rs, REFRESH, "refresh", h_str(r0, "refresh"));
	cr_assert_eq(r2->status, 200, "%ld %s", r2->status, r2->body);
	a = h_jwt_claims(h_str(r3, "refresh"));
	b = h_jwt_claims(h_str(r2, "refresh"));
	cr_assert_str_eq(h_jstr(a, "jti"), h_jstr(b, "jti"));
	json_decref(a);
	json_decref(b);

	h_free(r0);
	h_free(r1);
	h_free(r2);
	h_free(r3);
}

/* Two tabs refreshing at once: every one of them succeeds. */
Test(grace, concurrent_refreshes_all_succeed, .timeout = 60)
{
	struct h_tenant	 t;
	struct h_resp	*r0, *r;
	struct h_buf	 out[6];
	struct curl_slist *hdrs;
	CURLM		*multi;
	CURL		*easy[6];
	json_t		*o, *cl;
	char		*body, jti[64];
	const char	*rs;
	long		 status;
	int		 i, running;

	rs = h_env("MTAPI_TEST_RS256_URL");
	h_new_tenant("gracerace", &t);
	r0 = login_at(rs, &t);
	o = json_pack("{s:s}", "refresh", h_str(r0, "refresh"));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);

	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	cr_assert((multi = curl_multi_init()) != NULL);
	for (i = 0; i < 6; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		cr_assert((easy[i] = curl_easy_init()) != NULL);
		curl_easy_setopt(easy[i], CURLOPT_URL, h_fmt("%s%s", rs,
		    REFRESH));
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

	jti[0] = '\0';
	for (i = 0; i < 6; i++) {
		status = 0;
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
		cr_assert_eq(status, 200, "concurrent refresh %d: %ld %s", i,
		    status, out[i].data != NULL ? out[i].data : "");
		o = json_loadb(out[i].data, out[i].len, 0, NULL);
		cr_assert_not_null(o);
		cl = h_jwt_claims(h_jstr(o, "refresh"));
		if (jti[0] == '\0')
			(void)snprintf(jti, sizeof(jti), "%s",
			    h_jstr(cl, "jti"));
		cr_assert_str_eq(h_jstr(cl, "jti"), jti, "refresh %d got "
		    "another refresh token", i);
		json_decref(cl);
		if (i == 5) {
			r = post_at(rs, REFRESH, "refresh", h_jstr(o,
			    "refresh"));
			cr_assert_eq(r->status, 200, "the shared successor "
			    "refreshes: %ld %s", r->status, r->body);
			h_free(r);
		}
		json_decref(o);
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
		free(out[i].data);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdrs);
	free(body);
	h_free(r0);
}

/* After the window, reuse revokes the login as without one. */
Test(grace, reuse_after_the_window_revokes_the_login)
{
	struct h_tenant	 t;
	struct h_resp	*r0, *r1, *r;
	json_t		*c;
	const char	*rs;

	rs = h_env("MTAPI_TEST_RS256_URL");
	h_new_tenant("graceover", &t);
	r0 = login_at(rs, &t);
	r1 = post_at(rs, REFRESH, "refresh", h_str(r0, "refresh"));
	cr_assert_eq(r1->status, 200, "%ld %s", r1->status, r1->body);

	/* Its rotation two minutes ago, as the database sees it. */
	c = h_jwt_claims(h_str(r0, "refresh"));
	cr_assert_eq(h_sql(h_fmt("UPDATE refresh_tokens SET used_at = "
	    "used_at - interval '120 seconds' WHERE tenant_id = '%s' AND "
	    "jti = '%s'", h_jstr(c, "tenant"), h_jstr(c, "jti")), NULL), 0);
	json_decref(c);

	r = post_at(rs, REFRESH, "refresh", h_str(r0, "refresh"));
	assert_401(r, "reuse after the window");
	h_free(r);
	r = post_at(rs, REFRESH, "refresh", h_str(r1, "refresh"));
	assert_401(r, "the successor of a reused token");
	h_free(r);
	cr_assert_eq(status_at(rs, h_str(r1, "access")), 401,
	    "an access token of the revoked login");

	h_free(r0);
	h_free(r1);
}

/* ---- JWKS ---- */

Test(jwks, hs256_publishes_no_key)
{
	struct h_resp	*r;
	char		 buf[128];

	r = h_get(JWKS, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(r->body, "{\"keys\":[]}");
	cr_assert_not_null(h_header(r, "cache-control", buf, sizeof(buf)));
	cr_assert(strstr(buf, "max-age=") != NULL, "%s", buf);
	cr_assert_not_null(h_header(r, "content-type", buf, sizeof(buf)));
	cr_assert(!strncmp(buf, "application/json", 16), "%s", buf);
	h_free(r);

	r = h_req("HEAD", JWKS, NULL, NULL, NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);
	r = h_post(JWKS, NULL, "{}");
	cr_assert_eq(r->status, 405, "%ld %s", r->status, r->body);
	h_free(r);
	/* A bearer token is not needed, and a bad one does not matter. */
	r = h_get(JWKS, "garbage");
	cr_assert_eq(r->status, 200);
	h_free(r);
}

/* The current and verifying keys of the configured algorithm, public. */
Test(jwks, asymmetric_rings_publish_their_keys)
{
	static const char *algs[] = { "RS256", "ES256" };
	struct h_resp	*r;
	json_t		*list, *k, *row;
	const char	*base;
	size_t		 i, j, n, want;
	char		 buf[128];

	list = keys_list();
	for (i = 0; i < 2; i++) {
		base = h_env(i == 0 ? "MTAPI_TEST_RS256_URL" :
		    "MTAPI_TEST_ES256_URL");
		r = h_req_url("GET", h_fmt("%s%s", base, JWKS), NULL, NULL,
		    NULL);
		cr_assert_eq(r->status, 200, "%s: %ld", algs[i], r->status);
		cr_assert_not_null(h_header(r, "cache-control", buf,
		    sizeof(buf)));
		cr_assert(strstr(buf, "max-age=") != NULL, "%s", buf);

		n = 0;
		want = 0;
		json_array_foreach(list, j, row) {
			if (strcmp(h_jstr(row, "algorithm"), algs[i]) ||
			    !strcmp(h_jstr(row, "state"), "retired"))
				continue;
			want++;
		}
		json_array_foreach(json_object_get(r->json, "keys"), j, k) {
			n++;
			cr_assert_str_eq(h_jstr(k, "alg"), algs[i]);
			cr_assert_str_eq(h_jstr(k, "use"), "sig");
			cr_assert_str_eq(h_jstr(k, "kty"), i == 0 ? "RSA" :
			    "EC");
			cr_assert_null(json_object_get(k, "d"),
			    "a private key is published");
			cr_assert_not_null(json_object_get(k, i == 0 ? "n" :
			    "x"));
		}
		cr_assert_eq(n, want, "%s: %zu keys published, the ring has "
		    "%zu", algs[i], n, want);
		h_free(r);
	}
	json_decref(list);
}

/* Another service verifies our tokens with PyJWT and the JWKS alone. */
Test(jwks, tokens_verify_with_an_outside_library, .timeout = 60)
{
	static const char *urls[] = { "MTAPI_TEST_RS256_URL",
	    "MTAPI_TEST_ES256_URL" };
	struct h_tenant	 t;
	struct h_resp	*r;
	char		*out, *bad;
	size_t		 i, n;

	h_new_tenant("pyjwt", &t);
	for (i = 0; i < 2; i++) {
		r = login_at(h_env(urls[i]), &t);
		cr_assert_eq(pyjwt_verifies(h_env(urls[i]), h_str(r, "access"),
		    &out), 0, "%s: PyJWT: %s", urls[i], out);
		cr_assert(strstr(out, t.id) != NULL, "%s", out);
		free(out);

		/* The control: PyJWT does refuse a changed signature. */
		bad = strdup(h_str(r, "access"));
		n = strlen(bad);
		bad[n - 5] = bad[n - 5] == 'A' ? 'B' : 'A';
		cr_assert_neq(pyjwt_verifies(h_env(urls[i]), bad, &out), 0,
		    "%s: PyJWT accepted a forged token", urls[i]);
		free(out);
		free(bad);
		h_free(r);
	}
}

/* ---- storage and the operator command ---- */

/* A dump of the database holds neither an HS256 secret nor a private key. */
Test(storage, a_dump_reveals_no_secret)
{
	char		*dump, *pem, *hex, *lower, *p;
	const char	*secrets[2], *files[2];
	size_t		 i;

	cr_assert_eq(h_sql("SELECT kid, algorithm, state, secret, "
	    "coalesce(public_pem, '') FROM signing_keys", &dump), 0, "%s",
	    dump);
	cr_assert(strstr(dump, "v1.") != NULL, "no sealed keys? %s", dump);
	cr_assert(strstr(dump, "BEGIN PUBLIC KEY") != NULL, "%s", dump);
	cr_assert_null(strstr(dump, "PRIVATE KEY"), "a PEM private key");

	secrets[0] = fx_jwt("signing_key");
	secrets[1] = h_env("JWT_SIGNING_KEY");
	for (i = 0; i < 2; i++) {
		cr_assert_gt(strlen(secrets[i]), 20);
		cr_assert_null(strstr(dump, secrets[i]), "the HS256 key in "
		    "the clear");
	}

	/* The private numbers of the key files, in either case of hex. */
	files[0] = h_env("MTAPI_TEST_RS256_KEY");
	files[1] = h_env("MTAPI_TEST_ES256_KEY");
	for (i = 0; i < 2; i++) {
		pem = read_file(files[i]);
		hex = private_hex(pem);
		lower = strdup(hex);
		for (p = lower; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		cr_assert_gt(strlen(hex), 40);
		cr_assert_null(strstr(dump, hex), "%s in the clear", files[i]);
		cr_assert_null(strstr(dump, lower), "%s in the clear",
		    files[i]);
		free(lower);
		free(hex);
		free(pem);
	}

	free(dump);
}

Test(cli, keys_commands)
{
	json_t		*list;
	char		*out, *cur;
	int		 rc;

	list = keys_list();
	cr_assert_geq(json_array_size(list), 3, "HS256, RS256, ES256 keys");
	cur = kid_of(list, "HS256", "current", NULL);

	rc = h_admin(h_fmt("keys retire %s", cur), NULL, &out);
	cr_assert_eq(rc, 1, "retiring the current key: %d %s", rc, out);
	cr_assert(strstr(out, "rotate first") != NULL, "%s", out);
	free(out);
	rc = h_admin("keys retire no-such-kid", NULL, &out);
	cr_assert_eq(rc, 1, "%d %s", rc, out);
	free(out);
	rc = h_admin("keys retire", NULL, &out);
	cr_assert_eq(rc, 2, "%d %s", rc, out);
	free(out);
	rc = h_admin("keys rotate --algorithm HS512", NULL, &out);
	cr_assert_eq(rc, 1, "%d %s", rc, out);
	free(out);
	rc = h_admin("keys shuffle", NULL, &out);
	cr_assert_eq(rc, 2, "%d %s", rc, out);
	free(out);
	rc = h_admin("keys list --all", NULL, &out);
	cr_assert_eq(rc, 2, "%d %s", rc, out);
	free(out);

	/* Still current. */
	json_decref(list);
	list = keys_list();
	free(kid_of(list, "HS256", "current", NULL));
	free(cur);
	json_decref(list);
}

/* ---- helpers ---- */

/* A header: alg, kid (NULL: none), and extra members (NULL: none). */
static const char *
hdr(const char *alg, const char *kid, const char *extra)
{
	return (h_fmt("{\"alg\":\"%s\"%s%s%s,\"typ\":\"JWT\"%s%s}",
	    alg, kid != NULL ? ",\"kid\":\"" : "", kid != NULL ? kid : "",
	    kid != NULL ? "\"" : "", extra != NULL ? "," : "",
	    extra != NULL ? extra : ""));
}

static char *
input_of(const char *header, json_t *claims)
{
	char		*h, *p, *c, *out;

	c = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_not_null(c);
	h = h_b64url(header, strlen(header));
	p = h_b64url(c, strlen(c));
	cr_assert(asprintf(&out, "%s.%s", h, p) != -1);
	free(c);
	free(h);
	free(p);

	return (out);
}

static char *
forge_hs(const char *header, json_t *claims, const char *key)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[32];
	char				*input, *m, *out;

	input = input_of(header, claims);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
	    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)input,
	    strlen(input));
	crypto_auth_hmacsha256_final(&st, mac);
	m = h_b64url(mac, sizeof(mac));
	cr_assert(asprintf(&out, "%s.%s", input, m) != -1);
	free(m);
	free(input);

	return (out);
}

/* RS256 or ES256 (ecdsa: R || S, as JWS has it) with a PEM private key. */
static char *
forge_pem(const char *header, json_t *claims, const char *pem, int ecdsa)
{
	const unsigned char	*q;
	const BIGNUM		*r, *s;
	unsigned char		*sig, rs[64];
	ECDSA_SIG		*es;
	EVP_MD_CTX		*ctx;
	EVP_PKEY		*pk;
	BIO			*b;
	size_t			 len;
	char			*input, *m, *out;

	input = input_of(header, claims);
	b = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	cr_assert_not_null(pk);
	ctx = EVP_MD_CTX_new();
	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	cr_assert_eq(EVP_DigestSign(ctx, NULL, &len,
	    (const unsigned char *)input, strlen(input)), 1);
	sig = malloc(len);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &len,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);

	if (ecdsa) {
		q = sig;
		es = d2i_ECDSA_SIG(NULL, &q, (long)len);
		cr_assert_not_null(es);
		ECDSA_SIG_get0(es, &r, &s);
		cr_assert_eq(BN_bn2binpad(r, rs, 32), 32);
		cr_assert_eq(BN_bn2binpad(s, rs + 32, 32), 32);
		ECDSA_SIG_free(es);
		m = h_b64url(rs, sizeof(rs));
	} else {
		m = h_b64url(sig, len);
	}
	free(sig);
	cr_assert(asprintf(&out, "%s.%s", input, m) != -1);
	free(m);
	free(input);

	return (out);
}

static char *
read_file(const char *path)
{
	FILE		*fp;
	char		*buf;
	size_t		 n;

	fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, fp);
	fclose(fp);
	cr_assert_gt(n, 0);

	return (buf);
}

/* The public JWK of an RSA key. */
static json_t *
jwk_of(EVP_PKEY *pk)
{
	BIGNUM		*n, *e;
	unsigned char	 buf[512];
	char		*sn, *se;
	json_t		*jwk;
	int		 len;

	n = e = NULL;
	cr_assert(EVP_PKEY_get_bn_param(pk, "n", &n));
	cr_assert(EVP_PKEY_get_bn_param(pk, "e", &e));
	len = BN_bn2bin(n, buf);
	sn = h_b64url(buf, (size_t)len);
	len = BN_bn2bin(e, buf);
	se = h_b64url(buf, (size_t)len);
	jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", sn, "e", se);
	free(sn);
	free(se);
	BN_free(n);
	BN_free(e);

	return (jwk);
}

/* The private number of a key (RSA d, EC scalar) in hex; caller frees. */
static char *
private_hex(const char *pem)
{
	EVP_PKEY	*pk;
	BIGNUM		*d;
	BIO		*b;
	char		*hex, *out;

	b = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	cr_assert_not_null(pk);
	d = NULL;
	cr_assert(EVP_PKEY_get_bn_param(pk, EVP_PKEY_is_a(pk, "RSA") ? "d" :
	    "priv", &d));
	hex = BN_bn2hex(d);
	out = strdup(hex);
	OPENSSL_free(hex);
	BN_free(d);
	EVP_PKEY_free(pk);

	/* Both cases: psql prints what is stored as it is. */
	return (out);
}

static char *
public_of(const char *priv)
{
	EVP_PKEY	*pk;
	BIO		*b;
	char		*p, *out;
	long		 n;

	b = BIO_new_mem_buf(priv, -1);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	cr_assert_not_null(pk);
	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PUBKEY(b, pk));
	n = BIO_get_mem_data(b, &p);
	out = strndup(p, n);
	BIO_free(b);
	EVP_PKEY_free(pk);

	return (out);
}

/* mtapi-admin keys list as [{kid, algorithm, state, origin}]. */
static json_t *
keys_list(void)
{
	json_t		*list;
	char		*out, *line, *save, kid[80], alg[16], state[16];
	char		 origin[16];
	int		 rc;

	rc = h_admin("keys list", NULL, &out);
	cr_assert_eq(rc, 0, "keys list: %s", out);
	list = json_array();
	line = strtok_r(out, "\n", &save);
	cr_assert(line != NULL && !strncmp(line, "KID", 3), "%s", out);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		cr_assert_eq(sscanf(line, "%79s %15s %15s %15s", kid, alg,
		    state, origin), 4, "%s", line);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}",
		    "kid", kid, "algorithm", alg, "state", state,
		    "origin", origin));
	}
	free(out);

	return (list);
}

/* The first key of alg (and state, origin if not NULL); caller frees. */
static char *
kid_of(json_t *list, const char *alg, const char *state, const char *origin)
{
	json_t		*row;
	size_t		 i;

	json_array_foreach(list, i, row) {
		if (strcmp(h_jstr(row, "algorithm"), alg) ||
		    (state != NULL && strcmp(h_jstr(row, "state"), state)) ||
		    (origin != NULL && strcmp(h_jstr(row, "origin"), origin)))
			continue;
		if (!strcmp(h_jstr(row, "state"), "retired") && state == NULL)
			continue;
		return (strdup(h_jstr(row, "kid")));
	}

	cr_assert_fail("no %s key (%s, %s) in the ring", alg,
	    state != NULL ? state : "any", origin != NULL ? origin : "any");
	return (NULL);
}

/* acme's access token claims, fresh times, a new jti (or the one given). */
static json_t *
acme_claims(const char *jti)
{
	json_t		*c;
	time_t		 now;
	char		 id[40];

	c = h_jwt_claims(h_token(H_ACME));
	now = time(NULL);
	json_object_set_new(c, "iat", json_integer(now));
	json_object_set_new(c, "exp", json_integer(now + 600));
	if (jti == NULL) {
		(void)snprintf(id, sizeof(id), "%s", h_unique("jti"));
		jti = id;
	}
	json_object_set_new(c, "jti", json_string(jti));

	return (c);
}

static long
status_at(const char *base, const char *token)
{
	struct h_resp	*r;
	long		 status;

	r = h_req_url("GET", h_fmt("%s%s", base, PROJECTS), token, NULL,
	    NULL);
	status = r->status;
	if (status != 200 && status != 401)
		cr_log_warn("%s: %ld %s", base, status, r->body);
	h_free(r);

	return (status);
}

static struct h_resp *
post_at(const char *base, const char *path, const char *field,
    const char *token)
{
	struct h_resp	*r;
	json_t		*o;
	char		*body;

	o = json_pack("{s:s}", field, token);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	r = h_req_url("POST", h_fmt("%s%s", base, path), NULL, body, NULL);
	free(body);

	return (r);
}

static struct h_resp *
login_at(const char *base, struct h_tenant *t)
{
	struct h_resp	*r;

	r = h_req_url("POST", h_fmt("%s%s", base, LOGIN), NULL,
	    h_fmt("{\"username\":\"%s\",\"password\":\"%s\"}", t->username,
	    t->password), NULL);
	cr_assert_eq(r->status, 200, "login at %s: %ld %s", base, r->status,
	    r->body);

	return (r);
}

static void
assert_401(struct h_resp *r, const char *what)
{
	cr_assert_eq(r->status, 401, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "token_not_valid", "%s: %s", what,
	    r->body);
}

/* tests/integration/jwks_verify.py: 0 if PyJWT verifies the token. */
static int
pyjwt_verifies(const char *base, const char *token, char **out)
{
	FILE		*fp;
	char		 cmd[8192], *buf;
	size_t		 n;
	int		 status;

	if (system("/usr/bin/python3 -c 'import jwt, cryptography' "
	    ">/dev/null 2>&1") != 0)
		cr_assert_fail("Debian's python3-jwt (and python3-"
		    "cryptography) are needed: tools/dev/deps.sh test");

	(void)snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/"
	    "integration/jwks_verify.py '%s' '%s' '%s' '%s' 2>&1",
	    h_env("MTAPI_TEST_ROOT"), base, token, fx_jwt("issuer"),
	    fx_jwt("audience"));
	fp = popen(cmd, "r");
	cr_assert_not_null(fp);
	buf = calloc(1, 16384);
	n = fread(buf, 1, 16383, fp);
	buf[n] = '\0';
	status = pclose(fp);
	*out = buf;

	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
