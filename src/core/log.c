/*
 * Log lines with level, UTC time, and the tenant a request acted for.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static int	log_level = LOG_LEVEL_INFO;

static const char *level_names[] = { "DEBUG", "INFO", "WARNING", "ERROR" };

void
log_set_level(int level)
{
	log_level = level;
}

int
log_enabled(int level)
{
	return (level >= log_level);
}

void
log_line(int level, const char *tenant, const char *fmt, ...)
{
	va_list		ap;
	size_t		len;
	ssize_t		w;
	char		msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];

	if (!log_enabled(level))
		return;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	len = log_format(line, sizeof(line), level, time(NULL), tenant, msg);
	for (;;) {
		w = write(STDOUT_FILENO, line, len);
		if (w == -1)
			break;
		if ((size_t)w == len)
			break;
		/* A short write would split the line: stop rather than mix. */
		break;
	}
}

size_t
log_format(char *buf, size_t size, int level, time_t now, const char *tenant,
    const char *msg)
{
	struct tm	tm;
	size_t		len, i;
	int		n;

	if (level < LOG_LEVEL_DEBUG || level > LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (tenant == NULL || *tenant == '\0')
		tenant = "-";

	(void)gmtime_r(&now, &tm);
	n = snprintf(buf, size, "%s %04d-%02d-%02d %02d:%02d:%02d "
	    "[tenant:%s] ", level_names[level], tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tenant);
	if (n < 0 || (size_t)n >= size - 1)
		n = 0;
	len = (size_t)n;

	for (i = 0; msg[i] != '\0' && len < size - 2; i++) {
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			buf[len++] = '?';
		else
			buf[len++] = msg[i];
	}

	/* Sanitize the header part too: tenant slugs come from tokens. */
	for (i = 0; i < (size_t)n; i++) {
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	}

	buf[len++] = '\n';
	buf[len] = '\0';

	return (len);
}
