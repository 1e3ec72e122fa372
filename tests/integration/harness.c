/*
 * The integration test harness (see harness.h).
 */

#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <sodium.h>

#include "core/settings.h"
#include "harness.h"

static json_t	*fixture;
static int	curl_ready;

static struct h_resp	*request(CURL *, const char *, const char *,
			    const char *, const char *, const char *,
			    const char **, int *);
static struct h_resp	*send_from(const char *, const char *, json_t *);
static int		run_output(const char *, const char *, char **);

const char *
h_env(const char *name)
{
	const char	*v;

	v = getenv(name);
	cr_assert(v != NULL && *v != '\0', "%s is not set: run the tests "
	    "through make test", name);

	return (v);
}

const char *
h_base_url(void)
{
	return (h_env("MTAPI_TEST_BASE_URL"));
}

json_t *
h_fixture(void)
{
	json_error_t	err;

	if (fixture == NULL) {
		fixture = json_load_file(h_env("MTAPI_TEST_FIXTURE"), 0, &err);
		cr_assert(fixture != NULL, "fixture: %s", err.text);
	}

	return (fixture);
}

json_t *
h_tenant(int i)
{
	json_t		*t;

	t = json_array_get(json_object_get(h_fixture(), "tenants"), i);
	cr_assert(t != NULL, "no fixture tenant %d", i);

	return (t);
}

const char *
h_tenant_str(int i, const char *field)
{
	const char	*v;

	v = json_string_value(json_object_get(h_tenant(i), field));
	cr_assert(v != NULL, "fixture tenant %d has no %s", i, field);

	return (v);
}

const char *
h_token(int i)
{
	return (h_tenant_str(i, "access_token"));
}

const char *
h_client(int i, const char *name, const char *field)
{
	json_t		*c;
	size_t		k;
	const char	*v;

	json_array_foreach(json_object_get(h_tenant(i), "api_clients"), k, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), name))
			continue;
		v = json_string_value(json_object_get(c, field));
		cr_assert(v != NULL, "client %s has no %s", name, field);
		return (v);
	}

	cr_assert_fail("fixture tenant %d has no client %s", i, name);
	return (NULL);
}

struct h_resp *
h_req(const char *method, const char *path, const char *token,
    const char *body, const char **extra)
{
	return (h_req_url(method, h_fmt("%s%s", h_base_url(), path), token,
	    body, extra));
}

struct h_resp *
h_req_url(const char *method, const char *url, const char *token,
    const char *body, const char **extra)
{
	return (request(NULL, NULL, method, url, token, body, extra, NULL));
}

struct h_resp *
h_req_on(CURL *handle, const char *ip, const char *method, const char *path,
    const char *token, const char *body, int *reused)
{
	return (request(handle, ip, method, h_fmt("%s%s", h_base_url(), path),
	    token, body, NULL, reused));
}

struct h_resp *
h_req_at(CURL *handle, const char *ip, const char *method, const char *url,
    const char *token, const char *body, const char **extra)
{
	return (request(handle, ip, method, url, token, body, extra, NULL));
}

void
h_own_ip(int octet, char *buf, size_t len)
{
	long	pid = (long)getpid();

	(void)snprintf(buf, len, "127.%d.%ld.%ld", octet,
	    1 + (pid / 250) % 250, 1 + pid % 250);
}

struct h_resp *
h_get(const char *path, const char *token)
{
	return (h_req("GET", path, token, NULL, NULL));
}

struct h_resp *
h_post(const char *path, const char *token, const char *body)
{
	return (h_req("POST", path, token, body, NULL));
}

void
h_free(struct h_resp *r)
{
	if (r == NULL)
		return;
	json_decref(r->json);
	free(r->body);
	free(r->headers);
	free(r);
}

const char *
h_header(struct h_resp *r, const char *name, char *out, size_t outlen)
{
	const char	*p, *end, *v;
	size_t		len;

	len = strlen(name);
	for (p = r->headers; *p != '\0'; p = end) {
		if ((end = strstr(p, "\r\n")) == NULL)
			end = p + strlen(p);
		if (!strncasecmp(p, name, len) && p[len] == ':') {
			v = p + len + 1;
			while (*v == ' ')
				v++;
			(void)snprintf(out, outlen, "%.*s", (int)(end - v), v);
			return (out);
		}
		if (*end != '\0')
			end += 2;
	}

	return (NULL);
}

const char *
h_str(struct h_resp *r, const char *field)
{
	return (json_string_value(json_object_get(r->json, field)));
}

long long
h_int(struct h_resp *r, const char *field)
{
	json_t		*v;

	v = json_object_get(r->json, field);
	cr_assert(json_is_integer(v), "field %s is not an integer in %s",
	    field, r->body);

	return (json_integer_value(v));
}

const char *
h_fmt(const char *fmt, ...)
{
	static char	ring[8][8192];
	static int	slot;
	va_list		ap;
	char		*out;

	out = ring[slot++ % 8];
	va_start(ap, fmt);
	(void)vsnprintf(out, sizeof(ring[0]), fmt, ap);
	va_end(ap);

	return (out);
}

/*
 * Run cmd (its input file path is removed afterwards): its exit status,
 * its output in *out (NULL: dropped; the caller frees).
 */
static int
run_output(const char *cmd, const char *path, char **out)
{
	FILE		*fp;
	char		*buf;
	size_t		n, cap;
	int		status;

	fp = popen(cmd, "r");
	cr_assert(fp != NULL);

	cap = 4096;
	buf = malloc(cap);
	n = 0;
	while (!feof(fp)) {
		if (n + 1024 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		n += fread(buf + n, 1, cap - n - 1, fp);
	}
	buf[n] = '\0';
	status = pclose(fp);
	unlink(path);

	if (out != NULL)
		*out = buf;
	else
		free(buf);

	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
h_admin(const char *args, const char *stdin_data, char **out)
{
	char		cmd[4096], path[256];
	int		fd;

	(void)snprintf(path, sizeof(path), "/tmp/mtapi-admin-in.%ld.XXXXXX",
	    (long)getpid());
	fd = mkstemp(path);
	cr_assert(fd != -1);
	if (stdin_data != NULL)
		cr_assert(write(fd, stdin_data, strlen(stdin_data)) ==
		    (ssize_t)strlen(stdin_data));
	close(fd);

	(void)snprintf(cmd, sizeof(cmd), "%s --env %s %s <%s 2>&1",
	    h_env("MTAPI_TEST_ADMIN"), h_env("MTAPI_ENV_FILE"), args, path);

	return (run_output(cmd, path, out));
}

void
h_admin_ok(const char *args, const char *stdin_data, char **out)
{
	char		*buf;
	int		rc;

	rc = h_admin(args, stdin_data, &buf);
	cr_assert_eq(rc, 0, "mtapi-admin %s: %s", args, buf);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
}

int
h_sql(const char *sql, char **out)
{
	char		cmd[4096], path[256];
	int		fd;

	if (system("command -v psql >/dev/null 2>&1") != 0)
		cr_skip_test("psql is not installed");

	/* The statement through a file: no quoting of SQL in a shell. */
	(void)snprintf(path, sizeof(path), "/tmp/mtapi-sql.%ld.XXXXXX",
	    (long)getpid());
	cr_assert((fd = mkstemp(path)) != -1);
	cr_assert(write(fd, sql, strlen(sql)) == (ssize_t)strlen(sql));
	close(fd);

	(void)snprintf(cmd, sizeof(cmd), "PGPASSWORD=\"$DB_PASSWORD\" psql -X "
	    "-q -At -v ON_ERROR_STOP=1 -h \"$DB_HOST\" -p \"$DB_PORT\" "
	    "-U \"$DB_USER\" -d \"$DB_NAME\" -f %s 2>&1", path);
	(void)h_env("DB_NAME");
	return (run_output(cmd, path, out));
}

const char *
h_unique(const char *prefix)
{
	static unsigned int	counter;

	return (h_fmt("%s-%ld-%u", prefix, (long)getpid(), ++counter));
}

void
h_new_tenant(const char *prefix, struct h_tenant *t)
{
	struct h_resp	*r;

	memset(t, 0, sizeof(*t));
	(void)snprintf(t->slug, sizeof(t->slug), "%s", h_unique(prefix));
	(void)snprintf(t->username, sizeof(t->username), "%s-user", t->slug);
	(void)snprintf(t->password, sizeof(t->password), "pw-%s-%d",
	    t->slug, rand());

	h_admin_ok(h_fmt("create-tenant --slug %s --name 'Test %s'",
	    t->slug, t->slug), NULL, NULL);
	h_admin_ok(h_fmt("create-user --username %s", t->username),
	    h_fmt("%s\n", t->password), NULL);
	h_admin_ok(h_fmt("add-member --user %s --tenant %s --role admin",
	    t->username, t->slug), NULL, NULL);

	r = h_post("/api/v1/auth/token/", NULL,
	    h_fmt("{\"username\":\"%s\",\"password\":\"%s\"}", t->username,
	    t->password));
	cr_assert_eq(r->status, 200, "login of %s: %ld %s", t->username,
	    r->status, r->body);
	(void)snprintf(t->access, sizeof(t->access), "%s", h_str(r, "access"));
	(void)snprintf(t->refresh, sizeof(t->refresh), "%s",
	    h_str(r, "refresh"));
	(void)snprintf(t->id, sizeof(t->id), "%s", json_string_value(
	    json_object_get(json_object_get(r->json, "tenant"), "id")));
	h_free(r);
}

void
h_new_tenant_unlimited(const char *prefix, struct h_tenant *t)
{
	char		*out;
	int		rc;

	h_new_tenant(prefix, t);
	rc = h_admin(h_fmt("set-rate-limit --tenant %s --per-minute 10000000",
	    t->slug), NULL, &out);
	cr_assert_eq(rc, 0, "set-rate-limit: %s", out);
	free(out);
}

/* A JSON request; takes the reference to body (NULL: no body). */
struct h_resp *
h_send_json(const char *method, const char *path, const char *token,
    json_t *body)
{
	struct h_resp	*r;
	char		*s;

	s = NULL;
	if (body != NULL) {
		s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		cr_assert_not_null(s);
		json_decref(body);
	}
	r = h_req(method, path, token, s, NULL);
	free(s);

	return (r);
}

json_t *
h_create_json(const char *path, const char *token, json_t *body)
{
	struct h_resp	*r;
	json_t		*o;

	cr_assert_not_null(body);
	r = h_send_json("POST", path, token, body);
	cr_assert_eq(r->status, 201, "POST %s: %ld %.300s", path, r->status,
	    r->body);
	o = json_incref(r->json);
	h_free(r);

	return (o);
}

long long
h_create(const char *path, const char *token, json_t *body)
{
	json_t		*o;
	long long	id;

	o = h_create_json(path, token, body);
	id = h_jint(o, "id");
	json_decref(o);

	return (id);
}

json_t *
h_get_json(const char *path, const char *token)
{
	struct h_resp	*r;
	json_t		*o;

	r = h_get(path, token);
	cr_assert_eq(r->status, 200, "GET %s: %ld %.300s", path, r->status,
	    r->body);
	o = json_incref(r->json);
	h_free(r);

	return (o);
}

long long
h_new_project(const char *token, const char *name)
{
	return (h_create("/api/v1/projects/", token, json_pack("{s:s}",
	    "name", name != NULL ? name : h_unique("project"))));
}

struct h_resp *
h_login(const char *ip, const char *username, const char *password,
    const char *tenant)
{
	json_t		*o;

	o = json_object();
	if (username != NULL)
		json_object_set_new(o, "username", json_string(username));
	if (password != NULL)
		json_object_set_new(o, "password", json_string(password));
	if (tenant != NULL)
		json_object_set_new(o, "tenant", json_string(tenant));

	return (send_from(ip, "/api/v1/auth/token/", o));
}

struct h_resp *
h_client_login(const char *ip, const char *id, const char *secret)
{
	json_t		*o;

	o = json_object();
	if (id != NULL)
		json_object_set_new(o, "client_id", json_string(id));
	if (secret != NULL)
		json_object_set_new(o, "client_secret", json_string(secret));

	return (send_from(ip, "/api/v1/auth/api-client/token/", o));
}

struct h_resp *
h_post_token(const char *path, const char *field, const char *token)
{
	return (send_from(NULL, path, json_pack("{s:s}", field, token)));
}

void
h_assert_401(struct h_resp *r, const char *what)
{
	char		buf[256];

	cr_assert_eq(r->status, 401, "%s: %ld %s", what, r->status, r->body);
	cr_assert_not_null(h_header(r, "www-authenticate", buf, sizeof(buf)),
	    "%s: 401 without WWW-Authenticate", what);
	cr_assert(!strncmp(buf, "Bearer", 6), "%s: WWW-Authenticate: %s",
	    what, buf);
}

const char *
h_first_error(struct h_resp *r, const char *field)
{
	json_t		*errors;

	errors = json_object_get(r->json, "errors");
	cr_assert(json_is_object(errors), "no errors object in %.300s",
	    r->body);

	return (json_string_value(json_array_get(json_object_get(errors,
	    field), 0)));
}

void
h_assert_error(struct h_resp *r, const char *field, const char *msg)
{
	const char	*m;

	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	m = h_first_error(r, field);
	cr_assert_not_null(m, "no errors.%s in %s", field, r->body);
	if (msg != NULL)
		cr_assert_str_eq(m, msg, "%s", r->body);
}

void
h_assert_keys(json_t *o, const char *const *keys)
{
	size_t		i;

	cr_assert(json_is_object(o));
	for (i = 0; keys[i] != NULL; i++)
		cr_assert_not_null(json_object_get(o, keys[i]),
		    "key %s missing", keys[i]);
	cr_assert_eq(json_object_size(o), i, "%zu keys, expected %zu",
	    json_object_size(o), i);
}

const char *
h_jstr(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

long long
h_jint(json_t *o, const char *k)
{
	json_t		*v;

	v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "%s is not an integer", k);

	return (json_integer_value(v));
}

char *
h_repeat(const char *s, size_t n)
{
	char		*out;
	size_t		len, i;

	len = strlen(s);
	out = malloc(len * n + 1);
	cr_assert_not_null(out);
	for (i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';

	return (out);
}

void
h_sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

long
h_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

char *
h_read_file(const char *path, size_t *len)
{
	FILE		*fp;
	char		*buf;
	size_t		cap, n, r;

	fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	cap = 1 << 16;
	buf = malloc(cap);
	cr_assert_not_null(buf);
	n = 0;
	while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
		n += r;
		if (cap - n < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	cr_assert(!ferror(fp), "%s: read error", path);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;

	return (buf);
}

char *
h_setting(const char *name)
{
	FILE		*fp;
	char		line[1024];
	size_t		len;

	fp = fopen(h_env("MTAPI_ENV_FILE"), "r");
	cr_assert_not_null(fp);
	len = strlen(name);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, name, len) || line[len] != '=')
			continue;
		fclose(fp);
		line[strcspn(line, "\r\n")] = '\0';
		return (strdup(line + len + 1));
	}
	fclose(fp);

	return (NULL);
}

const char *
h_field_after(const char *text, const char *label, char *out, size_t len)
{
	const char	*p;
	size_t		n;

	if ((p = strstr(text, label)) == NULL)
		return (NULL);
	p += strlen(label);
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= len)
		return (NULL);
	memcpy(out, p, n);
	out[n] = '\0';

	return (out);
}

json_t *
h_secrets(void)
{
	static const char *const	names[] = { "SECRET_KEY",
					    "JWT_SIGNING_KEY", "DB_PASSWORD",
					    NULL };
	json_t				*s, *t, *c;
	size_t				i, j;
	char				*v;

	s = json_array();
	json_array_foreach(json_object_get(h_fixture(), "tenants"), i, t) {
		h_secret_add(s, h_jstr(t, "access_token"));
		h_secret_add(s, h_jstr(t, "refresh_token"));
		h_secret_add(s, h_jstr(t, "password"));
		json_array_foreach(json_object_get(t, "api_clients"), j, c)
			h_secret_add(s, h_jstr(c, "client_secret"));
	}
	h_secret_add(s, h_jstr(json_object_get(h_fixture(), "jwt"),
	    "signing_key"));
	for (i = 0; names[i] != NULL; i++) {
		if ((v = h_setting(names[i])) != NULL) {
			h_secret_add(s, v);
			free(v);
		}
	}
	cr_assert_gt(json_array_size(s), 10, "the fixture holds no secrets?");

	return (s);
}

/*
 * For a JWT its payload and a piece of its signature as well, so that a
 * shortened or altered copy of a token is found too.
 */
void
h_secret_add(json_t *s, const char *v)
{
	const char	*dot1, *dot2;

	if (v == NULL || strlen(v) < 8)
		return;
	json_array_append_new(s, json_string(v));

	if ((dot1 = strchr(v, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return;
	json_array_append_new(s, json_stringn(dot1 + 1, dot2 - dot1 - 1));
	if (strlen(dot2 + 1) >= 16)
		json_array_append_new(s, json_stringn(dot2 + 1, 16));
}

void
h_assert_no_secret(json_t *secrets, const char *text, const char *what)
{
	json_t		*v;
	size_t		i;

	json_array_foreach(secrets, i, v) {
		cr_assert(strstr(text, json_string_value(v)) == NULL,
		    "%s holds a secret (%.12s...)", what,
		    json_string_value(v));
	}
}

char *
h_b64url(const void *data, size_t len)
{
	size_t		n;
	char		*out;

	n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = malloc(n);
	cr_assert_not_null(out);
	sodium_bin2base64(out, n, data, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	return (out);
}

/* The decoded payload of a JWT (not verified: the server did that). */
json_t *
h_jwt_claims(const char *token)
{
	const char	*d1, *d2;
	unsigned char	buf[4096];
	size_t		len;
	json_t		*o;

	cr_assert_not_null(token);
	d1 = strchr(token, '.');
	cr_assert_not_null(d1, "not a JWT: %s", token);
	d2 = strchr(d1 + 1, '.');
	cr_assert_not_null(d2, "not a JWT: %s", token);
	cr_assert(sodium_base642bin(buf, sizeof(buf), d1 + 1, d2 - d1 - 1,
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0,
	    "payload is not base64url: %s", token);
	o = json_loadb((const char *)buf, len, 0, NULL);
	cr_assert(json_is_object(o), "payload is not a JSON object");

	return (o);
}

json_t *
h_jwt_header(const char *token)
{
	const char	*dot;
	unsigned char	buf[2048];
	size_t		len;
	json_t		*o;

	cr_assert_not_null(token);
	dot = strchr(token, '.');
	cr_assert_not_null(dot, "not a JWT: %s", token);
	cr_assert(sodium_base642bin(buf, sizeof(buf), token, dot - token,
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0,
	    "header is not base64url: %s", token);
	o = json_loadb((const char *)buf, len, 0, NULL);
	cr_assert(json_is_object(o), "header is not a JSON object");

	return (o);
}

char *
h_jwt_kid(const char *token)
{
	json_t		*h;
	char		*kid;

	h = h_jwt_header(token);
	kid = strdup(h_jstr(h, "kid"));
	json_decref(h);

	return (kid);
}

void
h_assert_ids(const char *path, const char *token, const long long *ids,
    size_t n)
{
	struct h_resp	*r;
	json_t		*results, *row;
	size_t		i, k;
	int		found;

	r = h_get(path, token);
	cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body);
	cr_assert_eq(h_int(r, "count"), (long long)n, "%s: %s", path,
	    r->body);
	results = json_object_get(r->json, "results");
	cr_assert_eq(json_array_size(results), n);
	json_array_foreach(results, i, row) {
		found = 0;
		for (k = 0; k < n; k++)
			found |= h_jint(row, "id") == ids[k];
		cr_assert(found, "%s: unexpected id %lld", path,
		    h_jint(row, "id"));
	}
	h_free(r);
}

/*
 * POST o (its reference taken) from ip, without Authorization. o NULL (a
 * json_pack() of a NULL value) sends no body.
 */
static struct h_resp *
send_from(const char *ip, const char *path, json_t *o)
{
	struct h_resp	*r;
	char		*s;

	s = json_dumps(o, JSON_COMPACT);
	cr_assert(o == NULL || s != NULL);
	json_decref(o);
	r = h_req_on(NULL, ip, "POST", path, NULL, s, NULL);
	free(s);

	return (r);
}

static struct h_resp *
request(CURL *handle, const char *ip, const char *method, const char *url,
    const char *token, const char *body, const char **extra, int *reused)
{
	CURL			*c;
	struct curl_slist	*hdrs;
	struct h_resp		*r;
	struct h_buf		b, h;
	CURLcode		rc;
	long			connects;
	int			has_ctype;
	size_t			i;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}

	c = handle;
	if (c == NULL)
		c = curl_easy_init();
	cr_assert(c != NULL);

	memset(&b, 0, sizeof(b));
	memset(&h, 0, sizeof(h));
	hdrs = NULL;
	has_ctype = 0;

	if (token != NULL)
		hdrs = curl_slist_append(hdrs,
		    h_fmt("Authorization: Bearer %s", token));
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (!strncasecmp(extra[i], "content-type:", 13))
			has_ctype = 1;
		hdrs = curl_slist_append(hdrs, extra[i]);
	}
	if (body != NULL && !has_ctype)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip on larger bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");

	curl_easy_setopt(c, CURLOPT_URL, url);
	if (ip != NULL)
		curl_easy_setopt(c, CURLOPT_INTERFACE, h_fmt("host!%s", ip));
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		/* A kept handle forgets the previous request's body. */
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, h_collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);

	rc = curl_easy_perform(c);
	cr_assert(rc == CURLE_OK, "%s %s%s%s: %s", method, url,
	    ip != NULL ? " from " : "", ip != NULL ? ip : "",
	    curl_easy_strerror(rc));

	r = calloc(1, sizeof(*r));
	cr_assert(r != NULL);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.data != NULL ? b.data : strdup("");
	r->len = b.len;
	r->headers = h.data != NULL ? h.data : strdup("");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	if (reused != NULL) {
		connects = -1;
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		*reused = connects == 0;
	}

	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (handle == NULL)
		curl_easy_cleanup(c);

	return (r);
}

void
h_req_parallel(const char *ip, const char *method, const char *path,
    const char *const *bodies, size_t n, struct h_resp **out)
{
	h_req_parallel_as(ip, method, path, NULL, bodies, n, out);
}

void
h_req_parallel_as(const char *ip, const char *method, const char *path,
    const char *const *tokens, const char *const *bodies, size_t n,
    struct h_resp **out)
{
	CURLM			*multi;
	CURL			**easy;
	struct curl_slist	*hdrs, **own;
	struct h_buf		*b, *h;
	struct h_resp		*r;
	CURLMsg			*msg;
	char			*url, *iface;
	int			running, left;
	size_t			i;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}

	easy = calloc(n, sizeof(*easy));
	own = calloc(n, sizeof(*own));
	b = calloc(n, sizeof(*b));
	h = calloc(n, sizeof(*h));
	cr_assert(easy != NULL && own != NULL && b != NULL && h != NULL);
	cr_assert((multi = curl_multi_init()) != NULL);
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	/* Not h_fmt() space, which the loop's own h_fmt() calls reuse. */
	cr_assert(asprintf(&url, "%s%s", h_base_url(), path) != -1);
	iface = NULL;
	if (ip != NULL)
		cr_assert(asprintf(&iface, "host!%s", ip) != -1);

	for (i = 0; i < n; i++) {
		cr_assert((easy[i] = curl_easy_init()) != NULL);
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		if (iface != NULL)
			curl_easy_setopt(easy[i], CURLOPT_INTERFACE, iface);
		curl_easy_setopt(easy[i], CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[i]);
		if (tokens != NULL && tokens[i] != NULL) {
			own[i] = curl_slist_append(NULL,
			    "Content-Type: application/json");
			own[i] = curl_slist_append(own[i], "Expect:");
			own[i] = curl_slist_append(own[i],
			    h_fmt("Authorization: Bearer %s", tokens[i]));
			curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, own[i]);
		} else {
			curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
		}
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, h_collect);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &b[i]);
		curl_easy_setopt(easy[i], CURLOPT_HEADERFUNCTION, h_collect);
		curl_easy_setopt(easy[i], CURLOPT_HEADERDATA, &h[i]);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 60L);
		/* A connection each: none may wait for another's to be free. */
		curl_easy_setopt(easy[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
		curl_multi_add_handle(multi, easy[i]);
	}

	do {
		cr_assert(curl_multi_perform(multi, &running) == CURLM_OK);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running > 0);

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			cr_assert(msg->data.result == CURLE_OK, "%s %s from "
			    "%s, in parallel: %s", method, url, ip != NULL ?
			    ip : "127.0.0.1",
			    curl_easy_strerror(msg->data.result));
	}

	for (i = 0; i < n; i++) {
		r = calloc(1, sizeof(*r));
		cr_assert(r != NULL);
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &r->status);
		cr_assert(r->status != 0, "parallel request %zu from %s got no "
		    "answer", i, ip != NULL ? ip : "127.0.0.1");
		r->body = b[i].data != NULL ? b[i].data : strdup("");
		r->len = b[i].len;
		r->headers = h[i].data != NULL ? h[i].data : strdup("");
		r->json = json_loadb(r->body, r->len, 0, NULL);
		out[i] = r;
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
		curl_slist_free_all(own[i]);
	}

	curl_multi_cleanup(multi);
	curl_slist_free_all(hdrs);
	free(url);
	free(iface);
	free(easy);
	free(own);
	free(b);
	free(h);
}

size_t
h_collect(char *data, size_t size, size_t n, void *arg)
{
	struct h_buf	*b = arg;
	size_t		len = size * n;

	b->data = realloc(b->data, b->len + len + 1);
	cr_assert(b->data != NULL);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';

	return (len);
}


const char *
h_ops_url(void)
{
	return (h_env("MTAPI_TEST_OPS_URL"));
}

json_t *
h_metrics(const char *ops_url, char **text)
{
	struct h_resp	*r;
	json_t		*out;
	char		type[128];

	r = h_req_url("GET", h_fmt("%s/metrics", ops_url), NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "GET %s/metrics: %ld", ops_url,
	    r->status);
	cr_assert_not_null(h_header(r, "content-type", type, sizeof(type)));
	cr_assert(strncmp(type, "text/plain; version=0.0.4", 25) == 0,
	    "content-type %s", type);

	out = json_object();
	h_metrics_check(r->body, out);
	if (text != NULL) {
		*text = r->body;
		r->body = NULL;
	}
	h_free(r);

	return (out);
}

double
h_metric(json_t *m, const char *series)
{
	json_t	*v;

	v = json_object_get(m, series);
	return (v != NULL ? json_real_value(v) : 0);
}

static int	metric_name_ok(const char *, size_t);
static const char *metric_family(json_t *, const char *, size_t);
static void	bucket_key(const char *, char *, size_t);

/*
 * The text format, strictly: every line is a # HELP, a # TYPE or a
 * sample; names and label names are valid; label values are quoted with
 * only \\, \" and \n escaped; a family has one TYPE, before its samples,
 * whose samples follow each other; no series twice; values are floats;
 * histogram buckets are cumulative, end with +Inf, and +Inf is _count.
 */
/* A failed check of the exposition parser: why, and out. */
#define MCHECK(c, ...) do {						\
	if (!(c)) {							\
		(void)snprintf(err, errlen, __VA_ARGS__);		\
		goto fail;						\
	}								\
} while (0)

int
h_metrics_parse(const char *text, json_t *out, char *err, size_t errlen)
{
	json_t		*types, *done, *buckets, *infs, *prev;
	const char	*p, *nl, *q, *fam;
	char		series[1024], key[1024], num[64], last[256], *end;
	size_t		n, ln;
	double		v;
	int		line, rc;

	rc = -1;
	types = json_object();
	done = json_object();
	buckets = json_object();
	infs = json_object();
	last[0] = '\0';
	MCHECK(*text != '\0', "empty exposition");
	MCHECK(text[strlen(text) - 1] == '\n', "no final newline");

	for (p = text, line = 1; *p != '\0'; p = nl + 1, line++) {
		nl = strchr(p, '\n');
		ln = (size_t)(nl - p);
		MCHECK(ln > 0, "line %d: empty", line);

		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7)) {
			q = p + 7;
			for (n = 0; q + n < nl && q[n] != ' '; n++)
				;
			MCHECK(metric_name_ok(q, n), "line %d: name", line);
			MCHECK(q + n < nl, "line %d: no text", line);
			if (p[2] == 'T') {
				(void)snprintf(series, sizeof(series), "%.*s",
				    (int)n, q);
				MCHECK(json_object_get(types, series) == NULL,
				    "line %d: second TYPE of %s", line, series);
				MCHECK(json_object_get(done, series) == NULL,
				    "line %d: TYPE after samples", line);
				(void)snprintf(num, sizeof(num), "%.*s",
				    (int)(nl - q - n - 1), q + n + 1);
				MCHECK(!strcmp(num, "counter") ||
				    !strcmp(num, "gauge") ||
				    !strcmp(num, "histogram") ||
				    !strcmp(num, "summary") ||
				    !strcmp(num, "untyped"),
				    "line %d: type %s", line, num);
				json_object_set_new(types, series,
				    json_string(num));
			}
			continue;
		}
		MCHECK(*p != '#', "line %d: comment %.*s", line, (int)ln, p);

		/* name{labels} value */
		for (n = 0; p + n < nl && p[n] != '{' && p[n] != ' '; n++)
			;
		MCHECK(metric_name_ok(p, n), "line %d: name %.*s", line,
		    (int)ln, p);
		fam = metric_family(types, p, n);
		MCHECK(fam != NULL, "line %d: sample without TYPE: %.*s",
		    line, (int)ln, p);
		if (strcmp(last, fam)) {
			MCHECK(json_object_get(done, fam) == NULL,
			    "line %d: family %s split", line, fam);
			json_object_set_new(done, fam, json_true());
			(void)snprintf(last, sizeof(last), "%s", fam);
		}
		q = p + n;
		if (*q == '{') {
			q++;
			while (*q != '}') {
				for (n = 0; q + n < nl && q[n] != '='; n++)
					;
				MCHECK(n > 0 && metric_name_ok(q, n) &&
				    strchr(q, ':') != q, "line %d: label",
				    line);
				q += n;
				MCHECK(q[0] == '=' && q[1] == '"',
				    "line %d: label value", line);
				for (q += 2; q < nl && *q != '"'; q++) {
					if (*q == '\\') {
						q++;
						MCHECK(*q == '\\' ||
						    *q == '"' || *q == 'n',
						    "line %d: escape", line);
					}
				}
				MCHECK(q < nl, "line %d: open value", line);
				q++;
				MCHECK(*q == ',' || *q == '}',
				    "line %d: after a label", line);
				if (*q == ',')
					q++;
			}
			q++;
		}
		n = (size_t)(q - p);
		MCHECK(n < sizeof(series), "line %d: too long", line);
		(void)snprintf(series, sizeof(series), "%.*s", (int)n, p);
		MCHECK(*q == ' ', "line %d: no value", line);
		q++;
		(void)snprintf(num, sizeof(num), "%.*s", (int)(nl - q), q);
		MCHECK(strchr(num, ' ') == NULL, "line %d: timestamp or "
		    "junk: %s", line, num);
		if (!strcmp(num, "+Inf"))
			v = INFINITY;
		else if (!strcmp(num, "-Inf"))
			v = -INFINITY;
		else if (!strcmp(num, "NaN"))
			v = NAN;
		else {
			v = strtod(num, &end);
			MCHECK(*num != '\0' && *end == '\0',
			    "line %d: value %s", line, num);
		}
		MCHECK(json_object_get(out, series) == NULL,
		    "line %d: %s twice", line, series);
		json_object_set_new(out, series, json_real(v));

		/* Buckets: cumulative; +Inf then _count equal. */
		if (strstr(series, "_bucket{") != NULL) {
			bucket_key(series, key, sizeof(key));
			prev = json_object_get(buckets, key);
			MCHECK(prev == NULL || v >= json_real_value(prev),
			    "line %d: bucket below the previous one", line);
			json_object_set_new(buckets, key, json_real(v));
			if (strstr(series, "le=\"+Inf\"") != NULL)
				json_object_set_new(infs, key, json_real(v));
		} else if ((end = strstr(series, "_count")) != NULL &&
		    (end[6] == '{' || end[6] == '\0')) {
			(void)snprintf(key, sizeof(key), "%.*s_bucket%s",
			    (int)(end - series), series, end + 6);
			bucket_key(key, key, sizeof(key));
			prev = json_object_get(infs, key);
			if (json_object_get(buckets, key) != NULL) {
				MCHECK(prev != NULL, "line %d: no +Inf "
				    "bucket", line);
				MCHECK(v == json_real_value(prev), "line %d: "
				    "_count is not the +Inf bucket", line);
			}
		}
	}
	rc = 0;
	err[0] = '\0';
fail:
	json_decref(buckets);
	json_decref(infs);
	json_decref(types);
	json_decref(done);
	return (rc);
}

void
h_metrics_check(const char *text, json_t *out)
{
	char	err[512];

	cr_assert_eq(h_metrics_parse(text, out, err, sizeof(err)), 0,
	    "exposition: %s", err);
}

static int
metric_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || isdigit((unsigned char)s[0]))
		return (0);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != ':')
			return (0);
	}
	return (1);
}

/* The family a sample's name belongs to (a histogram's parts too). */
static const char *
metric_family(json_t *types, const char *name, size_t n)
{
	static const char	*parts[] = { "_bucket", "_sum", "_count" };
	static char		fam[256];
	const char		*t;
	size_t			i, k;

	(void)snprintf(fam, sizeof(fam), "%.*s", (int)n, name);
	if (json_object_get(types, fam) != NULL)
		return (fam);
	for (i = 0; i < 3; i++) {
		k = strlen(parts[i]);
		if (n <= k || strncmp(name + n - k, parts[i], k))
			continue;
		(void)snprintf(fam, sizeof(fam), "%.*s", (int)(n - k), name);
		t = json_string_value(json_object_get(types, fam));
		if (t != NULL && (!strcmp(t, "histogram") ||
		    !strcmp(t, "summary")))
			return (fam);
	}
	return (NULL);
}

/* A bucket series without its le label: the histogram it belongs to. */
static void
bucket_key(const char *series, char *out, size_t len)
{
	char		buf[1024];
	const char	*le, *end;

	(void)snprintf(buf, sizeof(buf), "%s", series);
	if ((le = strstr(buf, "le=\"")) == NULL ||
	    (end = strchr(le + 4, '"')) == NULL) {
		(void)snprintf(out, len, "%s", buf);
		return;
	}
	end++;
	if (*end == ',')
		end++;
	else if (le > buf && le[-1] == ',')
		le--;
	/* Only le: no labels at all, as its _count. */
	if (le > buf && le[-1] == '{' && *end == '}') {
		le--;
		end++;
	}
	(void)snprintf(out, len, "%.*s%s", (int)(le - buf), buf, end);
}

PGconn *
h_db_open(void)
{
	struct settings	s;
	char		err[256];
	PGconn		*db;

	cr_assert_eq(settings_load(&s, h_env("MTAPI_ENV_FILE"), err,
	    sizeof(err)), 0, "%s", err);
	db = PQconnectdb(s.db_conninfo);
	settings_free(&s);
	cr_assert_eq(PQstatus(db), CONNECTION_OK, "%s", PQerrorMessage(db));

	return (db);
}

PGresult *
h_db_query(PGconn *db, const char *sql, int n, const char **params)
{
	PGresult	*res;
	ExecStatusType	st;

	res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s",
	    sql, PQresultErrorMessage(res));

	return (res);
}

/* The inode of the socket listening on 127.0.0.1:port, 0 if none. */
static unsigned long
listen_inode(int port)
{
	FILE		*f;
	char		line[512];
	unsigned int	addr, lport, state;
	unsigned long	inode;

	inode = 0;
	if ((f = fopen("/proc/net/tcp", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL) {
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x "
		    "%*u %*u %lu", &addr, &lport, &state, &inode) != 4)
			continue;
		if ((int)lport == port && state == 0x0a)
			break;
		inode = 0;
	}
	fclose(f);

	return (inode);
}

int
h_server_workers(int port, pid_t *out, int max)
{
	DIR		*proc, *fds;
	struct dirent	*p, *fd;
	unsigned long	inode;
	char		path[600], link[64], want[64], *cmd;
	ssize_t		n;
	int		count, held;

	cr_assert_neq((inode = listen_inode(port)), 0, "nothing listens on "
	    "port %d", port);
	(void)snprintf(want, sizeof(want), "socket:[%lu]", inode);
	cr_assert_not_null((proc = opendir("/proc")));
	count = 0;
	while (count < max && (p = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		held = 0;
		while (!held && (fd = readdir(fds)) != NULL) {
			(void)snprintf(path, sizeof(path), "/proc/%s/fd/%s",
			    p->d_name, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				held = !strcmp(link, want);
			}
		}
		closedir(fds);
		if (!held)
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/cmdline",
		    p->d_name);
		/* Kore writes each process's title over its arguments. */
		if ((cmd = h_read_file(path, NULL)) != NULL) {
			if (strstr(cmd, "[wrk") != NULL)
				out[count++] = (pid_t)atoi(p->d_name);
			free(cmd);
		}
	}
	closedir(proc);

	return (count);
}
