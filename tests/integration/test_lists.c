/*
 * Lists: DRF's page-number pagination envelope, absolute links, page
 * sizes, ordering by every listed field, search and bad query values.
 *
 * Each test makes its rows in a tenant of its own (h_new_tenant), so that
 * counts and orders are exactly what it made.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"
#define TASKS		"/api/v1/tasks/"
#define DOCUMENTS	"/api/v1/documents/"

/* How a field sorts. */
enum kind {
	K_STR,		/* text, timestamps: byte order */
	K_INT,
	K_DATE,		/* date or null; null sorts last ascending */
	K_RANK		/* an enum: its declaration order */
};

struct field {
	const char		*name;
	enum kind		kind;
	int			unique;	/* no two rows alike */
	const char *const	*ranks;	/* K_RANK */
};

/*
 * The enums sort in their declaration order (sql/V001__schema.sql), so
 * "priority" puts low first and critical last.
 */
static const char *const project_statuses[] = { "active", "completed",
    "archived", NULL };
static const char *const task_statuses[] = { "todo", "in_progress", "done",
    NULL };
static const char *const priorities[] = { "low", "medium", "high",
    "critical", NULL };

static const struct field project_fields[] = {
	{ "name", K_STR, 1, NULL },
	{ "created_at", K_STR, 1, NULL },
	{ "updated_at", K_STR, 1, NULL },
	{ "status", K_RANK, 0, project_statuses },
};

static const struct field task_fields[] = {
	{ "title", K_STR, 1, NULL },
	{ "created_at", K_STR, 1, NULL },
	{ "updated_at", K_STR, 1, NULL },
	{ "due_date", K_DATE, 0, NULL },
	{ "priority", K_RANK, 0, priorities },
	{ "status", K_RANK, 0, task_statuses },
};

static const struct field document_fields[] = {
	{ "name", K_STR, 1, NULL },
	{ "file_size", K_INT, 1, NULL },
	{ "created_at", K_STR, 1, NULL },
	{ "updated_at", K_STR, 1, NULL },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void	touch(const char *, const char *, long long);
static int	rank(const char *const *, const char *);
static int	compare(const struct field *, json_t *, json_t *);
static void	check_ordering(const char *, const char *,
		    const struct field *, size_t, size_t);
static void	assert_count(const char *, const char *, long long);
static const char	*port_of(const char *);
static void	assert_ids(const char *, const char *, const long long *,
		    size_t);

/* A PATCH that changes nothing but updated_at. */
static void
touch(const char *token, const char *collection, long long id)
{
	struct h_resp	*r;

	r = h_send_json("PATCH", h_fmt("%s%lld/", collection, id), token,
	    json_object());
	cr_assert_eq(r->status, 200, "PATCH: %ld %s", r->status, r->body);
	h_free(r);
}

static int
rank(const char *const *ranks, const char *v)
{
	int		i;

	cr_assert_not_null(v);
	for (i = 0; ranks[i] != NULL; i++) {
		if (!strcmp(ranks[i], v))
			return (i);
	}
	cr_assert_fail("unknown value %s", v);
	return (-1);
}

/* <0, 0, >0 as a sorts before, with, after b ascending. */
static int
compare(const struct field *f, json_t *a, json_t *b)
{
	json_t		*va, *vb;
	long long	ia, ib;

	va = json_object_get(a, f->name);
	vb = json_object_get(b, f->name);
	cr_assert_not_null(va, "no %s", f->name);
	cr_assert_not_null(vb, "no %s", f->name);

	switch (f->kind) {
	case K_INT:
		ia = json_integer_value(va);
		ib = json_integer_value(vb);
		return (ia < ib ? -1 : ia > ib);
	case K_RANK:
		return (rank(f->ranks, json_string_value(va)) -
		    rank(f->ranks, json_string_value(vb)));
	case K_DATE:
		if (json_is_null(va) || json_is_null(vb))
			return (json_is_null(va) - json_is_null(vb));
		/* FALLTHROUGH */
	case K_STR:
		return (strcmp(json_string_value(va), json_string_value(vb)));
	}

	return (0);
}

/*
 * Every field of a resource ascending and descending: all n rows, each
 * in order; unique fields in exactly reversed orders.
 */
static void
check_ordering(const char *collection, const char *token,
    const struct field *fields, size_t nfields, size_t n)
{
	json_t		*asc, *desc, *ra, *rd;
	char		path[256];
	size_t		i, k;
	int		c, strict;

	/* h_fmt() reuses its buffers: keep a copy. */
	(void)snprintf(path, sizeof(path), "%s", collection);
	collection = path;

	for (k = 0; k < nfields; k++) {
		asc = h_get_json(h_fmt("%s?ordering=%s&page_size=100",
		    collection, fields[k].name), token);
		desc = h_get_json(h_fmt("%s?ordering=-%s&page_size=100",
		    collection, fields[k].name), token);
		ra = json_object_get(asc, "results");
		rd = json_object_get(desc, "results");
		cr_assert_eq(json_array_size(ra), n, "%s", fields[k].name);
		cr_assert_eq(json_array_size(rd), n, "%s", fields[k].name);

		strict = 0;
		for (i = 1; i < n; i++) {
			c = compare(&fields[k], json_array_get(ra, i - 1),
			    json_array_get(ra, i));
			cr_assert_leq(c, 0, "ordering=%s: row %zu before %zu: "
			    "%s", fields[k].name, i - 1, i,
			    json_dumps(ra, JSON_COMPACT));
			strict |= c < 0;
			c = compare(&fields[k], json_array_get(rd, i - 1),
			    json_array_get(rd, i));
			cr_assert_geq(c, 0, "ordering=-%s: row %zu before %zu: "
			    "%s", fields[k].name, i - 1, i,
			    json_dumps(rd, JSON_COMPACT));
		}
		/* The data has at least two values of every field. */
		cr_assert(strict, "ordering=%s: all equal", fields[k].name);

		if (fields[k].unique) {
			for (i = 0; i < n; i++)
				cr_assert(json_equal(json_array_get(ra, i),
				    json_array_get(rd, n - 1 - i)),
				    "ordering=%s is not the reverse of -%s",
				    fields[k].name, fields[k].name);
		}
		json_decref(asc);
		json_decref(desc);
	}
}

static void
assert_count(const char *path, const char *token, long long n)
{
	json_t		*j;

	j = h_get_json(path, token);
	cr_assert_eq(json_integer_value(json_object_get(j, "count")), n,
	    "GET %s: %s", path, json_dumps(j, JSON_COMPACT));
	cr_assert_eq(json_array_size(json_object_get(j, "results")),
	    (size_t)(n > 20 ? 20 : n));
	json_decref(j);
}

/* The ids of GET path's results, in order, are want[0..n-1]. */
static void
assert_ids(const char *path, const char *token, const long long *want,
    size_t n)
{
	json_t		*j, *rows;
	size_t		i;

	j = h_get_json(path, token);
	rows = json_object_get(j, "results");
	cr_assert_eq(json_array_size(rows), n, "GET %s: %s", path,
	    json_dumps(j, JSON_COMPACT));
	for (i = 0; i < n; i++)
		cr_assert_eq(json_integer_value(json_object_get(
		    json_array_get(rows, i), "id")), want[i],
		    "GET %s: row %zu is not %lld: %s", path, i, want[i],
		    json_dumps(j, JSON_COMPACT));
	json_decref(j);
}

/* The ":port" of a base URL, or "". */
static const char *
port_of(const char *url)
{
	const char	*p;

	if ((p = strstr(url, "://")) == NULL || (p = strchr(p + 3, ':')) ==
	    NULL)
		return ("");

	return (p);
}

Test(lists, envelope_links_and_page_sizes)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*j, *seen, *d;
	long long	ids[101];
	const char	*base, *next;
	char		url[512];
	size_t		i, pages;

	h_new_tenant("lst", &t);
	for (i = 0; i < NELEM(ids); i++)
		ids[i] = h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, "
		    "s:I, s:s}", "name", h_fmt("doc %03zu", i), "file_path",
		    "f", "file_size", (json_int_t)i, "content_type",
		    "text/plain"));
	base = h_base_url();

	/* Default: 20 a page, absolute links. */
	r = h_get(DOCUMENTS, t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_object_size(r->json), 4, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 101);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 20);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s" DOCUMENTS "?page=2",
	    base));
	cr_assert(json_is_null(json_object_get(r->json, "previous")));
	/* Newest first by default. */
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r->json, "results"), 0), "id")), ids[100]);
	h_free(r);

	r = h_get(DOCUMENTS "?page=2", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s" DOCUMENTS "?page=3",
	    base));
	cr_assert_str_eq(h_str(r, "previous"), h_fmt("%s" DOCUMENTS, base));
	h_free(r);

	r = h_get(DOCUMENTS "?page=6", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 1);
	cr_assert(json_is_null(json_object_get(r->json, "next")));
	cr_assert_str_eq(h_str(r, "previous"), h_fmt("%s" DOCUMENTS
	    "?page=5", base));
	h_free(r);

	r = h_get(DOCUMENTS "?page=7", t.access);
	cr_assert_eq(r->status, 404, "%s", r->body);
	cr_assert_str_eq(h_str(r, "code"), "not_found");
	h_free(r);

	/* page_size up to 100; more is clamped to 100. */
	r = h_get(DOCUMENTS "?page_size=100", t.access);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")),
	    100);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s" DOCUMENTS "?page=2&"
	    "page_size=100", base));
	h_free(r);

	r = h_get(DOCUMENTS "?page_size=1000", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 101);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")),
	    100);
	next = h_str(r, "next");
	cr_assert_not_null(next, "%s", r->body);
	(void)snprintf(url, sizeof(url), "%s", next);
	h_free(r);
	r = h_req_url("GET", url, t.access, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s: %s", url, r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 1);
	h_free(r);

	r = h_get(DOCUMENTS "?page_size=7", t.access);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 7);
	h_free(r);

	/* A page_size that is no positive number: the default, as in DRF. */
	assert_count(DOCUMENTS "?page_size=0", t.access, 101);
	assert_count(DOCUMENTS "?page_size=-5", t.access, 101);
	assert_count(DOCUMENTS "?page_size=lots", t.access, 101);

	/* Following next visits every row once; previous walks back. */
	seen = json_object();
	(void)snprintf(url, sizeof(url), "%s" DOCUMENTS "?page_size=30", base);
	for (pages = 0; url[0] != '\0'; pages++) {
		r = h_req_url("GET", url, t.access, NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %s", url, r->body);
		json_array_foreach(json_object_get(r->json, "results"), i, d)
			json_object_set_new(seen, h_fmt("%lld",
			    (long long)json_integer_value(json_object_get(d,
			    "id"))), json_true());
		url[0] = '\0';
		if ((next = h_str(r, "next")) != NULL) {
			cr_assert(!strncmp(next, base, strlen(base)), "%s",
			    next);
			(void)snprintf(url, sizeof(url), "%s", next);
		}
		h_free(r);
		cr_assert_lt(pages, 10);
	}
	cr_assert_eq(pages, 4);
	cr_assert_eq(json_object_size(seen), 101);
	for (i = 0; i < NELEM(ids); i++)
		cr_assert_not_null(json_object_get(seen, h_fmt("%lld",
		    ids[i])));
	json_decref(seen);

	r = h_get(DOCUMENTS "?page_size=30&page=4", t.access);
	(void)snprintf(url, sizeof(url), "%s", h_str(r, "previous"));
	cr_assert_str_eq(url, h_fmt("%s" DOCUMENTS "?page=3&page_size=30",
	    base));
	h_free(r);
	r = h_req_url("GET", url, t.access, NULL, NULL);
	cr_assert_eq(json_array_size(json_object_get(r->json, "results")), 30);
	cr_assert_str_eq(h_str(r, "previous"), h_fmt("%s" DOCUMENTS
	    "?page=2&page_size=30", base));
	h_free(r);

	j = h_get_json(DOCUMENTS "?page_size=30&page=2", t.access);
	cr_assert_str_eq(json_string_value(json_object_get(j, "previous")),
	    h_fmt("%s" DOCUMENTS "?page_size=30", base));
	json_decref(j);
}

Test(lists, links_keep_the_query_and_the_host)
{
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*hdrs[2];
	char		host[128];
	size_t		i;

	h_new_tenant("lst", &t);
	for (i = 0; i < 5; i++)
		(void)h_create(PROJECTS, t.access, json_pack("{s:s, s:s}",
		    "name", h_fmt("keep %zu", i), "status", "completed"));
	(void)h_create(PROJECTS, t.access, json_pack("{s:s}", "name",
	    "keep active"));

	r = h_get(PROJECTS "?status=completed&search=keep&ordering=name&"
	    "page_size=2&page=2", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 5);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s" PROJECTS "?ordering="
	    "name&page=3&page_size=2&search=keep&status=completed",
	    h_base_url()));
	cr_assert_str_eq(h_str(r, "previous"), h_fmt("%s" PROJECTS
	    "?ordering=name&page_size=2&search=keep&status=completed",
	    h_base_url()));
	h_free(r);

	/* The links name the host the client asked for. */
	(void)snprintf(host, sizeof(host), "Host: localhost%s",
	    port_of(h_base_url()));
	hdrs[0] = host;
	hdrs[1] = NULL;
	r = h_req("GET", PROJECTS "?page_size=2", t.access, NULL, hdrs);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("http://localhost%s"
	    PROJECTS "?page=2&page_size=2", port_of(h_base_url())));
	h_free(r);

	/* Without the trailing slash the links keep the path asked for. */
	r = h_get("/api/v1/projects?page_size=2", t.access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "next"), h_fmt("%s/api/v1/projects?page=2&"
	    "page_size=2", h_base_url()));
	h_free(r);
}

Test(lists, an_empty_list_has_one_empty_page)
{
	static const char *const paths[] = { PROJECTS, TASKS, DOCUMENTS,
	    TASKS "by-status/?status=todo", NULL };
	struct h_tenant	t;
	struct h_resp	*r;
	size_t		i;

	h_new_tenant("lst", &t);
	for (i = 0; paths[i] != NULL; i++) {
		r = h_get(paths[i], t.access);
		cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
		cr_assert_eq(h_int(r, "count"), 0);
		cr_assert(json_is_array(json_object_get(r->json, "results")));
		cr_assert_eq(json_array_size(json_object_get(r->json,
		    "results")), 0);
		cr_assert(json_is_null(json_object_get(r->json, "next")));
		cr_assert(json_is_null(json_object_get(r->json, "previous")));
		h_free(r);

		r = h_get(h_fmt("%s%spage=2", paths[i],
		    strchr(paths[i], '?') != NULL ? "&" : "?"), t.access);
		cr_assert_eq(r->status, 404, "%s page 2: %s", paths[i],
		    r->body);
		cr_assert_str_eq(h_str(r, "code"), "not_found");
		h_free(r);
	}
}

Test(lists, projects_order_by_every_field)
{
	static const char *const names[] = { "delta", "alpha", "echo",
	    "charlie", "bravo" };
	static const char *const statuses[] = { "completed", "archived",
	    "active", "archived", "completed" };
	static const size_t touch_order[] = { 3, 1, 4, 0, 2 };
	struct h_tenant	t;
	json_t		*all, *part;
	long long	ids[5];
	size_t		i, page, k;

	h_new_tenant("lst", &t);
	for (i = 0; i < 5; i++)
		ids[i] = h_create(PROJECTS, t.access, json_pack("{s:s, s:s}",
		    "name", names[i], "status", statuses[i]));
	for (i = 0; i < 5; i++)
		touch(t.access, PROJECTS, ids[touch_order[i]]);

	check_ordering(PROJECTS, t.access, project_fields,
	    NELEM(project_fields), 5);

	/* The order holds across pages. */
	all = h_get_json(PROJECTS "?ordering=name", t.access);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(all, "results"), 0), "name")), "alpha");
	k = 0;
	for (page = 1; page <= 3; page++) {
		part = h_get_json(h_fmt(PROJECTS "?ordering=name&page_size=2&"
		    "page=%zu", page), t.access);
		for (i = 0; i < json_array_size(json_object_get(part,
		    "results")); i++, k++)
			cr_assert(json_equal(json_array_get(json_object_get(
			    part, "results"), i), json_array_get(
			    json_object_get(all, "results"), k)));
		json_decref(part);
	}
	cr_assert_eq(k, 5);
	json_decref(all);

	/* Default: newest first. */
	all = h_get_json(PROJECTS, t.access);
	for (i = 0; i < 5; i++)
		cr_assert_eq(json_integer_value(json_object_get(json_array_get(
		    json_object_get(all, "results"), i), "id")), ids[4 - i]);
	json_decref(all);
}

Test(lists, tasks_order_by_every_field)
{
	static const char *const titles[] = { "kilo", "foxtrot", "lima",
	    "golf", "juliet", "hotel" };
	static const char *const statuses[] = { "todo", "done", "in_progress",
	    "todo", "done", "in_progress" };
	static const char *const prios[] = { "high", "low", "critical",
	    "medium", "low", "high" };
	static const char *const dues[] = { "2030-05-01", NULL, "2029-01-01",
	    "2031-12-31", NULL, "2030-01-15" };
	static const size_t touch_order[] = { 2, 5, 0, 3, 1, 4 };
	struct h_tenant	t;
	json_t		*b, *rows;
	long long	pid, ids[6];
	size_t		i;

	h_new_tenant("lst", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "p"));
	for (i = 0; i < 6; i++) {
		b = json_pack("{s:I, s:s, s:s, s:s}", "project",
		    (json_int_t)pid, "title", titles[i], "status", statuses[i],
		    "priority", prios[i]);
		json_object_set_new(b, "due_date", dues[i] != NULL ?
		    json_string(dues[i]) : json_null());
		ids[i] = h_create(TASKS, t.access, b);
	}
	for (i = 0; i < 6; i++)
		touch(t.access, TASKS, ids[touch_order[i]]);

	check_ordering(TASKS, t.access, task_fields, NELEM(task_fields), 6);
	check_ordering(h_fmt(PROJECTS "%lld/tasks/", pid), t.access,
	    task_fields, NELEM(task_fields), 6);

	/* Nulls last ascending, first descending (PostgreSQL, Django). */
	rows = h_get_json(TASKS "?ordering=due_date", t.access);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 0), "due_date")), "2029-01-01");
	cr_assert(json_is_null(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 5), "due_date")));
	json_decref(rows);

	/* by-status orders too. */
	rows = h_get_json(TASKS "by-status/?status=todo&ordering=title",
	    t.access);
	cr_assert_eq(json_array_size(json_object_get(rows, "results")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 0), "title")), "golf");
	json_decref(rows);
	rows = h_get_json(TASKS "by-status/?status=todo&ordering=-title",
	    t.access);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 0), "title")), "kilo");
	json_decref(rows);
}

/*
 * Rows equal in an enum field (a status, a priority) follow their
 * creation, created_at then id, in the ordering's direction; here
 * against their ids' order. Both the statements PL/pgSQL keeps (no
 * filter, one filter, a project's tasks) and the EXECUTE of a search.
 */
Test(lists, ties_of_a_status_or_priority_follow_creation)
{
	static const char *const ago[] = { "0", "2 days", "1 day" };
	static const char *const ords[] = { "status", "priority" };
	struct h_tenant	t;
	long long	pid, pids[3], ids[3], asc[3], desc[3];
	size_t		i;

	h_new_tenant("tie", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name",
	    "tie 3"));
	pids[0] = pid;
	for (i = 0; i < 3; i++) {
		if (i > 0)
			pids[i] = h_create(PROJECTS, t.access, json_pack(
			    "{s:s}", "name", h_fmt("tie %zu", 3 - i)));
		ids[i] = h_create(TASKS, t.access, json_pack("{s:I, s:s}",
		    "project", (json_int_t)pid, "title", h_fmt("tie %zu", i)));
	}
	/* Made in the order 1, 2, 0: not the ids' order. */
	for (i = 0; i < 3; i++) {
		cr_assert_eq(h_sql(h_fmt("UPDATE tasks SET created_at = "
		    "now() - interval '%s' WHERE tenant_id = '%s' AND id = %lld",
		    ago[i], t.id, ids[i]), NULL), 0);
		cr_assert_eq(h_sql(h_fmt("UPDATE projects SET created_at = "
		    "now() - interval '%s' WHERE tenant_id = '%s' AND id = %lld",
		    ago[i], t.id, pids[i]), NULL), 0);
	}

	asc[0] = ids[1], asc[1] = ids[2], asc[2] = ids[0];
	desc[0] = ids[0], desc[1] = ids[2], desc[2] = ids[1];
	for (i = 0; i < NELEM(ords); i++) {
		assert_ids(h_fmt(TASKS "?ordering=%s", ords[i]), t.access,
		    asc, 3);
		assert_ids(h_fmt(TASKS "?ordering=-%s", ords[i]), t.access,
		    desc, 3);
		assert_ids(h_fmt(TASKS "?status=todo&ordering=%s", ords[i]),
		    t.access, asc, 3);
		assert_ids(h_fmt(TASKS "?priority=medium&ordering=-%s",
		    ords[i]), t.access, desc, 3);
		assert_ids(h_fmt(PROJECTS "%lld/tasks/?ordering=%s", pid,
		    ords[i]), t.access, asc, 3);
		assert_ids(h_fmt(TASKS "by-status/?status=todo&ordering=-%s",
		    ords[i]), t.access, desc, 3);
		assert_ids(h_fmt(TASKS "?search=tie&ordering=%s", ords[i]),
		    t.access, asc, 3);
		assert_ids(h_fmt(TASKS "?search=tie&status=todo&ordering=-%s",
		    ords[i]), t.access, desc, 3);
	}

	asc[0] = pids[1], asc[1] = pids[2], asc[2] = pids[0];
	desc[0] = pids[0], desc[1] = pids[2], desc[2] = pids[1];
	assert_ids(PROJECTS "?ordering=status", t.access, asc, 3);
	assert_ids(PROJECTS "?ordering=-status", t.access, desc, 3);
	assert_ids(PROJECTS "?status=active&ordering=status", t.access, asc, 3);
	assert_ids(PROJECTS "?search=tie&ordering=-status", t.access, desc, 3);

	/* Other fields' ties go by id: the tasks have no due date. */
	assert_ids(TASKS "?ordering=due_date", t.access, ids, 3);
	desc[0] = ids[2], desc[1] = ids[1], desc[2] = ids[0];
	assert_ids(TASKS "?ordering=-due_date", t.access, desc, 3);
}

Test(lists, documents_order_by_every_field)
{
	static const char *const names[] = { "papa", "mike", "oscar",
	    "november", "quebec" };
	static const json_int_t sizes[] = { 500, 0, 9223372036854775807LL,
	    42, 1000 };
	static const size_t touch_order[] = { 4, 0, 3, 1, 2 };
	struct h_tenant	t;
	json_t		*rows;
	long long	ids[5];
	size_t		i;

	h_new_tenant("lst", &t);
	for (i = 0; i < 5; i++)
		ids[i] = h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, "
		    "s:I, s:s}", "name", names[i], "file_path", "f",
		    "file_size", sizes[i], "content_type", "text/plain"));
	for (i = 0; i < 5; i++)
		touch(t.access, DOCUMENTS, ids[touch_order[i]]);

	check_ordering(DOCUMENTS, t.access, document_fields,
	    NELEM(document_fields), 5);

	rows = h_get_json(DOCUMENTS "?ordering=-file_size", t.access);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 0), "id")), ids[2]);
	json_decref(rows);
}

Test(lists, unknown_ordering_fields_are_400)
{
	static const char *const bad[] = {
		PROJECTS "?ordering=title",
		PROJECTS "?ordering=tasks_count",
		PROJECTS "?ordering=id;DROP",
		PROJECTS "?ordering=--name",
		PROJECTS "?ordering=-",
		PROJECTS "?ordering=NAME",
		TASKS "?ordering=name",
		TASKS "?ordering=project_name",
		TASKS "by-status/?status=done&ordering=file_size",
		DOCUMENTS "?ordering=status",
		DOCUMENTS "?ordering=-content_type",
		NULL
	};
	struct h_resp	*r;
	json_t		*j;
	size_t		i;

	for (i = 0; bad[i] != NULL; i++) {
		r = h_get(bad[i], h_token(H_ACME));
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_not_null(json_object_get(json_object_get(r->json,
		    "errors"), "ordering"), "%s: %s", bad[i], r->body);
		h_free(r);
	}

	/* The task list of a project orders like the task list. */
	j = h_get_json(PROJECTS, h_token(H_ACME));
	r = h_get(h_fmt(PROJECTS "%lld/tasks/?ordering=name",
	    (long long)json_integer_value(json_object_get(json_array_get(
	    json_object_get(j, "results"), 0), "id"))), h_token(H_ACME));
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	h_free(r);
	json_decref(j);
}

Test(lists, bad_page_numbers_are_400_past_the_end_404)
{
	static const char *const bad[] = { "0", "-1", "abc", "1.5", "1e3",
	    "0x10", "%20", "2%00", NULL };
	static const char *const lists[] = { PROJECTS, TASKS, DOCUMENTS,
	    TASKS "by-status/?status=todo", NULL };
	struct h_resp	*r;
	const char	*sep;
	size_t		i, k;

	for (k = 0; lists[k] != NULL; k++) {
		sep = strchr(lists[k], '?') != NULL ? "&" : "?";
		for (i = 0; bad[i] != NULL; i++) {
			r = h_get(h_fmt("%s%spage=%s", lists[k], sep, bad[i]),
			    h_token(H_ACME));
			cr_assert_eq(r->status, 400, "%s page=%s: %ld %s",
			    lists[k], bad[i], r->status, r->body);
			cr_assert_not_null(json_object_get(json_object_get(
			    r->json, "errors"), "page"), "%s", r->body);
			h_free(r);
		}

		r = h_get(h_fmt("%s%spage=1000", lists[k], sep),
		    h_token(H_ACME));
		cr_assert_eq(r->status, 404, "%s: %ld %s", lists[k],
		    r->status, r->body);
		cr_assert_str_eq(h_str(r, "code"), "not_found");
		h_free(r);

		r = h_get(h_fmt("%s%spage=999999999999999999", lists[k], sep),
		    h_token(H_ACME));
		cr_assert_eq(r->status, 404, "%s: %ld %s", lists[k],
		    r->status, r->body);
		h_free(r);
	}
}

/* An integer page, however large, past the end is 404 (API.md, DRF). */
Test(lists, a_huge_page_number_is_404)
{
	struct h_resp	*r;

	r = h_get(PROJECTS "?page=99999999999999999999", h_token(H_ACME));
	cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
	h_free(r);
}

Test(lists, bad_filter_values_are_400)
{
	static const char *const bad[] = {
		PROJECTS "?status=open",
		PROJECTS "?status=ACTIVE",
		PROJECTS "?status=todo",
		TASKS "?status=active",
		TASKS "?priority=1",
		TASKS "?project=first",
		TASKS "?project=0",
		DOCUMENTS "?project=null",
		DOCUMENTS "?project=-1",
		NULL
	};
	struct h_resp	*r;
	size_t		i;

	for (i = 0; bad[i] != NULL; i++) {
		r = h_get(bad[i], h_token(H_ACME));
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_str_eq(h_str(r, "code"), "invalid");
		cr_assert(json_is_object(json_object_get(r->json, "errors")));
		h_free(r);
	}
}

/*
 * Issue 12.4: by-status takes the task list's filters, search and
 * ordering (it ignored search, project and priority before).
 */
Test(lists, by_status_filters_like_the_task_list)
{
	static const char *const bad[] = {
		TASKS "by-status/?status=todo&project=first",
		TASKS "by-status/?status=todo&project=0",
		TASKS "by-status/?status=todo&priority=urgent",
		TASKS "by-status/?search=bank",
		NULL
	};
	static const char *const bad_field[] = { "project", "project",
	    "priority", "status" };
	struct h_tenant	t;
	struct h_resp	*r;
	long long	p1, p2, ids[5];
	json_t		*rows;
	size_t		i;

	h_new_tenant("lst", &t);
	p1 = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "one"));
	p2 = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "two"));
	ids[0] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)p1, "title", "Call the bank",
	    "priority", "high"));
	ids[1] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)p2, "title", "bank statement",
	    "priority", "low"));
	ids[2] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)p1, "title", "water the plants",
	    "priority", "high"));
	ids[3] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s, s:s}",
	    "project", (json_int_t)p1, "title", "bank holiday",
	    "priority", "high", "status", "done"));
	ids[4] = h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}",
	    "project", (json_int_t)p2, "title", "Banking app",
	    "priority", "critical"));

	/* search: the todo tasks whose title holds "bank", no other. */
	h_assert_ids(TASKS "by-status/?status=todo&search=BANK", t.access,
	    (long long []){ ids[0], ids[1], ids[4] }, 3);
	h_assert_ids(TASKS "by-status/?status=done&search=bank", t.access,
	    ids + 3, 1);
	h_assert_ids(TASKS "by-status/?status=todo&search=plants", t.access,
	    ids + 2, 1);
	h_assert_ids(TASKS "by-status/?status=todo&search=zzz", t.access,
	    NULL, 0);

	/* project and priority, alone and with search. */
	h_assert_ids(h_fmt(TASKS "by-status/?status=todo&project=%lld", p2),
	    t.access, (long long []){ ids[1], ids[4] }, 2);
	h_assert_ids(TASKS "by-status/?status=todo&priority=high", t.access,
	    (long long []){ ids[0], ids[2] }, 2);
	h_assert_ids(h_fmt(TASKS "by-status/?status=todo&project=%lld&"
	    "priority=high&search=bank", p1), t.access, ids, 1);

	/* The same rows as the task list with the same query. */
	h_assert_ids(TASKS "?status=todo&search=BANK", t.access,
	    (long long []){ ids[0], ids[1], ids[4] }, 3);

	/* ordering with search. */
	rows = h_get_json(TASKS "by-status/?status=todo&search=bank&ordering=title",
	    t.access);
	cr_assert_eq(json_integer_value(json_object_get(rows, "count")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(rows, "results"), 0), "title")), "Banking app");
	json_decref(rows);

	/* Bad values are 400 here too; status is still required. */
	for (i = 0; bad[i] != NULL; i++) {
		r = h_get(bad[i], t.access);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status,
		    r->body);
		cr_assert_not_null(h_first_error(r, bad_field[i]), "%s: %s",
		    bad[i], r->body);
		h_free(r);
	}
}

Test(lists, search_is_case_insensitive)
{
	struct h_tenant	t;
	long long	pid;

	h_new_tenant("lst", &t);
	pid = h_create(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    "The MixedCase Project", "description", "nothing"));
	(void)h_create(PROJECTS, t.access, json_pack("{s:s, s:s}", "name",
	    "Plain", "description", "Has a HIDDEN Word"));
	(void)h_create(PROJECTS, t.access, json_pack("{s:s}", "name",
	    "Zebra"));

	assert_count(PROJECTS "?search=mixedcase", t.access, 1);
	assert_count(PROJECTS "?search=MIXEDCASE", t.access, 1);
	assert_count(PROJECTS "?search=xEdCa", t.access, 1);
	/* Projects search the description too. */
	assert_count(PROJECTS "?search=hidden%20word", t.access, 1);
	assert_count(PROJECTS "?search=the", t.access, 1);
	assert_count(PROJECTS "?search=zzz", t.access, 0);

	(void)h_create(TASKS, t.access, json_pack("{s:I, s:s, s:s}", "project",
	    (json_int_t)pid, "title", "Call The Bank", "description",
	    "mixedcase"));
	assert_count(TASKS "?search=call%20the%20BANK", t.access, 1);
	/* Tasks search the title only. */
	assert_count(TASKS "?search=mixedcase", t.access, 0);

	(void)h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "Scan.PDF", "file_path", "mixedcase/scan.pdf", "file_size",
	    1, "content_type", "application/pdf"));
	assert_count(DOCUMENTS "?search=scan.pdf", t.access, 1);
	assert_count(DOCUMENTS "?search=SCAN", t.access, 1);
	/* Documents search the name only. */
	assert_count(DOCUMENTS "?search=mixedcase", t.access, 0);
}

Test(lists, search_takes_wildcards_literally)
{
	static const char *const names[] = { "rate 100% sure", "rate 1000 sure",
	    "snake_case", "snakeXcase", "back\\slash", "backXslash",
	    "Ünïcödé ✓ name", "قائمة المهام" };
	struct h_tenant	t;
	long long	pid;
	size_t		i;

	h_new_tenant("lst", &t);
	for (i = 0; i < NELEM(names); i++)
		(void)h_create(PROJECTS, t.access, json_pack("{s:s}", "name",
		    names[i]));

	assert_count(PROJECTS "?search=%25", t.access, 1);
	assert_count(PROJECTS "?search=100%25", t.access, 1);
	assert_count(PROJECTS "?search=0%25%20s", t.access, 1);
	assert_count(PROJECTS "?search=_", t.access, 1);
	assert_count(PROJECTS "?search=e_c", t.access, 1);
	assert_count(PROJECTS "?search=%5C", t.access, 1);
	assert_count(PROJECTS "?search=k%5Cs", t.access, 1);
	assert_count(PROJECTS "?search=%25%25", t.access, 0);
	assert_count(PROJECTS "?search=rate", t.access, 2);
	assert_count(PROJECTS "?search=%E2%9C%93", t.access, 1);
	assert_count(PROJECTS "?search=%D8%A7%D9%84%D9%85%D9%87%D8%A7%D9%85",
	    t.access, 1);

	pid = h_create(PROJECTS, t.access, json_pack("{s:s}", "name", "tasks"));
	(void)h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "50% off"));
	(void)h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "500 off"));
	(void)h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "a_b"));
	(void)h_create(TASKS, t.access, json_pack("{s:I, s:s}", "project",
	    (json_int_t)pid, "title", "axb"));
	assert_count(TASKS "?search=0%25", t.access, 1);
	assert_count(TASKS "?search=a_b", t.access, 1);
	assert_count(TASKS "?search=_", t.access, 1);

	(void)h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "100%.txt", "file_path", "f", "file_size", 1,
	    "content_type", "text/plain"));
	(void)h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "1000.txt", "file_path", "f", "file_size", 1,
	    "content_type", "text/plain"));
	(void)h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "my_file.txt", "file_path", "f", "file_size", 1,
	    "content_type", "text/plain"));
	(void)h_create(DOCUMENTS, t.access, json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "myXfile.txt", "file_path", "f", "file_size", 1,
	    "content_type", "text/plain"));
	assert_count(DOCUMENTS "?search=0%25", t.access, 1);
	assert_count(DOCUMENTS "?search=y_f", t.access, 1);
	assert_count(DOCUMENTS "?search=.txt", t.access, 4);
}

Test(lists, unknown_query_parameters_are_ignored)
{
	struct h_resp	*r, *plain;

	plain = h_get(PROJECTS, h_token(H_ACME));
	r = h_get(PROJECTS "?colour=blue&limit=1&offset=3", h_token(H_ACME));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), h_int(plain, "count"));
	h_free(r);
	h_free(plain);
}
