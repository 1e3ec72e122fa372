/*
 * The operator command, mtapi-admin: bad input fails with status 1 (usage
 * errors: 2) and one clear line on stderr, nothing is left half-written,
 * and what it makes (API clients, service tokens) works at the API.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

struct cli {
	int	status;
	char	*out;
	char	*err;
};

static void	cli_run(struct cli *, const char *, const char *,
		    const char *, const char *);
static void	cli(struct cli *, const char *, const char *);
static void	cli_free(struct cli *);
static void	assert_one_line(struct cli *, int, const char *,
		    const char *);
static void	assert_usage_error(struct cli *, const char *, const char *);
static char	*env_copy(const char *, const char *, const char *,
		    const char *);
static void	env_cleanup(void);
static int	unused_port(void);
static int	pg(const char *, char *, size_t);
static const char	*tenant_limits(const char *);
static void	testdata_cleanup(void);

/* A settings file copy of the running test (secrets: removed in .fini). */
static char	*env_tmp;

Test(cli, unknown_tenant)
{
	struct cli	c;
	const char	*slug;

	slug = h_unique("no-such-tenant");
	cli(&c, h_fmt("set-tenant-active --tenant %s --active no", slug), NULL);
	assert_one_line(&c, 1, "unknown tenant", slug);
	cli_free(&c);

	cli(&c, h_fmt("set-rate-limit --tenant %s --per-minute 5", slug), NULL);
	assert_one_line(&c, 1, "unknown tenant", slug);
	cli_free(&c);

	cli(&c, h_fmt("add-member --user acme-user --tenant %s", slug), NULL);
	assert_one_line(&c, 1, "unknown tenant", slug);
	cli_free(&c);

	cli(&c, h_fmt("create-api-client --name x --tenant %s "
	    "--scopes read:projects", slug), NULL);
	assert_one_line(&c, 1, "unknown tenant", slug);
	cli_free(&c);

	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--minutes 5 --scopes read:projects", slug), NULL);
	assert_one_line(&c, 1, "unknown tenant", slug);
	cli_free(&c);
}

Test(cli, duplicate_slug_changes_nothing)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;

	h_new_tenant("dup", &t);

	/* Inactive on the second try would lock the first one's users out. */
	cli(&c, h_fmt("create-tenant --slug %s --name Other --inactive",
	    t.slug), NULL);
	assert_one_line(&c, 1, "already exists", t.slug);
	cli_free(&c);

	r = h_get("/api/v1/projects/", t.access);
	cr_assert_eq(r->status, 200, "the tenant changed: %ld %s", r->status,
	    r->body);
	h_free(r);

	cli(&c, "create-tenant --slug acme --name Acme", NULL);
	assert_one_line(&c, 1, "already exists", "acme");
	cli_free(&c);
}

Test(cli, bad_slug)
{
	const char	*bad[] = { "Bad_Slug", "-lead", "UPPER", "sp\\ ace",
			    "dot.ted", "\\'\\'",
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			    NULL };
	struct cli	c;
	size_t		i;

	for (i = 0; bad[i] != NULL; i++) {
		cli(&c, h_fmt("create-tenant --slug %s --name x", bad[i]),
		    NULL);
		assert_one_line(&c, 1, "--slug", NULL);
		cli_free(&c);
	}
}

Test(cli, bad_scope_names_the_scope)
{
	struct cli	c;
	struct h_tenant	t;

	h_new_tenant("scope", &t);
	cli(&c, h_fmt("create-api-client --name %s --tenant %s "
	    "--scopes read:projects,read:nothing", h_unique("c"), t.slug),
	    NULL);
	assert_one_line(&c, 1, "--scopes", "read:nothing");
	cli_free(&c);

	cli(&c, h_fmt("create-api-client --name %s --tenant %s "
	    "--scopes admin:projects", h_unique("c"), t.slug), NULL);
	assert_one_line(&c, 1, "--scopes", "admin:projects");
	cli_free(&c);

	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--minutes 5 --scopes write:everything", t.slug), NULL);
	assert_one_line(&c, 1, "--scopes", "write:everything");
	cli_free(&c);
}

Test(cli, bad_role)
{
	struct cli	c;
	struct h_tenant	t;

	h_new_tenant("role", &t);
	cli(&c, h_fmt("add-member --user %s --tenant %s --role god",
	    t.username, t.slug), NULL);
	assert_one_line(&c, 1, "--role", NULL);
	cli_free(&c);

	cli(&c, h_fmt("create-api-client --name %s --tenant %s --roles "
	    "read,superuser --scopes read:projects", h_unique("c"), t.slug),
	    NULL);
	assert_one_line(&c, 1, "--roles", "superuser");
	cli_free(&c);

	/* The member's role did not change: still an admin of it. */
	cli(&c, h_fmt("add-member --user %s --tenant %s --role admin",
	    t.username, t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
}

Test(cli, missing_required_options)
{
	struct {
		const char	*args;
		const char	*option;
	} cases[] = {
		{ "create-tenant --name x", "--slug" },
		{ "create-tenant --slug x-missing-name", "--name" },
		{ "create-tenant --slug x-empty-name --name ''", "--name" },
		{ "set-tenant-active --tenant acme", "--active" },
		{ "set-rate-limit --tenant acme", "--per-minute" },
		{ "create-user", "--username" },
		{ "add-member --tenant acme", "--user" },
		{ "create-api-client --tenant acme --scopes read:projects",
		    "--name" },
		{ "create-api-client --name x --tenant acme", "--scopes" },
		{ "revoke-api-client", "--client-id" },
		/* --minutes has a default (15) since issue 12; --scopes not. */
		{ "create-service-token --tenant acme --service s",
		    "--scopes" },
		{ "revoke-service-token", "--jti" },
		{ "usage", "--client" },
	};
	struct cli	c;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli(&c, cases[i].args, NULL);
		assert_one_line(&c, 1, cases[i].option, NULL);
		cli_free(&c);
	}
}

Test(cli, bad_numbers)
{
	struct cli	c;

	cli(&c, h_fmt("create-tenant --slug %s --name x --rate-limit many",
	    h_unique("num")), NULL);
	assert_one_line(&c, 1, "--rate-limit", NULL);
	cli_free(&c);

	cli(&c, "create-service-token --tenant acme --service s --minutes -5",
	    NULL);
	assert_one_line(&c, 1, "--minutes", NULL);
	cli_free(&c);

	cli(&c, "create-service-token --tenant acme --service s --minutes 0",
	    NULL);
	assert_one_line(&c, 1, "--minutes", NULL);
	cli_free(&c);
}

Test(cli, unknown_option_and_command_are_usage_errors)
{
	struct cli	c;

	cli(&c, "create-tenant --slug x --name y --bogus", NULL);
	assert_usage_error(&c, "--bogus", "create-tenant");
	cli_free(&c);

	cli(&c, "migrate --force", NULL);
	assert_usage_error(&c, "--force", "migrate");
	cli_free(&c);

	cli(&c, "frobnicate --slug x", NULL);
	assert_usage_error(&c, "frobnicate", NULL);
	cli_free(&c);

	cli(&c, "create-tenant stray --slug x --name y", NULL);
	assert_usage_error(&c, "stray", "create-tenant");
	cli_free(&c);

	cli(&c, "", NULL);
	cr_assert_eq(c.status, 2, "no command: status %d", c.status);
	cr_assert_not_null(strstr(c.err, "usage"), "%s", c.err);
	cli_free(&c);
}

Test(cli, create_user_with_empty_password_creates_nothing)
{
	struct cli	c;
	const char	*user;
	char		name[128];

	(void)snprintf(name, sizeof(name), "%s", h_unique("nopw"));
	user = name;
	cli(&c, h_fmt("create-user --username %s", user), "");
	assert_one_line(&c, 1, "password", NULL);
	cli_free(&c);

	cli(&c, h_fmt("create-user --username %s", user), "\n");
	assert_one_line(&c, 1, "password", NULL);
	cli_free(&c);

	cli(&c, h_fmt("create-user --username %s", user), "short\n");
	assert_one_line(&c, 1, "password", NULL);
	cli_free(&c);

	/* Not made: adding it to a tenant finds no such user. */
	cli(&c, h_fmt("add-member --user %s --tenant acme", user), NULL);
	assert_one_line(&c, 1, "unknown user", user);
	cli_free(&c);

	/* And the name is still free. */
	cli(&c, h_fmt("create-user --username %s", user),
	    "a-good-long-password\n");
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cli(&c, h_fmt("create-user --username %s", user),
	    "a-good-long-password\n");
	assert_one_line(&c, 1, "already exists", user);
	cli_free(&c);
}

Test(cli, add_member_unknown_user)
{
	struct cli	c;
	const char	*user;

	user = h_unique("ghost");
	cli(&c, h_fmt("add-member --user %s --tenant acme --role viewer", user),
	    NULL);
	assert_one_line(&c, 1, "unknown user", user);
	cli_free(&c);
}

Test(cli, database_down_is_one_line, .fini = env_cleanup)
{
	struct cli	c;
	char		*env, vars[64];
	int		port;

	port = unused_port();
	env = env_copy("DB_PORT", h_fmt("%d", port), NULL, NULL);
	(void)snprintf(vars, sizeof(vars), "DB_PORT=%d", port);

	cli_run(&c, env, vars, "create-tenant --slug never-made --name x",
	    NULL);
	assert_one_line(&c, 1, "database", NULL);
	cli_free(&c);

	cli_run(&c, env, vars, "migrate", NULL);
	assert_one_line(&c, 1, "database", NULL);
	cli_free(&c);

	cli_run(&c, env, vars, "create-user --username never-made",
	    "long-password\n");
	assert_one_line(&c, 1, "database", NULL);
	cli_free(&c);

}

Test(cli, bad_scope_creates_nothing)
{
	struct cli	c;
	struct h_tenant	t;
	char		name[128];

	h_new_tenant("half", &t);
	(void)snprintf(name, sizeof(name), "%s", h_unique("client"));

	cli(&c, h_fmt("create-api-client --name %s --tenant %s --scopes "
	    "read:projects,bogus", name, t.slug), NULL);
	cr_assert_eq(c.status, 1);
	cr_assert_null(strstr(c.out, "client_secret"), "%s", c.out);
	cli_free(&c);

	/* The name was not taken by the failed attempt. */
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --scopes "
	    "read:projects", name, t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);

	/* But now it is. */
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --scopes "
	    "read:projects", name, t.slug), NULL);
	assert_one_line(&c, 1, "already has", name);
	cli_free(&c);
}

Test(cli, api_client_secret_is_shown_once_and_works)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	char		id[128], secret[256], access[2048];
	json_t		*scopes;

	h_new_tenant("apic", &t);
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --roles read "
	    "--scopes read:projects,read:tasks", h_unique("svc"), t.slug),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(h_field_after(c.out, "client_id:", id, sizeof(id)),
	    "%s", c.out);
	cr_assert_not_null(h_field_after(c.out, "client_secret:", secret,
	    sizeof(secret)), "%s", c.out);
	cr_assert_gt(strlen(secret), 30, "a short secret: %s", secret);
	/* Once: the secret appears one time in the output. */
	cr_assert_null(strstr(strstr(c.out, secret) + 1, secret),
	    "secret printed twice");
	cr_assert_null(strstr(c.err, secret), "secret on stderr");
	cli_free(&c);

	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id, secret));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    r->json, "tenant"), "slug")), t.slug);
	scopes = json_object_get(r->json, "scopes");
	cr_assert_eq(json_array_size(scopes), 2, "%s", r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	h_free(r);

	/* The token is this tenant's, with exactly these scopes. */
	r = h_get("/api/v1/projects/", access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 0, "another tenant's data: %s",
	    r->body);
	h_free(r);
	r = h_get("/api/v1/documents/", access);
	cr_assert_eq(r->status, 403, "%s", r->body);
	h_free(r);
	r = h_post("/api/v1/projects/", access, "{\"name\":\"not allowed\"}");
	cr_assert_eq(r->status, 403, "%s", r->body);
	h_free(r);
}

/*
 * Issue 12.15: a tenant name of 255 characters of 4 bytes each (1,020
 * bytes) comes back whole in the login answer, for a user and for an API
 * client; it used to be cut at 255 bytes, inside a character, and the
 * answer lost its tenant object.
 */
Test(cli, long_utf8_tenant_name_survives_login)
{
	struct cli	c;
	struct h_resp	*r;
	const char	*got;
	char		*name, slug[64], user[80], id[128], secret[256];
	json_t		*tenant;

	(void)snprintf(slug, sizeof(slug), "%s", h_unique("utf8"));
	(void)snprintf(user, sizeof(user), "%s-user", slug);

	/* The limit counts characters, as the schema does. */
	name = h_repeat("\xf0\x9f\x98\x80", 256);	/* U+1F600 */
	cli(&c, h_fmt("create-tenant --slug %s --name '%s'", slug, name),
	    NULL);
	assert_one_line(&c, 1, "--name", "255 characters");
	cli_free(&c);
	free(name);

	name = h_repeat("\xf0\x9f\x98\x80", 255);
	cli(&c, h_fmt("create-tenant --slug %s --name '%s'", slug, name),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cli(&c, h_fmt("create-user --username %s", user), "long-password\n");
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cli(&c, h_fmt("add-member --user %s --tenant %s --role admin", user,
	    slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);

	r = h_post("/api/v1/auth/token/", NULL, h_fmt("{\"username\":\"%s\","
	    "\"password\":\"long-password\"}", user));
	cr_assert_eq(r->status, 200, "%s", r->body);
	tenant = json_object_get(r->json, "tenant");
	cr_assert(json_is_object(tenant), "no tenant: %.300s", r->body);
	got = json_string_value(json_object_get(tenant, "name"));
	cr_assert_not_null(got, "%.300s", r->body);
	cr_assert_str_eq(got, name);
	cr_assert_str_eq(json_string_value(json_object_get(tenant, "slug")),
	    slug);
	h_free(r);

	cli(&c, h_fmt("create-api-client --name %s --tenant %s --roles read "
	    "--scopes read:projects", h_unique("svc"), slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(h_field_after(c.out, "client_id:", id, sizeof(id)));
	cr_assert_not_null(h_field_after(c.out, "client_secret:", secret,
	    sizeof(secret)));
	cli_free(&c);
	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id, secret));
	cr_assert_eq(r->status, 200, "%s", r->body);
	tenant = json_object_get(r->json, "tenant");
	cr_assert(json_is_object(tenant), "no tenant: %.300s", r->body);
	got = json_string_value(json_object_get(tenant, "name"));
	cr_assert_not_null(got, "%.300s", r->body);
	cr_assert_str_eq(got, name);
	h_free(r);
	free(name);
}

Test(cli, revoked_client_is_refused)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	char		id[128], secret[256], access[2048], refresh[2048];

	h_new_tenant("revoke", &t);
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --scopes "
	    "read:projects", h_unique("rv"), t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(h_field_after(c.out, "client_id:", id, sizeof(id)));
	cr_assert_not_null(h_field_after(c.out, "client_secret:", secret,
	    sizeof(secret)));
	cli_free(&c);

	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id, secret));
	cr_assert_eq(r->status, 200, "%s", r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	(void)snprintf(refresh, sizeof(refresh), "%s", h_str(r, "refresh"));
	h_free(r);

	cli(&c, h_fmt("revoke-api-client --client-id %s", id), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);

	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id, secret));
	cr_assert_eq(r->status, 401, "revoked client logged in: %ld %s",
	    r->status, r->body);
	h_free(r);

	/* What it already holds stops working too. */
	r = h_post("/api/v1/auth/api-client/token/refresh/", NULL, h_fmt(
	    "{\"refresh\":\"%s\"}", refresh));
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	h_free(r);
	/* 401 (its login was ended) or 403 (client revoked): refused. */
	r = h_get("/api/v1/projects/", access);
	cr_assert(r->status == 401 || r->status == 403, "%ld %s", r->status,
	    r->body);
	h_free(r);

	/* Revoking again: still fine; an unknown id: one line. */
	cli(&c, h_fmt("revoke-api-client --client-id %s", id), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cli(&c, h_fmt("revoke-api-client --client-id %s", h_unique("mtc_no")),
	    NULL);
	assert_one_line(&c, 1, "unknown API client", NULL);
	cli_free(&c);
}

Test(cli, migrate_twice_is_a_no_op)
{
	struct cli	c;
	int		i;

	for (i = 0; i < 2; i++) {
		cli(&c, "migrate", NULL);
		cr_assert_eq(c.status, 0, "%s", c.err);
		cr_assert_not_null(strstr(c.out, "nothing to apply"), "%s",
		    c.out);
		cr_assert_null(strstr(c.out, "applied "), "%s", c.out);
		cr_assert_eq(c.err[0], '\0', "%s", c.err);
		cli_free(&c);
	}
}

#define KEY	"0123456789abcdef0123456789abcdef0123456789abcdef-cli-test"
#define VARS	"DEBUG=False JWT_SIGNING_KEY=" KEY

Test(cli, test_data_refused_without_debug, .fini = env_cleanup)
{
	struct cli	c;
	struct stat	st;
	char		*env, out[256];

	env = env_copy("DEBUG", "False", "JWT_SIGNING_KEY", KEY);
	(void)snprintf(out, sizeof(out), "/tmp/mtapi-cli-testdata.%ld.json",
	    (long)getpid());
	unlink(out);

	cli_run(&c, env, VARS, h_fmt("create-test-data --tenants 1 --out %s",
	    out), NULL);
	assert_one_line(&c, 1, "DEBUG", "--force");
	cli_free(&c);
	cr_assert_eq(stat(out, &st), -1, "%s was written", out);

}

/*
 * No signing key, no command, DEBUG=True too (the suite's settings have
 * DEBUG=True): nothing falls back to a key written in the source.
 */
Test(cli, refused_without_a_signing_key, .fini = env_cleanup)
{
	struct cli	c;
	char		*env;

	env = env_copy("JWT_SIGNING_KEY", "", "SECRET_KEY", "");
	cli_run(&c, env, "JWT_SIGNING_KEY= SECRET_KEY=", "migrate", NULL);
	assert_one_line(&c, 1, "JWT_SIGNING_KEY", "configuration");
	cr_assert_null(strstr(c.out, "nothing to apply"), "%s", c.out);
	cli_free(&c);
}

/*
 * Issue 12.5: the development fixture's tenants have a real rate limit,
 * 6,000 a minute unless create-test-data is told otherwise. make test's
 * fixture is made with the default: acme's answers say 6000 once a
 * worker has learnt it (the first answer of each may carry the server's
 * default, RATE_LIMIT_DEFAULT_PER_MINUTE).
 */
Test(cli, test_data_has_a_real_rate_limit)
{
	struct h_resp	*r;
	char		buf[32];
	const char	*v;
	int		i, learnt;

	learnt = 0;
	for (i = 0; i < 20 && !learnt; i++) {
		r = h_get("/api/v1/projects/?page_size=1", h_token(H_ACME));
		cr_assert_eq(r->status, 200, "%s", r->body);
		v = h_header(r, "x-ratelimit-limit", buf, sizeof(buf));
		cr_assert_not_null(v);
		learnt = strcmp(v, "600") != 0;
		if (learnt)
			cr_assert_str_eq(v, "6000");
		h_free(r);
	}
	cr_assert(learnt, "no worker learnt acme's limit");
}

/* --rate-limit N, into a database of its own (the fixture's stays). */
#define TESTDATA_DB	"mtapi_test_cli_%ld"

Test(cli, test_data_rate_limit_option, .fini = testdata_cleanup,
    .timeout = 120)
{
	struct cli	c;
	char		db[64], *env, vars[128], out[256];

	cli(&c, "create-test-data --rate-limit 0 --out /dev/null", NULL);
	assert_one_line(&c, 1, "--rate-limit", NULL);
	cli_free(&c);
	cli(&c, "create-test-data --rate-limit many --out /dev/null", NULL);
	assert_one_line(&c, 1, "--rate-limit", NULL);
	cli_free(&c);

	(void)snprintf(db, sizeof(db), TESTDATA_DB, (long)getpid());
	(void)snprintf(out, sizeof(out), "/tmp/mtapi-cli-testdata.%ld.json",
	    (long)getpid());
	cr_assert_eq(pg(h_fmt("ensure-db %s", db), NULL, 0), 0);
	env = env_copy("DB_NAME", db, NULL, NULL);
	(void)snprintf(vars, sizeof(vars), "DB_NAME=%s", db);

	cli_run(&c, env, vars, "migrate", NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cli_run(&c, env, vars, h_fmt("create-test-data --tenants 5 "
	    "--projects-per-tenant 0 --rate-limit 1234 --out %s", out), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cr_assert_str_eq(tenant_limits(db), "1234");

	cli_run(&c, env, vars, h_fmt("create-test-data --tenants 5 "
	    "--projects-per-tenant 0 --replace --out %s", out), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	cr_assert_str_eq(tenant_limits(db), "6000");

	unlink(out);
}

Test(cli, service_token_is_accepted)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	char		tok[4096];
	size_t		dots, i;

	h_new_tenant("svc", &t);
	cli(&c, h_fmt("create-service-token --tenant %s --service reporter "
	    "--minutes 5 --scopes read:projects", t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	(void)snprintf(tok, sizeof(tok), "%s", c.out);
	tok[strcspn(tok, "\r\n")] = '\0';
	cli_free(&c);

	for (dots = 0, i = 0; tok[i] != '\0'; i++)
		dots += tok[i] == '.';
	cr_assert_eq(dots, 2, "not a JWT: %s", tok);

	r = h_post("/api/v1/auth/token/verify/", NULL, h_fmt(
	    "{\"token\":\"%s\"}", tok));
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);

	r = h_get("/api/v1/projects/", tok);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(h_int(r, "count"), 0);
	h_free(r);

	/* Only its scopes. */
	r = h_get("/api/v1/tasks/", tok);
	cr_assert_eq(r->status, 403, "%s", r->body);
	h_free(r);

	/* An inactive tenant gets no token. */
	cli(&c, "create-service-token --tenant umbrella --service s "
	    "--minutes 5 --scopes read:projects", NULL);
	assert_one_line(&c, 1, "inactive", "umbrella");
	cli_free(&c);
}

/*
 * Service tokens by least privilege: the scopes must be named ("*" only
 * when asked for), a token lives 15 minutes unless told otherwise and at
 * most a day, and the command says which record (jti) it made.
 */
Test(cli, service_token_least_privilege)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*claims;
	char		tok[4096];
	long long	life;

	h_new_tenant("svclp", &t);

	cli(&c, h_fmt("create-service-token --tenant %s --service s",
	    t.slug), NULL);
	assert_one_line(&c, 1, "--scopes", NULL);
	cr_assert_eq(c.out[0], '\0', "a token without scopes: %s", c.out);
	cli_free(&c);

	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--scopes read:tasks --minutes 1441", t.slug), NULL);
	assert_one_line(&c, 1, "--minutes", "1440");
	cli_free(&c);

	/* No --minutes: 15. */
	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--scopes read:tasks", t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	(void)snprintf(tok, sizeof(tok), "%s", c.out);
	tok[strcspn(tok, "\r\n")] = '\0';
	claims = h_jwt_claims(tok);
	life = h_jint(claims, "exp") - h_jint(claims, "iat");
	cr_assert_eq(life, 15 * 60, "default lifetime %lld s", life);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    claims, "scopes"), 0)), "read:tasks");
	cr_assert_eq(json_array_size(json_object_get(claims, "scopes")), 1);
	cr_assert_not_null(strstr(c.err, h_jstr(claims, "jti")),
	    "the jti is not on stderr: %s", c.err);
	cr_assert_not_null(strstr(c.err, "revoke-service-token"), "%s", c.err);
	json_decref(claims);
	cli_free(&c);

	r = h_get("/api/v1/tasks/", tok);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	r = h_get("/api/v1/projects/", tok);
	cr_assert_eq(r->status, 403, "%ld %s", r->status, r->body);
	h_free(r);

	/* "*" when asked for. */
	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--scopes '*' --minutes 1440", t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	(void)snprintf(tok, sizeof(tok), "%s", c.out);
	tok[strcspn(tok, "\r\n")] = '\0';
	cli_free(&c);
	r = h_get("/api/v1/documents/", tok);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
}

/* revoke-service-token: a UUID it knows; twice is no error. */
Test(cli, revoke_service_token_input)
{
	struct cli	c;
	struct h_tenant	t;
	json_t		*claims;
	char		jti[64];

	cli(&c, "revoke-service-token", NULL);
	assert_one_line(&c, 1, "--jti", NULL);
	cli_free(&c);
	cli(&c, "revoke-service-token --jti not-a-uuid", NULL);
	assert_one_line(&c, 1, "--jti", "UUID");
	cli_free(&c);
	cli(&c, "revoke-service-token --jti "
	    "00000000-0000-4000-8000-000000000000", NULL);
	assert_one_line(&c, 1, "unknown service token", NULL);
	cli_free(&c);

	h_new_tenant("svcrv", &t);
	cli(&c, h_fmt("create-service-token --tenant %s --service s "
	    "--scopes read:tasks", t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	c.out[strcspn(c.out, "\r\n")] = '\0';
	claims = h_jwt_claims(c.out);
	(void)snprintf(jti, sizeof(jti), "%s", h_jstr(claims, "jti"));
	json_decref(claims);
	cli_free(&c);

	cli(&c, h_fmt("revoke-service-token --jti %s", jti), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "revoked"), "%s", c.out);
	cli_free(&c);
	cli(&c, h_fmt("revoke-service-token --jti %s", jti), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "already"), "%s", c.out);
	cli_free(&c);
}

Test(cli, usage_of_a_fresh_client_then_its_requests, .timeout = 60)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	char		id[128], secret[256], access[2048];
	int		i;

	h_new_tenant("usage", &t);
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --scopes "
	    "read:projects", h_unique("u"), t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(h_field_after(c.out, "client_id:", id, sizeof(id)));
	cr_assert_not_null(h_field_after(c.out, "client_secret:", secret,
	    sizeof(secret)));
	cli_free(&c);

	cli(&c, h_fmt("usage --client %s", id), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "0 requests"), "%s", c.out);
	cr_assert_null(strstr(c.out, "/api/"), "%s", c.out);
	cli_free(&c);

	r = h_post("/api/v1/auth/api-client/token/", NULL, h_fmt(
	    "{\"client_id\":\"%s\",\"client_secret\":\"%s\"}", id, secret));
	cr_assert_eq(r->status, 200, "%s", r->body);
	(void)snprintf(access, sizeof(access), "%s", h_str(r, "access"));
	h_free(r);
	r = h_get("/api/v1/projects/?page_size=7", access);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);

	/* Recorded within a few seconds (the server batches them). */
	for (i = 0; i < 50; i++) {
		cli(&c, h_fmt("usage --client %s", id), NULL);
		cr_assert_eq(c.status, 0, "%s", c.err);
		if (strstr(c.out, "/api/v1/projects/") != NULL)
			break;
		cli_free(&c);
		h_sleep_ms(200);
	}
	cr_assert_lt(i, 50, "the request never showed up in usage");
	cr_assert_not_null(strstr(c.out, "GET"), "%s", c.out);
	cr_assert_not_null(strstr(c.out, "200"), "%s", c.out);
	cli_free(&c);

	cli(&c, h_fmt("usage --client %s --since 2999-01-01T00:00:00Z", id),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "0 requests"), "%s", c.out);
	cli_free(&c);
}

/* The row of the array whose key has value v, or NULL. */
static json_t *
row_with(json_t *arr, const char *key, const char *v)
{
	json_t		*row;
	size_t		i;

	json_array_foreach(arr, i, row) {
		if (h_jstr(row, key) != NULL && !strcmp(h_jstr(row, key), v))
			return (row);
	}

	return (NULL);
}

/* Run a list command with --json: its parsed output (caller decrefs). */
static json_t *
cli_json(const char *args)
{
	struct cli	c;
	json_t		*j;
	json_error_t	e;

	cli(&c, h_fmt("%s --json", args), NULL);
	cr_assert_eq(c.status, 0, "%s: %s", args, c.err);
	j = json_loads(c.out, 0, &e);
	cr_assert_not_null(j, "%s: not JSON (%s): %s", args, e.text, c.out);
	cr_assert(json_is_array(j), "%s: not an array: %s", args, c.out);
	cli_free(&c);

	return (j);
}

Test(cli, list_tenants)
{
	struct cli	c;
	struct h_tenant	t;
	json_t		*all, *row;
	char		*line;

	h_new_tenant("lst", &t);
	cli(&c, h_fmt("set-tenant-active --tenant %s --active no", t.slug),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);

	/* Not a terminal: a header, then one tab-separated line a tenant. */
	cli(&c, "list-tenants", NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert(!strncmp(c.out, "slug\tname\tactive\t", 17), "%s", c.out);
	line = strstr(c.out, h_fmt("\n%s\tTest %s\tno\t600\t1\t0\t", t.slug,
	    t.slug));
	cr_assert_not_null(line, "no line for %s: %s", t.slug, c.out);
	cr_assert_not_null(strstr(c.out, "\nacme\t"), "%s", c.out);
	cr_assert_eq(c.err[0], '\0', "stderr: %s", c.err);
	cli_free(&c);

	all = cli_json("list-tenants");
	row = row_with(all, "slug", t.slug);
	cr_assert_not_null(row);
	cr_assert_str_eq(h_jstr(row, "name"), h_fmt("Test %s", t.slug));
	cr_assert_str_eq(h_jstr(row, "id"), t.id);
	cr_assert(json_is_false(json_object_get(row, "active")));
	cr_assert_eq(h_jint(row, "per_minute"), 600);
	cr_assert_eq(h_jint(row, "members"), 1);
	cr_assert_eq(h_jint(row, "api_clients"), 0);
	cr_assert_not_null(h_jstr(row, "created"));
	json_decref(all);

	cli(&c, "list-tenants --tenant acme", NULL);
	assert_usage_error(&c, "--tenant", "list-tenants");
	cli_free(&c);
}

Test(cli, list_users)
{
	struct cli	c;
	struct h_tenant	t;
	json_t		*all, *row, *tenants;

	h_new_tenant("lsu", &t);

	all = cli_json(h_fmt("list-users --tenant %s", t.slug));
	cr_assert_eq(json_array_size(all), 1, "only its own user");
	row = json_array_get(all, 0);
	cr_assert_str_eq(h_jstr(row, "username"), t.username);
	cr_assert_str_eq(h_jstr(row, "role"), "admin");
	cr_assert(json_is_true(json_object_get(row, "active")));
	cr_assert_null(json_object_get(row, "password_hash"));
	json_decref(all);

	all = cli_json("list-users");
	row = row_with(all, "username", t.username);
	cr_assert_not_null(row);
	tenants = json_object_get(row, "tenants");
	cr_assert_eq(json_array_size(tenants), 1);
	cr_assert_str_eq(h_jstr(json_array_get(tenants, 0), "tenant"), t.slug);
	cr_assert_str_eq(h_jstr(json_array_get(tenants, 0), "role"), "admin");
	json_decref(all);

	/* Tab-separated, the memberships as tenant:role. */
	cli(&c, "list-users", NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, h_fmt("\t%s\tyes\t%s:admin\t",
	    t.username, t.slug)), "%s", c.out);
	cr_assert_null(strstr(c.out, "$argon2"), "a hash listed");
	cli_free(&c);

	cli(&c, h_fmt("list-users --tenant %s", h_unique("nope")), NULL);
	assert_one_line(&c, 1, "unknown tenant", "nope");
	cli_free(&c);
	cli(&c, "list-users --tenant", NULL);
	assert_one_line(&c, 1, "--tenant", NULL);
	cli_free(&c);
}

Test(cli, set_user_active)
{
	struct cli	c;
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*all;
	char		ip[64];

	h_new_tenant("act", &t);
	h_own_ip(231, ip, sizeof(ip));

	cli(&c, h_fmt("set-user-active --user %s --active no", t.username),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "inactive"), "%s", c.out);
	cli_free(&c);

	all = cli_json(h_fmt("list-users --tenant %s", t.slug));
	cr_assert(json_is_false(json_object_get(json_array_get(all, 0),
	    "active")));
	json_decref(all);

	/* From the next request on: refused, and so are its logins. */
	r = h_get("/api/v1/projects/", t.access);
	cr_assert(r->status == 401 || r->status == 403, "%ld %s", r->status,
	    r->body);
	h_free(r);
	r = h_post_token("/api/v1/auth/token/refresh/", "refresh", t.refresh);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	h_free(r);
	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	h_free(r);

	/* Active again: a new login works; the old one stays ended. */
	cli(&c, h_fmt("set-user-active --user %s --active yes", t.username),
	    NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	h_free(r);
	r = h_post_token("/api/v1/auth/token/refresh/", "refresh", t.refresh);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	h_free(r);

	cli(&c, h_fmt("set-user-active --user %s --active maybe", t.username),
	    NULL);
	assert_one_line(&c, 1, "--active", NULL);
	cli_free(&c);
	cli(&c, h_fmt("set-user-active --user %s --active no",
	    h_unique("ghost")), NULL);
	assert_one_line(&c, 1, "unknown user", "ghost");
	cli_free(&c);
	cli(&c, "set-user-active --active no", NULL);
	assert_one_line(&c, 1, "--user", NULL);
	cli_free(&c);
}

Test(cli, remove_member)
{
	struct cli	c;
	struct h_tenant	t, other;
	struct h_resp	*r;
	json_t		*all;

	h_new_tenant("rmm", &t);
	h_new_tenant("rmo", &other);
	/* A member of two tenants keeps the other one. */
	h_admin_ok(h_fmt("add-member --user %s --tenant %s", other.username,
	    t.slug), NULL, NULL);

	cli(&c, h_fmt("remove-member --user %s --tenant %s", t.username,
	    t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, "no longer a member"), "%s", c.out);
	cli_free(&c);

	all = cli_json(h_fmt("list-users --tenant %s", t.slug));
	cr_assert_null(row_with(all, "username", t.username));
	cr_assert_not_null(row_with(all, "username", other.username));
	json_decref(all);

	r = h_get("/api/v1/projects/", t.access);
	cr_assert(r->status == 401 || r->status == 403, "%ld %s", r->status,
	    r->body);
	h_free(r);
	r = h_post_token("/api/v1/auth/token/refresh/", "refresh", t.refresh);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	h_free(r);

	h_admin_ok(h_fmt("remove-member --user %s --tenant %s",
	    other.username, t.slug), NULL, NULL);
	r = h_get("/api/v1/projects/", other.access);
	cr_assert_eq(r->status, 200, "its own tenant: %ld %s", r->status,
	    r->body);
	h_free(r);

	/* Twice: not a member; unknown names: one line each. */
	cli(&c, h_fmt("remove-member --user %s --tenant %s", t.username,
	    t.slug), NULL);
	assert_one_line(&c, 1, "not a member", t.slug);
	cli_free(&c);
	cli(&c, h_fmt("remove-member --user %s --tenant %s",
	    h_unique("ghost"), t.slug), NULL);
	assert_one_line(&c, 1, "unknown user", "ghost");
	cli_free(&c);
	cli(&c, h_fmt("remove-member --user %s --tenant %s", t.username,
	    h_unique("nope")), NULL);
	assert_one_line(&c, 1, "unknown tenant", "nope");
	cli_free(&c);
	cli(&c, h_fmt("remove-member --user %s", t.username), NULL);
	assert_one_line(&c, 1, "--tenant", NULL);
	cli_free(&c);
}

Test(cli, list_api_clients)
{
	struct cli	c;
	struct h_tenant	t, other;
	json_t		*all, *row;
	char		id[128], secret[256], *name;

	h_new_tenant("lsc", &t);
	h_new_tenant("lsx", &other);
	name = strdup(h_unique("etl"));
	cli(&c, h_fmt("create-api-client --name %s --tenant %s --roles "
	    "read,write --scopes read:projects,write:projects "
	    "--expires-days 30", name, t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(h_field_after(c.out, "client_id:", id, sizeof(id)));
	cr_assert_not_null(h_field_after(c.out, "client_secret:", secret,
	    sizeof(secret)));
	cli_free(&c);

	all = cli_json(h_fmt("list-api-clients --tenant %s", t.slug));
	cr_assert_eq(json_array_size(all), 1);
	row = json_array_get(all, 0);
	cr_assert_str_eq(h_jstr(row, "client_id"), id);
	cr_assert_str_eq(h_jstr(row, "name"), name);
	cr_assert_eq(json_array_size(json_object_get(row, "roles")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(row,
	    "scopes"), 1)), "write:projects");
	cr_assert(json_is_true(json_object_get(row, "active")));
	cr_assert_not_null(h_jstr(row, "expires"));
	cr_assert(json_is_null(json_object_get(row, "revoked")));
	cr_assert_null(json_object_get(row, "secret_hash"));
	json_decref(all);

	/* Another tenant's list does not show it. */
	all = cli_json(h_fmt("list-api-clients --tenant %s", other.slug));
	cr_assert_eq(json_array_size(all), 0);
	json_decref(all);

	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);
	cli(&c, h_fmt("list-api-clients --tenant %s", t.slug), NULL);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_not_null(strstr(c.out, h_fmt("\n%s\t%s\tread,write\t"
	    "read:projects,write:projects\tno\t", id, name)), "%s", c.out);
	cr_assert_null(strstr(c.out, secret), "the secret listed");
	cli_free(&c);

	cli(&c, "list-api-clients", NULL);
	assert_one_line(&c, 1, "--tenant", NULL);
	cli_free(&c);
	cli(&c, h_fmt("list-api-clients --tenant %s", h_unique("nope")), NULL);
	assert_one_line(&c, 1, "unknown tenant", "nope");
	cli_free(&c);
	free(name);
}

Test(cli, password_policy)
{
	struct {
		const char	*pw;
		const char	*why;
	} bad[] = {
		{ "short-pw1", "at least 10" },
		{ "qwertyuiop", "too common" },
		{ "PassWord123", "too common" },
		{ "31415926535897", "all digits" },
		{ NULL, "similar to the username" },	/* holds it */
		{ NULL, "similar to the username" },	/* held by it */
	};
	struct cli	c;
	char		user[128];
	size_t		i;

	(void)snprintf(user, sizeof(user), "%s", h_unique("policy"));
	bad[4].pw = h_fmt("my-%s-pw", user);
	bad[5].pw = user + 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli(&c, h_fmt("create-user --username %s", user),
		    h_fmt("%s\n", bad[i].pw));
		assert_one_line(&c, 1, bad[i].why, NULL);
		cr_assert_null(strstr(c.err, bad[i].pw), "echoed: %s", c.err);
		cli_free(&c);
	}

	/* None of them made the user; a good password does. */
	cli(&c, h_fmt("add-member --user %s --tenant acme", user), NULL);
	assert_one_line(&c, 1, "unknown user", user);
	cli_free(&c);
	cli(&c, h_fmt("create-user --username %s", user),
	    "correct horse battery\n");
	cr_assert_eq(c.status, 0, "%s", c.err);
	cli_free(&c);
}

/* Run mtapi-admin with the suite's settings. */
static void
cli(struct cli *c, const char *args, const char *in)
{
	cli_run(c, h_env("MTAPI_ENV_FILE"), NULL, args, in);
}

/*
 * Run "VARS mtapi-admin --env ENV ARGS" with stdin in; stdout and stderr
 * apart. The environment wins over the file (as with python-dotenv), and
 * make test exports the suite's settings: a changed value goes in both.
 */
static void
cli_run(struct cli *c, const char *env, const char *vars, const char *args,
    const char *in)
{
	char		inpath[128], outpath[128], errpath[128], *cmd;
	int		fd, st;
	size_t		len;

	(void)snprintf(inpath, sizeof(inpath), "/tmp/mtapi-cli-in.%ld.XXXXXX",
	    (long)getpid());
	(void)snprintf(outpath, sizeof(outpath),
	    "/tmp/mtapi-cli-out.%ld.XXXXXX", (long)getpid());
	(void)snprintf(errpath, sizeof(errpath),
	    "/tmp/mtapi-cli-err.%ld.XXXXXX", (long)getpid());
	cr_assert((fd = mkstemp(inpath)) != -1);
	if (in != NULL) {
		len = strlen(in);
		cr_assert_eq(write(fd, in, len), (ssize_t)len);
	}
	close(fd);
	cr_assert((fd = mkstemp(outpath)) != -1);
	close(fd);
	cr_assert((fd = mkstemp(errpath)) != -1);
	close(fd);

	cr_assert(asprintf(&cmd, "%s %s --env %s %s <%s >%s 2>%s",
	    vars != NULL ? vars : "", h_env("MTAPI_TEST_ADMIN"), env, args,
	    inpath, outpath, errpath) != -1);
	st = system(cmd);
	free(cmd);
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	c->out = h_read_file(outpath, NULL);
	c->err = h_read_file(errpath, NULL);
	unlink(inpath);
	unlink(outpath);
	unlink(errpath);
}

static void
cli_free(struct cli *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
}

/*
 * Status status, and stderr is exactly one line, "mtapi-admin: ...",
 * readable text that holds want (and want2 when not NULL).
 */
static void
assert_one_line(struct cli *c, int status, const char *want,
    const char *want2)
{
	size_t		i, len;

	cr_assert_eq(c->status, status, "status %d, want %d; stderr: %s",
	    c->status, status, c->err);
	len = strlen(c->err);
	cr_assert(len > 0 && c->err[len - 1] == '\n' &&
	    strchr(c->err, '\n') == c->err + len - 1,
	    "not one line on stderr: '%s'", c->err);
	cr_assert(!strncmp(c->err, "mtapi-admin: ", 13), "%s", c->err);
	for (i = 0; i < len - 1; i++)
		cr_assert(isprint((unsigned char)c->err[i]),
		    "unreadable byte 0x%02x at %zu: %s",
		    (unsigned char)c->err[i], i, c->err);
	cr_assert(len < 300, "not short: %s", c->err);
	cr_assert_not_null(strstr(c->err, want), "'%s' lacks '%s'", c->err,
	    want);
	if (want2 != NULL)
		cr_assert_not_null(strstr(c->err, want2), "'%s' lacks '%s'",
		    c->err, want2);
	cr_assert_null(strstr(c->out, "created"), "stdout: %s", c->out);
}

/*
 * Status 2; the first stderr line names what was wrong; the rest is the
 * usage (of cmd, when given).
 */
static void
assert_usage_error(struct cli *c, const char *bad, const char *cmd)
{
	char		*nl;

	cr_assert_eq(c->status, 2, "status %d; stderr: %s", c->status,
	    c->err);
	cr_assert(!strncmp(c->err, "mtapi-admin: ", 13), "%s", c->err);
	nl = strchr(c->err, '\n');
	cr_assert_not_null(nl, "%s", c->err);
	*nl = '\0';
	cr_assert_not_null(strstr(c->err, bad), "'%s' lacks '%s'", c->err,
	    bad);
	cr_assert_not_null(strstr(nl + 1, "usage:"), "no usage: %s", nl + 1);
	if (cmd != NULL)
		cr_assert_not_null(strstr(nl + 1, cmd), "%s", nl + 1);
	*nl = '\n';
	cr_assert_eq(c->out[0], '\0', "stdout: %s", c->out);
}

/* A copy of the suite's settings with one or two values changed. */
static char *
env_copy(const char *k1, const char *v1, const char *k2, const char *v2)
{
	FILE		*in, *out;
	char		line[1024], *path;
	size_t		l1, l2;
	int		fd;

	cr_assert(asprintf(&path, "/tmp/mtapi-cli-env.%ld.XXXXXX",
	    (long)getpid()) != -1);
	cr_assert((fd = mkstemp(path)) != -1);
	env_cleanup();
	env_tmp = path;
	out = fdopen(fd, "w");
	in = fopen(h_env("MTAPI_ENV_FILE"), "r");
	cr_assert(in != NULL && out != NULL);

	l1 = strlen(k1);
	l2 = k2 != NULL ? strlen(k2) : 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		if (!strncmp(line, k1, l1) && line[l1] == '=')
			continue;
		if (k2 != NULL && !strncmp(line, k2, l2) && line[l2] == '=')
			continue;
		fputs(line, out);
	}
	fprintf(out, "%s=%s\n", k1, v1);
	if (k2 != NULL)
		fprintf(out, "%s=%s\n", k2, v2);
	fclose(in);
	cr_assert_eq(fclose(out), 0);

	return (path);
}

static void
env_cleanup(void)
{
	if (env_tmp != NULL) {
		unlink(env_tmp);
		free(env_tmp);
		env_tmp = NULL;
	}
}

/* A loopback port nothing listens on. */
static int
unused_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	len = sizeof(sin);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);

	return (port);
}


/* tools/dev/pg.sh ARGS on the suite's cluster; its output in out. */
static int
pg(const char *args, char *out, size_t len)
{
	FILE		*fp;
	size_t		n;
	int		st;

	fp = popen(h_fmt("'%s/tools/dev/pg.sh' %s 2>&1",
	    h_env("MTAPI_TEST_ROOT"), args), "r");
	cr_assert_not_null(fp);
	n = 0;
	if (out != NULL && len > 0) {
		n = fread(out, 1, len - 1, fp);
		out[n] = '\0';
		while (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
	}
	while (fgetc(fp) != EOF)
		;
	st = pclose(fp);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The distinct requests_per_minute of database db's tenants. */
static const char *
tenant_limits(const char *db)
{
	static char	buf[256];

	cr_assert_eq(pg(h_fmt("psql -d %s -tA -c \"SELECT string_agg("
	    "DISTINCT requests_per_minute::text, ',') FROM tenants\"", db),
	    buf, sizeof(buf)), 0, "%s", buf);

	return (buf);
}

static void
testdata_cleanup(void)
{
	char		name[64];

	(void)snprintf(name, sizeof(name), TESTDATA_DB, (long)getpid());
	(void)pg(h_fmt("drop-db %s", name), NULL, 0);
	env_cleanup();
}
