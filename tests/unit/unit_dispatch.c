/*
 * Unit tests for the method checks of src/dispatch.c: which entry of a
 * route table serves a method (GET serves HEAD), and the Allow header a
 * 405 or an OPTIONS answer lists.
 */

#include <criterion/criterion.h>

#include "../../src/dispatch.c"

static const struct api_method	methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, NULL, NULL, NULL },
	{ HTTP_METHOD_PUT, PERM_WRITE, API_F_BODY, NULL, NULL, NULL },
	{ HTTP_METHOD_DELETE, PERM_WRITE, 0, NULL, NULL, NULL },
};

static const struct api_method	post_only[] = {
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, NULL, NULL, NULL },
};

static const struct api_route	item = { { "tasks", PRINCIPAL_ANY },
				    methods, 3, NULL };
static const struct api_route	login = { { NULL, 0 }, post_only, 1, NULL };

Test(dispatch, method_lookup)
{
	cr_expect_eq(route_method(&item, HTTP_METHOD_GET), &methods[0]);
	cr_expect_eq(route_method(&item, HTTP_METHOD_HEAD), &methods[0]);
	cr_expect_eq(route_method(&item, HTTP_METHOD_PUT), &methods[1]);
	cr_expect_eq(route_method(&item, HTTP_METHOD_DELETE), &methods[2]);
	cr_expect_null(route_method(&item, HTTP_METHOD_POST));
	cr_expect_null(route_method(&item, HTTP_METHOD_PATCH));
	cr_expect_null(route_method(&item, HTTP_METHOD_OPTIONS));
	cr_expect_null(route_method(&login, HTTP_METHOD_GET));
	cr_expect_null(route_method(&login, HTTP_METHOD_HEAD));
	cr_expect_eq(route_method(&login, HTTP_METHOD_POST), &post_only[0]);
}

Test(dispatch, allow_header)
{
	char	buf[96];

	route_allow(&item, buf, sizeof(buf));
	cr_expect_str_eq(buf, "GET, HEAD, PUT, DELETE, OPTIONS");
	route_allow(&login, buf, sizeof(buf));
	cr_expect_str_eq(buf, "POST, OPTIONS");
}

/* A buffer too small is cut, never overrun, and stays a string. */
Test(dispatch, allow_header_small_buffer)
{
	char	buf[12];

	memset(buf, 'x', sizeof(buf));
	route_allow(&item, buf, sizeof(buf));
	cr_expect_lt(strlen(buf), sizeof(buf));
	cr_expect_eq(strncmp(buf, "GET, HEAD, ", strlen(buf)), 0, "%s", buf);
}
