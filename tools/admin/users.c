/*
 * Users: create-user (the password from stdin or a prompt, never from the
 * command line, where other users could read it; checked by the policy of
 * password.c), set-user-active, add-member and remove-member.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <strings.h>

#include "admin.h"
#include "core/secret.h"

static void	read_password(struct admin *, const char *, char *, size_t);
static void	revoke_logins(struct admin *, const char *, const char *,
		    const char *);

int
cmd_create_user(struct admin *adm)
{
	PGresult	*res;
	const char	*username, *why, *p[2];
	char		pw[SECRET_PASSWORD_MAX], again[SECRET_PASSWORD_MAX];
	char		hash[SECRET_HASH_LEN];

	username = admin_opt_required(adm, "username");
	if (strlen(username) > 150)
		admin_fail(adm, "--username must be at most 150 characters");

	read_password(adm, "Password: ", pw, sizeof(pw));
	if (isatty(STDIN_FILENO)) {
		read_password(adm, "Password (again): ", again, sizeof(again));
		if (strcmp(pw, again))
			admin_fail(adm, "the passwords do not match");
		sodium_memzero(again, sizeof(again));
	}
	if ((why = admin_password_problem(pw, username)) != NULL) {
		sodium_memzero(pw, sizeof(pw));
		admin_fail(adm, "%s", why);
	}

	if (secret_password_hash(pw, hash) == -1)
		admin_fail(adm, "password hashing failed (out of memory?)");
	sodium_memzero(pw, sizeof(pw));

	p[0] = username;
	p[1] = hash;
	res = admin_exec(adm, "INSERT INTO users (username, password_hash) "
	    "VALUES ($1, $2) ON CONFLICT (username) DO NOTHING RETURNING id",
	    2, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "a user named '%s' already exists", username);

	printf("created user %s (id %s)\n", username, PQgetvalue(res, 0, 0));
	PQclear(res);

	return (0);
}

int
cmd_add_member(struct admin *adm)
{
	PGresult	*res;
	const char	*user, *slug, *role, *p[3];
	char		tenant[TOKEN_UUID_LEN + 1];

	user = admin_opt_required(adm, "user");
	slug = admin_opt_required(adm, "tenant");
	role = admin_opt(adm, "role");
	if (role == NULL)
		role = "member";
	if (strcmp(role, "owner") && strcmp(role, "admin") &&
	    strcmp(role, "member") && strcmp(role, "viewer"))
		admin_fail(adm, "--role must be owner, admin, member "
		    "or viewer");

	admin_tenant_id(adm, slug, tenant);

	p[0] = tenant;
	p[1] = user;
	p[2] = role;
	res = admin_exec(adm, "INSERT INTO memberships "
	    "(tenant_id, user_id, role) "
	    "SELECT $1, u.id, $3 FROM users u WHERE u.username = $2 "
	    "ON CONFLICT (tenant_id, user_id) "
	    "DO UPDATE SET role = excluded.role "
	    "RETURNING user_id", 3, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown user '%s'", user);

	printf("user %s is a %s of %s\n", user, role, slug);
	PQclear(res);

	return (0);
}

int
cmd_set_user_active(struct admin *adm)
{
	PGresult	*res;
	const char	*user, *active, *p[2];

	user = admin_opt_required(adm, "user");
	active = admin_opt_required(adm, "active");

	if (!strcasecmp(active, "yes") || !strcasecmp(active, "true"))
		p[1] = "true";
	else if (!strcasecmp(active, "no") || !strcasecmp(active, "false"))
		p[1] = "false";
	else
		admin_fail(adm, "--active must be yes or no");
	p[0] = user;

	admin_begin(adm);
	res = admin_exec(adm, "UPDATE users SET is_active = $2, "
	    "updated_at = now() WHERE username = $1 RETURNING id", 2, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown user '%s'", user);

	/*
	 * Requests stop at once (the principal check reads is_active); the
	 * logins end too, so reactivating does not revive old tokens.
	 */
	if (p[1][0] == 'f')
		revoke_logins(adm, PQgetvalue(res, 0, 0), NULL,
		    "user deactivated");
	PQclear(res);
	admin_commit(adm);

	printf("user %s is now %s\n", user,
	    p[1][0] == 't' ? "active" : "inactive");

	return (0);
}

int
cmd_remove_member(struct admin *adm)
{
	PGresult	*ures, *res;
	const char	*user, *slug, *p[2];
	char		tenant[TOKEN_UUID_LEN + 1];

	user = admin_opt_required(adm, "user");
	slug = admin_opt_required(adm, "tenant");

	admin_begin(adm);
	admin_tenant_id(adm, slug, tenant);

	p[0] = user;
	ures = admin_exec(adm, "SELECT id FROM users WHERE username = $1",
	    1, p);
	if (PQntuples(ures) != 1)
		admin_fail(adm, "unknown user '%s'", user);
	p[0] = tenant;
	p[1] = PQgetvalue(ures, 0, 0);

	res = admin_exec(adm, "DELETE FROM memberships WHERE tenant_id = $1 "
	    "AND user_id = $2 RETURNING user_id", 2, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "user %s is not a member of %s", user, slug);

	/* Its logins to this tenant end with the membership. */
	revoke_logins(adm, p[1], tenant, "membership removed");
	PQclear(res);
	PQclear(ures);
	admin_commit(adm);

	printf("user %s is no longer a member of %s\n", user, slug);

	return (0);
}

/* End a user's open logins (to one tenant, or to all when NULL). */
static void
revoke_logins(struct admin *adm, const char *user_id, const char *tenant,
    const char *reason)
{
	const char	*p[3];

	p[0] = user_id;
	p[1] = tenant;
	p[2] = reason;
	PQclear(admin_exec(adm, "UPDATE auth_sessions SET revoked_at = now(), "
	    "revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL "
	    "AND ($2::uuid IS NULL OR tenant_id = $2::uuid)", 3, p));
}

/* One line from stdin; with a terminal, prompt and do not echo. */
static void
read_password(struct admin *adm, const char *prompt, char *buf, size_t len)
{
	struct termios	old, quiet;
	int		tty;
	size_t		n;

	tty = isatty(STDIN_FILENO);
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			admin_fail(adm, "tcgetattr: %s", strerror(errno));
		quiet = old;
		quiet.c_lflag &= ~ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}

	if (fgets(buf, len, stdin) == NULL)
		buf[0] = '\0';

	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}

	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n')
		admin_fail(adm, "the password is too long");
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0)
		admin_fail(adm, "no password given (on stdin or at the "
		    "prompt)");
}
