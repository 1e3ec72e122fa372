/*
 * The dispatcher: every handler hands its route table here. Before a
 * route's own code runs, the request must use an allowed method (else 405
 * with Allow), satisfy the route's permission rule (else 403) and, when it
 * carries a body, send JSON (415) within the size limit (413) that parses
 * (400). DRF's order: authentication (the hook) first, then these.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mtapi.h"

static const struct api_method	*route_method(const struct api_route *,
				    int);
static void	route_allow(const struct api_route *, char *, size_t);
static int	body_parse(struct http_request *, struct api_req *);
static int	content_type_json(const char *);

int
api_dispatch(struct http_request *req, const struct api_route *route)
{
	struct api_req		*ar;
	const struct api_method	*m;
	char			allow[96], detail[96];

	ar = api_req_get(req);
	if (ar->dispatched)
		return (api_db_run(req));
	ar->dispatched = 1;
	ar->route = route;

	/* Routes behind the auth hook were admitted there. */
	if (route->perm.resource == NULL && api_req_admit(req, ar) == -1)
		return (KORE_RESULT_OK);

	route_allow(route, allow, sizeof(allow));

	if (req->method == HTTP_METHOD_OPTIONS) {
		http_response_header(req, "allow", allow);
		api_respond(req, 200, "{}", 2);
		return (KORE_RESULT_OK);
	}

	if ((m = route_method(route, req->method)) == NULL) {
		http_response_header(req, "allow", allow);
		(void)snprintf(detail, sizeof(detail),
		    "Method \"%s\" not allowed.",
		    http_method_text(req->method));
		api_error(req, 405, "method_not_allowed", detail);
		return (KORE_RESULT_OK);
	}
	ar->m = m;

	if (route->perm.resource != NULL) {
		if (!ar->authed) {
			api_error(req, 401, "not_authenticated",
			    "Authentication credentials were not provided.");
			return (KORE_RESULT_OK);
		}
		if (!perms_allow(&ar->p, &route->perm, m->action)) {
			api_error(req, 403, "permission_denied", "You do not "
			    "have permission to perform this action.");
			return (KORE_RESULT_OK);
		}
	}

	if ((m->flags & API_F_BODY) && body_parse(req, ar) == -1)
		return (KORE_RESULT_OK);

	return (api_db_start(req, m->start(req, ar)));
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

static int
body_parse(struct http_request *req, struct api_req *ar)
{
	json_error_t	jerr;
	const char	*ctype;
	char		detail[256];
	size_t		len;

	len = req->http_body_length;
	if (len == 0) {
		/* DRF reads an absent body as {}: required fields fail. */
		ar->body = json_object();
		return (0);
	}

	if (!http_request_header(req, "content-type", &ctype))
		ctype = "";
	if (!content_type_json(ctype)) {
		(void)snprintf(detail, sizeof(detail),
		    "Unsupported media type \"%.64s\" in request.", ctype);
		api_error(req, 415, "unsupported_media_type", detail);
		return (-1);
	}

	if ((long)len > app.s.max_body) {
		(void)snprintf(detail, sizeof(detail), "Request body exceeds "
		    "the limit of %ld bytes.", app.s.max_body);
		api_error(req, 413, "payload_too_large", detail);
		return (-1);
	}

	if (req->http_body == NULL) {
		api_error(req, 400, "parse_error", "JSON parse error.");
		return (-1);
	}

	/* Duplicate keys are refused: which one would count is a guess. */
	/* Any JSON value: a scalar is a validation error, not a parse one. */
	ar->body = json_loadb((const char *)req->http_body->data,
	    len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (ar->body == NULL) {
		(void)snprintf(detail, sizeof(detail),
		    "JSON parse error - %.160s", jerr.text);
		api_error(req, 400, "parse_error", detail);
		return (-1);
	}

	return (0);
}

/* application/json, any case, with or without parameters. */
static int
content_type_json(const char *ctype)
{
	size_t		len;

	while (*ctype == ' ')
		ctype++;
	len = strcspn(ctype, "; ");

	return (len == 16 && !strncasecmp(ctype, "application/json", 16));
}
