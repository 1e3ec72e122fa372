/*
 * API clients: create-api-client (the secret is printed once; only its
 * hash is stored), revoke-api-client, and the usage report.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "admin.h"
#include "core/perms.h"
#include "core/secret.h"

int
cmd_create_api_client(struct admin *adm)
{
	PGresult	*res;
	const char	*name, *slug, *p[7];
	char		tenant[TOKEN_UUID_LEN + 1], *roles, *scopes;
	char		client_id[SECRET_CLIENT_ID_LEN];
	char		secret[SECRET_CLIENT_SECRET_LEN];
	char		digest[SECRET_DIGEST_HEX], days[32];
	long		expires;

	name = admin_opt_required(adm, "name");
	slug = admin_opt_required(adm, "tenant");
	if (strlen(name) > 255)
		admin_fail(adm, "--name must be at most 255 characters");
	expires = admin_opt_long(adm, "expires-days", 0, 1, 36500);

	roles = admin_list_json(adm, "roles", "read", perms_role_valid);
	scopes = admin_list_json(adm, "scopes", NULL, perms_scope_valid);
	if (!strcmp(scopes, "[]") && strstr(roles, "\"admin\"") == NULL)
		admin_fail(adm, "--scopes is required (for example "
		    "read:projects,write:projects), unless --roles has admin");

	admin_tenant_id(adm, slug, tenant);
	secret_client_id_new(client_id);
	secret_client_secret_new(secret);
	secret_digest(secret, digest);
	(void)snprintf(days, sizeof(days), "%ld", expires);

	p[0] = tenant;
	p[1] = client_id;
	p[2] = digest;
	p[3] = name;
	p[4] = roles;
	p[5] = scopes;
	p[6] = expires > 0 ? days : NULL;
	/* The id is unique across tenants (api_client_ids): both or none. */
	admin_begin(adm);
	PQclear(admin_exec(adm, "INSERT INTO api_client_ids (client_id, "
	    "tenant_id) VALUES ($2, $1)", 2, p));
	res = admin_exec(adm, "INSERT INTO api_clients (tenant_id, client_id, "
	    "secret_hash, name, roles, scopes, expires_at) "
	    "SELECT $1, $2, $3, $4, "
	    "ARRAY(SELECT json_array_elements_text($5::json)), "
	    "ARRAY(SELECT json_array_elements_text($6::json)), "
	    "now() + make_interval(days => $7::int) "
	    "ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id", 7, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "tenant %s already has an API client "
		    "named '%s'", slug, name);
	PQclear(res);
	admin_commit(adm);

	printf("client_id:     %s\nclient_secret: %s\n", client_id, secret);
	printf("(the secret is shown only now: only its hash is stored)\n");

	sodium_memzero(secret, sizeof(secret));
	free(roles);
	free(scopes);

	return (0);
}

int
cmd_revoke_api_client(struct admin *adm)
{
	PGresult	*res;
	const char	*id, *p[1];

	id = admin_opt_required(adm, "client-id");
	p[0] = id;

	admin_begin(adm);
	res = admin_exec(adm, "UPDATE api_clients SET is_active = false, "
	    "revoked_at = COALESCE(revoked_at, now()) "
	    "WHERE tenant_id = (SELECT tenant_id FROM api_client_ids "
	    "WHERE client_id = $1) AND client_id = $1 "
	    "RETURNING tenant_id, id", 1, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown API client '%s'", id);
	PQclear(res);

	/* Its logins end too: refresh tokens stop working at once. */
	PQclear(admin_exec(adm, "UPDATE auth_sessions s "
	    "SET revoked_at = now(), revoked_reason = 'client revoked' "
	    "FROM api_clients c "
	    "WHERE c.client_id = $1 AND s.tenant_id = c.tenant_id "
	    "AND s.api_client_id = c.id AND s.revoked_at IS NULL", 1, p));
	admin_commit(adm);

	printf("revoked API client %s\n", id);
	return (0);
}

int
cmd_usage(struct admin *adm)
{
	PGresult	*res;
	const char	*p[2];
	int		i, n;

	p[0] = admin_opt_required(adm, "client");
	p[1] = admin_opt(adm, "since");

	res = admin_exec(adm, "SELECT count(*) FROM api_clients "
	    "WHERE client_id = $1", 1, p);
	if (strcmp(PQgetvalue(res, 0, 0), "1"))
		admin_fail(adm, "unknown API client '%s'", p[0]);
	PQclear(res);

	res = admin_exec(adm, "SELECT api.ts(u.created_at), u.method, u.path, "
	    "u.status, u.latency_ms, COALESCE(u.client_ip, '-') "
	    "FROM api_client_usage u JOIN api_clients c "
	    "ON c.tenant_id = u.tenant_id AND c.id = u.api_client_id "
	    "WHERE c.client_id = $1 AND ($2::timestamptz IS NULL OR "
	    "u.created_at >= $2::timestamptz) "
	    "ORDER BY u.created_at, u.id", 2, p);

	n = PQntuples(res);
	printf("%-27s  %-6s  %-6s  %8s  %-15s  %s\n", "time", "method",
	    "status", "ms", "client ip", "path");
	for (i = 0; i < n; i++) {
		printf("%-27s  %-6s  %-6s  %8s  %-15s  %s\n",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetvalue(res, i, 5), PQgetvalue(res, i, 2));
	}
	printf("%d request%s\n", n, n == 1 ? "" : "s");

	PQclear(res);
	return (0);
}
