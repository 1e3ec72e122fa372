/*
 * GET /.well-known/jwks.json: the public keys of the key ring (RFC 7517),
 * so that other services verify this service's tokens without sharing a
 * secret. The current and verifying keys of the configured algorithm,
 * each with its kid; with HS256 (a shared secret, nothing public) the set
 * is empty. No authentication, no database: the worker's own ring
 * (src/keyring.c), cacheable for JWKS_MAX_AGE seconds.
 */

#include <string.h>

#include "../mtapi.h"

/* A new key is published as it starts to sign: see docs/authentication.md. */
#define JWKS_MAX_AGE		"300"

int	jwks(struct http_request *);

static int	jwks_start(struct http_request *, struct api_req *);

static const struct api_method jwks_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, jwks_start, NULL, NULL },
};

static const struct api_route jwks_route = {
	{ NULL, 0 }, jwks_methods, 1, NULL
};

int
jwks(struct http_request *req)
{
	return (dispatch_route(req, &jwks_route));
}

static int
jwks_start(struct http_request *req, struct api_req *ar)
{
	/* Not read yet: the database has not answered since the start. */
	if (!keyring_ready() || app.ring.jwks == NULL) {
		resp_error_db(req, 1);
		return (STEP_RESPONDED);
	}

	http_response_header(req, "cache-control",
	    "public, max-age=" JWKS_MAX_AGE);
	resp_send(req, 200, app.ring.jwks, strlen(app.ring.jwks));

	return (STEP_RESPONDED);
}
