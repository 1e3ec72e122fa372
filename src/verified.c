/*
 * Verified access tokens, remembered per worker: clients send the same
 * token for many requests, and verifying one (base64, JSON, the
 * signature) costs more than the rest of a cached read. Same text, same
 * signature, same answer: a token is found by a keyed BLAKE2b digest of
 * its exact text (256 bits: two texts never share one), with the key
 * ring's generation it verified under (src/keyring.c: once a key is
 * retired, a token it signed is verified again, and refused) and its
 * exp, which the caller checks on every request all the same.
 *
 * VERIFIED_SETS sets of VERIFIED_WAYS entries picked by the digest; a new
 * token takes its set's least recently used entry. (The 1,024 direct-
 * mapped slots before kept 1,024 of 10,000 tenants' tokens: at that
 * scale nine requests in ten were verified in full.)
 */

#include <string.h>

#include <sodium.h>

#include "mtapi.h"

/* 16,384 entries of 336 bytes: 5.3 MiB a worker once all are used. */
#define VERIFIED_SETS		1024
#define VERIFIED_WAYS		16

struct verified {
	unsigned char		digest[crypto_generichash_BYTES];
	u_int64_t		generation;
	u_int64_t		used;	/* last use (verified_clock); 0: empty */
	time_t			exp;
	struct principal	p;
};

static struct verified	verified[VERIFIED_SETS][VERIFIED_WAYS];
static u_int64_t	verified_clock;
static unsigned char	verified_key[crypto_generichash_KEYBYTES];
static int		verified_keyed;

static struct verified	*verified_set(const char *, unsigned char *);
static struct verified	*verified_find(struct verified *,
			    const unsigned char *);

/*
 * What token verified to under the key ring's generation: 0, its
 * principal and exp; -1 if it is not remembered so.
 */
int
verified_get(const char *token, u_int64_t generation, struct principal *p,
    time_t *exp)
{
	struct verified	*v;
	unsigned char	d[crypto_generichash_BYTES];

	v = verified_find(verified_set(token, d), d);
	if (v == NULL || v->generation != generation)
		return (-1);

	v->used = ++verified_clock;
	*p = v->p;
	*exp = v->exp;
	return (0);
}

/* Remember that token verified to p, valid until exp. */
void
verified_put(const char *token, u_int64_t generation,
    const struct principal *p, time_t exp)
{
	struct verified	*set, *v;
	unsigned char	d[crypto_generichash_BYTES];
	int		i;

	set = verified_set(token, d);
	if ((v = verified_find(set, d)) == NULL) {
		v = &set[0];
		for (i = 1; i < VERIFIED_WAYS; i++) {
			if (set[i].used < v->used)
				v = &set[i];
		}
		memcpy(v->digest, d, sizeof(d));
	}
	v->generation = generation;
	v->exp = exp;
	v->p = *p;
	v->used = ++verified_clock;
}

/* The entry of digest d in set, or NULL. */
static struct verified *
verified_find(struct verified *set, const unsigned char *d)
{
	int	i;

	for (i = 0; i < VERIFIED_WAYS; i++) {
		if (set[i].used != 0 &&
		    sodium_memcmp(set[i].digest, d, crypto_generichash_BYTES) == 0)
			return (&set[i]);
	}

	return (NULL);
}

/* The set of token's entry; d gets the digest of its text. */
static struct verified *
verified_set(const char *token, unsigned char *d)
{
	u_int64_t	h;

	if (!verified_keyed) {
		crypto_generichash_keygen(verified_key);
		verified_keyed = 1;
	}

	(void)crypto_generichash(d, crypto_generichash_BYTES,
	    (const unsigned char *)token, strlen(token), verified_key,
	    sizeof(verified_key));

	memcpy(&h, d, sizeof(h));
	return (verified[h % VERIFIED_SETS]);
}
