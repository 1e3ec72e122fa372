/*
 * The integration test harness: HTTP requests to the server that
 * tools/dev/test.sh started (libcurl), the test data fixture, and the
 * operator command.
 *
 * Environment (set by tools/dev/test.sh):
 *   MTAPI_TEST_BASE_URL	plain HTTP server, e.g. http://127.0.0.1:18000
 *   MTAPI_TEST_TLS_URL		TLS server, e.g. https://127.0.0.1:18443
 *   MTAPI_TEST_TLS_DIR		its certificate and key (server.pem, key.pem)
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

#include <jansson.h>

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
struct h_resp	*h_get(const char *path, const char *token);
struct h_resp	*h_post(const char *path, const char *token,
		    const char *body);
void		h_free(struct h_resp *);

/* A response header's value (case-insensitive name), or NULL. */
const char	*h_header(struct h_resp *, const char *, char *, size_t);

/* Fields of the JSON body. */
const char	*h_str(struct h_resp *, const char *);
long long	h_int(struct h_resp *, const char *);

/* printf into a static-per-call buffer ring (8 slots). */
const char	*h_fmt(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Run "mtapi-admin ARGS" with stdin; returns the exit status; output in
 * *out (caller frees) if out is not NULL. */
int		h_admin(const char *args, const char *stdin_data, char **out);

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

/* A unique string for names (pid + counter). */
const char	*h_unique(const char *prefix);

#endif
