/*
 * Scopes are read:<resource> and write:<resource> for projects, tasks and
 * documents, or "*"; role "admin" grants every scope. User tokens have
 * full access to their own tenant's data.
 */

#include <string.h>

#include "perms.h"

static const char *resources[] = { "projects", "tasks", "documents", NULL };
static const char *roles[] = { "read", "write", "admin", "service", NULL };

static int	resource_index(const char *);

void
perms_principal(const struct token_claims *c, struct principal *p)
{
	size_t		i;

	memset(p, 0, sizeof(*p));
	p->auth_type = c->auth_type;
	memcpy(p->tenant, c->tenant, sizeof(p->tenant));
	memcpy(p->tenant_slug, c->tenant_slug, sizeof(p->tenant_slug));
	memcpy(p->sid, c->sid, sizeof(p->sid));

	switch (c->auth_type) {
	case AUTH_TYPE_USER:
		memcpy(p->subject, c->sub, sizeof(p->subject));
		p->scopes = SCOPES_ALL;
		return;
	case AUTH_TYPE_API_CLIENT:
		memcpy(p->subject, c->client_id, sizeof(p->subject));
		break;
	default:
		memcpy(p->subject, c->sub, sizeof(p->subject));
		/*
		 * No login: the database checks a service token against its
		 * own record (sql/V003), by jti. Not a UUID: no record.
		 */
		if (!token_uuid_valid(c->jti, p->sid))
			p->sid[0] = '\0';
		break;
	}

	for (i = 0; i < c->roles_count; i++) {
		if (!strcmp(c->roles[i], "admin"))
			p->admin = 1;
	}
	for (i = 0; i < c->scopes_count; i++)
		p->scopes |= perms_scope_bit(c->scopes[i]);
	if (p->admin)
		p->scopes = SCOPES_ALL;
}

int
perms_allow(const struct principal *p, const struct perm_rule *rule,
    int action)
{
	int		idx;
	uint32_t	need;

	if (p->auth_type <= 0 || !(rule->principals & (1 << p->auth_type)))
		return (0);

	if ((idx = resource_index(rule->resource)) == -1)
		return (0);

	need = 1u << (idx * 2 + (action == PERM_WRITE ? 1 : 0));

	return ((p->scopes & need) != 0);
}

uint32_t
perms_scope_bit(const char *scope)
{
	int		idx;

	if (!strcmp(scope, "*"))
		return (SCOPES_ALL);

	if (!strncmp(scope, "read:", 5)) {
		if ((idx = resource_index(scope + 5)) != -1)
			return (1u << (idx * 2));
	} else if (!strncmp(scope, "write:", 6)) {
		if ((idx = resource_index(scope + 6)) != -1)
			return (1u << (idx * 2 + 1));
	}

	return (0);
}

int
perms_scope_valid(const char *scope)
{
	return (perms_scope_bit(scope) != 0);
}

int
perms_role_valid(const char *role)
{
	size_t		i;

	for (i = 0; roles[i] != NULL; i++) {
		if (!strcmp(roles[i], role))
			return (1);
	}

	return (0);
}

static int
resource_index(const char *name)
{
	int		i;

	if (name == NULL)
		return (-1);

	for (i = 0; resources[i] != NULL; i++) {
		if (!strcmp(resources[i], name))
			return (i);
	}

	return (-1);
}
