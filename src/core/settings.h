/*
 * Settings from the environment and an optional .env file. Shared by the
 * Kore module and the operator command; no Kore dependency.
 */

#ifndef MTAPI_SETTINGS_H
#define MTAPI_SETTINGS_H

#include <stddef.h>

#include "proxies.h"

#define SETTINGS_ALG_HS256	1
#define SETTINGS_ALG_RS256	2

#define LOG_LEVEL_DEBUG		0
#define LOG_LEVEL_INFO		1
#define LOG_LEVEL_WARNING	2
#define LOG_LEVEL_ERROR		3

#define LOG_FORMAT_TEXT		0
#define LOG_FORMAT_JSON		1

#define SETTINGS_LIST_MAX	32
#define SETTINGS_MIN_KEY_LEN	32

/*
 * The development key older versions signed with when none was set: it is
 * in the source, so it is refused like the other published defaults.
 */
#define SETTINGS_DEV_KEY	"insecure-development-key-" \
				"do-not-use-in-production"

struct settings {
	int		debug;
	int		jwt_alg;
	char		*secret_key;
	char		*jwt_signing_key;
	char		*jwt_private_key_file;
	char		*jwt_public_key_file;
	char		*jwt_private_pem;	/* read from the files above */
	char		*jwt_public_pem;
	long		access_minutes;
	long		refresh_days;
	char		*issuer;
	char		*audience;
	char		*db_conninfo;		/* libpq conninfo or URI */
	/*
	 * For a connection that needs a session of its own (LISTEN), which a
	 * transaction pooler cannot give: DATABASE_LISTEN_URL, or the DB_*
	 * settings with DB_LISTEN_HOST and DB_LISTEN_PORT; else db_conninfo.
	 */
	char		*db_listen_conninfo;
	char		*allowed_hosts[SETTINGS_LIST_MAX];
	size_t		allowed_hosts_count;
	char		*cors_origins[SETTINGS_LIST_MAX];
	size_t		cors_origins_count;
	int		log_level;
	int		log_format;		/* LOG_FORMAT_* */
	long		max_body;		/* bytes */
	long		rate_limit_default;	/* requests per minute */
	long		tls_reload_seconds;
	long		auth_failures_ip;	/* per minute, per client IP */
	long		auth_failures_account;	/* per minute, per account+IP */
	long		auth_failures_global;	/* per minute, per account */
	/* Password checks queued or running at once, per worker. */
	long		auth_inflight_ip;	/* for one client IP */
	long		auth_inflight_worker;	/* in all */
	long		audit_retention_days;	/* audit-prune's default */
	/* Peers whose X-Forwarded-For is believed (its last hop only). */
	struct proxy_net trusted_proxies[SETTINGS_LIST_MAX];
	size_t		trusted_proxies_count;
};

/*
 * Load settings: the process environment wins over the .env file at
 * envfile (which may be NULL or missing). On error, a one-line reason is
 * written to err and -1 is returned; nothing is left allocated. HS256
 * without a key, or with a published one, is an error in every mode.
 */
int	settings_load(struct settings *, const char *envfile, char *, size_t);
void	settings_free(struct settings *);

/* Production checks (DEBUG=False): key strength, key files, hosts. */
int	settings_check_production(const struct settings *, char *, size_t);

const char	*settings_alg_name(int);

#endif
