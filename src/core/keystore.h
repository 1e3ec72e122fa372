/*
 * The key ring in the database, read synchronously through libpq: by the
 * server's parent process before the workers fork, and by the operator
 * command. (Workers poll it over Kore's async pgsql: src/keyring.c.)
 */

#ifndef MTAPI_KEYSTORE_H
#define MTAPI_KEYSTORE_H

#include <stddef.h>

#include <libpq-fe.h>

struct keyset;
struct settings;

#define KEYSTORE_SQL_KEYRING	"SELECT * FROM api.keyring($1)"

/*
 * Fill set with the configured algorithm's keys. A setup whose ring has
 * no key of that algorithm yet gets one first (keyset_bootstrap_key:
 * the configured key, or a fresh one). -1 with a reason in err.
 */
int	keystore_load(PGconn *, const struct settings *, const unsigned char *,
	    struct keyset *, char *, size_t);

/*
 * A new current key of alg (the one so far keeps verifying): secret and
 * public PEM as keyset_generate() or keyset_import() made them. The new
 * kid is written to kid. first: only if alg has no key at all (*added
 * says whether it was). -1 with a reason.
 */
int	keystore_add(PGconn *, const unsigned char *, int, const char *,
	    const unsigned char *, size_t, const char *, int, char *, int *,
	    char *, size_t);

/* The rows of api.keyring() into set (version, kid, state, secret, pem). */
int	keystore_rows(struct keyset *, const unsigned char *, int,
	    const char *(*)(void *, int, int), void *, char *, size_t);

#endif
