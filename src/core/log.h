/*
 * Log lines, one write per line so that lines from several workers never
 * interleave. Text (the default): "LEVEL YYYY-MM-DD HH:MM:SS
 * [tenant:slug] message", control characters replaced, so a client cannot
 * forge a line. JSON (LOG_FORMAT=json): one object a line, the access
 * line with the request's fields, the others {"time", "level", "tenant",
 * "msg"}; control characters escaped by jansson.
 */

#ifndef MTAPI_LOG_H
#define MTAPI_LOG_H

#include <stddef.h>
#include <time.h>

#include "settings.h"

/* One answered request, for the access line. NULL members: unknown. */
struct log_access {
	const char		*rid;
	const char		*tenant;	/* slug */
	const char		*kind;		/* user, api_client, service */
	const char		*subject;	/* user id, client id, service */
	const char		*method;
	const char		*route;		/* the route's pattern */
	const char		*path;
	int			status;
	unsigned long long	latency_ms;
};

void	log_set_level(int);
void	log_set_format(int);
int	log_enabled(int);
void	log_line(int, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_access(int, const struct log_access *);

/* Format one line into buf (for tests); return its length. */
size_t	log_format(char *, size_t, int, time_t, const char *, const char *);
size_t	log_format_json(char *, size_t, int, time_t, const char *,
	    const char *);
size_t	log_format_access(char *, size_t, int, time_t,
	    const struct log_access *);

#endif
