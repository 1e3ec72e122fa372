/*
 * create-service-token: an access token for an internal service, minted
 * here with the server's keys (auth_type "service"). It cannot be
 * refreshed; keep it short-lived.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "core/perms.h"

static size_t	list_copy(const char *, char (*)[TOKEN_ITEM_LEN]);

int
cmd_create_service_token(struct admin *adm)
{
	PGresult		*res;
	struct token_claims	c;
	const char		*slug, *service, *p[1];
	char			*roles, *scopes, *tok;
	long			minutes;

	slug = admin_opt_required(adm, "tenant");
	service = admin_opt_required(adm, "service");
	if (admin_opt(adm, "minutes") == NULL)
		admin_fail(adm, "--minutes is required");
	minutes = admin_opt_long(adm, "minutes", 0, 1, 60 * 24 * 30);
	if (strlen(service) >= TOKEN_SUB_LEN)
		admin_fail(adm, "--service is too long");

	admin_keys(adm);
	roles = admin_list_json(adm, "roles", "service", perms_role_valid);
	scopes = admin_list_json(adm, "scopes", "*", perms_scope_valid);

	memset(&c, 0, sizeof(c));
	p[0] = slug;
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
	free(roles);
	free(scopes);

	if ((tok = token_mint(&adm->keys, &c)) == NULL)
		admin_fail(NULL, "cannot sign the token with the "
		    "current key");

	printf("%s\n", tok);
	free(tok);

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
