/*
 * The auth hook: the validator of the "bearer" authentication block in
 * conf/api.conf, run by Kore before every /api/v1/ resource handler.
 *
 * It is synchronous and does no I/O: it verifies the access token (the
 * configured algorithm only, the key of the ring its kid names,
 * signature, exp and nbf, iss, aud, token_type, a UUID tenant), puts the
 * principal into the request context, and charges the tenant's rate
 * limit. Whether the tenant, user or API client is still
 * active is checked by the database in the same round trip as the data
 * (api.principal() in sql/R__010_common.sql), so deactivation counts from
 * the very next request; src/db.c gives the charge back when it refuses.
 *
 * Clients send the same token for many requests: a token verified once is
 * remembered (src/verified.c) with the principal it gave, until it
 * expires; exp is checked on every request all the same.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mtapi.h"

static int		verify(const char *, time_t, struct principal *);

int
auth_bearer(struct http_request *req, const void *unused)
{
	struct api_req		*ar;
	const char		*hdr, *token;
	long			limit, remaining, retry;
	char			buf[32], detail[96];
	int			rc;

	ar = request_get(req);
	if (input_admit(req, ar) == -1)
		return (KORE_RESULT_ERROR);

	/* CORS preflights carry no credentials; the dispatcher answers. */
	if (req->method == HTTP_METHOD_OPTIONS)
		return (KORE_RESULT_OK);

	if (!http_request_header(req, "authorization", &hdr) ||
	    (token = token_bearer(hdr)) == NULL) {
		resp_error(req, 401, "not_authenticated",
		    "Authentication credentials were not provided.");
		return (KORE_RESULT_ERROR);
	}

	/* The key ring was never read: the database has not answered yet. */
	if (!keyring_ready()) {
		resp_error_db(req, 1);
		return (KORE_RESULT_ERROR);
	}

	if ((rc = verify(token, time(NULL), &ar->p)) != TOKEN_OK) {
		log_line(LOG_LEVEL_INFO, NULL, "token refused (%s) rid=%s",
		    token_error_text(rc), ar->rid);
		resp_error(req, 401, "token_not_valid",
		    "Given token not valid for any token type");
		return (KORE_RESULT_ERROR);
	}
	ar->authed = 1;

	if (ratelimit_take(ar->p.tenant, &limit, &remaining, &retry) == -1) {
		ar->rl_limit = limit;
		ar->rl_remaining = 0;
		(void)snprintf(buf, sizeof(buf), "%ld", retry);
		http_response_header(req, "retry-after", buf);
		(void)snprintf(detail, sizeof(detail), "Request was throttled. "
		    "Expected available in %ld seconds.", retry);
		resp_error(req, 429, "throttled", detail);
		return (KORE_RESULT_ERROR);
	}
	ar->rl_limit = limit;
	ar->rl_remaining = remaining;
	ar->rl_charged = time(NULL);

	return (KORE_RESULT_OK);
}

/* token_verify() for access tokens, remembering what verified. */
static int
verify(const char *token, time_t now, struct principal *p)
{
	struct token_claims	c;
	time_t			exp;
	int			rc;

	if (verified_get(token, keyring_generation(), p, &exp) == 0) {
		if (now - app.keys.leeway >= exp)
			return (TOKEN_E_EXPIRED);
		return (TOKEN_OK);
	}

	if ((rc = token_verify(&app.keys, token, TOKEN_TYPE_ACCESS, now,
	    &c)) != TOKEN_OK)
		return (rc);

	perms_principal(&c, p);
	verified_put(token, keyring_generation(), p, c.exp);

	return (TOKEN_OK);
}
