/*
 * Unit tests for src/core/log.c: the line format, sanitising and levels;
 * the JSON format (LOG_FORMAT=json): every line one object that parses.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "core/log.h"

#define T_FIXED		((time_t)1767270645)	/* 2026-01-01 12:30:45 */

static void	format_is(int, time_t, const char *, const char *,
		    const char *);
static size_t	count_char(const char *, char);
static char	*capture(int, int, const char *, const char *);
static json_t	*parse_line(const char *, size_t);
static void	assert_keys(json_t *, const char *const *);

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
	static char	out[16384];
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

/* ---- LOG_FORMAT=json ---- */

static const char *const msg_keys[] = { "time", "level", "tenant", "msg",
    NULL };
static const char *const access_keys[] = { "time", "level", "request_id",
    "tenant", "principal_kind", "principal_id", "method", "route", "path",
    "status", "latency_ms", NULL };

/* buf is exactly one line (len bytes, '\n' last) holding one object. */
static json_t *
parse_line(const char *buf, size_t len)
{
	json_t		*o;
	json_error_t	e;
	size_t		i;

	cr_assert_eq(strlen(buf), len, "length %zu, strlen %zu", len,
	    strlen(buf));
	cr_assert_gt(len, 1);
	cr_assert_eq(buf[len - 1], '\n', "%s", buf);
	/* Raw control characters never reach the output: all escaped. */
	for (i = 0; i < len - 1; i++)
		cr_assert_geq((unsigned char)buf[i], 0x20,
		    "raw byte 0x%02x at %zu: %s", (unsigned char)buf[i], i, buf);
	o = json_loadb(buf, len - 1, 0, &e);
	cr_assert_not_null(o, "not JSON (%s at %d): %s", e.text, e.position,
	    buf);
	cr_assert(json_is_object(o), "%s", buf);

	return (o);
}

/* o has exactly these keys, in this order. */
static void
assert_keys(json_t *o, const char *const *keys)
{
	const char	*k;
	json_t		*v;
	size_t		i;

	i = 0;
	json_object_foreach(o, k, v) {
		cr_assert_not_null(keys[i], "extra key %s", k);
		cr_expect_str_eq(k, keys[i]);
		i++;
	}
	cr_expect_null(keys[i], "missing key %s", keys[i]);
}

Test(json, message_line)
{
	char	buf[512];
	size_t	len;
	json_t	*o;

	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_WARNING, T_FIXED,
	    "acme", "usage log: dropped 3 records");
	o = parse_line(buf, len);
	assert_keys(o, msg_keys);
	cr_expect_str_eq(json_string_value(json_object_get(o, "time")),
	    "2026-01-01T12:30:45Z");
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "WARNING");
	cr_expect_str_eq(json_string_value(json_object_get(o, "tenant")),
	    "acme");
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")),
	    "usage log: dropped 3 records");
	json_decref(o);

	/* No tenant: null, not "-". Levels out of range: ERROR. */
	len = log_format_json(buf, sizeof(buf), 99, 0, NULL, "started");
	o = parse_line(buf, len);
	cr_expect(json_is_null(json_object_get(o, "tenant")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "ERROR");
	cr_expect_str_eq(json_string_value(json_object_get(o, "time")),
	    "1970-01-01T00:00:00Z");
	json_decref(o);
	len = log_format_json(buf, sizeof(buf), -1, 0, "", "m");
	o = parse_line(buf, len);
	cr_expect(json_is_null(json_object_get(o, "tenant")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "ERROR");
	json_decref(o);
}

Test(json, access_line)
{
	struct log_access	a = {
		.rid = "3f0c9a2e1b7d4c58", .tenant = "acme", .kind = "user",
		.subject = "42", .method = "GET",
		.route = "^/api/v1/projects/[0-9]+/$",
		.path = "/api/v1/projects/7/", .status = 200,
		.latency_ms = 12,
	};
	char			buf[1024];
	size_t			len;
	json_t			*o;

	len = log_format_access(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    &a);
	o = parse_line(buf, len);
	assert_keys(o, access_keys);
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "INFO");
	cr_expect_str_eq(json_string_value(json_object_get(o, "request_id")),
	    a.rid);
	cr_expect_str_eq(json_string_value(json_object_get(o, "tenant")),
	    "acme");
	cr_expect_str_eq(json_string_value(json_object_get(o,
	    "principal_kind")), "user");
	cr_expect_str_eq(json_string_value(json_object_get(o,
	    "principal_id")), "42");
	cr_expect_str_eq(json_string_value(json_object_get(o, "method")),
	    "GET");
	cr_expect_str_eq(json_string_value(json_object_get(o, "route")),
	    a.route);
	cr_expect_str_eq(json_string_value(json_object_get(o, "path")),
	    a.path);
	cr_expect_eq(json_integer_value(json_object_get(o, "status")), 200);
	cr_expect_eq(json_integer_value(json_object_get(o, "latency_ms")), 12);
	json_decref(o);
}

/* Before authentication there is no tenant nor principal: nulls. */
Test(json, access_line_anonymous)
{
	struct log_access	a = {
		.rid = "r1", .method = "POST", .path = "/api/v1/auth/token/",
		.status = 401, .latency_ms = 0,
	};
	char			buf[1024];
	size_t			len;
	json_t			*o;

	len = log_format_access(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    &a);
	o = parse_line(buf, len);
	assert_keys(o, access_keys);
	cr_expect(json_is_null(json_object_get(o, "tenant")));
	cr_expect(json_is_null(json_object_get(o, "principal_kind")));
	cr_expect(json_is_null(json_object_get(o, "principal_id")));
	cr_expect(json_is_null(json_object_get(o, "route")));
	cr_expect_eq(json_integer_value(json_object_get(o, "status")), 401);
	json_decref(o);
}

/* Control characters, quotes and backslashes: escaped, and round-trip. */
Test(json, control_characters_escaped)
{
	const char	*evil = "a\nb\rc\x1b[31md\x7f""e\tf\"g\\h\x01\x1f"
			    "\n{\"level\":\"ERROR\"}";
	struct log_access	a = {
		.rid = "r", .tenant = "ev\nil", .method = "GET",
		.path = "/x\r\n{\"status\":500}", .status = 404,
	};
	char		buf[2048];
	size_t		len;
	json_t		*o;

	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    "ev\nil\r", evil);
	o = parse_line(buf, len);
	cr_expect_eq(count_char(buf, '\n'), 1, "%s", buf);
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")), evil);
	cr_expect_str_eq(json_string_value(json_object_get(o, "tenant")),
	    "ev\nil\r");
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "INFO");
	json_decref(o);

	len = log_format_access(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    &a);
	o = parse_line(buf, len);
	cr_expect_str_eq(json_string_value(json_object_get(o, "path")),
	    a.path);
	cr_expect_eq(json_integer_value(json_object_get(o, "status")), 404);
	json_decref(o);
}

Test(json, utf8_kept_and_invalid_bytes_replaced)
{
	char	buf[512];
	size_t	len;
	json_t	*o;

	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "a",
	    "caf\xc3\xa9 \xe6\x97\xa5");
	o = parse_line(buf, len);
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")),
	    "caf\xc3\xa9 \xe6\x97\xa5");
	json_decref(o);

	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "a",
	    "bad \xff\xfe bytes \xc3(");
	o = parse_line(buf, len);
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")),
	    "bad ?? bytes ?(");
	json_decref(o);

	/* Cut inside a sequence (the 200-byte path limit): that one goes. */
	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED, "a",
	    "caf\xc3\xa9 \xe6\x97");
	o = parse_line(buf, len);
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")),
	    "caf\xc3\xa9 ");
	json_decref(o);
}

/* A path is cut at 200 bytes, as in the text line. */
Test(json, long_path_cut)
{
	struct log_access	a = { .rid = "r", .method = "GET", .status = 404 };
	char			path[1000], buf[4096];
	size_t			len;
	json_t			*o;

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	a.path = path;
	len = log_format_access(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    &a);
	o = parse_line(buf, len);
	cr_expect_eq(strlen(json_string_value(json_object_get(o, "path"))),
	    200);
	json_decref(o);
}

/* Too long for the buffer: still one line that parses, fields kept. */
Test(json, too_long_still_parses)
{
	char	msg[5000], buf[512];
	size_t	len;
	json_t	*o;

	memset(msg, '\n', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memset(buf, 'Z', sizeof(buf));
	len = log_format_json(buf, sizeof(buf), LOG_LEVEL_INFO, T_FIXED,
	    "acme", msg);
	o = parse_line(buf, len);
	assert_keys(o, msg_keys);
	cr_expect_str_eq(json_string_value(json_object_get(o, "tenant")),
	    "acme");
	json_decref(o);

	/* Not even the fields fit: an empty object, still one line. */
	len = log_format_json(buf, 16, LOG_LEVEL_INFO, T_FIXED, "acme", msg);
	cr_expect_lt(len, 16);
	o = parse_line(buf, len);
	json_decref(o);
}

/* log_line with LOG_FORMAT=json: the whole 2 KB message, escaped. */
Test(json, log_line_writes_json)
{
	char		msg[2000];
	const char	*got;
	json_t		*o;

	log_set_format(LOG_FORMAT_JSON);
	got = capture(LOG_LEVEL_INFO, LOG_LEVEL_WARNING, "acme", "hello");
	o = parse_line(got, strlen(got));
	assert_keys(o, msg_keys);
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")), "hello");
	cr_expect_str_eq(json_string_value(json_object_get(o, "level")),
	    "WARNING");
	json_decref(o);

	/* Every byte escaped six-fold still fits: nothing is cut. */
	memset(msg, '\x01', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	got = capture(LOG_LEVEL_INFO, LOG_LEVEL_INFO, NULL, msg);
	o = parse_line(got, strlen(got));
	cr_expect_str_eq(json_string_value(json_object_get(o, "msg")), msg);
	json_decref(o);

	cr_expect_str_eq(capture(LOG_LEVEL_WARNING, LOG_LEVEL_INFO, "a", "x"),
	    "");
	log_set_format(LOG_FORMAT_TEXT);
}

/* The text format is still the default; log_access keeps today's line. */
Test(json, access_text_line_unchanged)
{
	struct log_access	a = {
		.rid = "r9", .tenant = "acme", .kind = "user", .subject = "42",
		.method = "GET", .route = "^/x/$", .path = "/x/",
		.status = 200, .latency_ms = 7,
	};
	static char		out[1024];
	int			fds[2], saved;
	ssize_t			n;
	const char		*tail = " [tenant:acme] GET /x/ 200 7ms rid=r9\n";

	cr_assert_eq(pipe(fds), 0);
	saved = dup(STDOUT_FILENO);
	cr_assert_neq(dup2(fds[1], STDOUT_FILENO), -1);
	log_access(LOG_LEVEL_INFO, &a);
	cr_assert_neq(dup2(saved, STDOUT_FILENO), -1);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';

	cr_expect_eq(strncmp(out, "INFO ", 5), 0, "%s", out);
	cr_assert_gt(strlen(out), strlen(tail), "%s", out);
	cr_expect_str_eq(out + strlen(out) - strlen(tail), tail);
}
