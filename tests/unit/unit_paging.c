/*
 * Unit tests for src/core/paging.c: DRF PageNumberPagination arithmetic
 * and links.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/paging.h"

#define BASE	"https://api.example.com/api/v1/projects/"

static void	link_is(const char *, int64_t, const char *);

static void
link_is(const char *query, int64_t page, const char *want)
{
	char	*got;

	got = paging_link(BASE, query, page);
	cr_assert_not_null(got);
	cr_expect_str_eq(got, want, "query '%s' page %lld", query ? query :
	    "(null)", (long long)page);
	free(got);
}

Test(size, default_and_values)
{
	cr_expect_eq(paging_size(NULL), PAGING_DEFAULT_SIZE);
	cr_expect_eq(PAGING_DEFAULT_SIZE, 20);
	cr_expect_eq(paging_size("1"), 1);
	cr_expect_eq(paging_size("10"), 10);
	cr_expect_eq(paging_size("20"), 20);
	cr_expect_eq(paging_size("99"), 99);
	cr_expect_eq(paging_size("100"), 100);
	cr_expect_eq(paging_size("007"), 7);
}

Test(size, clamped_to_max)
{
	cr_expect_eq(PAGING_MAX_SIZE, 100);
	cr_expect_eq(paging_size("101"), 100);
	cr_expect_eq(paging_size("1000"), 100);
	cr_expect_eq(paging_size("9223372036854775807"), 100);
	cr_expect_eq(paging_size("9223372036854775808"), 100);
	cr_expect_eq(paging_size("99999999999999999999999999999"), 100);
}

Test(size, bad_values_give_default)
{
	static const char *bad[] = {
		"", "0", "00", "-1", "-100", "abc", "10abc", "1.5", "+5",
		" 5", "5 ", "0x10", "1e2", "-99999999999999999999999",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(paging_size(bad[i]), PAGING_DEFAULT_SIZE, "'%s'",
		    bad[i]);
}

Test(offset, values)
{
	cr_expect_eq(paging_offset(1, 20), 0);
	cr_expect_eq(paging_offset(2, 20), 20);
	cr_expect_eq(paging_offset(5, 100), 400);
	cr_expect_eq(paging_offset(1, 1), 0);
	cr_expect_eq(paging_offset(INT64_MAX, 1), INT64_MAX - 1);
	cr_expect_eq(paging_offset(INT64_MAX / 100 + 1, 100),
	    (INT64_MAX / 100) * 100);
}

Test(offset, refused)
{
	cr_expect_eq(paging_offset(0, 20), -1);
	cr_expect_eq(paging_offset(-1, 20), -1);
	cr_expect_eq(paging_offset(INT64_MIN, 20), -1);
	cr_expect_eq(paging_offset(1, 0), -1);
	cr_expect_eq(paging_offset(1, -20), -1);
	cr_expect_eq(paging_offset(INT64_MAX / 100 + 2, 100), -1);
	cr_expect_eq(paging_offset(INT64_MAX, 2), -1);
	cr_expect_eq(paging_offset(INT64_MAX, 100), -1);
	cr_expect_eq(paging_offset(INT64_MAX / 20 * 2, 20), -1);
}

Test(link, page_replaced)
{
	link_is("page=2", 3, BASE "?page=3");
	link_is("page=2&status=active", 3, BASE "?page=3&status=active");
	link_is("status=active&page=2", 1, BASE "?status=active");
	link_is("page=9223372036854775807", 9223372036854775807LL,
	    BASE "?page=9223372036854775807");
}

Test(link, page_one_removed)
{
	link_is("page=2", 1, BASE);
	link_is("page=2&search=x", 1, BASE "?search=x");
	link_is("search=x", 1, BASE "?search=x");
}

Test(link, empty_query)
{
	link_is("", 2, BASE "?page=2");
	link_is(NULL, 2, BASE "?page=2");
	link_is("", 1, BASE);
	link_is(NULL, 1, BASE);
	link_is("&&", 1, BASE);
}

/* DRF: sorted(query_dict.items()), so by parameter name. */
Test(link, sorted_by_name)
{
	link_is("status=todo&ordering=-created_at&page_size=5&page=2", 3,
	    BASE "?ordering=-created_at&page=3&page_size=5&status=todo");
	link_is("z=1&a=2&m=3", 2, BASE "?a=2&m=3&page=2&z=1");
	/* By name, not by the whole "name=value" text. */
	link_is("ab=1&a-b=2&a=3", 1, BASE "?a=3&a-b=2&ab=1");
	link_is("a_b=1&a=2", 1, BASE "?a=2&a_b=1");
	link_is("pagex=1&page=4&pag=2", 5, BASE "?pag=2&page=5&pagex=1");
}

Test(link, only_page_itself_dropped)
{
	/* Names that merely start with "page" are other parameters. */
	link_is("page_size=50&pages=2&page=3", 1,
	    BASE "?page_size=50&pages=2");
	/* "page" with no value or an empty one goes too. */
	link_is("page&a=1", 2, BASE "?a=1&page=2");
	link_is("page=&a=1", 1, BASE "?a=1");
	/* Every copy of page is replaced by the one. */
	link_is("page=2&page=7&a=1", 4, BASE "?a=1&page=4");
}

/*
 * Found by tests/fuzz/fuzz_query.c: the server reads "=page=3" and
 * "%70age=3" as page=3 (Kore skips empty pieces and URL-decodes names);
 * kept, they sorted before the new page and the next link named the same
 * page again.
 */
Test(link, page_as_the_server_reads_it_dropped)
{
	link_is("=page=3&a=1", 4, BASE "?a=1&page=4");
	link_is("==page=3", 2, BASE "?page=2");
	link_is("%70age=3&a=1", 4, BASE "?a=1&page=4");
	link_is("pag%65=3&p%61ge=5&PAG%45=6", 2, BASE "?PAG%45=6&page=2");
	link_is("%70%61%67%65=9", 1, BASE);
	/* Other names stay, however close. */
	link_is("page%=1&pag%6=2&pag+=3&%70ages=4", 2,
	    BASE "?%70ages=4&pag%6=2&pag+=3&page=2&page%=1");
	link_is("a=page&b==page", 2, BASE "?a=page&b==page&page=2");
}

Test(link, values_kept_verbatim)
{
	link_is("search=a%20b&status=in_progress", 2,
	    BASE "?page=2&search=a%20b&status=in_progress");
	link_is("flag&x=1", 2, BASE "?flag&page=2&x=1");
	link_is("a=1&&b=2&", 2, BASE "?a=1&b=2&page=2");
}

Test(link, repeated_names_kept)
{
	char	*got;

	got = paging_link(BASE, "status=todo&page=2&status=done", 3);
	cr_assert_not_null(got);
	cr_expect(strstr(got, "status=todo") != NULL, "%s", got);
	cr_expect(strstr(got, "status=done") != NULL, "%s", got);
	cr_expect(strstr(got, "page=3") != NULL, "%s", got);
	cr_expect(strncmp(got, BASE "?page=3&status=", strlen(BASE) + 15)
	    == 0, "%s", got);
	free(got);
}

Test(link, many_parameters)
{
	char	query[1024], *got;
	size_t	i, len;

	len = 0;
	for (i = 0; i < 30; i++)
		len += snprintf(query + len, sizeof(query) - len,
		    "%sp%02zu=%zu", i ? "&" : "", i, i);
	got = paging_link(BASE, query, 2);
	cr_assert_not_null(got);
	/* '0' sorts before 'a': page comes last. */
	cr_expect(strncmp(got, BASE "?p00=0&p01=1&p02=2&",
	    strlen(BASE) + 19) == 0, "%s", got);
	len = strlen(got);
	cr_expect(len > 14 && !strcmp(got + len - 14, "&p29=29&page=2"),
	    "%s", got);
	free(got);
}

Test(link, base_kept)
{
	char	*got;

	got = paging_link("http://127.0.0.1:8000/api/v1/tasks/by-status/",
	    "status=todo", 2);
	cr_assert_not_null(got);
	cr_expect_str_eq(got, "http://127.0.0.1:8000/api/v1/tasks/by-status/"
	    "?page=2&status=todo");
	free(got);
}

/* "The other parameters kept as given": all of them, however many. */
Test(link, no_parameter_dropped)
{
	char	query[1024], want[32], *got;
	size_t	i, len;

	len = 0;
	for (i = 0; i < 40; i++)
		len += snprintf(query + len, sizeof(query) - len,
		    "%sp%02zu=%zu", i ? "&" : "", i, i);
	(void)snprintf(query + len, sizeof(query) - len, "&search=x");
	got = paging_link(BASE, query, 2);
	cr_assert_not_null(got);
	for (i = 0; i < 40; i++) {
		(void)snprintf(want, sizeof(want), "p%02zu=%zu", i, i);
		cr_expect(strstr(got, want) != NULL, "%s missing", want);
	}
	cr_expect(strstr(got, "&search=x") != NULL, "search=x missing: %s",
	    got);
	free(got);
}
