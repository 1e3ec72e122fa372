/*
 * Unit tests for src/core/envfile.c: the .env reader.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/envfile.h"
#include "core/settings.h"

#include "unit_env.h"

TestSuite(envfile, .init = unit_env_setup, .fini = unit_env_teardown);

Test(envfile, envfile_parsing)
{
	char	*path, err[256];

	path = unit_write_file("env",
	    "# a comment\n"
	    "\n"
	    "   # an indented comment\n"
	    "PLAIN=value\n"
	    "export EXPORTED=yes\n"
	    "DQ=\"double quoted\"\n"
	    "SQ='single # quoted'\n"
	    "  SPACED  =  spaced value  \n"
	    "EQUALS=a=b=c\n"
	    "EMPTY=\n"
	    "HALFQUOTE=\"open\n"
	    "CRLF=dos\r\n");
	cr_assert_eq(envfile_read(path, err, sizeof(err)), 0, "%s",
	    err);
	cr_expect_str_eq(getenv("PLAIN"), "value");
	cr_expect_str_eq(getenv("EXPORTED"), "yes");
	cr_expect_null(getenv("export EXPORTED"));
	cr_expect_str_eq(getenv("DQ"), "double quoted");
	cr_expect_str_eq(getenv("SQ"), "single # quoted");
	cr_expect_str_eq(getenv("SPACED"), "spaced value");
	cr_expect_str_eq(getenv("EQUALS"), "a=b=c");
	cr_expect_str_eq(getenv("EMPTY"), "");
	cr_expect_str_eq(getenv("HALFQUOTE"), "\"open");
	cr_expect_str_eq(getenv("CRLF"), "dos");
	cr_expect_null(getenv("# a comment"));
	free(path);
}

Test(envfile, envfile_env_wins)
{
	char	*path, err[256];

	setenv("JWT_ISSUER", "from-env", 1);
	path = unit_write_file("env", "JWT_ISSUER=from-file\n"
	    "JWT_AUDIENCE=aud-from-file\n");
	cr_assert_eq(envfile_read(path, err, sizeof(err)), 0);
	cr_expect_str_eq(getenv("JWT_ISSUER"), "from-env");
	cr_expect_str_eq(getenv("JWT_AUDIENCE"), "aud-from-file");
	free(path);
}

Test(envfile, envfile_malformed)
{
	char	*path, err[256];

	path = unit_write_file("env", "GOOD=1\n# fine\nthis line is wrong\n");
	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, ":3:") != NULL, "no line number: %s", err);
	cr_expect(strstr(err, "NAME=value") != NULL, "%s", err);
	free(path);
}

Test(envfile, envfile_missing_is_fine)
{
	struct settings	 s;
	char		*path, err[256];

	cr_assert(asprintf(&path, "%s/no-such.env", tmpdir) != -1);
	cr_expect_eq(envfile_read(path, err, sizeof(err)), 0);
	cr_expect_eq(settings_load(&s, path, err, sizeof(err)), 0, "%s", err);
	settings_free(&s);
	free(path);
}

Test(envfile, envfile_line_too_long)
{
	char	*text, *path, err[256];

	text = malloc(10000);
	(void)strcpy(text, "LONG=");
	memset(text + 5, 'x', 9000);
	(void)strcpy(text + 9005, "\n");
	path = unit_write_file("env", text);
	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "too long") != NULL, "%s", err);
	free(text);
	free(path);
}

/*
 * Found by the property tests/fuzz/fuzz_envfile.c checks: a NUL byte
 * early in a line longer than the line buffer hid the line's length, and
 * the rest of it was read as a line of its own, setting a variable no
 * line of the file names.
 */
Test(envfile, envfile_nul_byte_refused)
{
	FILE	*fp;
	char	*path, name[4300], err[256];

	cr_assert(asprintf(&path, "%s/env", tmpdir) != -1);
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert_eq(fwrite("A=1\0", 1, 4, fp), 4);
	memset(name, 'x', 4200);
	(void)strcpy(name + 4200, "EVIL");
	cr_assert(fprintf(fp, "%s=2\nB=3\n", name) > 0);
	cr_assert_eq(fclose(fp), 0);

	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "env:1: ") != NULL, "%s", err);
	cr_expect_null(getenv(name + 4200 - 100));
	cr_expect_null(getenv(name));
	cr_expect_null(getenv("B"));

	/* A short line with a NUL is refused too: its rest would be lost. */
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert_eq(fwrite("C=1\nD=2\0E=3\n", 1, 12, fp), 12);
	cr_assert_eq(fclose(fp), 0);
	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, ":2: NUL byte") != NULL, "%s", err);
	cr_expect_str_eq(getenv("C"), "1");
	cr_expect_null(getenv("D"));
	free(path);
}

Test(envfile, envfile_line_length_limit)
{
	char	*text, *path, err[256];

	/* 4094 bytes and the newline: the longest line. */
	text = malloc(10000);
	(void)strcpy(text, "LONG=");
	memset(text + 5, 'x', 4089);
	(void)strcpy(text + 4094, "\nNEXT=1\n");
	path = unit_write_file("env", text);
	cr_expect_eq(envfile_read(path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(strlen(getenv("LONG")), 4089);
	cr_expect_str_eq(getenv("NEXT"), "1");
	free(path);

	/* One more: too long, with or without its newline. */
	cr_assert_eq(clearenv(), 0);
	(void)strcpy(text + 4094, "x\n");
	path = unit_write_file("env", text);
	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, ":1: line too long") != NULL, "%s", err);
	free(path);
	text[4095] = '\0';
	path = unit_write_file("env", text);
	err[0] = '\0';
	cr_expect_eq(envfile_read(path, err, sizeof(err)), -1);
	cr_expect(strstr(err, ":1: line too long") != NULL, "%s", err);
	free(path);
	free(text);
}
