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
	int			on_slot;	/* on a db.c slot: no turns */
	u_int64_t		started;
	void			(*on_result)(struct kore_pgsql *, void *);
	void			(*on_done)(int, void *);
	void			*arg;
};

/*
 * Must bq wait: its statement in flight, or, for the worker's own
 * statements, another's turn (one in flight, or the first turned away,
 * which goes next)? One stuck for long is abandoned: on_done is told it
 * failed.
 */
int	bgquery_busy(struct bgquery *);

/*
 * Send sql with one text parameter; 0 if sent, -1 if not (retry later).
 * The worker's own statements (all but on_slot ones) take turns, one in
 * flight at a time: src/db.c keeps one connection back for them.
 */
int	bgquery_start(struct bgquery *, const char *, const char *);

#endif
