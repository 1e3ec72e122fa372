/*
 * What the unit tests of settings, the .env reader and the host checks
 * share: each test starts from an environment that holds only a signing
 * key (Criterion runs each test in its own process) and writes its files
 * into a fresh temporary directory. Included by one test file each:
 * every function is static.
 */

#ifndef UNIT_ENV_H
#define UNIT_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/settings.h"

/*
 * The one variable set from the start: without a signing key settings
 * refuse to load (a test about the key unsets it).
 */
#define UNIT_SIGNING_KEY	"unit-test-signing-key-0123456789abcdef"

static char	tmpdir[64];

static void	unit_env_setup(void);
static void	unit_env_teardown(void);
static char	*unit_write_file(const char *, const char *)
		    __attribute__((unused));
static void	unit_load_ok(struct settings *) __attribute__((unused));
static void	unit_load_fails(const char *) __attribute__((unused));

static void
unit_env_setup(void)
{
	cr_assert_eq(clearenv(), 0);
	cr_assert_eq(setenv("JWT_SIGNING_KEY", UNIT_SIGNING_KEY, 1), 0);
	(void)strcpy(tmpdir, "/tmp/mtapi-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
unit_env_teardown(void)
{
	char	cmd[128];

	if (tmpdir[0] != '\0') {
		(void)snprintf(cmd, sizeof(cmd), "/bin/rm -rf '%s'", tmpdir);
		(void)system(cmd);
	}
}

/* A file under the test's directory; the caller frees the path. */
static char *
unit_write_file(const char *name, const char *text)
{
	FILE	*fp;
	char	*path;

	cr_assert(asprintf(&path, "%s/%s", tmpdir, name) != -1);
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert(fputs(text, fp) >= 0);
	cr_assert_eq(fclose(fp), 0);

	return (path);
}

static void
unit_load_ok(struct settings *s)
{
	char	err[256];

	err[0] = '\0';
	cr_assert_eq(settings_load(s, NULL, err, sizeof(err)), 0,
	    "settings_load: %s", err);
}

/* Loading fails, with an error naming what (if want is given). */
static void
unit_load_fails(const char *want)
{
	struct settings	s;
	char		err[256];

	err[0] = '\0';
	cr_expect_eq(settings_load(&s, NULL, err, sizeof(err)), -1,
	    "accepted, wanted an error about %s", want);
	cr_expect_neq(err[0], '\0', "no error text");
	if (want != NULL)
		cr_expect(strstr(err, want) != NULL, "'%s' lacks '%s'", err,
		    want);
}

#endif
