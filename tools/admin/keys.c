/*
 * The signing key ring: keys list, keys rotate, keys retire KID.
 *
 * Running servers pick every change up by themselves within
 * JWT_KEYS_POLL_SECONDS (src/keyring.c); docs/authentication.md has the
 * rotation runbook.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin.h"
#include "core/keystore.h"

#define KEY_FILE_MAX	(64 * 1024)

static unsigned char	*read_key_file(struct admin *, const char *, int,
			    size_t *);

int
cmd_keys_list(struct admin *adm)
{
	PGresult	*res;
	int		i;

	res = admin_exec(adm, "SELECT * FROM api.signing_keys_list()", 0,
	    NULL);
	printf("%-24s %-9s %-9s %-9s %-27s %s\n", "KID", "ALGORITHM", "STATE",
	    "ORIGIN", "CREATED", "RETIRED");
	for (i = 0; i < PQntuples(res); i++) {
		printf("%-24s %-9s %-9s %-9s %-27s %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetisnull(res, i, 5) ? "-" : PQgetvalue(res, i, 5));
	}
	PQclear(res);

	return (0);
}

/* A new current key; the one so far keeps verifying until retired. */
int
cmd_keys_rotate(struct admin *adm)
{
	PGresult	*res;
	const char	*name, *file, *p[1];
	unsigned char	*key, *secret;
	char		*public_pem, kid[KEYSET_KID_MAX + 1], err[512];
	char		previous[KEYSET_KID_MAX + 1];
	size_t		keylen, len;
	int		alg, added, rc;

	name = admin_opt(adm, "algorithm");
	if (admin_flag(adm, "algorithm") && name == NULL)
		admin_fail(adm, "--algorithm needs a value");
	alg = name != NULL ? settings_alg_value(name) : adm->s.jwt_alg;
	if (alg == 0)
		admin_fail(adm, "--algorithm must be HS256, RS256 or ES256");
	admin_kek(adm);

	if ((file = admin_opt(adm, "key-file")) != NULL) {
		key = read_key_file(adm, file, alg, &keylen);
		if (alg == SETTINGS_ALG_HS256 && keylen < SETTINGS_MIN_KEY_LEN)
			admin_fail(adm, "an HS256 key needs at least %d bytes",
			    SETTINGS_MIN_KEY_LEN);
		rc = keyset_import(alg, key, keylen, NULL, &secret, &len,
		    &public_pem, err, sizeof(err));
		sodium_memzero(key, keylen);
		free(key);
		if (rc == -1)
			admin_fail(adm, "--key-file %s: %s", file, err);
	} else if (keyset_generate(alg, &secret, &len, &public_pem) == -1) {
		admin_fail(adm, "cannot make a new %s key",
		    settings_alg_name(alg));
	}

	admin_begin(adm);
	p[0] = settings_alg_name(alg);
	res = admin_exec(adm, "SELECT kid FROM signing_keys "
	    "WHERE algorithm = $1 AND state = 'current'", 1, p);
	(void)snprintf(previous, sizeof(previous), "%s",
	    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);

	rc = keystore_add(adm->db, adm->kek, alg, file != NULL ? "imported" :
	    "generated", secret, len, public_pem, 0, kid, &added, err,
	    sizeof(err));
	sodium_memzero(secret, len);
	free(secret);
	free(public_pem);
	if (rc == -1)
		admin_fail(adm, "%s", err);
	admin_commit(adm);

	if (previous[0] != '\0')
		printf("rotated: %s is the current %s key; %s keeps verifying "
		    "until it is retired\n", kid, settings_alg_name(alg),
		    previous);
	else
		printf("rotated: %s is the current %s key\n", kid,
		    settings_alg_name(alg));

	return (0);
}

/* Tokens signed with KID are refused from the servers' next poll on. */
int
cmd_keys_retire(struct admin *adm)
{
	PGresult	*res;
	const char	*p[1], *why;

	p[0] = adm->arg;
	res = admin_exec(adm, "SELECT api.signing_key_retire($1)", 1, p);
	why = PQgetvalue(res, 0, 0);

	if (!strcmp(why, "unknown"))
		admin_fail(adm, "no signing key %s", adm->arg);
	if (!strcmp(why, "current"))
		admin_fail(adm, "%s is the current key: rotate first, then "
		    "retire it once its tokens have expired", adm->arg);
	if (!strcmp(why, "already"))
		admin_fail(adm, "%s is retired already", adm->arg);
	PQclear(res);

	printf("retired: %s; servers refuse its tokens within %ld seconds "
	    "(JWT_KEYS_POLL_SECONDS)\n", adm->arg, adm->s.keys_poll_seconds);

	return (0);
}

/* An HS256 secret (one line) or a PEM private key. */
static unsigned char *
read_key_file(struct admin *adm, const char *path, int alg, size_t *len)
{
	unsigned char	*buf;
	ssize_t		r;
	size_t		off;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		admin_fail(adm, "cannot read %s: %s", path, strerror(errno));
	if ((buf = malloc(KEY_FILE_MAX + 1)) == NULL)
		admin_fail(adm, "out of memory");

	off = 0;
	while (off < KEY_FILE_MAX) {
		r = read(fd, buf + off, KEY_FILE_MAX - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			admin_fail(adm, "cannot read %s: %s", path,
			    strerror(errno));
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);

	if (off == KEY_FILE_MAX)
		admin_fail(adm, "%s is too large for a key", path);
	while (alg == SETTINGS_ALG_HS256 && off > 0 &&
	    (buf[off - 1] == '\n' || buf[off - 1] == '\r'))
		off--;
	if (off == 0)
		admin_fail(adm, "%s is empty", path);

	buf[off] = '\0';
	*len = off;

	return (buf);
}
