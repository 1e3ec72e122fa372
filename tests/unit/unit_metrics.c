/*
 * Unit tests for src/metrics.c: route regexes as templates (the only
 * route labels), the histogram buckets, the refusal reasons, and that
 * the segment made before fork is shared with a child process, as with
 * Kore's workers.
 */

#include <sys/wait.h>

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../src/metrics.c"

struct kore_server_list	kore_servers;
struct kore_worker	*worker;
const char		*kore_version = "4.1.0";
u_int32_t		http_request_count;

struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t ms, void *arg,
    int flags)
{
	cr_assert_fail("unexpected kore_timer_add");
	return (NULL);
}

static struct kore_worker	worker0 = { .id = 2 };

/* A kore_buf that grows, as Kore's does. */
struct kore_buf *
kore_buf_alloc(size_t len)
{
	struct kore_buf	*b;

	b = calloc(1, sizeof(*b));
	cr_assert_not_null(b);
	b->data = calloc(1, len);
	cr_assert_not_null(b->data);
	b->length = len;
	return (b);
}

void
kore_buf_free(struct kore_buf *b)
{
	free(b->data);
	free(b);
}

void
kore_buf_appendf(struct kore_buf *b, const char *fmt, ...)
{
	va_list		ap;
	int		n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf((char *)b->data + b->offset,
		    b->length - b->offset, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if ((size_t)n < b->length - b->offset)
			break;
		b->length *= 2;
		b->data = realloc(b->data, b->length);
		cr_assert_not_null(b->data);
	}
	b->offset += (size_t)n;
}

static char	*render(void);

static void
setup(void)
{
	char	err[128];

	LIST_INIT(&kore_servers);
	worker = &worker0;
	cr_assert_eq(metrics_parent_init(err, sizeof(err)), 0, "%s", err);
}

Test(metrics, templates_of_the_route_regexes)
{
	static const struct {
		const char	*re, *template;
	} cases[] = {
		{ "^/health/?$", "/health/" },
		{ "^/api/v1/projects/[0-9]+/?$", "/api/v1/projects/{id}/" },
		{ "^/api/v1/projects/[0-9]+/tasks/?$",
		    "/api/v1/projects/{id}/tasks/" },
		{ "^/api/static/[a-z0-9._-]+$", "/api/static/{name}" },
		{ "^/metrics$", "/metrics" },
		{ "^/.*$", "/{path}" },
		{ "/plain", "/plain" },
		{ "^/a\\.b\"c$", "/a.b_c" },
	};
	char	out[METRICS_TEMPLATE_MAX];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		metrics_template(cases[i].re, out, sizeof(out));
		cr_expect_str_eq(out, cases[i].template, "%s", cases[i].re);
	}
}

Test(metrics, buckets_are_upper_bounds, .init = setup)
{
	struct histogram	h;

	memset(&h, 0, sizeof(h));
	metrics_observe(&h, 1000);		/* 1 ms: le="0.001" */
	metrics_observe(&h, 1001);		/* le="0.0025" */
	metrics_observe(&h, 20000000);		/* 20 s: +Inf */
	cr_expect_eq(h.buckets[0], 1);
	cr_expect_eq(h.buckets[1], 1);
	cr_expect_eq(h.buckets[NBUCKETS], 1);
	cr_expect_eq(h.sum_us, 20002001);
}

Test(metrics, refusals_by_reason_and_other, .init = setup)
{
	char	*text;

	metrics_denied(401, "token_not_valid");
	metrics_denied(401, "token_not_valid");
	metrics_denied(401, "something_new");
	metrics_denied(403, NULL);
	metrics_denied(429, "throttled");
	/* Not a refusal: nowhere. */
	metrics_denied(404, "not_found");

	text = render();
	cr_expect(strstr(text, "mtapi_http_denied_total{status=\"401\","
	    "reason=\"token_not_valid\"} 2\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_http_denied_total{status=\"401\","
	    "reason=\"other\"} 1\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_http_denied_total{status=\"403\","
	    "reason=\"other\"} 1\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_http_denied_total{status=\"429\","
	    "reason=\"throttled\"} 1\n") != NULL, "%s", text);
	cr_expect(strstr(text, "404") == NULL, "%s", text);
	free(text);
}

/* What a forked child adds, the parent reads: one segment for all. */
Test(metrics, a_child_process_adds_to_the_same_segment, .init = setup)
{
	pid_t	pid;
	int	status;
	char	*text;

	metrics_tls_handshake(1);
	if ((pid = fork()) == 0) {
		metrics_tls_handshake(1);
		metrics_tls_handshake(0);
		metrics_db_slots(2, 1, 3);
		_exit(0);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);

	text = render();
	cr_expect(strstr(text, "mtapi_tls_handshakes_total{result=\"ok\"} "
	    "2\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_tls_handshakes_total{result=\"failed\"} "
	    "1\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_slots_in_use 2\n") != NULL, "%s",
	    text);
	cr_expect(strstr(text, "mtapi_db_slots_waiting 1\n") != NULL, "%s",
	    text);
	cr_expect(strstr(text, "mtapi_db_slots_capacity 3\n") != NULL, "%s",
	    text);
	free(text);
}

Test(metrics, histograms_render_cumulative, .init = setup)
{
	char	*text;

	metrics_db_statement(500, 1);
	metrics_db_statement(3000, 1);
	metrics_db_statement(0, 0);	/* never sent: an error, no time */

	text = render();
	cr_expect(strstr(text, "mtapi_db_statement_duration_seconds_bucket"
	    "{le=\"0.001\"} 1\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_statement_duration_seconds_bucket"
	    "{le=\"0.005\"} 2\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_statement_duration_seconds_bucket"
	    "{le=\"+Inf\"} 2\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_statement_duration_seconds_count 2\n")
	    != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_statement_duration_seconds_sum "
	    "0.003500\n") != NULL, "%s", text);
	cr_expect(strstr(text, "mtapi_db_statement_errors_total 1\n") != NULL,
	    "%s", text);
	free(text);
}

static char *
render(void)
{
	struct kore_buf	*b;
	char		*s;

	b = kore_buf_alloc(64);
	metrics_render(b);
	s = strndup((char *)b->data, b->offset);
	kore_buf_free(b);
	cr_assert_not_null(s);
	return (s);
}
