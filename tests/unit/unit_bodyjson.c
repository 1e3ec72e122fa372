/*
 * src/core/bodyjson.c: a body's JSON text read as Python's json module
 * reads it (integers past 64 bits, U+0000, duplicate keys), and what the
 * field rules ask of it.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "core/bodyjson.h"

#define BIG		"100000000000000000000000000000"	/* 10**29 */

/* Issue 12.3: what jansson refuses, Python's json module reads. */
Test(load, big_integers_are_kept_in_order)
{
	json_error_t	 e;
	json_t		*v, *a;
	const char	*text;

	text = "{\"a\": [1, " BIG ", 2.5, {\"b\": -" BIG "}], "
	    "\"s\": \"" BIG "\", \"c\": 18446744073709551616, \"d\": 7, "
	    "\"max\": 9223372036854775807, \"min\": -9223372036854775808}";
	v = bodyjson_load(text, strlen(text), &e);
	cr_assert_not_null(v, "%s", e.text);
	a = json_object_get(v, "a");
	cr_expect(json_is_integer(json_array_get(a, 0)));
	cr_expect_eq(json_integer_value(json_array_get(a, 0)), 1);
	cr_expect(json_is_string(json_array_get(a, 1)));
	cr_expect_str_eq(json_string_value(json_array_get(a, 1)), "\xff" BIG);
	cr_expect(json_is_real(json_array_get(a, 2)));
	cr_expect_str_eq(json_string_value(json_object_get(
	    json_array_get(a, 3), "b")), "\xff-" BIG);
	/* A string of digits stays a string. */
	cr_expect_str_eq(json_string_value(json_object_get(v, "s")), BIG);
	cr_expect_str_eq(json_string_value(json_object_get(v, "c")),
	    "\xff" "18446744073709551616");
	cr_expect_eq(json_integer_value(json_object_get(v, "d")), 7);
	cr_expect(json_is_integer(json_object_get(v, "max")));
	cr_expect(json_is_integer(json_object_get(v, "min")));
	json_decref(v);
}

Test(load, nul_in_strings)
{
	json_error_t	 e;
	json_t		*v;
	const char	*text;

	text = "{\"a\": \"x\\u0000y\"}";
	v = bodyjson_load(text, strlen(text), &e);
	cr_assert_not_null(v, "%s", e.text);
	cr_expect_eq(json_string_length(json_object_get(v, "a")), 3);
	json_decref(v);
}

/* Malformed JSON stays a parse error, big integers or not. */
Test(load, malformed_stays_an_error)
{
	static const char *const bad[] = {
		"{\"a\": " BIG,
		"{\"a\": " BIG ",}",
		"{\"a\": " BIG " 5}",
		"{\"a\": 0" BIG "}",
		"{\"a\": --" BIG "}",
		"{\"a\": " BIG "-1}",
		"{\"a\": " BIG ", \"a\": 1}",
		"{\"a\": " BIG ", \"b\": 1e400}",
		"{\"a\": " BIG ", \"b\": tru}",
		"{\"a\": " BIG ", \"b\": \"x}",
		"{\"a\\u0000\": 1}",
		"[" BIG "]]",
		"{\"a\": 1",
		"",
		NULL };
	json_error_t	 e;
	json_t		*v;
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		v = bodyjson_load(bad[i], strlen(bad[i]), &e);
		cr_expect_null(v, "accepted: %s", bad[i]);
		json_decref(v);
	}
}

Test(load, error_position_is_the_texts)
{
	json_error_t	 e;
	const char	*text;

	text = "{\"a\": " BIG ",}";
	cr_assert_null(bodyjson_load(text, strlen(text), &e));
	cr_expect_eq(e.position, (int)strlen(text));
}

/* What is inside, and the text written back with its big integers. */
Test(tree, flags_and_text)
{
	json_error_t	 e;
	json_t		*v;
	char		*t;
	const char	*text;

	text = "{\"a\":[1,{\"b\":" BIG "}],\"s\":\"x\"}";
	cr_assert_not_null(v = bodyjson_load(text, strlen(text), &e));
	cr_expect_eq(bodyjson_tree(v), BODYJSON_BIGINT);
	cr_expect_str_eq(bodyjson_bigint(json_object_get(json_array_get(
	    json_object_get(v, "a"), 1), "b")), BIG);
	cr_expect_null(bodyjson_bigint(json_object_get(v, "s")));
	cr_assert_not_null(t = bodyjson_text(v));
	cr_expect_str_eq(t, text);
	free(t);
	json_decref(v);

	text = "{\"a\":{\"b\":\"x\\u0000\"}}";
	cr_assert_not_null(v = bodyjson_load(text, strlen(text), &e));
	cr_expect_eq(bodyjson_tree(v), BODYJSON_NUL);
	cr_expect(bodyjson_has_nul(json_object_get(json_object_get(v, "a"),
	    "b")));
	json_decref(v);
}
