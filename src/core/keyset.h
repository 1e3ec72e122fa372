/*
 * The signing key ring: the keys of the configured algorithm that sign
 * (the current one) and verify (current and verifying) tokens, each named
 * by its kid; how key material is sealed for storage in the database;
 * new keys; the public keys as a JWK set. No Kore, no database.
 */

#ifndef MTAPI_KEYSET_H
#define MTAPI_KEYSET_H

#include <stddef.h>

#define KEYSET_MAX		16
#define KEYSET_KID_MAX		64
#define KEYSET_KEK_LEN		32
#define KEYSET_VERSION_MAX	64
/* A generated HS256 secret: SHA-256's output size (RFC 7518), as text. */
#define KEYSET_HS256_BYTES	32

#define KEY_STATE_CURRENT	1
#define KEY_STATE_VERIFYING	2
#define KEY_STATE_RETIRED	3

struct settings;

struct keyset_key {
	char		kid[KEYSET_KID_MAX + 1];
	int		state;			/* KEY_STATE_* */
	/* HS256 secret or private PEM (NUL-terminated); NULL: verify only */
	unsigned char	*secret;
	size_t		secret_len;
	char		*public_pem;		/* RS256, ES256 */
};

struct keyset {
	int			alg;		/* SETTINGS_ALG_*: only */
	int			loaded;		/* read from the database */
	size_t			count;
	struct keyset_key	keys[KEYSET_MAX];
	char			*jwks;		/* the public keys, JSON */
	char			version[KEYSET_VERSION_MAX + 1];
};

void	keyset_init(struct keyset *, int);
void	keyset_free(struct keyset *);

/*
 * Add a key of the set's algorithm (copies everything). The secret may be
 * NULL for a verifying asymmetric key; an asymmetric key needs its public
 * PEM. -1 (with a reason in err) if anything does not fit.
 */
int	keyset_add(struct keyset *, const char *, int, const unsigned char *,
	    size_t, const char *, char *, size_t);

/* A stored key (sealed secret) into the set; -1 with a reason. */
int	keyset_add_sealed(struct keyset *, const unsigned char *,
	    const char *, const char *, const char *, const char *, char *,
	    size_t);

/* The key named kid, or the current key; NULL if there is none. */
const struct keyset_key	*keyset_find(const struct keyset *, const char *);
const struct keyset_key	*keyset_current(const struct keyset *);

/* Build set->jwks from the public keys; -1 if one cannot be read. */
int	keyset_publish(struct keyset *);

/*
 * The key-encryption key, derived from JWT_KEY_ENCRYPTION_KEY or else
 * SECRET_KEY; -1 if neither is set.
 */
int	keyset_kek(const struct settings *, unsigned char *);

/*
 * Seal a secret for storage (XChaCha20-Poly1305 under the KEK, bound to
 * the algorithm and kid): "v1.<base64>", caller frees. keyset_open()
 * reverses it into a NUL-terminated copy (caller wipes and frees).
 */
char	*keyset_seal(const unsigned char *, int, const char *,
	    const unsigned char *, size_t);
int	keyset_open(const unsigned char *, int, const char *, const char *,
	    unsigned char **, size_t *);

/* A fresh random kid (KEYSET_KID_MAX + 1 bytes of room). */
void	keyset_kid_new(char *);
int	keyset_kid_valid(const char *);

/*
 * A new key of alg: a random HS256 secret, or an RSA 2048 / P-256 key
 * pair as PEM. Caller wipes and frees the secret, frees the public PEM.
 */
int	keyset_generate(int, unsigned char **, size_t *, char **);

/*
 * The key the settings name as the ring's first: JWT_SIGNING_KEY (or
 * SECRET_KEY) for HS256, the key files for RS256 and ES256, checked to
 * be a pair. *imported is 0 when no key is configured (HS256 without
 * either setting): then a fresh one is generated, never the built-in
 * development key.
 */
int	keyset_bootstrap_key(const struct settings *, unsigned char **,
	    size_t *, char **, int *, char *, size_t);

/* A private key read from a PEM (or an HS256 secret) as a new key. */
int	keyset_import(int, const unsigned char *, size_t, const char *,
	    unsigned char **, size_t *, char **, char *, size_t);

const char	*keyset_state_name(int);
int		keyset_state_value(const char *);

#endif
