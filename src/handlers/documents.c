/*
 * Documents: /api/v1/documents/ and /{id}/. A document is the metadata
 * of a stored file; its project is optional.
 * The SQL is in sql/R__050_documents.sql; the routes and their query
 * parameters in conf/routes.conf.
 */

#include "../mtapi.h"

#define SQL_LIST	"SELECT * FROM api.document_list($1, $2, $3, $4, $5, " \
			"$6, $7, $8, $9, $10, $11)"
#define SQL_GET		"SELECT * FROM api.document_get($1, $2, $3, $4, $5, " \
			"$6)"
#define SQL_CREATE	"SELECT * FROM api.document_create($1, $2, $3, $4, " \
			"$5, $6, $7, $8, $9, $10, $11)"
#define SQL_UPDATE	"SELECT * FROM api.document_update($1, $2, $3, $4, " \
			"$5, $6, $7, $8, $9, $10, $11, $12, $13)"
#define SQL_DELETE	"SELECT * FROM api.document_delete($1, $2, $3, $4, " \
			"$5, $6)"

#define METADATA_MAX	(64 * 1024)

int	documents_collection(struct http_request *);
int	documents_item(struct http_request *);

static int	document_list(struct http_request *, struct api_req *);

/* The order is the SQL's p_mask bit order. */
static const struct field_rule rules[] = {
	{ "project", FIELD_PK, FIELD_NULLABLE, 0, NULL },
	{ "name", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "file_path", FIELD_STRING, FIELD_REQUIRED, 500, NULL },
	{ "file_size", FIELD_UINT64, FIELD_REQUIRED, 0, NULL },
	{ "content_type", FIELD_MIME, FIELD_REQUIRED, 100, NULL },
	{ "metadata", FIELD_OBJECT, 0, METADATA_MAX, NULL },
};

static const struct api_resource document = {
	"/api/v1/documents/", rules, sizeof(rules) / sizeof(rules[0]),
	SQL_GET, SQL_CREATE, SQL_UPDATE, SQL_DELETE, NULL
};

static const struct api_method collection_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, document_list, listing_step, NULL },
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

#define PERM	{ "documents", PRINCIPAL_ANY }

static const struct api_route collection_route = {
	PERM, collection_methods, 2, &document
};
static const struct api_route item_route = {
	PERM, item_methods, 4, &document
};

int
documents_collection(struct http_request *req)
{
	return (dispatch_route(req, &collection_route));
}

int
documents_item(struct http_request *req)
{
	return (dispatch_route(req, &item_route));
}

static int
document_list(struct http_request *req, struct api_req *ar)
{
	const char	*project;

	if (input_qs_check(req, ar) == -1 ||
	    input_arg_id(req, "project", &project) == -1 ||
	    listing_begin(req, ar, "-created_at") == -1)
		return (STEP_RESPONDED);

	db_statement(ar, SQL_LIST);
	db_bind_principal(ar);
	db_bind(ar, project);
	db_bind(ar, input_arg(req, "content_type"));
	db_bind(ar, input_arg(req, "search"));
	listing_bind(ar);

	return (STEP_QUERY);
}
