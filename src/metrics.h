/*
 * Prometheus metrics of the whole instance (src/metrics.c): one shared
 * memory segment, made by the parent before the workers fork, that every
 * worker (and its task threads) adds to atomically. A scrape on any
 * worker reads the sums of all of them. docs/operations.md lists the
 * families.
 */

#ifndef MTAPI_METRICS_H
#define MTAPI_METRICS_H

#include <sys/types.h>

#include <stddef.h>

#include <kore/kore.h>
#include <kore/http.h>

/* Limits of the segment; a route past METRICS_ROUTES_MAX is "other". */
#define METRICS_ROUTES_MAX	64
#define METRICS_WORKERS_MAX	64
#define METRICS_TEMPLATE_MAX	96

/* Parent, before fork: the segment and the route templates. */
int		metrics_parent_init(char *, size_t);
/* A worker, at start: its row is shown from now on. */
void		metrics_worker_init(void);

/* The route's template ("/api/v1/projects/{id}/"), or NULL. */
const char	*metrics_route_name(struct http_request *);

void		metrics_request(struct http_request *, int, u_int64_t);
void		metrics_denied(int, const char *);
void		metrics_db_slots(u_int32_t, u_int32_t, u_int32_t);
void		metrics_db_statement(u_int64_t, int);
void		metrics_db_batch(u_int32_t);
void		metrics_ratelimit_sync(int);
/* A remembered verdict (src/verdict.c) as a statement found it. */
#define METRICS_VERDICT_HIT	0	/* the epoch sent still held */
#define METRICS_VERDICT_MISS	1	/* none remembered: full check */
#define METRICS_VERDICT_CHANGED	2	/* the epoch moved: full check */
void		metrics_verdict(int);
void		metrics_login_queue(long);
void		metrics_argon2(u_int64_t);
void		metrics_tls_handshake(int);
u_int64_t	metrics_now_us(void);

/* The exposition (text format 0.0.4) into buf. */
void		metrics_render(struct kore_buf *);

#endif
