/*
 * The .env reader: the input is the file. envfile_read()
 * (src/core/envfile.c) on it, then settings_load() (src/core/settings.c)
 * on it from an empty environment, then what the server does next with
 * the settings (settings_check_production, token_keys_init).
 *
 * Checked: every variable the reader sets is named by the start of some
 * line of the file (lstripped, "export " dropped, up to "=", rstripped);
 * a refused file leaves the settings empty; the libpq conninfo built from
 * DB_* reads back, through libpq's own parser, as the values given.
 *
 * glibc's setenv() keeps every value ever set for the life of the process
 * (environ may still point at it), which millions of runs would turn into
 * gigabytes; the harness defines setenv() itself, with the same contract,
 * over an environment it empties between runs. Key files: a name without
 * "/" is looked up in the harness's own directory (private.pem and
 * public.pem hold a key pair made at start, empty.pem is empty, big.pem
 * too large); any other path is replaced by a missing file there, so that
 * no input reads a file of the machine.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/envfile.h"
#include "core/hosts.h"
#include "core/settings.h"
#include "core/keyset.h"
#include "core/token.h"

#include "fuzz.h"

#define ENV_MAX		256

extern char	**environ;

static char	*env[ENV_MAX + 1];
static size_t	env_count;
static char	dir[64];
static char	*file;

static void	env_reset(void);
static char	**env_find(const char *, size_t);
static void	write_input(const uint8_t *, size_t);
static void	check_names(const uint8_t *, size_t);
static int	line_names(const uint8_t *, size_t, const char *);
static void	check_settings(const struct settings *);
static void	check_conninfo(const char *);
static void	key_file(const char *, char **);
static void	make_files(void);
static void	cleanup(void);
static int	all_zero(const void *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat	st;

	/* tmpfs if there is one: the file is written for every input. */
	(void)snprintf(dir, sizeof(dir), "%s/mtapi-fuzz-env-XXXXXX",
	    stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" :
	    "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	if (asprintf(&file, "%s/env", dir) == -1)
		abort();
	make_files();
	atexit(cleanup);
	env_reset();

	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings	s;
	char		err[256], *priv, *pub;
	int		rc;

	write_input(data, size);

	/* The reader alone. */
	env_reset();
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = envfile_read(file, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	check_names(data, size);

	priv = NULL;
	pub = NULL;
	key_file("JWT_PRIVATE_KEY_FILE", &priv);
	key_file("JWT_PUBLIC_KEY_FILE", &pub);

	/* The settings, from nothing but the file (and the key files). */
	env_reset();
	if (priv != NULL && setenv("JWT_PRIVATE_KEY_FILE", priv, 1) == -1)
		abort();
	if (pub != NULL && setenv("JWT_PUBLIC_KEY_FILE", pub, 1) == -1)
		abort();
	free(priv);
	free(pub);

	if (settings_load(&s, file, err, sizeof(err)) == 0) {
		check_settings(&s);
		settings_free(&s);
	} else {
		/* "nothing is left allocated" */
		FUZZ_CHECK(all_zero(&s, sizeof(s)));
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	}
	env_reset();

	return (0);
}

/* setenv(3): EINVAL for an empty name or one with "=". */
int
setenv(const char *name, const char *value, int overwrite)
{
	size_t		len;
	char		*entry, **slot;

	if (*name == '\0' || strchr(name, '=') != NULL) {
		errno = EINVAL;
		return (-1);
	}

	len = strlen(name);
	if ((slot = env_find(name, len)) != NULL && !overwrite)
		return (0);
	if (asprintf(&entry, "%s=%s", name, value) == -1) {
		errno = ENOMEM;
		return (-1);
	}
	if (slot != NULL) {
		free(*slot);
		*slot = entry;
		return (0);
	}
	if (env_count == ENV_MAX) {
		free(entry);
		errno = ENOMEM;
		return (-1);
	}
	env[env_count++] = entry;
	env[env_count] = NULL;
	environ = env;

	return (0);
}

int
unsetenv(const char *name)
{
	size_t		len;
	char		**slot;

	if (*name == '\0' || strchr(name, '=') != NULL) {
		errno = EINVAL;
		return (-1);
	}

	len = strlen(name);
	if ((slot = env_find(name, len)) == NULL)
		return (0);
	free(*slot);
	*slot = env[--env_count];
	env[env_count] = NULL;

	return (0);
}

/* The slot of name=..., or NULL. */
static char **
env_find(const char *name, size_t len)
{
	size_t		i;

	for (i = 0; i < env_count; i++) {
		if (!strncmp(env[i], name, len) && env[i][len] == '=')
			return (&env[i]);
	}

	return (NULL);
}

static void
env_reset(void)
{
	size_t		i;

	for (i = 0; i < env_count; i++)
		free(env[i]);
	env_count = 0;
	env[0] = NULL;
	environ = env;
}

static void
write_input(const uint8_t *data, size_t size)
{
	FILE		*fp;

	/* A new file, not a truncated one: ext4 flushes those on close. */
	if ((unlink(file) == -1 && errno != ENOENT) ||
	    (fp = fopen(file, "wx")) == NULL ||
	    fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		abort();
}

/* Each variable set must be named at the start of a line of the file. */
static void
check_names(const uint8_t *data, size_t size)
{
	size_t		i, len;
	char		*name;

	for (i = 0; i < env_count; i++) {
		len = strcspn(env[i], "=");
		FUZZ_CHECK(len > 0);
		if ((name = strndup(env[i], len)) == NULL)
			abort();
		if (!line_names(data, size, name))
			fprintf(stderr, "variable \"%s\" is on no line\n",
			    name);
		FUZZ_CHECK(line_names(data, size, name));
		free(name);
	}
}

/*
 * Is name the key of one of the lines of data? A line is read as a C
 * string (up to a NUL byte, as fgets() and strlen() see it), stripped,
 * "export " dropped, then cut at "=" and stripped at the end.
 */
static int
line_names(const uint8_t *data, size_t size, const char *name)
{
	const uint8_t	*line, *end, *next;
	size_t		len, nlen;
	const char	*p, *eq, *kend;

	nlen = strlen(name);
	for (line = data; line < data + size; line = next) {
		if ((end = memchr(line, '\n', data + size - line)) == NULL)
			end = data + size;
		next = end + 1;
		len = strnlen((const char *)line, end - line);

		p = (const char *)line;
		while (p < (const char *)line + len &&
		    isspace((unsigned char)*p))
			p++;
		if ((const char *)line + len - p >= 7 &&
		    !strncmp(p, "export ", 7))
			p += 7;
		if ((eq = memchr(p, '=', (const char *)line + len - p)) == NULL)
			continue;
		for (kend = eq; kend > p && isspace((unsigned char)kend[-1]);
		    kend--)
			;
		if ((size_t)(kend - p) == nlen && !memcmp(p, name, nlen))
			return (1);
	}

	return (0);
}

static void
check_settings(const struct settings *s)
{
	struct token_keys	k;
	struct keyset		set;
	char			err[256];
	size_t			i;
	int			rc;

	FUZZ_CHECK(s->jwt_alg == SETTINGS_ALG_HS256 ||
	    s->jwt_alg == SETTINGS_ALG_RS256 ||
	    s->jwt_alg == SETTINGS_ALG_ES256);
	FUZZ_CHECK(s->issuer != NULL && s->audience != NULL &&
	    s->db_conninfo != NULL && s->db_listen_conninfo != NULL);
	/* HS256 has a key of its own, never one from the source. */
	/* Without one, the key ring makes its own (JWT_KEY_ENCRYPTION_KEY). */
	if (s->jwt_alg == SETTINGS_ALG_HS256 && s->jwt_signing_key != NULL)
		FUZZ_CHECK(
		    strcmp(s->jwt_signing_key, SETTINGS_DEV_KEY) &&
		    strncmp(s->jwt_signing_key, "changeme", 8) &&
		    strncmp(s->jwt_signing_key, "django-insecure", 15));
	if (s->jwt_alg == SETTINGS_ALG_RS256)
		FUZZ_CHECK(s->jwt_private_pem != NULL &&
		    s->jwt_public_pem != NULL);
	FUZZ_CHECK(s->access_minutes >= 1 && s->refresh_days >= 1);
	FUZZ_CHECK(s->log_format == LOG_FORMAT_TEXT ||
	    s->log_format == LOG_FORMAT_JSON);
	FUZZ_CHECK(s->auth_failures_ip >= 1 && s->auth_failures_account >= 1 &&
	    s->auth_failures_global >= 1 && s->auth_inflight_ip >= 1 &&
	    s->auth_inflight_worker >= 1);
	FUZZ_CHECK(s->trusted_proxies_count <= SETTINGS_LIST_MAX);
	FUZZ_CHECK(s->max_body >= 1024 && s->max_body <= 8 * 1024 * 1024);
	FUZZ_CHECK(s->log_level >= LOG_LEVEL_DEBUG &&
	    s->log_level <= LOG_LEVEL_ERROR);

	FUZZ_CHECK(s->allowed_hosts_count <= SETTINGS_LIST_MAX);
	FUZZ_CHECK(s->cors_origins_count <= SETTINGS_LIST_MAX);
	for (i = 0; i < s->allowed_hosts_count; i++)
		FUZZ_CHECK(s->allowed_hosts[i][0] != '\0' &&
		    !isspace((unsigned char)s->allowed_hosts[i][0]) &&
		    strchr(s->allowed_hosts[i], ',') == NULL);
	for (i = 0; i < s->cors_origins_count; i++)
		FUZZ_CHECK(s->cors_origins[i][0] != '\0' &&
		    strchr(s->cors_origins[i], ',') == NULL);

	rc = settings_check_production(s, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	/* The checks the settings configure, over an empty ring of alg. */
	keyset_init(&set, s->jwt_alg);
	token_keys_init(&k, s, &set);
	FUZZ_CHECK(k.alg == s->jwt_alg && k.set == &set &&
	    k.issuer == s->issuer && k.audience == s->audience);
	keyset_free(&set);
	(void)hosts_allowed(s, "localhost:8000");

	if (getenv("DATABASE_URL") == NULL || *getenv("DATABASE_URL") == '\0')
		check_conninfo(s->db_conninfo);
}

/* libpq reads back exactly the DB_* values (or their defaults). */
static void
check_conninfo(const char *conninfo)
{
	static const struct {
		const char	*key, *var, *def;
	} want[] = {
		{ "host", "DB_HOST", "127.0.0.1" },
		{ "port", "DB_PORT", "5432" },
		{ "dbname", "DB_NAME", "mtapi" },
		{ "user", "DB_USER", "mtapi" },
		{ "password", "DB_PASSWORD", NULL },
		{ "connect_timeout", NULL, "3" },
		{ "application_name", NULL, "mtapi" },
	};
	PQconninfoOption	*opts, *o;
	const char		*v;
	char			*msg;
	size_t			i;

	msg = NULL;
	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL)
		fprintf(stderr, "libpq: %s\n", msg != NULL ? msg : "?");
	FUZZ_CHECK(opts != NULL);

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = want[i].var != NULL ? getenv(want[i].var) : NULL;
		if (v == NULL)
			v = want[i].def;
		for (o = opts; o->keyword != NULL; o++) {
			if (!strcmp(o->keyword, want[i].key))
				break;
		}
		FUZZ_CHECK(o->keyword != NULL);
		if (v == NULL)
			FUZZ_CHECK(o->val == NULL);
		else
			FUZZ_CHECK(o->val != NULL && !strcmp(o->val, v));
	}

	PQconninfoFree(opts);
}

/* What the file named for a key file becomes (see the top). */
static void
key_file(const char *var, char **out)
{
	const char	*v;

	*out = NULL;
	if ((v = getenv(var)) == NULL)
		return;
	if (*v == '\0') {
		*out = strdup("");
	} else if (strchr(v, '/') == NULL && strcmp(v, ".") &&
	    strcmp(v, "..")) {
		if (asprintf(out, "%s/%s", dir, v) == -1)
			*out = NULL;
	} else {
		if (asprintf(out, "%s/absent.pem", dir) == -1)
			*out = NULL;
	}
	if (*out == NULL)
		abort();
}

static void
make_files(void)
{
	EVP_PKEY	*pk;
	FILE		*fp;
	char		*path;
	int		i;

	if ((pk = EVP_RSA_gen(1024)) == NULL)
		abort();

	if (asprintf(&path, "%s/private.pem", dir) == -1 ||
	    (fp = fopen(path, "w")) == NULL ||
	    !PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) ||
	    fclose(fp) != 0)
		abort();
	free(path);
	if (asprintf(&path, "%s/public.pem", dir) == -1 ||
	    (fp = fopen(path, "w")) == NULL || !PEM_write_PUBKEY(fp, pk) ||
	    fclose(fp) != 0)
		abort();
	free(path);
	EVP_PKEY_free(pk);

	if (asprintf(&path, "%s/empty.pem", dir) == -1 ||
	    (fp = fopen(path, "w")) == NULL || fclose(fp) != 0)
		abort();
	free(path);
	if (asprintf(&path, "%s/big.pem", dir) == -1 ||
	    (fp = fopen(path, "w")) == NULL)
		abort();
	for (i = 0; i < 65 * 1024; i++)
		(void)fputc('k', fp);
	if (fclose(fp) != 0)
		abort();
	free(path);
}

static void
cleanup(void)
{
	const char	*names[] = { "env", "private.pem", "public.pem",
	    "empty.pem", "big.pem", NULL };
	char		*path;
	size_t		i;

	env_reset();
	for (i = 0; names[i] != NULL; i++) {
		if (asprintf(&path, "%s/%s", dir, names[i]) != -1) {
			(void)unlink(path);
			free(path);
		}
	}
	(void)rmdir(dir);
	free(file);
}

static int
all_zero(const void *p, size_t len)
{
	const unsigned char	*b = p;
	size_t			i;

	for (i = 0; i < len; i++) {
		if (b[i] != 0)
			return (0);
	}

	return (1);
}
