/*
 * Unit tests for the remembered verified tokens of src/verified.c: a
 * principal comes back only for exactly the text it was verified from
 * and under the same key ring generation, 10,000 tenants' tokens fit,
 * and a full set gives up its least recently used entry.
 */

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "../../src/verified.c"

#define TOKEN_A	"eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiJhIn0.c2lnbmF0dXJl"

static void
principal(struct principal *p, const char *tenant)
{
	memset(p, 0, sizeof(*p));
	p->auth_type = AUTH_TYPE_USER;
	(void)snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	(void)snprintf(p->subject, sizeof(p->subject), "42");
}

Test(verified, only_that_text_and_generation)
{
	struct principal	a, got;
	time_t			exp;

	cr_assert_neq(sodium_init(), -1);
	principal(&a, "7d3c1e0a-7c52-4f0e-9c43-6f1d2b9a0c11");
	cr_expect_eq(verified_get(TOKEN_A, 1, &got, &exp), -1);

	verified_put(TOKEN_A, 1, &a, 1000);
	cr_assert_eq(verified_get(TOKEN_A, 1, &got, &exp), 0);
	cr_expect_str_eq(got.tenant, a.tenant);
	cr_expect_eq(exp, 1000);

	/* One character more or less is another token. */
	cr_expect_eq(verified_get(TOKEN_A "x", 1, &got, &exp), -1);
	cr_expect_eq(verified_get("eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiJhIn0."
	    "c2lnbmF0dXJ", 1, &got, &exp), -1);
	/* A key retired since: verified again. */
	cr_expect_eq(verified_get(TOKEN_A, 2, &got, &exp), -1);

	/* Verified again under the new generation: the same entry. */
	verified_put(TOKEN_A, 2, &a, 2000);
	cr_expect_eq(verified_get(TOKEN_A, 1, &got, &exp), -1);
	cr_assert_eq(verified_get(TOKEN_A, 2, &got, &exp), 0);
	cr_expect_eq(exp, 2000);
}

/*
 * The scale set: one token for each of 10,000 tenants. The digest's key
 * is new each run: about 9,955 stay on average, 9,926 the least of 300
 * simulated runs; the 1,024 direct-mapped slots before kept 1,024.
 */
Test(verified, ten_thousand_tenants_fit)
{
	struct principal	p, got;
	char			tok[96];
	time_t			exp;
	int			i, kept;

	cr_assert_neq(sodium_init(), -1);
	principal(&p, "00000000-0000-4000-8000-000000000000");
	for (i = 0; i < 10000; i++) {
		(void)snprintf(tok, sizeof(tok), "eyJ0.eyJ0ZW5hbnQi%06d.sig", i);
		verified_put(tok, 7, &p, i);
	}
	kept = 0;
	for (i = 0; i < 10000; i++) {
		(void)snprintf(tok, sizeof(tok), "eyJ0.eyJ0ZW5hbnQi%06d.sig", i);
		if (verified_get(tok, 7, &got, &exp) == 0 && exp == i)
			kept++;
	}
	cr_expect_geq(kept, 9850, "%d of 10,000 remembered", kept);
}

/* A full set gives up its least recently used entry. */
Test(verified, the_least_recently_used_goes)
{
	struct principal	p, got;
	struct verified		*set, *first;
	unsigned char		d[crypto_generichash_BYTES];
	char			toks[VERIFIED_WAYS + 1][32];
	time_t			exp;
	int			i, n;

	cr_assert_neq(sodium_init(), -1);
	memset(verified, 0, sizeof(verified));
	principal(&p, "7d3c1e0a-7c52-4f0e-9c43-6f1d2b9a0c11");

	/* VERIFIED_WAYS + 1 tokens of one set. */
	(void)snprintf(toks[0], sizeof(toks[0]), "t0");
	first = verified_set(toks[0], d);
	for (i = 1, n = 1; n <= VERIFIED_WAYS; i++) {
		(void)snprintf(toks[n], sizeof(toks[n]), "t%d", i);
		set = verified_set(toks[n], d);
		if (set == first)
			n++;
	}
	for (i = 0; i < VERIFIED_WAYS; i++)
		verified_put(toks[i], 1, &p, i);
	/* The first is used again: the second is now the oldest. */
	cr_assert_eq(verified_get(toks[0], 1, &got, &exp), 0);
	verified_put(toks[VERIFIED_WAYS], 1, &p, 99);

	cr_expect_eq(verified_get(toks[0], 1, &got, &exp), 0);
	cr_expect_eq(verified_get(toks[1], 1, &got, &exp), -1, "not evicted");
	for (i = 2; i <= VERIFIED_WAYS; i++)
		cr_expect_eq(verified_get(toks[i], 1, &got, &exp), 0, "%d", i);
}
