/*
 * Issuing tokens: the access and refresh tokens of a login or a refresh,
 * minted from what the database said of the principal, and the answer
 * that carries them (simplejwt's TokenObtainPairView body). Used by
 * src/handlers/login.c and src/handlers/tokens.c.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../mtapi.h"
#include "issue.h"

static void	issue_free(void *);
static size_t	claims_list(const char *, char (*)[TOKEN_ITEM_LEN]);
static void	rfc3339(time_t, char *, size_t);

/*
 * The state of a token request, size bytes that start with a struct
 * issue, as the request's handler state: wiped when it is freed (it holds
 * claims, and on a login the password's lookup).
 */
void *
issue_new(struct api_req *ar, int kind, size_t size)
{
	struct issue	*is;
	time_t		exp;

	if (size < sizeof(*is))
		fatalx("issue_new: %zu bytes", size);

	is = kore_calloc(1, size);
	is->kind = kind;
	is->size = size;
	is->claims.auth_type = kind == ISSUE_USER ? AUTH_TYPE_USER :
	    AUTH_TYPE_API_CLIENT;

	exp = time(NULL) + app.s.refresh_days * 86400;
	(void)snprintf(is->refresh_exp, sizeof(is->refresh_exp), "%lld",
	    (long long)exp);
	is->refresh_until = exp;

	ar->priv = is;
	ar->priv_free = issue_free;

	return (is);
}

/*
 * Mint the access and refresh tokens of is->claims and answer them, with
 * the tenant (and the client's roles and scopes) on a login. A session
 * statement answered (sid, jti); a refresh put them in claims already.
 */
int
issue_send(struct http_request *req, struct api_req *ar, int login)
{
	struct issue		*is = ar->priv;
	struct token_claims	*c = &is->claims;
	json_t			*out, *list;
	char			*access, *refresh, at[40], rt[40];
	time_t			now;
	size_t			i;

	if (login) {
		if (ar->nrows != 1 || ar->ncols < 2 || ar->cols[0] == NULL ||
		    ar->cols[1] == NULL) {
			resp_error_db(req, 0);
			return (STEP_RESPONDED);
		}
		(void)kore_strlcpy(c->sid, ar->cols[0], sizeof(c->sid));
		(void)kore_strlcpy(c->jti, ar->cols[1], sizeof(c->jti));
	}

	now = time(NULL);
	c->iat = now;

	/* The refresh token as the database keeps it (its exp, its jti). */
	c->token_type = TOKEN_TYPE_REFRESH;
	c->iat = is->refresh_iat != 0 ? is->refresh_iat : now;
	c->exp = is->refresh_until;
	refresh = token_mint(&app.keys, c);
	(void)rfc3339(c->exp, rt, sizeof(rt));

	c->token_type = TOKEN_TYPE_ACCESS;
	c->iat = now;
	c->exp = now + app.s.access_minutes * 60;
	token_uuid_new(c->jti);
	access = token_mint(&app.keys, c);
	(void)rfc3339(c->exp, at, sizeof(at));

	if (access == NULL || refresh == NULL) {
		free(access);
		free(refresh);
		log_line(LOG_LEVEL_ERROR, NULL, "token signing failed rid=%s",
		    ar->rid);
		/* No current key yet (the ring not read): try again soon. */
		resp_error_db(req, keyset_current(&app.ring) == NULL);
		return (STEP_RESPONDED);
	}

	out = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
	    "access", access, "refresh", refresh, "token_type", "Bearer",
	    "expires_in", (json_int_t)(app.s.access_minutes * 60),
	    "access_token_expires_at", at, "refresh_token_expires_at", rt);
	sodium_memzero(access, strlen(access));
	sodium_memzero(refresh, strlen(refresh));
	free(access);
	free(refresh);

	if (login) {
		json_object_set_new(out, "tenant", json_pack("{s:s, s:s, s:s}",
		    "id", c->tenant, "slug", c->tenant_slug,
		    "name", is->tenant_name));
	}
	if (login && c->auth_type == AUTH_TYPE_API_CLIENT) {
		list = json_array();
		for (i = 0; i < c->roles_count; i++)
			json_array_append_new(list, json_string(c->roles[i]));
		json_object_set_new(out, "roles", list);
		list = json_array();
		for (i = 0; i < c->scopes_count; i++)
			json_array_append_new(list, json_string(c->scopes[i]));
		json_object_set_new(out, "scopes", list);
	}

	http_response_header(req, "cache-control", "no-store");
	resp_json(req, 200, out);

	return (STEP_RESPONDED);
}

/* An API client's roles and scopes, JSON arrays from the database. */
void
issue_lists(struct token_claims *c, const char *roles, const char *scopes)
{
	c->roles_count = claims_list(roles, c->roles);
	c->scopes_count = claims_list(scopes, c->scopes);
}

static size_t
claims_list(const char *text, char (*out)[TOKEN_ITEM_LEN])
{
	json_t		*list, *v;
	size_t		i, n;
	const char	*s;

	n = 0;
	if (text == NULL || (list = json_loads(text, 0, NULL)) == NULL)
		return (0);

	json_array_foreach(list, i, v) {
		if (n == TOKEN_LIST_MAX)
			break;
		if ((s = json_string_value(v)) != NULL)
			(void)kore_strlcpy(out[n++], s, TOKEN_ITEM_LEN);
	}
	json_decref(list);

	return (n);
}

static void
issue_free(void *arg)
{
	struct issue	*is = arg;

	sodium_memzero(is, is->size);
	kore_free(is);
}

static void
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	(void)gmtime_r(&t, &tm);
	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
