/*
 * Operations: CORS for browser clients, the access log (format, request
 * id, tenant, and that no secret ever reaches it), and the development
 * database script.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define ALLOWED_ORIGIN	"http://allowed.example"
#define LOG_RE		"^(DEBUG|INFO|WARNING|ERROR) " \
			"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} " \
			"\\[tenant:[^]]+\\] "

static char	*log_line_for(const char *, long);
static int	log_format_ok(const char *);
static void	secrets_scan(json_t *, const char *);

Test(cors, preflight_from_an_allowed_origin)
{
	const char	*hdrs[] = { "Origin: " ALLOWED_ORIGIN,
			    "Access-Control-Request-Method: POST",
			    "Access-Control-Request-Headers: authorization, "
			    "content-type", NULL };
	struct h_resp	*r;
	char		buf[256];

	r = h_req("OPTIONS", "/api/v1/projects/", NULL, NULL, hdrs);
	cr_assert(r->status == 200 || r->status == 204, "%ld %s", r->status,
	    r->body);
	cr_assert_not_null(h_header(r, "access-control-allow-origin", buf,
	    sizeof(buf)), "no ACAO:\n%s", r->headers);
	cr_assert_str_eq(buf, ALLOWED_ORIGIN);
	cr_assert_not_null(h_header(r, "access-control-allow-methods", buf,
	    sizeof(buf)), "%s", r->headers);
	cr_assert(strstr(buf, "POST") != NULL && strstr(buf, "GET") != NULL,
	    "allow-methods: %s", buf);
	cr_assert_not_null(h_header(r, "access-control-allow-headers", buf,
	    sizeof(buf)), "%s", r->headers);
	cr_assert(strcasestr(buf, "authorization") != NULL &&
	    strcasestr(buf, "content-type") != NULL, "allow-headers: %s", buf);
	cr_assert_not_null(h_header(r, "vary", buf, sizeof(buf)));
	cr_assert(strcasestr(buf, "origin") != NULL, "Vary: %s", buf);
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
	h_free(r);

	/* A token endpoint, before any login. */
	r = h_req("OPTIONS", "/api/v1/auth/token/", NULL, NULL, hdrs);
	cr_assert(r->status == 200 || r->status == 204, "%ld", r->status);
	cr_assert_str_eq(h_header(r, "access-control-allow-origin", buf,
	    sizeof(buf)), ALLOWED_ORIGIN);
	h_free(r);
}

Test(cors, other_origins_get_no_allow_origin)
{
	const char	*origins[] = { "Origin: http://evil.example",
			    "Origin: http://allowed.example.evil.example",
			    "Origin: https://allowed.example",
			    "Origin: http://allowed.example:8080",
			    "Origin: null", NULL };
	const char	*hdrs[3];
	struct h_resp	*r;
	char		buf[256];
	size_t		i;

	for (i = 0; origins[i] != NULL; i++) {
		hdrs[0] = origins[i];
		hdrs[1] = "Access-Control-Request-Method: DELETE";
		hdrs[2] = NULL;
		r = h_req("OPTIONS", "/api/v1/projects/1/", NULL, NULL, hdrs);
		cr_assert_null(h_header(r, "access-control-allow-origin", buf,
		    sizeof(buf)), "%s got ACAO %s", origins[i], buf);
		cr_assert_null(h_header(r, "access-control-allow-methods", buf,
		    sizeof(buf)), "%s got allow-methods", origins[i]);
		h_free(r);

		hdrs[1] = NULL;
		r = h_req("GET", "/api/v1/projects/", h_token(H_ACME), NULL,
		    hdrs);
		cr_assert_eq(r->status, 200);
		cr_assert_null(h_header(r, "access-control-allow-origin", buf,
		    sizeof(buf)), "%s got ACAO %s", origins[i], buf);
		h_free(r);
	}
}

Test(cors, actual_requests_from_the_allowed_origin)
{
	const char	*hdrs[] = { "Origin: " ALLOWED_ORIGIN, NULL };
	struct h_resp	*r;
	char		buf[256];

	r = h_req("GET", "/api/v1/projects/", h_token(H_ACME), NULL, hdrs);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(h_header(r, "access-control-allow-origin", buf,
	    sizeof(buf)), ALLOWED_ORIGIN);
	cr_assert_not_null(h_header(r, "access-control-expose-headers", buf,
	    sizeof(buf)));
	cr_assert(strcasestr(buf, "x-request-id") != NULL, "expose: %s", buf);
	h_free(r);

	/* Errors too, or the browser hides them from the page. */
	r = h_req("GET", "/api/v1/projects/", NULL, NULL, hdrs);
	cr_assert_eq(r->status, 401);
	cr_assert_str_eq(h_header(r, "access-control-allow-origin", buf,
	    sizeof(buf)), ALLOWED_ORIGIN);
	h_free(r);

	/* No Origin, no CORS headers. */
	r = h_get("/api/v1/projects/", h_token(H_ACME));
	cr_assert_null(h_header(r, "access-control-allow-origin", buf,
	    sizeof(buf)));
	h_free(r);
}

Test(logs, request_line_format_and_request_id)
{
	const char	*hdrs[2];
	struct h_resp	*r;
	char		*line, rid[128], mine[64];

	/* A request id of our own. */
	(void)snprintf(mine, sizeof(mine), "%s", h_unique("logrid"));
	hdrs[0] = h_fmt("X-Request-ID: %s", mine);
	hdrs[1] = NULL;
	r = h_req("GET", "/health/", NULL, NULL, hdrs);
	cr_assert_eq(r->status, 200);
	h_free(r);
	line = log_line_for(mine, 3000);
	cr_assert_not_null(line, "no log line with rid=%s", mine);
	cr_assert(log_format_ok(line), "bad format: %s", line);
	cr_assert(strstr(line, "GET /health/ 200") != NULL, "%s", line);
	free(line);

	/* The server's own id: the one the response carried. */
	r = h_get("/no/such/thing/", NULL);
	cr_assert_eq(r->status, 404);
	cr_assert_not_null(h_header(r, "x-request-id", rid, sizeof(rid)));
	h_free(r);
	line = log_line_for(rid, 3000);
	cr_assert_not_null(line, "no log line with rid=%s", rid);
	cr_assert(log_format_ok(line), "bad format: %s", line);
	cr_assert(strstr(line, "/no/such/thing/ 404") != NULL, "%s", line);
	cr_assert(strstr(line, "[tenant:acme]") == NULL, "%s", line);
	free(line);
}

Test(logs, tenant_of_the_token)
{
	struct h_tenant	t;
	struct h_resp	*r;
	char		*line, rid[128];

	r = h_get("/api/v1/projects/", h_token(H_ACME));
	cr_assert_eq(r->status, 200);
	cr_assert_not_null(h_header(r, "x-request-id", rid, sizeof(rid)));
	h_free(r);
	line = log_line_for(rid, 3000);
	cr_assert_not_null(line, "no log line with rid=%s", rid);
	cr_assert(log_format_ok(line), "bad format: %s", line);
	cr_assert(strstr(line, " [tenant:acme] ") != NULL, "%s", line);
	free(line);

	/* Errors after authentication still name the tenant. */
	r = h_req("DELETE", "/api/v1/projects/", h_token(H_GLOBEX), NULL, NULL);
	cr_assert_eq(r->status, 405);
	cr_assert_not_null(h_header(r, "x-request-id", rid, sizeof(rid)));
	h_free(r);
	line = log_line_for(rid, 3000);
	cr_assert_not_null(line, "no log line with rid=%s", rid);
	cr_assert(strstr(line, " [tenant:globex] ") != NULL, "%s", line);
	free(line);

	h_new_tenant("logt", &t);
	r = h_get("/api/v1/tasks/", t.access);
	cr_assert_eq(r->status, 200);
	cr_assert_not_null(h_header(r, "x-request-id", rid, sizeof(rid)));
	h_free(r);
	line = log_line_for(rid, 3000);
	cr_assert_not_null(line, "no log line with rid=%s", rid);
	cr_assert(strstr(line, h_fmt(" [tenant:%s] ", t.slug)) != NULL, "%s",
	    line);
	free(line);
}

/* Every line of the log that is about a request has the format. */
Test(logs, every_request_line_has_the_format)
{
	char		*log, *p, *nl;
	int		n;

	log = h_read_file(h_env("MTAPI_TEST_HTTP_LOG"), NULL);
	n = 0;
	for (p = log; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;	/* being written */
		*nl = '\0';
		if (strstr(p, " rid=") != NULL) {
			cr_assert(log_format_ok(p), "bad log line: %s", p);
			n++;
		}
	}
	cr_assert_gt(n, 0, "no request lines in the log");
	free(log);
}

/*
 * Requests that carry every kind of secret (tokens in headers and bodies,
 * passwords, client secrets, broken tokens), then the whole log is
 * searched for any of them.
 */
Test(logs, no_secret_reaches_the_log, .timeout = 60)
{
	json_t		*secrets;
	struct h_tenant	t;
	struct h_resp	*r;
	const char	*acc, *bad_hdr[2], *qs;
	char		tampered[4096];

	secrets = h_secrets();
	h_new_tenant("logsec", &t);
	h_secret_add(secrets, t.password);
	h_secret_add(secrets, t.access);
	h_secret_add(secrets, t.refresh);

	/* A login: the response's tokens are secrets as well. */
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":\"%s\"}", t.username, t.password));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_secret_add(secrets, h_str(r, "access"));
	h_secret_add(secrets, h_str(r, "refresh"));
	h_free(r);

	/* A wrong password (one failure, well below the throttle). */
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":\"%s-wrong-pw-zq\"}", t.username, t.password));
	cr_assert_eq(r->status, 401);
	h_free(r);
	h_secret_add(secrets, h_fmt("%s-wrong-pw-zq", t.password));

	/* An API client login with the fixture's secret. */
	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}",
	    h_client(H_GLOBEX, "readonly", "client_id"),
	    h_client(H_GLOBEX, "readonly", "client_secret")));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_secret_add(secrets, h_str(r, "access"));
	h_secret_add(secrets, h_str(r, "refresh"));
	h_free(r);

	/* Tokens in bodies, headers, the query string; broken tokens. */
	acc = h_token(H_ACME);
	r = h_post("/api/v1/auth/token/verify/", NULL, h_fmt(
	    "{\"token\":\"%s\"}", h_tenant_str(H_INITECH, "refresh_token")));
	h_free(r);
	r = h_post("/api/v1/auth/token/verify/", NULL, h_fmt(
	    "{\"token\":\"%s\"}", acc));
	cr_assert_eq(r->status, 200);
	h_free(r);
	(void)snprintf(tampered, sizeof(tampered), "%s", acc);
	tampered[strlen(tampered) - 2] ^= 0x01;
	r = h_get("/api/v1/projects/", tampered);
	cr_assert_eq(r->status, 401);
	h_free(r);
	bad_hdr[0] = h_fmt("Authorization: Token %s", acc);
	bad_hdr[1] = NULL;
	r = h_req("GET", "/api/v1/tasks/", NULL, NULL, bad_hdr);
	cr_assert_eq(r->status, 401);
	h_free(r);
	r = h_get("/api/v1/projects/", h_tenant_str(H_UMBRELLA,
	    "access_token"));
	cr_assert_eq(r->status, 403, "%s", r->body);
	h_free(r);
	qs = h_fmt("/api/v1/projects/?search=x&access_token=%s", acc);
	r = h_get(qs, acc);
	h_free(r);
	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":%s}", t.username, t.password));	/* bad JSON */
	cr_assert_eq(r->status, 400);
	h_free(r);

	/* Let the lines land, then search everything written so far. */
	h_sleep_ms(500);
	secrets_scan(secrets, h_env("MTAPI_TEST_HTTP_LOG"));
	json_decref(secrets);
}

/* The log at path is not empty and holds none of the secrets. */
static void
secrets_scan(json_t *secrets, const char *path)
{
	char		*log;

	log = h_read_file(path, NULL);
	cr_assert_gt(strlen(log), 0, "%s is empty", path);
	h_assert_no_secret(secrets, log, path);
	free(log);
}

/* The whole log line that holds "rid=<rid>", waiting up to ms for it. */
static char *
log_line_for(const char *rid, long ms)
{
	char		*log, *p, *start, *end, *out, needle[160];
	long		waited;

	(void)snprintf(needle, sizeof(needle), "rid=%s", rid);
	for (waited = 0;; waited += 100) {
		log = h_read_file(h_env("MTAPI_TEST_HTTP_LOG"), NULL);
		for (p = log; (p = strstr(p, needle)) != NULL; p++) {
			end = p + strlen(needle);
			if (*end != '\n' && *end != ' ' && *end != '\0')
				continue;
			start = p;
			while (start > log && start[-1] != '\n')
				start--;
			if ((end = strchr(p, '\n')) == NULL)
				break;
			out = strndup(start, end - start);
			free(log);
			return (out);
		}
		free(log);
		if (waited >= ms)
			return (NULL);
		h_sleep_ms(100);
	}
}

static int
log_format_ok(const char *line)
{
	static regex_t	re;
	static int	compiled;

	if (!compiled) {
		cr_assert_eq(regcomp(&re, LOG_RE, REG_EXTENDED | REG_NOSUB), 0);
		compiled = 1;
	}

	return (regexec(&re, line, 0, NULL, 0) == 0);
}

/*
 * Issue 12.6: tools/dev/pg.sh in a checkout whose port is held by another
 * checkout's PostgreSQL (here: the suite's own cluster, seen from a copy
 * of the script in a directory of its own) says which port is taken and
 * how to choose another, and leaves nothing behind; it used to make a
 * cluster there and fail with pg_ctl's "could not start server".
 */
Test(ops, pg_sh_names_a_taken_port, .timeout = 60)
{
	FILE		*fp;
	char		dir[] = "/tmp/mtapi-pgsh.XXXXXX", out[4096], *port;
	size_t		n;
	int		st;

	port = h_setting("DB_PORT");
	cr_assert_not_null(port);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(system(h_fmt("mkdir -p %s/tools/dev && cp '%s/tools/dev/"
	    "pg.sh' %s/tools/dev/", dir, h_env("MTAPI_TEST_ROOT"), dir)), 0);

	fp = popen(h_fmt("DB_PORT=%s sh %s/tools/dev/pg.sh start 2>&1", port,
	    dir), "r");
	cr_assert_not_null(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	st = pclose(fp);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "started: %s", out);
	cr_assert_not_null(strstr(out, h_fmt("port %s ", port)), "%s", out);
	cr_assert_not_null(strstr(out, "taken by postgres"), "%s", out);
	cr_assert_not_null(strstr(out, "DB_PORT="), "%s", out);
	cr_assert_null(strstr(out, "could not start server"), "%s", out);
	cr_assert_neq(access(h_fmt("%s/.pgdata", dir), F_OK), 0,
	    "a cluster was made in %s", dir);

	cr_assert_eq(system(h_fmt("rm -rf %s", dir)), 0);
	free(port);
}
