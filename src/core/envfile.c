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

/* The longest line, in bytes, newline aside. */
#define ENVFILE_LINE_MAX	4094

static int	envfile_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int
envfile_read(const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	ssize_t		n;
	size_t		cap, len;
	int		lineno, rc;
	char		*line, *p, *key, *val, *end;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		return (envfile_error(err, errlen, "cannot read %s: %s", path,
		    strerror(errno)));
	}

	rc = 0;
	line = NULL;
	cap = 0;
	lineno = 0;
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len - (line[len - 1] == '\n') > ENVFILE_LINE_MAX) {
			rc = envfile_error(err, errlen, "%s:%d: line too long",
			    path, lineno);
			break;
		}
		/* The text after a NUL would be lost, or read as a line. */
		if (strlen(line) != len) {
			rc = envfile_error(err, errlen, "%s:%d: NUL byte",
			    path, lineno);
			break;
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
			rc = envfile_error(err, errlen, "%s:%d: expected "
			    "NAME=value", path, lineno);
			break;
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
			rc = envfile_error(err, errlen, "%s:%d: %s", path,
			    lineno, strerror(errno));
			break;
		}
	}
	if (rc == 0 && ferror(fp))
		rc = envfile_error(err, errlen, "cannot read %s", path);

	/* Lines hold secrets. */
	if (line != NULL) {
		explicit_bzero(line, cap);
		free(line);
	}
	fclose(fp);
	return (rc);
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
