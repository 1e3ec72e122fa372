/*
 * The API's own documentation, served from memory: the OpenAPI schema
 * (assets/openapi.json), Swagger UI and ReDoc pages, and the files they
 * load, bundled from the npm packages swagger-ui-dist and redoc (see
 * docs/third-party/). Nothing is loaded from another host.
 */

#include <string.h>

#include "../mtapi.h"
#include "assets.h"

#define STATIC_PREFIX	"/api/static/"

int	docs_schema(struct http_request *);
int	docs_swagger(struct http_request *);
int	docs_redoc(struct http_request *);
int	docs_static(struct http_request *);

struct docs_file {
	const char	*name;
	const char	*type;
	const u_int8_t	*data;
	const u_int32_t	*len;
};

static const struct docs_file files[] = {
	{ "swagger-ui.css", "text/css; charset=utf-8",
	    asset_swagger_ui_css, &asset_len_swagger_ui_css },
	{ "swagger-ui-bundle.js", "application/javascript; charset=utf-8",
	    asset_swagger_ui_bundle_js, &asset_len_swagger_ui_bundle_js },
	{ "swagger-init.js", "application/javascript; charset=utf-8",
	    asset_swagger_init_js, &asset_len_swagger_init_js },
	{ "redoc.standalone.js", "application/javascript; charset=utf-8",
	    asset_redoc_standalone_js, &asset_len_redoc_standalone_js },
};

static int	docs_send(struct http_request *, const char *, const u_int8_t *,
		    u_int32_t);

int
docs_schema(struct http_request *req)
{
	return (docs_send(req, "application/json; charset=utf-8",
	    asset_openapi_json, asset_len_openapi_json));
}

int
docs_swagger(struct http_request *req)
{
	return (docs_send(req, "text/html; charset=utf-8", asset_swagger_html,
	    asset_len_swagger_html));
}

int
docs_redoc(struct http_request *req)
{
	return (docs_send(req, "text/html; charset=utf-8", asset_redoc_html,
	    asset_len_redoc_html));
}

int
docs_static(struct http_request *req)
{
	const char	*name;
	size_t		i;

	name = req->path + strlen(STATIC_PREFIX);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!strcmp(files[i].name, name))
			return (docs_send(req, files[i].type, files[i].data,
			    *files[i].len));
	}

	return (docs_send(req, NULL, NULL, 0));
}

/* GET and HEAD only; no database, no authentication. */
static int
docs_send(struct http_request *req, const char *type, const u_int8_t *data,
    u_int32_t len)
{
	struct api_req	*ar = request_get(req);

	if (input_admit(req, ar) == -1)
		return (KORE_RESULT_OK);

	if (req->method == HTTP_METHOD_OPTIONS) {
		http_response_header(req, "allow", "GET, HEAD, OPTIONS");
		resp_send(req, 200, "{}", 2);
		return (KORE_RESULT_OK);
	}
	if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_HEAD) {
		http_response_header(req, "allow", "GET, HEAD, OPTIONS");
		resp_error(req, 405, "method_not_allowed",
		    "Method not allowed.");
		return (KORE_RESULT_OK);
	}

	if (data == NULL) {
		resp_error(req, 404, "not_found", "Not found.");
		return (KORE_RESULT_OK);
	}

	/* resp_send() sets JSON; documents and scripts say what they are. */
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "cache-control", "public, max-age=3600");
	resp_send_typed(req, 200, type, data, len);

	return (KORE_RESULT_OK);
}
