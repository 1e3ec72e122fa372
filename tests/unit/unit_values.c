/*
 * Unit tests for src/core/values.c, and the check that every other place
 * that spells a value list agrees with it: the SQL enum types (sql/V*),
 * the SQL ordering whitelists (sql/R__*) and the OpenAPI schema
 * (assets/openapi.json). A value added in one place and not the others
 * fails here. Run from the top of the checkout (make unit, make test).
 */

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "core/values.h"

static char	*slurp(const char *);
static char	*sql_all(const char *);
static void	list_text(const char *const *, char *, size_t);
static size_t	list_len(const char *const *);
static int	enum_is_list(json_t *, const char *const *, int);

/* Every file of sql/ whose name starts with prefix, concatenated. */
static char *
sql_all(const char *prefix)
{
	FILE	*p;
	char	cmd[256], path[512], *all, *one;
	size_t	len;

	(void)snprintf(cmd, sizeof(cmd), "ls sql/%s*.sql", prefix);
	cr_assert_not_null(p = popen(cmd, "r"));
	all = strdup("");
	while (fgets(path, sizeof(path), p) != NULL) {
		path[strcspn(path, "\n")] = '\0';
		one = slurp(path);
		len = strlen(all) + strlen(one) + 2;
		cr_assert_not_null(all = realloc(all, len));
		(void)strcat(all, one);
		(void)strcat(all, "\n");
		free(one);
	}
	pclose(p);
	cr_assert_neq(all[0], '\0', "no sql/%s*.sql: run from the top", prefix);

	return (all);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	long	len;
	char	*buf;

	cr_assert_not_null(fp = fopen(path, "r"), "cannot read %s", path);
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	cr_assert_not_null(buf = malloc(len + 1));
	cr_assert_eq(fread(buf, 1, len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);

	return (buf);
}

/* "a,b,c" */
static void
list_text(const char *const *list, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; list[i] != NULL; i++) {
		if (i > 0)
			(void)strncat(buf, ",", len - strlen(buf) - 1);
		(void)strncat(buf, list[i], len - strlen(buf) - 1);
	}
}

static size_t
list_len(const char *const *list)
{
	size_t	n;

	for (n = 0; list[n] != NULL; n++)
		;
	return (n);
}

Test(values, contains)
{
	cr_expect(values_contains(values_task_statuses, "todo"));
	cr_expect(values_contains(values_task_statuses, "done"));
	cr_expect(!values_contains(values_task_statuses, "Done"));
	cr_expect(!values_contains(values_task_statuses, ""));
	cr_expect(!values_contains(values_task_statuses, NULL));
	cr_expect(values_contains(values_task_priorities, "critical"));
	cr_expect(values_contains(values_project_statuses, "archived"));
	cr_expect(!values_contains(values_project_statuses, "todo"));
}

Test(values, ordering)
{
	cr_expect(values_ordering_valid(values_order_projects, "name"));
	cr_expect(values_ordering_valid(values_order_projects, "-name"));
	cr_expect(!values_ordering_valid(values_order_projects, "--name"));
	cr_expect(!values_ordering_valid(values_order_projects, "-"));
	cr_expect(!values_ordering_valid(values_order_projects, ""));
	cr_expect(!values_ordering_valid(values_order_projects, "title"));
	cr_expect(!values_ordering_valid(values_order_projects, "name "));
	cr_expect(!values_ordering_valid(values_order_projects, NULL));
	cr_expect(values_ordering_valid(values_order_tasks, "-due_date"));
	cr_expect(values_ordering_valid(values_order_documents, "file_size"));
	cr_expect(!values_ordering_valid(values_order_documents, "status"));
}

/* CREATE TYPE x AS ENUM ('a', 'b'): the same values, in the same order. */
Test(values, sql_enums)
{
	static const struct {
		const char		*type;
		const char *const	*list;
	} types[] = {
		{ "project_status", values_project_statuses },
		{ "task_status", values_task_statuses },
		{ "task_priority", values_task_priorities },
	};
	char		*sql, *p, *q, want[512], got[512], pat[256];
	size_t		i, n;

	sql = sql_all("V");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		list_text(types[i].list, want, sizeof(want));
		(void)snprintf(pat, sizeof(pat), "CREATE TYPE %s AS ENUM (",
		    types[i].type);
		cr_assert_not_null(p = strstr(sql, pat), "no %s in sql/V*", pat);
		p += strlen(pat);
		cr_assert_not_null(q = strchr(p, ')'));

		/* 'a', 'b', 'c' as a,b,c */
		for (n = 0; p < q && n < sizeof(got) - 1; p++) {
			if (strchr("' \n\t", *p) == NULL)
				got[n++] = *p;
		}
		got[n] = '\0';
		cr_expect_str_eq(got, want, "%s: SQL has %s, C has %s",
		    types[i].type, got, want);

		/* A later migration must not add a value behind C's back. */
		(void)snprintf(pat, sizeof(pat), "ALTER TYPE %s",
		    types[i].type);
		cr_expect_null(strstr(sql, pat), "%s: update values.c", pat);
	}
	free(sql);
}

/*
 * Each resource's list function declares its ordering whitelist once, as
 * "orderings text[] := '{a,b}'" in the block that makes its static
 * statements and its EXECUTE fallback (api.list_cases, api.order_by);
 * every such declaration in the file must be C's list, and so must any
 * api.order_by(p_ordering, '{a,b}') spelt out.
 */
Test(values, sql_orderings)
{
	static const struct {
		const char		*file;
		const char *const	*list;
	} lists[] = {
		{ "R__030", values_order_projects },
		{ "R__040", values_order_tasks },
		{ "R__050", values_order_documents },
	};
	static const char *const pats[] = {
		"orderings[[:space:]]+text\\[\\][[:space:]]*:=[[:space:]]*"
		    "'\\{([a-z_,]*)\\}'",
		"order_by\\(p_ordering,[[:space:]]*'\\{([a-z_,]*)\\}'",
	};
	regex_t		re[2];
	regmatch_t	m[2];
	char		*sql, *at, want[512], got[512];
	size_t		i, j, n, found;

	for (j = 0; j < 2; j++)
		cr_assert_eq(regcomp(&re[j], pats[j], REG_EXTENDED), 0);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		sql = sql_all(lists[i].file);
		list_text(lists[i].list, want, sizeof(want));
		found = 0;
		for (j = 0; j < 2; j++) {
			for (at = sql; regexec(&re[j], at, 2, m, 0) == 0;
			    at += m[0].rm_eo) {
				n = m[1].rm_eo - m[1].rm_so;
				cr_assert_lt(n, sizeof(got));
				memcpy(got, at + m[1].rm_so, n);
				got[n] = '\0';
				cr_expect_str_eq(got, want, "sql/%s*: SQL has "
				    "%s, C has %s", lists[i].file, got, want);
				if (j == 0)
					found++;
			}
		}
		cr_assert_eq(found, 1, "sql/%s*: %zu ordering whitelists "
		    "(orderings text[] := ...), want one", lists[i].file,
		    found);
		free(sql);
	}
	for (j = 0; j < 2; j++)
		regfree(&re[j]);
}

/*
 * An OpenAPI enum equals list (orderings: each field, then "-field", as
 * the schema spells them).
 */
static int
enum_is_list(json_t *e, const char *const *list, int ordering)
{
	size_t		i, n;
	const char	*s;
	char		want[64];

	n = list_len(list);
	if (json_array_size(e) != (ordering ? 2 * n : n))
		return (0);
	for (i = 0; i < json_array_size(e); i++) {
		if ((s = json_string_value(json_array_get(e, i))) == NULL)
			return (0);
		if (ordering)
			(void)snprintf(want, sizeof(want), "%s%s",
			    i % 2 ? "-" : "", list[i / 2]);
		else
			(void)snprintf(want, sizeof(want), "%s", list[i]);
		if (strcmp(s, want))
			return (0);
	}

	return (1);
}

static void	walk(json_t *, int *, size_t);
static int	enum_overlaps(json_t *);

static const struct {
	const char *const	*list;
	int			ordering;
} known[] = {
	{ values_project_statuses, 0 },
	{ values_task_statuses, 0 },
	{ values_task_priorities, 0 },
	{ values_order_projects, 1 },
	{ values_order_tasks, 1 },
	{ values_order_documents, 1 },
};

#define NKNOWN	(sizeof(known) / sizeof(known[0]))

/*
 * Every "enum" of the document that shares a value with a list is that
 * list (others, such as the health statuses, are not value lists).
 */
static void
walk(json_t *v, int *seen, size_t depth)
{
	json_t		*e;
	const char	*k;
	size_t		i;
	int		found;

	cr_assert_lt(depth, 64);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			walk(e, seen, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;

	json_object_foreach(v, k, e) {
		if (!strcmp(k, "enum") && json_is_array(e)) {
			found = 0;
			for (i = 0; i < NKNOWN; i++) {
				if (enum_is_list(e, known[i].list,
				    known[i].ordering)) {
					seen[i]++;
					found = 1;
				}
			}
			cr_expect(found || !enum_overlaps(e),
			    "assets/openapi.json: an enum that differs from "
			    "the lists of src/core/values.c: %s",
			    json_dumps(e, JSON_COMPACT));
			continue;
		}
		walk(e, seen, depth + 1);
	}
}

/* Does the enum hold a value (or "-" ordering) of any list? */
static int
enum_overlaps(json_t *e)
{
	json_t		*v;
	const char	*s;
	size_t		i, k;

	json_array_foreach(e, i, v) {
		if ((s = json_string_value(v)) == NULL)
			continue;
		for (k = 0; k < NKNOWN; k++) {
			if (values_contains(known[k].list, s) ||
			    (known[k].ordering &&
			    values_ordering_valid(known[k].list, s)))
				return (1);
		}
	}

	return (0);
}

Test(values, openapi_enums)
{
	json_error_t	err;
	json_t		*doc;
	int		seen[NKNOWN];
	size_t		i;

	doc = json_load_file("assets/openapi.json", 0, &err);
	cr_assert_not_null(doc, "assets/openapi.json: %s", err.text);
	memset(seen, 0, sizeof(seen));
	walk(doc, seen, 0);
	for (i = 0; i < NKNOWN; i++)
		cr_expect_gt(seen[i], 0, "list %zu is in no enum of the "
		    "OpenAPI schema", i);
	json_decref(doc);
}
