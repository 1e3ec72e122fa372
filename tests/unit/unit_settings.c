/*
 * Unit tests for src/core/settings.c. Every test starts from an empty
 * environment (each Criterion test runs in its own process) and writes
 * its .env and key files into a fresh temporary directory.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/hosts.h"
#include "core/settings.h"

#include "unit_env.h"

#define LONG_KEY	"0123456789abcdef0123456789abcdef"	/* 32 bytes */

TestSuite(settings, .init = unit_env_setup, .fini = unit_env_teardown);

Test(settings, defaults)
{
	struct settings	s;

	unit_load_ok(&s);
	cr_expect_eq(s.debug, 0);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_HS256);
	cr_expect_null(s.secret_key);
	cr_expect_str_eq(s.jwt_signing_key, UNIT_SIGNING_KEY);
	cr_expect_null(s.jwt_private_pem);
	cr_expect_null(s.jwt_public_pem);
	cr_expect_eq(s.access_minutes, 5);
	cr_expect_eq(s.refresh_days, 1);
	cr_expect_str_eq(s.issuer, "mtapi");
	cr_expect_str_eq(s.audience, "mtapi");
	cr_expect_eq(s.allowed_hosts_count, 0);
	cr_expect_eq(s.cors_origins_count, 0);
	cr_expect_eq(s.log_level, LOG_LEVEL_INFO);
	cr_expect_eq(s.max_body, 1024 * 1024);
	cr_expect_eq(s.rate_limit_default, 600);
	cr_expect_eq(s.tls_reload_seconds, 30);
	cr_expect_eq(s.auth_failures_ip, 50);
	cr_expect_eq(s.auth_failures_account, 10);
	cr_expect_eq(s.auth_failures_global, 30);
	cr_expect_eq(s.auth_inflight_ip, 4);
	cr_expect_eq(s.auth_inflight_worker, 32);
	cr_expect_str_eq(s.db_conninfo, "host='127.0.0.1' port='5432' "
	    "dbname='mtapi' user='mtapi' connect_timeout='3' "
	    "application_name='mtapi'");
	cr_expect_str_eq(s.db_listen_conninfo, s.db_conninfo);
	cr_expect_eq(s.trusted_proxies_count, 0);
	settings_free(&s);
}

Test(settings, free_clears)
{
	struct settings	s;

	setenv("ALLOWED_HOSTS", "a,b", 1);
	unit_load_ok(&s);
	settings_free(&s);
	cr_expect_null(s.jwt_signing_key);
	cr_expect_null(s.db_conninfo);
	cr_expect_null(s.db_listen_conninfo);
	cr_expect_null(s.issuer);
	cr_expect_eq(s.allowed_hosts_count, 0);
}

Test(settings, debug_values)
{
	static const char *yes[] = { "True", "true", "TRUE", "1", "yes",
	    "on", "On" };
	static const char *no[] = { "False", "false", "0", "no", "off",
	    "OFF" };
	struct settings	 s;
	size_t		 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		setenv("DEBUG", yes[i], 1);
		unit_load_ok(&s);
		cr_expect_eq(s.debug, 1, "DEBUG=%s", yes[i]);
		settings_free(&s);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		setenv("DEBUG", no[i], 1);
		unit_load_ok(&s);
		cr_expect_eq(s.debug, 0, "DEBUG=%s", no[i]);
		settings_free(&s);
	}
	setenv("DEBUG", "", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.debug, 0);
	settings_free(&s);
}

Test(settings, debug_garbage)
{
	static const char *bad[] = { "maybe", "2", "tru", "True ", "y" };
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("DEBUG", bad[i], 1);
		unit_load_fails("DEBUG");
	}
}

/* With DEBUG on and no ALLOWED_HOSTS, the loopback names are allowed. */
Test(settings, debug_default_hosts)
{
	struct settings	s;

	setenv("DEBUG", "True", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.allowed_hosts_count, 3);
	cr_expect(hosts_allowed(&s, "localhost:8000"));
	cr_expect(hosts_allowed(&s, "127.0.0.1:8000"));
	cr_expect(hosts_allowed(&s, "[::1]:8000"));
	cr_expect(!hosts_allowed(&s, "example.com"));
	settings_free(&s);

	/* An explicit list replaces them. */
	setenv("ALLOWED_HOSTS", "api.example.com", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.allowed_hosts_count, 1);
	cr_expect(!hosts_allowed(&s, "localhost"));
	settings_free(&s);
}

Test(settings, jwt_algorithm)
{
	static const char *bad[] = { "none", "hs256", "HS384", "HS512",
	    "RS512", "ES384", "es256", "HS256 " };
	struct settings	 s;
	size_t		 i;

	setenv("JWT_ALGORITHM", "HS256", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_HS256);
	settings_free(&s);

	setenv("JWT_ALGORITHM", "", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_HS256);
	settings_free(&s);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("JWT_ALGORITHM", bad[i], 1);
		unit_load_fails("JWT_ALGORITHM");
	}
}

Test(settings, alg_names)
{
	cr_expect_str_eq(settings_alg_name(SETTINGS_ALG_HS256), "HS256");
	cr_expect_str_eq(settings_alg_name(SETTINGS_ALG_RS256), "RS256");
	cr_expect_str_eq(settings_alg_name(SETTINGS_ALG_ES256), "ES256");
	cr_expect_eq(settings_alg_value("HS256"), SETTINGS_ALG_HS256);
	cr_expect_eq(settings_alg_value("RS256"), SETTINGS_ALG_RS256);
	cr_expect_eq(settings_alg_value("ES256"), SETTINGS_ALG_ES256);
	cr_expect_eq(settings_alg_value("es256"), 0);
	cr_expect_eq(settings_alg_value(NULL), 0);
}

/* ES256 (issue 16) takes a key pair like RS256. */
Test(settings, es256_needs_key_files)
{
	struct settings	 s;
	char		*priv, *pub;

	setenv("JWT_ALGORITHM", "ES256", 1);
	unit_load_fails("JWT_PRIVATE_KEY_FILE");

	priv = unit_write_file("private.pem", "PRIVATE\n");
	pub = unit_write_file("public.pem", "PUBLIC\n");
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", pub, 1);
	unit_load_ok(&s);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_ES256);
	cr_expect_str_eq(s.jwt_private_pem, "PRIVATE\n");
	settings_free(&s);
	free(priv);
	free(pub);
}

/* The key ring's settings: defaults and bounds. */
Test(settings, key_ring)
{
	static const char *bad_leeway[] = { "-1", "301", "1.5", "x", "60s" };
	struct settings	s;
	size_t		i;

	unit_load_ok(&s);
	cr_expect_eq(s.leeway, 0);
	cr_expect_eq(s.refresh_reuse, 0);
	cr_expect_eq(s.keys_poll_seconds, 5);
	cr_expect_eq(s.accept_missing_kid, 0);
	cr_expect_null(s.kek_source);
	settings_free(&s);

	setenv("JWT_LEEWAY_SECONDS", "300", 1);
	setenv("JWT_REFRESH_REUSE_SECONDS", "300", 1);
	setenv("JWT_KEYS_POLL_SECONDS", "1", 1);
	setenv("JWT_ACCEPT_MISSING_KID", "True", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.leeway, 300);
	cr_expect_eq(s.refresh_reuse, 300);
	cr_expect_eq(s.keys_poll_seconds, 1);
	cr_expect_eq(s.accept_missing_kid, 1);
	settings_free(&s);

	for (i = 0; i < sizeof(bad_leeway) / sizeof(bad_leeway[0]); i++) {
		setenv("JWT_LEEWAY_SECONDS", bad_leeway[i], 1);
		unit_load_fails("JWT_LEEWAY_SECONDS");
	}
	unsetenv("JWT_LEEWAY_SECONDS");
	setenv("JWT_REFRESH_REUSE_SECONDS", "301", 1);
	unit_load_fails("JWT_REFRESH_REUSE_SECONDS");
	setenv("JWT_REFRESH_REUSE_SECONDS", "-1", 1);
	unit_load_fails("JWT_REFRESH_REUSE_SECONDS");
	unsetenv("JWT_REFRESH_REUSE_SECONDS");
	setenv("JWT_KEYS_POLL_SECONDS", "0", 1);
	unit_load_fails("JWT_KEYS_POLL_SECONDS");
	setenv("JWT_KEYS_POLL_SECONDS", "301", 1);
	unit_load_fails("JWT_KEYS_POLL_SECONDS");
	unsetenv("JWT_KEYS_POLL_SECONDS");
	setenv("JWT_ACCEPT_MISSING_KID", "maybe", 1);
	unit_load_fails("JWT_ACCEPT_MISSING_KID");
}

/*
 * The key-encryption key: JWT_KEY_ENCRYPTION_KEY, else SECRET_KEY; never
 * missing, in any mode; strong with DEBUG=False.
 */
Test(settings, key_encryption_key)
{
	struct settings	 s;
	char		 err[256];

	setenv("DEBUG", "True", 1);
	unit_load_ok(&s);
	err[0] = '\0';
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), -1);
	cr_expect(strstr(err, "JWT_KEY_ENCRYPTION_KEY") != NULL, "%s", err);
	settings_free(&s);

	/* JWT_SIGNING_KEY alone is not one: it is the key being sealed. */
	setenv("JWT_SIGNING_KEY", LONG_KEY, 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), -1);
	settings_free(&s);

	setenv("SECRET_KEY", "short", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.kek_source, "short");
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), 0, "%s", err);
	settings_free(&s);

	setenv("JWT_KEY_ENCRYPTION_KEY", "the-kek", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.kek_source, "the-kek");
	settings_free(&s);

	/* Production: at least 32 bytes, not a default. */
	setenv("DEBUG", "False", 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), -1);
	settings_free(&s);
	setenv("JWT_KEY_ENCRYPTION_KEY", SETTINGS_DEV_KEY, 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), -1);
	settings_free(&s);
	setenv("JWT_KEY_ENCRYPTION_KEY", LONG_KEY, 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_kek(&s, err, sizeof(err)), 0, "%s", err);
	settings_free(&s);
}

/* HS256 in production with only a key-encryption key: the ring makes one. */
Test(settings, production_hs256_from_the_ring)
{
	struct settings	 s;
	char		 err[256];

	setenv("DEBUG", "False", 1);
	setenv("ALLOWED_HOSTS", "api.example.com", 1);
	setenv("JWT_KEY_ENCRYPTION_KEY", LONG_KEY, 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), 0,
	    "%s", err);
	settings_free(&s);

	/* A weak JWT_SIGNING_KEY is refused all the same: it would be used. */
	setenv("JWT_SIGNING_KEY", "short", 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), -1);
	settings_free(&s);
}

Test(settings, rs256_needs_key_files)
{
	char	*priv;

	setenv("JWT_ALGORITHM", "RS256", 1);
	unit_load_fails("JWT_PRIVATE_KEY_FILE");

	priv = unit_write_file("private.pem", "PRIVATE\n");
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	unit_load_fails("JWT_PUBLIC_KEY_FILE");

	unsetenv("JWT_PRIVATE_KEY_FILE");
	setenv("JWT_PUBLIC_KEY_FILE", priv, 1);
	unit_load_fails("JWT_PRIVATE_KEY_FILE");
	free(priv);
}

Test(settings, rs256_reads_key_files)
{
	struct settings	 s;
	char		*priv, *pub;

	priv = unit_write_file("private.pem", "-----BEGIN PRIVATE KEY-----\n"
	    "cHJpdmF0ZQ==\n-----END PRIVATE KEY-----\n");
	pub = unit_write_file("public.pem", "-----BEGIN PUBLIC KEY-----\n"
	    "cHVibGlj\n-----END PUBLIC KEY-----\n");
	setenv("JWT_ALGORITHM", "RS256", 1);
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", pub, 1);

	unit_load_ok(&s);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_RS256);
	cr_expect_str_eq(s.jwt_private_key_file, priv);
	cr_expect_str_eq(s.jwt_public_key_file, pub);
	cr_expect_str_eq(s.jwt_private_pem, "-----BEGIN PRIVATE KEY-----\n"
	    "cHJpdmF0ZQ==\n-----END PRIVATE KEY-----\n");
	cr_expect_str_eq(s.jwt_public_pem, "-----BEGIN PUBLIC KEY-----\n"
	    "cHVibGlj\n-----END PUBLIC KEY-----\n");
	settings_free(&s);
	free(priv);
	free(pub);
}

Test(settings, rs256_bad_key_files)
{
	char	*priv, *empty, *missing;

	priv = unit_write_file("private.pem", "PRIVATE\n");
	empty = unit_write_file("empty.pem", "");
	cr_assert(asprintf(&missing, "%s/missing.pem", tmpdir) != -1);
	setenv("JWT_ALGORITHM", "RS256", 1);

	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", missing, 1);
	unit_load_fails("missing.pem");

	setenv("JWT_PUBLIC_KEY_FILE", empty, 1);
	unit_load_fails("empty.pem");

	setenv("JWT_PRIVATE_KEY_FILE", tmpdir, 1);	/* a directory */
	setenv("JWT_PUBLIC_KEY_FILE", priv, 1);
	unit_load_fails(NULL);

	free(priv);
	free(empty);
	free(missing);
}

Test(settings, lifetimes)
{
	struct settings	s;

	setenv("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", "1", 1);
	setenv("JWT_REFRESH_TOKEN_LIFETIME_DAYS", "3650", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.access_minutes, 1);
	cr_expect_eq(s.refresh_days, 3650);
	settings_free(&s);

	setenv("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", "525600", 1);
	setenv("JWT_REFRESH_TOKEN_LIFETIME_DAYS", "1", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.access_minutes, 525600);
	cr_expect_eq(s.refresh_days, 1);
	settings_free(&s);
}

Test(settings, lifetimes_out_of_bounds)
{
	static const char *bad_access[] = { "0", "-5", "525601", "abc",
	    "5m", "5 ", "99999999999999999999999" };
	static const char *bad_refresh[] = { "0", "3651", "-1", "1.5", "x" };
	size_t	i;

	for (i = 0; i < sizeof(bad_access) / sizeof(bad_access[0]); i++) {
		setenv("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", bad_access[i], 1);
		unit_load_fails("JWT_ACCESS_TOKEN_LIFETIME_MINUTES");
	}
	unsetenv("JWT_ACCESS_TOKEN_LIFETIME_MINUTES");
	for (i = 0; i < sizeof(bad_refresh) / sizeof(bad_refresh[0]); i++) {
		setenv("JWT_REFRESH_TOKEN_LIFETIME_DAYS", bad_refresh[i], 1);
		unit_load_fails("JWT_REFRESH_TOKEN_LIFETIME_DAYS");
	}
}

Test(settings, other_numbers)
{
	struct settings	s;

	setenv("MAX_BODY_BYTES", "1024", 1);
	setenv("RATE_LIMIT_DEFAULT_PER_MINUTE", "7", 1);
	setenv("TLS_RELOAD_SECONDS", "86400", 1);
	setenv("AUTH_FAILURES_PER_MINUTE_IP", "3", 1);
	setenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT", "2", 1);
	setenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL", "1000000", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.auth_failures_global, 1000000);
	cr_expect_eq(s.max_body, 1024);
	cr_expect_eq(s.rate_limit_default, 7);
	cr_expect_eq(s.tls_reload_seconds, 86400);
	cr_expect_eq(s.auth_failures_ip, 3);
	cr_expect_eq(s.auth_failures_account, 2);
	settings_free(&s);

	setenv("MAX_BODY_BYTES", "1023", 1);
	unit_load_fails("MAX_BODY_BYTES");
	setenv("MAX_BODY_BYTES", "8388609", 1);
	unit_load_fails("MAX_BODY_BYTES");
	unsetenv("MAX_BODY_BYTES");
	setenv("TLS_RELOAD_SECONDS", "0", 1);
	unit_load_fails("TLS_RELOAD_SECONDS");
	unsetenv("TLS_RELOAD_SECONDS");
	setenv("RATE_LIMIT_DEFAULT_PER_MINUTE", "0", 1);
	unit_load_fails("RATE_LIMIT_DEFAULT_PER_MINUTE");
	unsetenv("RATE_LIMIT_DEFAULT_PER_MINUTE");
	setenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT", "-1", 1);
	unit_load_fails("AUTH_FAILURES_PER_MINUTE_ACCOUNT");
	unsetenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT");
	setenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL", "0", 1);
	unit_load_fails("AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL");
	unsetenv("AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL");

	setenv("AUTH_LOGINS_IN_FLIGHT_PER_IP", "1", 1);
	setenv("AUTH_LOGINS_IN_FLIGHT_PER_WORKER", "100000", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.auth_inflight_ip, 1);
	cr_expect_eq(s.auth_inflight_worker, 100000);
	settings_free(&s);
	setenv("AUTH_LOGINS_IN_FLIGHT_PER_IP", "0", 1);
	unit_load_fails("AUTH_LOGINS_IN_FLIGHT_PER_IP");
	unsetenv("AUTH_LOGINS_IN_FLIGHT_PER_IP");
	setenv("AUTH_LOGINS_IN_FLIGHT_PER_WORKER", "100001", 1);
	unit_load_fails("AUTH_LOGINS_IN_FLIGHT_PER_WORKER");
}

Test(settings, log_level)
{
	static const struct {
		const char	*text;
		int		 level;
	} ok[] = {
		{ "DEBUG", LOG_LEVEL_DEBUG }, { "debug", LOG_LEVEL_DEBUG },
		{ "INFO", LOG_LEVEL_INFO }, { "", LOG_LEVEL_INFO },
		{ "WARNING", LOG_LEVEL_WARNING }, { "warn", LOG_LEVEL_WARNING },
		{ "ERROR", LOG_LEVEL_ERROR }, { "Error", LOG_LEVEL_ERROR },
	};
	struct settings	s;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		setenv("LOG_LEVEL", ok[i].text, 1);
		unit_load_ok(&s);
		cr_expect_eq(s.log_level, ok[i].level, "LOG_LEVEL=%s",
		    ok[i].text);
		settings_free(&s);
	}
	setenv("LOG_LEVEL", "TRACE", 1);
	unit_load_fails("LOG_LEVEL");
	setenv("LOG_LEVEL", "CRITICAL", 1);
	unit_load_fails("LOG_LEVEL");
}

Test(settings, log_format)
{
	struct settings	s;

	unsetenv("LOG_FORMAT");
	unit_load_ok(&s);
	cr_expect_eq(s.log_format, LOG_FORMAT_TEXT);
	settings_free(&s);
	setenv("LOG_FORMAT", "JSON", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.log_format, LOG_FORMAT_JSON);
	settings_free(&s);
	setenv("LOG_FORMAT", "text", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.log_format, LOG_FORMAT_TEXT);
	settings_free(&s);
	setenv("LOG_FORMAT", "logfmt", 1);
	unit_load_fails("LOG_FORMAT");
}

Test(settings, signing_key_fallback)
{
	struct settings	s;

	unsetenv("JWT_SIGNING_KEY");
	setenv("SECRET_KEY", "the-secret-key", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.secret_key, "the-secret-key");
	cr_expect_str_eq(s.jwt_signing_key, "the-secret-key");
	settings_free(&s);

	setenv("JWT_SIGNING_KEY", "the-jwt-key", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.jwt_signing_key, "the-jwt-key");
	cr_expect_str_eq(s.secret_key, "the-secret-key");
	settings_free(&s);

	/* Empty counts as unset. */
	setenv("JWT_SIGNING_KEY", "", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.jwt_signing_key, "the-secret-key");
	settings_free(&s);

	/* Neither: no built-in key to fall back on (issue 12). */
	unsetenv("SECRET_KEY");
	unit_load_fails("JWT_SIGNING_KEY");
}

/*
 * No key, no start, DEBUG or not: a key written in the source would let
 * anyone who has read it sign tokens for every tenant.
 */
Test(settings, no_signing_key_in_any_mode)
{
	static const char *modes[] = { "True", "False", "" };
	size_t		i;

	unsetenv("JWT_SIGNING_KEY");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		setenv("DEBUG", modes[i], 1);
		unit_load_fails("JWT_SIGNING_KEY");
		setenv("JWT_SIGNING_KEY", "", 1);
		setenv("SECRET_KEY", "", 1);
		unit_load_fails("JWT_SIGNING_KEY");
		unsetenv("JWT_SIGNING_KEY");
		unsetenv("SECRET_KEY");
	}
}

/* The keys everybody knows are refused with DEBUG=True too. */
Test(settings, published_keys_in_any_mode)
{
	static const char *weak[] = {
		SETTINGS_DEV_KEY,
		"changeme-changeme-changeme-changeme-changeme",
		"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz",
	};
	size_t		i;

	setenv("DEBUG", "True", 1);
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		setenv("JWT_SIGNING_KEY", weak[i], 1);
		unit_load_fails("signing key");
		unsetenv("JWT_SIGNING_KEY");
		setenv("SECRET_KEY", weak[i], 1);
		unit_load_fails("signing key");
		unsetenv("SECRET_KEY");
	}
}

/* RS256 signs with its key pair: it needs no HS256 key. */
Test(settings, rs256_needs_no_hs256_key)
{
	struct settings	 s;
	char		*priv, *pub;

	priv = unit_write_file("private.pem", "PRIVATE\n");
	pub = unit_write_file("public.pem", "PUBLIC\n");
	unsetenv("JWT_SIGNING_KEY");
	setenv("DEBUG", "True", 1);
	setenv("JWT_ALGORITHM", "RS256", 1);
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", pub, 1);
	unit_load_ok(&s);
	cr_expect_eq(s.jwt_alg, SETTINGS_ALG_RS256);
	cr_expect_str_eq(s.jwt_private_pem, "PRIVATE\n");
	settings_free(&s);
	free(priv);
	free(pub);
}

Test(settings, issuer_audience)
{
	struct settings	s;

	setenv("JWT_ISSUER", "iss-x", 1);
	setenv("JWT_AUDIENCE", "aud-y", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.issuer, "iss-x");
	cr_expect_str_eq(s.audience, "aud-y");
	settings_free(&s);
}

/* Production refuses weak keys and an empty ALLOWED_HOSTS. */
Test(settings, production_checks)
{
	static const char *weak[] = {
		SETTINGS_DEV_KEY,
		"changeme-changeme-changeme-changeme-changeme",
		"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz",
		"0123456789abcdef0123456789abcde",	/* 31 bytes */
		"short",
	};
	struct settings	 s;
	char		 err[256];
	size_t		 i;

	setenv("DEBUG", "False", 1);
	setenv("ALLOWED_HOSTS", "api.example.com", 1);

	/* No key at all: refused when loading, in every mode. */
	unsetenv("JWT_SIGNING_KEY");
	unit_load_fails("JWT_SIGNING_KEY");

	/* Published keys are refused when loading, short ones here. */
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		setenv("JWT_SIGNING_KEY", weak[i], 1);
		err[0] = '\0';
		if (settings_load(&s, NULL, err, sizeof(err)) == 0) {
			cr_expect_eq(settings_check_production(&s, err,
			    sizeof(err)), -1, "key '%s' accepted", weak[i]);
			settings_free(&s);
		}
		cr_expect_neq(err[0], '\0');
	}
	unsetenv("JWT_SIGNING_KEY");

	/* The weak key through SECRET_KEY is refused just the same. */
	setenv("SECRET_KEY", SETTINGS_DEV_KEY, 1);
	unit_load_fails("signing key");

	/* A strong key is fine; so is one from SECRET_KEY. */
	setenv("SECRET_KEY", LONG_KEY, 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), 0,
	    "%s", err);
	settings_free(&s);

	/* But not without ALLOWED_HOSTS. */
	unsetenv("ALLOWED_HOSTS");
	unit_load_ok(&s);
	err[0] = '\0';
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), -1);
	cr_expect(strstr(err, "ALLOWED_HOSTS") != NULL, "%s", err);
	settings_free(&s);

	setenv("ALLOWED_HOSTS", " , ,", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.allowed_hosts_count, 0);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), -1);
	settings_free(&s);
}

Test(settings, production_checks_skipped_in_debug)
{
	struct settings	s;
	char		err[256];

	setenv("DEBUG", "True", 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), 0);
	settings_free(&s);
}

Test(settings, production_rs256)
{
	struct settings	 s;
	char		*priv, *pub, err[256];

	priv = unit_write_file("private.pem", "PRIVATE\n");
	pub = unit_write_file("public.pem", "PUBLIC\n");
	setenv("DEBUG", "False", 1);
	setenv("JWT_ALGORITHM", "RS256", 1);
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", pub, 1);
	setenv("ALLOWED_HOSTS", "api.example.com", 1);
	unit_load_ok(&s);
	cr_expect_eq(settings_check_production(&s, err, sizeof(err)), 0,
	    "%s", err);
	settings_free(&s);
	free(priv);
	free(pub);
}

Test(settings, list_parsing)
{
	struct settings	s;

	setenv("ALLOWED_HOSTS", " a.example , ,b.example,, c.example ", 1);
	setenv("CORS_ALLOWED_ORIGINS", "https://x.example", 1);
	unit_load_ok(&s);
	cr_assert_eq(s.allowed_hosts_count, 3);
	cr_expect_str_eq(s.allowed_hosts[0], "a.example");
	cr_expect_str_eq(s.allowed_hosts[1], "b.example");
	cr_expect_str_eq(s.allowed_hosts[2], "c.example");
	cr_assert_eq(s.cors_origins_count, 1);
	cr_expect_str_eq(s.cors_origins[0], "https://x.example");
	settings_free(&s);
}

Test(settings, list_too_long)
{
	struct settings	s;
	char		buf[1024];
	size_t		i, len;

	len = 0;
	buf[0] = '\0';
	for (i = 0; i < SETTINGS_LIST_MAX; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "h%zu,", i);
	setenv("ALLOWED_HOSTS", buf, 1);
	unit_load_ok(&s);
	cr_expect_eq(s.allowed_hosts_count, SETTINGS_LIST_MAX);
	settings_free(&s);

	(void)snprintf(buf + len, sizeof(buf) - len, "one-more");
	setenv("ALLOWED_HOSTS", buf, 1);
	unit_load_fails("ALLOWED_HOSTS");
}

/* settings_load reads the file, and the environment still wins. */
Test(settings, load_with_envfile)
{
	struct settings	 s;
	char		*path, err[256];

	unsetenv("JWT_SIGNING_KEY");
	path = unit_write_file("env", "DEBUG=True\nJWT_ISSUER=file-iss\n"
	    "JWT_ACCESS_TOKEN_LIFETIME_MINUTES=15\nSECRET_KEY='" LONG_KEY
	    "'\n");
	setenv("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", "30", 1);
	cr_assert_eq(settings_load(&s, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(s.debug, 1);
	cr_expect_str_eq(s.issuer, "file-iss");
	cr_expect_eq(s.access_minutes, 30);
	cr_expect_str_eq(s.jwt_signing_key, LONG_KEY);
	settings_free(&s);
	free(path);
}

Test(settings, load_with_bad_envfile)
{
	struct settings	 s;
	char		*path, err[256];

	path = unit_write_file("env", "DEBUG\n");
	err[0] = '\0';
	cr_expect_eq(settings_load(&s, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, ":1:") != NULL, "%s", err);
	free(path);
}

Test(settings, conninfo_from_db_vars)
{
	struct settings	s;

	setenv("DB_HOST", "db.internal", 1);
	setenv("DB_PORT", "6543", 1);
	setenv("DB_NAME", "app db", 1);
	setenv("DB_USER", "app", 1);
	setenv("DB_PASSWORD", "p'a\\ss word", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.db_conninfo, "host='db.internal' port='6543' "
	    "dbname='app db' user='app' password='p\\'a\\\\ss word' "
	    "connect_timeout='3' application_name='mtapi'");
	settings_free(&s);
}

/* Each byte escaped: the buffer must grow to twice the value. */
Test(settings, conninfo_long_escaped_password)
{
	struct settings	 s;
	char		 pw[1001], *want, *p;
	size_t		 i;

	for (i = 0; i < 1000; i++)
		pw[i] = i % 2 ? '\'' : '\\';
	pw[1000] = '\0';
	setenv("DB_PASSWORD", pw, 1);
	unit_load_ok(&s);

	want = malloc(2100);
	p = want + sprintf(want, "password='");
	for (i = 0; i < 1000; i++) {
		*p++ = '\\';
		*p++ = pw[i];
	}
	(void)strcpy(p, "'");
	cr_expect(strstr(s.db_conninfo, want) != NULL);
	cr_expect(strstr(s.db_conninfo, " connect_timeout='3' ") != NULL);
	free(want);
	settings_free(&s);
}

Test(settings, database_url_wins)
{
	struct settings	s;

	setenv("DB_HOST", "db.internal", 1);
	setenv("DB_PASSWORD", "secret", 1);
	setenv("DATABASE_URL", "postgresql://u:p@h:5/d?sslmode=require", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.db_conninfo,
	    "postgresql://u:p@h:5/d?sslmode=require");
	settings_free(&s);

	/* Empty means unset. */
	setenv("DATABASE_URL", "", 1);
	unit_load_ok(&s);
	cr_expect(strncmp(s.db_conninfo, "host='db.internal'", 18) == 0,
	    "%s", s.db_conninfo);
	settings_free(&s);
}

/* The LISTEN connection bypasses a transaction pooler: its own host/port. */
Test(settings, listen_conninfo)
{
	struct settings	s;

	setenv("DB_HOST", "pooler", 1);
	setenv("DB_PORT", "6432", 1);
	setenv("DB_PASSWORD", "pw", 1);
	setenv("DB_LISTEN_PORT", "5432", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.db_conninfo, "host='pooler' port='6432' "
	    "dbname='mtapi' user='mtapi' password='pw' "
	    "connect_timeout='3' application_name='mtapi'");
	cr_expect_str_eq(s.db_listen_conninfo, "host='pooler' port='5432' "
	    "dbname='mtapi' user='mtapi' password='pw' "
	    "connect_timeout='3' application_name='mtapi'");
	settings_free(&s);

	setenv("DB_LISTEN_HOST", "db.internal", 1);
	unsetenv("DB_LISTEN_PORT");
	unit_load_ok(&s);
	cr_expect(strncmp(s.db_listen_conninfo,
	    "host='db.internal' port='6432' ", 31) == 0, "%s",
	    s.db_listen_conninfo);
	settings_free(&s);

	setenv("DATABASE_LISTEN_URL", "postgresql://u@db:5432/d", 1);
	unit_load_ok(&s);
	cr_expect_str_eq(s.db_listen_conninfo, "postgresql://u@db:5432/d");
	cr_expect(strncmp(s.db_conninfo, "host='pooler'", 13) == 0);
	settings_free(&s);
}

Test(settings, trusted_proxies)
{
	struct settings	s;

	setenv("TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8", 1);
	unit_load_ok(&s);
	cr_assert_eq(s.trusted_proxies_count, 4);
	cr_expect_eq(s.trusted_proxies[0].bits, 32);
	cr_expect_eq(s.trusted_proxies[1].bits, 8);
	cr_expect_eq(s.trusted_proxies[2].bits, 128);
	cr_expect_eq(s.trusted_proxies[3].bits, 8);
	cr_expect(proxies_trusted(s.trusted_proxies, s.trusted_proxies_count,
	    "10.200.3.4"));
	cr_expect(!proxies_trusted(s.trusted_proxies,
	    s.trusted_proxies_count, "127.0.0.2"));
	settings_free(&s);
	cr_expect_eq(s.trusted_proxies_count, 0);

	setenv("TRUSTED_PROXIES", "", 1);
	unit_load_ok(&s);
	cr_expect_eq(s.trusted_proxies_count, 0);
	settings_free(&s);
}

Test(settings, trusted_proxies_refused)
{
	static const char	*bad[] = { "localhost", "127.0.0.1/33",
				    "10.0.0.0/", "10.0.0.0/-1", "::1/129",
				    "1.2.3", "127.0.0.1,nope", "1.2.3.4/8x" };
	char			list[SETTINGS_LIST_MAX * 4 + 8];
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("TRUSTED_PROXIES", bad[i], 1);
		unit_load_fails("TRUSTED_PROXIES");
	}

	list[0] = '\0';
	for (i = 0; i <= SETTINGS_LIST_MAX; i++)
		(void)strcat(list, i == 0 ? "::1" : ",::1");
	setenv("TRUSTED_PROXIES", list, 1);
	unit_load_fails("TRUSTED_PROXIES");
}
