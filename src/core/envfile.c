/*
 * The .env reader: NAME=value lines into the environment, as Django
 * projects read them with django-environ. A variable already set in the
 * environment wins over the file.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"

static int	envfile_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int
envfile_read(const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	size_t		len;
	int		lineno;
	char		line[4096], *p, *key, *val, *end;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		return (envfile_error(err, errlen, "cannot read %s: %s", path,
		    strerror(errno)));
	}

	lineno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			fclose(fp);
			return (envfile_error(err, errlen, "%s:%d: line too long",
			    path, lineno));
		}
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';

		p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (!strncmp(p, "export ", 7))
			p += 7;

		if ((val = strchr(p, '=')) == NULL) {
			fclose(fp);
			return (envfile_error(err, errlen, "%s:%d: expected "
			    "NAME=value", path, lineno));
		}
		*val++ = '\0';
		key = p;
		for (end = key + strlen(key); end > key &&
		    isspace((unsigned char)end[-1]); end--)
			*(end - 1) = '\0';
		while (isspace((unsigned char)*val))
			val++;

		len = strlen(val);
		if (len >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[len - 1] == val[0]) {
			val[len - 1] = '\0';
			val++;
		}

		if (*key == '\0')
			continue;
		if (setenv(key, val, 0) == -1) {
			fclose(fp);
			return (envfile_error(err, errlen, "%s:%d: %s", path,
			    lineno, strerror(errno)));
		}
	}

	explicit_bzero(line, sizeof(line));
	fclose(fp);
	return (0);
}

static int
envfile_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list		ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}

	return (-1);
}
