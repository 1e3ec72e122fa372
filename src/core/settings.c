/*
 * Settings from the environment and an optional .env file.
 *
 * Names and defaults follow the Django + simplejwt service this replaces:
 * JWT_SIGNING_KEY falls back to SECRET_KEY, access tokens live 5 minutes,
 * refresh tokens 1 day, and an empty ALLOWED_HOSTS with DEBUG on means the
 * loopback names.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "envfile.h"
#include "settings.h"

#define KEYFILE_MAX	(64 * 1024)

static int	set_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	key_published(const char *);
static int	parse_bool(const char *, int, int *);
static int	parse_long(const char *, long, long, long, long *);
static int	parse_list(const char *, char **, size_t *);
static char	*env_dup(const char *, const char *);
static char	*read_keyfile(const char *, char *, size_t);
static int	parse_proxies(struct settings *, char *, size_t);
static char	*build_conninfo(const char *, const char *);
static void	conninfo_add(char **, size_t *, size_t *, const char *,
		    const char *);

int
settings_load(struct settings *s, const char *envfile, char *err,
    size_t errlen)
{
	const char	*v;

	memset(s, 0, sizeof(*s));

	if (envfile != NULL &&
	    envfile_read(envfile, err, errlen) == -1)
		return (-1);

	if (parse_bool("DEBUG", 0, &s->debug) == -1) {
		set_error(err, errlen, "DEBUG must be True or False");
		goto fail;
	}

	v = getenv("JWT_ALGORITHM");
	if (v == NULL || *v == '\0' || !strcmp(v, "HS256")) {
		s->jwt_alg = SETTINGS_ALG_HS256;
	} else if (!strcmp(v, "RS256")) {
		s->jwt_alg = SETTINGS_ALG_RS256;
	} else {
		set_error(err, errlen,
		    "JWT_ALGORITHM must be HS256 or RS256, not '%s'", v);
		goto fail;
	}

	s->secret_key = env_dup("SECRET_KEY", NULL);
	s->jwt_signing_key = env_dup("JWT_SIGNING_KEY", NULL);
	if (s->jwt_signing_key == NULL && s->secret_key != NULL)
		s->jwt_signing_key = strdup(s->secret_key);

	/* No built-in key, DEBUG or not: one in the source signs for anyone. */
	if (s->jwt_alg == SETTINGS_ALG_HS256) {
		if (s->jwt_signing_key == NULL) {
			set_error(err, errlen, "no JWT signing key: set "
			    "JWT_SIGNING_KEY (or SECRET_KEY); "
			    "tools/dev/keys.sh writes a .env with one");
			goto fail;
		}
		if (key_published(s->jwt_signing_key)) {
			set_error(err, errlen, "the JWT signing key is a "
			    "published default: set a random one");
			goto fail;
		}
	}

	s->jwt_private_key_file = env_dup("JWT_PRIVATE_KEY_FILE", NULL);
	s->jwt_public_key_file = env_dup("JWT_PUBLIC_KEY_FILE", NULL);

	if (s->jwt_alg == SETTINGS_ALG_RS256) {
		if (s->jwt_private_key_file == NULL ||
		    s->jwt_public_key_file == NULL) {
			set_error(err, errlen, "JWT_ALGORITHM=RS256 needs "
			    "JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE");
			goto fail;
		}
		s->jwt_private_pem = read_keyfile(s->jwt_private_key_file,
		    err, errlen);
		if (s->jwt_private_pem == NULL)
			goto fail;
		s->jwt_public_pem = read_keyfile(s->jwt_public_key_file,
		    err, errlen);
		if (s->jwt_public_pem == NULL)
			goto fail;
	}

	if (parse_long("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", 5, 1, 60 * 24 * 365,
	    &s->access_minutes) == -1) {
		set_error(err, errlen, "JWT_ACCESS_TOKEN_LIFETIME_MINUTES must "
		    "be a whole number of minutes (1 to 525600)");
		goto fail;
	}
	if (parse_long("JWT_REFRESH_TOKEN_LIFETIME_DAYS", 1, 1, 3650,
	    &s->refresh_days) == -1) {
		set_error(err, errlen, "JWT_REFRESH_TOKEN_LIFETIME_DAYS must "
		    "be a whole number of days (1 to 3650)");
		goto fail;
	}

	s->issuer = env_dup("JWT_ISSUER", "mtapi");
	s->audience = env_dup("JWT_AUDIENCE", "mtapi");

	if ((s->db_conninfo = build_conninfo(getenv("DB_HOST"),
	    getenv("DB_PORT"))) == NULL) {
		set_error(err, errlen, "out of memory building DB settings");
		goto fail;
	}
	v = getenv("DATABASE_LISTEN_URL");
	if (v != NULL && *v != '\0')
		s->db_listen_conninfo = strdup(v);
	else if (getenv("DB_LISTEN_HOST") != NULL ||
	    getenv("DB_LISTEN_PORT") != NULL)
		s->db_listen_conninfo = build_conninfo(getenv("DB_LISTEN_HOST") ?
		    getenv("DB_LISTEN_HOST") : getenv("DB_HOST"),
		    getenv("DB_LISTEN_PORT") ? getenv("DB_LISTEN_PORT") :
		    getenv("DB_PORT"));
	else
		s->db_listen_conninfo = strdup(s->db_conninfo);
	if (s->db_listen_conninfo == NULL) {
		set_error(err, errlen, "out of memory building DB settings");
		goto fail;
	}

	if (parse_list("ALLOWED_HOSTS", s->allowed_hosts,
	    &s->allowed_hosts_count) == -1 ||
	    parse_list("CORS_ALLOWED_ORIGINS", s->cors_origins,
	    &s->cors_origins_count) == -1) {
		set_error(err, errlen, "ALLOWED_HOSTS and CORS_ALLOWED_ORIGINS "
		    "take at most %d comma-separated entries",
		    SETTINGS_LIST_MAX);
		goto fail;
	}
	if (s->allowed_hosts_count == 0 && s->debug) {
		s->allowed_hosts[0] = strdup("localhost");
		s->allowed_hosts[1] = strdup("127.0.0.1");
		s->allowed_hosts[2] = strdup("[::1]");
		s->allowed_hosts_count = 3;
	}

	v = getenv("LOG_LEVEL");
	if (v == NULL || *v == '\0' || !strcasecmp(v, "INFO"))
		s->log_level = LOG_LEVEL_INFO;
	else if (!strcasecmp(v, "DEBUG"))
		s->log_level = LOG_LEVEL_DEBUG;
	else if (!strcasecmp(v, "WARNING") || !strcasecmp(v, "WARN"))
		s->log_level = LOG_LEVEL_WARNING;
	else if (!strcasecmp(v, "ERROR"))
		s->log_level = LOG_LEVEL_ERROR;
	else {
		set_error(err, errlen,
		    "LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR");
		goto fail;
	}

	v = getenv("LOG_FORMAT");
	if (v == NULL || *v == '\0' || !strcasecmp(v, "text"))
		s->log_format = LOG_FORMAT_TEXT;
	else if (!strcasecmp(v, "json"))
		s->log_format = LOG_FORMAT_JSON;
	else {
		set_error(err, errlen, "LOG_FORMAT must be text or json");
		goto fail;
	}

	if (parse_long("MAX_BODY_BYTES", 1024 * 1024, 1024, 8 * 1024 * 1024,
	    &s->max_body) == -1) {
		set_error(err, errlen,
		    "MAX_BODY_BYTES must be between 1024 and 8388608");
		goto fail;
	}
	if (parse_long("RATE_LIMIT_DEFAULT_PER_MINUTE", 600, 1, 100000000,
	    &s->rate_limit_default) == -1) {
		set_error(err, errlen,
		    "RATE_LIMIT_DEFAULT_PER_MINUTE must be a positive number");
		goto fail;
	}
	if (parse_long("TLS_RELOAD_SECONDS", 30, 1, 86400,
	    &s->tls_reload_seconds) == -1) {
		set_error(err, errlen,
		    "TLS_RELOAD_SECONDS must be between 1 and 86400");
		goto fail;
	}

	if (parse_long("AUTH_FAILURES_PER_MINUTE_IP", 50, 1, 1000000,
	    &s->auth_failures_ip) == -1 ||
	    parse_long("AUTH_FAILURES_PER_MINUTE_ACCOUNT", 10, 1, 1000000,
	    &s->auth_failures_account) == -1 ||
	    parse_long("AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL", 30, 1,
	    1000000, &s->auth_failures_global) == -1) {
		set_error(err, errlen, "AUTH_FAILURES_PER_MINUTE_IP, "
		    "AUTH_FAILURES_PER_MINUTE_ACCOUNT and "
		    "AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL must be positive "
		    "numbers");
		goto fail;
	}
	if (parse_long("AUTH_LOGINS_IN_FLIGHT_PER_IP", 4, 1, 100000,
	    &s->auth_inflight_ip) == -1 ||
	    parse_long("AUTH_LOGINS_IN_FLIGHT_PER_WORKER", 32, 1, 100000,
	    &s->auth_inflight_worker) == -1) {
		set_error(err, errlen, "AUTH_LOGINS_IN_FLIGHT_PER_IP and "
		    "AUTH_LOGINS_IN_FLIGHT_PER_WORKER must be numbers from 1 "
		    "to 100000");
		goto fail;
	}

	/* mtapi-admin audit-prune's default (docs/audit.md). */
	if (parse_long("AUDIT_RETENTION_DAYS", 365, 1, 36500,
	    &s->audit_retention_days) == -1) {
		set_error(err, errlen, "AUDIT_RETENTION_DAYS must be a whole "
		    "number of days (1 to 36500)");
		goto fail;
	}

	if (parse_proxies(s, err, errlen) == -1)
		goto fail;

	if (s->issuer == NULL || s->audience == NULL) {
		set_error(err, errlen, "out of memory");
		goto fail;
	}

	return (0);

fail:
	settings_free(s);
	return (-1);
}

void
settings_free(struct settings *s)
{
	size_t		i;

	if (s->jwt_signing_key != NULL) {
		explicit_bzero(s->jwt_signing_key, strlen(s->jwt_signing_key));
		free(s->jwt_signing_key);
	}
	if (s->secret_key != NULL) {
		explicit_bzero(s->secret_key, strlen(s->secret_key));
		free(s->secret_key);
	}
	if (s->jwt_private_pem != NULL) {
		explicit_bzero(s->jwt_private_pem, strlen(s->jwt_private_pem));
		free(s->jwt_private_pem);
	}
	if (s->db_conninfo != NULL) {
		explicit_bzero(s->db_conninfo, strlen(s->db_conninfo));
		free(s->db_conninfo);
	}
	if (s->db_listen_conninfo != NULL) {
		explicit_bzero(s->db_listen_conninfo,
		    strlen(s->db_listen_conninfo));
		free(s->db_listen_conninfo);
	}
	free(s->jwt_public_pem);
	free(s->jwt_private_key_file);
	free(s->jwt_public_key_file);
	free(s->issuer);
	free(s->audience);
	for (i = 0; i < s->allowed_hosts_count; i++)
		free(s->allowed_hosts[i]);
	for (i = 0; i < s->cors_origins_count; i++)
		free(s->cors_origins[i]);

	memset(s, 0, sizeof(*s));
}

int
settings_check_production(const struct settings *s, char *err, size_t errlen)
{
	if (s->debug)
		return (0);

	/* settings_load() refused a missing or published key already. */
	if (s->jwt_alg == SETTINGS_ALG_HS256) {
		if (s->jwt_signing_key == NULL ||
		    strlen(s->jwt_signing_key) < SETTINGS_MIN_KEY_LEN) {
			return (set_error(err, errlen, "DEBUG=False needs "
			    "a JWT signing key of at least %d bytes",
			    SETTINGS_MIN_KEY_LEN));
		}
	}

	if (s->allowed_hosts_count == 0) {
		return (set_error(err, errlen, "DEBUG=False needs "
		    "ALLOWED_HOSTS: every request would be refused"));
	}

	return (0);
}

const char *
settings_alg_name(int alg)
{
	return (alg == SETTINGS_ALG_RS256 ? "RS256" : "HS256");
}

static int
set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list		ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}

	return (-1);
}

/* A key from the source or from a framework's template: public. */
static int
key_published(const char *key)
{
	return (!strcmp(key, SETTINGS_DEV_KEY) ||
	    !strncmp(key, "changeme", 8) ||
	    !strncmp(key, "django-insecure", 15));
}

static int
parse_bool(const char *name, int def, int *out)
{
	const char	*v;

	v = getenv(name);
	if (v == NULL || *v == '\0') {
		*out = def;
		return (0);
	}

	if (!strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
		*out = 1;
		return (0);
	}
	if (!strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
		*out = 0;
		return (0);
	}

	return (-1);
}

static int
parse_long(const char *name, long def, long min, long max, long *out)
{
	const char	*v;
	char		*end;
	long		n;

	v = getenv(name);
	if (v == NULL || *v == '\0') {
		*out = def;
		return (0);
	}

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return (-1);

	*out = n;
	return (0);
}

static int
parse_list(const char *name, char **out, size_t *count)
{
	const char	*v, *p, *comma;
	size_t		len;

	*count = 0;
	if ((v = getenv(name)) == NULL)
		return (0);

	for (p = v; *p != '\0'; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		while (p < comma && isspace((unsigned char)*p))
			p++;
		len = comma - p;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len > 0) {
			if (*count == SETTINGS_LIST_MAX)
				return (-1);
			if ((out[*count] = strndup(p, len)) == NULL)
				return (-1);
			(*count)++;
		}
		if (*comma == '\0')
			break;
	}

	return (0);
}

/* TRUSTED_PROXIES: addresses or networks, comma-separated. */
static int
parse_proxies(struct settings *s, char *err, size_t errlen)
{
	char		*list[SETTINGS_LIST_MAX];
	size_t		i, n;
	int		rc;

	if (parse_list("TRUSTED_PROXIES", list, &n) == -1) {
		for (i = 0; i < n; i++)
			free(list[i]);
		return (set_error(err, errlen, "TRUSTED_PROXIES takes at most "
		    "%d comma-separated entries", SETTINGS_LIST_MAX));
	}

	rc = 0;
	for (i = 0; i < n; i++) {
		if (rc == 0 && proxies_parse(list[i],
		    &s->trusted_proxies[i]) == -1) {
			rc = set_error(err, errlen, "TRUSTED_PROXIES: '%s' is "
			    "not an address or a network (10.0.0.0/8)",
			    list[i]);
		}
		free(list[i]);
	}
	s->trusted_proxies_count = rc == 0 ? n : 0;

	return (rc);
}

static char *
env_dup(const char *name, const char *def)
{
	const char	*v;

	v = getenv(name);
	if (v == NULL || *v == '\0')
		v = def;

	return (v == NULL ? NULL : strdup(v));
}

static char *
read_keyfile(const char *path, char *err, size_t errlen)
{
	int		fd;
	ssize_t		r;
	size_t		off;
	char		*buf;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		set_error(err, errlen, "cannot read key file %s: %s", path,
		    strerror(errno));
		return (NULL);
	}

	if ((buf = malloc(KEYFILE_MAX + 1)) == NULL) {
		close(fd);
		set_error(err, errlen, "out of memory");
		return (NULL);
	}

	off = 0;
	for (;;) {
		r = read(fd, buf + off, KEYFILE_MAX - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += r;
		if (off == KEYFILE_MAX)
			break;
	}
	close(fd);

	if (r == -1 || off == 0 || off == KEYFILE_MAX) {
		explicit_bzero(buf, off);
		free(buf);
		set_error(err, errlen, "key file %s is empty, unreadable or "
		    "too large", path);
		return (NULL);
	}

	buf[off] = '\0';
	return (buf);
}

/*
 * DATABASE_URL wins; otherwise a key/value conninfo from DB_* (host and
 * port given: the listen connection may have its own), every value
 * single-quoted with libpq's escaping so that a password can hold anything.
 */
static char *
build_conninfo(const char *host, const char *port)
{
	const char	*url;
	char		*out;
	size_t		len, cap;

	url = getenv("DATABASE_URL");
	if (url != NULL && *url != '\0')
		return (strdup(url));

	cap = 256;
	len = 0;
	if ((out = malloc(cap)) == NULL)
		return (NULL);
	out[0] = '\0';

	conninfo_add(&out, &len, &cap, "host", host != NULL ? host :
	    "127.0.0.1");
	conninfo_add(&out, &len, &cap, "port", port != NULL ? port : "5432");
	conninfo_add(&out, &len, &cap, "dbname", getenv("DB_NAME") ?
	    getenv("DB_NAME") : "mtapi");
	conninfo_add(&out, &len, &cap, "user", getenv("DB_USER") ?
	    getenv("DB_USER") : "mtapi");
	if (getenv("DB_PASSWORD") != NULL)
		conninfo_add(&out, &len, &cap, "password",
		    getenv("DB_PASSWORD"));
	conninfo_add(&out, &len, &cap, "connect_timeout", "3");
	conninfo_add(&out, &len, &cap, "application_name", "mtapi");

	if (out == NULL)
		return (NULL);
	return (out);
}

static void
conninfo_add(char **out, size_t *len, size_t *cap, const char *key,
    const char *val)
{
	size_t		need;
	char		*p, *n;
	const char	*v;

	if (*out == NULL)
		return;

	/* Worst case every value byte is escaped. */
	need = *len + strlen(key) + 2 * strlen(val) + 5;
	if (need > *cap) {
		while (*cap < need)
			*cap *= 2;
		if ((n = realloc(*out, *cap)) == NULL) {
			free(*out);
			*out = NULL;
			return;
		}
		*out = n;
	}

	p = *out + *len;
	if (*len > 0)
		*p++ = ' ';
	p += sprintf(p, "%s='", key);
	for (v = val; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '\'';
	*p = '\0';
	*len = p - *out;
}
