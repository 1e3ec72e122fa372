/*
 * Unit tests for tools/admin/password.c, the password policy of
 * create-user: each rule refuses what it should and lets the rest pass.
 */

#include <criterion/criterion.h>

#include "../../tools/admin/password.c"

static void	refused(const char *, const char *, const char *);

static void
refused(const char *pw, const char *user, const char *why)
{
	const char	*got;

	got = admin_password_problem(pw, user);
	cr_assert_not_null(got, "'%s' (user %s) passed", pw, user);
	cr_expect_not_null(strstr(got, why), "'%s': '%s', want '%s'", pw, got,
	    why);
}

Test(password, length)
{
	refused("", "alice", "at least 10");
	refused("abcdefgh9", "alice", "at least 10");
	cr_expect_null(admin_password_problem("abcdefgh9x", "alice"));
}

Test(password, common_in_any_case)
{
	refused("qwertyuiop", "alice", "too common");
	refused("QwErTyUiOp", "alice", "too common");
	refused("password123", "alice", "too common");
	refused("1q2w3e4r5t", "alice", "too common");
	cr_expect_null(admin_password_problem("qwertyuiopx", "alice"));
}

Test(password, every_common_entry_is_refused)
{
	size_t		i;

	/* Each entry long enough to reach the list (else it is dead). */
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		cr_expect_geq(strlen(common[i]), ADMIN_PASSWORD_MIN, "%s",
		    common[i]);
		cr_expect_not_null(admin_password_problem(common[i], "x"),
		    "%s", common[i]);
	}
}

Test(password, all_digits)
{
	refused("31415926535897", "alice", "all digits");
	cr_expect_null(admin_password_problem("3141592653589x", "alice"));
}

Test(password, similar_to_username)
{
	refused("alice-in-wonderland", "Alice", "similar");
	refused("xxALICExxxx", "alice", "similar");
	refused("wonderland", "alice-in-wonderland", "similar");
	refused("alice-in-wonderland", "alice-in-wonderland", "similar");
	cr_expect_null(admin_password_problem("correct horse battery",
	    "alice"));
	cr_expect_null(admin_password_problem("correct horse battery", NULL));
	cr_expect_null(admin_password_problem("correct horse battery", ""));
}
