/*
 * The integration test harness: HTTP requests to the server that
 * tools/dev/test.sh started (libcurl), the test data fixture, and the
 * operator command.
 *
 * Environment (set by tools/dev/test.sh):
 *   MTAPI_TEST_BASE_URL	plain HTTP server, e.g. http://127.0.0.1:18000
 *   MTAPI_TEST_TLS_URL		TLS server, e.g. https://127.0.0.1:18443
 *   MTAPI_TEST_TLS_DIR		its certificate and key (server.pem, key.pem)
 *   MTAPI_TEST_OPS_URL		the HTTP server's operator listener
 *   MTAPI_TEST_TLS_OPS_URL	the TLS server's operator listener
 *   MTAPI_TEST_FIXTURE		the create-test-data fixture (tokens.json)
 *   MTAPI_TEST_ADMIN		the mtapi-admin binary
 *   MTAPI_ENV_FILE		the settings both use
 *   MTAPI_TEST_ROOT		the repository
 *
 * Tests run in parallel against one server: a test that changes shared
 * state (a tenant's activity or rate limit, a user) works on a tenant or
 * user it made itself with h_admin().
 */

#ifndef MTAPI_TEST_HARNESS_H
#define MTAPI_TEST_HARNESS_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

struct h_resp {
	long		status;
	char		*body;
	size_t		len;
	char		*headers;	/* raw, "name: value\r\n" lines */
	json_t		*json;		/* parsed body, NULL if not JSON */
};

/* Fixture tenants, in fixture order: acme, globex, initech, umbrella, ... */
#define H_ACME		0
#define H_GLOBEX	1
#define H_INITECH	2
#define H_UMBRELLA	3	/* inactive */

json_t		*h_fixture(void);
json_t		*h_tenant(int);
const char	*h_tenant_str(int, const char *);
const char	*h_token(int);			/* access token */
const char	*h_client(int, const char *, const char *); /* name, field */

const char	*h_base_url(void);
const char	*h_env(const char *);

/*
 * A request. body may be NULL; content type defaults to application/json
 * when there is a body. extra is a NULL-terminated list of header lines
 * ("Name: value") or NULL. token NULL sends no Authorization.
 */
struct h_resp	*h_req(const char *method, const char *path,
		    const char *token, const char *body, const char **extra);
struct h_resp	*h_req_url(const char *method, const char *url,
		    const char *token, const char *body, const char **extra);
/*
 * h_req() over handle, kept by the caller between calls (one keep-alive
 * connection), or over a handle of its own when handle is NULL; from the
 * local address ip (NULL: the default, 127.0.0.1), so that the server
 * sees another client. *reused, if not NULL, says whether an open
 * connection carried the request.
 */
struct h_resp	*h_req_on(CURL *handle, const char *ip, const char *method,
		    const char *path, const char *token, const char *body,
		    int *reused);

/* The same to a whole url (another server), with extra header lines. */
struct h_resp	*h_req_at(CURL *handle, const char *ip, const char *method,
		    const char *url, const char *token, const char *body,
		    const char **extra);

/*
 * n requests at once to path, each over a connection of its own from the
 * local address ip (NULL: the default), with body bodies[i] (JSON);
 * out[i] gets the answer to bodies[i]. No request waits for another's
 * answer: the server sees them all in flight together.
 */
void		h_req_parallel(const char *ip, const char *method,
		    const char *path, const char *const *bodies, size_t n,
		    struct h_resp **out);
/* The same with bearer tokens[i] (NULL: none) for bodies[i]. */
void		h_req_parallel_as(const char *ip, const char *method,
		    const char *path, const char *const *tokens,
		    const char *const *bodies, size_t n,
		    struct h_resp **out);

/*
 * A loopback address of this test's own, 127.<octet>.y.z with y.z from
 * the pid: Criterion runs each test in a process of its own.
 */
void		h_own_ip(int octet, char *buf, size_t len);

struct h_resp	*h_get(const char *path, const char *token);
struct h_resp	*h_post(const char *path, const char *token,
		    const char *body);
void		h_free(struct h_resp *);

/* A growing NUL-terminated buffer, and the libcurl write callback for it. */
struct h_buf {
	char	*data;
	size_t	len;
};
size_t		h_collect(char *, size_t, size_t, void *);

/* A response header's value (case-insensitive name), or NULL. */
const char	*h_header(struct h_resp *, const char *, char *, size_t);

/* Fields of the JSON body. */
const char	*h_str(struct h_resp *, const char *);
long long	h_int(struct h_resp *, const char *);

/* A JSON request; takes the reference to body (NULL: no body). */
struct h_resp	*h_send_json(const char *method, const char *path,
		    const char *token, json_t *body);

/*
 * POST body (its reference taken) to a collection, 201 expected: the new
 * object (caller decrefs), or its id. GET path, 200 expected: the body
 * (caller decrefs).
 */
json_t		*h_create_json(const char *path, const char *token,
		    json_t *body);
long long	h_create(const char *path, const char *token, json_t *body);
json_t		*h_get_json(const char *path, const char *token);
/* A project named name (NULL: a unique name) made with token; its id. */
long long	h_new_project(const char *token, const char *name);

/*
 * A user login (tenant may be NULL) and an API client login from the
 * local address ip (NULL: 127.0.0.1); a NULL member is left out of the
 * body. POST {"<field>": token} to path, without Authorization.
 */
struct h_resp	*h_login(const char *ip, const char *username,
		    const char *password, const char *tenant);
struct h_resp	*h_client_login(const char *ip, const char *id,
		    const char *secret);
struct h_resp	*h_post_token(const char *path, const char *field,
		    const char *token);
/* A 401 with a Bearer challenge in WWW-Authenticate. */
void		h_assert_401(struct h_resp *, const char *what);

/* errors.<field>[0] of a validation error body (asserts an errors object). */
const char	*h_first_error(struct h_resp *, const char *field);
/* A 400 whose errors.<field> is msg (any message if msg is NULL). */
void		h_assert_error(struct h_resp *, const char *field,
		    const char *msg);
/* o has exactly these keys (keys: NULL-terminated). */
void		h_assert_keys(json_t *o, const char *const *keys);
/* A string member (NULL when null or absent); an integer member (asserted). */
const char	*h_jstr(json_t *o, const char *k);
long long	h_jint(json_t *o, const char *k);

/* The list at path holds exactly these ids (in any order). */
void		h_assert_ids(const char *path, const char *token,
		    const long long *ids, size_t n);
/* The decoded payload of a JWT (not verified; caller decrefs). */
json_t		*h_jwt_claims(const char *token);
/* A JWT's header (caller decrefs). */
json_t		*h_jwt_header(const char *token);
/* Its kid (caller frees). */
char		*h_jwt_kid(const char *token);
/* base64url without padding, as in a JWT (caller frees). */
char		*h_b64url(const void *data, size_t len);

/* s n times (caller frees). */
char		*h_repeat(const char *s, size_t n);
void		h_sleep_ms(long ms);
/* A monotonic clock in milliseconds, for waits and deadlines. */
long		h_now_ms(void);

/* A whole file (asserted readable; caller frees); its length in *len. */
char		*h_read_file(const char *path, size_t *len);
/* A value of the server's settings file (caller frees), or NULL. */
char		*h_setting(const char *name);
/* The word after label in text ("client_id:   mtc_..."), or NULL. */
const char	*h_field_after(const char *text, const char *label,
		    char *out, size_t len);

/*
 * The secrets that must never reach a log: the fixture's tokens,
 * passwords, client secrets and signing key, and the settings' keys and
 * database password. h_secret_add() adds one more (for a JWT its payload
 * and signature on their own too); h_assert_no_secret() fails if text
 * (what: its name) holds any of them.
 */
json_t		*h_secrets(void);		/* caller decrefs */
void		h_secret_add(json_t *secrets, const char *v);
void		h_assert_no_secret(json_t *secrets, const char *text,
		    const char *what);

/* printf into a static-per-call buffer ring (8 slots). */
const char	*h_fmt(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Run "mtapi-admin ARGS" with stdin; returns the exit status; output in
 * *out (caller frees) if out is not NULL. */
int		h_admin(const char *args, const char *stdin_data, char **out);
/* The same, asserting exit status 0. */
void		h_admin_ok(const char *args, const char *stdin_data,
		    char **out);

/*
 * The test database itself (libpq), for what no request shows: the
 * catalog, the audit trail. h_db_open() connects with the settings of
 * MTAPI_ENV_FILE; h_db_query() runs a statement, asserted to succeed
 * (caller clears the result).
 */
PGconn		*h_db_open(void);
PGresult	*h_db_query(PGconn *, const char *, int, const char **);

/*
 * Run sql in the test database with psql (the settings of MTAPI_ENV_FILE,
 * which test.sh exports); returns psql's exit status and, if out is not
 * NULL, its unaligned output (caller frees). Skips the test without psql.
 */
int		h_sql(const char *sql, char **out);

/* A fresh tenant with one user (member of it only); fills slug, token. */
struct h_tenant {
	char	slug[64];
	char	id[40];
	char	username[80];
	char	password[96];
	char	access[2048];
	char	refresh[2048];
};
void		h_new_tenant(const char *prefix, struct h_tenant *);
/* The same, with a rate limit no test's burst reaches. */
void		h_new_tenant_unlimited(const char *prefix, struct h_tenant *);

/* A unique string for names (pid + counter). */
const char	*h_unique(const char *prefix);

/*
 * The operator listener (MTAPI_TEST_OPS_URL) and its metrics: GET
 * <ops>/metrics, the exposition checked by a strict parser of the text
 * format 0.0.4 (h_metrics_check asserts), as
 * {"series": value}, a series written as the server writes it:
 * name{label="v",...}. h_metric() is a series' value, 0 when absent.
 */
const char	*h_ops_url(void);
json_t		*h_metrics(const char *ops_url, char **text);
void		h_metrics_check(const char *text, json_t *out);
/* The same check: 0, or -1 and why in err. */
int		h_metrics_parse(const char *text, json_t *out, char *err,
		    size_t errlen);
double		h_metric(json_t *, const char *series);

/*
 * The worker processes of the server listening on 127.0.0.1:port (the
 * processes holding its listening socket, Kore's parent left out): up to
 * max pids into out, how many.
 */
int		h_server_workers(int port, pid_t *out, int max);

#endif
