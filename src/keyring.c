/*
 * The signing key ring, kept current in each worker.
 *
 * The parent read the ring before the workers forked (src/init.c). Every
 * JWT_KEYS_POLL_SECONDS each worker reads the configured algorithm's keys
 * again in a background statement (api.keyring, sql/R__020_auth.sql);
 * when their version changed (a key added, rotated or retired), it
 * builds the new set, swaps it in and counts a new generation. The
 * verified-token cache of src/auth.c remembers the generation a token
 * was verified under, so a token of a retired key is refused from the
 * first request after the poll that saw the retirement.
 *
 * The bound: a key retired at time t signs nothing after t, and its
 * tokens pass until t + JWT_KEYS_POLL_SECONDS + one statement's time,
 * plus the wait for its turn among the worker's own statements (one
 * other statement's time: the first turned away goes next,
 * src/bgquery.c); a tick that finds no connection free tries again
 * KEYRING_TICK_MS later. While the database is down the worker
 * keeps the ring it has, but nothing is served then: every request's
 * principal is checked in the database.
 */

#include <libpq-fe.h>

#include "mtapi.h"
#include "bgquery.h"
#include "core/keystore.h"

#define KEYRING_TICK_MS		250
/* Until the ring is first read (the database was down at start). */
#define KEYRING_RETRY_MS	1000

static struct bgquery	kr_query;
static u_int64_t	kr_generation = 1;
static u_int64_t	kr_last_sent;

static void		kr_rows(struct kore_pgsql *, void *);
static const char	*kr_value(void *, int, int);

void
keyring_init(void)
{
	kr_query.name = "key ring poll";
	kr_query.on_result = kr_rows;

	if (app.ring.loaded)
		kr_last_sent = kore_time_ms();

	kore_timer_add(keyring_poll, KEYRING_TICK_MS, NULL, 0);
}

void
keyring_poll(void *unused, u_int64_t now)
{
	u_int64_t	every;

	if (bgquery_busy(&kr_query))
		return;

	every = app.ring.loaded ? (u_int64_t)app.s.keys_poll_seconds * 1000 :
	    KEYRING_RETRY_MS;
	if (kr_last_sent != 0 && now - kr_last_sent < every)
		return;

	if (bgquery_start(&kr_query, KEYSTORE_SQL_KEYRING,
	    settings_alg_name(app.s.jwt_alg)) == 0)
		kr_last_sent = now;
}

/* Can tokens be verified (the ring was read at least once)? */
int
keyring_ready(void)
{
	return (app.ring.loaded);
}

/* Changes whenever the ring does. */
u_int64_t
keyring_generation(void)
{
	return (kr_generation);
}

static void
kr_rows(struct kore_pgsql *sql, void *arg)
{
	const struct keyset_key	*cur;
	struct keyset		next;
	char			err[256];
	int			rows;

	rows = kore_pgsql_ntuples(sql);
	if (rows < 1)
		return;
	if (app.ring.loaded &&
	    !strcmp(kr_value(sql->result, 0, 0), app.ring.version))
		return;

	keyset_init(&next, app.s.jwt_alg);
	if (keystore_rows(&next, app.kek, rows, kr_value, sql->result, err,
	    sizeof(err)) == -1)
		log_line(LOG_LEVEL_ERROR, NULL, "key ring: %s", err);

	keyset_free(&app.ring);
	app.ring = next;
	kr_generation++;

	cur = keyset_current(&app.ring);
	log_line(LOG_LEVEL_INFO, NULL, "key ring: %zu %s key(s), current %s",
	    app.ring.count, settings_alg_name(app.s.jwt_alg),
	    cur != NULL ? cur->kid : "none");
}

static const char *
kr_value(void *arg, int row, int col)
{
	PGresult	*res = arg;

	if (PQgetisnull(res, row, col))
		return ("");
	return (PQgetvalue(res, row, col));
}
