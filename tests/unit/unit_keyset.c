/*
 * Unit tests for src/core/keyset.c: the key ring, how its secrets are
 * sealed for the database, new and imported keys, the JWK set.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "core/keyset.h"
#include "core/settings.h"

#define KEK_TEXT	"a key-encryption key of the environment 0123"
#define HS_SECRET	"unit-test-hs256-secret-0123456789abcdef0123"

static void	kek_of(const char *, unsigned char *);
static char	*pem_pair(const char *, int, char **);
static json_t	*jwks_of(int, const char *, const char *);
static EVP_PKEY	*pkey_from_jwk(json_t *);
static EVP_PKEY	*pkey_from_pem(const char *);
static unsigned char	*b64url_dec(const char *, size_t *);

static void
setup(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(seal, .init = setup);
TestSuite(ring, .init = setup);
TestSuite(newkeys, .init = setup);
TestSuite(jwks, .init = setup);

static void
kek_of(const char *text, unsigned char *kek)
{
	struct settings	s;

	memset(&s, 0, sizeof(s));
	s.kek_source = (char *)text;
	cr_assert_eq(keyset_kek(&s, kek), 0);
}

Test(seal, round_trip)
{
	unsigned char	kek[KEYSET_KEK_LEN], *out;
	const unsigned char bin[] = { 0, 1, 2, 0, 255, 254 };
	char		*a, *b;
	size_t		len;

	kek_of(KEK_TEXT, kek);
	a = keyset_seal(kek, SETTINGS_ALG_HS256, "kid-1",
	    (const unsigned char *)HS_SECRET, strlen(HS_SECRET));
	cr_assert_not_null(a);
	cr_expect(!strncmp(a, "v1.", 3), "%s", a);
	/* Nothing of the secret shows, in any encoding we would store. */
	cr_expect_null(strstr(a, HS_SECRET));
	/* base64("unit-test") */
	cr_expect_null(strstr(a, "dW5pdC10ZXN0"));

	cr_assert_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-1", a, &out,
	    &len), 0);
	cr_expect_eq(len, strlen(HS_SECRET));
	cr_expect_str_eq((char *)out, HS_SECRET);
	free(out);

	/* A fresh nonce each time. */
	b = keyset_seal(kek, SETTINGS_ALG_HS256, "kid-1",
	    (const unsigned char *)HS_SECRET, strlen(HS_SECRET));
	cr_expect_str_neq(a, b);
	free(b);
	free(a);

	/* Binary secrets survive too. */
	a = keyset_seal(kek, SETTINGS_ALG_RS256, "k", bin, sizeof(bin));
	cr_assert_eq(keyset_open(kek, SETTINGS_ALG_RS256, "k", a, &out,
	    &len), 0);
	cr_expect_eq(len, sizeof(bin));
	cr_expect_eq(memcmp(out, bin, len), 0);
	free(out);
	free(a);
}

/* Another KEK, or the sealed text moved to another kid or algorithm. */
Test(seal, bound_to_key_kid_and_algorithm)
{
	unsigned char	kek[KEYSET_KEK_LEN], other[KEYSET_KEK_LEN], *out;
	char		*a;
	size_t		len;

	kek_of(KEK_TEXT, kek);
	kek_of(KEK_TEXT "x", other);
	cr_expect_neq(memcmp(kek, other, sizeof(kek)), 0);

	a = keyset_seal(kek, SETTINGS_ALG_HS256, "kid-1",
	    (const unsigned char *)HS_SECRET, strlen(HS_SECRET));
	cr_assert_not_null(a);
	cr_expect_eq(keyset_open(other, SETTINGS_ALG_HS256, "kid-1", a, &out,
	    &len), -1);
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-2", a, &out,
	    &len), -1);
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_RS256, "kid-1", a, &out,
	    &len), -1);
	cr_expect_null(out);

	/* One character changed, the prefix gone, garbage. */
	a[10] = a[10] == 'A' ? 'B' : 'A';
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-1", a, &out,
	    &len), -1);
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-1", a + 3,
	    &out, &len), -1);
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-1", "v1.",
	    &out, &len), -1);
	cr_expect_eq(keyset_open(kek, SETTINGS_ALG_HS256, "kid-1",
	    "v1.!!!!", &out, &len), -1);
	free(a);
}

Test(seal, kek_needs_a_source)
{
	struct settings	s;
	unsigned char	kek[KEYSET_KEK_LEN];

	memset(&s, 0, sizeof(s));
	cr_expect_eq(keyset_kek(&s, kek), -1);
	s.kek_source = "";
	cr_expect_eq(keyset_kek(&s, kek), -1);
}

Test(ring, add_find_current)
{
	struct keyset		 set;
	const struct keyset_key	*k;
	char			 err[128];

	keyset_init(&set, SETTINGS_ALG_HS256);
	cr_expect_null(keyset_current(&set));
	cr_expect_null(keyset_find(&set, "a"));

	cr_assert_eq(keyset_add(&set, "a", KEY_STATE_VERIFYING,
	    (const unsigned char *)"s1", 2, NULL, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(keyset_add(&set, "b", KEY_STATE_CURRENT,
	    (const unsigned char *)"s2", 2, NULL, err, sizeof(err)), 0, "%s",
	    err);

	k = keyset_current(&set);
	cr_assert_not_null(k);
	cr_expect_str_eq(k->kid, "b");
	cr_expect_str_eq((char *)k->secret, "s2");
	cr_expect_str_eq(keyset_find(&set, "a")->kid, "a");
	cr_expect_null(keyset_find(&set, "A"));
	cr_expect_null(keyset_find(&set, NULL));

	/* The same kid twice, a second current key, a retired key. */
	cr_expect_eq(keyset_add(&set, "a", KEY_STATE_VERIFYING,
	    (const unsigned char *)"s3", 2, NULL, err, sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "c", KEY_STATE_CURRENT,
	    (const unsigned char *)"s3", 2, NULL, err, sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "c", KEY_STATE_RETIRED,
	    (const unsigned char *)"s3", 2, NULL, err, sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "c", 0, (const unsigned char *)"s3", 2,
	    NULL, err, sizeof(err)), -1);
	/* HS256 verifies with its secret: none, no key. */
	cr_expect_eq(keyset_add(&set, "c", KEY_STATE_VERIFYING, NULL, 0, NULL,
	    err, sizeof(err)), -1);
	cr_expect_eq(set.count, 2);

	cr_assert_eq(keyset_publish(&set), 0);
	cr_expect_str_eq(set.jwks, "{\"keys\":[]}");

	keyset_free(&set);
	cr_expect_eq(set.count, 0);
	cr_expect_eq(set.alg, SETTINGS_ALG_HS256);
	cr_expect_null(set.jwks);
}

Test(ring, kids)
{
	static const char *bad[] = { "", "a b", "a/b", "ä", "a\"b",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234" };
	char		kid[KEYSET_KID_MAX + 1], other[KEYSET_KID_MAX + 1];
	size_t		i;

	cr_expect(keyset_kid_valid("abc-DEF_1.2"));
	cr_expect(keyset_kid_valid("012345678901234567890123456789012345678"
	    "9012345678901234567890123"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!keyset_kid_valid(bad[i]), "'%s'", bad[i]);
	cr_expect(!keyset_kid_valid(NULL));

	keyset_kid_new(kid);
	keyset_kid_new(other);
	cr_expect(keyset_kid_valid(kid), "%s", kid);
	cr_expect_eq(strlen(kid), 16);
	cr_expect_str_neq(kid, other);
}

Test(ring, asymmetric_keys_fit_their_algorithm)
{
	struct keyset	 set;
	char		*rs_pub, *rs_priv, *ec_pub, *ec_priv, err[128];

	rs_priv = pem_pair("RSA", 2048, &rs_pub);
	ec_priv = pem_pair("EC", 256, &ec_pub);

	keyset_init(&set, SETTINGS_ALG_RS256);
	/* A verifying key needs its public key only; current its private. */
	cr_expect_eq(keyset_add(&set, "v", KEY_STATE_VERIFYING, NULL, 0,
	    rs_pub, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(keyset_add(&set, "c", KEY_STATE_CURRENT, NULL, 0, rs_pub,
	    err, sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "e", KEY_STATE_VERIFYING, NULL, 0,
	    ec_pub, err, sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "n", KEY_STATE_VERIFYING,
	    (const unsigned char *)rs_priv, strlen(rs_priv), NULL, err,
	    sizeof(err)), -1);
	cr_expect_eq(keyset_add(&set, "g", KEY_STATE_VERIFYING, NULL, 0,
	    "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
	    err, sizeof(err)), -1);
	cr_expect_eq(set.count, 1);
	keyset_free(&set);

	keyset_init(&set, SETTINGS_ALG_ES256);
	cr_expect_eq(keyset_add(&set, "e", KEY_STATE_CURRENT,
	    (const unsigned char *)ec_priv, strlen(ec_priv), ec_pub, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(keyset_add(&set, "r", KEY_STATE_VERIFYING, NULL, 0,
	    rs_pub, err, sizeof(err)), -1);
	keyset_free(&set);

	free(rs_pub);
	free(rs_priv);
	free(ec_pub);
	free(ec_priv);
}

/* The rows of api.keyring() as the workers and the parent read them. */
Test(ring, add_sealed)
{
	struct keyset	 set;
	unsigned char	 kek[KEYSET_KEK_LEN], other[KEYSET_KEK_LEN];
	char		*sealed, err[256];

	kek_of(KEK_TEXT, kek);
	kek_of("another " KEK_TEXT, other);
	sealed = keyset_seal(kek, SETTINGS_ALG_HS256, "k1",
	    (const unsigned char *)HS_SECRET, strlen(HS_SECRET));

	keyset_init(&set, SETTINGS_ALG_HS256);
	cr_expect_eq(keyset_add_sealed(&set, other, "k1", "current", sealed,
	    "", err, sizeof(err)), -1);
	cr_expect(strstr(err, "JWT_KEY_ENCRYPTION_KEY") != NULL, "%s", err);
	cr_expect_eq(keyset_add_sealed(&set, kek, "k1", "retired", sealed, "",
	    err, sizeof(err)), -1);
	cr_expect_eq(keyset_add_sealed(&set, kek, "k1", "current", sealed, "",
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq((char *)keyset_current(&set)->secret, HS_SECRET);
	cr_expect_null(keyset_current(&set)->public_pem);
	keyset_free(&set);
	free(sealed);
}

Test(ring, state_names)
{
	int	i;

	for (i = KEY_STATE_CURRENT; i <= KEY_STATE_RETIRED; i++)
		cr_expect_eq(keyset_state_value(keyset_state_name(i)), i);
	cr_expect_str_eq(keyset_state_name(KEY_STATE_CURRENT), "current");
	cr_expect_str_eq(keyset_state_name(KEY_STATE_VERIFYING), "verifying");
	cr_expect_str_eq(keyset_state_name(KEY_STATE_RETIRED), "retired");
	cr_expect_str_eq(keyset_state_name(0), "unknown");
	cr_expect_eq(keyset_state_value("Current"), 0);
	cr_expect_eq(keyset_state_value(NULL), 0);
}

Test(newkeys, generate_each_algorithm)
{
	unsigned char	*a, *b;
	char		*pa, *pb, err[128];
	size_t		la, lb;
	struct keyset	set;
	EVP_PKEY	*pk;
	int		alg;

	/* HS256: 256 random bits as 43 characters of base64url. */
	cr_assert_eq(keyset_generate(SETTINGS_ALG_HS256, &a, &la, &pa), 0);
	cr_assert_eq(keyset_generate(SETTINGS_ALG_HS256, &b, &lb, &pb), 0);
	cr_expect_eq(la, 43);
	cr_expect_eq(strlen((char *)a), 43);
	cr_expect_null(pa);
	cr_expect_str_neq((char *)a, (char *)b);
	free(a);
	free(b);

	for (alg = SETTINGS_ALG_RS256; alg <= SETTINGS_ALG_ES256; alg++) {
		cr_assert_eq(keyset_generate(alg, &a, &la, &pa), 0);
		cr_expect(strstr((char *)a, "BEGIN PRIVATE KEY") != NULL);
		cr_expect(strstr(pa, "BEGIN PUBLIC KEY") != NULL);
		pk = pkey_from_pem(pa);
		cr_assert_not_null(pk);
		if (alg == SETTINGS_ALG_RS256)
			cr_expect_eq(EVP_PKEY_get_bits(pk), 2048);
		else
			cr_expect(EVP_PKEY_is_a(pk, "EC"));
		EVP_PKEY_free(pk);

		keyset_init(&set, alg);
		cr_expect_eq(keyset_add(&set, "g", KEY_STATE_CURRENT, a, la, pa,
		    err, sizeof(err)), 0, "%s", err);
		keyset_free(&set);
		free(a);
		free(pa);
	}
}

Test(newkeys, import_checks_the_pair)
{
	unsigned char	*sec;
	char		*rs_pub, *rs_priv, *other_pub, *other_priv, *small_pub;
	char		*small_priv, *p384_pub, *p384_priv, *ec_pub, *ec_priv;
	char		*pub, err[256];
	size_t		len;

	rs_priv = pem_pair("RSA", 2048, &rs_pub);
	other_priv = pem_pair("RSA", 2048, &other_pub);
	small_priv = pem_pair("RSA", 1024, &small_pub);
	p384_priv = pem_pair("EC", 384, &p384_pub);
	ec_priv = pem_pair("EC", 256, &ec_pub);

	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)rs_priv, strlen(rs_priv), rs_pub, &sec, &len,
	    &pub, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pub, rs_pub);
	cr_expect_eq(len, strlen(rs_priv));
	free(sec);
	free(pub);

	/* Without the public key: derived from the private one. */
	cr_expect_eq(keyset_import(SETTINGS_ALG_ES256,
	    (const unsigned char *)ec_priv, strlen(ec_priv), NULL, &sec, &len,
	    &pub, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pub, ec_pub);
	free(sec);
	free(pub);

	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)rs_priv, strlen(rs_priv), other_pub, &sec,
	    &len, &pub, err, sizeof(err)), -1);
	cr_expect(strstr(err, "JWT_PUBLIC_KEY_FILE") != NULL, "%s", err);
	cr_expect_null(sec);
	cr_expect_null(pub);
	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)small_priv, strlen(small_priv), NULL, &sec,
	    &len, &pub, err, sizeof(err)), -1);
	cr_expect(strstr(err, "2048") != NULL, "%s", err);
	cr_expect_eq(keyset_import(SETTINGS_ALG_ES256,
	    (const unsigned char *)p384_priv, strlen(p384_priv), NULL, &sec,
	    &len, &pub, err, sizeof(err)), -1);
	cr_expect(strstr(err, "P-256") != NULL, "%s", err);
	cr_expect_eq(keyset_import(SETTINGS_ALG_ES256,
	    (const unsigned char *)rs_priv, strlen(rs_priv), NULL, &sec, &len,
	    &pub, err, sizeof(err)), -1);
	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)"not a key", 9, NULL, &sec, &len, &pub, err,
	    sizeof(err)), -1);
	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)"", 0, NULL, &sec, &len, &pub, err,
	    sizeof(err)), -1);

	free(rs_pub);
	free(rs_priv);
	free(other_pub);
	free(other_priv);
	free(small_pub);
	free(small_priv);
	free(p384_pub);
	free(p384_priv);
	free(ec_pub);
	free(ec_priv);
}

/* An encrypted PEM is refused, not prompted for on the terminal. */
Test(newkeys, encrypted_pem_refused)
{
	EVP_PKEY	*pk;
	BIO		*b;
	unsigned char	*sec;
	char		*p, *pem, *pub, err[256];
	long		n;
	size_t		len;

	pk = EVP_RSA_gen(2048);
	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PKCS8PrivateKey(b, pk, EVP_aes_256_cbc(),
	    NULL, 0, NULL, (void *)"pass phrase"));
	n = BIO_get_mem_data(b, &p);
	pem = strndup(p, n);
	BIO_free(b);
	EVP_PKEY_free(pk);

	cr_expect_eq(keyset_import(SETTINGS_ALG_RS256,
	    (const unsigned char *)pem, strlen(pem), NULL, &sec, &len, &pub,
	    err, sizeof(err)), -1);
	free(pem);
}

/* The first key of a ring: the configured one, never the built-in one. */
Test(newkeys, bootstrap)
{
	struct settings	 s;
	unsigned char	*sec;
	char		*pub, *other, err[256];
	size_t		 len;
	int		 imported;

	memset(&s, 0, sizeof(s));
	s.jwt_alg = SETTINGS_ALG_HS256;
	s.jwt_signing_key = HS_SECRET;
	cr_assert_eq(keyset_bootstrap_key(&s, &sec, &len, &pub, &imported,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 1);
	cr_expect_str_eq((char *)sec, HS_SECRET);
	free(sec);

	s.jwt_signing_key = SETTINGS_DEV_KEY;
	cr_assert_eq(keyset_bootstrap_key(&s, &sec, &len, &pub, &imported,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 0);
	cr_expect_str_neq((char *)sec, SETTINGS_DEV_KEY);
	cr_expect_eq(len, 43);
	free(sec);

	s.jwt_signing_key = NULL;
	cr_assert_eq(keyset_bootstrap_key(&s, &sec, &len, &pub, &imported,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 0);
	free(sec);

	/* RS256: the files, which must be a pair. */
	s.jwt_alg = SETTINGS_ALG_RS256;
	s.jwt_private_pem = pem_pair("RSA", 2048, &s.jwt_public_pem);
	cr_assert_eq(keyset_bootstrap_key(&s, &sec, &len, &pub, &imported,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 1);
	cr_expect_str_eq(pub, s.jwt_public_pem);
	free(sec);
	free(pub);
	free(s.jwt_public_pem);
	other = pem_pair("RSA", 2048, &s.jwt_public_pem);
	cr_expect_eq(keyset_bootstrap_key(&s, &sec, &len, &pub, &imported,
	    err, sizeof(err)), -1);
	free(other);
	free(s.jwt_public_pem);
	free(s.jwt_private_pem);
}

/* RS256 JWKs are the very keys: rebuilt from n and e, they are equal. */
Test(jwks, rs256)
{
	json_t		*doc, *k;
	char		*priv, *pub;
	EVP_PKEY	*a, *b;

	priv = pem_pair("RSA", 2048, &pub);
	doc = jwks_of(SETTINGS_ALG_RS256, priv, pub);
	cr_assert_eq(json_array_size(json_object_get(doc, "keys")), 2);

	k = json_array_get(json_object_get(doc, "keys"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(k, "kty")), "RSA");
	cr_expect_str_eq(json_string_value(json_object_get(k, "alg")),
	    "RS256");
	cr_expect_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	cr_expect_str_eq(json_string_value(json_object_get(k, "kid")), "cur");
	cr_expect_str_eq(json_string_value(json_object_get(k, "e")), "AQAB");
	/* No private member, ever. */
	cr_expect_null(json_object_get(k, "d"));
	cr_expect_null(json_object_get(k, "p"));

	a = pkey_from_jwk(k);
	b = pkey_from_pem(pub);
	cr_assert_not_null(a);
	cr_expect_eq(EVP_PKEY_eq(a, b), 1);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);

	k = json_array_get(json_object_get(doc, "keys"), 1);
	cr_expect_str_eq(json_string_value(json_object_get(k, "kid")), "old");
	json_decref(doc);
	free(priv);
	free(pub);
}

Test(jwks, es256)
{
	json_t		*doc, *k;
	char		*priv, *pub;
	EVP_PKEY	*a, *b;
	size_t		 i;

	for (i = 0; i < 8; i++) {
		priv = pem_pair("EC", 256, &pub);
		doc = jwks_of(SETTINGS_ALG_ES256, priv, pub);
		k = json_array_get(json_object_get(doc, "keys"), 0);
		cr_expect_str_eq(json_string_value(json_object_get(k, "kty")),
		    "EC");
		cr_expect_str_eq(json_string_value(json_object_get(k, "crv")),
		    "P-256");
		cr_expect_str_eq(json_string_value(json_object_get(k, "alg")),
		    "ES256");
		/* 32 bytes each, leading zeros kept (RFC 7518 6.2.1.2). */
		cr_expect_eq(strlen(json_string_value(json_object_get(k, "x"))),
		    43);
		cr_expect_eq(strlen(json_string_value(json_object_get(k, "y"))),
		    43);
		cr_expect_null(json_object_get(k, "d"));

		a = pkey_from_jwk(k);
		b = pkey_from_pem(pub);
		cr_assert_not_null(a);
		cr_expect_eq(EVP_PKEY_eq(a, b), 1);
		EVP_PKEY_free(a);
		EVP_PKEY_free(b);
		json_decref(doc);
		free(priv);
		free(pub);
	}
}

/* A private key PEM and its public key PEM (which *pub gets). */
static char *
pem_pair(const char *type, int size, char **pub)
{
	EVP_PKEY	*pk;
	BIO		*b;
	char		*p, *priv;
	long		 n;

	if (!strcmp(type, "RSA"))
		pk = EVP_RSA_gen((unsigned int)size);
	else
		pk = EVP_EC_gen(size == 256 ? "P-256" : "P-384");
	cr_assert_not_null(pk);

	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &p);
	priv = strndup(p, n);
	BIO_free(b);

	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PUBKEY(b, pk));
	n = BIO_get_mem_data(b, &p);
	*pub = strndup(p, n);
	BIO_free(b);
	EVP_PKEY_free(pk);

	return (priv);
}

/* The JWK set of a ring: key "cur" (priv, pub) and "old" (its pub too). */
static json_t *
jwks_of(int alg, const char *priv, const char *pub)
{
	struct keyset	 set;
	json_t		*doc;
	char		 err[128];

	keyset_init(&set, alg);
	cr_assert_eq(keyset_add(&set, "cur", KEY_STATE_CURRENT,
	    (const unsigned char *)priv, strlen(priv), pub, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(keyset_add(&set, "old", KEY_STATE_VERIFYING, NULL, 0, pub,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyset_publish(&set), 0);
	doc = json_loads(set.jwks, 0, NULL);
	cr_assert_not_null(doc, "%s", set.jwks);
	keyset_free(&set);

	return (doc);
}

static EVP_PKEY *
pkey_from_pem(const char *pem)
{
	BIO		*b;
	EVP_PKEY	*pk;

	b = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);

	return (pk);
}

/* An RSA or EC public key built from its JWK members alone. */
static EVP_PKEY *
pkey_from_jwk(json_t *k)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk;
	BIGNUM		*n, *e;
	unsigned char	*a, *b, point[65];
	size_t		 la, lb;
	int		 rsa;

	rsa = !strcmp(json_string_value(json_object_get(k, "kty")), "RSA");
	a = b64url_dec(json_string_value(json_object_get(k, rsa ? "n" : "x")),
	    &la);
	b = b64url_dec(json_string_value(json_object_get(k, rsa ? "e" : "y")),
	    &lb);

	bld = OSSL_PARAM_BLD_new();
	n = e = NULL;
	if (rsa) {
		n = BN_bin2bn(a, (int)la, NULL);
		e = BN_bin2bn(b, (int)lb, NULL);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	} else {
		cr_assert_eq(la, 32);
		cr_assert_eq(lb, 32);
		point[0] = 0x04;
		memcpy(point + 1, a, 32);
		memcpy(point + 33, b, 32);
		OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		    point, sizeof(point));
	}
	params = OSSL_PARAM_BLD_to_param(bld);

	pk = NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params),
	    1);

	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(a);
	free(b);

	return (pk);
}

static unsigned char *
b64url_dec(const char *s, size_t *len)
{
	unsigned char	*out;

	cr_assert_not_null(s);
	out = malloc(strlen(s) + 1);
	cr_assert_eq(sodium_base642bin(out, strlen(s) + 1, s, strlen(s), NULL,
	    len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);

	return (out);
}
