/*
 * Every response leaves through resp_send(): JSON content type, the
 * request id, rate limit and CORS headers, the access log line, and the
 * API client usage record.
 */

#include <stdio.h>
#include <string.h>

#include "mtapi.h"
#include "conn.h"
#include "metrics.h"

#define CORS_EXPOSE	"X-Request-ID, X-RateLimit-Limit, " \
			"X-RateLimit-Remaining, Retry-After"

static void	cors_headers(struct http_request *);
static void	passthrough_denied(int, const char *);

void
resp_send(struct http_request *req, int status, const void *body,
    size_t len)
{
	resp_send_typed(req, status, "application/json; charset=utf-8",
	    body, len);
}

void
resp_send_typed(struct http_request *req, int status, const char *type,
    const void *body, size_t len)
{
	struct api_req		*ar = request_get(req);
	struct log_access	la;
	char			buf[32];

	ar->status = status;

	if (status != 204)
		http_response_header(req, "content-type", type);
	http_response_header(req, "x-request-id", ar->rid);

	if (ar->rl_limit >= 0) {
		(void)snprintf(buf, sizeof(buf), "%ld", ar->rl_limit);
		http_response_header(req, "x-ratelimit-limit", buf);
		(void)snprintf(buf, sizeof(buf), "%ld", ar->rl_remaining);
		http_response_header(req, "x-ratelimit-remaining", buf);
	}

	if (status == 401)
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"api\"");

	cors_headers(req);

	if (status == 204) {
		body = NULL;
		len = 0;
	}
	conn_respond(req, status, body, len);

	/* Who and what, never a credential: no header or body is logged. */
	memset(&la, 0, sizeof(la));
	la.rid = ar->rid;
	if (ar->authed) {
		la.tenant = ar->p.tenant_slug;
		la.kind = token_auth_type_name(ar->p.auth_type);
		la.subject = ar->p.subject;
	}
	la.method = http_method_text(req->method);
	la.route = metrics_route_name(req);
	la.path = req->path;
	la.status = status;
	la.latency_ms = kore_time_ms() - ar->started;
	metrics_request(req, status, la.latency_ms);
	log_access(status >= 500 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, &la);

	if (ar->authed && ar->p.auth_type == AUTH_TYPE_API_CLIENT)
		usage_record(req, ar);
}

void
resp_json(struct http_request *req, int status, json_t *obj)
{
	static const char	oom[] = "{\"detail\":\"A server error "
				    "occurred.\",\"code\":\"server_error\"}";
	char			*s;

	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		json_decref(obj);
		resp_send(req, 500, oom, sizeof(oom) - 1);
		return;
	}

	resp_send(req, status, s, strlen(s));
	free(s);
	json_decref(obj);
}

void
resp_error(struct http_request *req, int status, const char *code,
    const char *detail)
{
	json_t		*obj;

	if (status == 401 || status == 403 || status == 429)
		metrics_denied(status, code);

	obj = json_pack("{s:s, s:s}", "detail", detail, "code", code);
	resp_json(req, status, obj);
}

/* 400 with DRF's field errors; takes ownership of errors. */
void
resp_error_fields(struct http_request *req, json_t *errors)
{
	json_t		*obj;

	obj = json_pack("{s:s, s:s, s:o}", "detail", "Invalid input.",
	    "code", "invalid", "errors", errors);
	resp_json(req, 400, obj);
}

/*
 * A database failure the client did not cause: 503 while the database
 * is unreachable, 500 otherwise; never the error text itself.
 */
void
resp_error_db(struct http_request *req, int unavailable)
{
	if (unavailable) {
		http_response_header(req, "retry-after", "5");
		resp_error(req, 503, "service_unavailable",
		    "Service temporarily unavailable, try again later.");
		return;
	}

	resp_error(req, 500, "server_error", "A server error occurred.");
}

/*
 * The API functions in sql/ answer (status, total, body): pass the body
 * through as it is.
 */
int
resp_passthrough(struct http_request *req, struct api_req *ar)
{
	int		status, err;
	const char	*body;

	if (ar->nrows != 1 || ar->ncols < 3 || ar->cols[0] == NULL) {
		log_line(LOG_LEVEL_ERROR, ar->p.tenant_slug,
		    "unexpected result shape for %s rid=%s", req->path,
		    ar->rid);
		resp_error_db(req, 0);
		return (STEP_RESPONDED);
	}

	status = kore_strtonum(ar->cols[0], 10, 200, 599, &err);
	if (err != KORE_RESULT_OK)
		status = 500;

	body = ar->cols[2];
	if (body == NULL)
		body = "";
	if (status == 401 || status == 403 || status == 429)
		passthrough_denied(status, body);

	resp_send(req, status, body, strlen(body));
	return (STEP_RESPONDED);
}

static void
cors_headers(struct http_request *req)
{
	const char	*origin;

	if (app.s.cors_origins_count == 0 ||
	    !http_request_header(req, "origin", &origin))
		return;

	http_response_header(req, "vary", "Origin");
	if (!hosts_origin_allowed(&app.s, origin))
		return;

	http_response_header(req, "access-control-allow-origin", origin);
	http_response_header(req, "access-control-expose-headers",
	    CORS_EXPOSE);
	if (req->method == HTTP_METHOD_OPTIONS) {
		http_response_header(req, "access-control-allow-methods",
		    "GET, POST, PUT, PATCH, DELETE, OPTIONS");
		http_response_header(req, "access-control-allow-headers",
		    "Authorization, Content-Type, X-Request-ID");
		http_response_header(req, "access-control-max-age", "86400");
	}
}

/* A refusal of an API function: its reason is the body's code. */
static void
passthrough_denied(int status, const char *body)
{
	json_t		*obj;

	obj = json_loads(body, 0, NULL);
	metrics_denied(status, json_string_value(json_object_get(obj, "code")));
	json_decref(obj);
}
