/*
 * The detail and write routes every resource has, from its api_resource:
 * retrieve and delete by the path's id, create, and update (PUT checks
 * required fields, PATCH takes what was given). The SQL function decides
 * the rest (sql/R__0*.sql).
 */

#include "mtapi.h"

static int	resource_update(struct http_request *, struct api_req *, int);

/*
 * The common shape of a detail route: the principal and the object id
 * from the path (404 when it is not one).
 */
int
resource_by_id(struct http_request *req, struct api_req *ar,
    const char *prefix, const char *sql)
{
	if (input_path_id(req, ar, prefix) == -1)
		return (STEP_RESPONDED);

	db_statement(ar, sql);
	db_bind_principal(ar);
	db_bind_int(ar, ar->id);

	return (STEP_QUERY);
}

int
resource_get(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	return (resource_by_id(req, ar, res->prefix, res->sql_get));
}

int
resource_delete(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	return (resource_by_id(req, ar, res->prefix, res->sql_delete));
}

int
resource_create(struct http_request *req, struct api_req *ar)
{
	const struct api_resource	*res = ar->route->res;

	if (input_validate(req, ar, res->rules, res->nrules, 0) == -1)
		return (STEP_RESPONDED);

	db_statement(ar, res->sql_create);
	if (res->sql_create_batch != NULL)
		db_statement_batch(ar, res->sql_create_batch);
	db_bind_principal(ar);
	db_bind_fields(ar, res->nrules);

	return (STEP_QUERY);
}

int
resource_put(struct http_request *req, struct api_req *ar)
{
	return (resource_update(req, ar, 0));
}

int
resource_patch(struct http_request *req, struct api_req *ar)
{
	return (resource_update(req, ar, 1));
}

static int
resource_update(struct http_request *req, struct api_req *ar, int partial)
{
	const struct api_resource	*res = ar->route->res;

	if (input_path_id(req, ar, res->prefix) == -1 ||
	    input_validate(req, ar, res->rules, res->nrules, partial) == -1)
		return (STEP_RESPONDED);

	db_statement(ar, res->sql_update);
	db_bind_principal(ar);
	db_bind_int(ar, ar->id);
	db_bind_mask(ar);
	db_bind_fields(ar, res->nrules);

	return (STEP_QUERY);
}
