/*
 * The last route: any path no other route takes gets a JSON 404.
 */

#include "../mtapi.h"

int	fallback_not_found(struct http_request *);

int
fallback_not_found(struct http_request *req)
{
	struct api_req	*ar = request_get(req);

	if (input_admit(req, ar) == -1)
		return (KORE_RESULT_OK);

	resp_error(req, 404, "not_found", "Not found.");
	return (KORE_RESULT_OK);
}
