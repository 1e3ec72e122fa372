/*
 * Pagination arithmetic and links.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paging.h"

static int	param_cmp(const void *, const void *);
static size_t	param_name_len(const char *);
static int	param_is_page(const char *);
static int	hex_value(int);

int64_t
paging_size(const char *s)
{
	char		*end;
	long long	v;

	if (s == NULL || *s < '0' || *s > '9')
		return (PAGING_DEFAULT_SIZE);

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return (PAGING_DEFAULT_SIZE);
	if (errno == ERANGE || v > PAGING_MAX_SIZE)
		return (PAGING_MAX_SIZE);
	if (v <= 0)
		return (PAGING_DEFAULT_SIZE);

	return (v);
}

int64_t
paging_offset(int64_t page, int64_t size)
{
	if (page < 1 || size < 1 || page - 1 > INT64_MAX / size)
		return (-1);

	return ((page - 1) * size);
}

char *
paging_link(const char *base, const char *query, int64_t page)
{
	char		*copy, *p, *tok, **params, *out;
	char		pagebuf[40];
	size_t		n, i, len;

	n = 0;
	copy = strdup(query != NULL ? query : "");
	if (copy == NULL)
		return (NULL);

	/* At most one parameter per '&', plus the page. */
	for (len = 2, p = copy; *p != '\0'; p++) {
		if (*p == '&')
			len++;
	}
	if ((params = calloc(len, sizeof(*params))) == NULL) {
		free(copy);
		return (NULL);
	}

	for (p = copy; (tok = strsep(&p, "&")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (param_is_page(tok))
			continue;
		params[n++] = tok;
	}

	if (page > 1) {
		(void)snprintf(pagebuf, sizeof(pagebuf), "page=%" PRId64, page);
		params[n++] = pagebuf;
	}

	qsort(params, n, sizeof(params[0]), param_cmp);

	len = strlen(base) + 2;
	for (i = 0; i < n; i++)
		len += strlen(params[i]) + 1;

	if ((out = malloc(len)) != NULL) {
		(void)strcpy(out, base);
		for (i = 0; i < n; i++) {
			(void)strcat(out, i == 0 ? "?" : "&");
			(void)strcat(out, params[i]);
		}
	}

	free(params);
	free(copy);
	return (out);
}

static size_t
param_name_len(const char *p)
{
	const char	*eq;

	if ((eq = strchr(p, '=')) == NULL)
		return (strlen(p));

	return (eq - p);
}

/*
 * Is p a page parameter as the server reads it back? Kore's query parser
 * takes the first non-empty piece between "="s as the name and URL-decodes
 * it, so "=page=3" and "%70age=3" are page too: kept, they would come
 * before ours in the link and name the same page again.
 */
static int
param_is_page(const char *p)
{
	const char	*want = "page";
	int		c;

	while (*p == '=')
		p++;

	for (; *p != '\0' && *p != '='; p++) {
		c = (unsigned char)*p;
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			c = hex_value(p[1]) * 16 + hex_value(p[2]);
			p += 2;
		}
		if (*want == '\0' || c != *want)
			return (0);
		want++;
	}

	return (*want == '\0');
}

static int
hex_value(int c)
{
	return (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
}

/* Sort by name only; the sort need not be stable for equal names. */
static int
param_cmp(const void *a, const void *b)
{
	const char	*pa = *(char * const *)a;
	const char	*pb = *(char * const *)b;
	size_t		la, lb;
	int		r;

	la = param_name_len(pa);
	lb = param_name_len(pb);
	if ((r = strncmp(pa, pb, la < lb ? la : lb)) != 0)
		return (r);
	if (la != lb)
		return (la < lb ? -1 : 1);

	return (strcmp(pa, pb));
}
