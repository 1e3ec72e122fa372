/*
 * The last route: any path no other route takes gets a JSON 404.
 */

#include "../mtapi.h"

int	api_not_found(struct http_request *);

int
api_not_found(struct http_request *req)
{
	struct api_req	*ar = api_req_get(req);

	if (api_req_admit(req, ar) == -1)
		return (KORE_RESULT_OK);

	api_error(req, 404, "not_found", "Not found.");
	return (KORE_RESULT_OK);
}
