/*
 * The detail and write routes every resource has, from its api_resource:
 * retrieve and delete by the path's id, create, and update (PUT checks
 * required fields, PATCH takes what was given). The SQL function decides
 * the rest (sql/R__0*.sql).
 */

#include "mtapi.h"

static int	resource_update(struct http_request *, struct api_req *, int);

int
api_resource_get(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	return (api_query_by_id(req, ar, res->prefix, res->sql_get));
}

int
api_resource_delete(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	return (api_query_by_id(req, ar, res->prefix, res->sql_delete));
}

int
api_resource_create(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	if (api_validate(req, ar, res->rules, res->nrules, 0) == -1)
		return (STEP_RESPONDED);

	api_query(ar, res->sql_create);
	api_bind_principal(ar);
	api_bind_fields(ar, res->nrules);

	return (STEP_QUERY);
}

int
api_resource_put(struct http_request *req, struct api_req *ar)
{
	return (resource_update(req, ar, 0));
}

int
api_resource_patch(struct http_request *req, struct api_req *ar)
{
	return (resource_update(req, ar, 1));
}

static int
resource_update(struct http_request *req, struct api_req *ar, int partial)
{
	const struct api_resource	*res = ar->route->res;

	if (api_path_id(req, ar, res->prefix) == -1 ||
	    api_validate(req, ar, res->rules, res->nrules, partial) == -1)
		return (STEP_RESPONDED);

	api_query(ar, res->sql_update);
	api_bind_principal(ar);
	api_bind_int(ar, ar->id);
	api_bind_mask(ar);
	api_bind_fields(ar, res->nrules);

	return (STEP_QUERY);
}
