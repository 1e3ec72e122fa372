/*
 * GET /health/ (readiness: the database answers) and GET /health/live/
 * (liveness: the process answers; no database work, the HTTP ceiling the
 * benchmark measures against). No authentication.
 */

#include "../mtapi.h"

int	health(struct http_request *);
int	health_live(struct http_request *);

static int	health_start(struct http_request *, struct api_req *);
static int	health_step(struct http_request *, struct api_req *);
static void	health_fail(struct http_request *, struct api_req *, int);
static int	health_live_start(struct http_request *, struct api_req *);

static const char	healthy[] =
			    "{\"status\":\"healthy\",\"database\":\"ok\"}";
static const char	unhealthy[] =
			    "{\"status\":\"unhealthy\","
			    "\"database\":\"unavailable\"}";
static const char	alive[] = "{\"status\":\"alive\"}";

static const struct api_method health_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, health_start, health_step,
	    health_fail },
};

static const struct api_method live_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, health_live_start, NULL, NULL },
};

static const struct api_route health_route = {
	{ NULL, 0 }, health_methods, 1, NULL
};

static const struct api_route live_route = {
	{ NULL, 0 }, live_methods, 1, NULL
};

int
health(struct http_request *req)
{
	return (dispatch_route(req, &health_route));
}

int
health_live(struct http_request *req)
{
	return (dispatch_route(req, &live_route));
}

static int
health_start(struct http_request *req, struct api_req *ar)
{
	db_statement(ar, "SELECT 1");
	return (STEP_QUERY);
}

static int
health_step(struct http_request *req, struct api_req *ar)
{
	resp_send(req, 200, healthy, sizeof(healthy) - 1);
	return (STEP_RESPONDED);
}

static void
health_fail(struct http_request *req, struct api_req *ar, int unavailable)
{
	http_response_header(req, "retry-after", "5");
	resp_send(req, 503, unhealthy, sizeof(unhealthy) - 1);
}

static int
health_live_start(struct http_request *req, struct api_req *ar)
{
	resp_send(req, 200, alive, sizeof(alive) - 1);
	return (STEP_RESPONDED);
}
