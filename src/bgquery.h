/*
 * A statement run on Kore's async pgsql for the worker itself, not for a
 * request: the rate limit sync and the usage log flush.
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

/* Send sql with one text parameter; 0 if sent, -1 if not (retry later). */
int	bgquery_start(struct bgquery *, const char *, const char *);

#endif
