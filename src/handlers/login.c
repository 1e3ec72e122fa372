/*
 * The login pages: a user's username and password, an API client's id
 * and secret, each answered with a pair of tokens (src/handlers/issue.c).
 * The SQL is in sql/R__020_auth.sql.
 *
 * A login is a small state machine over src/db.c: count the attempt
 * and look the account up in one statement (429 when this IP or account
 * is over its limit), check the password on a Kore task thread (argon2id
 * takes ~20 ms and must not stall the worker), then start a session
 * (which gives the attempt back) and mint the tokens; a failure stays
 * counted. Counting before the check is what stops parallel guesses: a
 * count read before and written after the hash let them all through.
 * Success and failure each write their audit event (sql/V009__audit.sql)
 * with the client address and request id: session_start in its own
 * statement, a failure in api.login_failed before the 401.
 * An unknown user is checked against a dummy hash, so that it takes as
 * long and answers the same as a wrong password.
 *
 * A worker checks at most AUTH_LOGINS_IN_FLIGHT_PER_IP passwords of one
 * client address at a time, and AUTH_LOGINS_IN_FLIGHT_PER_WORKER in all:
 * a login over either is 429 at once (Retry-After: 1), before anything
 * is counted or hashed, so that a flood cannot queue unbounded argon2id
 * work.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../mtapi.h"
#include "../metrics.h"
#include "core/secret.h"
#include "issue.h"

#define SQL_LOGIN_LOOKUP	"SELECT * FROM api.login_lookup($1, $2, $3, " \
				"$4, $5, $6, $7, $8)"
#define SQL_CLIENT_LOOKUP	"SELECT * FROM api.client_lookup($1, $2, $3, " \
				"$4, $5, $6, $7)"
#define SQL_REFUND		"SELECT api.auth_refund($1, $2, $3, $4)"
#define SQL_SESSION		"SELECT * FROM api.session_start($1, $2, " \
				"$3, $4, $5, $6, $7, $8, $9, $10)"
#define SQL_FAILED		"SELECT api.login_failed($1, $2, $3, $4, " \
				"$5, $6)"

/* Where a login is when its statement or task finishes. */
#define PHASE_LOOKUP		1
#define PHASE_PASSWORD		2
#define PHASE_AMBIGUOUS		3
#define PHASE_SESSION		4
#define PHASE_FAILED		5

struct login {
	struct issue	is;		/* first: see issue_new() */
	int		phase;
	char		ip_key[80];
	char		id_key[TOKEN_SUB_LEN + 96];
	char		acct_key[TOKEN_SUB_LEN + 32];
	char		window[32];	/* the minute the attempt counts in */
	int		tenant_ambiguous;
};

/* The password checks in flight of one client address, on this worker. */
struct inflight {
	char			ip[INET6_ADDRSTRLEN];
	long			n;
	LIST_ENTRY(inflight)	list;
};

/* What the password task reads from its channel. */
struct password_check {
	char		hash[SECRET_HASH_LEN];
	char		password[SECRET_PASSWORD_MAX];
};

int	login_user(struct http_request *);
int	login_client(struct http_request *);

static int	login_start(struct http_request *, struct api_req *);
static int	login_step(struct http_request *, struct api_req *);
static int	client_start(struct http_request *, struct api_req *);
static int	client_step(struct http_request *, struct api_req *);
static int	session_start(struct http_request *, struct api_req *,
		    const char *, const char *);
static void	throttle_keys(struct http_request *, struct login *,
		    const char *, const char *);
static void	bind_throttle(struct api_req *, struct login *);
static int	failed(struct http_request *, struct api_req *);
static int	throttled(struct http_request *, const char *);
static int	inflight_take(struct api_req *, const char *);
static void	inflight_release(void *);
static int	password_task(struct kore_task *);
static void	deny_credentials(struct http_request *);

/* At most as many entries as auth_inflight_worker: a list will do. */
static LIST_HEAD(, inflight)	inflights = LIST_HEAD_INITIALIZER(inflights);
static long			inflight_total;

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

#define NRULES(r)	(sizeof(r) / sizeof(r[0]))

static const struct api_method login_methods[] = {
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, login_start, login_step,
	    NULL },
};
static const struct api_method client_methods[] = {
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, client_start, client_step,
	    NULL },
};

static const struct api_route login_route = {
	{ NULL, 0 }, login_methods, 1, NULL
};
static const struct api_route client_route = {
	{ NULL, 0 }, client_methods, 1, NULL
};

/* POST /api/v1/auth/token/ */
int
login_user(struct http_request *req)
{
	return (dispatch_route(req, &login_route));
}

/* POST /api/v1/auth/api-client/token/ */
int
login_client(struct http_request *req)
{
	return (dispatch_route(req, &client_route));
}

/* POST /api/v1/auth/token/ {"username", "password", "tenant"?} */
static int
login_start(struct http_request *req, struct api_req *ar)
{
	struct login		*st;
	const char		*username;

	if (input_validate(req, ar, login_rules, NRULES(login_rules), 0) == -1)
		return (STEP_RESPONDED);

	st = issue_new(ar, ISSUE_USER, sizeof(*st));
	username = ar->fields.values[0].text;
	throttle_keys(req, st, "user", username);

	if (inflight_take(ar, st->ip_key + 3) == -1) {
		log_line(LOG_LEVEL_INFO, NULL, "user login refused: too many "
		    "at once from %s rid=%s", st->ip_key + 3, ar->rid);
		return (throttled(req, "1"));
	}

	st->phase = PHASE_LOOKUP;
	db_statement(ar, SQL_LOGIN_LOOKUP);
	db_bind(ar, username);
	db_bind(ar, ar->fields.values[2].text);
	bind_throttle(ar, st);

	return (STEP_QUERY);
}

/*
 * login_lookup answers (retry_after, user_id, password_hash,
 * tenant_count, tenant_id, tenant_slug, tenant_name, attempt_window).
 */
static int
login_step(struct http_request *req, struct api_req *ar)
{
	struct login		*st = ar->priv;
	struct password_check	check;
	u_int8_t		ok;
	int			err, known;

	switch (st->phase) {
	case PHASE_LOOKUP:
		if (ar->nrows != 1 || ar->ncols < 8 || ar->cols[7] == NULL)
			break;
		if (ar->cols[0] != NULL && strcmp(ar->cols[0], "0"))
			return (throttled(req, ar->cols[0]));
		(void)kore_strlcpy(st->window, ar->cols[7], sizeof(st->window));

		/* Too long to be anyone's: checked (and failed) anyway. */
		memset(&check, 0, sizeof(check));
		known = ar->cols[1] != NULL && ar->cols[2] != NULL &&
		    strlen(ar->fields.values[1].text) < sizeof(check.password);
		(void)kore_strlcpy(check.hash, known ? ar->cols[2] :
		    secret_dummy_hash(), sizeof(check.hash));
		if (known) {
			(void)kore_strlcpy(check.password,
			    ar->fields.values[1].text, sizeof(check.password));
			st->is.claims.user_id = kore_strtonum64(ar->cols[1], 1,
			    &err);
			if (err != KORE_RESULT_OK)
				st->is.claims.user_id = 0;
		}
		st->tenant_ambiguous = ar->cols[3] != NULL &&
		    strcmp(ar->cols[3], "1") && strcmp(ar->cols[3], "0");
		if (ar->cols[3] != NULL && !strcmp(ar->cols[3], "1")) {
			(void)kore_strlcpy(st->is.claims.tenant, ar->cols[4],
			    sizeof(st->is.claims.tenant));
			(void)kore_strlcpy(st->is.claims.tenant_slug, ar->cols[5],
			    sizeof(st->is.claims.tenant_slug));
			(void)kore_strlcpy(st->is.tenant_name, ar->cols[6],
			    sizeof(st->is.tenant_name));
		}

		st->phase = PHASE_PASSWORD;
		db_task_start(req, ar, password_task, &check, sizeof(check));
		sodium_memzero(&check, sizeof(check));
		return (STEP_TASK);

	case PHASE_PASSWORD:
		ok = 0;
		if (kore_task_result(&ar->task) != KORE_RESULT_OK ||
		    kore_task_channel_read(&ar->task, &ok, sizeof(ok)) !=
		    sizeof(ok))
			ok = 0;

		/* A right password still fails without a user or tenant. */
		if (!ok || st->is.claims.user_id == 0)
			return (failed(req, ar));

		/* The right password: the attempt is given back first. */
		if (st->tenant_ambiguous) {
			st->phase = PHASE_AMBIGUOUS;
			db_statement(ar, SQL_REFUND);
			db_bind(ar, st->ip_key);
			db_bind(ar, st->id_key);
			db_bind(ar, st->acct_key);
			db_bind(ar, st->window);
			return (STEP_QUERY);
		}
		if (st->is.claims.tenant[0] == '\0')
			return (failed(req, ar));

		return (session_start(req, ar, "user", NULL));

	case PHASE_AMBIGUOUS: {
		json_t *errors = NULL;
		fields_error_add(&errors, "tenant", "You belong to "
		    "several tenants: give the slug or id of one.");
		resp_error_fields(req, errors);
		return (STEP_RESPONDED);
	}

	case PHASE_SESSION:
		return (issue_send(req, ar, 1));

	case PHASE_FAILED:
		deny_credentials(req);
		return (STEP_RESPONDED);
	}

	resp_error_db(req, 0);
	return (STEP_RESPONDED);
}

/* POST /api/v1/auth/api-client/token/ {"client_id", "client_secret"} */
static int
client_start(struct http_request *req, struct api_req *ar)
{
	struct login		*st;
	const char		*client_id;

	if (input_validate(req, ar, client_rules, NRULES(client_rules), 0) == -1)
		return (STEP_RESPONDED);

	st = issue_new(ar, ISSUE_CLIENT, sizeof(*st));
	client_id = ar->fields.values[0].text;
	throttle_keys(req, st, "client", client_id);

	st->phase = PHASE_LOOKUP;
	db_statement(ar, SQL_CLIENT_LOOKUP);
	db_bind(ar, client_id);
	bind_throttle(ar, st);

	return (STEP_QUERY);
}

/*
 * client_lookup answers (retry_after, client_pk, secret_hash, tenant_id,
 * tenant_slug, tenant_name, roles, scopes, attempt_window). Secrets are
 * 256-bit random values: a SHA-256 digest compared in constant time is
 * all they need (no task, so no bound on client logins in flight).
 */
static int
client_step(struct http_request *req, struct api_req *ar)
{
	struct login		*st = ar->priv;
	int			ok;

	switch (st->phase) {
	case PHASE_LOOKUP:
		if (ar->nrows != 1 || ar->ncols < 9 || ar->cols[8] == NULL)
			break;
		if (ar->cols[0] != NULL && strcmp(ar->cols[0], "0"))
			return (throttled(req, ar->cols[0]));
		(void)kore_strlcpy(st->window, ar->cols[8], sizeof(st->window));

		ok = secret_digest_matches(ar->cols[2],
		    ar->fields.values[1].text);
		if (!ok || ar->cols[1] == NULL)
			return (failed(req, ar));

		st->is.claims.auth_type = AUTH_TYPE_API_CLIENT;
		(void)kore_strlcpy(st->is.claims.client_id,
		    ar->fields.values[0].text, sizeof(st->is.claims.client_id));
		(void)kore_strlcpy(st->is.claims.tenant, ar->cols[3],
		    sizeof(st->is.claims.tenant));
		(void)kore_strlcpy(st->is.claims.tenant_slug, ar->cols[4],
		    sizeof(st->is.claims.tenant_slug));
		(void)kore_strlcpy(st->is.tenant_name, ar->cols[5],
		    sizeof(st->is.tenant_name));

		issue_lists(&st->is.claims, ar->cols[6], ar->cols[7]);

		return (session_start(req, ar, NULL, ar->cols[1]));

	case PHASE_SESSION:
		return (issue_send(req, ar, 1));

	case PHASE_FAILED:
		deny_credentials(req);
		return (STEP_RESPONDED);
	}

	resp_error_db(req, 0);
	return (STEP_RESPONDED);
}

static int
session_start(struct http_request *req, struct api_req *ar, const char *user,
    const char *client)
{
	struct login		*st = ar->priv;
	char			uid[32];

	st->phase = PHASE_SESSION;
	db_statement(ar, SQL_SESSION);
	db_bind(ar, st->is.claims.tenant);
	if (user != NULL) {
		(void)snprintf(uid, sizeof(uid), "%" PRId64,
		    st->is.claims.user_id);
		db_bind_owned(ar, kore_strdup(uid));
	} else {
		db_bind(ar, NULL);
	}
	db_bind_owned(ar, client != NULL ? kore_strdup(client) : NULL);
	db_bind(ar, st->is.refresh_exp);
	db_bind(ar, st->ip_key);
	db_bind(ar, st->id_key);
	db_bind(ar, st->acct_key);
	db_bind(ar, st->window);
	db_bind_origin(req, ar);

	return (STEP_QUERY);
}

/*
 * Failures count per client IP, per account at that IP (guessing from
 * one address stops, and nobody can lock an account from elsewhere), and
 * per account across all addresses with a higher limit, which spares the
 * addresses the account logged in from lately (sql/R__020_auth.sql).
 */
static void
throttle_keys(struct http_request *req, struct login *st,
    const char *kind, const char *id)
{
	char		ip[INET6_ADDRSTRLEN];

	(void)request_client_ip(req, ip, sizeof(ip));
	(void)snprintf(st->ip_key, sizeof(st->ip_key), "ip:%s", ip);
	(void)snprintf(st->id_key, sizeof(st->id_key), "%s:%.128s|%s", kind,
	    id, ip);
	(void)snprintf(st->acct_key, sizeof(st->acct_key), "acct:%s:%.128s",
	    kind, id);
}

static void
bind_throttle(struct api_req *ar, struct login *st)
{
	db_bind(ar, st->ip_key);
	db_bind(ar, st->id_key);
	db_bind(ar, st->acct_key);
	db_bind_int(ar, app.s.auth_failures_ip);
	db_bind_int(ar, app.s.auth_failures_account);
	db_bind_int(ar, app.s.auth_failures_global);
}

/*
 * The attempt stays counted (api.auth_attempt counted it already); the
 * audit trail records the failure, then the client gets its 401
 * (PHASE_FAILED).
 */
static int
failed(struct http_request *req, struct api_req *ar)
{
	struct login		*st = ar->priv;
	int			user;

	user = st->is.kind == ISSUE_USER;
	log_line(LOG_LEVEL_INFO, NULL, "%s login failed from %s rid=%s",
	    user ? "user" : "API client", st->ip_key + 3, ar->rid);

	st->phase = PHASE_FAILED;
	db_statement(ar, SQL_FAILED);
	db_bind(ar, user ? "user" : "api_client");
	db_bind(ar, ar->fields.values[0].text);
	if (user && st->is.claims.user_id != 0)
		db_bind_int(ar, st->is.claims.user_id);
	else
		db_bind(ar, NULL);
	db_bind(ar, st->is.claims.tenant[0] != '\0' ? st->is.claims.tenant :
	    NULL);
	db_bind_origin(req, ar);

	return (STEP_QUERY);
}

static int
throttled(struct http_request *req, const char *retry)
{
	char		detail[96];

	http_response_header(req, "retry-after", retry);
	(void)snprintf(detail, sizeof(detail), "Request was throttled. "
	    "Expected available in %s seconds.", retry);
	resp_error(req, 429, "throttled", detail);

	return (STEP_RESPONDED);
}

/*
 * A place for one more password check of ip on this worker, held until
 * no task of the request runs (src/db.c calls task_done), or -1 when ip
 * or the worker has as many as it may.
 */
static int
inflight_take(struct api_req *ar, const char *ip)
{
	struct inflight	*f;

	if (inflight_total >= app.s.auth_inflight_worker)
		return (-1);

	LIST_FOREACH(f, &inflights, list) {
		if (!strcmp(f->ip, ip))
			break;
	}
	if (f != NULL && f->n >= app.s.auth_inflight_ip)
		return (-1);
	if (f == NULL) {
		f = kore_calloc(1, sizeof(*f));
		(void)kore_strlcpy(f->ip, ip, sizeof(f->ip));
		LIST_INSERT_HEAD(&inflights, f, list);
	}
	f->n++;
	inflight_total++;
	metrics_login_queue(inflight_total);

	ar->task_done = inflight_release;
	ar->task_done_arg = f;

	return (0);
}

static void
inflight_release(void *arg)
{
	struct inflight	*f = arg;

	inflight_total--;
	metrics_login_queue(inflight_total);
	if (--f->n == 0) {
		LIST_REMOVE(f, list);
		kore_free(f);
	}
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
	u_int64_t		start;
	u_int8_t		ok;

	len = kore_task_channel_read(t, &check, sizeof(check));
	ok = 0;
	if (len == sizeof(check)) {
		check.hash[sizeof(check.hash) - 1] = '\0';
		check.password[sizeof(check.password) - 1] = '\0';
		start = metrics_now_us();
		ok = (u_int8_t)secret_password_verify(check.hash,
		    check.password);
		metrics_argon2(metrics_now_us() - start);
	}
	sodium_memzero(&check, sizeof(check));

	kore_task_channel_write(t, &ok, sizeof(ok));

	return (KORE_RESULT_OK);
}

/* The same answer for every credential failure. */
static void
deny_credentials(struct http_request *req)
{
	resp_error(req, 401, "authentication_failed",
	    "No active account found with the given credentials");
}
