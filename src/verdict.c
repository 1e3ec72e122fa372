/*
 * Remembered verdicts: per worker, for each principal (tenant, kind,
 * subject, login), the verdict epoch under which the database last found
 * it allowed (sql/V008__kept_state.sql). Every API statement gets the
 * epoch as p_verdict and compares it with its tenant's current epoch in
 * its own snapshot: equal, the principal's tenant, user, membership,
 * API client and login are as they were when the full check passed, and
 * the statement skips it; different (anything that decides a verdict
 * changed since), it runs the full check and answers the new epoch, or
 * NULL. Nothing here can make a request be served that the database
 * would refuse: a wrong or stale epoch only costs the full check.
 *
 * An entry is found by a keyed BLAKE2b digest of the principal (256
 * bits: two principals never share one), in a set of VERDICT_WAYS
 * entries picked by the digest; a new principal takes the set's least
 * recently used entry. (Direct-mapped, 10,000 tenants in 16,384 slots
 * evicted each other on about a quarter of the requests.)
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mtapi.h"

/* 32,768 entries of 48 bytes: 1.5 MiB a worker once all are used. */
#define VERDICT_SETS		4096
#define VERDICT_WAYS		8

struct verdict {
	unsigned char	digest[crypto_generichash_BYTES];
	int64_t		epoch;
	u_int64_t	used;		/* last use (verdict_clock); 0: empty */
};

static struct verdict	verdicts[VERDICT_SETS][VERDICT_WAYS];
static u_int64_t	verdict_clock;
static unsigned char	verdict_key[crypto_generichash_KEYBYTES];
static int		verdict_keyed;

static struct verdict	*verdict_set(const struct principal *,
			    unsigned char *);
static struct verdict	*verdict_find(struct verdict *,
			    const unsigned char *);

/* The epoch to send for this principal: 0, or -1 if there is none. */
int
verdict_get(const struct principal *p, int64_t *epoch)
{
	struct verdict	*v;
	unsigned char	d[crypto_generichash_BYTES];

	if ((v = verdict_find(verdict_set(p, d), d)) == NULL)
		return (-1);

	v->used = ++verdict_clock;
	*epoch = v->epoch;
	return (0);
}

/* What the statement answered: the epoch to remember, or NULL: forget. */
void
verdict_learn(const struct principal *p, const char *epoch)
{
	struct verdict	*set, *v;
	unsigned char	d[crypto_generichash_BYTES];
	int64_t		e;
	int		err, i;

	set = verdict_set(p, d);
	v = verdict_find(set, d);
	if (epoch != NULL) {
		e = (int64_t)kore_strtonum64(epoch, 1, &err);
		if (err == KORE_RESULT_OK) {
			if (v == NULL) {
				v = &set[0];
				for (i = 1; i < VERDICT_WAYS; i++) {
					if (set[i].used < v->used)
						v = &set[i];
				}
				memcpy(v->digest, d, sizeof(d));
			}
			v->epoch = e;
			v->used = ++verdict_clock;
			return;
		}
	}

	if (v != NULL)
		v->used = 0;
}

/* The entry of digest d in set, or NULL. */
static struct verdict *
verdict_find(struct verdict *set, const unsigned char *d)
{
	int	i;

	for (i = 0; i < VERDICT_WAYS; i++) {
		if (set[i].used != 0 &&
		    sodium_memcmp(set[i].digest, d, crypto_generichash_BYTES) == 0)
			return (&set[i]);
	}

	return (NULL);
}

/* The set of p's entry; d gets p's digest. */
static struct verdict *
verdict_set(const struct principal *p, unsigned char *d)
{
	crypto_generichash_state	st;
	u_int64_t			h;
	char				kind[16];

	if (!verdict_keyed) {
		crypto_generichash_keygen(verdict_key);
		verdict_keyed = 1;
	}

	/* Each field with its terminating NUL: no two keys run together. */
	(void)snprintf(kind, sizeof(kind), "%d", p->auth_type);
	crypto_generichash_init(&st, verdict_key, sizeof(verdict_key),
	    crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)kind,
	    strlen(kind) + 1);
	crypto_generichash_update(&st, (const unsigned char *)p->tenant,
	    strlen(p->tenant) + 1);
	crypto_generichash_update(&st, (const unsigned char *)p->subject,
	    strlen(p->subject) + 1);
	crypto_generichash_update(&st, (const unsigned char *)p->sid,
	    strlen(p->sid) + 1);
	crypto_generichash_final(&st, d, crypto_generichash_BYTES);

	memcpy(&h, d, sizeof(h));
	return (verdicts[h % VERDICT_SETS]);
}
