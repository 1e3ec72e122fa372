/*
 * Unit tests for the remembered verdicts of src/verdict.c: an epoch is
 * given back only for exactly the principal it was learnt for (tenant,
 * kind, subject and login each count), a NULL answer forgets it, and a
 * principal that never had one gets none.
 */

#include <stdlib.h>

#include <criterion/criterion.h>

#include "../../src/verdict.c"

static void	principal(struct principal *, int, const char *,
		    const char *, const char *);

u_int64_t
kore_strtonum64(const char *s, int sign, int *err)
{
	char		*end;
	long long	v;

	v = strtoll(s, &end, 10);
	*err = (*s != '\0' && *end == '\0') ? KORE_RESULT_OK :
	    KORE_RESULT_ERROR;
	return ((u_int64_t)v);
}

static void
principal(struct principal *p, int type, const char *tenant,
    const char *sub, const char *sid)
{
	memset(p, 0, sizeof(*p));
	p->auth_type = type;
	(void)snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
	(void)snprintf(p->subject, sizeof(p->subject), "%s", sub);
	(void)snprintf(p->sid, sizeof(p->sid), "%s", sid);
}

#define T1	"7d3c1e0a-7c52-4f0e-9c43-6f1d2b9a0c11"
#define T2	"7d3c1e0a-7c52-4f0e-9c43-6f1d2b9a0c12"
#define S1	"11111111-2222-4333-8444-555555555555"
#define S2	"11111111-2222-4333-8444-555555555556"

Test(verdict, learnt_for_exactly_that_principal)
{
	struct principal	a, b;
	int64_t			e;

	cr_assert_neq(sodium_init(), -1);

	principal(&a, AUTH_TYPE_USER, T1, "42", S1);
	cr_expect_eq(verdict_get(&a, &e), -1, "nothing learnt yet");

	verdict_learn(&a, "1234");
	cr_assert_eq(verdict_get(&a, &e), 0);
	cr_expect_eq(e, 1234);

	/* Any field differing is another principal. */
	principal(&b, AUTH_TYPE_USER, T2, "42", S1);
	cr_expect_eq(verdict_get(&b, &e), -1, "another tenant");
	principal(&b, AUTH_TYPE_USER, T1, "43", S1);
	cr_expect_eq(verdict_get(&b, &e), -1, "another user");
	principal(&b, AUTH_TYPE_USER, T1, "42", S2);
	cr_expect_eq(verdict_get(&b, &e), -1, "another login");
	principal(&b, AUTH_TYPE_API_CLIENT, T1, "42", S1);
	cr_expect_eq(verdict_get(&b, &e), -1, "another kind");
	/* Fields do not run together: subject "42" + no login is not
	 * subject "4" + login "2". */
	principal(&b, AUTH_TYPE_USER, T1, "42", "");
	verdict_learn(&b, "77");
	principal(&b, AUTH_TYPE_USER, T1, "4", "2");
	cr_expect_eq(verdict_get(&b, &e), -1, "fields run together");

	/* A new epoch replaces the old one. */
	verdict_learn(&a, "1300");
	cr_assert_eq(verdict_get(&a, &e), 0);
	cr_expect_eq(e, 1300);
}

Test(verdict, null_or_garbage_forgets)
{
	struct principal	a, b;
	int64_t			e;

	cr_assert_neq(sodium_init(), -1);
	principal(&a, AUTH_TYPE_USER, T1, "7", S1);
	principal(&b, AUTH_TYPE_USER, T1, "8", S1);

	verdict_learn(&a, "55");
	verdict_learn(&b, "56");
	verdict_learn(&a, NULL);
	cr_expect_eq(verdict_get(&a, &e), -1, "a refusal forgets");
	cr_assert_eq(verdict_get(&b, &e), 0, "only that principal's");
	cr_expect_eq(e, 56);

	verdict_learn(&b, "not a number");
	cr_expect_eq(verdict_get(&b, &e), -1, "an answer that is no epoch");

	/* Forgetting a principal that had nothing leaves nothing. */
	verdict_learn(&a, NULL);
	cr_expect_eq(verdict_get(&a, &e), -1);
}

/*
 * 10,000 tenants' principals are all remembered at once: the scale set
 * of make bench. (Direct-mapped, 16,384 slots kept only ~78% of them,
 * and the rest ran the full check on every request.)
 */
Test(verdict, ten_thousand_tenants_fit)
{
	struct principal	p;
	char			t[37];
	int64_t			e;
	int			i, kept;

	cr_assert_neq(sodium_init(), -1);
	for (i = 0; i < 10000; i++) {
		(void)snprintf(t, sizeof(t), "00000000-0000-4000-8000-%012d",
		    i);
		principal(&p, AUTH_TYPE_USER, t, "1", S1);
		verdict_learn(&p, "9");
	}
	kept = 0;
	for (i = 0; i < 10000; i++) {
		(void)snprintf(t, sizeof(t), "00000000-0000-4000-8000-%012d",
		    i);
		principal(&p, AUTH_TYPE_USER, t, "1", S1);
		if (verdict_get(&p, &e) == 0 && e == 9)
			kept++;
	}
	cr_expect_geq(kept, 9950, "%d of 10,000 remembered", kept);
}

/* A full set gives up its least recently used entry. */
Test(verdict, the_least_recently_used_goes)
{
	struct principal	p[VERDICT_WAYS + 1];
	struct verdict		*set;
	unsigned char		d[crypto_generichash_BYTES];
	char			sub[32];
	int64_t			e;
	int			i, n;

	cr_assert_neq(sodium_init(), -1);
	memset(verdicts, 0, sizeof(verdicts));

	/* VERDICT_WAYS + 1 principals of one set. */
	principal(&p[0], AUTH_TYPE_USER, T1, "0", S1);
	set = verdict_set(&p[0], d);
	for (i = 1, n = 1; n <= VERDICT_WAYS; i++) {
		(void)snprintf(sub, sizeof(sub), "%d", i);
		principal(&p[n], AUTH_TYPE_USER, T1, sub, S1);
		if (verdict_set(&p[n], d) == set)
			n++;
	}

	for (i = 0; i < VERDICT_WAYS; i++)
		verdict_learn(&p[i], "5");
	cr_assert_eq(verdict_get(&p[0], &e), 0, "used again: now the newest");
	verdict_learn(&p[VERDICT_WAYS], "6");

	cr_expect_eq(verdict_get(&p[1], &e), -1, "the least recently used");
	cr_expect_eq(verdict_get(&p[0], &e), 0);
	for (i = 2; i <= VERDICT_WAYS; i++)
		cr_expect_eq(verdict_get(&p[i], &e), 0, "entry %d", i);
}
