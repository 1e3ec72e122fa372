/*
 * Module life cycle: Kore calls kore_parent_configure() once in the parent
 * before the workers fork, and kore_worker_configure() in each worker
 * before its event loop runs.
 *
 * The parent reads everything from disk (settings, .env, key files, TLS
 * certificates): workers run in Kore's seccomp sandbox. It also reads the
 * signing key ring from the database (and gives a new setup its first
 * key), so that workers start with it; they keep it current themselves
 * (src/keyring.c).
 */

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kore/hooks.h>
#include <kore/seccomp.h>

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"
#include "core/keystore.h"
#include "metrics.h"
#include "core/secret.h"

/*
 * Beyond Kore's list: glibc's stat() is newfstatat (the TLS reload check),
 * libpq/OpenSSL list a directory when a connection is (re)opened, and
 * glibc 2.34+ starts task threads with clone3 and registers rseq in them.
 */
KORE_SECCOMP_FILTER("mtapi",
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(clone3),
	KORE_SYSCALL_ALLOW(rseq),
	/* conn.c: the lingering close shuts the write side first. */
	KORE_SYSCALL_ALLOW(shutdown),
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer runtimes, in the test-asan build. */
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
#endif
);

struct app	app;

static void	init_fail(const char *, const char *) __attribute__((noreturn));
static void	init_keys(void);
static void	init_self_test(void);
static void	init_check_jit(PGconn *);

void
kore_parent_configure(int argc, char **argv)
{
	const char	*envfile;
	char		err[512];

	/* MTAPI_ENV_FILE points elsewhere (the tests use their own). */
	if ((envfile = getenv("MTAPI_ENV_FILE")) == NULL)
		envfile = ".env";
	if (settings_load(&app.s, envfile, err, sizeof(err)) == -1)
		init_fail("configuration", err);
	if (settings_check_production(&app.s, err, sizeof(err)) == -1 ||
	    settings_check_kek(&app.s, err, sizeof(err)) == -1)
		init_fail("configuration", err);

	log_set_level(app.s.log_level);
	log_set_format(app.s.log_format);

	/*
	 * Kore refuses a larger Content-Length before reading the body, and
	 * allocates (calloc) a buffer of the whole Content-Length as soon as
	 * the head is in. A fixed mmap threshold keeps such buffers out of
	 * the heap: untouched pages of a slowly sent body cost no memory,
	 * and a finished one is given back (glibc would otherwise raise the
	 * threshold and zero them in the heap: 1 MiB resident per client).
	 */
	http_body_max = (size_t)app.s.max_body;
#if !defined(__SANITIZE_ADDRESS__)
	/* (The sanitizer build has an allocator of its own.) */
	if (mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1)
		init_fail("memory", "mallopt(M_MMAP_THRESHOLD) failed");
#endif

	if (secret_init() == -1)
		init_fail("libsodium", "initialisation failed");

	init_keys();

	if (!kore_pgsql_register(API_DB, app.s.db_conninfo))
		init_fail("database", "cannot register the connection");

	if (tls_parent_prepare(err, sizeof(err)) == -1)
		init_fail("tls", err);

	/* Before fork: the workers share the segment. */
	if (metrics_parent_init(err, sizeof(err)) == -1)
		init_fail("metrics", err);

	if (app.s.debug) {
		log_line(LOG_LEVEL_WARNING, NULL, "DEBUG=True: development "
		    "settings, not for production");
	}

	log_line(LOG_LEVEL_INFO, NULL, "mtapi configured: %s tokens, "
	    "issuer %s, audience %s, leeway %lds, refresh reuse grace %lds",
	    settings_alg_name(app.s.jwt_alg), app.s.issuer, app.s.audience,
	    app.s.leeway, app.s.refresh_reuse);
}

void
kore_worker_configure(void)
{
	tls_worker_install();
	conn_init();
	http_server_version("mtapi");
	ratelimit_init();
	usage_init();
	keyring_init();
	metrics_worker_init();
	db_worker_init();
}

void
kore_worker_teardown(void)
{
	conn_drain();
	usage_teardown();
}

/*
 * The key ring, read through libpq before the workers fork. Without the
 * database the server starts all the same: workers read the ring as soon
 * as it answers, and refuse tokens with 503 until then.
 */
static void
init_keys(void)
{
	PGconn		*db;
	char		err[512];
	int		rc;

	if (keyset_kek(&app.s, app.kek) == -1)
		init_fail("configuration", "no key-encryption key");
	keyset_init(&app.ring, app.s.jwt_alg);
	token_keys_init(&app.keys, &app.s, &app.ring);

	db = PQconnectdb(app.s.db_conninfo);
	if (PQstatus(db) != CONNECTION_OK) {
		log_line(LOG_LEVEL_WARNING, NULL, "key ring: the database is "
		    "not available; the workers read the ring when it is");
		PQfinish(db);
		return;
	}
	PQclear(PQexec(db, "SET client_min_messages TO warning"));
	init_check_jit(db);
	rc = keystore_load(db, &app.s, app.kek, &app.ring, err, sizeof(err));
	PQfinish(db);
	if (rc == -1)
		init_fail("key ring", err);

	init_self_test();
	log_line(LOG_LEVEL_INFO, NULL, "key ring: %zu %s key(s), current %s",
	    app.ring.count, settings_alg_name(app.s.jwt_alg),
	    keyset_current(&app.ring)->kid);
}

/*
 * The database's sessions must not JIT-compile (sql/V013__no_jit.sql): a
 * statement whose estimate is far off compiles for seconds, holding one
 * of its worker's connections. A restored database lost that setting.
 */
static void
init_check_jit(PGconn *db)
{
	PGresult	*res;

	res = PQexec(db, "SHOW jit");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !strcmp(PQgetvalue(res, 0, 0), "on")) {
		log_line(LOG_LEVEL_WARNING, NULL, "database: jit is on for "
		    "this database's sessions: a statement may spend seconds "
		    "compiling itself; ALTER DATABASE %s SET jit = off "
		    "(sql/V013__no_jit.sql, docs/operations.md)",
		    PQdb(db));
	}
	PQclear(res);
}

/* A key that cannot sign and verify must stop the start, not every login. */
static void
init_self_test(void)
{
	struct token_claims	c, out;
	char			*tok;
	int			rc;

	memset(&c, 0, sizeof(c));
	c.token_type = TOKEN_TYPE_ACCESS;
	c.auth_type = AUTH_TYPE_SERVICE;
	token_uuid_new(c.tenant);
	token_uuid_new(c.jti);
	(void)snprintf(c.sub, sizeof(c.sub), "self-test");
	c.iat = time(NULL);
	c.exp = c.iat + 60;

	if ((tok = token_mint(&app.keys, &c)) == NULL)
		init_fail("jwt", "cannot sign with the configured key");
	rc = token_verify(&app.keys, tok, TOKEN_TYPE_ACCESS, time(NULL), &out);
	free(tok);
	if (rc != TOKEN_OK)
		init_fail("jwt", "tokens signed with the current key do not "
		    "verify");
}

static void
init_fail(const char *what, const char *why)
{
	fprintf(stderr, "mtapi: refusing to start: %s: %s\n", what, why);
	exit(1);
}
