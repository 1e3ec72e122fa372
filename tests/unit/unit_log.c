/*
 * Unit tests for src/core/log.c: the line format, sanitising and levels.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/log.h"

#define T_FIXED		((time_t)1767270645)	/* 2026-01-01 12:30:45 */

static void	format_is(int, time_t, const char *, const char *,
		    const char *);
static size_t	count_char(const char *, char);
static char	*capture(int, int, const char *, const char *);

static void
format_is(int level, time_t t, const char *tenant, const char *msg,
    const char *want)
{
	char	buf[512];
	size_t	len;

	memset(buf, 'Z', sizeof(buf));
	len = log_format(buf, sizeof(buf), level, t, tenant, msg);
	cr_expect_str_eq(buf, want);
	cr_expect_eq(len, strlen(want), "length %zu, want %zu", len,
	    strlen(want));
}

static size_t
count_char(const char *s, char c)
{
	size_t	n;

	for (n = 0; *s != '\0'; s++) {
		if (*s == c)
			n++;
	}

	return (n);
}

Test(format, exact_shape)
{
	format_is(LOG_LEVEL_INFO, T_FIXED, "acme", "GET /api/v1/projects/ 200",
	    "INFO 2026-01-01 12:30:45 [tenant:acme] "
	    "GET /api/v1/projects/ 200\n");
}

Test(format, levels)
{
	format_is(LOG_LEVEL_DEBUG, T_FIXED, "a", "m",
	    "DEBUG 2026-01-01 12:30:45 [tenant:a] m\n");
	format_is(LOG_LEVEL_INFO, T_FIXED, "a", "m",
	    "INFO 2026-01-01 12:30:45 [tenant:a] m\n");
	format_is(LOG_LEVEL_WARNING, T_FIXED, "a", "m",
	    "WARNING 2026-01-01 12:30:45 [tenant:a] m\n");
	format_is(LOG_LEVEL_ERROR, T_FIXED, "a", "m",
	    "ERROR 2026-01-01 12:30:45 [tenant:a] m\n");
	/* Out of range levels are reported as errors, not read past. */
	format_is(-1, T_FIXED, "a", "m",
	    "ERROR 2026-01-01 12:30:45 [tenant:a] m\n");
	format_is(4, T_FIXED, "a", "m",
	    "ERROR 2026-01-01 12:30:45 [tenant:a] m\n");
	format_is(1000, T_FIXED, "a", "m",
	    "ERROR 2026-01-01 12:30:45 [tenant:a] m\n");
}

Test(format, times_in_utc)
{
	format_is(LOG_LEVEL_INFO, 0, "a", "m",
	    "INFO 1970-01-01 00:00:00 [tenant:a] m\n");
	format_is(LOG_LEVEL_INFO, 1709251199, "a", "m",
	    "INFO 2024-02-29 23:59:59 [tenant:a] m\n");
	format_is(LOG_LEVEL_INFO, 4102444799, "a", "m",
	    "INFO 2099-12-31 23:59:59 [tenant:a] m\n");
}

Test(format, no_tenant)
{
	format_is(LOG_LEVEL_INFO, T_FIXED, NULL, "started",
	    "INFO 2026-01-01 12:30:45 [tenant:-] started\n");
	format_is(LOG_LEVEL_INFO, T_FIXED, "", "started",
	    "INFO 2026-01-01 12:30:45 [tenant:-] started\n");
}

Test(format, empty_message)
{
	format_is(LOG_LEVEL_INFO, T_FIXED, "a", "",
	    "INFO 2026-01-01 12:30:45 [tenant:a] \n");
}

Test(format, control_characters_replaced)
{
	format_is(LOG_LEVEL_INFO, T_FIXED, "a", "a\nb\rc\x1b[31md\x7f""e\tf",
	    "INFO 2026-01-01 12:30:45 [tenant:a] a?b?c?[31md?e?f\n");
	format_is(LOG_LEVEL_INFO, T_FIXED, "a", "\x01\x02\x1f",
	    "INFO 2026-01-01 12:30:45 [tenant:a] ???\n");
	/* UTF-8 text is no control character. */
	format_is(LOG_LEVEL_INFO, T_FIXED, "a", "caf\xc3\xa9 \xe6\x97\xa5",
	    "INFO 2026-01-01 12:30:45 [tenant:a] caf\xc3\xa9 \xe6\x97\xa5\n");
}

Test(format, tenant_sanitised)
{
	format_is(LOG_LEVEL_INFO, T_FIXED, "ev\nil\r", "m",
	    "INFO 2026-01-01 12:30:45 [tenant:ev?il?] m\n");
	format_is(LOG_LEVEL_INFO, T_FIXED, "\x1b[2J", "m",
	    "INFO 2026-01-01 12:30:45 [tenant:?[2J] m\n");
}

/* A client-chosen value cannot start a second, forged line. */
Test(format, cannot_forge_a_line)
{
	char	buf[512];
	size_t	len;

	len = log_format(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "acme",
	    "login failed for 'bob\nERROR 2026-01-01 12:30:45 [tenant:other] "
	    "forged\r\n'");
	cr_expect_eq(count_char(buf, '\n'), 1, "%s", buf);
	cr_expect_eq(count_char(buf, '\r'), 0, "%s", buf);
	cr_expect_eq(buf[len - 1], '\n');
	cr_expect_eq(strncmp(buf, "INFO 2026-01-01 12:30:45 [tenant:acme] ",
	    39), 0);
}

Test(format, long_message_truncated)
{
	char	msg[5000], buf[100];
	size_t	len;

	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memset(buf, 'Z', sizeof(buf));

	len = log_format(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "acme",
	    msg);
	cr_expect_eq(len, sizeof(buf) - 1);
	cr_expect_eq(strlen(buf), len);
	cr_expect_eq(buf[len - 1], '\n');
	cr_expect_eq(buf[len], '\0');
	cr_expect_eq(count_char(buf, '\n'), 1);
	cr_expect_eq(strncmp(buf, "INFO 2026-01-01 12:30:45 [tenant:acme] xxx",
	    42), 0, "%s", buf);
}

/* A message that just fits is not cut; one byte more is. */
Test(format, fits_exactly)
{
	const char	*prefix = "INFO 2026-01-01 12:30:45 [tenant:a] ";
	char		 msg[128], buf[64], want[256];
	size_t		 room, len;

	/* size - 1 bytes of text: prefix, message, newline. */
	room = sizeof(buf) - 1 - strlen(prefix) - 1;
	memset(msg, 'm', room);
	msg[room] = '\0';
	(void)snprintf(want, sizeof(want), "%s%s\n", prefix, msg);
	len = log_format(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "a", msg);
	cr_expect_str_eq(buf, want);
	cr_expect_eq(len, sizeof(buf) - 1);

	msg[room] = 'n';
	msg[room + 1] = '\0';
	len = log_format(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "a", msg);
	cr_expect_str_eq(buf, want);
	cr_expect_eq(len, sizeof(buf) - 1);
}

/* Even a buffer too small for the prefix gets one terminated line. */
Test(format, tiny_buffer)
{
	char	buf[16];
	size_t	len;

	memset(buf, 'Z', sizeof(buf));
	len = log_format(buf, sizeof(buf), LOG_LEVEL_WARNING, T_FIXED,
	    "a-rather-long-tenant-slug", "message");
	cr_expect_lt(len, sizeof(buf));
	cr_expect_eq(strlen(buf), len);
	cr_expect_eq(buf[len - 1], '\n');
	cr_expect_eq(count_char(buf, '\n'), 1);
}

Test(level, enabled)
{
	log_set_level(LOG_LEVEL_DEBUG);
	cr_expect(log_enabled(LOG_LEVEL_DEBUG));
	cr_expect(log_enabled(LOG_LEVEL_INFO));
	cr_expect(log_enabled(LOG_LEVEL_ERROR));

	log_set_level(LOG_LEVEL_INFO);
	cr_expect(!log_enabled(LOG_LEVEL_DEBUG));
	cr_expect(log_enabled(LOG_LEVEL_INFO));
	cr_expect(log_enabled(LOG_LEVEL_WARNING));
	cr_expect(log_enabled(LOG_LEVEL_ERROR));

	log_set_level(LOG_LEVEL_WARNING);
	cr_expect(!log_enabled(LOG_LEVEL_DEBUG));
	cr_expect(!log_enabled(LOG_LEVEL_INFO));
	cr_expect(log_enabled(LOG_LEVEL_WARNING));
	cr_expect(log_enabled(LOG_LEVEL_ERROR));

	log_set_level(LOG_LEVEL_ERROR);
	cr_expect(!log_enabled(LOG_LEVEL_WARNING));
	cr_expect(log_enabled(LOG_LEVEL_ERROR));
}

Test(level, default_is_info)
{
	cr_expect(!log_enabled(LOG_LEVEL_DEBUG));
	cr_expect(log_enabled(LOG_LEVEL_INFO));
}

/* What log_line writes to stdout at level, with the threshold set. */
static char *
capture(int threshold, int level, const char *tenant, const char *msg)
{
	static char	out[8192];
	int		fds[2], saved;
	ssize_t		n;

	cr_assert_eq(pipe(fds), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	cr_assert_neq(dup2(fds[1], STDOUT_FILENO), -1);

	log_set_level(threshold);
	log_line(level, tenant, "%s", msg);

	cr_assert_neq(dup2(saved, STDOUT_FILENO), -1);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';

	return (out);
}

Test(line, written_in_format)
{
	const char	*got;
	const char	*tail = " [tenant:acme] hello\n";

	got = capture(LOG_LEVEL_INFO, LOG_LEVEL_WARNING, "acme", "hello");
	cr_expect_eq(strncmp(got, "WARNING ", 8), 0, "%s", got);
	cr_assert_eq(strlen(got), strlen("WARNING 2026-01-01 12:30:45") +
	    strlen(tail), "%s", got);
	cr_expect_str_eq(got + strlen(got) - strlen(tail), tail);
	cr_expect_eq(got[12], '-');
	cr_expect_eq(got[15], '-');
	cr_expect_eq(got[18], ' ');
	cr_expect_eq(got[21], ':');
	cr_expect_eq(got[24], ':');
}

Test(line, below_threshold_not_written)
{
	cr_expect_str_eq(capture(LOG_LEVEL_WARNING, LOG_LEVEL_INFO, "a", "x"),
	    "");
	cr_expect_str_eq(capture(LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, "a", "x"),
	    "");
}

Test(line, sanitised_and_one_line)
{
	const char	*got;

	got = capture(LOG_LEVEL_DEBUG, LOG_LEVEL_ERROR, NULL,
	    "a\nINFO 2026-01-01 00:00:00 [tenant:x] forged");
	cr_expect_eq(count_char(got, '\n'), 1, "%s", got);
	cr_expect(strstr(got, " [tenant:-] a?INFO ") != NULL, "%s", got);
}

Test(line, long_message_one_line)
{
	char		 msg[6000];
	const char	*got;

	memset(msg, 'y', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	got = capture(LOG_LEVEL_INFO, LOG_LEVEL_INFO, "a", msg);
	cr_expect_eq(count_char(got, '\n'), 1);
	cr_expect_eq(got[strlen(got) - 1], '\n');
	cr_expect_gt(strlen(got), 1000);
	cr_expect_lt(strlen(got), sizeof(msg));
}
