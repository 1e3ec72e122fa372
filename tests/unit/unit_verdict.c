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
