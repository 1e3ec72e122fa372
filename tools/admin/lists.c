/*
 * The operator's lists: list-tenants, list-users, list-api-clients. On a
 * terminal an aligned table; otherwise tab-separated lines with a header
 * (for cut and awk); with --json one JSON array of objects (for scripts).
 * No secret is ever listed: API clients show their id, never the hash.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "admin.h"

/* PostgreSQL type oids the printer treats apart (pg_type.h). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT4	23
#define OID_JSON	114

static void	print_json(struct admin *, PGresult *, int);
static char	*cell_text(PGresult *, int, int);

int
cmd_list_tenants(struct admin *adm)
{
	PGresult	*res;

	res = admin_exec(adm, "SELECT t.slug, t.name, t.is_active AS active, "
	    "t.requests_per_minute AS per_minute, "
	    "(SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id) "
	    "AS members, "
	    "(SELECT count(*) FROM api_clients c WHERE c.tenant_id = t.id "
	    "AND c.is_active) AS api_clients, "
	    "api.ts(t.created_at) AS created, t.id::text AS id "
	    "FROM tenants t ORDER BY t.slug", 0, NULL);
	admin_print_result(adm, res, -1);
	PQclear(res);

	return (0);
}

int
cmd_list_users(struct admin *adm)
{
	PGresult	*res;
	const char	*slug, *p[1];
	char		tenant[TOKEN_UUID_LEN + 1];

	slug = admin_opt(adm, "tenant");
	if (slug == NULL && admin_flag(adm, "tenant"))
		admin_fail(adm, "--tenant needs a value");

	admin_begin(adm);
	if (slug == NULL) {
		res = admin_exec(adm, "SELECT u.id, u.username, "
		    "u.is_active AS active, COALESCE((SELECT "
		    "json_agg(json_build_object('tenant', t.slug, "
		    "'role', m.role) ORDER BY t.slug) FROM memberships m "
		    "JOIN tenants t ON t.id = m.tenant_id "
		    "WHERE m.user_id = u.id), '[]') AS tenants, "
		    "api.ts(u.created_at) AS created "
		    "FROM users u ORDER BY u.username", 0, NULL);
	} else {
		admin_tenant_id(adm, slug, tenant);
		p[0] = tenant;
		res = admin_exec(adm, "SELECT u.id, u.username, "
		    "u.is_active AS active, m.role, "
		    "api.ts(m.created_at) AS member_since "
		    "FROM memberships m JOIN users u ON u.id = m.user_id "
		    "WHERE m.tenant_id = $1 ORDER BY u.username", 1, p);
	}
	admin_commit(adm);

	admin_print_result(adm, res, -1);
	PQclear(res);

	return (0);
}

int
cmd_list_api_clients(struct admin *adm)
{
	PGresult	*res;
	const char	*p[1];
	char		tenant[TOKEN_UUID_LEN + 1];

	admin_begin(adm);
	admin_tenant_id(adm, admin_opt_required(adm, "tenant"), tenant);
	p[0] = tenant;
	res = admin_exec(adm, "SELECT c.client_id, c.name, "
	    "to_json(c.roles) AS roles, to_json(c.scopes) AS scopes, "
	    "(c.is_active AND (c.expires_at IS NULL OR c.expires_at > now())) "
	    "AS active, api.ts(c.expires_at) AS expires, "
	    "api.ts(c.last_used_at) AS last_used, "
	    "api.ts(c.revoked_at) AS revoked, api.ts(c.created_at) AS created "
	    "FROM api_clients c WHERE c.tenant_id = $1 ORDER BY c.name",
	    1, p);
	admin_commit(adm);

	admin_print_result(adm, res, -1);
	PQclear(res);

	return (0);
}

/*
 * The rows (the first max; -1: all) as --json, a table on a terminal,
 * or tab-separated lines.
 */
void
admin_print_result(struct admin *adm, PGresult *res, int max)
{
	size_t		*width;
	char		*cell;
	int		rows, cols, r, c, tty;

	rows = PQntuples(res);
	if (max >= 0 && max < rows)
		rows = max;
	if (admin_flag(adm, "json")) {
		print_json(adm, res, rows);
		return;
	}

	cols = PQnfields(res);
	tty = isatty(STDOUT_FILENO);

	if ((width = calloc(cols, sizeof(*width))) == NULL)
		admin_fail(adm, "out of memory");
	for (c = 0; tty && c < cols; c++) {
		width[c] = strlen(PQfname(res, c));
		for (r = 0; r < rows; r++) {
			cell = cell_text(res, r, c);
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
			free(cell);
		}
	}

	for (r = -1; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			cell = r < 0 ? strdup(PQfname(res, c)) :
			    cell_text(res, r, c);
			if (cell == NULL)
				admin_fail(adm, "out of memory");
			if (!tty)
				printf("%s%s", c > 0 ? "\t" : "", cell);
			else if (c < cols - 1)
				printf("%-*s  ", (int)width[c], cell);
			else
				printf("%s", cell);
			free(cell);
		}
		putchar('\n');
	}
	if (tty)
		printf("(%d row%s)\n", rows, rows == 1 ? "" : "s");

	free(width);
}

static void
print_json(struct admin *adm, PGresult *res, int rows)
{
	json_t		*arr, *obj, *v;
	const char	*s;
	int		cols, r, c;
	Oid		type;

	cols = PQnfields(res);
	arr = json_array();
	for (r = 0; r < rows; r++) {
		obj = json_object();
		for (c = 0; c < cols; c++) {
			s = PQgetvalue(res, r, c);
			type = PQftype(res, c);
			if (PQgetisnull(res, r, c))
				v = json_null();
			else if (type == OID_BOOL)
				v = json_boolean(s[0] == 't');
			else if (type == OID_INT8 || type == OID_INT4)
				v = json_integer(strtoll(s, NULL, 10));
			else if (type == OID_JSON)
				v = json_loads(s, JSON_DECODE_ANY, NULL);
			else
				v = json_string(s);
			if (v == NULL)
				admin_fail(adm, "cannot encode column %s",
				    PQfname(res, c));
			json_object_set_new(obj, PQfname(res, c), v);
		}
		json_array_append_new(arr, obj);
	}

	if (json_dumpf(arr, stdout, JSON_INDENT(2)) == -1)
		admin_fail(adm, "cannot write the JSON output");
	putchar('\n');
	json_decref(arr);
}

/*
 * One cell as text (caller frees): NULL as "-", a boolean as yes/no, a
 * JSON array of strings comma-joined, a JSON array of objects as
 * "v1:v2,..." of their values. Tabs and newlines become spaces so that
 * a row stays one line.
 */
static char *
cell_text(PGresult *res, int r, int c)
{
	json_t		*j, *item, *v;
	const char	*s, *key, *sep;
	char		*out, *p;
	size_t		i, len;
	FILE		*f;

	j = NULL;
	s = PQgetvalue(res, r, c);
	if (PQgetisnull(res, r, c))
		return (strdup("-"));
	if (PQftype(res, c) == OID_BOOL)
		return (strdup(s[0] == 't' ? "yes" : "no"));
	if (PQftype(res, c) != OID_JSON ||
	    (j = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL ||
	    !json_is_array(j)) {
		if (j != NULL)
			json_decref(j);
		out = strdup(s);
	} else {
		out = NULL;
		len = 0;
		if ((f = open_memstream(&out, &len)) == NULL) {
			json_decref(j);
			return (NULL);
		}
		json_array_foreach(j, i, item) {
			if (i > 0)
				fputc(',', f);
			if (json_is_string(item))
				fputs(json_string_value(item), f);
			else if (json_is_object(item)) {
				sep = "";
				json_object_foreach(item, key, v) {
					fprintf(f, "%s%s", sep,
					    json_is_string(v) ?
					    json_string_value(v) : "?");
					sep = ":";
				}
			}
		}
		fclose(f);
		json_decref(j);
		if (len == 0) {
			free(out);
			out = strdup("-");
		}
	}

	for (p = out; p != NULL && *p != '\0'; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	}

	return (out);
}
