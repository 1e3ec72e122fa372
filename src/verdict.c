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
 * bits: two principals never share one), in a direct-mapped table; a
 * newer principal takes over a slot.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mtapi.h"

#define VERDICT_SLOTS		16384

struct verdict {
	unsigned char	digest[crypto_generichash_BYTES];
	int64_t		epoch;
	int		used;
};

static struct verdict	verdicts[VERDICT_SLOTS];
static unsigned char	verdict_key[crypto_generichash_KEYBYTES];
static int		verdict_keyed;

static struct verdict	*verdict_slot(const struct principal *,
			    unsigned char *);

/* The epoch to send for this principal: 0, or -1 if there is none. */
int
verdict_get(const struct principal *p, int64_t *epoch)
{
	struct verdict	*v;
	unsigned char	d[crypto_generichash_BYTES];

	v = verdict_slot(p, d);
	if (!v->used || sodium_memcmp(v->digest, d, sizeof(d)) != 0)
		return (-1);

	*epoch = v->epoch;
	return (0);
}

/* What the statement answered: the epoch to remember, or NULL: forget. */
void
verdict_learn(const struct principal *p, const char *epoch)
{
	struct verdict	*v;
	unsigned char	d[crypto_generichash_BYTES];
	int64_t		e;
	int		err;

	v = verdict_slot(p, d);
	if (epoch != NULL) {
		e = (int64_t)kore_strtonum64(epoch, 1, &err);
		if (err == KORE_RESULT_OK) {
			memcpy(v->digest, d, sizeof(d));
			v->epoch = e;
			v->used = 1;
			return;
		}
	}

	if (v->used && sodium_memcmp(v->digest, d, sizeof(d)) == 0)
		v->used = 0;
}

static struct verdict *
verdict_slot(const struct principal *p, unsigned char *d)
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
	return (&verdicts[h % VERDICT_SLOTS]);
}
