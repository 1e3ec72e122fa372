/*
 * Documents: /api/v1/documents/ and /{id}/.
 *
 * Every test that writes does so in a tenant of its own (h_new_tenant).
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

#define DOCUMENTS	"/api/v1/documents/"
#define NAME_LEN	128

static json_t	*doc_body(const char *, long long);

static const char *const document_keys[] = { "id", "project",
    "project_name", "name", "file_path", "file_size", "content_type",
    "metadata", "created_at", "updated_at", NULL };

/* A valid body with every required field; project 0: null. */
static json_t *
doc_body(const char *name, long long project)
{
	json_t		*b;

	b = json_pack("{s:s, s:s, s:i, s:s}", "name", name, "file_path",
	    "uploads/2026/file.bin", "file_size", 1234, "content_type",
	    "application/octet-stream");
	cr_assert_not_null(b);
	json_object_set_new(b, "project", project > 0 ?
	    json_integer(project) : json_null());

	return (b);
}

Test(documents, create_in_a_project_then_retrieve)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d, *again;
	char		pname[NAME_LEN];
	long long	pid;

	h_new_tenant("doc", &t);
	(void)snprintf(pname, sizeof(pname), "%s", h_unique("Docs project"));
	pid = h_new_project(t.access, pname);
	d = h_create_json(DOCUMENTS, t.access, json_pack("{s:I, s:s, s:s, "
	    "s:i, s:s, s:{s:i}}", "project", (json_int_t)pid, "name",
	    "report.pdf", "file_path", "tenants/x/report.pdf", "file_size",
	    482133, "content_type", "application/pdf", "metadata", "pages",
	    12));
	h_assert_keys(d, document_keys);
	cr_assert_gt(h_jint(d, "id"), 0);
	cr_assert_eq(h_jint(d, "project"), pid);
	cr_assert_str_eq(h_jstr(d, "project_name"), pname);
	cr_assert_str_eq(h_jstr(d, "name"), "report.pdf");
	cr_assert_str_eq(h_jstr(d, "file_path"), "tenants/x/report.pdf");
	cr_assert_eq(h_jint(d, "file_size"), 482133);
	cr_assert_str_eq(h_jstr(d, "content_type"), "application/pdf");
	cr_assert_eq(h_jint(json_object_get(d, "metadata"), "pages"), 12);
	cr_assert_not_null(h_jstr(d, "created_at"));
	cr_assert_not_null(h_jstr(d, "updated_at"));

	again = h_get_json(h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access);
	cr_assert(json_equal(again, d), "%s", json_dumps(again, 0));
	json_decref(again);

	r = h_get(DOCUMENTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1);
	cr_assert(json_equal(json_array_get(json_object_get(r->json,
	    "results"), 0), d));
	h_free(r);
	json_decref(d);
}

Test(documents, project_may_be_null_or_absent)
{
	struct h_tenant	t;
	json_t		*d, *b;

	h_new_tenant("doc", &t);
	d = h_create_json(DOCUMENTS, t.access, doc_body("loose.txt", 0));
	cr_assert(json_is_null(json_object_get(d, "project")));
	cr_assert(json_is_null(json_object_get(d, "project_name")));
	json_decref(d);

	b = doc_body("absent.txt", 0);
	json_object_del(b, "project");
	d = h_create_json(DOCUMENTS, t.access, b);
	cr_assert(json_is_null(json_object_get(d, "project")));
	cr_assert(json_is_null(json_object_get(d, "project_name")));
	cr_assert(json_equal(json_object_get(d, "metadata"), json_object()));
	json_decref(d);
}

Test(documents, project_can_be_set_and_cleared)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d;
	char		pname[NAME_LEN];
	long long	pid, id;

	h_new_tenant("doc", &t);
	(void)snprintf(pname, sizeof(pname), "%s", h_unique("Docs project"));
	pid = h_new_project(t.access, pname);
	d = h_create_json(DOCUMENTS, t.access, doc_body("moving.txt", 0));
	id = h_jint(d, "id");

	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", id), t.access,
	    json_pack("{s:I}", "project", (json_int_t)pid));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "project"), pid);
	cr_assert_str_eq(h_str(r, "project_name"), pname);
	cr_assert_str_eq(h_str(r, "name"), "moving.txt");
	h_free(r);

	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", id), t.access,
	    json_pack("{s:n}", "project"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(json_object_get(r->json, "project")));
	cr_assert(json_is_null(json_object_get(r->json, "project_name")));
	h_free(r);

	json_decref(d);
	d = h_get_json(h_fmt(DOCUMENTS "%lld/", id), t.access);
	cr_assert(json_is_null(json_object_get(d, "project")));
	json_decref(d);
}

Test(documents, put_replaces_and_requires)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d, *b, *before;
	long long	pid, id;
	static const char *const required[] = { "name", "file_path",
	    "file_size", "content_type", NULL };
	size_t		i;

	h_new_tenant("doc", &t);
	pid = h_new_project(t.access, NULL);
	d = h_create_json(DOCUMENTS, t.access, doc_body("old.txt", 0));
	id = h_jint(d, "id");

	r = h_send_json("PUT", h_fmt(DOCUMENTS "%lld/", id), t.access,
	    json_pack("{s:I, s:s, s:s, s:i, s:s, s:{s:s}}", "project",
	    (json_int_t)pid, "name", "new.csv", "file_path", "x/new.csv",
	    "file_size", 99, "content_type", "text/csv", "metadata", "k",
	    "v"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "id"), id);
	cr_assert_eq(h_int(r, "project"), pid);
	cr_assert_str_eq(h_str(r, "name"), "new.csv");
	cr_assert_str_eq(h_str(r, "file_path"), "x/new.csv");
	cr_assert_eq(h_int(r, "file_size"), 99);
	cr_assert_str_eq(h_str(r, "content_type"), "text/csv");
	cr_assert_str_eq(h_jstr(json_object_get(r->json, "metadata"), "k"),
	    "v");
	cr_assert_str_eq(h_str(r, "created_at"), h_jstr(d, "created_at"));
	h_free(r);

	before = h_get_json(h_fmt(DOCUMENTS "%lld/", id), t.access);
	for (i = 0; required[i] != NULL; i++) {
		b = doc_body("full.txt", 0);
		json_object_del(b, required[i]);
		r = h_send_json("PUT", h_fmt(DOCUMENTS "%lld/", id), t.access,
		    b);
		h_assert_error(r, required[i], "This field is required.");
		h_free(r);
	}
	json_decref(d);
	d = h_get_json(h_fmt(DOCUMENTS "%lld/", id), t.access);
	cr_assert(json_equal(d, before), "changed: %s", json_dumps(d, 0));
	json_decref(d);
	json_decref(before);
}

Test(documents, patch_changes_only_the_given_fields)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d, *b;
	long long	id;

	h_new_tenant("doc", &t);
	b = doc_body("patch.txt", 0);
	json_object_set_new(b, "metadata", json_pack("{s:s}", "a", "b"));
	d = h_create_json(DOCUMENTS, t.access, b);
	id = h_jint(d, "id");

	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", id), t.access,
	    json_pack("{s:i}", "file_size", 0));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "file_size"), 0);
	cr_assert_str_eq(h_str(r, "name"), "patch.txt");
	cr_assert_str_eq(h_str(r, "file_path"), h_jstr(d, "file_path"));
	cr_assert_str_eq(h_str(r, "content_type"), h_jstr(d, "content_type"));
	cr_assert(json_equal(json_object_get(r->json, "metadata"),
	    json_object_get(d, "metadata")), "%s", r->body);
	h_free(r);

	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", id), t.access,
	    json_pack("{s:{}}", "metadata"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_object_size(json_object_get(r->json, "metadata")),
	    0, "%s", r->body);
	cr_assert_eq(h_int(r, "file_size"), 0);
	h_free(r);
	json_decref(d);
}

Test(documents, delete_is_204_then_404)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d, *keep;
	long long	pid;

	h_new_tenant("doc", &t);
	pid = h_new_project(t.access, NULL);
	d = h_create_json(DOCUMENTS, t.access, doc_body("gone.txt", pid));
	keep = h_create_json(DOCUMENTS, t.access, doc_body("kept.txt", pid));

	r = h_req("DELETE", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access,
	    NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	cr_assert_eq(r->len, 0);
	h_free(r);
	r = h_get(h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	r = h_req("DELETE", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access,
	    NULL, NULL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")),
	    t.access, json_pack("{s:s}", "name", "back"));
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);

	/* The project and the other document stay. */
	r = h_get(h_fmt(DOCUMENTS "%lld/", h_jint(keep, "id")), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	r = h_get(h_fmt("/api/v1/projects/%lld/", pid), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	json_decref(d);
	json_decref(keep);
}

Test(documents, metadata_is_returned_as_given)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*meta, *d, *got;
	json_error_t	err;
	const char	*text;

	h_new_tenant("doc", &t);
	text = "{\"author\":{\"name\":\"Zoë\",\"ids\":[1,2,3],\"nil\":null},"
	    "\"tags\":[\"a\",{\"deep\":{\"deeper\":[true,false,0.5,-7]}}],"
	    "\"empty\":{},\"list\":[],\"big\":9223372036854775807,"
	    "\"text\":\"line\\nbreak \\\"quoted\\\" \\u00e9 \\ud83d\\ude00\","
	    "\"zero\":0}";
	meta = json_loads(text, 0, &err);
	cr_assert_not_null(meta, "%s", err.text);

	d = doc_body("meta.json", 0);
	json_object_set(d, "metadata", meta);
	d = h_create_json(DOCUMENTS, t.access, d);
	cr_assert(json_equal(json_object_get(d, "metadata"), meta),
	    "create answered %s", json_dumps(json_object_get(d, "metadata"),
	    0));

	got = h_get_json(h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access);
	cr_assert(json_equal(json_object_get(got, "metadata"), meta),
	    "retrieve answered %s", json_dumps(json_object_get(got,
	    "metadata"), 0));
	json_decref(got);

	r = h_get(DOCUMENTS, t.access);
	cr_assert(json_equal(json_object_get(json_array_get(
	    json_object_get(r->json, "results"), 0), "metadata"), meta),
	    "list answered %s", r->body);
	h_free(r);

	/* PUT and PATCH store what they are given too. */
	json_object_set_new(meta, "added", json_pack("[{s:s}]", "x", "y"));
	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")),
	    t.access, json_pack("{s:O}", "metadata", meta));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_equal(json_object_get(r->json, "metadata"), meta),
	    "%s", r->body);
	h_free(r);
	got = h_get_json(h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access);
	cr_assert(json_equal(json_object_get(got, "metadata"), meta));
	json_decref(got);

	/* PUT without metadata keeps it (DRF: not in validated data). */
	r = h_send_json("PUT", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")),
	    t.access, doc_body("meta.json", 0));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_equal(json_object_get(r->json, "metadata"), meta),
	    "%s", r->body);
	h_free(r);

	json_decref(d);
	json_decref(meta);
}

Test(documents, metadata_must_be_an_object_within_64_kib)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*b;
	char		*big;
	static const char *const bad[] = { "[]", "[1,2]", "\"text\"", "42",
	    "true", NULL };
	size_t		i;

	h_new_tenant("doc", &t);
	for (i = 0; bad[i] != NULL; i++) {
		b = doc_body("bad-meta", 0);
		json_object_set_new(b, "metadata", json_loads(bad[i],
		    JSON_DECODE_ANY, NULL));
		r = h_send_json("POST", DOCUMENTS, t.access, b);
		h_assert_error(r, "metadata", NULL);
		h_free(r);
	}

	/* null: DRF's JSONField without allow_null refuses it. */
	b = doc_body("null-meta", 0);
	json_object_set_new(b, "metadata", json_null());
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "metadata", "This field may not be null.");
	h_free(r);

	/* Well under 64 KiB: fine. Over it: 400. */
	big = h_repeat("x", 60000);
	b = doc_body("big-meta", 0);
	json_object_set_new(b, "metadata", json_pack("{s:s}", "blob", big));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	cr_assert_eq(r->status, 201, "%ld %.300s", r->status, r->body);
	h_free(r);
	free(big);

	big = h_repeat("x", 70000);
	b = doc_body("huge-meta", 0);
	json_object_set_new(b, "metadata", json_pack("{s:s}", "blob", big));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "metadata", NULL);
	h_free(r);
	free(big);

	h_assert_ids(DOCUMENTS "?search=huge-meta", t.access, NULL, 0);
}

Test(documents, file_size_bounds)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*b, *d;

	h_new_tenant("doc", &t);

	b = doc_body("empty.bin", 0);
	json_object_set_new(b, "file_size", json_integer(0));
	d = h_create_json(DOCUMENTS, t.access, b);
	cr_assert_eq(h_jint(d, "file_size"), 0);
	json_decref(d);

	/* 2^63 - 1, the largest; it must come back exactly. */
	b = doc_body("huge.bin", 0);
	json_object_set_new(b, "file_size",
	    json_integer(9223372036854775807LL));
	d = h_create_json(DOCUMENTS, t.access, b);
	cr_assert_eq(h_jint(d, "file_size"), 9223372036854775807LL);
	r = h_get(h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")), t.access);
	cr_assert(strstr(r->body, "\"file_size\":9223372036854775807") !=
	    NULL, "%s", r->body);
	h_free(r);
	json_decref(d);

	r = h_send_json("POST", DOCUMENTS, t.access, json_pack("{s:s, s:s, "
	    "s:i, s:s}", "name", "neg", "file_path", "p", "file_size", -1,
	    "content_type", "text/plain"));
	h_assert_error(r, "file_size",
	    "Ensure this value is greater than or equal to 0.");
	h_free(r);

	/* 2^63 does not fit. */
	r = h_post(DOCUMENTS, t.access, "{\"name\":\"big\","
	    "\"file_path\":\"p\","
	    "\"file_size\":9223372036854775808,\"content_type\":\"a/b\"}");
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"frac\","
	    "\"file_path\":\"p\","
	    "\"file_size\":1.5,\"content_type\":\"a/b\"}");
	h_assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"word\","
	    "\"file_path\":\"p\","
	    "\"file_size\":\"ten\",\"content_type\":\"a/b\"}");
	h_assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"bool\","
	    "\"file_path\":\"p\","
	    "\"file_size\":true,\"content_type\":\"a/b\"}");
	h_assert_error(r, "file_size", "A valid integer is required.");
	h_free(r);

	r = h_post(DOCUMENTS, t.access, "{\"name\":\"null\","
	    "\"file_path\":\"p\","
	    "\"file_size\":null,\"content_type\":\"a/b\"}");
	h_assert_error(r, "file_size", "This field may not be null.");
	h_free(r);

	r = h_get(DOCUMENTS, t.access);
	cr_assert_eq(h_int(r, "count"), 2, "%s", r->body);
	h_free(r);
}

Test(documents, content_type_is_a_mime_type)
{
	static const char *const good[] = { "application/pdf", "image/png",
	    "text/plain", "image/svg+xml", "application/vnd.ms-excel",
	    "application/x-tar", "video/mp4", "application/ld+json",
	    "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", NULL };
	static const char *const bad[] = { "pdf", "application",
	    "application/", "/pdf", "application//pdf", "text/plain/extra",
	    "text /plain", "text/ plain", "te(x)t/plain", "text/pl@in",
	    "ünï/cödé", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*b, *d;
	char		*longest;
	size_t		i;

	h_new_tenant("doc", &t);
	for (i = 0; good[i] != NULL; i++) {
		b = doc_body("good-mime", 0);
		json_object_set_new(b, "content_type", json_string(good[i]));
		d = h_create_json(DOCUMENTS, t.access, b);
		cr_assert_str_eq(h_jstr(d, "content_type"), good[i]);
		json_decref(d);
	}

	for (i = 0; bad[i] != NULL; i++) {
		b = doc_body("bad-mime", 0);
		json_object_set_new(b, "content_type", json_string(bad[i]));
		r = h_send_json("POST", DOCUMENTS, t.access, b);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_not_null(h_first_error(r, "content_type"), "%s: %s",
		    bad[i], r->body);
		h_free(r);
	}

	b = doc_body("blank-mime", 0);
	json_object_set_new(b, "content_type", json_string(""));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "content_type", "This field may not be blank.");
	h_free(r);

	/* At most 100 characters. */
	longest = h_repeat("a", 100);
	memcpy(longest + 40, "/", 1);
	b = doc_body("long-mime", 0);
	json_object_set_new(b, "content_type", json_string(longest));
	d = h_create_json(DOCUMENTS, t.access, b);
	cr_assert_str_eq(h_jstr(d, "content_type"), longest);
	json_decref(d);
	free(longest);

	longest = h_repeat("a", 101);
	memcpy(longest + 40, "/", 1);
	b = doc_body("too-long-mime", 0);
	json_object_set_new(b, "content_type", json_string(longest));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "content_type",
	    "Ensure this field has no more than 100 characters.");
	h_free(r);
	free(longest);

	h_assert_ids(DOCUMENTS "?search=bad-mime", t.access, NULL, 0);
}

Test(documents, name_and_file_path_lengths)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*b, *d;
	char		*s;

	h_new_tenant("doc", &t);

	s = h_repeat("n", 255);
	d = h_create_json(DOCUMENTS, t.access, doc_body(s, 0));
	cr_assert_str_eq(h_jstr(d, "name"), s);
	json_decref(d);
	free(s);

	s = h_repeat("n", 256);
	r = h_send_json("POST", DOCUMENTS, t.access, doc_body(s, 0));
	h_assert_error(r, "name",
	    "Ensure this field has no more than 255 characters.");
	h_free(r);
	free(s);

	s = h_repeat("p", 500);
	b = doc_body("path500", 0);
	json_object_set_new(b, "file_path", json_string(s));
	d = h_create_json(DOCUMENTS, t.access, b);
	cr_assert_str_eq(h_jstr(d, "file_path"), s);
	json_decref(d);
	free(s);

	s = h_repeat("p", 501);
	b = doc_body("path501", 0);
	json_object_set_new(b, "file_path", json_string(s));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "file_path",
	    "Ensure this field has no more than 500 characters.");
	h_free(r);
	free(s);

	b = doc_body("nopath", 0);
	json_object_set_new(b, "file_path", json_string(""));
	r = h_send_json("POST", DOCUMENTS, t.access, b);
	h_assert_error(r, "file_path", "This field may not be blank.");
	h_free(r);

	r = h_send_json("POST", DOCUMENTS, t.access, json_object());
	h_assert_error(r, "name", "This field is required.");
	h_assert_error(r, "file_path", "This field is required.");
	h_assert_error(r, "file_size", "This field is required.");
	h_assert_error(r, "content_type", "This field is required.");
	h_free(r);
}

Test(documents, filters)
{
	struct h_tenant	t;
	json_t		*b;
	long long	p1, p2, a, bb, c, e, ids[3];

	h_new_tenant("doc", &t);
	p1 = h_new_project(t.access, NULL);
	p2 = h_new_project(t.access, NULL);

	b = doc_body("Quarterly Report.pdf", p1);
	json_object_set_new(b, "content_type", json_string("application/pdf"));
	a = h_create(DOCUMENTS, t.access, b);
	b = doc_body("photo.png", p1);
	json_object_set_new(b, "content_type", json_string("image/png"));
	json_object_set_new(b, "file_path", json_string("report/photo.png"));
	bb = h_create(DOCUMENTS, t.access, b);
	b = doc_body("annual-REPORT.pdf", p2);
	json_object_set_new(b, "content_type", json_string("application/pdf"));
	c = h_create(DOCUMENTS, t.access, b);
	b = doc_body("loose.txt", 0);
	json_object_set_new(b, "content_type", json_string("text/plain"));
	e = h_create(DOCUMENTS, t.access, b);

	ids[0] = a;
	ids[1] = bb;
	h_assert_ids(h_fmt(DOCUMENTS "?project=%lld", p1), t.access, ids, 2);
	ids[0] = c;
	h_assert_ids(h_fmt(DOCUMENTS "?project=%lld", p2), t.access, ids, 1);
	h_assert_ids(DOCUMENTS "?project=999999999999", t.access, NULL, 0);

	ids[0] = a;
	ids[1] = c;
	h_assert_ids(DOCUMENTS "?content_type=application/pdf", t.access, ids,
	    2);
	h_assert_ids(DOCUMENTS "?content_type=application%2Fpdf", t.access,
	    ids, 2);
	ids[0] = e;
	h_assert_ids(DOCUMENTS "?content_type=text/plain", t.access, ids, 1);
	h_assert_ids(DOCUMENTS "?content_type=video/mp4", t.access, NULL, 0);

	/* search: the name only, case-insensitive. */
	ids[0] = a;
	ids[1] = c;
	h_assert_ids(DOCUMENTS "?search=report", t.access, ids, 2);
	h_assert_ids(DOCUMENTS "?search=REPORT", t.access, ids, 2);
	ids[0] = bb;
	h_assert_ids(DOCUMENTS "?search=PHOTO", t.access, ids, 1);

	ids[0] = c;
	h_assert_ids(h_fmt(DOCUMENTS "?project=%lld&content_type=application/"
	    "pdf&search=annual", p2), t.access, ids, 1);
	h_assert_ids(h_fmt(DOCUMENTS "?project=%lld&content_type=text/plain",
	    p1), t.access, NULL, 0);
}

Test(documents, bad_filter_values_are_400)
{
	static const char *const bad[] = { "project=abc", "project=0",
	    "project=-3", "project=99999999999999999999",
	    "project=9223372036854775808", "ordering=size", "ordering=title",
	    "page=0", "page=two", NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; bad[i] != NULL; i++) {
		r = h_get(h_fmt(DOCUMENTS "?%s", bad[i]), h_token(H_ACME));
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_str_eq(h_str(r, "code"), "invalid");
		h_free(r);
	}
}

Test(documents, unknown_project_is_400)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*d;

	h_new_tenant("doc", &t);
	r = h_send_json("POST", DOCUMENTS, t.access, doc_body("x",
	    999999999999LL));
	h_assert_error(r, "project",
	    "Invalid pk \"999999999999\" - object does not exist.");
	h_free(r);

	d = h_create_json(DOCUMENTS, t.access, doc_body("y", 0));
	r = h_send_json("PATCH", h_fmt(DOCUMENTS "%lld/", h_jint(d, "id")),
	    t.access, json_pack("{s:I}", "project",
	    (json_int_t)999999999999LL));
	h_assert_error(r, "project",
	    "Invalid pk \"999999999999\" - object does not exist.");
	h_free(r);
	json_decref(d);
}
