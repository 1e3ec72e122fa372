/*
 * create-test-data: the data set the tests and the benchmarks use, and the
 * fixture file (test_tokens.json) that hands its credentials to them.
 *
 * The first tenants are always acme, globex, initech (active) and
 * umbrella (inactive: its access token is minted here, since the token
 * endpoint refuses it); bulk tenants follow. Each tenant gets one user who
 * is a member of it alone, two API clients (readonly, full), M projects of
 * K tasks, and 3 documents. Rows are made by PostgreSQL itself
 * (generate_series) in batches of tenants, all in one transaction: an
 * interrupted run leaves nothing behind.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin.h"
#include "core/secret.h"

#define BATCH		500
#define TD_RATE_LIMIT	6000	/* requests per minute and tenant */
#define PASSWORD_LEN	21

struct td_client {
	char		client_id[SECRET_CLIENT_ID_LEN];
	char		secret[SECRET_CLIENT_SECRET_LEN];
};

struct td_tenant {
	char		slug[64];
	char		name[64];
	int		active;
	char		id[TOKEN_UUID_LEN + 1];
	int64_t		user_id;
	char		username[80];
	char		password[PASSWORD_LEN];
	int		bulk;		/* shares the bulk password */
	char		sid[TOKEN_UUID_LEN + 1];
	char		jti[TOKEN_UUID_LEN + 1];
	struct td_client	clients[2];
};

static const struct {
	const char	*slug;
	const char	*name;
	int		active;
} fixed[] = {
	{ "acme", "Acme Corp", 1 },
	{ "globex", "Globex Corporation", 1 },
	{ "initech", "Initech", 1 },
	{ "umbrella", "Umbrella Corporation", 0 },
};

static const struct {
	const char	*name;
	const char	*roles;
	const char	*scopes;
} client_kinds[2] = {
	{ "readonly", "[\"read\"]",
	    "[\"read:projects\",\"read:tasks\",\"read:documents\"]" },
	{ "full", "[\"read\",\"write\"]",
	    "[\"read:projects\",\"write:projects\",\"read:tasks\","
	    "\"write:tasks\",\"read:documents\",\"write:documents\"]" },
};

/* One statement per batch: tenants, users, memberships, clients, logins. */
static const char *sql_principals =
"WITH x AS (SELECT * FROM json_to_recordset($1::json) AS x(slug text, "
"    name text, active boolean, username text, hash text, sid uuid, "
"    jti uuid, clients json)), "
"t AS (INSERT INTO tenants (slug, name, is_active, requests_per_minute) "
"    SELECT slug, name, active, $2::int FROM x RETURNING id, slug), "
"u AS (INSERT INTO users (username, password_hash) "
"    SELECT username, hash FROM x RETURNING id, username), "
"m AS (INSERT INTO memberships (tenant_id, user_id, role) "
"    SELECT t.id, u.id, 'admin' FROM x JOIN t ON t.slug = x.slug "
"    JOIN u ON u.username = x.username), "
"xc AS (SELECT t.id AS tenant_id, c.* FROM x JOIN t ON t.slug = x.slug, "
"    json_to_recordset(x.clients) AS c(client_id text, hash text, "
"    name text, roles json, scopes json)), "
"k AS (INSERT INTO api_client_ids (client_id, tenant_id) "
"    SELECT client_id, tenant_id FROM xc), "
"c AS (INSERT INTO api_clients (tenant_id, client_id, secret_hash, name, "
"    roles, scopes) "
"    SELECT tenant_id, client_id, hash, name, "
"    ARRAY(SELECT json_array_elements_text(roles)), "
"    ARRAY(SELECT json_array_elements_text(scopes)) FROM xc), "
"s AS (INSERT INTO auth_sessions (id, tenant_id, user_id) "
"    SELECT x.sid, t.id, u.id FROM x JOIN t ON t.slug = x.slug "
"    JOIN u ON u.username = x.username RETURNING id, tenant_id), "
"r AS (INSERT INTO refresh_tokens (tenant_id, jti, session_id, expires_at) "
"    SELECT s.tenant_id, x.jti, x.sid, to_timestamp($3::double precision) "
"    FROM x JOIN s ON s.id = x.sid) "
"SELECT x.slug, t.id, u.id FROM x JOIN t ON t.slug = x.slug "
"JOIN u ON u.username = x.username";

/* Projects, tasks and documents for a batch of tenant ids ($1). */
static const char *sql_projects =
"INSERT INTO projects (tenant_id, name, description, status, created_at, "
"    updated_at) "
"SELECT tn.id, 'Project ' || g, 'Project ' || g || ' of ' || tn.name, "
"    (ARRAY['active', 'completed', 'archived']::project_status[])[1 + g % 3], "
"    now() - make_interval(secs => $2::int - g), "
"    now() - make_interval(secs => $2::int - g) "
"FROM json_array_elements_text($1::json) AS t(id) "
"JOIN tenants tn ON tn.id = t.id::uuid, generate_series(1, $2::int) g";

static const char *sql_tasks =
"INSERT INTO tasks (tenant_id, project_id, title, description, status, "
"    priority, due_date, completed_at, created_at, updated_at) "
"SELECT p.tenant_id, p.id, 'Task ' || g || ' of ' || p.name, "
"    'Something to do for ' || p.name, s.st, "
"    (ARRAY['low', 'medium', 'high', 'critical']::task_priority[])"
"    [1 + (p.id + g) % 4], "
"    CASE WHEN g % 5 = 0 THEN NULL "
"    ELSE current_date + ((p.id * 7 + g * 3) % 60)::int - 20 END, "
"    CASE WHEN s.st = 'done' THEN now() END, "
"    p.created_at + make_interval(secs => g), "
"    p.created_at + make_interval(secs => g) "
"FROM projects p CROSS JOIN generate_series(1, $2::int) g "
"CROSS JOIN LATERAL (SELECT (ARRAY['todo', 'in_progress', 'done']"
"    ::task_status[])[1 + (p.id + g) % 3] AS st) s "
"WHERE p.tenant_id IN (SELECT id::uuid "
"    FROM json_array_elements_text($1::json) AS t(id))";

static const char *sql_documents =
"INSERT INTO documents (tenant_id, project_id, name, file_path, file_size, "
"    content_type, metadata) "
"SELECT t.id::uuid, CASE WHEN d.n < 3 THEN (SELECT min(p.id) FROM projects p "
"    WHERE p.tenant_id = t.id::uuid) END, d.name, "
"    'tenants/' || t.id || '/' || d.name, d.size, d.ctype, d.meta::json "
"FROM json_array_elements_text($1::json) AS t(id), (VALUES "
"    (1, 'specification.pdf', 482133, 'application/pdf', "
"     '{\"pages\": 12}'), "
"    (2, 'diagram.png', 90412, 'image/png', '{\"width\": 1024}'), "
"    (3, 'notes.txt', 1200, 'text/plain', '{}')) "
"    AS d(n, name, size, ctype, meta)";

static struct td_tenant	*td_tenants(struct admin *, size_t);
static void	td_check_free(struct admin *, struct td_tenant *, size_t, int);
static void	td_insert_batch(struct admin *, struct td_tenant *, size_t,
		    const char *, long, long, long, time_t);
static json_t	*td_fixture(struct admin *, struct td_tenant *, size_t,
		    const char *, time_t);
static void	td_write(struct admin *, json_t *, const char *, char *,
		    size_t);
static char	*td_mint(struct admin *, const struct td_tenant *, int, time_t);

int
cmd_create_test_data(struct admin *adm)
{
	struct td_tenant	*tenants;
	json_t			*fixture;
	const char		*out, *base;
	char			bulk_pw[PASSWORD_LEN];
	char			bulk_hash[SECRET_HASH_LEN];
	char			tmp[4096];
	long			ntenants, nprojects, ntasks, rpm;
	size_t			i, done, n;
	time_t			now;

	ntenants = admin_opt_long(adm, "tenants", 50, 1, 100000);
	nprojects = admin_opt_long(adm, "projects-per-tenant", 100, 0, 10000);
	ntasks = admin_opt_long(adm, "tasks-per-project", 5, 0, 1000);
	/*
	 * Out of a person's reach (100 a second) but not of a load test's,
	 * which asks for more itself (bench/run.sh).
	 */
	rpm = admin_opt_long(adm, "rate-limit", TD_RATE_LIMIT, 1, 100000000);
	out = admin_opt_required(adm, "out");
	if ((base = admin_opt(adm, "base-url")) == NULL)
		base = "http://127.0.0.1:8000";

	if (!adm->s.debug && !admin_flag(adm, "force"))
		admin_fail(adm, "refusing to make test data with "
		    "DEBUG=False: it writes passwords and tokens to %s "
		    "(use --force if you mean it)", out);

	admin_keys(adm);
	tenants = td_tenants(adm, (size_t)ntenants);
	now = time(NULL);

	admin_begin(adm);
	td_check_free(adm, tenants, (size_t)ntenants,
	    admin_flag(adm, "replace"));

	/*
	 * argon2id takes ~20 ms a hash: the named tenants' users get their
	 * own passwords, the bulk tenants' users share one.
	 */
	secret_password_new(bulk_pw, sizeof(bulk_pw));
	if (secret_password_hash(bulk_pw, bulk_hash) == -1)
		admin_fail(adm, "password hashing failed");

	for (i = 0; i < (size_t)ntenants; i++) {
		if (tenants[i].bulk)
			memcpy(tenants[i].password, bulk_pw, sizeof(bulk_pw));
	}

	for (done = 0; done < (size_t)ntenants; done += n) {
		n = (size_t)ntenants - done;
		if (n > BATCH)
			n = BATCH;
		td_insert_batch(adm, tenants + done, n, bulk_hash, nprojects,
		    ntasks, rpm, now);
		admin_progress("create-test-data: tenants", done + n,
		    (size_t)ntenants);
	}

	fixture = td_fixture(adm, tenants, (size_t)ntenants, base, now);
	td_write(adm, fixture, out, tmp, sizeof(tmp));
	json_decref(fixture);

	/* The file is complete before the data is committed; then renamed. */
	admin_commit(adm);
	if (rename(tmp, out) == -1) {
		(void)unlink(tmp);
		admin_fail(NULL, "cannot write %s: %s", out, strerror(errno));
	}

	printf("created %ld tenants, %ld projects and %ld tasks each tenant; "
	    "credentials in %s\n", ntenants, nprojects, nprojects * ntasks,
	    out);

	sodium_memzero(bulk_pw, sizeof(bulk_pw));
	sodium_memzero(tenants, sizeof(*tenants) * (size_t)ntenants);
	free(tenants);

	return (0);
}

static struct td_tenant *
td_tenants(struct admin *adm, size_t n)
{
	struct td_tenant	*t;
	size_t			i, k;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		admin_fail(adm, "out of memory");

	for (i = 0; i < n; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			(void)snprintf(t[i].slug, sizeof(t[i].slug), "%s",
			    fixed[i].slug);
			(void)snprintf(t[i].name, sizeof(t[i].name), "%s",
			    fixed[i].name);
			t[i].active = fixed[i].active;
			secret_password_new(t[i].password,
			    sizeof(t[i].password));
		} else {
			(void)snprintf(t[i].slug, sizeof(t[i].slug),
			    "tenant-%05zu", i + 1);
			(void)snprintf(t[i].name, sizeof(t[i].name),
			    "Tenant %05zu", i + 1);
			t[i].active = 1;
			t[i].bulk = 1;
		}
		(void)snprintf(t[i].username, sizeof(t[i].username),
		    "%s-user", t[i].slug);
		token_uuid_new(t[i].sid);
		token_uuid_new(t[i].jti);
		for (k = 0; k < 2; k++) {
			secret_client_id_new(t[i].clients[k].client_id);
			secret_client_secret_new(t[i].clients[k].secret);
		}
	}

	return (t);
}

/* Existing tenants or users of the same names: refuse, or --replace. */
static void
td_check_free(struct admin *adm, struct td_tenant *t, size_t n, int replace)
{
	PGresult	*res;
	json_t		*slugs, *users;
	const char	*p[2];
	char		*s1, *s2;
	size_t		i;

	slugs = json_array();
	users = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(slugs, json_string(t[i].slug));
		json_array_append_new(users, json_string(t[i].username));
	}
	s1 = json_dumps(slugs, JSON_COMPACT);
	s2 = json_dumps(users, JSON_COMPACT);
	json_decref(slugs);
	json_decref(users);
	p[0] = s1;
	p[1] = s2;

	if (replace) {
		PQclear(admin_exec(adm, "DELETE FROM tenants WHERE slug IN "
		    "(SELECT json_array_elements_text($1::json))", 1, p));
		PQclear(admin_exec(adm, "DELETE FROM users WHERE username IN "
		    "(SELECT json_array_elements_text($1::json))", 1, p + 1));
	} else {
		res = admin_exec(adm, "SELECT slug FROM tenants WHERE slug IN "
		    "(SELECT json_array_elements_text($1::json)) UNION ALL "
		    "SELECT username FROM users WHERE username IN "
		    "(SELECT json_array_elements_text($2::json)) LIMIT 1",
		    2, p);
		if (PQntuples(res) > 0)
			admin_fail(adm, "'%s' already exists: use --replace to "
			    "make the test data again", PQgetvalue(res, 0, 0));
		PQclear(res);
	}

	free(s1);
	free(s2);
}

static void
td_insert_batch(struct admin *adm, struct td_tenant *t, size_t n,
    const char *bulk_hash, long nprojects, long ntasks, long rpm, time_t now)
{
	PGresult	*res;
	json_t		*rows, *row, *clients, *ids;
	const char	*p[3];
	char		*rows_s, *ids_s, digest[SECRET_DIGEST_HEX];
	char		hash[SECRET_HASH_LEN], num[32], exp[32];
	size_t		i, k;
	int		r;

	rows = json_array();
	for (i = 0; i < n; i++) {
		if (t[i].bulk)
			(void)snprintf(hash, sizeof(hash), "%s", bulk_hash);
		else if (secret_password_hash(t[i].password, hash) == -1)
			admin_fail(adm, "password hashing failed");

		clients = json_array();
		for (k = 0; k < 2; k++) {
			secret_digest(t[i].clients[k].secret, digest);
			json_array_append_new(clients, json_pack(
			    "{s:s, s:s, s:s, s:o, s:o}",
			    "client_id", t[i].clients[k].client_id,
			    "hash", digest, "name", client_kinds[k].name,
			    "roles", json_loads(client_kinds[k].roles, 0, NULL),
			    "scopes", json_loads(client_kinds[k].scopes, 0,
			    NULL)));
		}
		row = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:o}",
		    "slug", t[i].slug, "name", t[i].name,
		    "active", t[i].active, "username", t[i].username,
		    "hash", hash, "sid", t[i].sid, "jti", t[i].jti,
		    "clients", clients);
		json_array_append_new(rows, row);
	}
	rows_s = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);

	(void)snprintf(num, sizeof(num), "%ld", rpm);
	(void)snprintf(exp, sizeof(exp), "%lld",
	    (long long)(now + adm->s.refresh_days * 86400));
	p[0] = rows_s;
	p[1] = num;
	p[2] = exp;
	res = admin_exec(adm, sql_principals, 3, p);
	free(rows_s);

	ids = json_array();
	for (r = 0; r < PQntuples(res); r++) {
		for (i = 0; i < n; i++) {
			if (strcmp(t[i].slug, PQgetvalue(res, r, 0)))
				continue;
			(void)snprintf(t[i].id, sizeof(t[i].id), "%s",
			    PQgetvalue(res, r, 1));
			t[i].user_id = strtoll(PQgetvalue(res, r, 2), NULL, 10);
			json_array_append_new(ids, json_string(t[i].id));
		}
	}
	PQclear(res);
	if (json_array_size(ids) != n)
		admin_fail(adm, "test data: %zu of %zu tenants were created",
		    json_array_size(ids), n);

	ids_s = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	p[0] = ids_s;

	(void)snprintf(num, sizeof(num), "%ld", nprojects);
	p[1] = num;
	if (nprojects > 0)
		PQclear(admin_exec(adm, sql_projects, 2, p));

	(void)snprintf(num, sizeof(num), "%ld", ntasks);
	if (nprojects > 0 && ntasks > 0)
		PQclear(admin_exec(adm, sql_tasks, 2, p));

	PQclear(admin_exec(adm, sql_documents, 1, p));
	free(ids_s);
}

static json_t *
td_fixture(struct admin *adm, struct td_tenant *t, size_t n,
    const char *base, time_t now)
{
	const struct keyset_key	*key;
	json_t			*root, *jwt, *list, *tn, *clients;
	char			*access, *refresh;
	size_t			i, k;

	/* The ring's current key: what the fixture's tokens are signed with. */
	if ((key = keyset_current(&adm->ring)) == NULL)
		admin_fail(adm, "the key ring has no current key");
	jwt = json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "algorithm", settings_alg_name(adm->s.jwt_alg), "kid", key->kid,
	    "signing_key", (const char *)key->secret,
	    "issuer", adm->s.issuer, "audience", adm->s.audience);
	if (jwt == NULL)
		admin_fail(adm, "the current key is not text");
	if (key->public_pem != NULL)
		json_object_set_new(jwt, "public_key_pem",
		    json_string(key->public_pem));

	list = json_array();
	for (i = 0; i < n; i++) {
		access = td_mint(adm, &t[i], TOKEN_TYPE_ACCESS, now);
		refresh = td_mint(adm, &t[i], TOKEN_TYPE_REFRESH, now);

		clients = json_array();
		for (k = 0; k < 2; k++) {
			json_array_append_new(clients, json_pack(
			    "{s:s, s:s, s:s, s:o, s:o}",
			    "name", client_kinds[k].name,
			    "client_id", t[i].clients[k].client_id,
			    "client_secret", t[i].clients[k].secret,
			    "roles", json_loads(client_kinds[k].roles, 0, NULL),
			    "scopes", json_loads(client_kinds[k].scopes, 0,
			    NULL)));
		}

		tn = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:o}",
		    "id", t[i].id, "slug", t[i].slug, "name", t[i].name,
		    "is_active", t[i].active, "username", t[i].username,
		    "password", t[i].password, "access_token", access,
		    "refresh_token", refresh, "api_clients", clients);
		json_array_append_new(list, tn);
		free(access);
		free(refresh);
	}

	root = json_pack("{s:s, s:o, s:o}", "base_url", base, "jwt", jwt,
	    "tenants", list);
	if (root == NULL)
		admin_fail(adm, "out of memory building the fixture");

	return (root);
}

static char *
td_mint(struct admin *adm, const struct td_tenant *t, int type, time_t now)
{
	struct token_claims	c;
	char			*tok;

	memset(&c, 0, sizeof(c));
	c.token_type = type;
	c.auth_type = AUTH_TYPE_USER;
	memcpy(c.tenant, t->id, sizeof(c.tenant));
	(void)snprintf(c.tenant_slug, sizeof(c.tenant_slug), "%s", t->slug);
	c.user_id = t->user_id;
	memcpy(c.sid, t->sid, sizeof(c.sid));
	c.iat = now;
	if (type == TOKEN_TYPE_REFRESH) {
		(void)snprintf(c.jti, sizeof(c.jti), "%s", t->jti);
		c.exp = now + adm->s.refresh_days * 86400;
	} else {
		token_uuid_new(c.jti);
		c.exp = now + adm->s.access_minutes * 60;
	}

	if ((tok = token_mint(&adm->keys, &c)) == NULL)
		admin_fail(adm, "cannot sign tokens with the configured key");

	return (tok);
}

/* Secrets inside: 0600, written next to the target, renamed at the end. */
static void
td_write(struct admin *adm, json_t *fixture, const char *out, char *tmp,
    size_t tmplen)
{
	int		fd;

	(void)snprintf(tmp, tmplen, "%s.tmp.%ld", out, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		admin_fail(adm, "cannot write %s: %s", tmp, strerror(errno));

	if (json_dumpfd(fixture, fd, JSON_INDENT(2)) == -1 ||
	    write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		(void)close(fd);
		(void)unlink(tmp);
		admin_fail(adm, "cannot write %s: %s", tmp, strerror(errno));
	}
	(void)close(fd);
}
