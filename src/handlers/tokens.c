/*
 * The token endpoints: user login, API client login, refresh (with
 * rotation and reuse detection), verify and revoke.
 * The SQL is in sql/R__020_auth.sql.
 *
 * A login is a small state machine over src/db.c: look the account up
 * (and whether this IP or account is throttled), check the password on a
 * Kore task thread (argon2id takes ~20 ms and must not stall the worker),
 * record a failure or start a session, then mint the tokens. An unknown
 * user is checked against a dummy hash, so that it takes as long and
 * answers the same as a wrong password.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../mtapi.h"
#include "core/secret.h"

#define SQL_LOGIN_LOOKUP	"SELECT * FROM api.login_lookup($1, $2, $3, " \
				"$4, $5, $6)"
#define SQL_CLIENT_LOOKUP	"SELECT * FROM api.client_lookup($1, $2, $3, " \
				"$4, $5)"
#define SQL_FAILED		"SELECT api.auth_failed($1, $2)"
#define SQL_SESSION		"SELECT * FROM api.session_start($1, $2, " \
				"$3, $4)"
#define SQL_REFRESH		"SELECT * FROM api.refresh($1, $2, $3)"
#define SQL_VERIFY		"SELECT api.verify($1, $2, $3)"
#define SQL_REVOKE		"SELECT api.revoke($1)"

/* Where a token request is when its statement or task finishes. */
#define PHASE_LOOKUP		1
#define PHASE_PASSWORD		2
#define PHASE_FAILED		3
#define PHASE_SESSION		4
#define PHASE_REFRESH		5
#define PHASE_CHECK		6

#define KIND_USER		1
#define KIND_CLIENT		2

struct token_state {
	int			phase;
	int			kind;
	char			ip_key[80];
	char			id_key[TOKEN_SUB_LEN + 96];
	char			refresh_exp[32];
	struct token_claims	claims;		/* of the tokens to mint */
	char			tenant_name[256];
	int			tenant_ambiguous;
};

/* What the password task reads from its channel. */
struct password_check {
	char		hash[SECRET_HASH_LEN];
	char		password[SECRET_PASSWORD_MAX];
};

int	auth_token(struct http_request *);
int	auth_token_refresh(struct http_request *);
int	auth_token_verify(struct http_request *);
int	auth_token_revoke(struct http_request *);
int	auth_client_token(struct http_request *);
int	auth_client_token_refresh(struct http_request *);

static int	login_start(struct http_request *, struct api_req *);
static int	login_step(struct http_request *, struct api_req *);
static int	client_start(struct http_request *, struct api_req *);
static int	client_step(struct http_request *, struct api_req *);
static int	refresh_user_start(struct http_request *, struct api_req *);
static int	refresh_client_start(struct http_request *, struct api_req *);
static int	refresh_start(struct http_request *, struct api_req *, int);
static int	refresh_step(struct http_request *, struct api_req *);
static int	verify_start(struct http_request *, struct api_req *);
static int	verify_step(struct http_request *, struct api_req *);
static int	revoke_start(struct http_request *, struct api_req *);
static int	revoke_step(struct http_request *, struct api_req *);

static struct token_state	*state_new(struct api_req *, int);
static void	state_free(void *);
static void	throttle_keys(struct http_request *, struct token_state *,
		    const char *, const char *);
static void	bind_throttle(struct api_req *, struct token_state *);
static int	failed(struct http_request *, struct api_req *);
static int	throttled(struct http_request *, const char *);
static int	token_from_body(struct http_request *, struct api_req *,
		    const char *, int, struct token_claims *);
static int	session_start(struct api_req *, const char *, const char *);
static int	issue(struct http_request *, struct api_req *, int);
static void	rfc3339(time_t, char *, size_t);
static void	claims_lists(struct token_claims *, const char *,
		    const char *);
static size_t	claims_list(const char *, char (*)[TOKEN_ITEM_LEN]);
static int	password_task(struct kore_task *);
static void	deny_credentials(struct http_request *);
static void	deny_token(struct http_request *);

static const struct field_rule login_rules[] = {
	{ "username", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
	{ "password", FIELD_STRING, FIELD_REQUIRED | FIELD_NO_TRIM, 0, NULL },
	{ "tenant", FIELD_STRING, FIELD_NULLABLE, 0, NULL },
};

static const struct field_rule client_rules[] = {
	{ "client_id", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
	{ "client_secret", FIELD_STRING, FIELD_REQUIRED | FIELD_NO_TRIM, 0,
	    NULL },
};

static const struct field_rule refresh_rules[] = {
	{ "refresh", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};

static const struct field_rule verify_rules[] = {
	{ "token", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};

#define NRULES(r)	(sizeof(r) / sizeof(r[0]))

#define POST(start, step)	\
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, start, step, NULL }

static const struct api_method login_methods[] = {
	POST(login_start, login_step)
};
static const struct api_method client_methods[] = {
	POST(client_start, client_step)
};
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

static const struct api_route login_route = {
	PUBLIC, login_methods, 1, NULL
};
static const struct api_route client_route = {
	PUBLIC, client_methods, 1, NULL
};
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

int
auth_token(struct http_request *req)
{
	return (api_dispatch(req, &login_route));
}

int
auth_client_token(struct http_request *req)
{
	return (api_dispatch(req, &client_route));
}

int
auth_token_refresh(struct http_request *req)
{
	return (api_dispatch(req, &refresh_user_route));
}

int
auth_client_token_refresh(struct http_request *req)
{
	return (api_dispatch(req, &refresh_client_route));
}

int
auth_token_verify(struct http_request *req)
{
	return (api_dispatch(req, &verify_route));
}

int
auth_token_revoke(struct http_request *req)
{
	return (api_dispatch(req, &revoke_route));
}

/* POST /api/v1/auth/token/ {"username", "password", "tenant"?} */
static int
login_start(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st;
	const char		*username;

	if (api_validate(req, ar, login_rules, NRULES(login_rules), 0) == -1)
		return (STEP_RESPONDED);

	st = state_new(ar, KIND_USER);
	username = ar->fields.values[0].text;
	throttle_keys(req, st, "user", username);

	st->phase = PHASE_LOOKUP;
	api_query(ar, SQL_LOGIN_LOOKUP);
	api_bind(ar, username);
	api_bind(ar, ar->fields.values[2].text);
	bind_throttle(ar, st);

	return (STEP_QUERY);
}

/*
 * login_lookup answers (retry_after, user_id, password_hash,
 * tenant_count, tenant_id, tenant_slug, tenant_name).
 */
static int
login_step(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st = ar->priv;
	struct password_check	check;
	u_int8_t		ok;
	int			err, known;

	switch (st->phase) {
	case PHASE_LOOKUP:
		if (ar->nrows != 1 || ar->ncols < 7)
			break;
		if (ar->cols[0] != NULL && strcmp(ar->cols[0], "0"))
			return (throttled(req, ar->cols[0]));

		/* Too long to be anyone's: checked (and failed) anyway. */
		memset(&check, 0, sizeof(check));
		known = ar->cols[1] != NULL && ar->cols[2] != NULL &&
		    strlen(ar->fields.values[1].text) < sizeof(check.password);
		(void)kore_strlcpy(check.hash, known ? ar->cols[2] :
		    secret_dummy_hash(), sizeof(check.hash));
		if (known) {
			(void)kore_strlcpy(check.password,
			    ar->fields.values[1].text, sizeof(check.password));
			st->claims.user_id = kore_strtonum64(ar->cols[1], 1,
			    &err);
			if (err != KORE_RESULT_OK)
				st->claims.user_id = 0;
		}
		st->tenant_ambiguous = ar->cols[3] != NULL &&
		    strcmp(ar->cols[3], "1") && strcmp(ar->cols[3], "0");
		if (ar->cols[3] != NULL && !strcmp(ar->cols[3], "1")) {
			(void)kore_strlcpy(st->claims.tenant, ar->cols[4],
			    sizeof(st->claims.tenant));
			(void)kore_strlcpy(st->claims.tenant_slug, ar->cols[5],
			    sizeof(st->claims.tenant_slug));
			(void)kore_strlcpy(st->tenant_name, ar->cols[6],
			    sizeof(st->tenant_name));
		}

		st->phase = PHASE_PASSWORD;
		api_task_start(req, ar, password_task, &check, sizeof(check));
		sodium_memzero(&check, sizeof(check));
		return (STEP_TASK);

	case PHASE_PASSWORD:
		ok = 0;
		if (kore_task_result(&ar->task) != KORE_RESULT_OK ||
		    kore_task_channel_read(&ar->task, &ok, sizeof(ok)) !=
		    sizeof(ok))
			ok = 0;

		/* A right password still fails without a user or tenant. */
		if (!ok || st->claims.user_id == 0)
			return (failed(req, ar));

		if (st->tenant_ambiguous) {
			json_t *errors = NULL;
			fields_error_add(&errors, "tenant", "You belong to "
			    "several tenants: give the slug or id of one.");
			api_error_fields(req, errors);
			return (STEP_RESPONDED);
		}
		if (st->claims.tenant[0] == '\0')
			return (failed(req, ar));

		return (session_start(ar, "user", NULL));

	case PHASE_FAILED:
		deny_credentials(req);
		return (STEP_RESPONDED);

	case PHASE_SESSION:
		return (issue(req, ar, 1));
	}

	api_error_db(req, ar, 0);
	return (STEP_RESPONDED);
}

/* POST /api/v1/auth/api-client/token/ {"client_id", "client_secret"} */
static int
client_start(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st;
	const char		*client_id;

	if (api_validate(req, ar, client_rules, NRULES(client_rules), 0) == -1)
		return (STEP_RESPONDED);

	st = state_new(ar, KIND_CLIENT);
	client_id = ar->fields.values[0].text;
	throttle_keys(req, st, "client", client_id);

	st->phase = PHASE_LOOKUP;
	api_query(ar, SQL_CLIENT_LOOKUP);
	api_bind(ar, client_id);
	bind_throttle(ar, st);

	return (STEP_QUERY);
}

/*
 * client_lookup answers (retry_after, client_pk, secret_hash, tenant_id,
 * tenant_slug, tenant_name, roles, scopes). Secrets are 256-bit random
 * values: a SHA-256 digest compared in constant time is all they need.
 */
static int
client_step(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st = ar->priv;
	int			ok;

	switch (st->phase) {
	case PHASE_LOOKUP:
		if (ar->nrows != 1 || ar->ncols < 8)
			break;
		if (ar->cols[0] != NULL && strcmp(ar->cols[0], "0"))
			return (throttled(req, ar->cols[0]));

		ok = secret_digest_matches(ar->cols[2],
		    ar->fields.values[1].text);
		if (!ok || ar->cols[1] == NULL)
			return (failed(req, ar));

		st->claims.auth_type = AUTH_TYPE_API_CLIENT;
		(void)kore_strlcpy(st->claims.client_id,
		    ar->fields.values[0].text, sizeof(st->claims.client_id));
		(void)kore_strlcpy(st->claims.tenant, ar->cols[3],
		    sizeof(st->claims.tenant));
		(void)kore_strlcpy(st->claims.tenant_slug, ar->cols[4],
		    sizeof(st->claims.tenant_slug));
		(void)kore_strlcpy(st->tenant_name, ar->cols[5],
		    sizeof(st->tenant_name));

		claims_lists(&st->claims, ar->cols[6], ar->cols[7]);

		return (session_start(ar, NULL, ar->cols[1]));

	case PHASE_FAILED:
		deny_credentials(req);
		return (STEP_RESPONDED);

	case PHASE_SESSION:
		return (issue(req, ar, 1));
	}

	api_error_db(req, ar, 0);
	return (STEP_RESPONDED);
}

static int
refresh_user_start(struct http_request *req, struct api_req *ar)
{
	return (refresh_start(req, ar, KIND_USER));
}

static int
refresh_client_start(struct http_request *req, struct api_req *ar)
{
	return (refresh_start(req, ar, KIND_CLIENT));
}

/* POST .../token/refresh/ {"refresh"}: the presented token is spent. */
static int
refresh_start(struct http_request *req, struct api_req *ar, int kind)
{
	struct token_state	*st;
	struct token_claims	c;

	if (token_from_body(req, ar, "refresh", TOKEN_TYPE_REFRESH, &c) == -1)
		return (STEP_RESPONDED);
	if (c.auth_type != (kind == KIND_USER ? AUTH_TYPE_USER :
	    AUTH_TYPE_API_CLIENT)) {
		deny_token(req);
		return (STEP_RESPONDED);
	}

	st = state_new(ar, kind);
	st->phase = PHASE_REFRESH;
	api_query(ar, SQL_REFRESH);
	api_bind_owned(ar, kore_strdup(c.jti));
	api_bind(ar, kind == KIND_USER ? "user" : "api_client");
	api_bind(ar, st->refresh_exp);

	return (STEP_QUERY);
}

/*
 * refresh answers (status, sid, jti, tenant_id, tenant_slug, tenant_name,
 * user_id, client_id, roles, scopes), roles and scopes as JSON arrays.
 */
static int
refresh_step(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st = ar->priv;
	int			err;

	if (ar->nrows != 1 || ar->ncols < 10 || ar->cols[0] == NULL) {
		api_error_db(req, ar, 0);
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

	if (st->kind == KIND_USER) {
		st->claims.auth_type = AUTH_TYPE_USER;
		st->claims.user_id = kore_strtonum64(ar->cols[6], 1, &err);
		if (err != KORE_RESULT_OK) {
			api_error_db(req, ar, 0);
			return (STEP_RESPONDED);
		}
	} else {
		st->claims.auth_type = AUTH_TYPE_API_CLIENT;
		(void)kore_strlcpy(st->claims.client_id,
		    ar->cols[7] != NULL ? ar->cols[7] : "",
		    sizeof(st->claims.client_id));
		claims_lists(&st->claims, ar->cols[8], ar->cols[9]);
	}

	return (issue(req, ar, 0));
}

/* POST /api/v1/auth/token/verify/ {"token"}: any type, still good? */
static int
verify_start(struct http_request *req, struct api_req *ar)
{
	struct token_claims	c;

	if (token_from_body(req, ar, "token", 0, &c) == -1)
		return (STEP_RESPONDED);

	api_query(ar, SQL_VERIFY);
	api_bind_owned(ar, kore_strdup(c.jti));
	api_bind_owned(ar, c.sid[0] != '\0' ? kore_strdup(c.sid) : NULL);
	api_bind(ar, c.token_type == TOKEN_TYPE_REFRESH ? "true" : "false");

	return (STEP_QUERY);
}

static int
verify_step(struct http_request *req, struct api_req *ar)
{
	if (ar->nrows == 1 && ar->cols[0] != NULL &&
	    !strcmp(ar->cols[0], "200")) {
		api_respond(req, 200, "{}", 2);
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

	api_query(ar, SQL_REVOKE);
	api_bind_owned(ar, kore_strdup(c.jti));

	return (STEP_QUERY);
}

static int
revoke_step(struct http_request *req, struct api_req *ar)
{
	if (ar->nrows == 1 && ar->cols[0] != NULL &&
	    !strcmp(ar->cols[0], "204")) {
		api_respond(req, 204, NULL, 0);
		return (STEP_RESPONDED);
	}

	deny_token(req);
	return (STEP_RESPONDED);
}

static struct token_state *
state_new(struct api_req *ar, int kind)
{
	struct token_state	*st;
	time_t			exp;

	st = kore_calloc(1, sizeof(*st));
	st->kind = kind;
	st->claims.auth_type = kind == KIND_USER ? AUTH_TYPE_USER :
	    AUTH_TYPE_API_CLIENT;

	exp = time(NULL) + app.s.refresh_days * 86400;
	(void)snprintf(st->refresh_exp, sizeof(st->refresh_exp), "%lld",
	    (long long)exp);

	ar->priv = st;
	ar->priv_free = state_free;

	return (st);
}

static void
state_free(void *arg)
{
	struct token_state	*st = arg;

	sodium_memzero(st, sizeof(*st));
	kore_free(st);
}

/*
 * Failures count per client IP, and per account at that IP: guessing from
 * one address stops, and nobody can lock an account from elsewhere.
 */
static void
throttle_keys(struct http_request *req, struct token_state *st,
    const char *kind, const char *id)
{
	char		ip[INET6_ADDRSTRLEN];

	(void)api_client_ip(req, ip, sizeof(ip));
	(void)snprintf(st->ip_key, sizeof(st->ip_key), "ip:%s", ip);
	(void)snprintf(st->id_key, sizeof(st->id_key), "%s:%.128s|%s", kind,
	    id, ip);
}

static void
bind_throttle(struct api_req *ar, struct token_state *st)
{
	api_bind(ar, st->ip_key);
	api_bind(ar, st->id_key);
	api_bind_int(ar, app.s.auth_failures_ip);
	api_bind_int(ar, app.s.auth_failures_account);
}

static int
failed(struct http_request *req, struct api_req *ar)
{
	struct token_state	*st = ar->priv;

	log_line(LOG_LEVEL_INFO, NULL, "%s login failed from %s rid=%s",
	    st->kind == KIND_USER ? "user" : "API client", st->ip_key + 3,
	    ar->rid);

	st->phase = PHASE_FAILED;
	api_query(ar, SQL_FAILED);
	api_bind(ar, st->ip_key);
	api_bind(ar, st->id_key);

	return (STEP_QUERY);
}

static int
throttled(struct http_request *req, const char *retry)
{
	char		detail[96];

	http_response_header(req, "retry-after", retry);
	(void)snprintf(detail, sizeof(detail), "Request was throttled. "
	    "Expected available in %s seconds.", retry);
	api_error(req, 429, "throttled", detail);

	return (STEP_RESPONDED);
}

/* The body's token field, verified as type (0: any); 400/401 if not. */
static int
token_from_body(struct http_request *req, struct api_req *ar,
    const char *field, int type, struct token_claims *c)
{
	const struct field_rule	*rules;

	rules = !strcmp(field, "token") ? verify_rules : refresh_rules;
	if (api_validate(req, ar, rules, 1, 0) == -1)
		return (-1);

	if (token_verify(&app.keys, ar->fields.values[0].text, type,
	    time(NULL), c) != TOKEN_OK) {
		deny_token(req);
		return (-1);
	}

	return (0);
}

static int
session_start(struct api_req *ar, const char *user, const char *client)
{
	struct token_state	*st = ar->priv;
	char			uid[32];

	st->phase = PHASE_SESSION;
	api_query(ar, SQL_SESSION);
	api_bind(ar, st->claims.tenant);
	if (user != NULL) {
		(void)snprintf(uid, sizeof(uid), "%" PRId64,
		    st->claims.user_id);
		api_bind_owned(ar, kore_strdup(uid));
	} else {
		api_bind(ar, NULL);
	}
	api_bind_owned(ar, client != NULL ? kore_strdup(client) : NULL);
	api_bind(ar, st->refresh_exp);

	return (STEP_QUERY);
}

/*
 * Mint the access and refresh tokens of st->claims and answer them, with
 * the tenant (and the client's roles and scopes) on a login. A session
 * statement answered (sid, jti); a refresh put them in claims already.
 */
static int
issue(struct http_request *req, struct api_req *ar, int login)
{
	struct token_state	*st = ar->priv;
	struct token_claims	*c = &st->claims;
	json_t			*out, *list;
	char			*access, *refresh, at[40], rt[40];
	time_t			now;
	size_t			i;

	if (login) {
		if (ar->nrows != 1 || ar->ncols < 2 || ar->cols[0] == NULL ||
		    ar->cols[1] == NULL) {
			api_error_db(req, ar, 0);
			return (STEP_RESPONDED);
		}
		(void)kore_strlcpy(c->sid, ar->cols[0], sizeof(c->sid));
		(void)kore_strlcpy(c->jti, ar->cols[1], sizeof(c->jti));
	}

	now = time(NULL);
	c->iat = now;

	c->token_type = TOKEN_TYPE_REFRESH;
	c->exp = now + app.s.refresh_days * 86400;
	refresh = token_mint(&app.keys, c);
	(void)rfc3339(c->exp, rt, sizeof(rt));

	c->token_type = TOKEN_TYPE_ACCESS;
	c->exp = now + app.s.access_minutes * 60;
	token_uuid_new(c->jti);
	access = token_mint(&app.keys, c);
	(void)rfc3339(c->exp, at, sizeof(at));

	if (access == NULL || refresh == NULL) {
		free(access);
		free(refresh);
		log_line(LOG_LEVEL_ERROR, NULL, "token signing failed rid=%s",
		    ar->rid);
		api_error_db(req, ar, 0);
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
		    "name", st->tenant_name));
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
	api_respond_json(req, 200, out);

	return (STEP_RESPONDED);
}

/* An API client's roles and scopes, JSON arrays from the database. */
static void
claims_lists(struct token_claims *c, const char *roles, const char *scopes)
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
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	(void)gmtime_r(&t, &tm);
	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * On a task thread: argon2id verification. Writes one byte: 1 or 0.
 * Task threads inherit their worker's CPU affinity: conf/ turns Kore's
 * pinning off, so that hashing can use every core (bench/RESULTS.md).
 */
static int
password_task(struct kore_task *t)
{
	struct password_check	check;
	u_int32_t		len;
	u_int8_t		ok;

	len = kore_task_channel_read(t, &check, sizeof(check));
	ok = 0;
	if (len == sizeof(check)) {
		check.hash[sizeof(check.hash) - 1] = '\0';
		check.password[sizeof(check.password) - 1] = '\0';
		ok = (u_int8_t)secret_password_verify(check.hash,
		    check.password);
	}
	sodium_memzero(&check, sizeof(check));

	kore_task_channel_write(t, &ok, sizeof(ok));

	return (KORE_RESULT_OK);
}

/* The same answer for every credential failure. */
static void
deny_credentials(struct http_request *req)
{
	api_error(req, 401, "authentication_failed",
	    "No active account found with the given credentials");
}

static void
deny_token(struct http_request *req)
{
	api_error(req, 401, "token_not_valid", "Token is invalid or expired");
}
