/*
 * The key ring in the database (sql/V007__signing_keys.sql, the api.keyring
 * and api.signing_key_* functions of sql/R__020_auth.sql), synchronously.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "keyset.h"
#include "keystore.h"
#include "log.h"
#include "settings.h"

static int	fetch(PGconn *, const struct settings *, const unsigned char *,
		    struct keyset *, char *, size_t);
static int	bootstrap(PGconn *, const struct settings *,
		    const unsigned char *, char *, size_t);
static const char	*pq_value(void *, int, int);
static int	pq_error(PGconn *, PGresult *, const char *, char *, size_t);

int
keystore_load(PGconn *db, const struct settings *s, const unsigned char *kek,
    struct keyset *set, char *err, size_t errlen)
{
	keyset_init(set, s->jwt_alg);

	if (fetch(db, s, kek, set, err, errlen) == -1)
		return (-1);
	if (set->count == 0 && (bootstrap(db, s, kek, err, errlen) == -1 ||
	    fetch(db, s, kek, set, err, errlen) == -1))
		return (-1);

	if (keyset_current(set) == NULL) {
		keyset_free(set);
		(void)snprintf(err, errlen, "the key ring has no current %s "
		    "key: make one with mtapi-admin keys rotate",
		    settings_alg_name(s->jwt_alg));
		return (-1);
	}

	return (0);
}

int
keystore_add(PGconn *db, const unsigned char *kek, int alg,
    const char *origin, const unsigned char *secret, size_t len,
    const char *public_pem, int first, char *kid, int *added, char *err,
    size_t errlen)
{
	PGresult	*res;
	const char	*p[6];
	char		*sealed;

	*added = 0;
	keyset_kid_new(kid);
	if ((sealed = keyset_seal(kek, alg, kid, secret, len)) == NULL) {
		(void)snprintf(err, errlen, "cannot seal the new key");
		return (-1);
	}

	p[0] = kid;
	p[1] = settings_alg_name(alg);
	p[2] = origin;
	p[3] = sealed;
	p[4] = public_pem;
	p[5] = first ? "true" : "false";
	res = PQexecParams(db, "SELECT api.signing_key_add($1, $2, $3, $4, "
	    "$5, $6)", 6, NULL, p, NULL, NULL, 0);
	free(sealed);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return (pq_error(db, res, "cannot store the new key", err,
		    errlen));

	*added = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);

	return (0);
}

int
keystore_rows(struct keyset *set, const unsigned char *kek, int nrows,
    const char *(*get)(void *, int, int), void *arg, char *err,
    size_t errlen)
{
	const char	*kid;
	char		why[256];
	int		r, rc;

	rc = 0;
	for (r = 0; r < nrows; r++) {
		if (r == 0)
			(void)snprintf(set->version, sizeof(set->version), "%s",
			    get(arg, r, 0));
		kid = get(arg, r, 1);
		if (*kid == '\0')
			continue;
		if (keyset_add_sealed(set, kek, kid, get(arg, r, 2),
		    get(arg, r, 3), get(arg, r, 4), why, sizeof(why)) == -1) {
			/* Keep the others: a retirement must always count. */
			if (rc == 0)
				(void)snprintf(err, errlen, "%s", why);
			rc = -1;
		}
	}

	if (keyset_publish(set) == -1) {
		if (rc == 0)
			(void)snprintf(err, errlen, "cannot publish the "
			    "public keys");
		rc = -1;
	}
	set->loaded = 1;

	return (rc);
}

static int
fetch(PGconn *db, const struct settings *s, const unsigned char *kek,
    struct keyset *set, char *err, size_t errlen)
{
	PGresult	*res;
	const char	*p[1];
	int		rc;

	keyset_free(set);

	p[0] = settings_alg_name(s->jwt_alg);
	res = PQexecParams(db, KEYSTORE_SQL_KEYRING, 1, NULL, p, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return (pq_error(db, res, "cannot read the key ring", err,
		    errlen));

	rc = keystore_rows(set, kek, PQntuples(res), pq_value, res, err,
	    errlen);
	PQclear(res);

	if (rc == -1)
		keyset_free(set);

	return (rc);
}

/* The ring's first key of the configured algorithm. */
static int
bootstrap(PGconn *db, const struct settings *s, const unsigned char *kek,
    char *err, size_t errlen)
{
	unsigned char	*secret;
	char		*public_pem, kid[KEYSET_KID_MAX + 1];
	size_t		len;
	int		imported, added, rc;

	if (keyset_bootstrap_key(s, &secret, &len, &public_pem, &imported,
	    err, errlen) == -1)
		return (-1);

	rc = keystore_add(db, kek, s->jwt_alg, imported ? "imported" :
	    "generated", secret, len, public_pem, 1, kid, &added, err,
	    errlen);

	sodium_memzero(secret, len);
	free(secret);
	free(public_pem);

	if (rc == 0 && added) {
		log_line(LOG_LEVEL_INFO, NULL, "the key ring's first %s key "
		    "is %s (%s)", settings_alg_name(s->jwt_alg), kid, imported ?
		    (s->jwt_alg == SETTINGS_ALG_HS256 ? "JWT_SIGNING_KEY" :
		    "JWT_PRIVATE_KEY_FILE") : "generated");
	}

	return (rc);
}

/* A value of a libpq result, "" for NULL. */
static const char *
pq_value(void *arg, int row, int col)
{
	PGresult	*res = arg;

	if (PQgetisnull(res, row, col))
		return ("");
	return (PQgetvalue(res, row, col));
}

static int
pq_error(PGconn *db, PGresult *res, const char *what, char *err,
    size_t errlen)
{
	const char	*msg;
	size_t		len;

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (msg == NULL)
		msg = PQerrorMessage(db);
	len = strcspn(msg, "\n");
	(void)snprintf(err, errlen, "%s: %.*s", what, (int)len, msg);
	PQclear(res);

	return (-1);
}
