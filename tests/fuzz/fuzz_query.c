/*
 * Query strings: the raw text after "?" as a client sends it, through
 * the checks the list routes make. Kore splits it on "&" and "=" and
 * URL-decodes each part (decode() below does the same job); then, as in
 * src/input.c (input_qs_check, input_arg_id) and src/listing.c:
 *
 *   every value: fields_utf8_valid() (src/core/fields.c)
 *   page: fields_parse_id(), page_size: paging_size(), both into
 *     paging_offset() (src/core/paging.c)
 *   project (an id filter): fields_parse_id()
 *   ordering, status, priority: values_ordering_valid() and
 *     values_contains() (src/core/values.c), which the route validators
 *     of conf/api.conf call (input_check_* in src/input.c)
 *   next and previous links: paging_link() with the raw query
 *
 * Every check runs on every value, whatever its name, so the fuzzer need
 * not find the names first. fields_utf8_valid() must agree with jansson's
 * UTF-8 check; at start, conf/api.conf must name for each list the
 * input_check_* function that checks that list.
 */

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/fields.h"
#include "core/paging.h"
#include "core/values.h"

#include "fuzz.h"

#define BASE		"http://127.0.0.1:8000/api/v1/tasks/"
#define PARAMS_MAX	64		/* as many as Kore keeps */
#define CONF_DEFAULT	"conf/api.conf"

/* A list of values.c, its validator in conf/api.conf and its function. */
struct list_check {
	const char		*validator;
	const char		*function;
	const char *const	*list;
	int			ordering;
};

static struct list_check	checks[] = {
	{ .validator = "v_order_projects",
	    .function = "input_check_order_projects", .list = values_order_projects,
	    .ordering = 1 },
	{ .validator = "v_order_tasks",
	    .function = "input_check_order_tasks", .list = values_order_tasks,
	    .ordering = 1 },
	{ .validator = "v_order_documents",
	    .function = "input_check_order_documents", .list = values_order_documents,
	    .ordering = 1 },
	{ .validator = "v_project_status",
	    .function = "input_check_project_status", .list = values_project_statuses,
	    .ordering = 0 },
	{ .validator = "v_task_status",
	    .function = "input_check_task_status", .list = values_task_statuses,
	    .ordering = 0 },
	{ .validator = "v_priority",
	    .function = "input_check_priority", .list = values_task_priorities,
	    .ordering = 0 },
};

#define NCHECKS		(sizeof(checks) / sizeof(checks[0]))

static int	split(char *, char **, char **);
static int	decode(char *);
static void	check_value(const char *);
static void	check_link(const char *, int64_t);
static int	read_as(const char *, const char *);
static int	names_page(const char *, size_t);
static void	conf_validator(const char *, const struct list_check *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*conf;
	size_t		i;

	/* make fuzz and make test run from the top of the checkout. */
	if ((conf = getenv("MTAPI_FUZZ_API_CONF")) == NULL)
		conf = CONF_DEFAULT;
	for (i = 0; i < NCHECKS; i++)
		conf_validator(conf, &checks[i]);

	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*query, *copy, *p, *tok, *name, *value;
	const char	*page_text, *size_text;
	int64_t		page, psize, offset;
	int		n;

	query = fuzz_cstring(data, size);
	copy = strdup(query);
	if (copy == NULL)
		abort();

	page_text = NULL;
	size_text = NULL;
	n = 0;
	for (p = copy; n < PARAMS_MAX && (tok = strsep(&p, "&")) != NULL;) {
		if (*tok == '\0')
			continue;
		n++;
		if (split(tok, &name, &value) == -1)
			continue;
		if (decode(name) == -1 || decode(value) == -1)
			continue;
		check_value(value);
		if (!strcmp(name, "page") && page_text == NULL)
			page_text = value;
		else if (!strcmp(name, "page_size") && size_text == NULL)
			size_text = value;
	}

	/* src/listing.c api_list_begin(): a bad page is past the end. */
	page = 1;
	if (page_text != NULL && fields_parse_id(page_text, &page) == -1)
		page = INT64_MAX;
	psize = paging_size(size_text);
	FUZZ_CHECK(psize >= 1 && psize <= PAGING_MAX_SIZE);
	offset = paging_offset(page, psize);
	if (offset == -1) {
		FUZZ_CHECK(page - 1 > INT64_MAX / psize);
	} else {
		FUZZ_CHECK(offset >= 0 && offset % psize == 0 &&
		    offset / psize == page - 1);
	}

	check_link(query, page < INT64_MAX ? page + 1 : page);
	if (page > 1)
		check_link(query, page - 1);
	check_link(query, 1);

	free(copy);
	free(query);
	return (0);
}

/* One decoded value through every check a list route may make. */
static void
check_value(const char *v)
{
	json_t		*js;
	int64_t		id;
	size_t		i;
	int		utf8;

	/* fields_utf8_valid() and jansson refuse the same bytes. */
	utf8 = fields_utf8_valid(v);
	js = json_string(v);
	FUZZ_CHECK(utf8 == (js != NULL));
	json_decref(js);

	if (fields_parse_id(v, &id) == 0) {
		FUZZ_CHECK(id > 0);
		FUZZ_CHECK(strspn(v, "0123456789") == strlen(v));
	} else {
		FUZZ_CHECK(id == 0);
	}

	(void)paging_size(v);

	for (i = 0; i < NCHECKS; i++) {
		if (checks[i].ordering)
			(void)values_ordering_valid(checks[i].list, v);
		else
			(void)values_contains(checks[i].list, v);
	}
}

/* The link keeps every other parameter, sorted, with page replaced. */
static void
check_link(const char *query, int64_t page)
{
	char		*link, *q, *tok, *prev, want[40];
	size_t		plen, pages, n, in, i;
	const char	*p, *end;
	int		cmp;

	FUZZ_CHECK((link = paging_link(BASE, query, page)) != NULL);
	FUZZ_CHECK(!strncmp(link, BASE, strlen(BASE)));

	/* The parameters of the query, other than page, are kept. */
	in = 0;
	for (p = query; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (end > p && !names_page(p, end - p))
			in++;
	}

	n = 0;
	pages = 0;
	prev = NULL;
	q = link + strlen(BASE);
	FUZZ_CHECK(*q == '\0' || *q == '?');
	if (*q == '?')
		q++;
	(void)snprintf(want, sizeof(want), "page=%" PRId64, page);
	for (; (tok = strsep(&q, "&")) != NULL; prev = tok) {
		if (*tok == '\0' && q == NULL && n == 0)
			break;
		n++;
		plen = strcspn(tok, "=");
		if (plen == 4 && !strncmp(tok, "page", 4)) {
			FUZZ_CHECK(!strcmp(tok, want));
			pages++;
		} else {
			/* Nor does Kore read any other parameter as page. */
			FUZZ_CHECK(!read_as(tok, "page"));
		}
		/* Sorted by name: a shorter name before its extensions. */
		if (prev != NULL) {
			i = strcspn(prev, "=");
			cmp = strncmp(prev, tok, i < plen ? i : plen);
			FUZZ_CHECK(cmp < 0 || (cmp == 0 && i <= plen));
		}
	}
	FUZZ_CHECK(pages == (page > 1 ? 1 : 0));
	FUZZ_CHECK(n == in + pages);

	free(link);
}

/*
 * Is the name of the len bytes at tok page, value or not? The name is
 * the first non-empty piece between "="s, URL-decoded, as Kore reads it.
 */
static int
names_page(const char *tok, size_t len)
{
	char		*copy, *name;
	int		page;

	if ((copy = strndup(tok, len)) == NULL)
		abort();
	name = copy + strspn(copy, "=");
	name[strcspn(name, "=")] = '\0';
	page = decode(name) == 0 && !strcmp(name, "page");
	free(copy);

	return (page);
}

/* Does Kore read the argument tok as one named want? */
static int
read_as(const char *tok, const char *want)
{
	char		*copy, *name, *value;
	int		same;

	if ((copy = strdup(tok)) == NULL)
		abort();
	same = split(copy, &name, &value) == 0 && decode(name) == 0 &&
	    decode(value) == 0 && !strcmp(name, want);
	free(copy);

	return (same);
}

/*
 * name=value as Kore 4.1 splits a query argument: on "=", empty pieces
 * skipped, the first two pieces kept ("a==b" is a=b, "a=b=c" is a=b).
 */
static int
split(char *tok, char **name, char **value)
{
	char		*piece[2];
	int		n;

	n = 0;
	while (n < 2 && (piece[n] = strsep(&tok, "=")) != NULL) {
		if (*piece[n] != '\0')
			n++;
	}
	if (n < 2)
		return (-1);

	*name = piece[0];
	*value = piece[1];
	return (0);
}

/*
 * URL-decode in place as Kore 4.1 does for query arguments: "+" is a
 * space, %XX a byte, a "%" without two hex digits stays, a "%" too close
 * to the end or a control byte refuses the whole argument.
 */
static int
decode(char *s)
{
	char		*in, *out, hex[3];
	size_t		len;
	unsigned long	v;

	len = strlen(s);
	for (in = out = s; *in != '\0'; ) {
		if (*in != '%') {
			*out++ = *in == '+' ? ' ' : *in;
			in++;
			continue;
		}
		if (in + 2 >= s + len)
			return (-1);
		if (!isxdigit((unsigned char)in[1]) ||
		    !isxdigit((unsigned char)in[2])) {
			*out++ = *in++;
			continue;
		}
		hex[0] = in[1];
		hex[1] = in[2];
		hex[2] = '\0';
		v = strtoul(hex, NULL, 16);
		if (v <= 0x1f || v == 0x7f)
			return (-1);
		*out++ = (char)v;
		in += 3;
	}
	*out = '\0';

	return (0);
}

/*
 * conf/api.conf must declare "validator <name> function <function>": the
 * C check of the list is then the one Kore runs.
 */
static void
conf_validator(const char *path, const struct list_check *c)
{
	FILE		*fp;
	char		line[512], *p, *name, *kind, *fn;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "fuzz_query: cannot read %s (run from the "
		    "top of the checkout or set MTAPI_FUZZ_API_CONF)\n", path);
		exit(1);
	}

	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		p = line;
		if (strcmp(strsep(&p, " \t"), "validator") || p == NULL)
			continue;
		p += strspn(p, " \t");
		name = strsep(&p, " \t");
		if (p == NULL || strcmp(name, c->validator))
			continue;
		p += strspn(p, " \t");
		kind = strsep(&p, " \t");
		if (p == NULL || strcmp(kind, "function"))
			break;
		fn = p + strspn(p, " \t");
		fn[strcspn(fn, " \t")] = '\0';
		if (strcmp(fn, c->function))
			break;
		fclose(fp);
		return;
	}

	fclose(fp);
	fprintf(stderr, "fuzz_query: no \"validator %s function %s\" in %s\n",
	    c->validator, c->function, path);
	exit(1);
}
