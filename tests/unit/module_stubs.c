/*
 * Stand-ins for Kore and for the module's other files, for the unit tests
 * that include one file of src/ (as h2o's t/00unit/ does) to reach its
 * static logic. Every stand-in is weak: a test defines the ones it drives
 * itself. One that a test did not expect to be called aborts the test.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtapi.h"
#include "conn.h"
#include "metrics.h"
#include "bgquery.h"

#define STUB(ret, name, args)					\
	__attribute__((weak)) ret name args			\
	{							\
		fprintf(stderr, "unexpected call: %s\n", #name);	\
		abort();					\
	}

__attribute__((weak)) u_int16_t	pgsql_conn_max = 2;
/* The running settings (src/init.c); a test fills what it needs. */
__attribute__((weak)) struct app	app;

__attribute__((weak)) void
fatalx(const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

__attribute__((weak)) char *
kore_strdup(const char *s)
{
	return (strdup(s));
}

__attribute__((weak)) void
kore_free(void *p)
{
	free(p);
}

__attribute__((weak)) size_t
kore_strlcpy(char *dst, const char *src, const size_t len)
{
	(void)snprintf(dst, len, "%s", src);
	return (strlen(src));
}

__attribute__((weak)) u_int64_t
kore_time_ms(void)
{
	return (0);
}

__attribute__((weak)) const char *
http_method_text(int method)
{
	switch (method) {
	case HTTP_METHOD_GET:
		return ("GET");
	case HTTP_METHOD_POST:
		return ("POST");
	case HTTP_METHOD_PUT:
		return ("PUT");
	case HTTP_METHOD_PATCH:
		return ("PATCH");
	case HTTP_METHOD_DELETE:
		return ("DELETE");
	case HTTP_METHOD_HEAD:
		return ("HEAD");
	case HTTP_METHOD_OPTIONS:
		return ("OPTIONS");
	}
	return ("");
}

STUB(long long, kore_strtonum, (const char *a, int b, long long c,
    long long d, int *e))
STUB(void, http_request_sleep, (struct http_request *a))
STUB(void, http_request_wakeup, (struct http_request *a))
STUB(void *, http_state_get, (struct http_request *a))
STUB(int, http_state_exists, (struct http_request *a))
STUB(void *, http_state_create, (struct http_request *a, size_t b,
    void (*c)(struct http_request *)))
STUB(int, http_state_run, (struct http_state *a, u_int8_t b,
    struct http_request *c))
STUB(int, http_request_header, (struct http_request *a, const char *b,
    const char **c))
STUB(void, http_response_header, (struct http_request *a, const char *b,
    const char *c))
STUB(void, kore_platform_schedule_read, (int a, void *b))
STUB(void, kore_pgsql_init, (struct kore_pgsql *a))
STUB(void, kore_pgsql_bind_request, (struct kore_pgsql *a,
    struct http_request *b))
STUB(void, kore_pgsql_cleanup, (struct kore_pgsql *a))
STUB(void, kore_pgsql_continue, (struct kore_pgsql *a))
STUB(char *, kore_pgsql_getvalue, (struct kore_pgsql *a, int b, int c))
STUB(int, kore_pgsql_nfields, (struct kore_pgsql *a))
STUB(int, kore_pgsql_ntuples, (struct kore_pgsql *a))
STUB(int, kore_pgsql_query_param_fields, (struct kore_pgsql *a,
    const void *b, int c, int d, const char **e, int *f, int *g))
STUB(int, kore_pgsql_setup, (struct kore_pgsql *a, const char *b, int c))
STUB(void, kore_pgsql_bind_callback, (struct kore_pgsql *a,
    void (*b)(struct kore_pgsql *, void *), void *c))
STUB(int, kore_pgsql_query_params, (struct kore_pgsql *a, const void *b,
    int c, int d, ...))
STUB(struct kore_timer *, kore_timer_add, (void (*a)(void *, u_int64_t),
    u_int64_t b, void *c, int d))
STUB(void, kore_task_bind_request, (struct kore_task *a,
    struct http_request *b))
STUB(void, kore_task_channel_write, (struct kore_task *a, void *b,
    u_int32_t c))
STUB(void, kore_task_create, (struct kore_task *a,
    int (*b)(struct kore_task *)))
STUB(void, kore_task_destroy, (struct kore_task *a))
STUB(int, kore_task_finished, (struct kore_task *a))
STUB(void, kore_task_run, (struct kore_task *a))
STUB(int, kore_task_state, (struct kore_task *a))

/* The module's other files. */
STUB(void, conn_pgsql_cleanup, (struct kore_pgsql *a))
STUB(int, conn_pgsql_dead, (struct kore_pgsql *a))
STUB(int, conn_pgsql_unavailable, (struct kore_pgsql *a))
STUB(int, bgquery_start, (struct bgquery *a, const char *b, const char *c))
STUB(int, bgquery_busy, (struct bgquery *a))
STUB(void, conn_pgsql_reset, (struct kore_pgsql *a))
STUB(int, batch_run, (const char *a, struct api_req **b, int c,
    void (*d)(struct api_req *, int), void (*e)(void)))
STUB(void, batch_forget, (struct api_req *a))
STUB(void, batch_init, (void))
STUB(void, ratelimit_learn, (const char *a, long b))
STUB(int, verdict_get, (const struct principal *a, int64_t *b))
STUB(void, verdict_learn, (const struct principal *a, const char *b))
STUB(void, ratelimit_refund, (const char *a, time_t b))
STUB(void, resp_error_db, (struct http_request *a, int b))
STUB(void, resp_error, (struct http_request *a, int b, const char *c,
    const char *d))
STUB(void, resp_send, (struct http_request *a, int b, const void *c,
    size_t d))
STUB(struct api_req *, request_get, (struct http_request *a))
STUB(const char *, request_client_ip, (struct http_request *a, char *b,
    size_t c))
STUB(void, request_wakeup, (struct http_request *a))
STUB(void, request_kick, (void))
STUB(int, input_admit, (struct http_request *a, struct api_req *b))
STUB(int, input_body, (struct http_request *a, struct api_req *b))
STUB(int, db_run, (struct http_request *a))
STUB(int, db_start, (struct http_request *a, int b))

/* The metrics (src/metrics.c): side effects only, nothing to check here. */
__attribute__((weak)) void
metrics_db_slots(u_int32_t used, u_int32_t waiting, u_int32_t capacity)
{
}

__attribute__((weak)) void
metrics_db_statement(u_int64_t us, int ok)
{
}

__attribute__((weak)) void
metrics_verdict(int what)
{
}

__attribute__((weak)) void
metrics_db_batch(u_int32_t n)
{
}

__attribute__((weak)) u_int64_t
metrics_now_us(void)
{
	return (1);
}
