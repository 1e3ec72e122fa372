/*
 * The bearer token path: everything the auth hook (src/auth.c) does with
 * the Authorization header before the database sees anything. The
 * "Bearer" split (token_bearer()), then token_verify() (src/core/token.c:
 * the segments, base64url, the header and claims JSON, the claim checks)
 * for access tokens, then perms_principal() and perms_allow()
 * (src/core/perms.c).
 *
 * Random bytes hardly ever carry a valid signature, so most inputs would
 * stop at the signature check; the harness signs some itself. The first
 * byte says how the rest is used:
 *
 *   'h'  header JSON, a newline, payload JSON (no newline: the payload
 *        with {"alg":"HS256","typ":"JWT"}), signed HS256 with the key
 *        of the HS256 server: reaches the claim checks with any JSON.
 *   's'  the same, signed RS256 with the key pair made at start.
 *   'c'  the same, "signed" HS256 keyed with the RS256 public key (the
 *        algorithm confusion attack): the RS256 server must refuse it.
 *   else the whole input is the Authorization header value, verified by
 *        an HS256 and an RS256 server.
 *
 * The clock is fixed (NOW), so that an input means the same every run.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "core/keyset.h"
#include "core/perms.h"
#include "core/settings.h"
#include "core/token.h"

#include "fuzz.h"

/* 2026-01-01 00:00:00 UTC: the seed corpus's tokens expire after it. */
#define NOW		((time_t)1767225600)
#define HS_KEY		"fuzz-hs256-key-not-a-secret-0123456789abcdef"
#define ISSUER		"mtapi-fuzz"
#define AUDIENCE	"mtapi-fuzz-clients"
#define RSA_BITS	2048	/* the least keyset_add() takes */
#define DEFAULT_HS_HDR	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define DEFAULT_RS_HDR	"{\"alg\":\"RS256\",\"typ\":\"JWT\"}"

#define SIGN_HS		1
#define SIGN_RS		2
#define SIGN_CONFUSED	3

static void		 rsa_init(void);
static char		*b64url(const void *, size_t);
static char		*sign_token(int, const char *, size_t, const char *,
			    size_t);
static int		 verify(const struct token_keys *, const char *, int);
static void		 check_claims(const struct token_claims *, int);
static void		 check_principal(const struct token_claims *);
static int		 hs_signature_matches(const char *);
static int		 terminated(const char *, size_t);

static struct keyset		hs_set, rs_set;
static struct token_keys	hs, rs;
static char			*rsa_priv, *rsa_pub;
static EVP_PKEY			*rsa_key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	err[128];

	if (sodium_init() < 0)
		abort();
	rsa_init();

	/*
	 * One current key per ring. The harness's tokens carry no kid: the
	 * transition setting lets them verify with the current key, so
	 * they reach the claim checks (a kid is matched before those).
	 */
	keyset_init(&hs_set, SETTINGS_ALG_HS256);
	if (keyset_add(&hs_set, "fuzz-hs", KEY_STATE_CURRENT,
	    (const unsigned char *)HS_KEY, strlen(HS_KEY), NULL, err,
	    sizeof(err)) == -1)
		abort();
	keyset_init(&rs_set, SETTINGS_ALG_RS256);
	if (keyset_add(&rs_set, "fuzz-rs", KEY_STATE_CURRENT,
	    (const unsigned char *)rsa_priv, strlen(rsa_priv), rsa_pub, err,
	    sizeof(err)) == -1)
		abort();

	memset(&hs, 0, sizeof(hs));
	hs.alg = SETTINGS_ALG_HS256;
	hs.set = &hs_set;
	hs.issuer = ISSUER;
	hs.audience = AUDIENCE;
	hs.accept_missing_kid = 1;

	rs = hs;
	rs.alg = SETTINGS_ALG_RS256;
	rs.set = &rs_set;

	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*nl, *hdr, *payload, *token;
	size_t		hlen, plen;
	char		*in, *tok;
	int		how, rc;

	if (size > 0 && (data[0] == 'h' || data[0] == 's' || data[0] == 'c')) {
		how = data[0] == 'h' ? SIGN_HS : data[0] == 's' ? SIGN_RS :
		    SIGN_CONFUSED;
		payload = (const char *)data + 1;
		plen = size - 1;
		if ((nl = memchr(payload, '\n', plen)) != NULL) {
			hdr = payload;
			hlen = nl - payload;
			plen -= hlen + 1;
			payload = nl + 1;
		} else {
			hdr = how == SIGN_RS ? DEFAULT_RS_HDR : DEFAULT_HS_HDR;
			hlen = strlen(hdr);
		}
		tok = sign_token(how, hdr, hlen, payload, plen);

		switch (how) {
		case SIGN_HS:
			/* The refresh and verify endpoints take either type. */
			if (verify(&hs, tok, TOKEN_TYPE_ACCESS) == TOKEN_E_TYPE)
				(void)verify(&hs, tok, 0);
			/* A server with another algorithm refuses it. */
			FUZZ_CHECK(verify(&rs, tok, 0) != TOKEN_OK);
			break;
		case SIGN_RS:
			(void)verify(&rs, tok, TOKEN_TYPE_ACCESS);
			FUZZ_CHECK(verify(&hs, tok, 0) != TOKEN_OK);
			break;
		case SIGN_CONFUSED:
			FUZZ_CHECK(verify(&rs, tok, 0) != TOKEN_OK);
			break;
		}
		free(tok);
		return (0);
	}

	/* The Authorization header as the client sent it. */
	in = fuzz_cstring(data, size);
	if ((token = token_bearer(in)) != NULL) {
		FUZZ_CHECK(token > in && *token != '\0' &&
		    !isspace((unsigned char)*token));
		rc = verify(&hs, token, TOKEN_TYPE_ACCESS);
		/* Verified with our secret: the MAC must really be ours. */
		if (rc == TOKEN_OK)
			FUZZ_CHECK(hs_signature_matches(token));
		/* Nobody else has the private key made at start. */
		FUZZ_CHECK(verify(&rs, token, TOKEN_TYPE_ACCESS) != TOKEN_OK);
	}
	free(in);

	return (0);
}

/* token_verify(), then what the hook does with a verified token. */
static int
verify(const struct token_keys *keys, const char *token, int want)
{
	struct token_claims	c;
	int			rc;

	rc = token_verify(keys, token, want, NOW, &c);
	FUZZ_CHECK(rc <= TOKEN_OK && rc >= TOKEN_E_INTERNAL);
	FUZZ_CHECK(strcmp(token_error_text(rc), "unknown"));
	if (rc != TOKEN_OK) {
		/* A refused token leaves nothing behind in the claims. */
		FUZZ_CHECK(c.tenant[0] == '\0' && c.sub[0] == '\0' &&
		    c.roles_count == 0 && c.scopes_count == 0);
		return (rc);
	}

	check_claims(&c, want);
	check_principal(&c);

	return (rc);
}

static void
check_claims(const struct token_claims *c, int want)
{
	size_t		i;

	FUZZ_CHECK(c->token_type == TOKEN_TYPE_ACCESS ||
	    c->token_type == TOKEN_TYPE_REFRESH);
	FUZZ_CHECK(want == 0 || c->token_type == want);
	FUZZ_CHECK(c->auth_type >= AUTH_TYPE_USER &&
	    c->auth_type <= AUTH_TYPE_SERVICE);
	FUZZ_CHECK(c->exp > NOW);

	/* The tenant and the ids are canonical UUID text. */
	FUZZ_CHECK(terminated(c->tenant, sizeof(c->tenant)));
	FUZZ_CHECK(token_uuid_valid(c->tenant, NULL));
	/* A jti is any string (RFC 7519; api.our_jti() tells ours). */
	FUZZ_CHECK(terminated(c->jti, sizeof(c->jti)) && c->jti[0] != '\0');
	FUZZ_CHECK(c->sid[0] == '\0' || token_uuid_valid(c->sid, NULL));
	for (i = 0; i < TOKEN_UUID_LEN; i++)
		FUZZ_CHECK(!isupper((unsigned char)c->tenant[i]));

	FUZZ_CHECK(terminated(c->tenant_slug, sizeof(c->tenant_slug)));
	FUZZ_CHECK(terminated(c->sub, sizeof(c->sub)) && c->sub[0] != '\0');
	FUZZ_CHECK(terminated(c->client_id, sizeof(c->client_id)));
	if (c->auth_type == AUTH_TYPE_USER)
		FUZZ_CHECK(c->user_id > 0);
	if (c->auth_type == AUTH_TYPE_API_CLIENT)
		FUZZ_CHECK(!strcmp(c->client_id, c->sub));

	FUZZ_CHECK(c->roles_count <= TOKEN_LIST_MAX);
	FUZZ_CHECK(c->scopes_count <= TOKEN_LIST_MAX);
	for (i = 0; i < c->roles_count; i++)
		FUZZ_CHECK(terminated(c->roles[i], TOKEN_ITEM_LEN));
	for (i = 0; i < c->scopes_count; i++)
		FUZZ_CHECK(terminated(c->scopes[i], TOKEN_ITEM_LEN));
}

static void
check_principal(const struct token_claims *c)
{
	static const char *const resources[] = { "projects", "tasks",
	    "documents", "users", NULL };
	struct principal	p;
	struct perm_rule	rule;
	size_t			i;
	int			a;

	perms_principal(c, &p);
	FUZZ_CHECK(p.auth_type == c->auth_type);
	FUZZ_CHECK(!strcmp(p.tenant, c->tenant));
	FUZZ_CHECK(terminated(p.subject, sizeof(p.subject)) &&
	    p.subject[0] != '\0');
	if (c->auth_type == AUTH_TYPE_USER)
		FUZZ_CHECK(p.scopes == SCOPES_ALL);

	for (i = 0; resources[i] != NULL; i++) {
		rule.resource = resources[i];
		rule.principals = PRINCIPAL_ANY;
		a = perms_allow(&p, &rule, PERM_WRITE);
		FUZZ_CHECK(a == 0 || a == 1);
		/* No resource outside the list is ever allowed. */
		if (resources[i + 1] == NULL)
			FUZZ_CHECK(a == 0);
		a = perms_allow(&p, &rule, PERM_READ);
		FUZZ_CHECK(a == 0 || a == 1);
		/* A route that takes no such principal refuses it. */
		rule.principals = PRINCIPAL_ANY & ~(1 << p.auth_type);
		FUZZ_CHECK(perms_allow(&p, &rule, PERM_READ) == 0);
	}
}

/* Does the token's third segment hold HMAC-SHA256(HS_KEY, h.p)? */
static int
hs_signature_matches(const char *token)
{
	unsigned char	mac[EVP_MAX_MD_SIZE], sig[64];
	unsigned int	maclen;
	const char	*dot2;
	size_t		siglen;

	if ((dot2 = strrchr(token, '.')) == NULL)
		return (0);
	if (HMAC(EVP_sha256(), HS_KEY, strlen(HS_KEY),
	    (const unsigned char *)token, dot2 - token, mac, &maclen) == NULL)
		abort();
	if (sodium_base642bin(sig, sizeof(sig), dot2 + 1, strlen(dot2 + 1),
	    NULL, &siglen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (0);

	return (siglen == maclen && !memcmp(sig, mac, maclen));
}

/* "h.p.sig" over the header and payload bytes as given. */
static char *
sign_token(int how, const char *hdr, size_t hlen, const char *payload,
    size_t plen)
{
	EVP_MD_CTX	*ctx;
	unsigned char	sig[1024];
	unsigned int	maclen;
	size_t		siglen;
	char		*h, *p, *s, *input, *out;

	h = b64url(hdr, hlen);
	p = b64url(payload, plen);
	if (asprintf(&input, "%s.%s", h, p) == -1)
		abort();
	free(h);
	free(p);

	switch (how) {
	case SIGN_HS:
	case SIGN_CONFUSED:
		if (HMAC(EVP_sha256(), how == SIGN_HS ? HS_KEY : rsa_pub,
		    (int)strlen(how == SIGN_HS ? HS_KEY : rsa_pub),
		    (const unsigned char *)input, strlen(input), sig,
		    &maclen) == NULL)
			abort();
		siglen = maclen;
		break;
	default:
		siglen = sizeof(sig);
		if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
		    rsa_key) != 1 ||
		    EVP_DigestSign(ctx, sig, &siglen,
		    (const unsigned char *)input, strlen(input)) != 1)
			abort();
		EVP_MD_CTX_free(ctx);
		break;
	}

	s = b64url(sig, siglen);
	if (asprintf(&out, "%s.%s", input, s) == -1)
		abort();
	free(s);
	free(input);

	return (out);
}

/*
 * One RSA key pair per process, in memory only (kept for signing). 1024
 * bits: signing every 's' input is the harness's slowest step, and no
 * code under test depends on the key's size.
 */
static void
rsa_init(void)
{
	EVP_PKEY	*pk;
	BIO		*b;
	char		*p;
	long		n;

	if ((pk = EVP_RSA_gen(RSA_BITS)) == NULL)
		abort();

	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL))
		abort();
	n = BIO_get_mem_data(b, &p);
	if ((rsa_priv = strndup(p, n)) == NULL)
		abort();
	BIO_free(b);

	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_PUBKEY(b, pk))
		abort();
	n = BIO_get_mem_data(b, &p);
	if ((rsa_pub = strndup(p, n)) == NULL)
		abort();
	BIO_free(b);

	rsa_key = pk;
}

static char *
b64url(const void *data, size_t len)
{
	size_t		outlen;
	char		*out;

	outlen = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((out = malloc(outlen)) == NULL)
		abort();
	sodium_bin2base64(out, outlen, data, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	return (out);
}

static int
terminated(const char *s, size_t size)
{
	return (memchr(s, '\0', size) != NULL);
}
