/*
 * The operator listener's pages (conf/: server ops, 127.0.0.1:8001 by
 * default; none of them is on the API port): GET /metrics, the
 * Prometheus exposition of the whole instance (src/metrics.c), and GET
 * /health/ready/, 200 when the database answers, 503 otherwise. No
 * authentication: the listener is for the operator's network only.
 */

#include "../mtapi.h"
#include "../metrics.h"

#define EXPOSITION_TYPE	"text/plain; version=0.0.4; charset=utf-8"

int	ops_metrics(struct http_request *);
int	ops_ready(struct http_request *);

static int	metrics_start(struct http_request *, struct api_req *);
static int	ready_start(struct http_request *, struct api_req *);
static int	ready_step(struct http_request *, struct api_req *);
static void	ready_fail(struct http_request *, struct api_req *, int);

static const char	ready[] = "{\"status\":\"ready\",\"database\":\"ok\"}";
static const char	not_ready[] = "{\"status\":\"not_ready\","
			    "\"database\":\"unavailable\"}";

static const struct api_method metrics_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, metrics_start, NULL, NULL },
};

static const struct api_method ready_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, ready_start, ready_step,
	    ready_fail },
};

static const struct api_route metrics_route = {
	{ NULL, 0 }, metrics_methods, 1, NULL
};

static const struct api_route ready_route = {
	{ NULL, 0 }, ready_methods, 1, NULL
};

int
ops_metrics(struct http_request *req)
{
	return (dispatch_route(req, &metrics_route));
}

int
ops_ready(struct http_request *req)
{
	return (dispatch_route(req, &ready_route));
}

static int
metrics_start(struct http_request *req, struct api_req *ar)
{
	struct kore_buf		*b;

	b = kore_buf_alloc(16384);
	metrics_render(b);
	resp_send_typed(req, 200, EXPOSITION_TYPE, b->data, b->offset);
	kore_buf_free(b);

	return (STEP_RESPONDED);
}

static int
ready_start(struct http_request *req, struct api_req *ar)
{
	db_statement(ar, "SELECT 1");
	return (STEP_QUERY);
}

static int
ready_step(struct http_request *req, struct api_req *ar)
{
	resp_send(req, 200, ready, sizeof(ready) - 1);
	return (STEP_RESPONDED);
}

static void
ready_fail(struct http_request *req, struct api_req *ar, int unavailable)
{
	http_response_header(req, "retry-after", "5");
	resp_send(req, 503, not_ready, sizeof(not_ready) - 1);
}
