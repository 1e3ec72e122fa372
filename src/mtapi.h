/*
 * The Kore module: types and functions shared by its files.
 *
 * A request's way: conf/routes.conf routes it to a handler in
 * src/handlers/, behind the "bearer" authentication block whose validator
 * is auth_bearer() (src/auth_hook.c). The handler hands its route table to
 * api_dispatch() (src/dispatch.c), which checks the method, the route's
 * permission rule and the body, then runs the route's start function and
 * the database state machine in src/db.c. Responses go out through
 * src/response.c.
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

#include "core/envfile.h"
#include "core/fields.h"
#include "core/hosts.h"
#include "core/log.h"
#include "core/perms.h"
#include "core/settings.h"
#include "core/token.h"

#define API_DB			"db"
#define API_PARAMS_MAX		24
#define API_COLS_MAX		12
#define API_RID_MAX		64

/* A route method's flags. */
#define API_F_BODY		0x01	/* expects a JSON object body */

/* What a start or step function did. */
#define STEP_RESPONDED		0	/* a response was queued: finished */
#define STEP_QUERY		1	/* api_query() set up a statement */
#define STEP_TASK		2	/* api_task_start() started a task */

struct api_req;

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
};

struct api_route {
	struct perm_rule	perm;	/* perm.resource NULL: public route */
	const struct api_method	*methods;
	size_t			nmethods;
	const struct api_resource *res;	/* NULL: not a resource route */
};

/* Per-request context: created by the auth hook or the dispatcher. */
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

	/* The statement in flight and its first row. */
	struct kore_pgsql	sql;
	int			sql_active;
	int			sql_retried;
	int			sql_resets;

	/* A place in the line for a database connection (src/db.c). */
	struct http_request	*owner;
	int			db_slot;
	int			db_queued;
	TAILQ_ENTRY(api_req)	db_wait;
	const char		*query;
	const char		*params[API_PARAMS_MAX];
	char			*owned[API_PARAMS_MAX];
	int			nparams;
	char			*cols[API_COLS_MAX];
	int			ncols;
	int			nrows;

	struct kore_task	task;
	int			task_active;

	/* Rate limit figures for the response headers (-1: none). */
	long			rl_limit;
	long			rl_remaining;

	/* Handler-owned state, freed with the request. */
	void			*priv;
	void			(*priv_free)(void *);
};

/* The running configuration (src/init.c). */
struct app {
	struct settings		s;
	struct token_keys	keys;
};

extern struct app	app;

/* src/request.c */
struct api_req	*api_req_get(struct http_request *);
int		api_req_admit(struct http_request *, struct api_req *);
const char	*api_client_ip(struct http_request *, char *, size_t);
int		api_path_id(struct http_request *, struct api_req *,
		    const char *);
int		api_qs_check(struct http_request *, struct api_req *);
const char	*api_arg(struct http_request *, const char *);
int		api_arg_id(struct http_request *, struct api_req *,
		    const char *, const char **);
int		api_validate(struct http_request *, struct api_req *,
		    const struct field_rule *, size_t, int);

/* src/resource.c: start functions for a route's api_resource */
int	api_resource_get(struct http_request *, struct api_req *);
int	api_resource_create(struct http_request *, struct api_req *);
int	api_resource_put(struct http_request *, struct api_req *);
int	api_resource_patch(struct http_request *, struct api_req *);
int	api_resource_delete(struct http_request *, struct api_req *);

/* src/listing.c */
int	api_list_begin(struct http_request *, struct api_req *, const char *);
void	api_list_bind(struct api_req *);
int	api_list_step(struct http_request *, struct api_req *);

/* src/response.c */
void	api_respond(struct http_request *, int, const void *, size_t);
void	api_respond_typed(struct http_request *, int, const char *,
	    const void *, size_t);
void	api_respond_json(struct http_request *, int, json_t *);
void	api_error(struct http_request *, int, const char *, const char *);
void	api_error_fields(struct http_request *, json_t *);
void	api_error_db(struct http_request *, struct api_req *, int);
int	api_passthrough(struct http_request *, struct api_req *);

/* src/dispatch.c */
int	api_dispatch(struct http_request *, const struct api_route *);

/* src/db.c */
void	api_query(struct api_req *, const char *);
void	api_bind(struct api_req *, const char *);
void	api_bind_owned(struct api_req *, char *);
void	api_bind_int(struct api_req *, int64_t);
void	api_bind_principal(struct api_req *);
void	api_bind_fields(struct api_req *, size_t);
void	api_bind_mask(struct api_req *);
int	api_query_by_id(struct http_request *, struct api_req *,
	    const char *, const char *);
int	api_db_start(struct http_request *, int);
int	api_db_run(struct http_request *);
void	api_db_release(struct api_req *);
int	api_task_start(struct http_request *, struct api_req *,
	    int (*)(struct kore_task *), const void *, size_t);

/* src/auth_hook.c */
int	auth_bearer(struct http_request *, const void *);

/* src/ratelimit.c */
void	ratelimit_init(void);
int	ratelimit_take(const char *, long *, long *, long *);
void	ratelimit_learn(const char *, long);
void	ratelimit_sync(void *, u_int64_t);

/* src/usage.c */
void	usage_init(void);
void	usage_record(struct http_request *, struct api_req *);
void	usage_flush(void *, u_int64_t);
void	usage_teardown(void);

/* src/tls.c */
int	tls_parent_prepare(char *, size_t);
void	tls_worker_install(void);

#endif
