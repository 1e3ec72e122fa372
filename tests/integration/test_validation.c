/*
 * Validation of request bodies, paths and query strings: 400 with DRF's
 * field messages, 404 for bad path ids, 413 and 415, and never a 5xx for
 * anything a client can send.
 *
 * Every test that may write does so in a tenant of its own.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define TASKS		"/api/v1/tasks/"
#define DOCUMENTS	"/api/v1/documents/"
#define MIB		(1024 * 1024)

#define MSG_REQUIRED	"This field is required."
#define MSG_BLANK	"This field may not be blank."
#define MSG_NULL	"This field may not be null."
#define MSG_DATE	"Date has wrong format. Use one of these formats " \
			"instead: YYYY-MM-DD."

static void	assert_error(struct h_resp *, const char *, const char *);
static void	assert_client_error(struct h_resp *, const char *);
static char	*nested(size_t);
static json_t	*doc_body(const char *);
static void	assert_same_answer(const char *, long long);
static void	no_rate_limit(struct h_tenant *);

/* h_assert_error() with the contract's code and detail. */
static void
assert_error(struct h_resp *r, const char *field, const char *msg)
{
	h_assert_error(r, field, msg);
	cr_assert_str_eq(h_str(r, "code"), "invalid", "%.300s", r->body);
	cr_assert_not_null(h_str(r, "detail"));
}

/* A 4xx with the JSON error body: never a 5xx, never a bare answer. */
static void
assert_client_error(struct h_resp *r, const char *what)
{
	cr_assert(r->status >= 400 && r->status < 500, "%s: %ld %.300s",
	    what, r->status, r->body);
	cr_assert(json_is_object(r->json), "%s: not JSON: %.300s", what,
	    r->body);
	cr_assert_not_null(h_str(r, "code"), "%s: %.300s", what, r->body);
	cr_assert_not_null(h_str(r, "detail"), "%s: %.300s", what, r->body);
}

/* {"name":"deep","metadata":{"a":{"a":...}}} with depth levels. */
static char *
nested(size_t depth)
{
	char		*open, *close, *out;

	open = h_repeat("{\"a\":", depth);
	close = h_repeat("}", depth);
	if (asprintf(&out, "{\"name\":\"deep\",\"file_path\":\"p\","
	    "\"file_size\":1,\"content_type\":\"a/b\",\"metadata\":%s1%s}",
	    open, close) == -1)
		out = NULL;
	cr_assert_not_null(out);
	free(open);
	free(close);

	return (out);
}

static json_t *
doc_body(const char *name)
{
	return (json_pack("{s:s, s:s, s:i, s:s}", "name", name, "file_path",
	    "dir/file", "file_size", 1, "content_type", "text/plain"));
}

/* The answer to a "project" that is not one of the caller's. */
static void
assert_same_answer(const char *body, long long id)
{
	json_t		*got, *want;

	got = json_loads(body, 0, NULL);
	cr_assert_not_null(got, "%s", body);
	want = json_pack("{s:s, s:s, s:{s:[s]}}", "detail", "Invalid input.",
	    "code", "invalid", "errors", "project", h_fmt("Invalid pk "
	    "\"%lld\" - object does not exist.", id));
	cr_assert(json_equal(got, want), "%s", body);
	json_decref(got);
	json_decref(want);
}

/* Many requests ahead: lift the tenant's rate limit. */
static void
no_rate_limit(struct h_tenant *t)
{
	h_admin_ok(h_fmt("set-rate-limit --tenant %s --per-minute 1000000",
	    t->slug), NULL, NULL);
}

Test(validation, required_fields)
{
	struct h_resp	*r;

	r = h_send_json("POST", PROJECTS, h_token(H_ACME), json_object());
	assert_error(r, "name", MSG_REQUIRED);
	h_free(r);

	r = h_send_json("POST", TASKS, h_token(H_ACME), json_object());
	assert_error(r, "project", MSG_REQUIRED);
	assert_error(r, "title", MSG_REQUIRED);
	h_free(r);

	r = h_send_json("POST", DOCUMENTS, h_token(H_ACME), json_object());
	assert_error(r, "name", MSG_REQUIRED);
	assert_error(r, "file_path", MSG_REQUIRED);
	assert_error(r, "file_size", MSG_REQUIRED);
	assert_error(r, "content_type", MSG_REQUIRED);
	cr_assert_null(h_first_error(r, "project"), "project is optional");
	cr_assert_null(h_first_error(r, "metadata"), "metadata is optional");
	h_free(r);

	/* An empty body reads as {} (DRF). */
	r = h_post(PROJECTS, h_token(H_ACME), "");
	assert_error(r, "name", MSG_REQUIRED);
	h_free(r);
}

Test(validation, blank_and_null)
{
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s}", "name",
	    ""));
	assert_error(r, "name", MSG_BLANK);
	h_free(r);

	/* Whitespace is trimmed first (DRF CharField). */
	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s}", "name",
	    " \t\n "));
	assert_error(r, "name", MSG_BLANK);
	h_free(r);

	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:n}", "name"));
	assert_error(r, "name", MSG_NULL);
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)pid, "title", "   "));
	assert_error(r, "title", MSG_BLANK);
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:n}",
	    "project", (json_int_t)pid, "title", "t", "description"));
	assert_error(r, "description", MSG_NULL);
	h_free(r);

	/* A blank description is fine. */
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "t", "description", ""));
	cr_assert_eq(r->status, 201, "%s", r->body);
	h_free(r);

	r = h_send_json("POST", DOCUMENTS, t.access,
	    json_pack("{s:s, s:s, s:i, s:n}",
	    "name", "n", "file_path", "p", "file_size", 1,
	    "content_type"));
	assert_error(r, "content_type", MSG_NULL);
	h_free(r);
}

Test(validation, strings_are_trimmed)
{
	struct h_tenant	t;
	json_t		*p;
	long long	id;

	h_new_tenant("val", &t);
	id = h_create(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    "  padded name \n", "description", "  text  "));
	p = h_get_json(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert_str_eq(json_string_value(json_object_get(p, "name")),
	    "padded name");
	cr_assert_str_eq(json_string_value(json_object_get(p, "description")),
	    "text");
	json_decref(p);
}

Test(validation, lengths_count_characters)
{
	static const char *const units[] = { "a", "é", "ж", "€", "😀", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	char		*s;
	long long	id, pid;
	size_t		i;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	for (i = 0; units[i] != NULL; i++) {
		s = h_repeat(units[i], 255);
		id = h_create(PROJECTS, t.access, json_pack("{s:s}", "name",
		    s));
		p = h_get_json(h_fmt(PROJECTS "%lld/", id), t.access);
		cr_assert_str_eq(json_string_value(json_object_get(p, "name")),
		    s, "%s x 255 did not come back", units[i]);
		json_decref(p);
		(void)h_create(TASKS, t.access, json_pack("{s:I, s:s}",
		    "project", (json_int_t)pid, "title", s));
		(void)h_create(DOCUMENTS, t.access, doc_body(s));
		free(s);

		s = h_repeat(units[i], 256);
		r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s}",
		    "name", s));
		assert_error(r, "name", "Ensure this field has no more than "
		    "255 characters.");
		h_free(r);
		r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
		    "project", (json_int_t)pid, "title", s));
		assert_error(r, "title", "Ensure this field has no more than "
		    "255 characters.");
		h_free(r);
		r = h_send_json("POST", DOCUMENTS, t.access, doc_body(s));
		assert_error(r, "name", "Ensure this field has no more than "
		    "255 characters.");
		h_free(r);
		r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
		    json_pack("{s:s}", "name", s));
		assert_error(r, "name", NULL);
		h_free(r);
		free(s);
	}

	/* description: at most 10,000 characters. */
	s = h_repeat("ж", 10000);
	id = h_create(PROJECTS, t.access, json_pack("{s:s, s:s}", "name", "d",
	    "description", s));
	p = h_get_json(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert_str_eq(json_string_value(json_object_get(p, "description")),
	    s);
	json_decref(p);
	free(s);
	s = h_repeat("x", 10001);
	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:s}",
	    "name", "d2", "description", s));
	assert_error(r, "description", "Ensure this field has no more than "
	    "10000 characters.");
	h_free(r);
	free(s);
}

Test(validation, choices)
{
	static const char *const bad_status[] = { "Active", "ACTIVE", "done",
	    "deleted", "0", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid;
	size_t		i;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	for (i = 0; bad_status[i] != NULL; i++) {
		r = h_send_json("POST", PROJECTS, t.access,
		    json_pack("{s:s, s:s}", "name", h_unique("c"), "status",
		    bad_status[i]));
		cr_assert_eq(r->status, 400, "status %s: %ld %s",
		    bad_status[i], r->status, r->body);
		cr_assert_not_null(h_first_error(r, "status"), "%s", r->body);
		h_free(r);
	}

	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:s}",
	    "name", "c", "status", "paused"));
	assert_error(r, "status", "\"paused\" is not a valid choice.");
	h_free(r);

	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:b}",
	    "name", "c", "status", 1));
	assert_error(r, "status", NULL);
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "t", "status", "active"));
	assert_error(r, "status", "\"active\" is not a valid choice.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "t", "priority", "urgent"));
	assert_error(r, "priority", "\"urgent\" is not a valid choice.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:[s]}",
	    "project", (json_int_t)pid, "title", "t", "priority", "low"));
	assert_error(r, "priority", NULL);
	h_free(r);
}

/* DRF's ChoiceField has no blank message: "" is just not a choice. */
Test(validation, an_empty_choice_is_not_a_valid_choice)
{
	struct h_resp	*r;

	struct h_tenant	t;

	h_new_tenant("val", &t);
	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:s}",
	    "name", "c", "status", ""));
	assert_error(r, "status", "\"\" is not a valid choice.");
	h_free(r);
}

/* DRF's ChoiceField does not trim: " active" is not "active". */
Test(validation, a_choice_is_not_trimmed)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("val", &t);
	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:s}",
	    "name", "c", "status", " active "));
	assert_error(r, "status", "\" active \" is not a valid choice.");
	h_free(r);
}

Test(validation, dates)
{
	static const char *const bad[] = { "2026-02-30", "2023-02-29",
	    "2026-13-01", "2026-00-10", "2026-01-32",
	    "26-01-01", "2026/01/01", "01-01-2026", "2026-01-01T00:00:00",
	    "tomorrow", "2026-01-0x", NULL };
	static const char *const good[] = { "2024-02-29", "2026-12-31",
	    "2000-01-01", "1999-06-15", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, id;
	size_t		i;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	for (i = 0; bad[i] != NULL; i++) {
		r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, "
		    "s:s}", "project", (json_int_t)pid, "title", "t",
		    "due_date", bad[i]));
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_str_eq(h_first_error(r, "due_date"), MSG_DATE, "%s",
		    bad[i]);
		h_free(r);
	}

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:i}",
	    "project", (json_int_t)pid, "title", "t", "due_date", 20260101));
	assert_error(r, "due_date", NULL);
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:b}",
	    "project", (json_int_t)pid, "title", "t", "due_date", 1));
	assert_error(r, "due_date", NULL);
	h_free(r);

	for (i = 0; good[i] != NULL; i++) {
		id = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
		    "project", (json_int_t)pid, "title", "t", "due_date",
		    good[i]));
		task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
		cr_assert_str_eq(json_string_value(json_object_get(task,
		    "due_date")), good[i]);
		json_decref(task);
	}
}

Test(validation, project_ids)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, id;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:s, s:s}",
	    "project", "abc", "title", "t"));
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received str.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:b, s:s}",
	    "project", 1, "title", "t"));
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received bool.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:[I], s:s}",
	    "project", (json_int_t)pid, "title", "t"));
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received list.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:{s:I}, s:s}",
	    "project", "id", (json_int_t)pid, "title", "t"));
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received dict.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:f, s:s}",
	    "project", 1.5, "title", "t"));
	assert_error(r, "project", NULL);
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:i, s:s}",
	    "project", 0, "title", "t"));
	assert_error(r, "project", "Invalid pk \"0\" - object does not exist.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:i, s:s}",
	    "project", -1, "title", "t"));
	assert_error(r, "project",
	    "Invalid pk \"-1\" - object does not exist.");
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)9223372036854775807LL, "title", "t"));
	assert_error(r, "project", "Invalid pk \"9223372036854775807\" - "
	    "object does not exist.");
	h_free(r);

	/* DRF looks a numeric string up as a pk too. */
	id = h_create(TASKS, t.access, json_pack("{s:s, s:s}", "project",
	    h_fmt("%lld", pid), "title", "by string"));
	task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	cr_assert_eq(json_integer_value(json_object_get(task, "project")),
	    pid);
	json_decref(task);

	/* Documents: the same rules, null allowed. */
	r = h_send_json("POST", DOCUMENTS, t.access,
	    json_pack("{s:s, s:s, s:i, s:s, s:s}",
	    "name", "n", "file_path", "p", "file_size", 1,
	    "content_type", "a/b", "project", "abc"));
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received str.");
	h_free(r);
}

Test(validation, integer_sizes)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d;
	long long	id;

	h_new_tenant("val", &t);

	/* DRF's IntegerField takes an integral float. */
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":1000.0,\"content_type\":\"a/b\"}");
	cr_assert_eq(r->status, 201, "%s", r->body);
	id = h_int(r, "id");
	h_free(r);
	d = h_get_json(h_fmt(DOCUMENTS "%lld/", id), t.access);
	cr_assert_eq(json_integer_value(json_object_get(d, "file_size")),
	    1000);
	json_decref(d);

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":1e30,\"content_type\":\"a/b\"}");
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":18446744073709551615,\"content_type\":\"a/b\"}");
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":-9223372036854775808,\"content_type\":\"a/b\"}");
	assert_error(r, "file_size",
	    "Ensure this value is greater than or equal to 0.");
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":[1],\"content_type\":\"a/b\"}");
	assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":0.5,\"content_type\":\"a/b\"}");
	assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);
}

Test(validation, mime_types)
{
	static const char *const bad[] = { "text", "text/", "/plain",
	    "text//plain", "text/plain/x", "text plain", "text/plain; x",
	    "*/*", "text/*", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*b;
	size_t		i;

	h_new_tenant("val", &t);
	for (i = 0; bad[i] != NULL; i++) {
		b = doc_body("m");
		json_object_set_new(b, "content_type", json_string(bad[i]));
		r = h_send_json("POST", DOCUMENTS, t.access, b);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_not_null(h_first_error(r, "content_type"), "%s",
		    r->body);
		h_free(r);
	}
	b = doc_body("m");
	json_object_set_new(b, "content_type", json_string("image/svg+xml"));
	(void)h_create(DOCUMENTS, t.access, b);
}

Test(validation, project_names_are_unique_per_tenant)
{
	struct h_tenant	a, b;
	struct h_resp	*r;
	long long	id;
	char		name[128];

	h_new_tenant("val", &a);
	h_new_tenant("val", &b);
	(void)snprintf(name, sizeof(name), "%s", h_unique("Same name"));

	id = h_create(PROJECTS, a.access, json_pack("{s:s}", "name", name));
	r = h_send_json("POST", PROJECTS, a.access, json_pack("{s:s, s:s}",
	    "name", name, "description", "again"));
	assert_error(r, "name", NULL);
	h_free(r);

	/* The same after trimming: the same name. */
	r = h_send_json("POST", PROJECTS, a.access, json_pack("{s:s}", "name",
	    h_fmt("  %s ", name)));
	assert_error(r, "name", NULL);
	h_free(r);

	/* Another tenant may use it. */
	(void)h_create(PROJECTS, b.access, json_pack("{s:s}", "name", name));

	/* Once deleted, the name is free again. */
	r = h_req("DELETE", h_fmt(PROJECTS "%lld/", id), a.access, NULL,
	    NULL);
	cr_assert_eq(r->status, 204);
	h_free(r);
	(void)h_create(PROJECTS, a.access, json_pack("{s:s}", "name", name));
}

/* DRF: a body that is JSON but not an object is a non-field error. */
Test(validation, a_json_list_is_a_non_field_error)
{
	struct h_resp	*r;

	r = h_post(PROJECTS, h_token(H_ACME), "[]");
	assert_error(r, "non_field_errors",
	    "Invalid data. Expected a dictionary, but got list.");
	h_free(r);

	r = h_req("PATCH", PROJECTS "1/", h_token(H_ACME), "[{\"name\":1}]",
	    NULL);
	assert_error(r, "non_field_errors", NULL);
	h_free(r);
}

Test(validation, a_json_scalar_is_a_non_field_error)
{
	static const char *const bodies[] = { "\"name\"", "42", "true",
	    "null", "1.5", NULL };
	static const char *const types[] = { "str", "int", "bool", NULL,
	    "float", NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; bodies[i] != NULL; i++) {
		r = h_post(TASKS, h_token(H_ACME), bodies[i]);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bodies[i],
		    r->status, r->body);
		cr_assert_not_null(json_object_get(json_object_get(r->json,
		    "errors"), "non_field_errors"), "%s: %s", bodies[i],
		    r->body);
		if (types[i] != NULL)
			cr_assert_str_eq(h_first_error(r, "non_field_errors"),
			    h_fmt("Invalid data. Expected a dictionary, but "
			    "got %s.", types[i]));
		h_free(r);
	}
}

Test(validation, malformed_json_is_a_parse_error)
{
	static const char *const bodies[] = { "{", "{\"name\":}",
	    "{'name':'x'}", "{\"name\":\"x\",}", "{\"name\":NaN}",
	    "{\"name\":\"x\"} trailing", "not json",
	    "{\"name\":\"unterminated}",
	    "\xff\xfe{}", "{\"name\":\"\xc3\x28\"}", NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; bodies[i] != NULL; i++) {
		r = h_post(PROJECTS, h_token(H_ACME), bodies[i]);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bodies[i],
		    r->status, r->body);
		cr_assert_str_eq(h_str(r, "code"), "parse_error", "%s",
		    r->body);
		cr_assert_null(json_object_get(r->json, "errors"));
		cr_assert(strstr(r->body, "/src/") == NULL &&
		    strstr(r->body, "SELECT") == NULL, "%s", r->body);
		h_free(r);
	}

	r = h_req("PUT", TASKS "1/", h_token(H_ACME), "{\"title\":", NULL);
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "parse_error");
	h_free(r);
}

Test(validation, content_type_must_be_json)
{
	static const char *const bad[] = { "Content-Type: text/plain",
	    "Content-Type: application/x-www-form-urlencoded",
	    "Content-Type: multipart/form-data; boundary=x",
	    "Content-Type: application/jsonp", "Content-Type: text/json",
	    "Content-Type:", NULL };
	static const char *const good[] = {
	    "Content-Type: application/json; charset=utf-8",
	    "Content-Type: Application/JSON", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*hdrs[2];
	size_t		i;

	h_new_tenant("val", &t);
	hdrs[1] = NULL;
	for (i = 0; bad[i] != NULL; i++) {
		hdrs[0] = bad[i];
		r = h_req("POST", PROJECTS, t.access, "{\"name\":\"x\"}", hdrs);
		cr_assert_eq(r->status, 415, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_str_eq(h_str(r, "code"), "unsupported_media_type");
		h_free(r);
		r = h_req("PATCH", PROJECTS "1/", t.access, "{\"name\":\"x\"}",
		    hdrs);
		cr_assert_eq(r->status, 415, "%s: %ld %s", bad[i], r->status,
		    r->body);
		h_free(r);
	}
	for (i = 0; good[i] != NULL; i++) {
		hdrs[0] = good[i];
		r = h_req("POST", PROJECTS, t.access,
		    h_fmt("{\"name\":\"ct %zu\"}", i), hdrs);
		cr_assert_eq(r->status, 201, "%s: %ld %s", good[i], r->status,
		    r->body);
		h_free(r);
	}

	/* Nothing of the refused bodies was stored. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 2, "%s", r->body);
	h_free(r);
}

Test(validation, body_size_limit_is_1_mib)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*body, *name;
	size_t		len;

	h_new_tenant("val", &t);

	/* Exactly 1 MiB: accepted (whitespace pads it). */
	name = (char *)h_unique("size");
	body = malloc(MIB + 2);
	cr_assert_not_null(body);
	len = (size_t)snprintf(body, MIB, "{\"name\":\"%s\"", name);
	memset(body + len, ' ', MIB - len - 1);
	body[MIB - 1] = '}';
	body[MIB] = '\0';
	r = h_post(PROJECTS, t.access, body);
	cr_assert_eq(r->status, 201, "%ld %.200s", r->status, r->body);
	h_free(r);

	/*
	 * One byte more: 413, Kore's own since its body limit is ours (no
	 * JSON body: README, Known limits).
	 */
	body[MIB - 1] = ' ';
	body[MIB] = '}';
	body[MIB + 1] = '\0';
	r = h_post(PROJECTS, t.access, body);
	cr_assert_eq(r->status, 413, "%ld %.200s", r->status, r->body);
	cr_assert_eq(r->len, 0, "%.200s", r->body);
	h_free(r);
	r = h_req("PUT", PROJECTS "1/", t.access, body, NULL);
	cr_assert_eq(r->status, 413, "%ld %.200s", r->status, r->body);
	h_free(r);
	free(body);

	body = h_repeat(" ", 2 * MIB);
	body[0] = '{';
	body[2 * MIB - 1] = '}';
	r = h_post(DOCUMENTS, t.access, body);
	cr_assert_eq(r->status, 413, "%ld %.200s", r->status, r->body);
	cr_assert_eq(r->len, 0, "%.200s", r->body);
	h_free(r);
	free(body);

	/* Nothing of the refused bodies was stored. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
}

Test(validation, read_only_fields_change_nothing)
{
	struct h_tenant	t, other;
	struct h_resp	*r;
	json_t		*p, *p2, *task, *task2, *d, *d2;
	long long	pid, tid, did;

	h_new_tenant("val", &t);
	h_new_tenant("val", &other);

	r = h_send_json("POST", PROJECTS, t.access, json_pack("{s:s, s:i, s:s, "
	    "s:s, s:s, s:i, s:s}", "name", "ro", "id", 1, "tenant", other.id,
	    "created_at", "2000-01-01T00:00:00.000000Z", "updated_at",
	    "2000-01-01T00:00:00.000000Z", "tasks_count", 99, "status",
	    "active"));
	cr_assert_eq(r->status, 201, "%s", r->body);
	pid = h_int(r, "id");
	cr_assert_neq(pid, 1);
	cr_assert_eq(h_int(r, "tasks_count"), 0);
	cr_assert_str_neq(h_str(r, "created_at"),
	    "2000-01-01T00:00:00.000000Z");
	cr_assert_str_neq(h_str(r, "updated_at"),
	    "2000-01-01T00:00:00.000000Z");
	h_free(r);

	/* Still in the caller's tenant, not the one named in the body. */
	p = h_get_json(h_fmt(PROJECTS "%lld/", pid), t.access);
	r = h_get(h_fmt(PROJECTS "%lld/", pid), other.access);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	r = h_get(PROJECTS, other.access);
	cr_assert_eq(h_int(r, "count"), 0);
	h_free(r);

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", pid), t.access,
	    json_pack("{s:i, s:s, s:s, s:i}", "id", 424242, "tenant",
	    other.id, "created_at", "1999-01-01T00:00:00.000000Z",
	    "tasks_count", 7));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "id"), pid);
	h_free(r);
	p2 = h_get_json(h_fmt(PROJECTS "%lld/", pid), t.access);
	cr_assert_str_eq(json_string_value(json_object_get(p2, "created_at")),
	    json_string_value(json_object_get(p, "created_at")));
	cr_assert_eq(json_integer_value(json_object_get(p2, "tasks_count")),
	    0);
	cr_assert_str_eq(json_string_value(json_object_get(p2, "name")), "ro");
	json_decref(p2);

	/* Tasks: completed_at and project_name are the server's. */
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s, "
	    "s:s, s:s, s:i}", "project", (json_int_t)pid, "title", "ro task",
	    "completed_at", "2000-01-01T00:00:00.000000Z", "project_name",
	    "Forged", "tenant", other.id, "id", 5));
	cr_assert_eq(r->status, 201, "%s", r->body);
	tid = h_int(r, "id");
	cr_assert(json_is_null(json_object_get(r->json, "completed_at")),
	    "%s", r->body);
	cr_assert_str_eq(h_str(r, "project_name"), "ro");
	h_free(r);
	task = h_get_json(h_fmt(TASKS "%lld/", tid), t.access);
	r = h_send_json("PUT", h_fmt(TASKS "%lld/", tid), t.access,
	    json_pack("{s:I, s:s, s:s, s:s, s:s}", "project", (json_int_t)pid,
	    "title", "ro task", "completed_at", "2000-01-01T00:00:00.000000Z",
	    "project_name", "Forged", "updated_at",
	    "2000-01-01T00:00:00.000000Z"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(json_object_get(r->json, "completed_at")));
	cr_assert_str_eq(h_str(r, "project_name"), "ro");
	cr_assert_str_neq(h_str(r, "updated_at"),
	    "2000-01-01T00:00:00.000000Z");
	h_free(r);
	task2 = h_get_json(h_fmt(TASKS "%lld/", tid), t.access);
	cr_assert_str_eq(json_string_value(json_object_get(task2,
	    "created_at")), json_string_value(json_object_get(task,
	    "created_at")));
	cr_assert(json_is_null(json_object_get(task2, "completed_at")));
	json_decref(task);
	json_decref(task2);

	/* Documents. */
	r = h_send_json("POST", DOCUMENTS, t.access,
	    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i}",
	    "name", "ro.txt", "file_path", "p",
	    "file_size", 3, "content_type", "text/plain", "project_name",
	    "Forged", "tenant", other.id, "id", 3));
	cr_assert_eq(r->status, 201, "%s", r->body);
	did = h_int(r, "id");
	cr_assert(json_is_null(json_object_get(r->json, "project_name")));
	h_free(r);
	d = h_get_json(h_fmt(DOCUMENTS "%lld/", did), t.access);
	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", did), t.access,
	    json_pack("{s:s, s:s, s:i}", "project_name", "Forged",
	    "created_at", "2000-01-01T00:00:00.000000Z", "id", 1));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	d2 = h_get_json(h_fmt(DOCUMENTS "%lld/", did), t.access);
	cr_assert(json_is_null(json_object_get(d2, "project_name")));
	cr_assert_str_eq(json_string_value(json_object_get(d2, "created_at")),
	    json_string_value(json_object_get(d, "created_at")));
	json_decref(d);
	json_decref(d2);
	json_decref(p);
}

Test(validation, another_tenants_project_and_no_project_read_the_same)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*glist;
	long long	mine, theirs, missing, tid, did;
	char		msg_theirs[512], msg_missing[512];
	const char	*m;

	h_new_tenant("val", &t);
	mine = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "mine"));
	glist = h_get_json(PROJECTS, h_token(H_GLOBEX));
	theirs = json_integer_value(json_object_get(json_array_get(
	    json_object_get(glist, "results"), 0), "id"));
	json_decref(glist);
	cr_assert_gt(theirs, 0);
	missing = 987654321987LL;

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)theirs, "title", "t"));
	assert_error(r, "project", NULL);
	cr_assert_eq(json_object_size(json_object_get(r->json, "errors")), 1);
	(void)snprintf(msg_theirs, sizeof(msg_theirs), "%s", r->body);
	h_free(r);
	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)missing, "title", "t"));
	assert_error(r, "project", NULL);
	(void)snprintf(msg_missing, sizeof(msg_missing), "%s", r->body);
	h_free(r);

	/* The whole answers are the same but for the id itself. */
	assert_same_answer(msg_theirs, theirs);
	assert_same_answer(msg_missing, missing);

	/* The same for documents, and for updates. */
	r = h_send_json("POST", DOCUMENTS, t.access,
	    json_pack("{s:s, s:s, s:i, s:s, s:I}",
	    "name", "n", "file_path", "p", "file_size", 1,
	    "content_type", "a/b", "project", (json_int_t)theirs));
	m = h_first_error(r, "project");
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(m, h_fmt("Invalid pk \"%lld\" - object does not "
	    "exist.", theirs));
	h_free(r);

	tid = h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)mine, "title", "t"));
	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", tid), t.access,
	    json_pack("{s:I}", "project", (json_int_t)theirs));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(h_first_error(r, "project"), h_fmt("Invalid pk "
	    "\"%lld\" - object does not exist.", theirs));
	h_free(r);

	did = h_create(DOCUMENTS, t.access, doc_body("d"));
	r = h_send_json("PUT", h_fmt(DOCUMENTS "%lld/", did), t.access,
	    json_pack("{s:s, s:s, s:i, s:s, s:I}", "name", "n", "file_path",
	    "p", "file_size", 1, "content_type", "a/b", "project",
	    (json_int_t)missing));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(h_first_error(r, "project"), h_fmt("Invalid pk "
	    "\"%lld\" - object does not exist.", missing));
	h_free(r);
}

Test(validation, bad_path_ids_are_404)
{
	static const char *const ids[] = { "abc", "0", "-1",
	    "99999999999999999999999", "9223372036854775808", "1.5", "1e3",
	    "0x10", "%20", "1abc", NULL };
	static const char *const items[] = { PROJECTS "%s/", TASKS "%s/",
	    DOCUMENTS "%s/", PROJECTS "%s", NULL };
	static const char *const methods[] = { "GET", "PUT", "PATCH",
	    "DELETE", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*path;
	size_t		i, k, m;

	h_new_tenant("val", &t);
	no_rate_limit(&t);
	for (i = 0; ids[i] != NULL; i++) {
		for (k = 0; items[k] != NULL; k++) {
			for (m = 0; methods[m] != NULL; m++) {
				path = h_fmt(items[k], ids[i]);
				r = h_req(methods[m], path, t.access,
				    !strcmp(methods[m], "PUT") ||
				    !strcmp(methods[m], "PATCH") ?
				    "{\"name\":\"x\"}" : NULL, NULL);
				cr_assert_eq(r->status, 404, "%s %s: %ld %s",
				    methods[m], path, r->status, r->body);
				cr_assert_str_eq(h_str(r, "code"),
				    "not_found");
				h_free(r);
			}
		}
		r = h_get(h_fmt(PROJECTS "%s/tasks/", ids[i]), t.access);
		cr_assert_eq(r->status, 404, "%s: %ld %s", ids[i], r->status,
		    r->body);
		h_free(r);
		r = h_post(h_fmt(TASKS "%s/complete/", ids[i]), t.access,
		    "");
		cr_assert_eq(r->status, 404, "%s: %ld %s", ids[i], r->status,
		    r->body);
		h_free(r);
	}
}

Test(validation, wrong_types_and_odd_values_are_never_5xx)
{
	static const char *const values[] = { "null", "true", "false", "0",
	    "-1", "1.5", "-0.0", "1e308", "-1e308", "9223372036854775807",
	    "-9223372036854775808", "\"\"", "\"x\"", "[]", "[1,\"a\"]", "{}",
	    "{\"a\":{\"b\":[]}}", "\"\\ud83d\\ude00\"", "\"\\u202e\"",
	    "\"' OR 1=1 --\"", "\"\\\\\"", "\"%\"", NULL };
	static const char *const fields[] = { "id", "name", "description",
	    "status", "project", "title", "priority", "due_date", "file_path",
	    "file_size", "content_type", "metadata", NULL };
	static const char *const posts[] = { PROJECTS, TASKS, DOCUMENTS,
	    NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid, tid, did;
	const char	*body;
	char		what[256];
	size_t		v, f, k;

	h_new_tenant("val", &t);
	no_rate_limit(&t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));
	tid = h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "t"));
	did = h_create(DOCUMENTS, t.access, doc_body("d"));

	for (f = 0; fields[f] != NULL; f++) {
		for (v = 0; values[v] != NULL; v++) {
			body = h_fmt("{\"%s\":%s}", fields[f], values[v]);
			for (k = 0; posts[k] != NULL; k++) {
				(void)snprintf(what, sizeof(what), "POST %s %s",
				    posts[k], body);
				r = h_post(posts[k], t.access, body);
				cr_assert(r->status < 500 && r->status != 429,
				    "%s: %ld %s", what, r->status, r->body);
				h_free(r);
			}
			r = h_req("PATCH", h_fmt(PROJECTS "%lld/", pid),
			    t.access, body, NULL);
			cr_assert(r->status < 500 && r->status != 429,
			    "PATCH project %s: %s",
			    body, r->body);
			h_free(r);
			r = h_req("PATCH", h_fmt(TASKS "%lld/", tid),
			    t.access, body, NULL);
			cr_assert(r->status < 500 && r->status != 429,
			    "PATCH task %s: %s",
			    body, r->body);
			h_free(r);
			r = h_req("PATCH", h_fmt(DOCUMENTS "%lld/", did),
			    t.access, body, NULL);
			cr_assert(r->status < 500 && r->status != 429,
			    "PATCH document %s: %s",
			    body, r->body);
			h_free(r);
			r = h_req("PUT", h_fmt(TASKS "%lld/", tid), t.access,
			    body, NULL);
			cr_assert(r->status < 500 && r->status != 429,
			    "PUT task %s: %s", body, r->body);
			h_free(r);
		}
	}

	/* The server is still well. */
	r = h_get("/health/", NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);
	r = h_get(h_fmt(TASKS "%lld/", tid), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
}

Test(validation, unicode_and_sql_are_stored_verbatim)
{
	static const char *const texts[] = {
	    "Emoji 😀🎉👩‍👩‍👧‍👦",
	    "مرحبا بالعالم",
	    "שלום \u202e עולם",
	    "Zalgo z̷̢̛a̶l̴g̵o",
	    "'; DROP TABLE projects; --",
	    "\" OR \"1\"=\"1",
	    "Robert'); DELETE FROM tasks WHERE ('1'='1",
	    "$1 $$ quoted $$ \\x00 %s %n",
	    "<script>alert(1)</script>",
	    "tab\there\nnewline",
	    NULL };
	struct h_tenant	t;
	json_t		*o;
	long long	pid, id;
	size_t		i;

	h_new_tenant("val", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));
	for (i = 0; texts[i] != NULL; i++) {
		id = h_create(PROJECTS, t.access, json_pack("{s:s, s:s}",
		    "name", texts[i], "description", texts[i]));
		o = h_get_json(h_fmt(PROJECTS "%lld/", id), t.access);
		cr_assert_str_eq(json_string_value(json_object_get(o,
		    "name")), texts[i]);
		cr_assert_str_eq(json_string_value(json_object_get(o,
		    "description")), texts[i]);
		json_decref(o);

		id = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
		    "project", (json_int_t)pid, "title", texts[i],
		    "description", texts[i]));
		o = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
		cr_assert_str_eq(json_string_value(json_object_get(o,
		    "title")), texts[i]);
		json_decref(o);

		id = h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, "
		    "s:s, s:{s:s}}", "name", texts[i], "file_path", texts[i],
		    "file_size", 1, "content_type", "text/plain", "metadata",
		    texts[i], texts[i]));
		o = h_get_json(h_fmt(DOCUMENTS "%lld/", id), t.access);
		cr_assert_str_eq(json_string_value(json_object_get(o,
		    "name")), texts[i]);
		cr_assert_str_eq(json_string_value(json_object_get(o,
		    "file_path")), texts[i]);
		cr_assert_str_eq(json_string_value(json_object_get(
		    json_object_get(o, "metadata"), texts[i])), texts[i]);
		json_decref(o);
	}

	/* The tables are all still there. */
	o = h_get_json(PROJECTS, t.access);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")),
	    (json_int_t)i + 1);
	json_decref(o);
	o = h_get_json(TASKS, t.access);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")),
	    (json_int_t)i);
	json_decref(o);
}

/*
 * Issue 12.3: valid JSON that jansson cannot hold (integers past 64 bits)
 * or PostgreSQL cannot store (U+0000) is a field error, with DRF's words
 * for these bodies (the Django reference answers the same).
 */
#define BIG	"1000000000000000000000000000000"	/* 10**30 */
#define MSG_MAX_INT64	"Ensure this value is less than or equal to " \
			"9223372036854775807."
#define MSG_NUL		"Null characters are not allowed."

Test(validation, out_of_range_integers_are_field_errors)
{
	struct h_tenant	t;
	struct h_resp	*r;
	long long	project;

	h_new_tenant("val", &t);
	project = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":9223372036854775808,\"content_type\":\"a/b\"}");
	assert_error(r, "file_size", MSG_MAX_INT64);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":18446744073709551615,\"content_type\":\"a/b\"}");
	assert_error(r, "file_size", MSG_MAX_INT64);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":-9223372036854775809,\"content_type\":\"a/b\"}");
	assert_error(r, "file_size",
	    "Ensure this value is greater than or equal to 0.");
	h_free(r);

	r = h_post(TASKS, t.access, "{\"title\":\"t\",\"project\":" BIG "}");
	assert_error(r, "project",
	    "Invalid pk \"" BIG "\" - object does not exist.");
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":1,\"content_type\":\"a/b\",\"project\":-" BIG "}");
	assert_error(r, "project",
	    "Invalid pk \"-" BIG "\" - object does not exist.");
	h_free(r);

	/* Every field at once, the other fields checked as ever. */
	r = h_post(TASKS, t.access, h_fmt("{\"title\":\"\",\"project\":%lld,"
	    "\"status\":" BIG "}", project));
	assert_error(r, "title", MSG_BLANK);
	cr_assert_str_eq(h_first_error(r, "status"),
	    "\"" BIG "\" is not a valid choice.", "%s", r->body);
	h_free(r);

	/* A whole body of one: DRF's "got int". */
	r = h_post(PROJECTS, t.access, BIG);
	assert_error(r, "non_field_errors",
	    "Invalid data. Expected a dictionary, but got int.");
	h_free(r);

	/* A string field takes its digits, as DRF's str(int). */
	r = h_post(PROJECTS, t.access, "{\"name\":" BIG "}");
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert_str_eq(h_str(r, "name"), BIG);
	h_free(r);

	/* Malformed JSON stays a parse error. */
	r = h_post(PROJECTS, t.access, "{\"name\":\"x\",\"n\":" BIG ",}");
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "parse_error", "%s", r->body);
	cr_assert_null(json_object_get(r->json, "errors"), "%s", r->body);
	h_free(r);
}

/* Metadata is stored as given, big integers exactly (jsonb holds them). */
Test(validation, metadata_keeps_big_integers_exactly)
{
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*want;
	char		*text, *p, *q;

	h_new_tenant("val", &t);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"f\",\"file_path\":\"p\","
	    "\"file_size\":1,\"content_type\":\"a/b\",\"metadata\":{\"n\":"
	    BIG "1,\"m\":[-" BIG ",1.5]}}");
	cr_assert_eq(r->status, 201, "%s", r->body);

	/* Compared without spaces: the database writes the JSON text. */
	text = strdup(r->body);
	for (p = q = text; *p != '\0'; p++) {
		if (*p != ' ')
			*q++ = *p;
	}
	*q = '\0';
	want = "\"n\":" BIG "1";
	cr_assert_not_null(strstr(text, want), "%s", r->body);
	want = "\"m\":[-" BIG ",1.5]";
	cr_assert_not_null(strstr(text, want), "%s", r->body);
	free(text);
	h_free(r);
}

Test(validation, nul_characters_are_field_errors)
{
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("val", &t);
	r = h_post(PROJECTS, t.access, "{\"name\":\"a\\u0000b\"}");
	assert_error(r, "name", MSG_NUL);
	h_free(r);
	r = h_post(PROJECTS, t.access,
	    "{\"name\":\"ok\",\"description\":\"x\\u0000\"}");
	assert_error(r, "description", MSG_NUL);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"n\",\"file_path\":\"p\","
	    "\"file_size\":1,\"content_type\":\"a/b\",\"metadata\":"
	    "{\"k\":[\"\\u0000\"]}}");
	assert_error(r, "metadata", MSG_NUL);
	h_free(r);
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"n\",\"file_path\":\"p\","
	    "\"file_size\":\"5\\u0000\",\"content_type\":\"a/b\"}");
	assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);
	r = h_post(TASKS, t.access,
	    "{\"title\":\"t\",\"project\":\"5\\u0000\"}");
	assert_error(r, "project",
	    "Incorrect type. Expected pk value, received str.");
	h_free(r);

	/* A login name holding U+0000 is nobody's, and said so. */
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":"
	    "\"%s\\u0000x\",\"password\":\"%s\"}", t.username, t.password));
	assert_error(r, "username", MSG_NUL);
	h_free(r);

	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
	h_free(r);
}

Test(validation, nul_characters_and_bad_unicode_are_4xx)
{
	static const char *const bodies[] = {
	    "{\"name\":\"a\\u0000b\"}",
	    "{\"name\":\"\\u0000\"}",
	    "{\"name\":\"ok\",\"description\":\"x\\u0000\"}",
	    "{\"name\":\"\\ud800\"}",
	    "{\"name\":\"\\udc00x\"}",
	    "{\"name\":\"\\uZZZZ\"}",
	    "{\"name\":\"\xed\xa0\x80\"}",
	    "{\"name\":\"\xc0\xaf\"}",
	    "{\"na\\u0000me\":\"x\"}",
	    NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	size_t		i;

	h_new_tenant("val", &t);
	for (i = 0; bodies[i] != NULL; i++) {
		r = h_post(PROJECTS, t.access, bodies[i]);
		assert_client_error(r, bodies[i]);
		h_free(r);
	}
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"n\",\"file_path\":\"p\","
	    "\"file_size\":1,\"content_type\":\"a/b\",\"metadata\":"
	    "{\"k\":\"\\u0000\"}}");
	assert_client_error(r, "metadata with NUL");
	h_free(r);

	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
	h_free(r);
}

Test(validation, deeply_nested_json_is_4xx)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*open, *close, *body;

	h_new_tenant("val", &t);

	open = h_repeat("[", 5000);
	close = h_repeat("]", 5000);
	cr_assert(asprintf(&body, "%s%s", open, close) != -1);
	r = h_post(PROJECTS, t.access, body);
	assert_client_error(r, "5000 nested lists");
	h_free(r);
	free(body);
	free(open);
	free(close);

	body = nested(5000);
	r = h_post(DOCUMENTS, t.access, body);
	assert_client_error(r, "5000 nested objects in metadata");
	h_free(r);
	free(body);

	/* Moderate nesting is just data. */
	body = nested(100);
	r = h_post(DOCUMENTS, t.access, body);
	cr_assert_eq(r->status, 201, "%ld %.300s", r->status, r->body);
	h_free(r);
	free(body);

	r = h_get("/health/", NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);
}

Test(validation, odd_query_strings_are_never_5xx)
{
	static const char *const qs[] = { "search=%27%3B%20DROP%20TABLE%20x",
	    "search=%25", "search=%5C", "search=%00", "search=%ZZ",
	    "search=%F0%9F%98%80", "search=a&search=b",
	    "ordering=name&ordering=-name", "page=1&page=2", "status=%00",
	    "page_size=99999999999999999999999", "page_size=-0", "=x", "&&&",
	    "search", "project=1%00", "content_type=%0A", NULL };
	static const char *const paths[] = { PROJECTS, TASKS, DOCUMENTS,
	    TASKS "by-status/", NULL };
	struct h_resp	*r;
	char		*longq;
	size_t		i, k;

	for (k = 0; paths[k] != NULL; k++) {
		for (i = 0; qs[i] != NULL; i++) {
			r = h_get(h_fmt("%s?%s", paths[k], qs[i]),
			    h_token(H_ACME));
			cr_assert_lt(r->status, 500, "%s?%s: %ld %s",
			    paths[k], qs[i], r->status, r->body);
			cr_assert(json_is_object(r->json), "%s?%s: %s",
			    paths[k], qs[i], r->body);
			h_free(r);
		}
	}

	/* Longer than search allows: 400; longer than a URI may be: 414. */
	longq = h_repeat("x", 1500);
	r = h_get(h_fmt(PROJECTS "?search=%s", longq), h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%ld %.200s", r->status, r->body);
	h_free(r);
	free(longq);
	longq = h_repeat("x", 3000);
	r = h_get(h_fmt(PROJECTS "?search=%s", longq), h_token(H_ACME));
	cr_assert(r->status >= 400 && r->status < 500, "%ld %.200s",
	    r->status, r->body);
	h_free(r);
	free(longq);
}

/* A query value that is not UTF-8 is a bad value, not a server error. */
Test(validation, a_query_value_that_is_not_utf8_is_4xx)
{
	static const char *const qs[] = {
	    PROJECTS "?search=%FF%FE",
	    PROJECTS "?search=caf%E9",
	    TASKS "?search=%C3",
	    DOCUMENTS "?search=%80",
	    DOCUMENTS "?content_type=text/%FF",
	    NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; qs[i] != NULL; i++) {
		r = h_get(qs[i], h_token(H_ACME));
		cr_expect(r->status < 500, "%s: %ld %s", qs[i], r->status,
		    r->body);
		h_free(r);
	}
}
