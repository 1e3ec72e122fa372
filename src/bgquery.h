/*
 * A statement run on Kore's async pgsql for the worker itself, not for a
 * request: the rate limit sync, the usage log flush, the key ring, and
 * (on a request slot src/db.c holds for it) a batch of creates.
 */

#ifndef MTAPI_BGQUERY_H
#define MTAPI_BGQUERY_H

#include <kore/kore.h>
#include <kore/pgsql.h>

struct bgquery {
	const char		*name;
	struct kore_pgsql	sql;
	int			busy;
	int			failed;
	int			unavailable;	/* it failed for the database */
	int			on_slot;	/* a batch, on a request slot */
	u_int64_t		started;
	void			(*on_result)(struct kore_pgsql *, void *);
	void			(*on_done)(int, void *);
	void			*arg;
};

/*
 * Is a statement in flight? One stuck for long is abandoned: on_done is
 * told it failed.
 */
int	bgquery_busy(struct bgquery *);

/*
 * Send sql with one text parameter; 0 if sent, -1 if not (retry later).
 * The worker's own statements (all but on_slot ones) go one at a time:
 * they share the one connection src/db.c keeps back from requests.
 */
int	bgquery_start(struct bgquery *, const char *, const char *);

#endif
