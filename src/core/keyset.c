/*
 * The signing key ring.
 *
 * A set holds the keys of one algorithm only, the configured one: a kid
 * from a token can then only ever name a key of that algorithm, never
 * pick another (src/core/token.c checks the header's alg first).
 *
 * Key material in the database is sealed with XChaCha20-Poly1305 under a
 * key-encryption key (KEK) that never reaches the database: BLAKE2b of
 * JWT_KEY_ENCRYPTION_KEY, or of SECRET_KEY when that is unset. The
 * algorithm and kid are the additional data, so a sealed secret copied
 * onto another row does not open. A dump of the database alone holds
 * neither an HS256 secret nor a private key.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "keyset.h"
#include "settings.h"

#define SEAL_PREFIX		"v1."
#define SEAL_NONCE		crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG		crypto_aead_xchacha20poly1305_ietf_ABYTES
/* A private PEM is a few kB; a sealed one is refused far above that. */
#define SEAL_MAX		(32 * 1024)
#define KEK_CONTEXT		"mtapi-signing-keys-kek-v1"
#define KID_RANDOM_BYTES	12
#define RSA_MIN_BITS		2048

static int	set_error(char *, size_t, const char *);
static void	key_clear(struct keyset_key *);
static void	seal_ad(int, const char *, char *, size_t);
static EVP_PKEY	*pem_private(const char *);
static EVP_PKEY	*pem_public(const char *);
static int	pkey_fits(int, EVP_PKEY *);
static char	*pem_of_public(EVP_PKEY *);
static char	*pem_of_private(EVP_PKEY *);
static json_t	*jwk_of(int, const char *, const char *);
static json_t	*b64url_bn(EVP_PKEY *, const char *, size_t);
static int	no_password(char *, int, int, void *);

static const char *state_names[] = { NULL, "current", "verifying",
    "retired" };

void
keyset_init(struct keyset *set, int alg)
{
	memset(set, 0, sizeof(*set));
	set->alg = alg;
}

void
keyset_free(struct keyset *set)
{
	size_t		i;
	int		alg;

	for (i = 0; i < set->count; i++)
		key_clear(&set->keys[i]);
	free(set->jwks);

	alg = set->alg;
	memset(set, 0, sizeof(*set));
	set->alg = alg;
}

int
keyset_add(struct keyset *set, const char *kid, int state,
    const unsigned char *secret, size_t len, const char *public_pem,
    char *err, size_t errlen)
{
	struct keyset_key	*k;
	EVP_PKEY		*pk;

	if (set->count == KEYSET_MAX)
		return (set_error(err, errlen, "too many signing keys"));
	if (!keyset_kid_valid(kid))
		return (set_error(err, errlen, "a kid is malformed"));
	if (keyset_find(set, kid) != NULL)
		return (set_error(err, errlen, "a kid is there twice"));
	if (state != KEY_STATE_CURRENT && state != KEY_STATE_VERIFYING)
		return (set_error(err, errlen, "a key is neither current nor "
		    "verifying"));
	if (state == KEY_STATE_CURRENT && keyset_current(set) != NULL)
		return (set_error(err, errlen, "two current keys"));

	if (set->alg == SETTINGS_ALG_HS256) {
		if (secret == NULL || len == 0)
			return (set_error(err, errlen, "an HS256 key without "
			    "its secret"));
	} else {
		if (public_pem == NULL)
			return (set_error(err, errlen, "a key without its "
			    "public key"));
		if (state == KEY_STATE_CURRENT && secret == NULL)
			return (set_error(err, errlen, "the current key "
			    "without its private key"));
		if ((pk = pem_public(public_pem)) == NULL ||
		    !pkey_fits(set->alg, pk)) {
			EVP_PKEY_free(pk);
			return (set_error(err, errlen, "a public key that is "
			    "not one of the algorithm"));
		}
		EVP_PKEY_free(pk);
	}

	k = &set->keys[set->count];
	memset(k, 0, sizeof(*k));
	(void)snprintf(k->kid, sizeof(k->kid), "%s", kid);
	k->state = state;
	if (secret != NULL) {
		if ((k->secret = malloc(len + 1)) == NULL)
			return (set_error(err, errlen, "out of memory"));
		memcpy(k->secret, secret, len);
		k->secret[len] = '\0';
		k->secret_len = len;
	}
	if (public_pem != NULL &&
	    (k->public_pem = strdup(public_pem)) == NULL) {
		key_clear(k);
		return (set_error(err, errlen, "out of memory"));
	}

	set->count++;
	return (0);
}

int
keyset_add_sealed(struct keyset *set, const unsigned char *kek,
    const char *kid, const char *state, const char *sealed,
    const char *public_pem, char *err, size_t errlen)
{
	unsigned char	*secret;
	size_t		len;
	int		rc;

	secret = NULL;
	len = 0;
	if (!keyset_kid_valid(kid))
		return (set_error(err, errlen, "a kid is malformed"));
	if (sealed != NULL && *sealed != '\0' &&
	    keyset_open(kek, set->alg, kid, sealed, &secret, &len) == -1) {
		(void)snprintf(err, errlen, "signing key %s does not open "
		    "with this JWT_KEY_ENCRYPTION_KEY (or SECRET_KEY)", kid);
		return (-1);
	}

	rc = keyset_add(set, kid, keyset_state_value(state), secret, len,
	    public_pem != NULL && *public_pem != '\0' ? public_pem : NULL,
	    err, errlen);

	if (secret != NULL) {
		sodium_memzero(secret, len);
		free(secret);
	}

	return (rc);
}

const struct keyset_key *
keyset_find(const struct keyset *set, const char *kid)
{
	size_t		i;

	if (kid == NULL)
		return (NULL);

	for (i = 0; i < set->count; i++) {
		if (!strcmp(set->keys[i].kid, kid))
			return (&set->keys[i]);
	}

	return (NULL);
}

const struct keyset_key *
keyset_current(const struct keyset *set)
{
	size_t		i;

	for (i = 0; i < set->count; i++) {
		if (set->keys[i].state == KEY_STATE_CURRENT)
			return (&set->keys[i]);
	}

	return (NULL);
}

int
keyset_publish(struct keyset *set)
{
	json_t		*doc, *keys, *jwk;
	size_t		i;

	free(set->jwks);
	set->jwks = NULL;

	if ((keys = json_array()) == NULL)
		return (-1);

	for (i = 0; i < set->count && set->alg != SETTINGS_ALG_HS256; i++) {
		if ((jwk = jwk_of(set->alg, set->keys[i].kid,
		    set->keys[i].public_pem)) == NULL) {
			json_decref(keys);
			return (-1);
		}
		json_array_append_new(keys, jwk);
	}

	if ((doc = json_pack("{s:o}", "keys", keys)) == NULL)
		return (-1);
	set->jwks = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);

	return (set->jwks == NULL ? -1 : 0);
}

int
keyset_kek(const struct settings *s, unsigned char *kek)
{
	const char	*src;

	if ((src = s->kek_source) == NULL || *src == '\0')
		return (-1);

	return (crypto_generichash(kek, KEYSET_KEK_LEN,
	    (const unsigned char *)src, strlen(src),
	    (const unsigned char *)KEK_CONTEXT, sizeof(KEK_CONTEXT) - 1) == 0 ?
	    0 : -1);
}

char *
keyset_seal(const unsigned char *kek, int alg, const char *kid,
    const unsigned char *secret, size_t len)
{
	unsigned char		*box;
	unsigned long long	clen;
	char			ad[128], *out;
	size_t			boxlen, outlen;

	if (len > SEAL_MAX)
		return (NULL);

	boxlen = SEAL_NONCE + len + SEAL_TAG;
	if ((box = malloc(boxlen)) == NULL)
		return (NULL);

	seal_ad(alg, kid, ad, sizeof(ad));
	randombytes_buf(box, SEAL_NONCE);
	(void)crypto_aead_xchacha20poly1305_ietf_encrypt(box + SEAL_NONCE,
	    &clen, secret, len, (const unsigned char *)ad, strlen(ad), NULL,
	    box, kek);

	outlen = sizeof(SEAL_PREFIX) - 1 + sodium_base64_ENCODED_LEN(boxlen,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((out = malloc(outlen)) != NULL) {
		(void)strcpy(out, SEAL_PREFIX);
		sodium_bin2base64(out + sizeof(SEAL_PREFIX) - 1,
		    outlen - (sizeof(SEAL_PREFIX) - 1), box, boxlen,
		    sodium_base64_VARIANT_ORIGINAL);
	}
	free(box);

	return (out);
}

int
keyset_open(const unsigned char *kek, int alg, const char *kid,
    const char *sealed, unsigned char **out, size_t *outlen)
{
	unsigned char		*box, *plain;
	unsigned long long	plen;
	char			ad[128];
	size_t			boxlen, textlen;

	*out = NULL;
	*outlen = 0;

	if (strncmp(sealed, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1))
		return (-1);
	sealed += sizeof(SEAL_PREFIX) - 1;
	textlen = strlen(sealed);
	if (textlen > 2 * SEAL_MAX)
		return (-1);

	if ((box = malloc(textlen)) == NULL)
		return (-1);
	if (sodium_base642bin(box, textlen, sealed, textlen, NULL, &boxlen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    boxlen < SEAL_NONCE + SEAL_TAG) {
		free(box);
		return (-1);
	}

	if ((plain = malloc(boxlen - SEAL_NONCE - SEAL_TAG + 1)) == NULL) {
		free(box);
		return (-1);
	}

	seal_ad(alg, kid, ad, sizeof(ad));
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
	    box + SEAL_NONCE, boxlen - SEAL_NONCE, (const unsigned char *)ad,
	    strlen(ad), box, kek) != 0) {
		free(plain);
		free(box);
		return (-1);
	}
	free(box);

	plain[plen] = '\0';
	*out = plain;
	*outlen = (size_t)plen;

	return (0);
}

void
keyset_kid_new(char *out)
{
	unsigned char	b[KID_RANDOM_BYTES];

	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, KEYSET_KID_MAX + 1, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
keyset_kid_valid(const char *kid)
{
	size_t		i;

	if (kid == NULL || *kid == '\0')
		return (0);

	for (i = 0; kid[i] != '\0'; i++) {
		if (i == KEYSET_KID_MAX)
			return (0);
		if (!isalnum((unsigned char)kid[i]) && kid[i] != '-' &&
		    kid[i] != '_' && kid[i] != '.')
			return (0);
	}

	return (1);
}

int
keyset_generate(int alg, unsigned char **secret, size_t *len, char **public_pem)
{
	EVP_PKEY	*pk;
	unsigned char	raw[KEYSET_HS256_BYTES];
	char		*priv;
	size_t		n;

	*secret = NULL;
	*len = 0;
	*public_pem = NULL;

	/* 256 random bits as base64url text: a secret one can hand on. */
	if (alg == SETTINGS_ALG_HS256) {
		n = sodium_base64_ENCODED_LEN(KEYSET_HS256_BYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if ((*secret = malloc(n)) == NULL)
			return (-1);
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64((char *)*secret, n, raw, sizeof(raw),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof(raw));
		*len = strlen((char *)*secret);
		return (0);
	}

	if (alg == SETTINGS_ALG_RS256)
		pk = EVP_RSA_gen(RSA_MIN_BITS);
	else
		pk = EVP_EC_gen("P-256");
	if (pk == NULL)
		return (-1);

	priv = pem_of_private(pk);
	*public_pem = pem_of_public(pk);
	EVP_PKEY_free(pk);

	if (priv == NULL || *public_pem == NULL) {
		if (priv != NULL) {
			sodium_memzero(priv, strlen(priv));
			free(priv);
		}
		free(*public_pem);
		*public_pem = NULL;
		return (-1);
	}

	*secret = (unsigned char *)priv;
	*len = strlen(priv);

	return (0);
}

int
keyset_bootstrap_key(const struct settings *s, unsigned char **secret,
    size_t *len, char **public_pem, int *imported, char *err, size_t errlen)
{
	const char	*key;

	*imported = 0;

	if (s->jwt_alg == SETTINGS_ALG_HS256) {
		key = s->jwt_signing_key;
		if (key == NULL || *key == '\0' ||
		    !strcmp(key, SETTINGS_DEV_KEY)) {
			if (keyset_generate(s->jwt_alg, secret, len,
			    public_pem) == -1)
				return (set_error(err, errlen, "cannot make an "
				    "HS256 key"));
			return (0);
		}
		*imported = 1;
		return (keyset_import(s->jwt_alg, (const unsigned char *)key,
		    strlen(key), NULL, secret, len, public_pem, err, errlen));
	}

	*imported = 1;
	return (keyset_import(s->jwt_alg,
	    (const unsigned char *)s->jwt_private_pem,
	    strlen(s->jwt_private_pem), s->jwt_public_pem, secret, len,
	    public_pem, err, errlen));
}

int
keyset_import(int alg, const unsigned char *key, size_t keylen,
    const char *want_public, unsigned char **secret, size_t *len,
    char **public_pem, char *err, size_t errlen)
{
	EVP_PKEY	*pk, *pub;
	char		*pem;

	*secret = NULL;
	*len = 0;
	*public_pem = NULL;

	if (keylen == 0)
		return (set_error(err, errlen, "the key is empty"));

	if (alg == SETTINGS_ALG_HS256) {
		if ((*secret = malloc(keylen + 1)) == NULL)
			return (set_error(err, errlen, "out of memory"));
		memcpy(*secret, key, keylen);
		(*secret)[keylen] = '\0';
		*len = keylen;
		return (0);
	}

	if (memchr(key, '\0', keylen) != NULL ||
	    (pem = strndup((const char *)key, keylen)) == NULL)
		return (set_error(err, errlen, "the private key is not PEM"));
	pk = pem_private(pem);
	sodium_memzero(pem, keylen);
	free(pem);

	if (pk == NULL)
		return (set_error(err, errlen, "the private key file is not "
		    "an unencrypted PEM private key"));
	if (!pkey_fits(alg, pk)) {
		EVP_PKEY_free(pk);
		return (set_error(err, errlen, alg == SETTINGS_ALG_RS256 ?
		    "RS256 needs an RSA key of at least 2048 bits" :
		    "ES256 needs an EC key on the P-256 curve"));
	}

	if (want_public != NULL) {
		pub = pem_public(want_public);
		if (pub == NULL || EVP_PKEY_eq(pk, pub) != 1) {
			EVP_PKEY_free(pub);
			EVP_PKEY_free(pk);
			return (set_error(err, errlen, "JWT_PUBLIC_KEY_FILE is "
			    "not the public key of JWT_PRIVATE_KEY_FILE"));
		}
		EVP_PKEY_free(pub);
	}

	/* Stored in one form, whatever form the file had. */
	*public_pem = pem_of_public(pk);
	pem = pem_of_private(pk);
	EVP_PKEY_free(pk);
	if (*public_pem == NULL || pem == NULL) {
		free(*public_pem);
		*public_pem = NULL;
		if (pem != NULL) {
			sodium_memzero(pem, strlen(pem));
			free(pem);
		}
		return (set_error(err, errlen, "cannot write the key as PEM"));
	}

	*secret = (unsigned char *)pem;
	*len = strlen(pem);

	return (0);
}

const char *
keyset_state_name(int state)
{
	if (state < KEY_STATE_CURRENT || state > KEY_STATE_RETIRED)
		return ("unknown");
	return (state_names[state]);
}

int
keyset_state_value(const char *name)
{
	int		i;

	for (i = KEY_STATE_CURRENT; name != NULL && i <= KEY_STATE_RETIRED;
	    i++) {
		if (!strcmp(state_names[i], name))
			return (i);
	}

	return (0);
}

static int
set_error(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "%s", msg);
	return (-1);
}

static void
key_clear(struct keyset_key *k)
{
	if (k->secret != NULL) {
		sodium_memzero(k->secret, k->secret_len);
		free(k->secret);
	}
	free(k->public_pem);
	memset(k, 0, sizeof(*k));
}

static void
seal_ad(int alg, const char *kid, char *buf, size_t len)
{
	(void)snprintf(buf, len, "mtapi-signing-key|%s|%s",
	    settings_alg_name(alg), kid);
}

static EVP_PKEY *
pem_private(const char *pem)
{
	BIO		*b;
	EVP_PKEY	*pk;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return (NULL);
	pk = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);

	return (pk);
}

static EVP_PKEY *
pem_public(const char *pem)
{
	BIO		*b;
	EVP_PKEY	*pk;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return (NULL);
	pk = PEM_read_bio_PUBKEY(b, NULL, no_password, NULL);
	BIO_free(b);

	return (pk);
}

/* RS256: RSA of 2048 bits or more; ES256: EC on P-256 (RFC 7518 3.4). */
static int
pkey_fits(int alg, EVP_PKEY *pk)
{
	char		group[64];

	if (alg == SETTINGS_ALG_RS256)
		return (EVP_PKEY_is_a(pk, "RSA") &&
		    EVP_PKEY_get_bits(pk) >= RSA_MIN_BITS);

	if (alg != SETTINGS_ALG_ES256 || !EVP_PKEY_is_a(pk, "EC"))
		return (0);
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1)
		return (0);

	return (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"));
}

static char *
pem_of_public(EVP_PKEY *pk)
{
	BIO		*b;
	char		*p, *out;
	long		n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return (NULL);
	out = NULL;
	if (PEM_write_bio_PUBKEY(b, pk) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		out = strndup(p, (size_t)n);
	BIO_free(b);

	return (out);
}

/* PKCS#8, through OpenSSL's wiping memory BIO. */
static char *
pem_of_private(EVP_PKEY *pk)
{
	BIO		*b;
	char		*p, *out;
	long		n;

	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return (NULL);
	out = NULL;
	if (PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		out = strndup(p, (size_t)n);
	BIO_free(b);

	return (out);
}

/* RFC 7517/7518: the public key as a JWK, with its kid. */
static json_t *
jwk_of(int alg, const char *kid, const char *public_pem)
{
	EVP_PKEY	*pk;
	json_t		*jwk, *a, *b;

	if (public_pem == NULL || (pk = pem_public(public_pem)) == NULL)
		return (NULL);

	jwk = NULL;
	if (alg == SETTINGS_ALG_RS256) {
		a = b64url_bn(pk, OSSL_PKEY_PARAM_RSA_N, 0);
		b = b64url_bn(pk, OSSL_PKEY_PARAM_RSA_E, 0);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
			    "kty", "RSA", "use", "sig", "alg", "RS256",
			    "kid", kid, "n", a, "e", b);
	} else {
		/* Coordinates are 32 bytes each, leading zeros kept. */
		a = b64url_bn(pk, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = b64url_bn(pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
			    "kty", "EC", "use", "sig", "alg", "ES256",
			    "kid", kid, "crv", "P-256", "x", a, "y", b);
	}
	if (jwk == NULL) {
		json_decref(a);
		json_decref(b);
	}
	EVP_PKEY_free(pk);

	return (jwk);
}

/* A big number parameter as base64url; pad: fixed width, 0: minimal. */
static json_t *
b64url_bn(EVP_PKEY *pk, const char *param, size_t pad)
{
	BIGNUM		*bn;
	unsigned char	buf[1024];
	char		text[1400];
	int		n;

	bn = NULL;
	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1 || bn == NULL)
		return (NULL);

	if (pad > 0)
		n = pad <= sizeof(buf) ? BN_bn2binpad(bn, buf, (int)pad) : -1;
	else
		n = BN_num_bytes(bn) <= (int)sizeof(buf) ? BN_bn2bin(bn, buf) :
		    -1;
	BN_free(bn);
	if (n <= 0)
		return (NULL);

	sodium_bin2base64(text, sizeof(text), buf, (size_t)n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	return (json_string(text));
}

/* An encrypted PEM is refused, not prompted for. */
static int
no_password(char *buf, int size, int rw, void *arg)
{
	return (0);
}
