/*
 * The password policy of create-user, after Django's four default
 * validators: a minimum length, not one of the commonest passwords, not
 * all digits, and not the username (nor holding it, nor held by it).
 */

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "admin.h"

/*
 * The commonest passwords long enough to pass the length rule, from the
 * top of the public breach lists Django's CommonPasswordValidator uses;
 * compared without regard to case, as Django does.
 */
static const char *common[] = {
	"1234567890", "0123456789", "9876543210", "1111111111",
	"0000000000", "1234512345", "1q2w3e4r5t", "1qaz2wsx3edc",
	"qwertyuiop", "qwerty1234", "qwerty12345", "asdfghjkl1",
	"1qazxsw23edc", "zaq12wsxcde3", "password12", "password123",
	"password1234", "passw0rd123", "p@ssw0rd123", "iloveyou12",
	"iloveyou123", "abcdefghij", "abcd123456", "abc1234567",
	"1234567890q", "1234qwerty", "letmein123", "welcome123",
	"changeme123", "administrator", "football12", "football123",
	"baseball123", "superman123", "princess12", "sunshine12",
	"trustno1trustno1", "qwertyuiop123", "michael123", "monkey1234",
};

static int	has_nocase(const char *, const char *);

const char *
admin_password_problem(const char *pw, const char *username)
{
	size_t		i;

	if (strlen(pw) < ADMIN_PASSWORD_MIN)
		return ("the password must be at least 10 characters");

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		if (!strcasecmp(pw, common[i]))
			return ("the password is too common");
	}

	for (i = 0; pw[i] != '\0' && isdigit((unsigned char)pw[i]); i++)
		;
	if (pw[i] == '\0')
		return ("the password must not be all digits");

	if (username != NULL && *username != '\0' &&
	    (has_nocase(pw, username) || has_nocase(username, pw)))
		return ("the password is too similar to the username");

	return (NULL);
}

/* Does s hold part, ignoring case? */
static int
has_nocase(const char *s, const char *part)
{
	size_t		n;

	n = strlen(part);
	for (; *s != '\0'; s++) {
		if (!strncasecmp(s, part, n))
			return (1);
	}

	return (0);
}
