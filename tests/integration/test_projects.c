/*
 * Projects: /api/v1/projects/, /{id}/, /{id}/tasks/ and /statistics/.
 *
 * Every test that writes does so in a tenant of its own (h_new_tenant):
 * the fixture tenants are only read.
 */

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"

static long long	new_task(const char *, long long, const char *,
			    const char *);
static long long	new_document(const char *, long long);
static long		status_of(const char *, const char *);
static void	assert_stats(const char *, long long, long long, long long,
		    long long, long long, long long, long long, long long,
		    long long);
static void	assert_timestamp(json_t *, const char *);
static long long	num2(json_t *, const char *, const char *);
static long long	num3(json_t *, const char *, const char *,
			    const char *);

static const char *const project_keys[] = { "id", "name", "description",
    "status", "tasks_count", "created_at", "updated_at", NULL };

static long long
new_task(const char *token, long long project, const char *status,
    const char *due_date)
{
	json_t		*b;

	b = json_pack("{s:I, s:s, s:s}", "project", (json_int_t)project,
	    "title", h_unique("task"), "status", status);
	cr_assert_not_null(b);
	if (due_date != NULL)
		json_object_set_new(b, "due_date", json_string(due_date));

	return (h_create("/api/v1/tasks/", token, b));
}

/* A document in project (0: none). */
static long long
new_document(const char *token, long long project)
{
	json_t		*b;

	b = json_pack("{s:s, s:s, s:i, s:s}", "name", h_unique("doc"),
	    "file_path", "a/b.txt", "file_size", 10, "content_type",
	    "text/plain");
	cr_assert_not_null(b);
	json_object_set_new(b, "project", project > 0 ?
	    json_integer(project) : json_null());

	return (h_create("/api/v1/documents/", token, b));
}

static long
status_of(const char *path, const char *token)
{
	struct h_resp	*r;
	long		status;

	r = h_get(path, token);
	status = r->status;
	h_free(r);

	return (status);
}

/* RFC 3339 in UTC with microseconds, as DRF writes it. */
static void
assert_timestamp(json_t *o, const char *key)
{
	regex_t		re;
	const char	*v;

	v = json_string_value(json_object_get(o, key));
	cr_assert_not_null(v, "%s is not a string", key);
	cr_assert(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}\\.[0-9]{6}Z$", REG_EXTENDED | REG_NOSUB) == 0);
	cr_assert(regexec(&re, v, 0, NULL, 0) == 0, "%s: %s", key, v);
	regfree(&re);
}

static long long
num2(json_t *o, const char *a, const char *b)
{
	return (h_jint(json_object_get(o, a), b));
}

static long long
num3(json_t *o, const char *a, const char *b, const char *c)
{
	return (h_jint(json_object_get(json_object_get(o, a), b), c));
}

Test(projects, list_is_paginated_with_project_fields)
{
	struct h_resp	*r;
	json_t		*results, *p;
	size_t		i;

	r = h_get(PROJECTS, h_token(H_ACME));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_integer(json_object_get(r->json, "count")));
	cr_assert_geq(h_int(r, "count"), 5);
	results = json_object_get(r->json, "results");
	cr_assert(json_is_array(results));
	cr_assert_geq(json_array_size(results), 5);
	json_array_foreach(results, i, p) {
		h_assert_keys(p, project_keys);
		assert_timestamp(p, "created_at");
		assert_timestamp(p, "updated_at");
	}
	h_free(r);
}

Test(projects, create_with_defaults_then_retrieve)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	char		name[128];

	h_new_tenant("prj", &t);
	(void)snprintf(name, sizeof(name), "%s", h_unique("Defaults"));
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name", name));
	h_assert_keys(p, project_keys);
	cr_assert_gt(h_jint(p, "id"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(p, "name")), name);
	cr_assert_str_eq(json_string_value(json_object_get(p,
	    "description")), "");
	cr_assert_str_eq(json_string_value(json_object_get(p, "status")),
	    "active");
	cr_assert_eq(h_jint(p, "tasks_count"), 0);
	assert_timestamp(p, "created_at");
	assert_timestamp(p, "updated_at");

	r = h_get(h_fmt(PROJECTS "%lld/", h_jint(p, "id")), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_equal(r->json, p), "%s", r->body);
	h_free(r);

	/* The same without the trailing slash. */
	r = h_get(h_fmt(PROJECTS "%lld", h_jint(p, "id")), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_equal(r->json, p), "%s", r->body);
	h_free(r);

	/* And in the list. */
	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1);
	cr_assert(json_equal(json_array_get(json_object_get(r->json,
	    "results"), 0), p));
	h_free(r);
	json_decref(p);
}

Test(projects, create_with_every_field)
{
	struct h_tenant	t;
	json_t		*p;
	char		name[128];

	h_new_tenant("prj", &t);
	(void)snprintf(name, sizeof(name), "%s", h_unique("Full"));
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s, s:s}",
	    "name", name, "description", "A long story", "status",
	    "completed"));
	cr_assert_str_eq(json_string_value(json_object_get(p, "name")), name);
	cr_assert_str_eq(json_string_value(json_object_get(p,
	    "description")), "A long story");
	cr_assert_str_eq(json_string_value(json_object_get(p, "status")),
	    "completed");
	json_decref(p);

	p = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    h_unique("Archived"), "status", "archived"));
	cr_assert_str_eq(json_string_value(json_object_get(p, "status")),
	    "archived");
	json_decref(p);
}

Test(projects, retrieve_unknown_is_404)
{
	struct h_resp	*r;

	r = h_get(PROJECTS "999999999999/", h_token(H_ACME));
	cr_assert_eq(r->status, 404, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "not_found");
	h_free(r);
}

Test(projects, put_replaces_every_field)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	long long	id;
	char		name[128];

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    h_unique("Put"), "description", "before"));
	id = h_jint(p, "id");
	usleep(2000);

	(void)snprintf(name, sizeof(name), "%s", h_unique("Put renamed"));
	r = h_send_json("PUT", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s, s:s, s:s}", "name", name, "description", "after",
	    "status", "archived"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_assert_keys(r->json, project_keys);
	cr_assert_eq(h_int(r, "id"), id);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "description"), "after");
	cr_assert_str_eq(h_str(r, "status"), "archived");
	cr_assert_str_eq(h_str(r, "created_at"),
	    json_string_value(json_object_get(p, "created_at")));
	cr_assert_gt(strcmp(h_str(r, "updated_at"),
	    json_string_value(json_object_get(p, "updated_at"))), 0,
	    "updated_at did not move: %s", r->body);
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "description"), "after");
	cr_assert_str_eq(h_str(r, "status"), "archived");
	h_free(r);
	json_decref(p);
}

Test(projects, put_without_required_name_is_400_and_changes_nothing)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	long long	id;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Put")));
	id = h_jint(p, "id");

	r = h_send_json("PUT", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s, s:s}", "description", "x", "status", "archived"));
	h_assert_error(r, "name",
	    "This field is required.");
	h_free(r);

	/* An empty body is a PUT without its required field too. */
	r = h_req("PUT", h_fmt(PROJECTS "%lld/", id), t.access, "", NULL);
	h_assert_error(r, "name",
	    "This field is required.");
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert(json_equal(r->json, p), "changed: %s", r->body);
	h_free(r);
	json_decref(p);
}

Test(projects, patch_changes_only_the_given_fields)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	long long	id;
	char		name[128];

	h_new_tenant("prj", &t);
	(void)snprintf(name, sizeof(name), "%s", h_unique("Patch"));
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s, s:s}",
	    "name", name, "description", "keep me", "status", "completed"));
	id = h_jint(p, "id");

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s}", "status", "archived"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "description"), "keep me");
	cr_assert_str_eq(h_str(r, "status"), "archived");
	h_free(r);

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s}", "description", ""));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "description"), "");
	cr_assert_str_eq(h_str(r, "status"), "archived");
	h_free(r);

	/* Nothing given: nothing changes but updated_at. */
	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_object());
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "description"), "");
	cr_assert_str_eq(h_str(r, "status"), "archived");
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert_str_eq(h_str(r, "name"), name);
	cr_assert_str_eq(h_str(r, "status"), "archived");
	h_free(r);
	json_decref(p);
}

Test(projects, patch_validates_what_it_is_given)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	long long	id;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("P")));
	id = h_jint(p, "id");

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s}", "name", ""));
	h_assert_error(r, "name",
	    "This field may not be blank.");
	h_free(r);

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", id), t.access,
	    json_pack("{s:s}", "status", "deleted"));
	h_assert_error(r, "status",
	    "\"deleted\" is not a valid choice.");
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert(json_equal(r->json, p), "changed: %s", r->body);
	h_free(r);
	json_decref(p);
}

Test(projects, rename_onto_another_project_name_is_400)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*a, *b;
	char		aname[128];

	h_new_tenant("prj", &t);
	(void)snprintf(aname, sizeof(aname), "%s", h_unique("Taken"));
	a = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    aname));
	b = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("B")));

	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", h_jint(b, "id")),
	    t.access, json_pack("{s:s}", "name", aname));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_not_null(h_first_error(r, "name"), "%s", r->body);
	h_free(r);

	r = h_send_json("PUT", h_fmt(PROJECTS "%lld/", h_jint(b, "id")),
	    t.access, json_pack("{s:s}", "name", aname));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_not_null(h_first_error(r, "name"), "%s", r->body);
	h_free(r);

	/* Its own name again is no conflict. */
	r = h_send_json("PUT", h_fmt(PROJECTS "%lld/", h_jint(a, "id")),
	    t.access, json_pack("{s:s, s:s}", "name", aname, "description",
	    "same name"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/", h_jint(b, "id")), t.access);
	cr_assert(json_equal(r->json, b), "changed: %s", r->body);
	h_free(r);
	json_decref(a);
	json_decref(b);
}

Test(projects, delete_removes_its_tasks_and_documents)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p, *other;
	long long	id, t1, t2, d1, d2, keep_task, keep_doc, loose_doc;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Del")));
	other = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Keep")));
	id = h_jint(p, "id");
	t1 = new_task(t.access, id, "todo", NULL);
	t2 = new_task(t.access, id, "done", NULL);
	d1 = new_document(t.access, id);
	d2 = new_document(t.access, id);
	keep_task = new_task(t.access, h_jint(other, "id"), "todo", NULL);
	keep_doc = new_document(t.access, h_jint(other, "id"));
	loose_doc = new_document(t.access, 0);

	r = h_req("DELETE", h_fmt(PROJECTS "%lld/", id), t.access, NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	cr_assert_eq(r->len, 0, "204 with a body: %s", r->body);
	h_free(r);

	cr_assert_eq(status_of(h_fmt(PROJECTS "%lld/", id), t.access), 404);
	cr_assert_eq(status_of(h_fmt(PROJECTS "%lld/tasks/", id), t.access),
	    404);
	cr_assert_eq(status_of(h_fmt("/api/v1/tasks/%lld/", t1), t.access),
	    404);
	cr_assert_eq(status_of(h_fmt("/api/v1/tasks/%lld/", t2), t.access),
	    404);
	cr_assert_eq(status_of(h_fmt("/api/v1/documents/%lld/", d1),
	    t.access), 404);
	cr_assert_eq(status_of(h_fmt("/api/v1/documents/%lld/", d2),
	    t.access), 404);

	/* Nothing else went with it. */
	cr_assert_eq(status_of(h_fmt(PROJECTS "%lld/", h_jint(other, "id")),
	    t.access), 200);
	cr_assert_eq(status_of(h_fmt("/api/v1/tasks/%lld/", keep_task),
	    t.access), 200);
	cr_assert_eq(status_of(h_fmt("/api/v1/documents/%lld/", keep_doc),
	    t.access), 200);
	cr_assert_eq(status_of(h_fmt("/api/v1/documents/%lld/", loose_doc),
	    t.access), 200);

	r = h_get("/api/v1/tasks/", t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
	r = h_get("/api/v1/documents/", t.access);
	cr_assert_eq(h_int(r, "count"), 2, "%s", r->body);
	h_free(r);

	/* Gone is gone. */
	r = h_req("DELETE", h_fmt(PROJECTS "%lld/", id), t.access, NULL, NULL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	json_decref(p);
	json_decref(other);
}

Test(projects, tasks_count_follows_the_tasks)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;
	long long	id, t1;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Cnt")));
	id = h_jint(p, "id");
	t1 = new_task(t.access, id, "todo", NULL);
	(void)new_task(t.access, id, "in_progress", NULL);
	(void)new_task(t.access, id, "done", NULL);

	r = h_get(h_fmt(PROJECTS "%lld/", id), t.access);
	cr_assert_eq(h_int(r, "tasks_count"), 3, "%s", r->body);
	h_free(r);

	r = h_req("DELETE", h_fmt("/api/v1/tasks/%lld/", t1), t.access, NULL,
	    NULL);
	cr_assert_eq(r->status, 204);
	h_free(r);

	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_jint(json_array_get(json_object_get(r->json, "results"),
	    0), "tasks_count"), 2, "%s", r->body);
	h_free(r);
	json_decref(p);
}

Test(projects, tasks_of_a_project_are_paginated)
{
	struct h_tenant	t;
	struct h_resp	*r, *r2;
	json_t		*p, *other, *task;
	long long	id;
	size_t		i;
	const char	*next;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Pt")));
	other = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("Other")));
	id = h_jint(p, "id");
	for (i = 0; i < 3; i++)
		(void)new_task(t.access, id, i == 0 ? "done" : "todo", NULL);
	(void)new_task(t.access, h_jint(other, "id"), "todo", NULL);

	r = h_get(h_fmt(PROJECTS "%lld/tasks/", id), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 3, "%s", r->body);
	cr_assert(json_is_null(json_object_get(r->json, "next")));
	cr_assert(json_is_null(json_object_get(r->json, "previous")));
	json_array_foreach(json_object_get(r->json, "results"), i, task) {
		cr_assert_eq(h_jint(task, "project"), id);
		cr_assert_str_eq(json_string_value(json_object_get(task,
		    "project_name")), json_string_value(json_object_get(p,
		    "name")));
	}
	h_free(r);

	/* Two pages of two. */
	r = h_get(h_fmt(PROJECTS "%lld/tasks/?page_size=2", id), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 2);
	next = h_str(r, "next");
	cr_assert_not_null(next, "%s", r->body);
	cr_assert_str_eq(next, h_fmt("%s" PROJECTS "%lld/tasks/?page=2&"
	    "page_size=2", h_base_url(), id));
	r2 = h_req_url("GET", next, t.access, NULL, NULL);
	cr_assert_eq(r2->status, 200, "%s", r2->body);
	cr_assert_eq(json_array_size(json_object_get(r2->json, "results")),
	    1);
	cr_assert(json_is_null(json_object_get(r2->json, "next")));
	h_free(r2);
	h_free(r);

	/* Its filters apply within the project. */
	r = h_get(h_fmt(PROJECTS "%lld/tasks/?status=todo", id), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 2, "%s", r->body);
	h_free(r);

	r = h_get(h_fmt(PROJECTS "%lld/tasks/", h_jint(other, "id")), t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
	json_decref(p);
	json_decref(other);
}

Test(projects, tasks_of_an_empty_project_and_of_no_project)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p;

	h_new_tenant("prj", &t);
	p = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("E")));

	r = h_get(h_fmt(PROJECTS "%lld/tasks/", h_jint(p, "id")), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 0);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 0);
	h_free(r);

	r = h_get(PROJECTS "999999999999/tasks/", t.access);
	cr_assert_eq(r->status, 404, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "not_found");
	h_free(r);
	json_decref(p);
}

Test(projects, wrong_methods_are_405)
{
	struct h_resp	*r;
	char		allow[256];

	r = h_post(PROJECTS "1/", h_token(H_ACME), "{}");
	cr_assert_eq(r->status, 405, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "method_not_allowed");
	cr_assert_not_null(h_header(r, "allow", allow, sizeof(allow)));
	cr_assert(strstr(allow, "PATCH") != NULL, "Allow: %s", allow);
	h_free(r);

	r = h_post(PROJECTS "statistics/", h_token(H_ACME), "{}");
	cr_assert_eq(r->status, 405, "%s", r->body);
	h_free(r);

	r = h_req("DELETE", PROJECTS, h_token(H_ACME), NULL, NULL);
	cr_assert_eq(r->status, 405, "%s", r->body);
	h_free(r);

	r = h_post(PROJECTS "1/tasks/", h_token(H_ACME), "{}");
	cr_assert_eq(r->status, 405, "%s", r->body);
	h_free(r);
}

Test(statistics, empty_tenant_has_every_key_at_zero)
{
	static const char *const top[] = { "total_projects", "active_projects",
	    "completed_projects", "archived_projects", "projects_with_tasks",
	    "projects", "tasks", "documents", NULL };
	static const char *const pkeys[] = { "total", "by_status", NULL };
	static const char *const pstat[] = { "active", "completed",
	    "archived", NULL };
	static const char *const tkeys[] = { "total", "by_status", "overdue",
	    NULL };
	static const char *const tstat[] = { "todo", "in_progress", "done",
	    NULL };
	static const char *const dkeys[] = { "total", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*o;
	size_t		i;

	h_new_tenant("stat", &t);
	r = h_get(PROJECTS "statistics/", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_assert_keys(r->json, top);
	for (i = 0; i < 5; i++)
		cr_assert_eq(h_jint(r->json, top[i]), 0, "%s", top[i]);

	o = json_object_get(r->json, "projects");
	h_assert_keys(o, pkeys);
	cr_assert_eq(h_jint(o, "total"), 0);
	h_assert_keys(json_object_get(o, "by_status"), pstat);
	for (i = 0; pstat[i] != NULL; i++)
		cr_assert_eq(num2(o, "by_status", pstat[i]), 0);

	o = json_object_get(r->json, "tasks");
	h_assert_keys(o, tkeys);
	cr_assert_eq(h_jint(o, "total"), 0);
	cr_assert_eq(h_jint(o, "overdue"), 0);
	h_assert_keys(json_object_get(o, "by_status"), tstat);
	for (i = 0; tstat[i] != NULL; i++)
		cr_assert_eq(num2(o, "by_status", tstat[i]), 0);

	o = json_object_get(r->json, "documents");
	h_assert_keys(o, dkeys);
	cr_assert_eq(h_jint(o, "total"), 0);
	h_free(r);
}

/* Every number of the statistics, compared with what this test made. */
static void
assert_stats(const char *token, long long active, long long completed,
    long long archived, long long with_tasks, long long todo,
    long long in_progress, long long done, long long overdue,
    long long documents)
{
	struct h_resp	*r;
	json_t		*s;
	long long	total;

	r = h_get(PROJECTS "statistics/", token);
	cr_assert_eq(r->status, 200, "%s", r->body);
	s = r->json;
	total = active + completed + archived;

	cr_assert_eq(h_jint(s, "total_projects"), total, "%s", r->body);
	cr_assert_eq(h_jint(s, "active_projects"), active, "%s", r->body);
	cr_assert_eq(h_jint(s, "completed_projects"), completed, "%s", r->body);
	cr_assert_eq(h_jint(s, "archived_projects"), archived, "%s", r->body);
	cr_assert_eq(h_jint(s, "projects_with_tasks"), with_tasks, "%s",
	    r->body);
	cr_assert_eq(num2(s, "projects", "total"), total, "%s", r->body);
	cr_assert_eq(num3(s, "projects", "by_status", "active"), active);
	cr_assert_eq(num3(s, "projects", "by_status", "completed"),
	    completed);
	cr_assert_eq(num3(s, "projects", "by_status", "archived"), archived);
	cr_assert_eq(num2(s, "tasks", "total"), todo + in_progress + done,
	    "%s", r->body);
	cr_assert_eq(num3(s, "tasks", "by_status", "todo"), todo, "%s",
	    r->body);
	cr_assert_eq(num3(s, "tasks", "by_status", "in_progress"),
	    in_progress, "%s", r->body);
	cr_assert_eq(num3(s, "tasks", "by_status", "done"), done, "%s",
	    r->body);
	cr_assert_eq(num2(s, "tasks", "overdue"), overdue, "%s", r->body);
	cr_assert_eq(num2(s, "documents", "total"), documents, "%s",
	    r->body);
	h_free(r);
}

Test(statistics, follow_the_tenants_data)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*p1, *p2, *p3, *p4;
	long long	id1, id2, late;

	h_new_tenant("stat", &t);

	p1 = h_create_json(PROJECTS, t.access, json_pack("{s:s}", "name",
	    h_unique("S1")));
	assert_stats(t.access, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	p2 = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    h_unique("S2"), "status", "active"));
	p3 = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    h_unique("S3"), "status", "completed"));
	p4 = h_create_json(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    h_unique("S4"), "status", "archived"));
	id1 = h_jint(p1, "id");
	id2 = h_jint(p2, "id");
	assert_stats(t.access, 2, 1, 1, 0, 0, 0, 0, 0, 0);

	/* Overdue: not done and due before today. */
	late = new_task(t.access, id1, "todo", "2000-01-01");
	(void)new_task(t.access, id1, "in_progress", "2999-12-31");
	(void)new_task(t.access, id1, "done", "2000-01-01");
	(void)new_task(t.access, id2, "todo", NULL);
	assert_stats(t.access, 2, 1, 1, 2, 2, 1, 1, 1, 0);

	(void)new_document(t.access, id1);
	(void)new_document(t.access, 0);
	assert_stats(t.access, 2, 1, 1, 2, 2, 1, 1, 1, 2);

	/* A status change moves a project between the counts. */
	r = h_send_json("PATCH", h_fmt(PROJECTS "%lld/", h_jint(p4, "id")),
	    t.access, json_pack("{s:s}", "status", "completed"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	assert_stats(t.access, 2, 2, 0, 2, 2, 1, 1, 1, 2);

	/* Completing the late task: no longer overdue. */
	r = h_post(h_fmt("/api/v1/tasks/%lld/complete/", late), t.access, "");
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	assert_stats(t.access, 2, 2, 0, 2, 1, 1, 2, 0, 2);

	/* Deleting p1 takes its three tasks and its document. */
	r = h_req("DELETE", h_fmt(PROJECTS "%lld/", id1), t.access, NULL,
	    NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	h_free(r);
	assert_stats(t.access, 1, 2, 0, 1, 1, 0, 0, 0, 1);

	json_decref(p1);
	json_decref(p2);
	json_decref(p3);
	json_decref(p4);
}
