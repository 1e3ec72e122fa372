/*
 * mtapi-admin: command dispatch, options, the database connection.
 */

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "admin.h"
#include "core/secret.h"
#include "core/token.h"

struct command {
	const char	*name;
	int		(*run)(struct admin *);
	int		needs_db;
	const char	*options;	/* allowed, comma separated */
	const char	*usage;
};

static const struct command commands[] = {
	{ "migrate", cmd_migrate, 1, "",
	    "migrate" },
	{ "create-tenant", cmd_create_tenant, 1,
	    "slug,name,inactive,rate-limit",
	    "create-tenant --slug SLUG --name NAME [--inactive] "
	    "[--rate-limit PER_MINUTE]" },
	{ "set-tenant-active", cmd_set_tenant_active, 1, "tenant,active",
	    "set-tenant-active --tenant SLUG --active yes|no" },
	{ "set-rate-limit", cmd_set_rate_limit, 1, "tenant,per-minute",
	    "set-rate-limit --tenant SLUG --per-minute N" },
	{ "create-user", cmd_create_user, 1, "username",
	    "create-user --username NAME   (password on stdin or prompted)" },
	{ "add-member", cmd_add_member, 1, "user,tenant,role",
	    "add-member --user NAME --tenant SLUG "
	    "[--role owner|admin|member|viewer]" },
	{ "remove-member", cmd_remove_member, 1, "user,tenant",
	    "remove-member --user NAME --tenant SLUG" },
	{ "set-user-active", cmd_set_user_active, 1, "user,active",
	    "set-user-active --user NAME --active yes|no" },
	{ "list-tenants", cmd_list_tenants, 1, "json",
	    "list-tenants [--json]" },
	{ "list-users", cmd_list_users, 1, "tenant,json",
	    "list-users [--tenant SLUG] [--json]" },
	{ "list-api-clients", cmd_list_api_clients, 1, "tenant,json",
	    "list-api-clients --tenant SLUG [--json]" },
	{ "create-api-client", cmd_create_api_client, 1,
	    "name,tenant,roles,scopes,expires-days",
	    "create-api-client --name NAME --tenant SLUG --roles read,write "
	    "--scopes read:projects,write:projects [--expires-days N]" },
	{ "revoke-api-client", cmd_revoke_api_client, 1, "client-id",
	    "revoke-api-client --client-id ID" },
	{ "create-service-token", cmd_create_service_token, 1,
	    "tenant,service,minutes,scopes,roles",
	    "create-service-token --tenant SLUG --service NAME --scopes LIST "
	    "[--minutes N (15; at most 1440)] [--roles LIST]" },
	{ "revoke-service-token", cmd_revoke_service_token, 1, "jti",
	    "revoke-service-token --jti JTI" },
	{ "create-test-data", cmd_create_test_data, 1,
	    "tenants,projects-per-tenant,tasks-per-project,out,force,replace,"
	    "base-url,rate-limit",
	    "create-test-data [--tenants N] [--projects-per-tenant M] "
	    "[--tasks-per-project K] [--rate-limit PER_MINUTE] --out FILE "
	    "[--base-url URL] [--replace] [--force]" },
	{ "usage", cmd_usage, 1, "client,since",
	    "usage --client CLIENT_ID [--since 2026-01-01T00:00:00Z]" },
	{ "audit", cmd_audit, 1, "tenant,since,kind,limit,before,json",
	    "audit [--tenant SLUG] [--since 2026-01-01T00:00:00Z] "
	    "[--kind KIND] [--limit N (50)] [--before ID] [--json]" },
	{ "audit-prune", cmd_audit_prune, 1, "older-than",
	    "audit-prune [--older-than DAYS (AUDIT_RETENTION_DAYS, 365)]" },
};

#define COMMANDS_COUNT	(sizeof(commands) / sizeof(commands[0]))

static struct admin	*current;
static const char	*progname = "mtapi-admin";

static void	check_options(struct admin *, const struct command *);

int
main(int argc, char **argv)
{
	struct admin		adm;
	const struct command	*cmd;
	const char		*envfile;
	char			err[512];
	size_t			i;
	int			first, rc;

	memset(&adm, 0, sizeof(adm));
	current = &adm;

	envfile = ".env";
	first = 1;
	if (argc > 2 && !strcmp(argv[1], "--env")) {
		envfile = argv[2];
		first = 3;
	}
	if (first >= argc || !strcmp(argv[first], "--help") ||
	    !strcmp(argv[first], "-h"))
		admin_usage(NULL);

	cmd = NULL;
	for (i = 0; i < COMMANDS_COUNT; i++) {
		if (!strcmp(commands[i].name, argv[first]))
			cmd = &commands[i];
	}
	if (cmd == NULL)
		admin_usage(argv[first]);

	adm.argc = argc - first - 1;
	adm.argv = argv + first + 1;
	check_options(&adm, cmd);

	if (settings_load(&adm.s, envfile, err, sizeof(err)) == -1)
		admin_fail(&adm, "configuration: %s", err);
	if (secret_init() == -1)
		admin_fail(&adm, "libsodium initialisation failed");
	token_keys_init(&adm.keys, &adm.s);

	if (cmd->needs_db)
		admin_connect(&adm);

	rc = cmd->run(&adm);
	if (adm.db != NULL)
		PQfinish(adm.db);
	settings_free(&adm.s);

	return (rc);
}

void
admin_usage(const char *bad)
{
	size_t		i;

	if (bad != NULL)
		fprintf(stderr, "%s: unknown command '%s'\n", progname, bad);
	fprintf(stderr, "usage: %s [--env FILE] COMMAND [options]\n\n"
	    "commands:\n", progname);
	for (i = 0; i < COMMANDS_COUNT; i++)
		fprintf(stderr, "  %s\n", commands[i].usage);
	exit(2);
}

void
admin_fail(struct admin *adm, const char *fmt, ...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);

	/* Closing an open transaction rolls it back. */
	if (adm == NULL)
		adm = current;
	if (adm != NULL) {
		if (adm->db != NULL)
			PQfinish(adm->db);
		adm->db = NULL;
		settings_free(&adm->s);
	}

	exit(1);
}

void
admin_connect(struct admin *adm)
{
	struct passwd	*pw;
	const char	*msg, *nl, *p[1];
	int		len;

	adm->db = PQconnectdb(adm->s.db_conninfo);
	if (PQstatus(adm->db) != CONNECTION_OK) {
		msg = PQerrorMessage(adm->db);
		nl = strchr(msg, '\n');
		len = nl != NULL ? (int)(nl - msg) : (int)strlen(msg);
		admin_fail(adm, "cannot connect to the database: %.*s",
		    len, msg);
	}

	/* Our messages, not libpq's NOTICEs, on stderr. */
	PQclear(PQexec(adm->db, "SET client_min_messages TO warning"));

	/*
	 * The actor of every change this command makes, for the audit
	 * trail's triggers (sql/V009__audit.sql): the operator, by the
	 * name of the system user running it.
	 */
	pw = getpwuid(getuid());
	p[0] = pw != NULL ? pw->pw_name : "unknown";
	PQclear(admin_exec(adm, "SELECT set_config('mtapi.actor_kind', "
	    "'operator', false), set_config('mtapi.actor_id', $1, false)",
	    1, p));
}

void
admin_begin(struct admin *adm)
{
	PQclear(admin_exec(adm, "BEGIN", 0, NULL));
}

void
admin_commit(struct admin *adm)
{
	PQclear(admin_exec(adm, "COMMIT", 0, NULL));
}

/* Run a statement; any error ends the command (and its transaction). */
PGresult *
admin_exec(struct admin *adm, const char *sql, int n, const char **params)
{
	PGresult	*res;
	ExecStatusType	st;
	const char	*msg;

	if (n == 0 && params == NULL)
		res = PQexec(adm->db, sql);
	else
		res = PQexecParams(adm->db, sql, n, NULL, params, NULL,
		    NULL, 0);

	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (msg == NULL)
			msg = PQerrorMessage(adm->db);
		admin_fail(adm, "database: %s", msg);
	}

	return (res);
}

void
admin_progress(const char *what, size_t done, size_t total)
{
	fprintf(stderr, "\r%s: %zu/%zu", what, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

const char *
admin_opt(struct admin *adm, const char *name)
{
	int		i;

	for (i = 0; i < adm->argc; i++) {
		if (strncmp(adm->argv[i], "--", 2) ||
		    strcmp(adm->argv[i] + 2, name))
			continue;
		if (i + 1 < adm->argc && strncmp(adm->argv[i + 1], "--", 2))
			return (adm->argv[i + 1]);
		return (NULL);
	}

	return (NULL);
}

const char *
admin_opt_required(struct admin *adm, const char *name)
{
	const char	*v;

	if ((v = admin_opt(adm, name)) == NULL || *v == '\0')
		admin_fail(adm, "--%s is required", name);

	return (v);
}

int
admin_flag(struct admin *adm, const char *name)
{
	int		i;

	for (i = 0; i < adm->argc; i++) {
		if (!strncmp(adm->argv[i], "--", 2) &&
		    !strcmp(adm->argv[i] + 2, name))
			return (1);
	}

	return (0);
}

long
admin_opt_long(struct admin *adm, const char *name, long def, long min,
    long max)
{
	const char	*v;
	char		*end;
	long		n;

	if ((v = admin_opt(adm, name)) == NULL) {
		if (admin_flag(adm, name))
			admin_fail(adm, "--%s needs a value", name);
		return (def);
	}

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		admin_fail(adm, "--%s must be a whole number from %ld to %ld",
		    name, min, max);

	return (n);
}

/*
 * A comma-separated option as a JSON array text, each item checked by
 * valid (NULL: any). Caller frees.
 */
char *
admin_list_json(struct admin *adm, const char *name, const char *def,
    int (*valid)(const char *))
{
	json_t		*arr;
	const char	*v;
	char		*copy, *p, *tok, *out;

	if ((v = admin_opt(adm, name)) == NULL)
		v = def;

	arr = json_array();
	copy = strdup(v != NULL ? v : "");
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		/* The message needs tok: fail before freeing (exit frees). */
		if (valid != NULL && !valid(tok))
			admin_fail(adm, "--%s: '%s' is not valid", name, tok);
		json_array_append_new(arr, json_string(tok));
	}
	free(copy);

	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);

	return (out);
}

/* A tenant's id from its slug, or fail naming it. */
void
admin_tenant_id(struct admin *adm, const char *slug, char *out)
{
	PGresult	*res;
	const char	*p[1] = { slug };

	res = admin_exec(adm, "SELECT id FROM tenants WHERE slug = $1", 1, p);
	if (PQntuples(res) != 1) {
		PQclear(res);
		admin_fail(adm, "unknown tenant '%s'", slug);
	}

	(void)snprintf(out, TOKEN_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void
check_options(struct admin *adm, const struct command *cmd)
{
	int		i;
	size_t		len;
	const char	*name, *p;

	for (i = 0; i < adm->argc; i++) {
		if (strncmp(adm->argv[i], "--", 2)) {
			if (i > 0 && !strncmp(adm->argv[i - 1], "--", 2))
				continue;
			fprintf(stderr, "%s: unexpected argument '%s'\n"
			    "usage: %s %s\n", progname, adm->argv[i],
			    progname, cmd->usage);
			exit(2);
		}

		name = adm->argv[i] + 2;
		len = strlen(name);
		for (p = cmd->options; (p = strstr(p, name)) != NULL; p++) {
			if ((p == cmd->options || p[-1] == ',') &&
			    (p[len] == ',' || p[len] == '\0'))
				break;
		}
		if (p == NULL || len == 0) {
			fprintf(stderr, "%s: unknown option '%s'\n"
			    "usage: %s %s\n", progname, adm->argv[i],
			    progname, cmd->usage);
			exit(2);
		}
	}
}
