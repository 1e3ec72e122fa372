/*
 * The dispatcher: every handler hands its route table here. Before a
 * route's own code runs, the request must use an allowed method (else 405
 * with Allow) and satisfy the route's permission rule (else 403); a body
 * is read by src/input.c (415, 413, 400). DRF's order: authentication
 * (the hook) first, then these.
 */

#include <stdio.h>
#include <string.h>

#include "mtapi.h"

static const struct api_method	*route_method(const struct api_route *,
				    int);
static void	route_allow(const struct api_route *, char *, size_t);

int
dispatch_route(struct http_request *req, const struct api_route *route)
{
	struct api_req		*ar;
	const struct api_method	*m;
	char			allow[96], detail[96];

	ar = request_get(req);
	if (ar->dispatched)
		return (db_run(req));
	ar->dispatched = 1;
	ar->route = route;

	/* Routes behind the auth hook were admitted there. */
	if (route->perm.resource == NULL && input_admit(req, ar) == -1)
		return (KORE_RESULT_OK);

	route_allow(route, allow, sizeof(allow));

	if (req->method == HTTP_METHOD_OPTIONS) {
		http_response_header(req, "allow", allow);
		resp_send(req, 200, "{}", 2);
		return (KORE_RESULT_OK);
	}

	if ((m = route_method(route, req->method)) == NULL) {
		http_response_header(req, "allow", allow);
		(void)snprintf(detail, sizeof(detail),
		    "Method \"%s\" not allowed.",
		    http_method_text(req->method));
		resp_error(req, 405, "method_not_allowed", detail);
		return (KORE_RESULT_OK);
	}
	ar->m = m;

	if (route->perm.resource != NULL) {
		if (!ar->authed) {
			resp_error(req, 401, "not_authenticated",
			    "Authentication credentials were not provided.");
			return (KORE_RESULT_OK);
		}
		if (!perms_allow(&ar->p, &route->perm, m->action)) {
			resp_error(req, 403, "permission_denied", "You do not "
			    "have permission to perform this action.");
			return (KORE_RESULT_OK);
		}
	}

	if ((m->flags & API_F_BODY) && input_body(req, ar) == -1)
		return (KORE_RESULT_OK);

	return (db_start(req, m->start(req, ar)));
}

static const struct api_method *
route_method(const struct api_route *route, int method)
{
	size_t		i;

	if (method == HTTP_METHOD_HEAD)
		method = HTTP_METHOD_GET;

	for (i = 0; i < route->nmethods; i++) {
		if (route->methods[i].method == method)
			return (&route->methods[i]);
	}

	return (NULL);
}

static void
route_allow(const struct api_route *route, char *buf, size_t len)
{
	size_t		i, off;
	int		n;

	off = 0;
	for (i = 0; i < route->nmethods && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s, %s",
		    http_method_text(route->methods[i].method),
		    route->methods[i].method == HTTP_METHOD_GET ?
		    "HEAD, " : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len)
		(void)snprintf(buf + off, len - off, "OPTIONS");
}
