/*
 * Unit tests for src/core/fields.c: DRF-style body validation.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "core/bodyjson.h"
#include "core/fields.h"

#define MSG_REQUIRED	"This field is required."
#define MSG_NULL	"This field may not be null."
#define MSG_BLANK	"This field may not be blank."
#define MSG_STRING	"Not a valid string."
#define MSG_DATE	"Date has wrong format. Use one of these formats " \
			"instead: YYYY-MM-DD."
#define MSG_INTEGER	"A valid integer is required."
#define MSG_MIN_ZERO	"Ensure this value is greater than or equal to 0."
#define MSG_OBJECT	"Value must be a JSON object."
#define MSG_MIME	"Enter a valid MIME type (type/subtype)."
#define MSG_MAX_INT64	"Ensure this value is less than or equal to " \
			"9223372036854775807."
#define MSG_NUL		"Null characters are not allowed."
#define BIG		"100000000000000000000000000000"	/* 10**29 */

static const char *const statuses[] = {
	"active", "completed", "archived", NULL
};

/* A project-and-document-like rule table. */
static const struct field_rule rules[] = {
	{ "name",	FIELD_STRING,	FIELD_REQUIRED,		5,	NULL },
	{ "description", FIELD_STRING,	FIELD_ALLOW_BLANK,	10,	NULL },
	{ "status",	FIELD_CHOICE,	0,			0, statuses },
	{ "due_date",	FIELD_DATE,	FIELD_NULLABLE,		0,	NULL },
	{ "project",	FIELD_PK,	FIELD_NULLABLE,		0,	NULL },
	{ "file_size",	FIELD_UINT64,	FIELD_REQUIRED,		0,	NULL },
	{ "metadata",	FIELD_OBJECT,	0,			16,	NULL },
	{ "content_type", FIELD_MIME,	0,			20,	NULL },
	{ "password",	FIELD_STRING,	FIELD_NO_TRIM,		8,	NULL },
};

#define NRULES		(sizeof(rules) / sizeof(rules[0]))
#define R_NAME		0
#define R_DESCRIPTION	1
#define R_STATUS	2
#define R_DUE_DATE	3
#define R_PROJECT	4
#define R_FILE_SIZE	5
#define R_METADATA	6
#define R_CONTENT_TYPE	7
#define R_PASSWORD	8

/* What validating one field gave. */
struct one {
	int	 rc;
	int	 present;
	int	 is_null;
	char	*text;		/* value text, or NULL */
	char	*msg;		/* the field's first message, or NULL */
	size_t	 nmsg;		/* how many messages the field got */
	size_t	 nerr;		/* how many fields have errors */
};

static json_t	*parse(const char *);
static void	 one_free(struct one *);
static void	 check(size_t, const char *, struct one *);
static void	 expect_ok(size_t, const char *, const char *);
static void	 expect_msg(size_t, const char *, const char *);
static const char *err_first(json_t *, const char *);
static json_t	*messages(const struct field_rule *, const char *);
static void	 expect_msgs(size_t, const char *, const char *,
		    const char *, const char *);

static json_t *
parse(const char *text)
{
	json_t		*v;
	json_error_t	 e;

	/* The server's own reader: U+0000 and big integers included. */
	v = bodyjson_load(text, strlen(text), &e);
	cr_assert_not_null(v, "bad test JSON %s: %s", text, e.text);

	return (v);
}

static void
one_free(struct one *o)
{
	free(o->text);
	free(o->msg);
	memset(o, 0, sizeof(*o));
}

/*
 * Validate {rules[i].name: value} against rule i alone (full mode, so a
 * required field is given), and record what happened to it.
 */
static void
check(size_t i, const char *value, struct one *o)
{
	struct field_result	 res;
	json_t			*body, *list;
	const char		*m;

	memset(o, 0, sizeof(*o));
	body = json_object();
	json_object_set_new(body, rules[i].name, parse(value));

	o->rc = fields_validate(body, &rules[i], 1, 0, &res);
	o->present = res.values[0].present;
	o->is_null = res.values[0].is_null;
	if (res.values[0].text != NULL)
		o->text = strdup(res.values[0].text);
	if (res.errors != NULL) {
		o->nerr = json_object_size(res.errors);
		list = json_object_get(res.errors, rules[i].name);
		o->nmsg = json_array_size(list);
		if ((m = json_string_value(json_array_get(list, 0))) != NULL)
			o->msg = strdup(m);
	}
	cr_expect_eq(o->rc == 0, res.errors == NULL,
	    "return value and errors disagree for %s", value);

	fields_free(&res);
	json_decref(body);
}

static void
expect_ok(size_t i, const char *value, const char *want)
{
	struct one	o;

	check(i, value, &o);
	cr_expect_eq(o.rc, 0, "%s=%s: refused with '%s'", rules[i].name,
	    value, o.msg != NULL ? o.msg : "");
	cr_expect(o.present, "%s=%s: not present", rules[i].name, value);
	if (o.rc == 0 && want != NULL) {
		cr_expect_not_null(o.text, "%s=%s: no text", rules[i].name,
		    value);
		if (o.text != NULL)
			cr_expect_str_eq(o.text, want, "%s=%s",
			    rules[i].name, value);
	}
	one_free(&o);
}

static void
expect_msg(size_t i, const char *value, const char *msg)
{
	struct one	o;

	check(i, value, &o);
	cr_expect_eq(o.rc, -1, "%s=%s: accepted as '%s'", rules[i].name,
	    value, o.text != NULL ? o.text : "(null)");
	cr_expect_eq(o.nerr, 1, "%s=%s", rules[i].name, value);
	cr_expect_eq(o.nmsg, 1, "%s=%s: %zu messages", rules[i].name, value,
	    o.nmsg);
	if (o.msg != NULL)
		cr_expect_str_eq(o.msg, msg, "%s=%s", rules[i].name, value);
	else
		cr_expect_fail("%s=%s: no message for the field",
		    rules[i].name, value);
	one_free(&o);
}

/* Every message of rule r for {name: value}, as a JSON array, or NULL. */
static json_t *
messages(const struct field_rule *r, const char *value)
{
	struct field_result	 res;
	json_t			*body, *list;

	body = json_object();
	json_object_set_new(body, r->name, parse(value));
	(void)fields_validate(body, r, 1, 0, &res);
	list = json_incref(json_object_get(res.errors, r->name));
	fields_free(&res);
	json_decref(body);

	return (list);
}

/* Rule i refuses value with exactly these messages (NULL ends). */
static void
expect_msgs(size_t i, const char *value, const char *m1, const char *m2,
    const char *m3)
{
	const char	*want[3] = { m1, m2, m3 };
	json_t		*list;
	size_t		 n, k;

	for (n = 0; n < 3 && want[n] != NULL; n++)
		;
	list = messages(&rules[i], value);
	cr_assert_not_null(list, "%s=%s: accepted", rules[i].name, value);
	cr_expect_eq(json_array_size(list), n, "%s=%s: %zu messages",
	    rules[i].name, value, json_array_size(list));
	for (k = 0; k < n && k < json_array_size(list); k++)
		cr_expect_str_eq(json_string_value(json_array_get(list, k)),
		    want[k], "%s=%s #%zu", rules[i].name, value, k);
	json_decref(list);
}

static const char *
err_first(json_t *errors, const char *field)
{
	return (json_string_value(json_array_get(json_object_get(errors,
	    field), 0)));
}

Test(required, missing_in_full_mode)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"file_size\": 1}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
	cr_assert_not_null(res.errors);
	cr_expect_eq(json_object_size(res.errors), 1);
	cr_expect_str_eq(err_first(res.errors, "name"), MSG_REQUIRED);
	cr_expect_eq(json_array_size(json_object_get(res.errors, "name")), 1);
	cr_expect_eq(res.values[R_NAME].present, 0);
	cr_expect_null(res.values[R_NAME].text);
	fields_free(&res);
	json_decref(body);
}

Test(required, every_missing_field_reported)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
	cr_expect_eq(json_object_size(res.errors), 2);
	cr_expect_str_eq(err_first(res.errors, "name"), MSG_REQUIRED);
	cr_expect_str_eq(err_first(res.errors, "file_size"), MSG_REQUIRED);
	cr_expect_eq(res.mask, 0);
	fields_free(&res);
	json_decref(body);
}

Test(required, optional_missing_is_absent)
{
	struct field_result	 res;
	json_t			*body;
	size_t			 i;

	body = parse("{\"name\": \"a\", \"file_size\": 0}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), 0);
	cr_expect_null(res.errors);
	for (i = 0; i < NRULES; i++) {
		if (i == R_NAME || i == R_FILE_SIZE)
			continue;
		cr_expect_eq(res.values[i].present, 0, "%s", rules[i].name);
		cr_expect_null(res.values[i].text, "%s", rules[i].name);
	}
	fields_free(&res);
	json_decref(body);
}

Test(required, unknown_fields_ignored)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": \"a\", \"file_size\": 1, \"id\": 99, "
	    "\"tenant\": \"x\", \"bogus\": [1]}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), 0);
	cr_expect_eq(res.mask, (1u << R_NAME) | (1u << R_FILE_SIZE));
	fields_free(&res);
	json_decref(body);
}

Test(null, refused_unless_nullable)
{
	struct one	o;

	expect_msg(R_NAME, "null", MSG_NULL);
	expect_msg(R_STATUS, "null", MSG_NULL);
	expect_msg(R_FILE_SIZE, "null", MSG_NULL);
	expect_msg(R_METADATA, "null", MSG_NULL);

	check(R_DUE_DATE, "null", &o);
	cr_expect_eq(o.rc, 0);
	cr_expect(o.present);
	cr_expect(o.is_null);
	cr_expect_null(o.text);
	one_free(&o);

	check(R_PROJECT, "null", &o);
	cr_expect_eq(o.rc, 0);
	cr_expect(o.is_null);
	cr_expect_null(o.text);
	one_free(&o);
}

Test(null, refused_in_partial_mode_too)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": null}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 1, &res), -1);
	cr_expect_str_eq(err_first(res.errors, "name"), MSG_NULL);
	cr_expect_eq(json_object_size(res.errors), 1);
	fields_free(&res);
	json_decref(body);
}

Test(string, blank)
{
	expect_msg(R_NAME, "\"\"", MSG_BLANK);
	expect_msg(R_NAME, "\"   \"", MSG_BLANK);
	expect_msg(R_NAME, "\" \\t\\n\\r \"", MSG_BLANK);
	expect_ok(R_DESCRIPTION, "\"\"", "");
	expect_ok(R_DESCRIPTION, "\"   \"", "");
}

Test(string, trimmed)
{
	expect_ok(R_NAME, "\"  ab \\t\\n\"", "ab");
	expect_ok(R_NAME, "\"a b\"", "a b");
	/* Trimmed before the length check: 5 characters left. */
	expect_ok(R_NAME, "\"   abcde   \"", "abcde");
}

Test(string, no_trim)
{
	expect_ok(R_PASSWORD, "\"  pw  \"", "  pw  ");
	/* DRF: with trim_whitespace=False, spaces are not blank. */
	expect_ok(R_PASSWORD, "\"   \"", "   ");
	expect_msg(R_PASSWORD, "\"\"", MSG_BLANK);
	expect_msg(R_PASSWORD, "\"  123456  \"",
	    "Ensure this field has no more than 8 characters.");
}

Test(string, max_length_in_characters)
{
	/* max_len 5 */
	expect_ok(R_NAME, "\"abcde\"", "abcde");
	expect_msg(R_NAME, "\"abcdef\"",
	    "Ensure this field has no more than 5 characters.");
	/* 2-byte UTF-8: 5 characters, 6 bytes. */
	expect_ok(R_NAME, "\"h\xc3\xa9llo\"", "h\xc3\xa9llo");
	expect_msg(R_NAME, "\"h\xc3\xa9lloo\"",
	    "Ensure this field has no more than 5 characters.");
	/* 3-byte UTF-8: 5 characters, 15 bytes. */
	expect_ok(R_NAME, "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97"
	    "\xa5\xe6\x9c\xac\"", NULL);
	/* 4-byte UTF-8 (emoji): 5 characters, 20 bytes; then 6. */
	expect_ok(R_NAME, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
	    "\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"", NULL);
	expect_msg(R_NAME, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
	    "\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"",
	    "Ensure this field has no more than 5 characters.");
	/* A JSON escape is one character. */
	expect_ok(R_NAME, "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"", NULL);
	/* description: max_len 10 */
	expect_msg(R_DESCRIPTION, "\"01234567890\"",
	    "Ensure this field has no more than 10 characters.");
}

Test(string, utf8_len)
{
	cr_expect_eq(fields_utf8_len(""), 0);
	cr_expect_eq(fields_utf8_len("abc"), 3);
	cr_expect_eq(fields_utf8_len("\xc3\xa9"), 1);
	cr_expect_eq(fields_utf8_len("\xe6\x97\xa5\xe6\x9c\xac"), 2);
	cr_expect_eq(fields_utf8_len("\xf0\x9f\x98\x80!"), 2);
	cr_expect_eq(fields_utf8_len("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"),
	    4);
}

Test(string, types)
{
	expect_msg(R_NAME, "true", MSG_STRING);
	expect_msg(R_NAME, "false", MSG_STRING);
	expect_msg(R_NAME, "[\"a\"]", MSG_STRING);
	expect_msg(R_NAME, "{\"a\": 1}", MSG_STRING);
	/* DRF's CharField takes numbers as their text. */
	expect_ok(R_NAME, "42", "42");
	expect_ok(R_NAME, "-7", "-7");
	expect_ok(R_NAME, "1.5", "1.5");
}

/* DRF stores str(float): the shortest text that reads back the same. */
Test(string, float_text_like_drf)
{
	expect_ok(R_DESCRIPTION, "0.1", "0.1");
	expect_ok(R_DESCRIPTION, "3.0", "3.0");
}

Test(choice, values)
{
	expect_ok(R_STATUS, "\"active\"", "active");
	expect_ok(R_STATUS, "\"archived\"", "archived");
	expect_msg(R_STATUS, "\"bogus\"", "\"bogus\" is not a valid choice.");
	expect_msg(R_STATUS, "\"Active\"", "\"Active\" is not a valid choice.");
	expect_msg(R_STATUS, "\"activ\"", "\"activ\" is not a valid choice.");
	expect_msg(R_STATUS, "\"actives\"",
	    "\"actives\" is not a valid choice.");
	expect_msg(R_STATUS, "[\"active\"]", MSG_STRING);
}

Test(choice, long_input_echo_is_cut)
{
	struct one	 o;
	char		 val[300], want[128];

	val[0] = '"';
	memset(val + 1, 'x', 200);
	val[201] = '"';
	val[202] = '\0';
	check(R_STATUS, val, &o);
	cr_expect_eq(o.rc, -1);
	cr_assert_not_null(o.msg);
	cr_expect_lt(strlen(o.msg), 100, "%zu", strlen(o.msg));
	(void)snprintf(want, sizeof(want), "\"%.64s\" is not a valid choice.",
	    val + 1);
	cr_expect_str_eq(o.msg, want);
	one_free(&o);
}

Test(date, through_validate)
{
	expect_ok(R_DUE_DATE, "\"2024-02-29\"", "2024-02-29");
	expect_ok(R_DUE_DATE, "\"2026-12-31\"", "2026-12-31");
	expect_msg(R_DUE_DATE, "\"2026-02-29\"", MSG_DATE);
	expect_msg(R_DUE_DATE, "\"2026-13-01\"", MSG_DATE);
	expect_msg(R_DUE_DATE, "\"2026-1-01\"", MSG_DATE);
	expect_msg(R_DUE_DATE, "\"2026-01-01T10:00:00Z\"", MSG_DATE);
	/* DRF's DateField: "" is a wrong format, not a blank CharField. */
	expect_msg(R_DUE_DATE, "\"\"", MSG_DATE);
	expect_msg(R_DUE_DATE, "true", MSG_STRING);
}

Test(date, valid)
{
	static const char *good[] = {
		"2024-02-29", "2000-02-29", "2026-01-01", "2026-12-31",
		"2026-04-30", "1970-01-01", "1969-12-31", "0001-01-01",
		"9999-12-31",
	};
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect(fields_date_valid(good[i]), "%s", good[i]);
}

Test(date, invalid)
{
	static const char *bad[] = {
		"2026-02-29", "1900-02-29", "2026-02-30", "2026-04-31",
		"2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
		"2026-1-01", "2026-01-1", "26-01-01", "2026/01/01",
		"20260101", "2026-01-01 ", " 2026-01-01", "2026-01-01T00:00",
		"0000-01-01", "2026-0a-01", "2026--1-01", "2026-+1-01",
		"abcd-ef-gh", "",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!fields_date_valid(bad[i]), "'%s'", bad[i]);
}

Test(pk, accepted)
{
	expect_ok(R_PROJECT, "7", "7");
	expect_ok(R_PROJECT, "\"7\"", "7");
	expect_ok(R_PROJECT, "9223372036854775807", "9223372036854775807");
	expect_ok(R_PROJECT, "\"9223372036854775807\"",
	    "9223372036854775807");
}

Test(pk, refused)
{
	expect_msg(R_PROJECT, "0", "Invalid pk \"0\" - object does not exist.");
	expect_msg(R_PROJECT, "-5",
	    "Invalid pk \"-5\" - object does not exist.");
	expect_msg(R_PROJECT, "true",
	    "Incorrect type. Expected pk value, received bool.");
	expect_msg(R_PROJECT, "false",
	    "Incorrect type. Expected pk value, received bool.");
	expect_msg(R_PROJECT, "1.5",
	    "Incorrect type. Expected pk value, received float.");
	expect_msg(R_PROJECT, "[1]",
	    "Incorrect type. Expected pk value, received list.");
	expect_msg(R_PROJECT, "{\"id\": 1}",
	    "Incorrect type. Expected pk value, received dict.");
	expect_msg(R_PROJECT, "\"abc\"",
	    "Incorrect type. Expected pk value, received str.");
	expect_msg(R_PROJECT, "\"9223372036854775808\"",
	    "Incorrect type. Expected pk value, received str.");
}

Test(uint64, accepted)
{
	expect_ok(R_FILE_SIZE, "0", "0");
	expect_ok(R_FILE_SIZE, "3", "3");
	expect_ok(R_FILE_SIZE, "3.0", "3");
	expect_ok(R_FILE_SIZE, "1e3", "1000");
	expect_ok(R_FILE_SIZE, "9223372036854775807", "9223372036854775807");
}

Test(uint64, refused)
{
	expect_msg(R_FILE_SIZE, "3.5", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "0.0001", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "1e300", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "true", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "\"abc\"", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "[1]", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "{}", MSG_INTEGER);
	expect_msg(R_FILE_SIZE, "-1", MSG_MIN_ZERO);
	expect_msg(R_FILE_SIZE, "-9223372036854775807", MSG_MIN_ZERO);
	expect_msg(R_FILE_SIZE, "-2.0", MSG_MIN_ZERO);
}

Test(object, values)
{
	/* max_len 16 bytes serialized */
	expect_ok(R_METADATA, "{}", "{}");
	expect_ok(R_METADATA, "{ \"a\" : 1 }", "{\"a\":1}");
	expect_ok(R_METADATA, "{\"abcdefghij\":1}", "{\"abcdefghij\":1}");
	expect_msg(R_METADATA, "{\"abcdefghijk\":1}",
	    "Ensure this value is at most 16 bytes when serialized.");
	expect_msg(R_METADATA, "[]", MSG_OBJECT);
	expect_msg(R_METADATA, "\"{}\"", MSG_OBJECT);
	expect_msg(R_METADATA, "1", MSG_OBJECT);
	expect_msg(R_METADATA, "true", MSG_OBJECT);
}

Test(object, nested_kept)
{
	expect_ok(R_METADATA, "{\"a\":{\"b\":[1]}}", "{\"a\":{\"b\":[1]}}");
}

Test(mime, through_validate)
{
	expect_ok(R_CONTENT_TYPE, "\"application/json\"", "application/json");
	expect_ok(R_CONTENT_TYPE, "\" text/plain \"", "text/plain");
	expect_msg(R_CONTENT_TYPE, "\"text\"", MSG_MIME);
	expect_msg(R_CONTENT_TYPE, "\"text/plain; charset=utf-8\"",
	    "Ensure this field has no more than 20 characters.");
	expect_msg(R_CONTENT_TYPE, "\"text/plain;q=1\"", MSG_MIME);
	expect_msg(R_CONTENT_TYPE, "\"\"", MSG_BLANK);
	expect_msg(R_CONTENT_TYPE, "7", MSG_MIME);
}

Test(mime, valid)
{
	static const char *good[] = {
		"application/json", "text/plain", "image/svg+xml",
		"application/vnd.api+json", "application/x-www-form-urlencoded",
		"video/mp4", "a/b", "application/vnd.ms-excel",
		"application/octet-stream", "x/y!#$&^_.+-",
	};
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect(fields_mime_valid(good[i]), "%s", good[i]);
}

Test(mime, invalid)
{
	static const char *bad[] = {
		"", "text", "/plain", "text/", "/", "text/plain/x",
		"text /plain", "text/ plain", "text/plain; charset=utf-8",
		"-text/plain", "text/.plain", "te\"xt/plain", "text/pl@in",
		"text\\/plain", "*/*", "text/*",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!fields_mime_valid(bad[i]), "'%s'", bad[i]);
}

Test(mime, token_length)
{
	char	buf[300];

	memset(buf, 'a', 127);
	(void)strcpy(buf + 127, "/json");
	cr_expect(fields_mime_valid(buf));
	memset(buf, 'a', 128);
	(void)strcpy(buf + 128, "/json");
	cr_expect(!fields_mime_valid(buf));
}

Test(partial, skips_required)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 1, &res), 0);
	cr_expect_null(res.errors);
	cr_expect_eq(res.mask, 0);
	fields_free(&res);
	json_decref(body);

	body = parse("{\"status\": \"completed\"}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 1, &res), 0);
	cr_expect_eq(res.mask, 1u << R_STATUS);
	cr_expect_str_eq(res.values[R_STATUS].text, "completed");
	cr_expect_eq(res.values[R_NAME].present, 0);
	fields_free(&res);
	json_decref(body);
}

Test(partial, given_fields_still_checked)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": \"\", \"status\": \"nope\"}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 1, &res), -1);
	cr_expect_eq(json_object_size(res.errors), 2);
	cr_expect_str_eq(err_first(res.errors, "name"), MSG_BLANK);
	cr_expect_str_eq(err_first(res.errors, "status"),
	    "\"nope\" is not a valid choice.");
	fields_free(&res);
	json_decref(body);
}

Test(mask, bits_follow_rule_index)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": \"ab\", \"due_date\": null, "
	    "\"file_size\": 12, \"password\": \" x \"}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), 0);
	cr_expect_eq(res.mask, (1u << R_NAME) | (1u << R_DUE_DATE) |
	    (1u << R_FILE_SIZE) | (1u << R_PASSWORD));
	cr_expect_str_eq(res.values[R_NAME].text, "ab");
	cr_expect(res.values[R_DUE_DATE].is_null);
	cr_expect_str_eq(res.values[R_FILE_SIZE].text, "12");
	cr_expect_str_eq(res.values[R_PASSWORD].text, " x ");
	fields_free(&res);
	json_decref(body);
}

/* A field given with a bad value is still "given". */
Test(mask, set_for_invalid_values)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": \"ab\", \"file_size\": -1, \"status\": 3}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
	cr_expect_eq(res.mask, (1u << R_NAME) | (1u << R_FILE_SIZE) |
	    (1u << R_STATUS));
	cr_expect_str_eq(err_first(res.errors, "file_size"), MSG_MIN_ZERO);
	cr_expect_str_eq(err_first(res.errors, "status"),
	    "\"3\" is not a valid choice.");
	cr_expect_null(json_object_get(res.errors, "name"));
	fields_free(&res);
	json_decref(body);
}

Test(body, not_an_object)
{
	static const struct {
		const char	*json;
		const char	*type;
	} cases[] = {
		{ "[]", "list" },
		{ "[{\"name\": \"a\"}]", "list" },
		{ "\"name\"", "str" },
		{ "5", "int" },
		{ "1.5", "float" },
		{ "true", "bool" },
		{ "null", "NoneType" },
	};
	struct field_result	 res;
	json_t			*body;
	char			 want[128];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = parse(cases[i].json);
		cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
		cr_assert_not_null(res.errors);
		cr_expect_eq(json_object_size(res.errors), 1);
		(void)snprintf(want, sizeof(want), "Invalid data. Expected a "
		    "dictionary, but got %s.", cases[i].type);
		cr_expect_str_eq(err_first(res.errors, "non_field_errors"),
		    want, "%s", cases[i].json);
		cr_expect_eq(res.mask, 0);
		fields_free(&res);
		json_decref(body);
	}
}

Test(body, all_errors_at_once)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": true, \"description\": \"0123456789x\", "
	    "\"due_date\": \"2026-02-29\", \"project\": false, "
	    "\"file_size\": 1.5, \"metadata\": [], "
	    "\"content_type\": \"x\"}");
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
	cr_expect_eq(json_object_size(res.errors), 7);
	cr_expect_str_eq(err_first(res.errors, "name"), MSG_STRING);
	cr_expect_str_eq(err_first(res.errors, "due_date"), MSG_DATE);
	cr_expect_str_eq(err_first(res.errors, "file_size"), MSG_INTEGER);
	cr_expect_str_eq(err_first(res.errors, "metadata"), MSG_OBJECT);
	cr_expect_str_eq(err_first(res.errors, "content_type"), MSG_MIME);
	fields_free(&res);
	json_decref(body);
}

Test(errors, add)
{
	json_t	*errors;

	errors = NULL;
	fields_error_add(&errors, "name", "first");
	cr_assert_not_null(errors);
	cr_assert(json_is_object(errors));
	fields_error_add(&errors, "name", "second");
	fields_error_add(&errors, "other", "third");
	cr_expect_eq(json_object_size(errors), 2);
	cr_expect_eq(json_array_size(json_object_get(errors, "name")), 2);
	cr_expect_str_eq(json_string_value(json_array_get(
	    json_object_get(errors, "name"), 1)), "second");
	cr_expect_str_eq(err_first(errors, "other"), "third");
	json_decref(errors);
}

Test(errors, free_resets)
{
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"name\": \"abc\"}");
	(void)fields_validate(body, rules, NRULES, 0, &res);
	fields_free(&res);
	cr_expect_null(res.errors);
	cr_expect_eq(res.mask, 0);
	cr_expect_null(res.values[R_NAME].text);
	cr_expect_eq(res.values[R_NAME].present, 0);
	/* A second free of a reset result is harmless. */
	fields_free(&res);
	json_decref(body);
}

Test(parse_id, valid)
{
	int64_t	v;

	cr_expect_eq(fields_parse_id("1", &v), 0);
	cr_expect_eq(v, 1);
	cr_expect_eq(fields_parse_id("42", &v), 0);
	cr_expect_eq(v, 42);
	cr_expect_eq(fields_parse_id("9223372036854775807", &v), 0);
	cr_expect_eq(v, INT64_MAX);
}

Test(parse_id, invalid)
{
	static const char *bad[] = {
		"0", "00", "-1", "+5", " 5", "5 ", "", "abc", "12abc",
		"0x10", "1.0", "1e3", "9223372036854775808",
		"99999999999999999999", "-9223372036854775808", "5\n",
	};
	int64_t	v;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		cr_expect_eq(fields_parse_id(bad[i], &v), -1, "'%s'", bad[i]);
		cr_expect_eq(v, 0, "'%s': out not cleared", bad[i]);
	}
	v = 12345;
	cr_expect_eq(fields_parse_id(NULL, &v), -1);
	cr_expect_eq(v, 0);
}

/* DRF's answers for these bodies (the Django reference, DRF 3.14). */
Test(big_integers, field_errors_like_drf)
{
	expect_msg(R_FILE_SIZE, "9223372036854775808", MSG_MAX_INT64);
	expect_msg(R_FILE_SIZE, BIG, MSG_MAX_INT64);
	expect_msg(R_FILE_SIZE, "-9223372036854775809", MSG_MIN_ZERO);
	expect_msg(R_FILE_SIZE, "\"9223372036854775808\"", MSG_MAX_INT64);
	expect_msg(R_FILE_SIZE, "\" 9223372036854775808.00 \"",
	    MSG_MAX_INT64);
	expect_msg(R_FILE_SIZE, "\"-9223372036854775809\"", MSG_MIN_ZERO);
	expect_msg(R_PROJECT, "9223372036854775808",
	    "Invalid pk \"9223372036854775808\" - object does not exist.");
	expect_msg(R_PROJECT, "1" BIG,
	    "Invalid pk \"1" BIG "\" - object does not exist.");
	expect_msg(R_PROJECT, "-1" BIG,
	    "Invalid pk \"-1" BIG "\" - object does not exist.");
	/* A CharField takes str(int), a ChoiceField compares it. */
	expect_msg(R_NAME, BIG, "Ensure this field has no more than 5 "
	    "characters.");
	expect_msg(R_STATUS, BIG, "\"" BIG "\" is not a valid choice.");
	expect_msg(R_DUE_DATE, BIG, MSG_DATE);
	expect_msg(R_CONTENT_TYPE, "9223372036854775808", MSG_MIME);
	expect_msg(R_METADATA, BIG, MSG_OBJECT);
}

Test(big_integers, body_of_one_is_an_int)
{
	struct field_result	 res;
	json_t			*body;

	body = parse(BIG);
	cr_expect_eq(fields_validate(body, rules, NRULES, 0, &res), -1);
	cr_expect_str_eq(err_first(res.errors, "non_field_errors"),
	    "Invalid data. Expected a dictionary, but got int.");
	fields_free(&res);
	json_decref(body);
}

/* JSON objects keep them exactly, as jsonb does. */
Test(big_integers, kept_in_objects)
{
	static const struct field_rule	meta = {
		"metadata", FIELD_OBJECT, 0, 1000, NULL
	};
	struct field_result	 res;
	json_t			*body;

	body = parse("{\"metadata\": {\"a\": {\"b\": [" BIG ", 1.5, \"x\", "
	    "null, true]}, \"c\": -" BIG ", \"d\": {}, \"e\": []}}");
	cr_assert_eq(fields_validate(body, &meta, 1, 0, &res), 0);
	cr_expect_str_eq(res.values[0].text, "{\"a\":{\"b\":[" BIG ",1.5,"
	    "\"x\",null,true]},\"c\":-" BIG ",\"d\":{},\"e\":[]}");
	fields_free(&res);
	json_decref(body);

	/* The size limit counts them as written. */
	expect_msg(R_METADATA, "{\"a\":" BIG "}",
	    "Ensure this value is at most 16 bytes when serialized.");
}

/* PostgreSQL cannot store U+0000: DRF's messages for each field kind. */
Test(nul, field_errors_like_drf)
{
	expect_msg(R_NAME, "\"a\\u0000b\"", MSG_NUL);
	expect_msg(R_NAME, "\"\\u0000\"", MSG_NUL);
	expect_msg(R_NAME, "\" \\u0000 \"", MSG_NUL);
	expect_msg(R_DESCRIPTION, "\"x\\u0000\"", MSG_NUL);
	expect_msg(R_PASSWORD, "\"pw\\u0000rest\"", MSG_NUL);
	expect_msg(R_DUE_DATE, "\"2026-01-01\\u0000\"", MSG_DATE);
	expect_msg(R_PROJECT, "\"5\\u0000\"",
	    "Incorrect type. Expected pk value, received str.");
	expect_msg(R_FILE_SIZE, "\"5\\u0000\"", MSG_INTEGER);
	expect_msg(R_METADATA, "{\"k\":\"\\u0000\"}", MSG_NUL);
	expect_msg(R_METADATA, "{\"a\":[\"\\u0000\"]}", MSG_NUL);
	/* Every validator speaks: length, then NUL, then the pattern. */
	expect_msgs(R_NAME, "\"abcdef\\u0000\"",
	    "Ensure this field has no more than 5 characters.", MSG_NUL,
	    NULL);
	expect_msgs(R_CONTENT_TYPE, "\"a/b\\u0000\"", MSG_NUL, MSG_MIME, NULL);
}

Test(nul, choice_echoes_it)
{
	json_t		*list, *want;
	const char	 msg[] = "\"active\0\" is not a valid choice.";

	list = messages(&rules[R_STATUS], "\"active\\u0000\"");
	cr_assert_not_null(list);
	cr_expect_eq(json_array_size(list), 1);
	want = json_stringn(msg, sizeof(msg) - 1);
	cr_expect(json_equal(json_array_get(list, 0), want), "%s",
	    json_string_value(json_array_get(list, 0)));
	json_decref(want);
	json_decref(list);
}

/* The echo is cut between characters, never inside one. */
Test(choice, long_echo_cut_between_characters)
{
	struct one	 o;
	char		 val[300];
	size_t		 i;

	val[0] = '"';
	val[1] = 'x';
	for (i = 0; i < 50; i++)
		memcpy(val + 2 + 2 * i, "\xc3\xa9", 2);	/* é */
	(void)strcpy(val + 102, "\"");
	check(R_STATUS, val, &o);
	cr_assert_not_null(o.msg);
	cr_expect(fields_utf8_valid(o.msg));
	cr_expect_eq(strlen(o.msg), 1 + 63 + strlen("\" is not a valid "
	    "choice."), "%s", o.msg);
	one_free(&o);
}
