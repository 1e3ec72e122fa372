/*
 * Who may do what: the principal a verified access token describes, and
 * the one permission rule every route declares (DRF's permission classes
 * in one place). No Kore dependency.
 */

#ifndef MTAPI_PERMS_H
#define MTAPI_PERMS_H

#include <stdint.h>

#include "token.h"

#define PERM_READ		1	/* GET, HEAD */
#define PERM_WRITE		2	/* POST, PUT, PATCH, DELETE */

/* Which kinds of principal a route accepts. */
#define PRINCIPAL_USER		(1 << AUTH_TYPE_USER)
#define PRINCIPAL_API_CLIENT	(1 << AUTH_TYPE_API_CLIENT)
#define PRINCIPAL_SERVICE	(1 << AUTH_TYPE_SERVICE)
#define PRINCIPAL_ANY		(PRINCIPAL_USER | PRINCIPAL_API_CLIENT | \
				    PRINCIPAL_SERVICE)

#define SCOPES_ALL		0xffffffffu

struct principal {
	int		auth_type;
	char		tenant[TOKEN_UUID_LEN + 1];
	char		tenant_slug[TOKEN_SLUG_LEN];
	/* user id, client id, service */
	char		subject[TOKEN_SUB_LEN];
	/* the login of a user or API client; a service token's own jti */
	char		sid[TOKEN_UUID_LEN + 1];
	int		admin;
	uint32_t	scopes;
};

/* The permission a route declares. */
struct perm_rule {
	const char	*resource;	/* "projects", "tasks", "documents" */
	int		principals;	/* PRINCIPAL_* mask */
};

void		perms_principal(const struct token_claims *,
		    struct principal *);
int		perms_allow(const struct principal *, const struct perm_rule *,
		    int);
uint32_t	perms_scope_bit(const char *);
int		perms_scope_valid(const char *);
int		perms_role_valid(const char *);

#endif
