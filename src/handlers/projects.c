/*
 * Projects: /api/v1/projects/, /{id}/ and /statistics/.
 * The SQL is in sql/R__030_projects.sql; the routes and their query
 * parameters in conf/routes.conf.
 */

#include "../mtapi.h"

#define SQL_LIST	"SELECT * FROM api.project_list($1, $2, $3, $4, $5, " \
			"$6, $7, $8, $9, $10)"
#define SQL_GET		"SELECT * FROM api.project_get($1, $2, $3, $4, $5, " \
			"$6)"
#define SQL_CREATE	"SELECT * FROM api.project_create($1, $2, $3, $4, " \
			"$5, $6, $7, $8)"
#define SQL_UPDATE	"SELECT * FROM api.project_update($1, $2, $3, $4, " \
			"$5, $6, $7, $8, $9, $10)"
#define SQL_DELETE	"SELECT * FROM api.project_delete($1, $2, $3, $4, " \
			"$5, $6)"
#define SQL_STATS	"SELECT * FROM api.project_statistics($1, $2, $3, " \
			"$4, $5)"

int	projects_collection(struct http_request *);
int	projects_item(struct http_request *);
int	projects_statistics(struct http_request *);

static int	project_list(struct http_request *, struct api_req *);
static int	project_stats(struct http_request *, struct api_req *);

/* The order is the SQL's p_mask bit order. */
static const struct field_rule rules[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "description", FIELD_STRING, FIELD_ALLOW_BLANK, 10000, NULL },
	{ "status", FIELD_CHOICE, 0, 0,
	    values_project_statuses },
};

static const struct api_resource project = {
	"/api/v1/projects/", rules, sizeof(rules) / sizeof(rules[0]),
	SQL_GET, SQL_CREATE, SQL_UPDATE, SQL_DELETE, NULL
};

static const struct api_method collection_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, project_list, listing_step, NULL },
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, resource_create,
	    resp_passthrough, NULL },
};

static const struct api_method item_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, resource_get, resp_passthrough,
	    NULL },
	{ HTTP_METHOD_PUT, PERM_WRITE, API_F_BODY, resource_put,
	    resp_passthrough, NULL },
	{ HTTP_METHOD_PATCH, PERM_WRITE, API_F_BODY, resource_patch,
	    resp_passthrough, NULL },
	{ HTTP_METHOD_DELETE, PERM_WRITE, 0, resource_delete,
	    resp_passthrough, NULL },
};

static const struct api_method stats_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, project_stats, resp_passthrough, NULL },
};

#define PERM	{ "projects", PRINCIPAL_ANY }

static const struct api_route collection_route = {
	PERM, collection_methods, 2, &project
};
static const struct api_route item_route = {
	PERM, item_methods, 4, &project
};
static const struct api_route stats_route = {
	PERM, stats_methods, 1, NULL
};

int
projects_collection(struct http_request *req)
{
	return (dispatch_route(req, &collection_route));
}

int
projects_item(struct http_request *req)
{
	return (dispatch_route(req, &item_route));
}

int
projects_statistics(struct http_request *req)
{
	return (dispatch_route(req, &stats_route));
}

static int
project_list(struct http_request *req, struct api_req *ar)
{
	if (input_qs_check(req, ar) == -1 ||
	    listing_begin(req, ar, "-created_at") == -1)
		return (STEP_RESPONDED);

	db_statement(ar, SQL_LIST);
	db_bind_principal(ar);
	db_bind(ar, input_arg(req, "status"));
	db_bind(ar, input_arg(req, "search"));
	listing_bind(ar);

	return (STEP_QUERY);
}

static int
project_stats(struct http_request *req, struct api_req *ar)
{
	db_statement(ar, SQL_STATS);
	db_bind_principal(ar);

	return (STEP_QUERY);
}
