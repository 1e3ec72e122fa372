/*
 * The Kore module: its layers, its return convention, and the types and
 * functions its files share. docs/architecture.md follows one request
 * through them.
 *
 * Layers, bottom up. A file calls only into its own layer or the ones
 * below it, never up, and no two files call each other in a circle
 * (../shared/tools/callgraph src checks both):
 *
 *   1. src/core/       plain C shared with the operator command, no Kore:
 *                      settings, .env, Host/Origin, value lists, tokens,
 *                      secrets, permissions, body JSON and its fields,
 *                      paging, logs.
 *   2. request.c       the per-request context (request_*): created
 *                      once, freed by Kore with the request, with hooks
 *                      for what higher layers keep in it; its wakeup.
 *      conn.c          connections where Kore 4.1 falls short (conn_*,
 *                      src/conn.h): pipelining, the drain on stop, a
 *                      database connection that breaks.
 *   3. bgquery.c       the worker's own services: background statements
 *      ratelimit.c     (bgquery_*), tenant rate limits (ratelimit_*),
 *      usage.c         the API client usage log (usage_*), TLS (tls_*),
 *      tls.c           remembered verdicts (verdict_*), remembered
 *      verdict.c       verified tokens (verified_*), the signing key
 *      verified.c      ring kept current (keyring_*), the instance's
 *      keyring.c       metrics, shared by the workers (metrics_*,
 *      metrics.c       src/metrics.h).
 *   4. response.c      everything that leaves (resp_*): headers, access
 *                      log, usage record, error bodies.
 *   5. input.c         checks of what came in that answer 4xx themselves
 *                      (input_*): Host, path ids, query parameters,
 *                      the JSON body, body fields; the route validators.
 *   6. db.c            the database state machine (db_*): statements,
 *                      bound parameters, connection slots, tasks;
 *      prepared.c      each statement prepared once per connection
 *                      (prepared_*), and waiting creates sent as one
 *      batch.c         statement (batch_*), both called by db.c alone.
 *   7. resource.c      a route's generic parts: detail and write
 *      listing.c       statements (resource_*), lists (listing_*), the
 *      dispatch.c      method and permission checks (dispatch_*), and
 *      auth.c          the bearer token hook (auth_bearer).
 *   8. handlers/       one file per page; init.c, the module life cycle.
 *
 * The return convention, everywhere in src/:
 *   - A function that can fail returns 0 on success and a negative value
 *     on failure: -1, or a named negative reason (TOKEN_E_*) where the
 *     caller logs why. In layers 4 to 7, -1 means "the request has been
 *     answered": the caller stops.
 *   - A predicate, named as a question (*_valid, *_allowed, *_matches,
 *     *_busy, *_contains), returns 1 for yes and 0 for no.
 *   - Steps of a route's state machine return what happens next
 *     (STEP_*), as Kore's states return HTTP_STATE_*; functions Kore
 *     calls (handlers, validators, hooks) return Kore's KORE_RESULT_*.
 */

#ifndef MTAPI_H
#define MTAPI_H

#include <sys/types.h>

#include <stdint.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/tasks.h>

#include <jansson.h>

#include "core/bodyjson.h"
#include "core/envfile.h"
#include "core/fields.h"
#include "core/hosts.h"
#include "core/keyset.h"
#include "core/log.h"
#include "core/perms.h"
#include "core/proxies.h"
#include "core/settings.h"
#include "core/token.h"
#include "core/values.h"

#define API_DB			"db"
#define API_PARAMS_MAX		24
#define API_COLS_MAX		12
#define API_RID_MAX		64

/* A route method's flags. */
#define API_F_BODY		0x01	/* expects a JSON object body */

/* What a start or step function did. */
#define STEP_RESPONDED		0	/* a response was queued: finished */
#define STEP_QUERY		1	/* db_statement() set up a statement */
#define STEP_TASK		2	/* db_task_start() started a task */

struct api_req;
struct batch;

/* A list request's page (src/listing.c). */
struct api_list {
	int64_t		page;
	int64_t		size;
	int64_t		offset;
	const char	*ordering;
};

typedef int	(*api_step_fn)(struct http_request *, struct api_req *);

struct api_method {
	int		method;		/* HTTP_METHOD_*; GET serves HEAD too */
	int		action;		/* PERM_READ or PERM_WRITE */
	int		flags;
	api_step_fn	start;		/* validate input, set up the work */
	api_step_fn	step;		/* after each query or task finishes */
	/* Optional: answer a database failure in the route's own way. */
	void		(*fail)(struct http_request *, struct api_req *, int);
};

/*
 * A resource's detail and write statements and its body rules, for the
 * generic start functions of src/resource.c.
 */
struct api_resource {
	const char		*prefix;	/* path before the id */
	const struct field_rule	*rules;		/* in the SQL's mask order */
	size_t			nrules;
	const char		*sql_get;	/* principal, id */
	const char		*sql_create;	/* principal, fields */
	/* principal, id, mask, fields */
	const char		*sql_update;
	const char		*sql_delete;	/* principal, id */
	/* sql_create's batch form (src/batch.c); NULL: none. */
	const char		*sql_create_batch;
};

struct api_route {
	struct perm_rule	perm;	/* perm.resource NULL: public route */
	const struct api_method	*methods;
	size_t			nmethods;
	const struct api_resource *res;	/* NULL: not a resource route */
};

/*
 * Per-request context (src/request.c), created by whichever layer first
 * asks for it and freed with the request. What a higher layer keeps here
 * it frees through a hook: db_free (src/db.c), priv_free (handlers).
 */
struct api_req {
	struct principal	p;
	int			authed;
	int			dispatched;
	char			rid[API_RID_MAX + 1];
	u_int64_t		started;	/* ms */
	int			status;

	const struct api_route	*route;
	const struct api_method	*m;
	json_t			*body;
	struct field_result	fields;
	int64_t			id;		/* the path's object id */
	struct api_list		list;

	/* The statement in flight and its first row (src/db.c). */
	struct kore_pgsql	sql;
	int			sql_active;
	int			sql_retried;
	int			sql_resets;
	int			sql_named;	/* sent as a prepared one */
	int			sql_replanned;
	u_int64_t		sql_sent;	/* us; 0: none in flight */

	/* A place in the line for a database connection (src/db.c). */
	struct http_request	*owner;
	int			db_slot;
	int			db_batchable;	/* its slot, with a batch form */
	int			db_queued;
	int			db_plain;	/* waits, without a batch form */
	TAILQ_ENTRY(api_req)	db_wait;
	const char		*query;
	const char		*params[API_PARAMS_MAX];
	char			*owned[API_PARAMS_MAX];
	int			nparams;
	int			verdict_at;	/* its $n, 0: none */
	char			*cols[API_COLS_MAX];
	int			ncols;
	int			nrows;

	/* A statement that may go out with others' (src/batch.c). */
	const char		*batch_sql;	/* its batch form; NULL: none */
	struct batch		*batch;		/* the one it is in */

	struct kore_task	task;
	int			task_active;
	/*
	 * A handler's, called once (src/db.c) when no task of the request
	 * runs any more, however the request ended: a client that leaves
	 * does not end the task it started.
	 */
	void			(*task_done)(void *);
	void			*task_done_arg;

	/* Set by src/db.c once it holds something of this request. */
	void			(*db_free)(struct api_req *);

	/* Rate limit figures for the response headers (-1: none). */
	long			rl_limit;
	long			rl_remaining;
	time_t			rl_charged;	/* when charged; 0: not */

	/* Handler-owned state, freed with the request. */
	void			*priv;
	void			(*priv_free)(void *);
};

/*
 * The running configuration (src/init.c): the settings, the key ring
 * (read by the parent, kept current by each worker: src/keyring.c), its
 * key-encryption key, and the token checks over them.
 */
struct app {
	struct settings		s;
	struct keyset		ring;
	unsigned char		kek[KEYSET_KEK_LEN];
	struct token_keys	keys;
};

extern struct app	app;

/* 2. src/request.c */
struct api_req	*request_get(struct http_request *);
const char	*request_client_ip(struct http_request *, char *, size_t);
void		request_wakeup(struct http_request *);
void		request_kick(void);

/* 3. src/ratelimit.c, src/usage.c, src/tls.c, src/verdict.c, src/keyring.c
 *    (bgquery.h) */
void	ratelimit_init(void);
int	ratelimit_take(const char *, long *, long *, long *);
void	ratelimit_refund(const char *, time_t);
void	ratelimit_learn(const char *, long);
void	ratelimit_sync(void *, u_int64_t);

void	usage_init(void);
void	usage_record(struct http_request *, struct api_req *);
void	usage_flush(void *, u_int64_t);
void	usage_teardown(void);

int	tls_parent_prepare(char *, size_t);
void	tls_worker_install(void);

int	verdict_get(const struct principal *, int64_t *);
void	verdict_learn(const struct principal *, const char *);
int	verified_get(const char *, u_int64_t, struct principal *, time_t *);
void	verified_put(const char *, u_int64_t, const struct principal *,
	    time_t);
void		keyring_init(void);
void		keyring_poll(void *, u_int64_t);
int		keyring_ready(void);
u_int64_t	keyring_generation(void);

/* 4. src/response.c */
void	resp_send(struct http_request *, int, const void *, size_t);
void	resp_send_typed(struct http_request *, int, const char *,
	    const void *, size_t);
void	resp_json(struct http_request *, int, json_t *);
void	resp_error(struct http_request *, int, const char *, const char *);
void	resp_error_fields(struct http_request *, json_t *);
void	resp_error_db(struct http_request *, int);
int	resp_passthrough(struct http_request *, struct api_req *);

/* 5. src/input.c */
int		input_admit(struct http_request *, struct api_req *);
int		input_path_id(struct http_request *, struct api_req *,
		    const char *);
int		input_qs_check(struct http_request *, struct api_req *);
const char	*input_arg(struct http_request *, const char *);
int		input_arg_id(struct http_request *, const char *,
		    const char **);
int		input_body(struct http_request *, struct api_req *);
int		input_validate(struct http_request *, struct api_req *,
		    const struct field_rule *, size_t, int);

/* 6. src/db.c */
void	db_worker_init(void);
void	db_statement(struct api_req *, const char *);
void	db_statement_batch(struct api_req *, const char *);
void	db_bind(struct api_req *, const char *);
void	db_bind_owned(struct api_req *, char *);
void	db_bind_int(struct api_req *, int64_t);
void	db_bind_principal(struct api_req *);
void	db_bind_origin(struct http_request *, struct api_req *);
void	db_bind_fields(struct api_req *, size_t);
void	db_bind_mask(struct api_req *);
int	db_start(struct http_request *, int);
int	db_run(struct http_request *);
int	db_task_start(struct http_request *, struct api_req *,
	    int (*)(struct kore_task *), const void *, size_t);

/*
 * 6. src/batch.c: what batch_run() tells each request (member_done).
 */
#define BATCH_MAX		32
#define BATCH_ROW		0	/* its row is in cols */
#define BATCH_AGAIN		1	/* nothing ran: run it on its own */
#define BATCH_UNAVAILABLE	2	/* the database failed (503) */
#define BATCH_NO_ROW		3	/* the statement answered no row */
void	batch_init(void);
int	batch_run(const char *, struct api_req **, int,
	    void (*)(struct api_req *, int), void (*)(void));
void	batch_forget(struct api_req *);

/*
 * 6. src/prepared.c. prepared_send() answers KORE_RESULT_* as the Kore
 * sending call it stands in for; prepared_replan() 1: send the statement
 * again, the connection prepares anew.
 */
int	prepared_send(struct http_request *, struct api_req *);
int	prepared_replan(struct api_req *);

/* 7. src/resource.c, src/listing.c, src/dispatch.c, src/auth.c */
int	resource_by_id(struct http_request *, struct api_req *,
	    const char *, const char *);
int	resource_get(struct http_request *, struct api_req *);
int	resource_create(struct http_request *, struct api_req *);
int	resource_put(struct http_request *, struct api_req *);
int	resource_patch(struct http_request *, struct api_req *);
int	resource_delete(struct http_request *, struct api_req *);

int	listing_begin(struct http_request *, struct api_req *, const char *);
void	listing_bind(struct api_req *);
int	listing_step(struct http_request *, struct api_req *);

int	dispatch_route(struct http_request *, const struct api_route *);

int	auth_bearer(struct http_request *, const void *);

#endif
