/*
 * Tenant isolation: a token of tenant A against the objects of tenant B,
 * for every route and method of the resources. Each answer must be the
 * 404 (or, for a reference in a body, the 400) that an id which exists
 * nowhere gets, and B's data must be exactly as before. Lists,
 * statistics, search and filters never show a row of another tenant.
 *
 * Objects that a broken server could change belong to tenants made here
 * (h_new_tenant); the fixture tenants are only read.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define TASKS		"/api/v1/tasks/"
#define DOCUMENTS	"/api/v1/documents/"
#define NOWHERE		987654321987LL	/* an id no tenant has */

/* A tenant and one object of each kind (doc2 has no project). */
struct side {
	struct h_tenant	t;
	long long	project;
	long long	task;
	long long	doc;
	long long	doc2;
	char		secret[64];
};

static void	make_side(const char *, struct side *);
static json_t	*snapshot(const struct side *);
static void	assert_unchanged(const struct side *, json_t *);
static json_t	*all_rows(const char *, const char *);
static json_t	*ids_of(json_t *);
static void	attack(const char *, const struct side *, long long);
static const char	*client_token(int);

/* A fresh tenant with a project, a task and two documents. */
static void
make_side(const char *prefix, struct side *s)
{
	memset(s, 0, sizeof(*s));
	h_new_tenant(prefix, &s->t);
	(void)snprintf(s->secret, sizeof(s->secret), "%s",
	    h_unique("secret"));

	s->project = h_create(PROJECTS, s->t.access, json_pack("{s:s, s:s}",
	    "name", s->secret, "description", "private"));
	s->task = h_create(TASKS, s->t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)s->project, "title", s->secret, "due_date",
	    "2000-01-01"));
	s->doc = h_create(DOCUMENTS, s->t.access, json_pack("{s:I, s:s, s:s, "
	    "s:i, s:s, s:{s:s}}", "project", (json_int_t)s->project, "name",
	    s->secret, "file_path", "private/file", "file_size", 77,
	    "content_type", h_fmt("application/x-%s", s->secret), "metadata",
	    "owner", s->t.slug));
	s->doc2 = h_create(DOCUMENTS, s->t.access, json_pack("{s:s, s:s, s:i, "
	    "s:s}", "name", "loose", "file_path", "loose", "file_size", 1,
	    "content_type", "text/plain"));
}

/* Everything the side can see, with its own token. */
static json_t *
snapshot(const struct side *s)
{
	static const char *const lists[] = { PROJECTS "?page_size=100",
	    TASKS "?page_size=100", DOCUMENTS "?page_size=100",
	    PROJECTS "statistics/", NULL };
	struct h_resp	*r;
	json_t		*snap;
	char		paths[5][128];
	size_t		i;

	snap = json_object();
	(void)snprintf(paths[0], sizeof(paths[0]), PROJECTS "%lld/",
	    s->project);
	(void)snprintf(paths[1], sizeof(paths[1]), TASKS "%lld/", s->task);
	(void)snprintf(paths[2], sizeof(paths[2]), DOCUMENTS "%lld/", s->doc);
	(void)snprintf(paths[3], sizeof(paths[3]), DOCUMENTS "%lld/",
	    s->doc2);
	(void)snprintf(paths[4], sizeof(paths[4]), PROJECTS "%lld/tasks/",
	    s->project);
	for (i = 0; i < 5; i++) {
		r = h_get(paths[i], s->t.access);
		cr_assert_eq(r->status, 200, "%s: %ld %s", paths[i],
		    r->status, r->body);
		json_object_set(snap, paths[i], r->json);
		h_free(r);
	}
	for (i = 0; lists[i] != NULL; i++) {
		r = h_get(lists[i], s->t.access);
		cr_assert_eq(r->status, 200, "%s: %ld %s", lists[i],
		    r->status, r->body);
		json_object_set(snap, lists[i], r->json);
		h_free(r);
	}

	return (snap);
}

static void
assert_unchanged(const struct side *s, json_t *before)
{
	json_t		*after, *v;
	const char	*k;

	after = snapshot(s);
	json_object_foreach(before, k, v) {
		cr_assert(json_equal(v, json_object_get(after, k)),
		    "%s changed:\nbefore %s\nafter  %s", k,
		    json_dumps(v, JSON_COMPACT),
		    json_dumps(json_object_get(after, k), JSON_COMPACT));
	}
	json_decref(after);
}

/* Every row of a list, page after page. */
static json_t *
all_rows(const char *path, const char *token)
{
	struct h_resp	*r;
	json_t		*rows, *row;
	char		url[1024];
	const char	*next;
	size_t		i, pages;

	rows = json_array();
	(void)snprintf(url, sizeof(url), "%s%s%spage_size=100", h_base_url(),
	    path, strchr(path, '?') != NULL ? "&" : "?");
	for (pages = 0; url[0] != '\0'; pages++) {
		cr_assert_lt(pages, 100);
		r = h_req_url("GET", url, token, NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %ld %s", url, r->status,
		    r->body);
		json_array_foreach(json_object_get(r->json, "results"), i,
		    row)
			json_array_append(rows, row);
		url[0] = '\0';
		if ((next = h_str(r, "next")) != NULL)
			(void)snprintf(url, sizeof(url), "%s", next);
		h_free(r);
	}

	return (rows);
}

/* {"<id>": true, ...} of rows. */
static json_t *
ids_of(json_t *rows)
{
	json_t		*ids, *row;
	size_t		i;

	ids = json_object();
	json_array_foreach(rows, i, row)
		json_object_set_new(ids, h_fmt("%lld", (long long)
		    json_integer_value(json_object_get(row, "id"))),
		    json_true());

	return (ids);
}

/*
 * Every item route and method, with token, against b's objects: each
 * must answer exactly what the same request for an id that exists
 * nowhere answers, a 404. own_project: a project of token's tenant, so
 * that the bodies are valid for it.
 */
static void
attack(const char *token, const struct side *b, long long own_project)
{
	struct {
		const char	*method;
		const char	*path;	/* %lld: the id */
		int		 kind;	/* 0 project, 1 task, 2 doc */
		const char	*body;	/* %lld: own_project */
	} m[] = {
		{ "GET", PROJECTS "%lld/", 0, NULL },
		{ "GET", PROJECTS "%lld", 0, NULL },
		{ "HEAD", PROJECTS "%lld/", 0, NULL },
		{ "PUT", PROJECTS "%lld/", 0,
		    "{\"name\":\"hijacked\",\"status\":\"archived\"}" },
		{ "PATCH", PROJECTS "%lld/", 0, "{\"name\":\"hijacked\"}" },
		{ "PATCH", PROJECTS "%lld", 0, "{\"description\":\"x\"}" },
		{ "DELETE", PROJECTS "%lld/", 0, NULL },
		{ "DELETE", PROJECTS "%lld", 0, NULL },
		{ "GET", PROJECTS "%lld/tasks/", 0, NULL },
		{ "GET", PROJECTS "%lld/tasks/?status=todo", 0, NULL },
		{ "GET", TASKS "%lld/", 1, NULL },
		{ "PUT", TASKS "%lld/", 1,
		    "{\"project\":%lld,\"title\":\"hijacked\"}" },
		{ "PATCH", TASKS "%lld/", 1,
		    "{\"title\":\"hijacked\",\"status\":\"done\"}" },
		{ "PATCH", TASKS "%lld/", 1, "{\"project\":%lld}" },
		{ "DELETE", TASKS "%lld/", 1, NULL },
		{ "POST", TASKS "%lld/complete/", 1, "" },
		{ "POST", TASKS "%lld/complete", 1, "{}" },
		{ "GET", DOCUMENTS "%lld/", 2, NULL },
		{ "PUT", DOCUMENTS "%lld/", 2,
		    "{\"project\":%lld,\"name\":\"hijacked\",\"file_path\":"
		    "\"x\",\"file_size\":1,\"content_type\":\"a/b\"}" },
		{ "PATCH", DOCUMENTS "%lld/", 2,
		    "{\"name\":\"hijacked\",\"project\":null}" },
		{ "PATCH", DOCUMENTS "%lld/", 2, "{\"metadata\":{}}" },
		{ "DELETE", DOCUMENTS "%lld/", 2, NULL },
	};
	struct h_resp	*r, *ref;
	long long	ids[3];
	char		path[256], refpath[256], body[512];
	size_t		i, k;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		for (k = 0; k < 2; k++) {
			ids[0] = b->project;
			ids[1] = b->task;
			ids[2] = k == 0 ? b->doc : b->doc2;
			(void)snprintf(path, sizeof(path), m[i].path,
			    ids[m[i].kind]);
			(void)snprintf(refpath, sizeof(refpath), m[i].path,
			    NOWHERE);
			if (m[i].body != NULL)
				(void)snprintf(body, sizeof(body), m[i].body,
				    own_project);

			r = h_req(m[i].method, path, token, m[i].body != NULL ?
			    body : NULL, NULL);
			ref = h_req(m[i].method, refpath, token,
			    m[i].body != NULL ? body : NULL, NULL);
			cr_assert_eq(r->status, 404, "%s %s: %ld %s",
			    m[i].method, path, r->status, r->body);
			cr_assert_eq(ref->status, 404, "%s %s: %ld %s",
			    m[i].method, refpath, ref->status, ref->body);
			if (strcmp(m[i].method, "HEAD")) {
				cr_assert_str_eq(h_str(r, "code"),
				    "not_found");
				cr_assert(json_equal(r->json, ref->json),
				    "%s %s answers %s, an unknown id %s",
				    m[i].method, path, r->body, ref->body);
			}
			h_free(r);
			h_free(ref);
			if (m[i].kind != 2)
				break;
		}
	}
}

/* An access token of a fixture tenant's "full" API client. */
static const char *
client_token(int tenant)
{
	static char	token[2048];
	struct h_resp	*r;
	json_t		*b;

	b = json_pack("{s:s, s:s}", "client_id", h_client(tenant, "full",
	    "client_id"), "client_secret", h_client(tenant, "full",
	    "client_secret"));
	r = h_send_json("POST", "/api/v1/auth/api-client/token/", NULL, b);
	cr_assert_eq(r->status, 200, "client token: %ld %s", r->status,
	    r->body);
	(void)snprintf(token, sizeof(token), "%s", h_str(r, "access"));
	h_free(r);

	return (token);
}

Test(isolation, every_item_route_and_method_is_404_across_tenants)
{
	struct side	a, b;
	json_t		*before_a, *before_b;

	make_side("isoa", &a);
	make_side("isob", &b);
	before_a = snapshot(&a);
	before_b = snapshot(&b);

	attack(a.t.access, &b, a.project);
	assert_unchanged(&b, before_b);
	assert_unchanged(&a, before_a);

	/* And the other way round. */
	attack(b.t.access, &a, b.project);
	assert_unchanged(&a, before_a);
	assert_unchanged(&b, before_b);

	json_decref(before_a);
	json_decref(before_b);
}

Test(isolation, api_client_tokens_are_isolated_too)
{
	struct side	b;
	json_t		*before, *rows, *ids, *mine;
	const char	*token;
	long long	own;

	make_side("isoc", &b);
	before = snapshot(&b);

	/* acme's "full" client: acme's first project makes bodies valid. */
	token = client_token(H_ACME);
	mine = all_rows(PROJECTS, h_token(H_ACME));
	own = json_integer_value(json_object_get(json_array_get(mine, 0),
	    "id"));
	json_decref(mine);
	attack(token, &b, own);
	assert_unchanged(&b, before);

	/* Its lists hold none of b's rows. */
	rows = all_rows(TASKS, token);
	ids = ids_of(rows);
	cr_assert_null(json_object_get(ids, h_fmt("%lld", b.task)));
	json_decref(ids);
	json_decref(rows);
	rows = all_rows(DOCUMENTS, token);
	ids = ids_of(rows);
	cr_assert_null(json_object_get(ids, h_fmt("%lld", b.doc)));
	cr_assert_null(json_object_get(ids, h_fmt("%lld", b.doc2)));
	json_decref(ids);
	json_decref(rows);
	json_decref(before);
}

Test(isolation, references_to_another_tenants_project_are_400)
{
	struct side	a, b;
	struct h_resp	*r, *ref;
	json_t		*before_a, *before_b;
	long long	id;
	size_t		i;
	struct {
		const char	*method;
		const char	*path;
		const char	*body;	/* %lld: the project */
	} m[4];

	make_side("isoa", &a);
	make_side("isob", &b);
	before_a = snapshot(&a);
	before_b = snapshot(&b);

	m[0].method = "POST";
	m[0].path = TASKS;
	m[0].body = "{\"project\":%lld,\"title\":\"sneaky\"}";
	m[1].method = "POST";
	m[1].path = DOCUMENTS;
	m[1].body = "{\"project\":%lld,\"name\":\"sneaky\",\"file_path\":"
	    "\"x\",\"file_size\":1,\"content_type\":\"a/b\"}";
	m[2].method = "PATCH";
	m[2].path = h_fmt(TASKS "%lld/", a.task);
	m[2].body = "{\"project\":%lld}";
	m[3].method = "PUT";
	m[3].path = h_fmt(DOCUMENTS "%lld/", a.doc2);
	m[3].body = "{\"project\":%lld,\"name\":\"sneaky\",\"file_path\":"
	    "\"x\",\"file_size\":1,\"content_type\":\"a/b\"}";
	/* h_fmt() reuses its buffers: keep the paths. */
	m[2].path = strdup(m[2].path);
	m[3].path = strdup(m[3].path);

	for (i = 0; i < 4; i++) {
		r = h_req(m[i].method, m[i].path, a.t.access,
		    h_fmt(m[i].body, b.project), NULL);
		ref = h_req(m[i].method, m[i].path, a.t.access,
		    h_fmt(m[i].body, NOWHERE), NULL);
		cr_assert_eq(r->status, 400, "%s %s: %ld %s", m[i].method,
		    m[i].path, r->status, r->body);
		cr_assert_eq(ref->status, 400, "%s %s: %ld %s", m[i].method,
		    m[i].path, ref->status, ref->body);
		cr_assert_str_eq(json_string_value(json_array_get(
		    json_object_get(json_object_get(r->json, "errors"),
		    "project"), 0)), h_fmt("Invalid pk \"%lld\" - object does "
		    "not exist.", b.project), "%s", r->body);
		cr_assert_str_eq(json_string_value(json_array_get(
		    json_object_get(json_object_get(ref->json, "errors"),
		    "project"), 0)), h_fmt("Invalid pk \"%lld\" - object does "
		    "not exist.", NOWHERE), "%s", ref->body);
		cr_assert_eq(json_object_size(json_object_get(r->json,
		    "errors")), 1, "%s", r->body);
		h_free(r);
		h_free(ref);
	}
	free((char *)m[2].path);
	free((char *)m[3].path);

	/* Nothing was made or moved on either side. */
	assert_unchanged(&a, before_a);
	assert_unchanged(&b, before_b);

	/* With their own project it works: the bodies were valid. */
	id = h_create(TASKS, a.t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)a.project, "title", "fine"));
	cr_assert_gt(id, 0);

	json_decref(before_a);
	json_decref(before_b);
}

Test(isolation, lists_search_and_filters_show_only_own_rows)
{
	static const char *const lists[] = { PROJECTS, TASKS, DOCUMENTS,
	    TASKS "by-status/?status=todo", PROJECTS "?status=active",
	    TASKS "?priority=medium", NULL };
	struct side	a, b;
	struct h_resp	*r, *ref;
	json_t		*rows, *ids;
	size_t		i;

	make_side("isoa", &a);
	make_side("isob", &b);

	/* A sees exactly its own rows. */
	for (i = 0; lists[i] != NULL; i++) {
		rows = all_rows(lists[i], a.t.access);
		ids = ids_of(rows);
		cr_assert_null(json_object_get(ids, h_fmt("%lld", b.project)),
		    "%s", lists[i]);
		cr_assert_null(json_object_get(ids, h_fmt("%lld", b.task)),
		    "%s", lists[i]);
		cr_assert_null(json_object_get(ids, h_fmt("%lld", b.doc)),
		    "%s", lists[i]);
		cr_assert_null(json_object_get(ids, h_fmt("%lld", b.doc2)),
		    "%s", lists[i]);
		json_decref(ids);
		json_decref(rows);
	}
	rows = all_rows(PROJECTS, a.t.access);
	cr_assert_eq(json_array_size(rows), 1);
	json_decref(rows);
	rows = all_rows(TASKS, a.t.access);
	cr_assert_eq(json_array_size(rows), 1);
	json_decref(rows);
	rows = all_rows(DOCUMENTS, a.t.access);
	cr_assert_eq(json_array_size(rows), 2);
	json_decref(rows);

	/* B's secret is found by B, never by A. */
	for (i = 0; i < 3; i++) {
		r = h_get(h_fmt("%s?search=%s", lists[i], b.secret),
		    b.t.access);
		cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
		h_free(r);
		r = h_get(h_fmt("%s?search=%s", lists[i], b.secret),
		    a.t.access);
		cr_assert_eq(r->status, 200, "%s", r->body);
		cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
		h_free(r);
	}
	r = h_get(h_fmt(DOCUMENTS "?content_type=application/x-%s",
	    b.secret), a.t.access);
	cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
	h_free(r);
	r = h_get(h_fmt(DOCUMENTS "?content_type=application/x-%s",
	    b.secret), b.t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);

	/* Filtering by B's project answers what a project of nobody does. */
	for (i = 0; i < 2; i++) {
		r = h_get(h_fmt("%s?project=%lld", i == 0 ? TASKS : DOCUMENTS,
		    b.project), a.t.access);
		ref = h_get(h_fmt("%s?project=%lld", i == 0 ? TASKS :
		    DOCUMENTS, NOWHERE), a.t.access);
		cr_assert_eq(r->status, ref->status, "%s vs %s", r->body,
		    ref->body);
		cr_assert(json_equal(r->json, ref->json), "%s vs %s", r->body,
		    ref->body);
		if (r->status == 200)
			cr_assert_eq(h_int(r, "count"), 0, "%s", r->body);
		h_free(r);
		h_free(ref);
	}
}

Test(isolation, statistics_count_only_own_rows)
{
	struct side	a, b;
	struct h_resp	*r, *again;

	make_side("isoa", &a);
	make_side("isob", &b);

	r = h_get(PROJECTS "statistics/", a.t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "total_projects"), 1, "%s", r->body);
	cr_assert_eq(h_int(r, "projects_with_tasks"), 1, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "tasks"), "total")), 1, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "tasks"), "overdue")), 1, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "documents"), "total")), 2, "%s", r->body);

	/* B growing changes nothing for A. */
	(void)h_create(PROJECTS, b.t.access, json_pack("{s:s}", "name",
	    "more"));
	(void)h_create(TASKS, b.t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)b.project, "title", "more", "due_date",
	    "2001-01-01"));
	(void)h_create(DOCUMENTS, b.t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "more", "file_path", "p", "file_size", 1, "content_type",
	    "a/b"));
	again = h_get(PROJECTS "statistics/", a.t.access);
	cr_assert(json_equal(r->json, again->json), "%s vs %s", r->body,
	    again->body);
	h_free(again);
	h_free(r);

	r = h_get(PROJECTS "statistics/", b.t.access);
	cr_assert_eq(h_int(r, "total_projects"), 2, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "tasks"), "overdue")), 2, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(
	    r->json, "documents"), "total")), 3, "%s", r->body);
	h_free(r);
}

/* The fixture tenants, read only: their rows never meet. */
Test(isolation, fixture_tenants_rows_are_disjoint)
{
	static const int tenants[] = { H_ACME, H_GLOBEX, H_INITECH, 4, 5 };
	static const char *const kinds[] = { PROJECTS, TASKS, DOCUMENTS };
	json_t		*ids[5][3], *rows, *row, *v;
	const char	*k;
	size_t		i, j, n, x;

	for (i = 0; i < 5; i++) {
		for (n = 0; n < 3; n++) {
			rows = all_rows(kinds[n], h_token(tenants[i]));
			cr_assert_gt(json_array_size(rows), 0, "tenant %d %s",
			    tenants[i], kinds[n]);
			ids[i][n] = ids_of(rows);
			/* Their references stay inside the tenant. */
			json_array_foreach(rows, x, row) {
				v = json_object_get(row, "project");
				if (n == 0 || json_is_null(v))
					continue;
				cr_assert_not_null(json_object_get(ids[i][0],
				    h_fmt("%lld", (long long)
				    json_integer_value(v))), "tenant %d: %s "
				    "points at project %lld", tenants[i],
				    kinds[n], (long long)json_integer_value(v));
			}
			json_decref(rows);
		}
	}

	for (i = 0; i < 5; i++) {
		for (j = 0; j < 5; j++) {
			if (i == j)
				continue;
			for (n = 0; n < 3; n++) {
				json_object_foreach(ids[i][n], k, v)
					cr_assert_null(json_object_get(
					    ids[j][n], k), "%s %s seen by "
					    "tenants %d and %d", kinds[n], k,
					    tenants[i], tenants[j]);
			}
		}
	}

	for (i = 0; i < 5; i++)
		for (n = 0; n < 3; n++)
			json_decref(ids[i][n]);
}

/* The fixture tenants, read only: GET of each other's ids is 404. */
Test(isolation, fixture_tenants_cannot_read_each_other)
{
	static const char *const kinds[] = { PROJECTS, TASKS, DOCUMENTS };
	static const int tenants[] = { H_ACME, H_GLOBEX, H_INITECH };
	struct h_resp	*r;
	json_t		*rows, *row;
	size_t		i, j, n, x;
	long long	id;

	for (i = 0; i < 3; i++) {
		for (n = 0; n < 3; n++) {
			rows = all_rows(kinds[n], h_token(tenants[i]));
			json_array_foreach(rows, x, row) {
				if (x >= 5)
					break;
				id = json_integer_value(json_object_get(row,
				    "id"));
				for (j = 0; j < 3; j++) {
					r = h_get(h_fmt("%s%lld/", kinds[n],
					    id), h_token(tenants[j]));
					cr_assert_eq(r->status, i == j ? 200 :
					    404, "tenant %d GET %s%lld: %ld",
					    tenants[j], kinds[n], id,
					    r->status);
					h_free(r);
					if (n != 0 || i == j)
						continue;
					r = h_get(h_fmt(PROJECTS "%lld/tasks/",
					    id), h_token(tenants[j]));
					cr_assert_eq(r->status, 404, "%ld %s",
					    r->status, r->body);
					h_free(r);
				}
			}
			json_decref(rows);
		}
	}
}

Test(isolation, an_inactive_tenants_token_sees_nothing)
{
	static const char *const paths[] = { PROJECTS, TASKS, DOCUMENTS,
	    PROJECTS "statistics/", TASKS "by-status/?status=todo",
	    PROJECTS "1/", TASKS "1/", DOCUMENTS "1/", NULL };
	struct h_resp	*r;
	size_t		i;

	for (i = 0; paths[i] != NULL; i++) {
		r = h_get(paths[i], h_token(H_UMBRELLA));
		cr_assert_eq(r->status, 403, "%s: %ld %s", paths[i],
		    r->status, r->body);
		cr_assert_str_eq(h_str(r, "code"), "tenant_inactive");
		cr_assert_null(json_object_get(r->json, "results"));
		h_free(r);
	}
	r = h_post(PROJECTS, h_token(H_UMBRELLA), "{\"name\":\"ghost\"}");
	cr_assert_eq(r->status, 403, "%ld %s", r->status, r->body);
	h_free(r);
}

Test(isolation, deleting_a_project_touches_no_other_tenant)
{
	struct side	a, b;
	struct h_resp	*r;
	json_t		*before;

	make_side("isoa", &a);
	make_side("isob", &b);
	before = snapshot(&b);

	r = h_req("DELETE", h_fmt(PROJECTS "%lld/", a.project), a.t.access,
	    NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	h_free(r);
	r = h_get(h_fmt(TASKS "%lld/", a.task), a.t.access);
	cr_assert_eq(r->status, 404);
	h_free(r);

	assert_unchanged(&b, before);
	json_decref(before);
}
