/*
 * mtapi-admin, the operator command: migrations, tenants, users, API
 * clients, service tokens, test data, usage reports. Synchronous libpq;
 * every command runs in one transaction, so a failure leaves nothing
 * half-written.
 */

#ifndef MTAPI_ADMIN_H
#define MTAPI_ADMIN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "core/settings.h"
#include "core/token.h"

struct admin {
	struct settings		s;
	struct token_keys	keys;
	PGconn			*db;
	int			argc;
	char			**argv;
};

struct migration {
	const char	*name;
	const char	*sql;
};

extern const struct migration	migrations[];
extern const size_t		migrations_count;

/* Print "mtapi-admin: msg" on stderr and exit 1 (rolling back). */
void	admin_fail(struct admin *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	admin_usage(const char *) __attribute__((noreturn));

void	admin_connect(struct admin *);
void	admin_begin(struct admin *);
void	admin_commit(struct admin *);
PGresult	*admin_exec(struct admin *, const char *, int, const char **);
void	admin_progress(const char *, size_t, size_t);

/* Option parsing: --name value pairs after the command. */
const char	*admin_opt(struct admin *, const char *);
const char	*admin_opt_required(struct admin *, const char *);
int		admin_flag(struct admin *, const char *);
long		admin_opt_long(struct admin *, const char *, long, long, long);
char		*admin_list_json(struct admin *, const char *, const char *,
		    int (*)(const char *));
void		admin_tenant_id(struct admin *, const char *, char *);
/* Rows (the first max, -1: all) as a table, tab-separated or --json. */
void		admin_print_result(struct admin *, PGresult *, int);

/* create-user's policy: NULL when pw may be used, else why not. */
#define ADMIN_PASSWORD_MIN	10
const char	*admin_password_problem(const char *, const char *);

int	cmd_migrate(struct admin *);
int	cmd_create_tenant(struct admin *);
int	cmd_set_tenant_active(struct admin *);
int	cmd_set_rate_limit(struct admin *);
int	cmd_create_user(struct admin *);
int	cmd_add_member(struct admin *);
int	cmd_remove_member(struct admin *);
int	cmd_set_user_active(struct admin *);
int	cmd_list_tenants(struct admin *);
int	cmd_list_users(struct admin *);
int	cmd_list_api_clients(struct admin *);
int	cmd_create_api_client(struct admin *);
int	cmd_revoke_api_client(struct admin *);
int	cmd_create_service_token(struct admin *);
int	cmd_revoke_service_token(struct admin *);
int	cmd_create_test_data(struct admin *);
int	cmd_usage(struct admin *);
int	cmd_audit(struct admin *);
int	cmd_audit_prune(struct admin *);

#endif
