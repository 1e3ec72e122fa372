/*
 * Users: create-user (the password from stdin or a prompt, never from the
 * command line, where other users could read it) and add-member.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "admin.h"
#include "core/secret.h"

static void	read_password(struct admin *, const char *, char *, size_t);

int
cmd_create_user(struct admin *adm)
{
	PGresult	*res;
	const char	*username, *p[2];
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
	if (strlen(pw) < 8)
		admin_fail(adm, "the password must be at least 8 characters");

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
