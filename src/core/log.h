/*
 * Log lines: "LEVEL YYYY-MM-DD HH:MM:SS [tenant:slug] message", one write
 * per line so that lines from several workers never interleave. Control
 * characters are replaced, so a client cannot forge a line.
 */

#ifndef MTAPI_LOG_H
#define MTAPI_LOG_H

#include <stddef.h>
#include <time.h>

#include "settings.h"

void	log_set_level(int);
int	log_enabled(int);
void	log_line(int, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Format one line into buf (for tests); returns its length. */
size_t	log_format(char *, size_t, int, time_t, const char *, const char *);

#endif
