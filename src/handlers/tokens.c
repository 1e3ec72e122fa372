/*
 * The token pages: refresh (rotation, and reuse detection in the SQL),
 * verify and revoke (logout). The SQL is in sql/R__020_auth.sql; new
 * tokens are minted by src/handlers/issue.c.
 */

#include <string.h>
#include <time.h>

#include "../mtapi.h"
#include "issue.h"

/* The token's tenant claim is bound too: every statement names it. */
#define SQL_REFRESH		"SELECT * FROM api.refresh($1, $2, $3, $4, " \
				"$5, $6)"
#define SQL_VERIFY		"SELECT api.verify($1, $2, $3, $4, $5, $6)"
#define SQL_REVOKE		"SELECT api.revoke($1, $2, $3, $4)"

int	tokens_refresh(struct http_request *);
int	tokens_client_refresh(struct http_request *);
int	tokens_verify(struct http_request *);
int	tokens_revoke(struct http_request *);

static int	refresh_user_start(struct http_request *, struct api_req *);
static int	refresh_client_start(struct http_request *, struct api_req *);
static int	refresh_start(struct http_request *, struct api_req *, int);
static int	refresh_step(struct http_request *, struct api_req *);
static int	verify_start(struct http_request *, struct api_req *);
static int	verify_step(struct http_request *, struct api_req *);
static int	revoke_start(struct http_request *, struct api_req *);
static int	revoke_step(struct http_request *, struct api_req *);
static int	token_from_body(struct http_request *, struct api_req *,
		    const char *, int, struct token_claims *);
static void	deny_token(struct http_request *);

static const struct field_rule refresh_rules[] = {
	{ "refresh", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};

static const struct field_rule verify_rules[] = {
	{ "token", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};

#define POST(start, step)	\
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, start, step, NULL }

static const struct api_method refresh_user_methods[] = {
	POST(refresh_user_start, refresh_step)
};
static const struct api_method refresh_client_methods[] = {
	POST(refresh_client_start, refresh_step)
};
static const struct api_method verify_methods[] = {
	POST(verify_start, verify_step)
};
static const struct api_method revoke_methods[] = {
	POST(revoke_start, revoke_step)
};

#define PUBLIC	{ NULL, 0 }

static const struct api_route refresh_user_route = {
	PUBLIC, refresh_user_methods, 1, NULL
};
static const struct api_route refresh_client_route = {
	PUBLIC, refresh_client_methods, 1, NULL
};
static const struct api_route verify_route = {
	PUBLIC, verify_methods, 1, NULL
};
static const struct api_route revoke_route = {
	PUBLIC, revoke_methods, 1, NULL
};

/* POST /api/v1/auth/token/refresh/ */
int
tokens_refresh(struct http_request *req)
{
	return (dispatch_route(req, &refresh_user_route));
}

/* POST /api/v1/auth/api-client/token/refresh/ */
int
tokens_client_refresh(struct http_request *req)
{
	return (dispatch_route(req, &refresh_client_route));
}

/* POST /api/v1/auth/token/verify/ */
int
tokens_verify(struct http_request *req)
{
	return (dispatch_route(req, &verify_route));
}

/* POST /api/v1/auth/token/revoke/ */
int
tokens_revoke(struct http_request *req)
{
	return (dispatch_route(req, &revoke_route));
}

static int
refresh_user_start(struct http_request *req, struct api_req *ar)
{
	return (refresh_start(req, ar, ISSUE_USER));
}

static int
refresh_client_start(struct http_request *req, struct api_req *ar)
{
	return (refresh_start(req, ar, ISSUE_CLIENT));
}

/* POST .../token/refresh/ {"refresh"}: the presented token is spent. */
static int
refresh_start(struct http_request *req, struct api_req *ar, int kind)
{
	struct issue		*st;
	struct token_claims	c;

	if (token_from_body(req, ar, "refresh", TOKEN_TYPE_REFRESH, &c) == -1)
		return (STEP_RESPONDED);
	if (c.auth_type != (kind == ISSUE_USER ? AUTH_TYPE_USER :
	    AUTH_TYPE_API_CLIENT)) {
		deny_token(req);
		return (STEP_RESPONDED);
	}

	st = issue_new(ar, kind, sizeof(*st));
	db_statement(ar, SQL_REFRESH);
	db_bind_owned(ar, kore_strdup(c.tenant));
	db_bind_owned(ar, kore_strdup(c.jti));
	db_bind(ar, kind == ISSUE_USER ? "user" : "api_client");
	db_bind(ar, st->refresh_exp);
	db_bind_origin(req, ar);

	return (STEP_QUERY);
}

/*
 * refresh answers (status, sid, jti, tenant_id, tenant_slug, tenant_name,
 * user_id, client_id, roles, scopes), roles and scopes as JSON arrays.
 */
static int
refresh_step(struct http_request *req, struct api_req *ar)
{
	struct issue		*st = ar->priv;
	int			err;

	if (ar->nrows != 1 || ar->ncols < 10 || ar->cols[0] == NULL) {
		resp_error_db(req, 0);
		return (STEP_RESPONDED);
	}
	if (strcmp(ar->cols[0], "200")) {
		deny_token(req);
		return (STEP_RESPONDED);
	}

	(void)kore_strlcpy(st->claims.sid, ar->cols[1], sizeof(st->claims.sid));
	(void)kore_strlcpy(st->claims.jti, ar->cols[2], sizeof(st->claims.jti));
	(void)kore_strlcpy(st->claims.tenant, ar->cols[3],
	    sizeof(st->claims.tenant));
	(void)kore_strlcpy(st->claims.tenant_slug, ar->cols[4],
	    sizeof(st->claims.tenant_slug));
	(void)kore_strlcpy(st->tenant_name, ar->cols[5],
	    sizeof(st->tenant_name));

	if (st->kind == ISSUE_USER) {
		st->claims.auth_type = AUTH_TYPE_USER;
		st->claims.user_id = kore_strtonum64(ar->cols[6], 1, &err);
		if (err != KORE_RESULT_OK) {
			resp_error_db(req, 0);
			return (STEP_RESPONDED);
		}
	} else {
		st->claims.auth_type = AUTH_TYPE_API_CLIENT;
		(void)kore_strlcpy(st->claims.client_id,
		    ar->cols[7] != NULL ? ar->cols[7] : "",
		    sizeof(st->claims.client_id));
		issue_lists(&st->claims, ar->cols[8], ar->cols[9]);
	}

	return (issue_send(req, ar, 0));
}

/*
 * POST /api/v1/auth/token/verify/ {"token"}: any type, still good? The
 * token's principal gets the check of every request (ar->authed stays
 * 0: nothing is charged to the tenant).
 */
static int
verify_start(struct http_request *req, struct api_req *ar)
{
	struct token_claims	c;

	if (token_from_body(req, ar, "token", 0, &c) == -1)
		return (STEP_RESPONDED);

	perms_principal(&c, &ar->p);
	db_statement(ar, SQL_VERIFY);
	db_bind_principal(ar);
	db_bind_owned(ar, c.token_type == TOKEN_TYPE_REFRESH ?
	    kore_strdup(c.jti) : NULL);

	return (STEP_QUERY);
}

static int
verify_step(struct http_request *req, struct api_req *ar)
{
	if (ar->nrows == 1 && ar->cols[0] != NULL &&
	    !strcmp(ar->cols[0], "200")) {
		resp_send(req, 200, "{}", 2);
		return (STEP_RESPONDED);
	}

	deny_token(req);
	return (STEP_RESPONDED);
}

/* POST /api/v1/auth/token/revoke/ {"refresh"}: logout. */
static int
revoke_start(struct http_request *req, struct api_req *ar)
{
	struct token_claims	c;

	if (token_from_body(req, ar, "refresh", TOKEN_TYPE_REFRESH, &c) == -1)
		return (STEP_RESPONDED);

	db_statement(ar, SQL_REVOKE);
	db_bind_owned(ar, kore_strdup(c.tenant));
	db_bind_owned(ar, kore_strdup(c.jti));
	db_bind_origin(req, ar);

	return (STEP_QUERY);
}

static int
revoke_step(struct http_request *req, struct api_req *ar)
{
	if (ar->nrows == 1 && ar->cols[0] != NULL &&
	    !strcmp(ar->cols[0], "204")) {
		resp_send(req, 204, NULL, 0);
		return (STEP_RESPONDED);
	}

	deny_token(req);
	return (STEP_RESPONDED);
}

/* The body's token field, verified as type (0: any); 400/401 if not. */
static int
token_from_body(struct http_request *req, struct api_req *ar,
    const char *field, int type, struct token_claims *c)
{
	const struct field_rule	*rules;

	rules = !strcmp(field, "token") ? verify_rules : refresh_rules;
	if (input_validate(req, ar, rules, 1, 0) == -1)
		return (-1);

	if (token_verify(&app.keys, ar->fields.values[0].text, type,
	    time(NULL), c) != TOKEN_OK) {
		deny_token(req);
		return (-1);
	}

	return (0);
}

static void
deny_token(struct http_request *req)
{
	resp_error(req, 401, "token_not_valid", "Token is invalid or expired");
}
