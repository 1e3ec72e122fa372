/*
 * Tasks: /api/v1/tasks/, /{id}/, /{id}/complete/ and /by-status/.
 *
 * Every test that writes does so in a tenant of its own (h_new_tenant).
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define TASKS		"/api/v1/tasks/"
#define NAME_LEN	128

static const char *const task_keys[] = { "id", "project", "project_name",
    "title", "description", "status", "priority", "due_date",
    "completed_at", "created_at", "updated_at", NULL };

static const char *const detail_keys[] = { "id", "project", "project_name",
    "title", "description", "status", "priority", "due_date",
    "completed_at", "created_at", "updated_at", "project_details", NULL };

Test(tasks, create_with_defaults)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	char		pname[NAME_LEN];
	long long	pid;

	h_new_tenant("tsk", &t);
	(void)snprintf(pname, sizeof(pname), "%s", h_unique("Tasks project"));
	pid = h_new_project(t.access, pname);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Write the tests"));
	h_assert_keys(task, task_keys);
	cr_assert_gt(h_jint(task, "id"), 0);
	cr_assert_eq(h_jint(task, "project"), pid);
	cr_assert_str_eq(h_jstr(task, "project_name"), pname);
	cr_assert_str_eq(h_jstr(task, "title"), "Write the tests");
	cr_assert_str_eq(h_jstr(task, "description"), "");
	cr_assert_str_eq(h_jstr(task, "status"), "todo");
	cr_assert_str_eq(h_jstr(task, "priority"), "medium");
	cr_assert(json_is_null(json_object_get(task, "due_date")));
	cr_assert(json_is_null(json_object_get(task, "completed_at")));
	cr_assert_not_null(h_jstr(task, "created_at"));
	cr_assert_not_null(h_jstr(task, "updated_at"));

	/* In the list too, without project_details. */
	r = h_get(TASKS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	cr_assert(json_equal(json_array_get(json_object_get(r->json,
	    "results"), 0), task), "%s", r->body);
	h_free(r);
	json_decref(task);
}

Test(tasks, create_with_every_field)
{
	struct h_tenant	t;
	json_t		*task;
	long long	pid;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access,
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "project",
	    (json_int_t)pid, "title", "All of it", "description",
	    "Every field given", "status", "in_progress", "priority",
	    "critical", "due_date", "2030-06-15"));
	cr_assert_str_eq(h_jstr(task, "description"), "Every field given");
	cr_assert_str_eq(h_jstr(task, "status"), "in_progress");
	cr_assert_str_eq(h_jstr(task, "priority"), "critical");
	cr_assert_str_eq(h_jstr(task, "due_date"), "2030-06-15");
	cr_assert(json_is_null(json_object_get(task, "completed_at")));
	json_decref(task);

	/* Created done: completed at once. */
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "Born done", "status",
	    "done"));
	cr_assert_str_eq(h_jstr(task, "status"), "done");
	cr_assert_not_null(h_jstr(task, "completed_at"), "no completed_at");
	json_decref(task);
}

Test(tasks, retrieve_has_project_details_and_nothing_else_does)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task, *detail, *project;
	long long	pid, id;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Details"));
	id = h_jint(task, "id");
	cr_assert_null(json_object_get(task, "project_details"));

	detail = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	h_assert_keys(detail, detail_keys);
	r = h_get(h_fmt("/api/v1/projects/%lld/", pid), t.access);
	cr_assert_eq(r->status, 200);
	project = json_object_get(detail, "project_details");
	cr_assert(json_equal(project, r->json), "project_details %s vs %s",
	    json_dumps(project, JSON_COMPACT), r->body);
	cr_assert_eq(h_jint(project, "tasks_count"), 1);
	h_free(r);

	/* Apart from it, the same object as create answered. */
	json_object_del(detail, "project_details");
	cr_assert(json_equal(detail, task));

	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s}", "title", "Details 2"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_assert_keys(r->json, task_keys);
	h_free(r);

	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:I, s:s}", "project", (json_int_t)pid, "title",
	    "Details 3"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_assert_keys(r->json, task_keys);
	h_free(r);

	r = h_post(h_fmt(TASKS "%lld/complete/", id), t.access, "");
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_assert_keys(r->json, task_keys);
	h_free(r);

	r = h_get(TASKS, t.access);
	h_assert_keys(json_array_get(json_object_get(r->json, "results"), 0),
	    task_keys);
	h_free(r);
	json_decref(task);
	json_decref(detail);
}

Test(tasks, project_name_follows_the_project)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, pid2;
	char		name2[NAME_LEN];

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	(void)snprintf(name2, sizeof(name2), "%s", h_unique("Tasks project"));
	pid2 = h_new_project(t.access, name2);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Moves"));

	r = h_send_json("PATCH", h_fmt("/api/v1/projects/%lld/", pid), t.access,
	    json_pack("{s:s}", "name", "Renamed project"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	r = h_get(h_fmt(TASKS "%lld/", h_jint(task, "id")), t.access);
	cr_assert_str_eq(h_str(r, "project_name"), "Renamed project");
	cr_assert_str_eq(h_jstr(json_object_get(r->json, "project_details"),
	    "name"), "Renamed project");
	h_free(r);

	/* Moved to another project of the tenant. */
	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", h_jint(task, "id")),
	    t.access, json_pack("{s:I}", "project", (json_int_t)pid2));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "project"), pid2);
	cr_assert_str_eq(h_str(r, "project_name"), name2);
	h_free(r);
	json_decref(task);
}

Test(tasks, put_replaces_and_requires)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task, *before;
	long long	pid, id;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "Old", "description", "old",
	    "due_date", "2030-01-01"));
	id = h_jint(task, "id");

	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:n}", "project",
	    (json_int_t)pid, "title", "New", "description", "new", "status",
	    "in_progress", "priority", "high", "due_date"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "id"), id);
	cr_assert_str_eq(h_str(r, "title"), "New");
	cr_assert_str_eq(h_str(r, "description"), "new");
	cr_assert_str_eq(h_str(r, "status"), "in_progress");
	cr_assert_str_eq(h_str(r, "priority"), "high");
	cr_assert(json_is_null(json_object_get(r->json, "due_date")));
	h_free(r);

	before = h_get_json(h_fmt(TASKS "%lld/", id), t.access);

	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:I}", "project", (json_int_t)pid));
	h_assert_error(r, "title", "This field is required.");
	h_free(r);

	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s}", "title", "No project"));
	h_assert_error(r, "project", "This field is required.");
	h_free(r);

	r = h_req("PUT", h_fmt(TASKS "%lld/", id), t.access, "{}", NULL);
	h_assert_error(r, "project", "This field is required.");
	h_assert_error(r, "title", "This field is required.");
	h_free(r);

	task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	cr_assert(json_equal(task, before), "changed: %s",
	    json_dumps(task, JSON_COMPACT));
	json_decref(task);
	json_decref(before);
}

Test(tasks, patch_changes_only_the_given_fields)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, id;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access,
	    json_pack("{s:I, s:s, s:s, s:s, s:s}", "project", (json_int_t)pid,
	    "title", "Patch me", "description", "stays", "priority", "low",
	    "due_date", "2031-03-04"));
	id = h_jint(task, "id");

	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s}", "priority", "critical"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "priority"), "critical");
	cr_assert_str_eq(h_str(r, "title"), "Patch me");
	cr_assert_str_eq(h_str(r, "description"), "stays");
	cr_assert_str_eq(h_str(r, "status"), "todo");
	cr_assert_str_eq(h_str(r, "due_date"), "2031-03-04");
	cr_assert_eq(h_int(r, "project"), pid);
	h_free(r);

	/* due_date may be cleared. */
	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:n}", "due_date"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(json_object_get(r->json, "due_date")));
	cr_assert_str_eq(h_str(r, "priority"), "critical");
	h_free(r);

	json_decref(task);
	task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	cr_assert(json_is_null(json_object_get(task, "due_date")));
	cr_assert_str_eq(h_jstr(task, "priority"), "critical");
	cr_assert_str_eq(h_jstr(task, "title"), "Patch me");
	json_decref(task);
}

Test(tasks, completed_at_is_set_on_done_and_cleared_on_leaving)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, id;
	char		first[64];

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Lifecycle"));
	id = h_jint(task, "id");
	cr_assert(json_is_null(json_object_get(task, "completed_at")));

	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s}", "status", "done"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_not_null(h_str(r, "completed_at"), "%s", r->body);
	(void)snprintf(first, sizeof(first), "%s", h_str(r, "completed_at"));
	h_free(r);
	usleep(2000);

	/* Staying done keeps the time; other changes keep it too. */
	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s, s:s}", "status", "done", "title", "Still done"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "completed_at"), first);
	h_free(r);

	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:I, s:s}", "project", (json_int_t)pid, "title",
	    "PUT without a status"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "status"), "done");
	cr_assert_str_eq(h_str(r, "completed_at"), first);
	h_free(r);

	/* Leaving done clears it. */
	r = h_send_json("PATCH", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:s}", "status", "in_progress"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(json_object_get(r->json, "completed_at")),
	    "%s", r->body);
	h_free(r);

	json_decref(task);
	task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	cr_assert(json_is_null(json_object_get(task, "completed_at")));
	json_decref(task);

	/* Done again: a new time. */
	r = h_send_json("PUT", h_fmt(TASKS "%lld/", id), t.access,
	    json_pack("{s:I, s:s, s:s}", "project", (json_int_t)pid, "title",
	    "Again", "status", "done"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_not_null(h_str(r, "completed_at"), "%s", r->body);
	cr_assert_gt(strcmp(h_str(r, "completed_at"), first), 0);
	h_free(r);
}

Test(tasks, complete_is_idempotent)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task;
	long long	pid, id;
	char		first[64];

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "Finish me", "status",
	    "in_progress"));
	id = h_jint(task, "id");

	r = h_post(h_fmt(TASKS "%lld/complete/", id), t.access, "");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "id"), id);
	cr_assert_str_eq(h_str(r, "status"), "done");
	cr_assert_str_eq(h_str(r, "title"), "Finish me");
	cr_assert_not_null(h_str(r, "completed_at"), "%s", r->body);
	(void)snprintf(first, sizeof(first), "%s", h_str(r, "completed_at"));
	h_free(r);
	usleep(2000);

	r = h_post(h_fmt(TASKS "%lld/complete/", id), t.access, "");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "status"), "done");
	cr_assert_str_eq(h_str(r, "completed_at"), first);
	h_free(r);

	/* Without the trailing slash, and with a JSON body: the same. */
	r = h_post(h_fmt(TASKS "%lld/complete", id), t.access, "{}");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "completed_at"), first);
	h_free(r);

	json_decref(task);
	task = h_get_json(h_fmt(TASKS "%lld/", id), t.access);
	cr_assert_str_eq(h_jstr(task, "status"), "done");
	cr_assert_str_eq(h_jstr(task, "completed_at"), first);
	json_decref(task);

	r = h_post(TASKS "999999999999/complete/", t.access, "");
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);

	r = h_get(h_fmt(TASKS "%lld/complete/", id), t.access);
	cr_assert_eq(r->status, 405, "%s", r->body);
	h_free(r);
}

Test(tasks, delete_is_204_then_404)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*task, *keep;
	long long	pid;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	task = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Doomed"));
	keep = h_create_json(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "Kept"));

	r = h_req("DELETE", h_fmt(TASKS "%lld/", h_jint(task, "id")), t.access,
	    NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	cr_assert_eq(r->len, 0);
	h_free(r);

	r = h_get(h_fmt(TASKS "%lld/", h_jint(task, "id")), t.access);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	r = h_req("DELETE", h_fmt(TASKS "%lld/", h_jint(task, "id")), t.access,
	    NULL, NULL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);
	r = h_post(h_fmt(TASKS "%lld/complete/", h_jint(task, "id")), t.access,
	    "");
	cr_assert_eq(r->status, 404, "%s", r->body);
	h_free(r);

	/* The project and its other task stay. */
	r = h_get(h_fmt(TASKS "%lld/", h_jint(keep, "id")), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	r = h_get(h_fmt("/api/v1/projects/%lld/", pid), t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "tasks_count"), 1);
	h_free(r);
	json_decref(task);
	json_decref(keep);
}

Test(tasks, by_status_lists_one_status)
{
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid, todo[2], prog[1], done[3];
	size_t		i;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	for (i = 0; i < 2; i++) {
		todo[i] = h_create(TASKS, t.access, json_pack("{s:I, s:s}",
		    "project", (json_int_t)pid, "title", "todo"));
	}
	prog[0] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "prog", "status",
	    "in_progress"));
	for (i = 0; i < 3; i++) {
		done[i] = h_create(TASKS, t.access,
		    json_pack("{s:I, s:s, s:s}", "project", (json_int_t)pid,
		    "title", "done", "status", "done"));
	}

	h_assert_ids(TASKS "by-status/?status=todo", t.access, todo, 2);
	h_assert_ids(TASKS "by-status/?status=in_progress", t.access, prog, 1);
	h_assert_ids(TASKS "by-status/?status=done", t.access, done, 3);
	h_assert_ids(TASKS "by-status?status=done", t.access, done, 3);

	/* Paginated like every list. */
	r = h_get(TASKS "by-status/?status=done&page_size=2", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 3);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 2);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s" TASKS "by-status/"
	    "?page=2&page_size=2&status=done", h_base_url()));
	h_free(r);

	/* Completing moves a task between the lists. */
	r = h_post(h_fmt(TASKS "%lld/complete/", prog[0]), t.access, "");
	cr_assert_eq(r->status, 200);
	h_free(r);
	h_assert_ids(TASKS "by-status/?status=in_progress", t.access, NULL, 0);
}

Test(tasks, by_status_needs_a_valid_status)
{
	struct h_resp	*r;

	r = h_get(TASKS "by-status/", h_token(H_ACME));
	h_assert_error(r, "status", "This field is required.");
	h_free(r);

	r = h_get(TASKS "by-status/?status=", h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);

	r = h_get(TASKS "by-status/?status=finished", h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_not_null(h_first_error(r, "status"), "%s", r->body);
	h_free(r);

	r = h_get(TASKS "by-status/?status=DONE", h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);

	r = h_get(TASKS "by-status/?status=todo&page=0", h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);

	r = h_get(TASKS "by-status/?status=todo&ordering=nope",
	    h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%s", r->body);
	h_free(r);
}

Test(tasks, filters)
{
	struct h_tenant	t;
	long long	p1, p2, a, b, c, d, ids[4];

	h_new_tenant("tsk", &t);
	p1 = h_new_project(t.access, NULL);
	p2 = h_new_project(t.access, NULL);

	a = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s, s:s}",
	    "project", (json_int_t)p1, "title", "Alpha Report", "status",
	    "todo", "priority", "high"));
	b = h_create(TASKS, t.access,
	    json_pack("{s:I, s:s, s:s, s:s, s:s}", "project", (json_int_t)p1,
	    "title", "Beta", "status", "done", "priority", "low", "description",
	    "mentions report"));
	c = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s, s:s}",
	    "project", (json_int_t)p2, "title", "final REPORT", "status",
	    "todo", "priority", "low"));
	d = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s, s:s}",
	    "project", (json_int_t)p2, "title", "Gamma", "status",
	    "in_progress", "priority", "critical"));

	ids[0] = a;
	ids[1] = b;
	h_assert_ids(h_fmt(TASKS "?project=%lld", p1), t.access, ids, 2);
	ids[0] = c;
	ids[1] = d;
	h_assert_ids(h_fmt(TASKS "?project=%lld", p2), t.access, ids, 2);

	ids[0] = a;
	ids[1] = c;
	h_assert_ids(TASKS "?status=todo", t.access, ids, 2);
	ids[0] = d;
	h_assert_ids(TASKS "?status=in_progress", t.access, ids, 1);
	ids[0] = b;
	ids[1] = c;
	h_assert_ids(TASKS "?priority=low", t.access, ids, 2);
	ids[0] = d;
	h_assert_ids(TASKS "?priority=critical", t.access, ids, 1);
	h_assert_ids(TASKS "?priority=medium", t.access, NULL, 0);

	/* search: the title only, case-insensitive. */
	ids[0] = a;
	ids[1] = c;
	h_assert_ids(TASKS "?search=report", t.access, ids, 2);
	h_assert_ids(TASKS "?search=RePoRt", t.access, ids, 2);
	ids[0] = d;
	h_assert_ids(TASKS "?search=amm", t.access, ids, 1);
	h_assert_ids(TASKS "?search=nothing-like-it", t.access, NULL, 0);

	/* Filters combine. */
	ids[0] = c;
	h_assert_ids(h_fmt(TASKS "?project=%lld&status=todo&priority=low&"
	    "search=report", p2), t.access, ids, 1);
	h_assert_ids(h_fmt(TASKS "?project=%lld&priority=critical", p1),
	    t.access, NULL, 0);

	/* A project with nothing in it, or that does not exist. */
	h_assert_ids(TASKS "?project=999999999999", t.access, NULL, 0);
}

Test(tasks, bad_filter_values_are_400)
{
	static const char *const bad[] = { "project=abc", "project=0",
	    "project=-1", "project=1.5", "project=99999999999999999999",
	    "project=9223372036854775808", "status=open", "status=TODO",
	    "priority=urgent", "priority=", "ordering=colour",
	    "ordering=-", "page=0", "page=x", NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; bad[i] != NULL; i++) {
		r = h_get(h_fmt(TASKS "?%s", bad[i]), h_token(H_ACME));
		if (!strcmp(bad[i], "priority=")) {
			/* An empty value is no filter, as in django-filter. */
			cr_assert_eq(r->status, 200, "%s: %s", bad[i],
			    r->body);
		} else {
			cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i],
			    r->status, r->body);
			cr_assert_str_eq(h_str(r, "code"), "invalid");
		}
		h_free(r);
	}
}

Test(tasks, create_validates)
{
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);

	r = h_send_json("POST", TASKS, t.access, json_object());
	h_assert_error(r, "project", "This field is required.");
	h_assert_error(r, "title", "This field is required.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)pid, "title", ""));
	h_assert_error(r, "title", "This field may not be blank.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "x", "status", "closed"));
	h_assert_error(r, "status", "\"closed\" is not a valid choice.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "x", "priority", "urgent"));
	h_assert_error(r, "priority", "\"urgent\" is not a valid choice.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)pid, "title", "x", "due_date",
	    "31/12/2030"));
	h_assert_error(r, "due_date", "Date has wrong format. Use one of these "
	    "formats instead: YYYY-MM-DD.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:n, s:s}",
	    "project", "title", "x"));
	h_assert_error(r, "project", "This field may not be null.");
	h_free(r);

	r = h_send_json("POST", TASKS, t.access, json_pack("{s:I, s:s}",
	    "project", (json_int_t)999999999999LL, "title", "x"));
	h_assert_error(r, "project", "Invalid pk \"999999999999\" - object "
	    "does not exist.");
	h_free(r);

	/* Nothing was made. */
	h_assert_ids(TASKS, t.access, NULL, 0);
}

Test(tasks, unknown_id_is_404_for_every_method)
{
	static const char *const methods[] = { "GET", "PUT", "PATCH",
	    "DELETE", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	long long	pid;
	size_t		i;

	h_new_tenant("tsk", &t);
	pid = h_new_project(t.access, NULL);
	for (i = 0; methods[i] != NULL; i++) {
		r = h_req(methods[i], TASKS "999999999999/", t.access,
		    strcmp(methods[i], "GET") && strcmp(methods[i], "DELETE") ?
		    h_fmt("{\"project\":%lld,\"title\":\"x\"}", pid) : NULL,
		    NULL);
		cr_assert_eq(r->status, 404, "%s: %ld %s", methods[i],
		    r->status, r->body);
		cr_assert_str_eq(h_str(r, "code"), "not_found");
		h_free(r);
	}
}
