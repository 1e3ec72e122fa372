/*
 * The per-request context and what every request is checked for before
 * anything else: an allowed Host, a request id, declared query parameters.
 */

#include <arpa/inet.h>

#include <ctype.h>
#include <string.h>

#include "mtapi.h"

static void	api_req_free(struct http_request *);
static int	rid_acceptable(const char *);
static int	qs_declared(struct http_request *, const char *);
static int	qs_has_argument(struct http_request *, const char *);

struct api_req *
api_req_get(struct http_request *req)
{
	struct api_req	*ar;
	const char	*hdr;
	char		uuid[TOKEN_UUID_LEN + 1];

	if (http_state_exists(req))
		return (http_state_get(req));

	ar = http_state_create(req, sizeof(*ar), api_req_free);
	ar->started = kore_time_ms();
	ar->rl_limit = -1;
	ar->rl_remaining = -1;

	if (http_request_header(req, "x-request-id", &hdr) &&
	    rid_acceptable(hdr)) {
		(void)kore_strlcpy(ar->rid, hdr, sizeof(ar->rid));
	} else {
		token_uuid_new(uuid);
		(void)kore_strlcpy(ar->rid, uuid, sizeof(ar->rid));
	}

	return (ar);
}

/* Django's ALLOWED_HOSTS check: a Host outside the list gets 400. */
int
api_req_admit(struct http_request *req, struct api_req *ar)
{
	if (!hosts_allowed(&app.s, req->host)) {
		log_line(LOG_LEVEL_WARNING, NULL, "refused Host header "
		    "'%.100s' rid=%s", req->host, ar->rid);
		api_error(req, 400, "invalid_host", "Invalid Host header.");
		return (-1);
	}

	return (0);
}

const char *
api_client_ip(struct http_request *req, char *buf, size_t len)
{
	struct connection	*c = req->owner;
	const void		*src;

	switch (c->family) {
	case AF_INET:
		src = &c->addr.ipv4.sin_addr;
		break;
	case AF_INET6:
		src = &c->addr.ipv6.sin6_addr;
		break;
	default:
		(void)kore_strlcpy(buf, "unix", len);
		return (buf);
	}

	if (inet_ntop(c->family, src, buf, len) == NULL)
		(void)kore_strlcpy(buf, "unknown", len);

	return (buf);
}

/*
 * The object id in a path such as /api/v1/projects/<id>/... into ar->id:
 * a positive integer that fits in 64 bits, else 404 and -1.
 */
int
api_path_id(struct http_request *req, struct api_req *ar, const char *prefix)
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
	api_error(req, 404, "not_found", "Not found.");
	return (-1);
}

/*
 * Kore validates query parameters with the validators of the route's
 * params block in conf/routes.conf and silently drops a value that fails.
 * A declared parameter that was given a value but did not survive is a bad
 * value: 400, naming the parameter.
 */
int
api_qs_check(struct http_request *req, struct api_req *ar)
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
		api_error_fields(req, errors);
		return (-1);
	}

	return (0);
}

/* A query parameter that passed its validator, or NULL. */
const char *
api_arg(struct http_request *req, const char *name)
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
api_arg_id(struct http_request *req, struct api_req *ar, const char *name,
    const char **out)
{
	json_t		*errors;
	int64_t		id;

	*out = api_arg(req, name);
	if (*out == NULL || fields_parse_id(*out, &id) == 0)
		return (0);

	errors = NULL;
	fields_error_add(&errors, name, "Enter a valid value.");
	api_error_fields(req, errors);

	return (-1);
}

/* Check the body against a resource's field rules (partial: PATCH). */
int
api_validate(struct http_request *req, struct api_req *ar,
    const struct field_rule *rules, size_t n, int partial)
{
	if (fields_validate(ar->body, rules, n, partial, &ar->fields) == 0)
		return (0);

	api_error_fields(req, ar->fields.errors);
	ar->fields.errors = NULL;

	return (-1);
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

static int
rid_acceptable(const char *s)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= API_RID_MAX)
			return (0);
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.:", s[i]) == NULL)
			return (0);
	}

	return (i > 0);
}

static void
api_req_free(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	/*
	 * Kore calls this again later while a task is still running (it
	 * defers the free until the task ends), so everything here must be
	 * safe to repeat.
	 */
	api_db_release(ar);
	if (ar->task_active && kore_task_finished(&ar->task)) {
		kore_task_destroy(&ar->task);
		ar->task_active = 0;
	}
	json_decref(ar->body);
	ar->body = NULL;
	fields_free(&ar->fields);
	if (ar->priv != NULL && ar->priv_free != NULL)
		ar->priv_free(ar->priv);
	ar->priv = NULL;
}
