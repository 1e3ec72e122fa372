/*
 * Checks of what a request brought, before any database work: an allowed
 * Host, the object id in the path, the query parameters, the JSON body
 * and its fields. Each answers the request itself when the check fails
 * (400, 404, 413, 415) and returns -1; the caller then stops.
 *
 * The route validators of conf/api.conf for the value lists are here
 * too: they check against src/core/values.c, so the lists are spelled
 * once.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mtapi.h"

int	input_check_project_status(struct http_request *, const void *);
int	input_check_task_status(struct http_request *, const void *);
int	input_check_priority(struct http_request *, const void *);
int	input_check_order_projects(struct http_request *, const void *);
int	input_check_order_tasks(struct http_request *, const void *);
int	input_check_order_documents(struct http_request *, const void *);

static int	qs_declared(struct http_request *, const char *);
static int	qs_has_argument(struct http_request *, const char *);
static int	content_type_json(const char *);
static int	kore_result(int);

/* Django's ALLOWED_HOSTS check: a Host outside the list gets 400. */
int
input_admit(struct http_request *req, struct api_req *ar)
{
	if (!hosts_allowed(&app.s, req->host)) {
		log_line(LOG_LEVEL_WARNING, NULL, "refused Host header "
		    "'%.100s' rid=%s", req->host, ar->rid);
		resp_error(req, 400, "invalid_host", "Invalid Host header.");
		return (-1);
	}

	return (0);
}

/*
 * The object id in a path such as /api/v1/projects/<id>/... into ar->id:
 * a positive integer that fits in 64 bits, else 404 and -1.
 */
int
input_path_id(struct http_request *req, struct api_req *ar,
    const char *prefix)
{
	const char	*p, *end;
	char		buf[32];
	size_t		len;

	len = strlen(prefix);
	if (strncmp(req->path, prefix, len))
		goto notfound;

	p = req->path + len;
	if ((end = strchr(p, '/')) == NULL)
		end = p + strlen(p);
	if (end == p || (size_t)(end - p) >= sizeof(buf))
		goto notfound;

	memcpy(buf, p, end - p);
	buf[end - p] = '\0';
	if (fields_parse_id(buf, &ar->id) == 0)
		return (0);

notfound:
	resp_error(req, 404, "not_found", "Not found.");
	return (-1);
}

/*
 * Kore validates query parameters with the validators of the route's
 * params block in conf/routes.conf and silently drops a value that fails.
 * A declared parameter that was given a value but did not survive is a bad
 * value: 400, naming the parameter.
 */
int
input_qs_check(struct http_request *req, struct api_req *ar)
{
	struct http_arg	*q;
	char		*copy, *p, *tok, *eq;
	json_t		*errors;
	u_int8_t	method;

	/* params blocks are declared for GET; HEAD takes the same ones. */
	method = req->method;
	if (method == HTTP_METHOD_HEAD)
		req->method = HTTP_METHOD_GET;
	http_populate_qs(req);
	req->method = method;

	if (req->query_string == NULL)
		return (0);

	/* Values go to PostgreSQL as text: they must be UTF-8. */
	errors = NULL;
	TAILQ_FOREACH(q, &(req->arguments), list) {
		if (!fields_utf8_valid(q->s_value))
			fields_error_add(&errors, q->name,
			    "Enter a valid value.");
	}

	copy = kore_strdup(req->query_string);
	for (p = copy; (tok = strsep(&p, "&")) != NULL;) {
		if ((eq = strchr(tok, '=')) == NULL || eq[1] == '\0')
			continue;
		*eq = '\0';
		if (!http_argument_urldecode(tok))
			continue;
		if (!qs_declared(req, tok) || qs_has_argument(req, tok))
			continue;
		fields_error_add(&errors, tok, "Enter a valid value.");
	}
	kore_free(copy);

	if (errors != NULL) {
		resp_error_fields(req, errors);
		return (-1);
	}

	return (0);
}

/* A query parameter that passed its validator, or NULL. */
const char *
input_arg(struct http_request *req, const char *name)
{
	char		*v;

	if (!http_argument_get_string(req, name, &v))
		return (NULL);

	return (v);
}

/*
 * An id filter (?project=): a positive 64-bit integer as text, or NULL
 * when absent. A value past 64 bits passes the regex but not this: 400.
 */
int
input_arg_id(struct http_request *req, const char *name, const char **out)
{
	json_t		*errors;
	int64_t		id;

	*out = input_arg(req, name);
	if (*out == NULL || fields_parse_id(*out, &id) == 0)
		return (0);

	errors = NULL;
	fields_error_add(&errors, name, "Enter a valid value.");
	resp_error_fields(req, errors);

	return (-1);
}

/*
 * The JSON body into ar->body: 415 without a JSON content type, 413 over
 * MAX_BODY_BYTES, 400 when it does not parse. No body reads as {}, as in
 * DRF: the required fields then fail.
 */
int
input_body(struct http_request *req, struct api_req *ar)
{
	json_error_t	jerr;
	const char	*ctype;
	char		detail[256];
	size_t		len;

	len = req->http_body_length;
	if (len == 0) {
		ar->body = json_object();
		return (0);
	}

	if (!http_request_header(req, "content-type", &ctype))
		ctype = "";
	if (!content_type_json(ctype)) {
		(void)snprintf(detail, sizeof(detail),
		    "Unsupported media type \"%.64s\" in request.", ctype);
		resp_error(req, 415, "unsupported_media_type", detail);
		return (-1);
	}

	if ((long)len > app.s.max_body) {
		(void)snprintf(detail, sizeof(detail), "Request body exceeds "
		    "the limit of %ld bytes.", app.s.max_body);
		resp_error(req, 413, "payload_too_large", detail);
		return (-1);
	}

	if (req->http_body == NULL) {
		resp_error(req, 400, "parse_error", "JSON parse error.");
		return (-1);
	}

	/*
	 * Duplicate keys are refused: which one would count is a guess.
	 * Any JSON value: a scalar is a validation error, not a parse one,
	 * and so are U+0000 and integers past 64 bits (src/core/fields.c).
	 */
	ar->body = bodyjson_load((const char *)req->http_body->data, len,
	    &jerr);
	if (ar->body == NULL) {
		(void)snprintf(detail, sizeof(detail),
		    "JSON parse error - %.160s", jerr.text);
		resp_error(req, 400, "parse_error", detail);
		return (-1);
	}

	return (0);
}

/* Check the body against a resource's field rules (partial: PATCH). */
int
input_validate(struct http_request *req, struct api_req *ar,
    const struct field_rule *rules, size_t n, int partial)
{
	if (fields_validate(ar->body, rules, n, partial, &ar->fields) == 0)
		return (0);

	resp_error_fields(req, ar->fields.errors);
	ar->fields.errors = NULL;

	return (-1);
}

/* The validators conf/api.conf names for the value lists. */
int
input_check_project_status(struct http_request *req, const void *data)
{
	return (kore_result(values_contains(values_project_statuses, data)));
}

int
input_check_task_status(struct http_request *req, const void *data)
{
	return (kore_result(values_contains(values_task_statuses, data)));
}

int
input_check_priority(struct http_request *req, const void *data)
{
	return (kore_result(values_contains(values_task_priorities, data)));
}

int
input_check_order_projects(struct http_request *req, const void *data)
{
	return (kore_result(values_ordering_valid(values_order_projects,
	    data)));
}

int
input_check_order_tasks(struct http_request *req, const void *data)
{
	return (kore_result(values_ordering_valid(values_order_tasks, data)));
}

int
input_check_order_documents(struct http_request *req, const void *data)
{
	return (kore_result(values_ordering_valid(values_order_documents,
	    data)));
}

static int
kore_result(int yes)
{
	return (yes ? KORE_RESULT_OK : KORE_RESULT_ERROR);
}

static int
qs_declared(struct http_request *req, const char *name)
{
	struct kore_handler_params	*p;

	TAILQ_FOREACH(p, &(req->hdlr->params), list) {
		if ((p->flags & KORE_PARAMS_QUERY_STRING) &&
		    p->method == HTTP_METHOD_GET && !strcmp(p->name, name))
			return (1);
	}

	return (0);
}

static int
qs_has_argument(struct http_request *req, const char *name)
{
	struct http_arg		*q;

	TAILQ_FOREACH(q, &(req->arguments), list) {
		if (!strcmp(q->name, name))
			return (1);
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
