/*
 * Foundation: health, JSON errors for unknown routes and wrong methods,
 * request ids, Host checks.
 */

#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

Test(health, reports_database_ok)
{
	struct h_resp	*r;
	char		buf[256];

	r = h_get("/health/", NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(h_str(r, "status"), "healthy");
	cr_assert_str_eq(h_str(r, "database"), "ok");
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
	cr_assert(strstr(h_header(r, "content-type", buf, sizeof(buf)),
	    "application/json") != NULL);
	h_free(r);
}

Test(health, same_without_trailing_slash)
{
	struct h_resp	*r;

	r = h_get("/health", NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);
}

Test(errors, unknown_route_is_json_404)
{
	struct h_resp	*r;

	r = h_get("/no/such/route/", NULL);
	cr_assert_eq(r->status, 404);
	cr_assert_str_eq(h_str(r, "code"), "not_found");
	h_free(r);
}

Test(errors, wrong_method_is_405_with_allow)
{
	struct h_resp	*r;
	char		buf[256];

	r = h_req("DELETE", "/health/", NULL, NULL, NULL);
	cr_assert_eq(r->status, 405);
	cr_assert_str_eq(h_str(r, "code"), "method_not_allowed");
	cr_assert_not_null(h_header(r, "allow", buf, sizeof(buf)));
	cr_assert(strstr(buf, "GET") != NULL, "Allow: %s", buf);
	h_free(r);
}

Test(request_id, echoes_a_sane_client_id)
{
	const char	*hdrs[] = { "X-Request-ID: abc-123_test.1", NULL };
	struct h_resp	*r;
	char		buf[256];

	r = h_req("GET", "/health/", NULL, NULL, hdrs);
	cr_assert_str_eq(h_header(r, "x-request-id", buf, sizeof(buf)),
	    "abc-123_test.1");
	h_free(r);
}

Test(request_id, replaces_an_unsafe_client_id)
{
	const char	*hdrs[] = { "X-Request-ID: bad id with spaces", NULL };
	struct h_resp	*r;
	char		buf[256];

	r = h_req("GET", "/health/", NULL, NULL, hdrs);
	cr_assert_str_neq(h_header(r, "x-request-id", buf, sizeof(buf)),
	    "bad id with spaces");
	cr_assert_eq(strlen(buf), 36);
	h_free(r);
}

Test(hosts, unlisted_host_is_400)
{
	const char	*hdrs[] = { "Host: evil.example", NULL };
	struct h_resp	*r;

	r = h_req("GET", "/health/", NULL, NULL, hdrs);
	cr_assert_eq(r->status, 400);
	cr_assert_str_eq(h_str(r, "code"), "invalid_host");
	h_free(r);
}
