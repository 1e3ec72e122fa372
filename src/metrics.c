/*
 * Prometheus metrics for the whole instance. Kore's workers are
 * processes: the parent maps one anonymous shared segment before they
 * fork (metrics_parent_init), every worker and task thread adds to it
 * with atomic operations, and a scrape answered by any worker reads
 * everything (metrics_render, text format 0.0.4).
 *
 * The segment (struct metrics_shm, about 60 KiB, fixed size):
 *   - counters: requests per route template x method x status class,
 *     a latency histogram per route template, 401/403/429 per reason,
 *     statement latency, rate limit syncs, argon2id time, TLS
 *     handshakes, requests per worker, event loop lag (how late each
 *     worker's 100 ms tick ran: a loop blocked in a call shows here);
 *   - gauges, one row per worker (each worker writes only its own row,
 *     a scrape adds the rows up): database slots in use, waiting and
 *     capacity, logins holding a hashing place, requests in flight
 *     (Kore's count, which includes those still reading their body).
 * Counters only grow and wrap at 2^64. A worker that Kore restarts keeps
 * its row (same id) and overwrites its gauges; its counters stay.
 *
 * Labels are bounded: route templates come from the configuration's
 * routes (src/dispatch.c sends each request of a route through its table;
 * Kore's handler is the route), never from a request's path; at most
 * METRICS_ROUTES_MAX, beyond that "other". No tenant label.
 */

#include <sys/mman.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "mtapi.h"
#include "metrics.h"

/* As assets/openapi.json's info.version. */
#define MTAPI_VERSION		"1.0.0"

#define METRICS_MAGIC		0x6d746170696d6574ULL

#define NMETHODS		8
#define NCLASSES		5
#define NBUCKETS		13	/* and +Inf */

/* The route slot of a request Kore matched to no known handler. */
#define ROUTE_OTHER		(METRICS_ROUTES_MAX - 1)

enum gauge {
	G_DB_USED,
	G_DB_WAITING,
	G_DB_CAPACITY,
	G_LOGIN_QUEUE,
	G_IN_FLIGHT,
	NGAUGES
};

struct histogram {
	u_int64_t	buckets[NBUCKETS + 1];	/* not cumulative */
	u_int64_t	sum_us;
};

struct metrics_shm {
	u_int64_t		magic;
	u_int64_t		requests[METRICS_ROUTES_MAX][NMETHODS][NCLASSES];
	struct histogram	latency[METRICS_ROUTES_MAX];
	u_int64_t		denied[8];	/* per denials[] */
	struct histogram	statement;
	u_int64_t		statement_errors;
	u_int64_t		batches;	/* src/batch.c */
	u_int64_t		batched;
	u_int64_t		rl_syncs[2];	/* failed, ok */
	u_int64_t		verdicts[3];	/* METRICS_VERDICT_* */
	struct histogram	argon2;
	u_int64_t		tls[2];		/* failed, ok */
	struct histogram	loop_lag;
	u_int64_t		worker_requests[METRICS_WORKERS_MAX];
	u_int8_t		worker_seen[METRICS_WORKERS_MAX];
	int64_t			gauges[METRICS_WORKERS_MAX][NGAUGES];
};

struct route_name {
	const struct kore_module_handle	*hdlr;
	int				slot;
};

/* Upper bounds in microseconds: 1 ms to 10 s. */
static const u_int64_t	bounds_us[NBUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};

static const char	*method_names[NMETHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"
};

/* The refusals by status and code (the body's "code"); "other" last. */
static const struct {
	int		status;
	const char	*reason;
} denials[] = {
	{ 401, "not_authenticated" },
	{ 401, "token_not_valid" },
	{ 401, "authentication_failed" },
	{ 401, "other" },
	{ 403, "permission_denied" },
	{ 403, "other" },
	{ 429, "throttled" },
	{ 429, "other" },
};

#define NDENIALS	(sizeof(denials) / sizeof(denials[0]))

static int	metrics_method(int);
static int	metrics_slot(const struct kore_module_handle *);
static int	metrics_worker(void);
static void	metrics_template(const char *, char *, size_t);
static void	metrics_observe(struct histogram *, u_int64_t);
static void	metrics_add(u_int64_t *, u_int64_t);
static u_int64_t metrics_get(const u_int64_t *);
static void	render_histogram(struct kore_buf *, const char *,
		    const char *, const struct histogram *);
static int64_t	gauge_sum(enum gauge);
static void	metrics_tick(void *, u_int64_t);

static struct metrics_shm	*shm;
/* Filled in the parent before fork; read-only in the workers. */
static struct route_name	routes[METRICS_ROUTES_MAX * 2];
static size_t			nroutes;
static char			templates[METRICS_ROUTES_MAX]
				    [METRICS_TEMPLATE_MAX];
static int			ntemplates;

int
metrics_parent_init(char *err, size_t errlen)
{
	struct kore_server		*srv;
	struct kore_domain		*dom;
	struct kore_module_handle	*hdlr;
	char				name[METRICS_TEMPLATE_MAX];
	int				i, slot;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		shm = NULL;
		(void)snprintf(err, errlen, "mmap: %s", errno_s);
		return (-1);
	}
	memset(shm, 0, sizeof(*shm));
	shm->magic = METRICS_MAGIC;

	/* Handlers of both listeners; a template shared by two, one slot. */
	(void)snprintf(templates[ROUTE_OTHER], METRICS_TEMPLATE_MAX, "other");
	LIST_FOREACH(srv, &kore_servers, list) {
		TAILQ_FOREACH(dom, &srv->domains, list) {
			TAILQ_FOREACH(hdlr, &dom->handlers, list) {
				metrics_template(hdlr->path, name,
				    sizeof(name));
				for (i = 0; i < ntemplates; i++) {
					if (!strcmp(templates[i], name))
						break;
				}
				if (i == ntemplates && ntemplates < ROUTE_OTHER)
					(void)snprintf(templates[ntemplates++],
					    METRICS_TEMPLATE_MAX, "%s", name);
				slot = i < ntemplates ? i : ROUTE_OTHER;
				if (nroutes < sizeof(routes) / sizeof(routes[0])) {
					routes[nroutes].hdlr = hdlr;
					routes[nroutes++].slot = slot;
				}
			}
		}
	}

	return (0);
}

#define METRICS_TICK_MS		100
/* A tick this much late is a blocked event loop: logged, once. */
#define METRICS_STALL_MS	250

/* When this worker's tick last ran (Kore's milliseconds). */
static u_int64_t	tick_last;

void
metrics_worker_init(void)
{
	if (shm == NULL)
		return;

	(void)metrics_worker();
	kore_timer_add(metrics_tick, METRICS_TICK_MS, NULL, 0);
}

/*
 * Kore's own figures, which no call of ours sees change; and how late
 * this tick runs, which is how long the worker's event loop was kept
 * from its turn (a blocking call, a long computation, the process not
 * scheduled): every request of the worker waited as long.
 */
static void
metrics_tick(void *unused, u_int64_t now)
{
	u_int64_t	lag;
	int		w;

	if ((w = metrics_worker()) == -1)
		return;

	if (tick_last != 0) {
		lag = now > tick_last + METRICS_TICK_MS ?
		    now - tick_last - METRICS_TICK_MS : 0;
		metrics_observe(&shm->loop_lag, lag * 1000);
		if (lag >= METRICS_STALL_MS)
			log_line(LOG_LEVEL_WARNING, NULL, "worker %d: its "
			    "event loop was blocked for %llu ms", w,
			    (unsigned long long)lag);
	}
	tick_last = now;

	__atomic_store_n(&shm->gauges[w][G_IN_FLIGHT],
	    (int64_t)http_request_count, __ATOMIC_RELAXED);
}

const char *
metrics_route_name(struct http_request *req)
{
	int		slot;

	if (req->hdlr == NULL)
		return (NULL);
	slot = metrics_slot(req->hdlr);
	return (templates[slot]);
}

void
metrics_request(struct http_request *req, int status, u_int64_t ms)
{
	int		slot, class, w;

	if (shm == NULL)
		return;

	slot = req->hdlr != NULL ? metrics_slot(req->hdlr) : ROUTE_OTHER;
	class = status / 100 - 1;
	if (class < 0 || class >= NCLASSES)
		class = NCLASSES - 1;

	metrics_add(&shm->requests[slot][metrics_method(req->method)][class],
	    1);
	metrics_observe(&shm->latency[slot], ms * 1000);
	if ((w = metrics_worker()) != -1)
		metrics_add(&shm->worker_requests[w], 1);
}

void
metrics_denied(int status, const char *reason)
{
	size_t		i, other;

	if (shm == NULL)
		return;

	other = NDENIALS;
	for (i = 0; i < NDENIALS; i++) {
		if (denials[i].status != status)
			continue;
		if (!strcmp(denials[i].reason, "other"))
			other = i;
		else if (reason != NULL && !strcmp(denials[i].reason, reason))
			break;
	}
	if (i == NDENIALS)
		i = other;
	if (i < NDENIALS)
		metrics_add(&shm->denied[i], 1);
}

void
metrics_db_slots(u_int32_t used, u_int32_t waiting, u_int32_t capacity)
{
	int		w;

	if (shm == NULL || (w = metrics_worker()) == -1)
		return;

	__atomic_store_n(&shm->gauges[w][G_DB_USED], used, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->gauges[w][G_DB_WAITING], waiting,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&shm->gauges[w][G_DB_CAPACITY], capacity,
	    __ATOMIC_RELAXED);
}

void
metrics_db_statement(u_int64_t us, int ok)
{
	if (shm == NULL)
		return;

	/* 0: it failed before it was sent (no connection). */
	if (us != 0)
		metrics_observe(&shm->statement, us);
	if (!ok)
		metrics_add(&shm->statement_errors, 1);
}

/* A batch of n request statements sent as one (src/batch.c). */
void
metrics_db_batch(u_int32_t n)
{
	if (shm == NULL)
		return;
	metrics_add(&shm->batches, 1);
	metrics_add(&shm->batched, n);
}

void
metrics_ratelimit_sync(int ok)
{
	if (shm != NULL)
		metrics_add(&shm->rl_syncs[ok ? 1 : 0], 1);
}

void
metrics_verdict(int what)
{
	if (shm != NULL && what >= 0 && what < 3)
		metrics_add(&shm->verdicts[what], 1);
}

void
metrics_login_queue(long n)
{
	int		w;

	if (shm == NULL || (w = metrics_worker()) == -1)
		return;

	__atomic_store_n(&shm->gauges[w][G_LOGIN_QUEUE], n, __ATOMIC_RELAXED);
}

/* On a task thread: the segment is the process's, atomics suffice. */
void
metrics_argon2(u_int64_t us)
{
	if (shm != NULL)
		metrics_observe(&shm->argon2, us);
}

void
metrics_tls_handshake(int ok)
{
	if (shm != NULL)
		metrics_add(&shm->tls[ok ? 1 : 0], 1);
}

u_int64_t
metrics_now_us(void)
{
	struct timespec		ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((u_int64_t)ts.tv_sec * 1000000 +
	    (u_int64_t)ts.tv_nsec / 1000);
}

void
metrics_render(struct kore_buf *b)
{
	int		r, m, c, w;
	size_t		i;
	u_int64_t	v;
	char		label[METRICS_TEMPLATE_MAX + 16];

	if (shm == NULL)
		return;

	kore_buf_appendf(b, "# HELP mtapi_build_info The running build.\n"
	    "# TYPE mtapi_build_info gauge\n"
	    "mtapi_build_info{version=\"%s\",kore=\"%s\",openssl=\"%s\"} 1\n",
	    MTAPI_VERSION, kore_version, OpenSSL_version(OPENSSL_VERSION));

	kore_buf_appendf(b, "# HELP mtapi_http_requests_total Answered "
	    "requests by route template, method and status class.\n"
	    "# TYPE mtapi_http_requests_total counter\n");
	for (r = 0; r < METRICS_ROUTES_MAX; r++) {
		for (m = 0; m < NMETHODS; m++) {
			for (c = 0; c < NCLASSES; c++) {
				v = metrics_get(&shm->requests[r][m][c]);
				if (v == 0)
					continue;
				kore_buf_appendf(b, "mtapi_http_requests_total"
				    "{route=\"%s\",method=\"%s\",code=\"%dxx\"}"
				    " %llu\n", templates[r], method_names[m],
				    c + 1, (unsigned long long)v);
			}
		}
	}

	kore_buf_appendf(b, "# HELP mtapi_http_request_duration_seconds "
	    "Time from a request's head to its answer, by route template.\n"
	    "# TYPE mtapi_http_request_duration_seconds histogram\n");
	for (r = 0; r < METRICS_ROUTES_MAX; r++) {
		for (i = 0, v = 0; i <= NBUCKETS; i++)
			v += metrics_get(&shm->latency[r].buckets[i]);
		if (v == 0)
			continue;
		(void)snprintf(label, sizeof(label), "route=\"%.95s\"",
		    templates[r]);
		render_histogram(b, "mtapi_http_request_duration_seconds",
		    label, &shm->latency[r]);
	}

	kore_buf_appendf(b, "# HELP mtapi_http_requests_in_flight Requests "
	    "received and not answered yet, all workers (every %d ms).\n"
	    "# TYPE mtapi_http_requests_in_flight gauge\n"
	    "mtapi_http_requests_in_flight %lld\n", METRICS_TICK_MS,
	    (long long)gauge_sum(G_IN_FLIGHT));

	kore_buf_appendf(b, "# HELP mtapi_http_denied_total 401, 403 and 429 "
	    "answers by reason (the body's code).\n"
	    "# TYPE mtapi_http_denied_total counter\n");
	for (i = 0; i < NDENIALS; i++) {
		kore_buf_appendf(b, "mtapi_http_denied_total{status=\"%d\","
		    "reason=\"%s\"} %llu\n", denials[i].status,
		    denials[i].reason,
		    (unsigned long long)metrics_get(&shm->denied[i]));
	}

	kore_buf_appendf(b, "# HELP mtapi_db_slots_in_use Request database "
	    "connection slots taken, all workers.\n"
	    "# TYPE mtapi_db_slots_in_use gauge\n"
	    "mtapi_db_slots_in_use %lld\n"
	    "# HELP mtapi_db_slots_waiting Requests waiting for a database "
	    "connection slot, all workers.\n"
	    "# TYPE mtapi_db_slots_waiting gauge\n"
	    "mtapi_db_slots_waiting %lld\n"
	    "# HELP mtapi_db_slots_capacity Request database connection "
	    "slots, all workers.\n"
	    "# TYPE mtapi_db_slots_capacity gauge\n"
	    "mtapi_db_slots_capacity %lld\n",
	    (long long)gauge_sum(G_DB_USED), (long long)gauge_sum(G_DB_WAITING),
	    (long long)gauge_sum(G_DB_CAPACITY));

	kore_buf_appendf(b, "# HELP mtapi_db_statement_duration_seconds "
	    "Request statements, from sending to the last row.\n"
	    "# TYPE mtapi_db_statement_duration_seconds histogram\n");
	render_histogram(b, "mtapi_db_statement_duration_seconds", NULL,
	    &shm->statement);
	kore_buf_appendf(b, "# HELP mtapi_db_statement_errors_total Request "
	    "statements that failed.\n"
	    "# TYPE mtapi_db_statement_errors_total counter\n"
	    "mtapi_db_statement_errors_total %llu\n",
	    (unsigned long long)metrics_get(&shm->statement_errors));
	kore_buf_appendf(b, "# HELP mtapi_db_batches_total Statements that "
	    "carried several waiting requests' creates at once.\n"
	    "# TYPE mtapi_db_batches_total counter\n"
	    "mtapi_db_batches_total %llu\n"
	    "# HELP mtapi_db_batched_requests_total Requests whose create went "
	    "out in such a statement.\n"
	    "# TYPE mtapi_db_batched_requests_total counter\n"
	    "mtapi_db_batched_requests_total %llu\n",
	    (unsigned long long)metrics_get(&shm->batches),
	    (unsigned long long)metrics_get(&shm->batched));

	kore_buf_appendf(b, "# HELP mtapi_ratelimit_syncs_total Rate limit "
	    "synchronisations with the database.\n"
	    "# TYPE mtapi_ratelimit_syncs_total counter\n"
	    "mtapi_ratelimit_syncs_total{result=\"ok\"} %llu\n"
	    "mtapi_ratelimit_syncs_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_get(&shm->rl_syncs[1]),
	    (unsigned long long)metrics_get(&shm->rl_syncs[0]));

	kore_buf_appendf(b, "# HELP mtapi_verdict_cache_total API statements "
	    "by the remembered verdict they were sent: hit (the principal "
	    "check skipped), miss or changed (the full check ran).\n"
	    "# TYPE mtapi_verdict_cache_total counter\n"
	    "mtapi_verdict_cache_total{result=\"hit\"} %llu\n"
	    "mtapi_verdict_cache_total{result=\"miss\"} %llu\n"
	    "mtapi_verdict_cache_total{result=\"changed\"} %llu\n",
	    (unsigned long long)metrics_get(
	    &shm->verdicts[METRICS_VERDICT_HIT]),
	    (unsigned long long)metrics_get(
	    &shm->verdicts[METRICS_VERDICT_MISS]),
	    (unsigned long long)metrics_get(
	    &shm->verdicts[METRICS_VERDICT_CHANGED]));

	kore_buf_appendf(b, "# HELP mtapi_login_hashing_queue Password "
	    "checks queued or running on task threads, all workers.\n"
	    "# TYPE mtapi_login_hashing_queue gauge\n"
	    "mtapi_login_hashing_queue %lld\n"
	    "# HELP mtapi_login_argon2_duration_seconds Time of one argon2id "
	    "password check on a task thread.\n"
	    "# TYPE mtapi_login_argon2_duration_seconds histogram\n",
	    (long long)gauge_sum(G_LOGIN_QUEUE));
	render_histogram(b, "mtapi_login_argon2_duration_seconds", NULL,
	    &shm->argon2);

	kore_buf_appendf(b, "# HELP mtapi_tls_handshakes_total TLS "
	    "handshakes completed, and failed with a fatal alert.\n"
	    "# TYPE mtapi_tls_handshakes_total counter\n"
	    "mtapi_tls_handshakes_total{result=\"ok\"} %llu\n"
	    "mtapi_tls_handshakes_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_get(&shm->tls[1]),
	    (unsigned long long)metrics_get(&shm->tls[0]));

	kore_buf_appendf(b, "# HELP mtapi_worker_event_loop_lag_seconds "
	    "How late each worker's %d ms tick ran: the time its event "
	    "loop, and every request it holds, was kept waiting.\n"
	    "# TYPE mtapi_worker_event_loop_lag_seconds histogram\n",
	    METRICS_TICK_MS);
	render_histogram(b, "mtapi_worker_event_loop_lag_seconds", NULL,
	    &shm->loop_lag);

	kore_buf_appendf(b, "# HELP mtapi_worker_requests_total Answered "
	    "requests by worker (both listeners).\n"
	    "# TYPE mtapi_worker_requests_total counter\n");
	for (w = 0; w < METRICS_WORKERS_MAX; w++) {
		if (!__atomic_load_n(&shm->worker_seen[w], __ATOMIC_RELAXED))
			continue;
		kore_buf_appendf(b, "mtapi_worker_requests_total{worker=\"%d\"}"
		    " %llu\n", w,
		    (unsigned long long)metrics_get(&shm->worker_requests[w]));
	}
}

/* A histogram's cumulative buckets, sum and count. */
static void
render_histogram(struct kore_buf *b, const char *name, const char *label,
    const struct histogram *h)
{
	size_t		i;
	u_int64_t	total;
	const char	*sep;

	sep = label != NULL ? "," : "";
	if (label == NULL)
		label = "";

	total = 0;
	for (i = 0; i < NBUCKETS; i++) {
		total += metrics_get(&h->buckets[i]);
		kore_buf_appendf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
		    label, sep, (double)bounds_us[i] / 1e6,
		    (unsigned long long)total);
	}
	total += metrics_get(&h->buckets[NBUCKETS]);
	kore_buf_appendf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label,
	    sep, (unsigned long long)total);
	kore_buf_appendf(b, "%s_sum%s%s%s %.6f\n", name, *label ? "{" : "",
	    label, *label ? "}" : "", (double)metrics_get(&h->sum_us) / 1e6);
	kore_buf_appendf(b, "%s_count%s%s%s %llu\n", name, *label ? "{" : "",
	    label, *label ? "}" : "", (unsigned long long)total);
}

static int64_t
gauge_sum(enum gauge g)
{
	int		w;
	int64_t		sum;

	sum = 0;
	for (w = 0; w < METRICS_WORKERS_MAX; w++)
		sum += __atomic_load_n(&shm->gauges[w][g], __ATOMIC_RELAXED);

	return (sum);
}

static void
metrics_observe(struct histogram *h, u_int64_t us)
{
	size_t		i;

	for (i = 0; i < NBUCKETS && us > bounds_us[i]; i++)
		;
	metrics_add(&h->buckets[i], 1);
	metrics_add(&h->sum_us, us);
}

static void
metrics_add(u_int64_t *c, u_int64_t n)
{
	(void)__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static u_int64_t
metrics_get(const u_int64_t *c)
{
	return (__atomic_load_n(c, __ATOMIC_RELAXED));
}

static int
metrics_method(int method)
{
	switch (method) {
	case HTTP_METHOD_GET:
		return (0);
	case HTTP_METHOD_HEAD:
		return (1);
	case HTTP_METHOD_POST:
		return (2);
	case HTTP_METHOD_PUT:
		return (3);
	case HTTP_METHOD_PATCH:
		return (4);
	case HTTP_METHOD_DELETE:
		return (5);
	case HTTP_METHOD_OPTIONS:
		return (6);
	default:
		return (7);
	}
}

/* Handlers were made before fork: the same pointers in every worker. */
static int
metrics_slot(const struct kore_module_handle *hdlr)
{
	size_t		i;

	for (i = 0; i < nroutes; i++) {
		if (routes[i].hdlr == hdlr)
			return (routes[i].slot);
	}

	return (ROUTE_OTHER);
}

/* This worker's row, marked as seen; -1 outside a worker. */
static int
metrics_worker(void)
{
	if (worker == NULL || worker->id >= METRICS_WORKERS_MAX)
		return (-1);

	if (!shm->worker_seen[worker->id])
		__atomic_store_n(&shm->worker_seen[worker->id], 1,
		    __ATOMIC_RELAXED);

	return (worker->id);
}

/*
 * A route's regex as a template: "^/api/v1/projects/[0-9]+/?$" is
 * "/api/v1/projects/{id}/", another class "{name}", ".*" "{path}".
 */
static void
metrics_template(const char *re, char *out, size_t len)
{
	const char	*p, *end;
	size_t		n;

	n = 0;
	p = re;
	if (*p == '^')
		p++;

	while (*p != '\0' && n + 8 < len) {
		if (!strncmp(p, "[0-9]+", 6)) {
			n += (size_t)snprintf(out + n, len - n, "{id}");
			p += 6;
		} else if (*p == '[' && (end = strchr(p, ']')) != NULL &&
		    (end[1] == '+' || end[1] == '*')) {
			n += (size_t)snprintf(out + n, len - n, "{name}");
			p = end + 2;
		} else if (!strncmp(p, ".*", 2)) {
			n += (size_t)snprintf(out + n, len - n, "{path}");
			p += 2;
		} else if (*p == '?' || (*p == '$' && p[1] == '\0')) {
			p++;
		} else if (*p == '\\' && p[1] != '\0') {
			out[n++] = p[1];
			p += 2;
		} else if (*p == '"') {
			/* Not in a label value unescaped. */
			out[n++] = '_';
			p++;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}
