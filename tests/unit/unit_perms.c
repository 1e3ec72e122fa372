/*
 * Unit tests for src/core/perms.c: principals from token claims, and the
 * scopes/roles permission rule.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/perms.h"
#include "core/token.h"

#define TENANT		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0b"
#define SID		"0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"

static const char *resources[] = { "projects", "tasks", "documents" };
#define NRES	(sizeof(resources) / sizeof(resources[0]))

static void	claims(struct token_claims *, int);
static void	add_scope(struct token_claims *, const char *);
static void	add_role(struct token_claims *, const char *);
static int	allow(const struct principal *, const char *, int, int);

static void
claims(struct token_claims *c, int auth)
{
	memset(c, 0, sizeof(*c));
	c->token_type = TOKEN_TYPE_ACCESS;
	c->auth_type = auth;
	(void)strcpy(c->tenant, TENANT);
	(void)strcpy(c->tenant_slug, "acme");
	(void)strcpy(c->sid, SID);
	switch (auth) {
	case AUTH_TYPE_USER:
		c->user_id = 42;
		(void)strcpy(c->sub, "42");
		break;
	case AUTH_TYPE_API_CLIENT:
		(void)strcpy(c->client_id, "mtc_client");
		(void)strcpy(c->sub, "mtc_client");
		break;
	case AUTH_TYPE_SERVICE:
		(void)strcpy(c->sub, "billing");
		break;
	}
}

static void
add_scope(struct token_claims *c, const char *s)
{
	cr_assert_lt(c->scopes_count, TOKEN_LIST_MAX);
	(void)strcpy(c->scopes[c->scopes_count++], s);
}

static void
add_role(struct token_claims *c, const char *s)
{
	cr_assert_lt(c->roles_count, TOKEN_LIST_MAX);
	(void)strcpy(c->roles[c->roles_count++], s);
}

static int
allow(const struct principal *p, const char *resource, int principals,
    int action)
{
	struct perm_rule	rule;

	rule.resource = resource;
	rule.principals = principals;

	return (perms_allow(p, &rule, action));
}

Test(principal, user)
{
	struct token_claims	c;
	struct principal	p;
	size_t			i;

	claims(&c, AUTH_TYPE_USER);
	/* Scopes in a user token grant nothing extra and limit nothing. */
	add_scope(&c, "read:projects");
	perms_principal(&c, &p);
	cr_expect_eq(p.auth_type, AUTH_TYPE_USER);
	cr_expect_str_eq(p.tenant, TENANT);
	cr_expect_str_eq(p.tenant_slug, "acme");
	cr_expect_str_eq(p.subject, "42");
	cr_expect_str_eq(p.sid, SID);
	cr_expect_eq(p.scopes, SCOPES_ALL);
	for (i = 0; i < NRES; i++) {
		cr_expect(allow(&p, resources[i], PRINCIPAL_ANY, PERM_READ));
		cr_expect(allow(&p, resources[i], PRINCIPAL_ANY, PERM_WRITE));
	}
}

Test(principal, api_client)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_API_CLIENT);
	add_role(&c, "read");
	add_scope(&c, "read:projects");
	add_scope(&c, "write:tasks");
	perms_principal(&c, &p);
	cr_expect_eq(p.auth_type, AUTH_TYPE_API_CLIENT);
	cr_expect_str_eq(p.subject, "mtc_client");
	cr_expect_str_eq(p.tenant, TENANT);
	cr_expect_eq(p.admin, 0);
	cr_expect_neq(p.scopes, SCOPES_ALL);
	cr_expect_eq(p.scopes, perms_scope_bit("read:projects") |
	    perms_scope_bit("write:tasks"));

	cr_expect(allow(&p, "projects", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "projects", PRINCIPAL_ANY, PERM_WRITE));
	cr_expect(allow(&p, "tasks", PRINCIPAL_ANY, PERM_WRITE));
	/* write does not imply read */
	cr_expect(!allow(&p, "tasks", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "documents", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "documents", PRINCIPAL_ANY, PERM_WRITE));
}

/* The subject of an API client is its client_id, not a forged sub. */
Test(principal, api_client_subject_is_client_id)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_API_CLIENT);
	(void)strcpy(c.sub, "something-else");
	perms_principal(&c, &p);
	cr_expect_str_eq(p.subject, "mtc_client");
}

Test(principal, service)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_SERVICE);
	add_role(&c, "service");
	add_scope(&c, "read:documents");
	perms_principal(&c, &p);
	cr_expect_eq(p.auth_type, AUTH_TYPE_SERVICE);
	cr_expect_str_eq(p.subject, "billing");
	cr_expect_eq(p.admin, 0);
	cr_expect(allow(&p, "documents", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "documents", PRINCIPAL_ANY, PERM_WRITE));
	cr_expect(!allow(&p, "projects", PRINCIPAL_ANY, PERM_READ));
}

/*
 * A service token has no login: what the database checks it against is
 * its own record, by jti (api.principal() gets it as the sid). A jti
 * that is not a UUID names no record: no sid, refused there.
 */
Test(principal, service_record)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_SERVICE);
	(void)strcpy(c.jti, "7D9F2A1C-3B4E-4F50-8A6B-7C8D9E0F1A2B");
	perms_principal(&c, &p);
	cr_expect_str_eq(p.sid, "7d9f2a1c-3b4e-4f50-8a6b-7c8d9e0f1a2b");

	(void)strcpy(c.jti, "not-a-uuid");
	perms_principal(&c, &p);
	cr_expect_str_eq(p.sid, "");

	/* Users and API clients keep their login's sid. */
	claims(&c, AUTH_TYPE_USER);
	(void)strcpy(c.jti, "7d9f2a1c-3b4e-4f50-8a6b-7c8d9e0f1a2b");
	perms_principal(&c, &p);
	cr_expect_str_eq(p.sid, SID);
}

Test(principal, no_scopes_no_access)
{
	struct token_claims	c;
	struct principal	p;
	size_t			i;

	claims(&c, AUTH_TYPE_API_CLIENT);
	add_role(&c, "read");
	add_role(&c, "write");
	perms_principal(&c, &p);
	cr_expect_eq(p.scopes, 0);
	for (i = 0; i < NRES; i++) {
		cr_expect(!allow(&p, resources[i], PRINCIPAL_ANY, PERM_READ));
		cr_expect(!allow(&p, resources[i], PRINCIPAL_ANY,
		    PERM_WRITE));
	}
}

Test(principal, admin_role_grants_all)
{
	struct token_claims	c;
	struct principal	p;
	size_t			i;
	int			auth;

	for (auth = AUTH_TYPE_API_CLIENT; auth <= AUTH_TYPE_SERVICE; auth++) {
		claims(&c, auth);
		add_role(&c, "read");
		add_role(&c, "admin");
		add_scope(&c, "read:tasks");
		perms_principal(&c, &p);
		cr_expect_eq(p.admin, 1, "auth %d", auth);
		cr_expect_eq(p.scopes, SCOPES_ALL, "auth %d", auth);
		for (i = 0; i < NRES; i++) {
			cr_expect(allow(&p, resources[i], PRINCIPAL_ANY,
			    PERM_READ));
			cr_expect(allow(&p, resources[i], PRINCIPAL_ANY,
			    PERM_WRITE));
		}
	}
}

Test(principal, admin_is_exact)
{
	static const char *notadmin[] = { "Admin", "ADMIN", "admin ",
	    "administrator", "adm", "" };
	struct token_claims	c;
	struct principal	p;
	size_t			i;

	for (i = 0; i < sizeof(notadmin) / sizeof(notadmin[0]); i++) {
		claims(&c, AUTH_TYPE_API_CLIENT);
		add_role(&c, notadmin[i]);
		perms_principal(&c, &p);
		cr_expect_eq(p.admin, 0, "role '%s'", notadmin[i]);
		cr_expect_eq(p.scopes, 0, "role '%s'", notadmin[i]);
	}
}

Test(principal, star_scope)
{
	struct token_claims	c;
	struct principal	p;
	size_t			i;

	claims(&c, AUTH_TYPE_API_CLIENT);
	add_scope(&c, "*");
	perms_principal(&c, &p);
	cr_expect_eq(p.admin, 0);
	for (i = 0; i < NRES; i++) {
		cr_expect(allow(&p, resources[i], PRINCIPAL_ANY, PERM_READ));
		cr_expect(allow(&p, resources[i], PRINCIPAL_ANY, PERM_WRITE));
	}
}

Test(principal, unknown_scopes_ignored)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_API_CLIENT);
	add_scope(&c, "read:users");
	add_scope(&c, "write:*");
	add_scope(&c, "READ:projects");
	add_scope(&c, "read:projects ");
	add_scope(&c, "read:");
	add_scope(&c, "projects");
	perms_principal(&c, &p);
	cr_expect_eq(p.scopes, 0);
}

Test(allow, per_resource_and_action)
{
	struct token_claims	c;
	struct principal	p;
	char			scope[64];
	size_t			i, j;

	/* Each single scope grants exactly one resource and action. */
	for (i = 0; i < NRES; i++) {
		for (j = 0; j < 2; j++) {
			claims(&c, AUTH_TYPE_API_CLIENT);
			(void)snprintf(scope, sizeof(scope), "%s:%s",
			    j ? "write" : "read", resources[i]);
			add_scope(&c, scope);
			perms_principal(&c, &p);
			cr_expect_eq(allow(&p, resources[i], PRINCIPAL_ANY,
			    PERM_READ), j == 0, "%s", scope);
			cr_expect_eq(allow(&p, resources[i], PRINCIPAL_ANY,
			    PERM_WRITE), j == 1, "%s", scope);
			cr_expect(!allow(&p, resources[(i + 1) % NRES],
			    PRINCIPAL_ANY, PERM_READ), "%s", scope);
			cr_expect(!allow(&p, resources[(i + 1) % NRES],
			    PRINCIPAL_ANY, PERM_WRITE), "%s", scope);
		}
	}
}

Test(allow, principal_mask)
{
	struct token_claims	c;
	struct principal	user, client, service;

	claims(&c, AUTH_TYPE_USER);
	perms_principal(&c, &user);
	claims(&c, AUTH_TYPE_API_CLIENT);
	add_role(&c, "admin");
	perms_principal(&c, &client);
	claims(&c, AUTH_TYPE_SERVICE);
	add_role(&c, "admin");
	perms_principal(&c, &service);

	/* A rule that excludes service tokens denies even an admin one. */
	cr_expect(!allow(&service, "projects",
	    PRINCIPAL_USER | PRINCIPAL_API_CLIENT, PERM_READ));
	cr_expect(allow(&client, "projects",
	    PRINCIPAL_USER | PRINCIPAL_API_CLIENT, PERM_READ));
	cr_expect(allow(&user, "projects",
	    PRINCIPAL_USER | PRINCIPAL_API_CLIENT, PERM_READ));

	cr_expect(allow(&user, "tasks", PRINCIPAL_USER, PERM_WRITE));
	cr_expect(!allow(&client, "tasks", PRINCIPAL_USER, PERM_WRITE));
	cr_expect(!allow(&service, "tasks", PRINCIPAL_USER, PERM_WRITE));

	cr_expect(!allow(&user, "tasks", PRINCIPAL_SERVICE, PERM_READ));
	cr_expect(!allow(&client, "tasks", PRINCIPAL_SERVICE, PERM_READ));
	cr_expect(allow(&service, "tasks", PRINCIPAL_SERVICE, PERM_READ));

	cr_expect(!allow(&user, "tasks", 0, PERM_READ));
	cr_expect(!allow(&client, "tasks", 0, PERM_READ));
	cr_expect(!allow(&service, "tasks", 0, PERM_READ));
}

Test(allow, unknown_resource_or_principal)
{
	struct token_claims	c;
	struct principal	p;

	claims(&c, AUTH_TYPE_USER);
	perms_principal(&c, &p);
	cr_expect(!allow(&p, "users", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, NULL, PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "Projects", PRINCIPAL_ANY, PERM_READ));

	/* A principal that was never filled in has no kind: nothing. */
	memset(&p, 0, sizeof(p));
	p.scopes = SCOPES_ALL;
	cr_expect(!allow(&p, "projects", PRINCIPAL_ANY, PERM_READ));
	cr_expect(!allow(&p, "projects", ~0, PERM_READ));
}

Test(scope, bits)
{
	uint32_t	seen, b;
	char		scope[64];
	size_t		i, j;

	seen = 0;
	for (i = 0; i < NRES; i++) {
		for (j = 0; j < 2; j++) {
			(void)snprintf(scope, sizeof(scope), "%s:%s",
			    j ? "write" : "read", resources[i]);
			b = perms_scope_bit(scope);
			cr_expect_neq(b, 0, "%s", scope);
			cr_expect_eq(b & (b - 1), 0, "%s: not one bit", scope);
			cr_expect_eq(seen & b, 0, "%s: bit shared", scope);
			seen |= b;
		}
	}
	cr_expect_eq(perms_scope_bit("*"), SCOPES_ALL);
	cr_expect_eq(perms_scope_bit(""), 0);
	cr_expect_eq(perms_scope_bit("read:*"), 0);
}

Test(scope, valid)
{
	static const char *good[] = {
		"read:projects", "write:projects", "read:tasks", "write:tasks",
		"read:documents", "write:documents", "*",
	};
	static const char *bad[] = {
		"", "read", "read:", "write:", "read:project", "read:users",
		"delete:projects", "READ:projects", "read:Projects",
		" read:tasks", "read:tasks ", "read:tasks,write:tasks",
		"**", "read:*", "write:*", "read: tasks", "admin",
	};
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect(perms_scope_valid(good[i]), "'%s'", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!perms_scope_valid(bad[i]), "'%s'", bad[i]);
}

Test(role, valid)
{
	static const char *good[] = { "read", "write", "admin", "service" };
	static const char *bad[] = { "", "Admin", "ADMIN", "root",
	    "admin ", "superuser", "reader", "*" };
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect(perms_role_valid(good[i]), "'%s'", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!perms_role_valid(bad[i]), "'%s'", bad[i]);
}
