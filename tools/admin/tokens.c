/*
 * Service tokens: create-service-token mints an access token for an
 * internal service with the server's keys (auth_type "service") and
 * records it (sql/V003): the server serves a service token only while
 * its record is there and not revoked, so revoke-service-token ends one
 * at once. Least privilege: the scopes must be named ("*" only when
 * asked for), and a token lives SERVICE_MINUTES unless told otherwise,
 * at most SERVICE_MINUTES_MAX. It cannot be refreshed: mint a new one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "core/perms.h"

#define SERVICE_MINUTES		15
#define SERVICE_MINUTES_MAX	(24 * 60)

static size_t	list_copy(const char *, char (*)[TOKEN_ITEM_LEN]);

int
cmd_create_service_token(struct admin *adm)
{
	PGresult		*res;
	struct token_claims	c;
	const char		*slug, *service, *p[6];
	char			*roles, *scopes, *tok, exp[32];
	long			minutes;

	slug = admin_opt_required(adm, "tenant");
	service = admin_opt_required(adm, "service");
	minutes = admin_opt_long(adm, "minutes", SERVICE_MINUTES, 1,
	    SERVICE_MINUTES_MAX);
	if (strlen(service) >= TOKEN_SUB_LEN)
		admin_fail(adm, "--service is too long");

	admin_keys(adm);
	roles = admin_list_json(adm, "roles", "service", perms_role_valid);
	scopes = admin_list_json(adm, "scopes", NULL, perms_scope_valid);
	if (!strcmp(scopes, "[]"))
		admin_fail(adm, "--scopes is required (for example "
		    "read:projects,read:tasks; '*' for everything)");

	memset(&c, 0, sizeof(c));
	p[0] = slug;
	admin_begin(adm);
	res = admin_exec(adm, "SELECT id, is_active FROM tenants "
	    "WHERE slug = $1", 1, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown tenant '%s'", slug);
	if (strcmp(PQgetvalue(res, 0, 1), "t"))
		admin_fail(adm, "tenant '%s' is inactive", slug);
	(void)snprintf(c.tenant, sizeof(c.tenant), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	c.token_type = TOKEN_TYPE_ACCESS;
	c.auth_type = AUTH_TYPE_SERVICE;
	(void)snprintf(c.tenant_slug, sizeof(c.tenant_slug), "%s", slug);
	(void)snprintf(c.sub, sizeof(c.sub), "%s", service);
	token_uuid_new(c.jti);
	c.iat = time(NULL);
	c.exp = c.iat + minutes * 60;
	c.roles_count = list_copy(roles, c.roles);
	c.scopes_count = list_copy(scopes, c.scopes);

	/* The record first: a token is printed only once it would work. */
	(void)snprintf(exp, sizeof(exp), "%lld", (long long)c.exp);
	p[0] = c.jti;
	p[1] = c.tenant;
	p[2] = service;
	p[3] = roles;
	p[4] = scopes;
	p[5] = exp;
	PQclear(admin_exec(adm, "INSERT INTO service_tokens (jti, tenant_id, "
	    "service, roles, scopes, expires_at) SELECT $1, $2, $3, "
	    "ARRAY(SELECT json_array_elements_text($4::json)), "
	    "ARRAY(SELECT json_array_elements_text($5::json)), "
	    "to_timestamp($6::bigint)", 6, p));
	/* Records of tokens expired a day ago serve nobody. */
	PQclear(admin_exec(adm, "DELETE FROM service_tokens "
	    "WHERE expires_at < now() - interval '1 day'", 0, NULL));
	free(roles);
	free(scopes);

	if ((tok = token_mint(&adm->keys, &c)) == NULL)
		admin_fail(NULL, "cannot sign the token with the "
		    "current key");
	admin_commit(adm);

	/* stdout is the token alone; which record it is goes to stderr. */
	printf("%s\n", tok);
	fflush(stdout);
	free(tok);
	fprintf(stderr, "service token %s for %s of %s, %ld minutes; "
	    "revoke-service-token --jti %s ends it\n", c.jti, service, slug,
	    minutes, c.jti);

	return (0);
}

int
cmd_revoke_service_token(struct admin *adm)
{
	PGresult	*res;
	const char	*jti, *p[1];
	char		id[TOKEN_UUID_LEN + 1];

	jti = admin_opt_required(adm, "jti");
	if (!token_uuid_valid(jti, id))
		admin_fail(adm, "--jti must be a UUID (the token's jti claim)");
	p[0] = id;

	admin_begin(adm);
	res = admin_exec(adm, "SELECT revoked_at IS NOT NULL FROM "
	    "service_tokens WHERE jti = $1 FOR UPDATE", 1, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown service token %s", id);
	if (!strcmp(PQgetvalue(res, 0, 0), "t")) {
		PQclear(res);
		admin_commit(adm);
		printf("service token %s was revoked already\n", id);
		return (0);
	}
	PQclear(res);

	PQclear(admin_exec(adm, "UPDATE service_tokens SET revoked_at = now() "
	    "WHERE jti = $1", 1, p));
	admin_commit(adm);

	printf("revoked service token %s\n", id);
	return (0);
}

static size_t
list_copy(const char *json, char (*out)[TOKEN_ITEM_LEN])
{
	json_t		*arr, *v;
	size_t		i, n;

	n = 0;
	if ((arr = json_loads(json, 0, NULL)) == NULL)
		return (0);

	json_array_foreach(arr, i, v) {
		if (n == TOKEN_LIST_MAX)
			break;
		(void)snprintf(out[n++], TOKEN_ITEM_LEN, "%s",
		    json_string_value(v));
	}
	json_decref(arr);

	return (n);
}
