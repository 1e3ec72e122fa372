/*
 * A statement run on Kore's async pgsql for the worker itself, not for a
 * request: the rate limit sync and the usage log flush.
 */

#ifndef MTAPI_BGQUERY_H
#define MTAPI_BGQUERY_H

#include <kore/kore.h>
#include <kore/pgsql.h>

struct bg_query {
	const char		*name;
	struct kore_pgsql	sql;
	int			busy;
	int			failed;
	u_int64_t		started;
	void			(*on_result)(struct kore_pgsql *, void *);
	void			(*on_done)(int, void *);
	void			*arg;
};

/* Is a statement in flight? (One stuck for long is abandoned.) */
int	bg_query_busy(struct bg_query *);

/* Send sql with one text parameter; 0 if sent, -1 if not (retry later). */
int	bg_query_start(struct bg_query *, const char *, const char *);

#endif
