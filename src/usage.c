/*
 * The API client usage log: every API client request is recorded (client,
 * tenant, method, path, status, latency, client IP, time), but not on the
 * request's critical path. Records collect in the worker and go to the
 * database once a second in one statement; a worker stopping flushes what
 * it holds.
 */

#include <string.h>
#include <time.h>

#include "mtapi.h"
#include "bgquery.h"

#define USAGE_FLUSH_MS		1000
#define USAGE_BUFFER_MAX	20000

#define USAGE_SQL	"SELECT api.usage_insert($1::json)"

static json_t		*usage_buf;	/* records not yet sent */
static size_t		usage_sent;	/* the first usage_sent are in flight */
static u_int64_t	usage_dropped;
static struct bgquery	usage_query;

static void	usage_done(int, void *);
static double	wall_clock(void);
static void	usage_keep_from(size_t);

void
usage_init(void)
{
	usage_buf = json_array();
	usage_query.name = "usage flush";
	usage_query.on_done = usage_done;

	kore_timer_add(usage_flush, USAGE_FLUSH_MS, NULL, 0);
}

void
usage_record(struct http_request *req, struct api_req *ar)
{
	json_t		*rec;
	char		ip[INET6_ADDRSTRLEN];

	if (usage_buf == NULL)
		return;

	if (json_array_size(usage_buf) >= USAGE_BUFFER_MAX) {
		usage_dropped++;
		return;
	}

	rec = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:f}",
	    "client_id", ar->p.subject,
	    "tenant", ar->p.tenant,
	    "method", http_method_text(req->method),
	    "path", req->path,
	    "status", ar->status,
	    "latency_ms", (json_int_t)(kore_time_ms() - ar->started),
	    "ip", request_client_ip(req, ip, sizeof(ip)),
	    "at", wall_clock());
	if (rec != NULL)
		json_array_append_new(usage_buf, rec);
}

void
usage_flush(void *unused, u_int64_t now)
{
	json_t		*batch;
	char		*text;
	size_t		i, n;

	if (usage_dropped > 0) {
		log_line(LOG_LEVEL_WARNING, NULL, "usage log: dropped %llu "
		    "records (database unavailable?)",
		    (unsigned long long)usage_dropped);
		usage_dropped = 0;
	}

	n = json_array_size(usage_buf);
	if (n == 0 || bgquery_busy(&usage_query))
		return;

	batch = json_array();
	for (i = 0; i < n; i++)
		json_array_append(batch, json_array_get(usage_buf, i));
	text = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	if (text == NULL)
		return;

	if (bgquery_start(&usage_query, USAGE_SQL, text) == 0)
		usage_sent = n;
	free(text);
}

/* kore_time_ms() is monotonic: the log wants the time of day. */
static double
wall_clock(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Sent records leave the buffer; failed ones are sent again later. */
static void
usage_done(int ok, void *arg)
{
	if (ok && usage_sent > 0)
		usage_keep_from(usage_sent);
	usage_sent = 0;
}

static void
usage_keep_from(size_t first)
{
	json_t		*rest;
	size_t		i;

	rest = json_array();
	for (i = first; i < json_array_size(usage_buf); i++)
		json_array_append(rest, json_array_get(usage_buf, i));
	json_decref(usage_buf);
	usage_buf = rest;
}

/* A stopping worker writes what is left, synchronously: nothing waits. */
void
usage_teardown(void)
{
	struct kore_pgsql	sql;
	char			*text;

	if (usage_buf == NULL)
		return;

	usage_keep_from(usage_sent);
	usage_sent = 0;
	if (json_array_size(usage_buf) == 0)
		return;

	if ((text = json_dumps(usage_buf, JSON_COMPACT)) == NULL)
		return;

	kore_pgsql_init(&sql);
	if (!kore_pgsql_setup(&sql, API_DB, KORE_PGSQL_SYNC) ||
	    !kore_pgsql_query_params(&sql, USAGE_SQL, 0, 1,
	    KORE_PGSQL_PARAM_TEXT(text))) {
		log_line(LOG_LEVEL_WARNING, NULL, "usage log: %zu records "
		    "lost at shutdown: %s", json_array_size(usage_buf),
		    sql.error != NULL ? sql.error : "no database");
	}
	kore_pgsql_cleanup(&sql);
	free(text);
}
