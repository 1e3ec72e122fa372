/*
 * Log lines with level, UTC time, and the tenant a request acted for:
 * text by default, or one JSON object a line (LOG_FORMAT=json) for log
 * collectors. Either way one write a line, and no control character of a
 * client's reaches the output unescaped.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

#define LOG_LINE_MAX	2048
/* Room for a message of control characters, each escaped as \u00XX. */
#define LOG_JSON_MAX	(LOG_LINE_MAX * 6 + 512)

static void	log_write(const char *, size_t);
static size_t	log_json(char *, size_t, json_t *);
static json_t	*log_str(const char *);
static void	log_time(char *, size_t, time_t);

static int	log_level = LOG_LEVEL_INFO;
static int	log_fmt = LOG_FORMAT_TEXT;

static const char *level_names[] = { "DEBUG", "INFO", "WARNING", "ERROR" };

void
log_set_level(int level)
{
	log_level = level;
}

void
log_set_format(int format)
{
	log_fmt = format;
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
	char		msg[LOG_LINE_MAX], line[LOG_JSON_MAX];

	if (!log_enabled(level))
		return;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_fmt == LOG_FORMAT_JSON)
		len = log_format_json(line, sizeof(line), level, time(NULL),
		    tenant, msg);
	else
		len = log_format(line, sizeof(line), level, time(NULL),
		    tenant, msg);
	log_write(line, len);
}

void
log_access(int level, const struct log_access *a)
{
	size_t		len;
	char		msg[LOG_LINE_MAX], line[LOG_JSON_MAX];

	if (!log_enabled(level))
		return;

	if (log_fmt == LOG_FORMAT_JSON) {
		len = log_format_access(line, sizeof(line), level, time(NULL),
		    a);
	} else {
		/* Today's text line, unchanged. */
		(void)snprintf(msg, sizeof(msg), "%s %.200s %d %llums rid=%s",
		    a->method, a->path, a->status, a->latency_ms, a->rid);
		len = log_format(line, sizeof(line), level, time(NULL),
		    a->tenant, msg);
	}
	log_write(line, len);
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

/* {"time","level","tenant","msg"}: tenant null outside a request's. */
size_t
log_format_json(char *buf, size_t size, int level, time_t now,
    const char *tenant, const char *msg)
{
	json_t		*o;
	char		ts[32];

	if (level < LOG_LEVEL_DEBUG || level > LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	log_time(ts, sizeof(ts), now);

	o = json_object();
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "tenant", log_str(tenant));
	json_object_set_new(o, "msg", log_str(msg));

	return (log_json(buf, size, o));
}

/* One request: who, what, how it ended, how long it took. */
size_t
log_format_access(char *buf, size_t size, int level, time_t now,
    const struct log_access *a)
{
	json_t		*o;
	char		ts[32], path[201];

	if (level < LOG_LEVEL_DEBUG || level > LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	log_time(ts, sizeof(ts), now);
	/* As the text line: a client's path is cut at 200 bytes. */
	(void)snprintf(path, sizeof(path), "%s",
	    a->path != NULL ? a->path : "");

	o = json_object();
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "request_id", log_str(a->rid));
	json_object_set_new(o, "tenant", log_str(a->tenant));
	json_object_set_new(o, "principal_kind", log_str(a->kind));
	json_object_set_new(o, "principal_id", log_str(a->subject));
	json_object_set_new(o, "method", log_str(a->method));
	json_object_set_new(o, "route", log_str(a->route));
	json_object_set_new(o, "path", log_str(path));
	json_object_set_new(o, "status", json_integer(a->status));
	json_object_set_new(o, "latency_ms",
	    json_integer((json_int_t)a->latency_ms));

	return (log_json(buf, size, o));
}

/*
 * The object as one line in buf (taking its reference). jansson escapes
 * control characters; a line too long for buf keeps its fields but loses
 * its msg/path text, so that it still parses.
 */
static size_t
log_json(char *buf, size_t size, json_t *o)
{
	size_t		n;

	n = json_dumpb(o, buf, size - 1, JSON_COMPACT);
	if (n == 0 || n > size - 2) {
		if (json_object_get(o, "msg") != NULL)
			json_object_set_new(o, "msg",
			    json_string("(line too long)"));
		if (json_object_get(o, "path") != NULL)
			json_object_set_new(o, "path",
			    json_string("(too long)"));
		n = json_dumpb(o, buf, size - 1, JSON_COMPACT);
		if (n == 0 || n > size - 2)
			n = (size_t)snprintf(buf, size, "{}");
	}
	json_decref(o);

	buf[n++] = '\n';
	buf[n] = '\0';

	return (n);
}

/*
 * A JSON string; NULL or empty as null. Text cut inside a UTF-8 sequence
 * (by the line or path limit) loses that sequence; other bytes that are
 * not UTF-8 become '?' (jansson only writes valid UTF-8).
 */
static json_t *
log_str(const char *s)
{
	json_t		*j;
	char		*copy, *p;
	size_t		len, cut;

	if (s == NULL || *s == '\0')
		return (json_null());
	if ((j = json_string(s)) != NULL)
		return (j);

	len = strlen(s);
	for (cut = 1; cut <= 3 && cut < len; cut++) {
		if ((unsigned char)s[len - cut] < 0x80)
			break;
		if ((j = json_stringn(s, len - cut)) != NULL)
			return (j);
	}

	if ((copy = strdup(s)) == NULL)
		return (json_null());
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);

	return (j != NULL ? j : json_null());
}

static void
log_time(char *buf, size_t size, time_t now)
{
	struct tm	tm;

	(void)gmtime_r(&now, &tm);
	(void)strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One write: lines of several workers never interleave. */
static void
log_write(const char *line, size_t len)
{
	/* A short write would split the line: drop the rest, never retry. */
	if (write(STDOUT_FILENO, line, len) == -1)
		return;
}
