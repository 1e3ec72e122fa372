/*
 * The operator listener: GET /metrics (the families, the exposition
 * checked by a strict parser and by promtool where it is installed, values
 * that move with requests, TLS handshakes) and GET /health/ready/; its
 * routes are not on the API port, the API's not on it. That the workers'
 * counters add up: test_metrics_workers.c; readiness while PostgreSQL is
 * stopped: test_zz_outage.c.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define REQS(route, method, code) \
	"mtapi_http_requests_total{route=\"" route "\",method=\"" method \
	"\",code=\"" code "\"}"
#define DENIED(status, reason) \
	"mtapi_http_denied_total{status=\"" status "\",reason=\"" reason "\"}"

static const char *families[] = {
	"# TYPE mtapi_build_info gauge\n",
	"# TYPE mtapi_http_requests_total counter\n",
	"# TYPE mtapi_http_request_duration_seconds histogram\n",
	"# TYPE mtapi_http_denied_total counter\n",
	"# TYPE mtapi_db_slots_in_use gauge\n",
	"# TYPE mtapi_db_slots_waiting gauge\n",
	"# TYPE mtapi_db_slots_capacity gauge\n",
	"# TYPE mtapi_db_statement_duration_seconds histogram\n",
	"# TYPE mtapi_db_statement_errors_total counter\n",
	"# TYPE mtapi_ratelimit_syncs_total counter\n",
	"# TYPE mtapi_verdict_cache_total counter\n",
	"# TYPE mtapi_login_hashing_queue gauge\n",
	"# TYPE mtapi_login_argon2_duration_seconds histogram\n",
	"# TYPE mtapi_tls_handshakes_total counter\n",
	"# TYPE mtapi_worker_requests_total counter\n",
	"# TYPE mtapi_worker_event_loop_lag_seconds histogram\n",
};

static double	delta(json_t *, json_t *, const char *);

Test(metrics, every_family_and_a_strict_exposition)
{
	json_t		*m;
	char		*text, path[256], cmd[1024];
	size_t		i;
	FILE		*f;
	int		rc;

	m = h_metrics(h_ops_url(), &text);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		cr_expect(strstr(text, families[i]) != NULL, "no %s",
		    families[i]);
	cr_expect(strstr(text, "mtapi_build_info{version=\"") != NULL);
	/* A route's template, never a path or a regex. */
	cr_expect(strstr(text, "route=\"/api/v1/projects/{id}/\"") != NULL ||
	    strstr(text, "[0-9]") == NULL, "%s", text);
	cr_expect(strstr(text, "^/") == NULL, "a regex in a label");
	cr_expect(strstr(text, "tenant") == NULL, "a tenant label");

	/* Debian's promtool, when make test could install it. */
	if (system("command -v promtool >/dev/null 2>&1") == 0) {
		(void)snprintf(path, sizeof(path), "/tmp/mtapi-metrics-%ld",
		    (long)getpid());
		f = fopen(path, "w");
		cr_assert_not_null(f);
		cr_assert_eq(fputs(text, f) >= 0, 1);
		cr_assert_eq(fclose(f), 0);
		(void)snprintf(cmd, sizeof(cmd), "promtool check metrics "
		    "<%s >%s.out 2>&1", path, path);
		rc = system(cmd);
		(void)snprintf(cmd, sizeof(cmd), "%s.out", path);
		cr_expect_eq(rc, 0, "promtool check metrics: %s",
		    h_read_file(cmd, NULL));
		(void)unlink(cmd);
		(void)unlink(path);
	} else {
		cr_log_warn("promtool not installed: the strict parser only");
	}

	free(text);
	json_decref(m);
}

/*
 * A parser that lets a broken exposition through would prove nothing:
 * a good one parses, and each broken one is refused.
 */
Test(metrics, the_parser_refuses_broken_expositions)
{
	static const char	*broken[] = {
		"a 1\n",				/* no TYPE */
		"# TYPE a counter\na 1\na 2\n",	/* a series twice */
		"# TYPE a counter\na{x=\"1} 1\n",	/* open label value */
		"# TYPE a counter\na{x=\"\\q\"} 1\n",	/* bad escape */
		"# TYPE a counter\na one\n",		/* not a number */
		"# TYPE a counter\na 1",		/* no final newline */
		"# TYPE a counter\n# TYPE a gauge\na 1\n",
		"# TYPE a counter\n# TYPE b counter\na 1\nb 1\na{x=\"y\"} 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 5\n"
		    "h_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
		    "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
	};
	json_t			*m;
	size_t			i;
	char			err[512];

	m = json_object();
	cr_assert_eq(h_metrics_parse("# HELP a An a.\n# TYPE a counter\n"
	    "a{x=\"1\",y=\"\\\"\"} 1\n# TYPE h histogram\n"
	    "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\n"
	    "h_count 2\n", m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h_metric(m, "h_count"), 2);
	json_decref(m);

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		m = json_object();
		cr_expect_eq(h_metrics_parse(broken[i], m, err, sizeof(err)),
		    -1, "taken: %s", broken[i]);
		json_decref(m);
	}
}

Test(metrics, values_move_with_requests, .timeout = 60)
{
	struct h_tenant	t;
	struct h_resp	*r;
	json_t		*a, *b;
	int		i;
	long		deadline;

	h_new_tenant("metrics", &t);
	a = h_metrics(h_ops_url(), NULL);

	/* A new principal: a miss on each worker it reaches, then hits. */
	for (i = 0; i < 5; i++) {
		r = h_get("/api/v1/projects/", t.access);
		cr_assert_eq(r->status, 200, "%s", r->body);
		h_free(r);
	}
	r = h_get("/api/v1/projects/1/", NULL);
	cr_assert_eq(r->status, 401);
	h_free(r);
	r = h_req("DELETE", "/health/live/", NULL, NULL, NULL);
	cr_assert_eq(r->status, 405);
	h_free(r);
	r = h_login(NULL, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	h_free(r);
	r = h_login(NULL, t.username, "not-the-password-9q", NULL);
	cr_assert_eq(r->status, 401, "%s", r->body);
	h_free(r);

	/* The rate limit sync follows within its interval (200 ms). */
	deadline = h_now_ms() + 10000;
	for (;;) {
		b = h_metrics(h_ops_url(), NULL);
		if (delta(a, b, "mtapi_ratelimit_syncs_total{result=\"ok\"}")
		    >= 1 || h_now_ms() > deadline)
			break;
		json_decref(b);
		h_sleep_ms(100);
	}

	cr_expect_geq(delta(a, b, REQS("/api/v1/projects/", "GET", "2xx")),
	    1);
	cr_expect_geq(delta(a, b, REQS("/api/v1/projects/{id}/", "GET",
	    "4xx")), 1);
	cr_expect_geq(delta(a, b, REQS("/health/live/", "DELETE", "4xx")), 1);
	cr_expect_geq(delta(a, b, REQS("/api/v1/auth/token/", "POST", "2xx")),
	    1);
	cr_expect_geq(delta(a, b, "mtapi_verdict_cache_total{result=\"miss\"}"),
	    1);
	cr_expect_geq(delta(a, b, "mtapi_verdict_cache_total{result=\"hit\"}"),
	    3);
	cr_expect_geq(delta(a, b, DENIED("401", "not_authenticated")), 1);
	cr_expect_geq(delta(a, b, DENIED("401", "authentication_failed")), 1);
	cr_expect_geq(delta(a, b, "mtapi_http_request_duration_seconds_count"
	    "{route=\"/api/v1/projects/\"}"), 1);
	cr_expect_geq(delta(a, b,
	    "mtapi_db_statement_duration_seconds_count"), 1);
	cr_expect_geq(delta(a, b,
	    "mtapi_login_argon2_duration_seconds_count"), 2);
	cr_expect_gt(delta(a, b, "mtapi_login_argon2_duration_seconds_sum"),
	    0);
	cr_expect_geq(delta(a, b,
	    "mtapi_ratelimit_syncs_total{result=\"ok\"}"), 1);
	/* The previous scrape is counted too: on the operator listener. */
	cr_expect_geq(delta(a, b, REQS("/metrics", "GET", "2xx")), 1);

	/* Two workers with 3 request slots each (conf/mtapi.conf). */
	cr_expect_eq(h_metric(b, "mtapi_db_slots_capacity"), 6);
	cr_expect_geq(h_metric(b, "mtapi_db_slots_in_use"), 0);
	cr_expect_geq(h_metric(b, "mtapi_db_slots_waiting"), 0);
	cr_expect_geq(h_metric(b, "mtapi_login_hashing_queue"), 0);

	json_decref(a);
	json_decref(b);
}

/*
 * A worker whose event loop cannot turn (here: stopped for 700 ms, as a
 * blocking call would keep it) shows as event loop lag, and says so in
 * the log: every request it held waited as long.
 */
#define LAG_OVER(m) \
	(h_metric(m, "mtapi_worker_event_loop_lag_seconds_count") - \
	h_metric(m, "mtapi_worker_event_loop_lag_seconds_bucket{le=\"0.5\"}"))

Test(metrics, a_blocked_worker_is_event_loop_lag, .timeout = 60)
{
	json_t		*a, *b;
	pid_t		pids[16];
	int		i, n, port;
	long		deadline;
	char		*log;

	port = atoi(strrchr(h_base_url(), ':') + 1);
	n = h_server_workers(port, pids, 16);
	cr_assert_geq(n, 1, "no worker of port %d found", port);

	a = h_metrics(h_ops_url(), NULL);
	for (i = 0; i < n; i++)
		cr_assert_eq(kill(pids[i], SIGSTOP), 0, "%d", pids[i]);
	h_sleep_ms(700);
	for (i = 0; i < n; i++)
		cr_assert_eq(kill(pids[i], SIGCONT), 0, "%d", pids[i]);

	/* Each worker's next tick sees it, a tick (100 ms) later at most. */
	deadline = h_now_ms() + 10000;
	for (;;) {
		b = h_metrics(h_ops_url(), NULL);
		if (LAG_OVER(b) - LAG_OVER(a) >= n || h_now_ms() > deadline)
			break;
		json_decref(b);
		h_sleep_ms(100);
	}
	cr_expect_geq(LAG_OVER(b) - LAG_OVER(a), n, "%g ticks over 0.5 s, "
	    "%d workers stopped", LAG_OVER(b) - LAG_OVER(a), n);
	cr_expect_geq(h_metric(b, "mtapi_worker_event_loop_lag_seconds_sum") -
	    h_metric(a, "mtapi_worker_event_loop_lag_seconds_sum"), 0.5 * n);

	log = h_read_file(h_env("MTAPI_TEST_HTTP_LOG"), NULL);
	cr_expect(strstr(log, "event loop was blocked for") != NULL,
	    "no blocked event loop in the log");
	free(log);
	json_decref(a);
	json_decref(b);
}

Test(metrics, tls_handshakes_and_failures, .timeout = 60)
{
	const char	*tls_ops;
	json_t		*a, *b;
	CURL		*c;
	CURLcode	rc;
	struct h_resp	*r;

	tls_ops = h_env("MTAPI_TEST_TLS_OPS_URL");
	a = h_metrics(tls_ops, NULL);

	r = h_req_url("GET", h_fmt("%s/health/live/",
	    h_env("MTAPI_TEST_TLS_URL")), NULL, NULL, NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);

	/* Only suites the server does not take: it ends with an alert. */
	c = curl_easy_init();
	cr_assert_not_null(c);
	curl_easy_setopt(c, CURLOPT_URL, h_fmt("%s/health/live/",
	    h_env("MTAPI_TEST_TLS_URL")));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 |
	    CURL_SSLVERSION_MAX_TLSv1_2));
	curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "AES128-SHA256");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	cr_assert_neq(rc, CURLE_OK, "a handshake with AES128-SHA256 worked");

	b = h_metrics(tls_ops, NULL);
	cr_expect_geq(delta(a, b, "mtapi_tls_handshakes_total{result=\"ok\"}"),
	    1);
	cr_expect_geq(delta(a, b,
	    "mtapi_tls_handshakes_total{result=\"failed\"}"), 1);
	json_decref(a);
	json_decref(b);
}

/* Each listener serves its own routes only. */
Test(metrics, operator_routes_only_on_the_operator_listener)
{
	struct h_resp	*r;
	const char	*ops;

	ops = h_ops_url();

	r = h_get("/metrics", NULL);
	cr_expect_eq(r->status, 404, "/metrics on the API port: %ld",
	    r->status);
	cr_expect(strstr(r->body, "mtapi_") == NULL);
	h_free(r);
	r = h_get("/health/ready/", NULL);
	cr_expect_eq(r->status, 404, "/health/ready/ on the API port: %ld",
	    r->status);
	h_free(r);

	r = h_req_url("GET", h_fmt("%s/api/v1/projects/", ops),
	    h_token(H_ACME), NULL, NULL);
	cr_expect_eq(r->status, 404, "the API on the operator port: %ld %s",
	    r->status, r->body);
	h_free(r);
	r = h_req_url("GET", h_fmt("%s/health/", ops), NULL, NULL, NULL);
	cr_expect_eq(r->status, 404, "%ld", r->status);
	h_free(r);
	r = h_req_url("GET", h_fmt("%s/api/docs/", ops), NULL, NULL, NULL);
	cr_expect_eq(r->status, 404, "%ld", r->status);
	h_free(r);

	r = h_req_url("GET", h_fmt("%s/health/ready/", ops), NULL, NULL,
	    NULL);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_not_null(r->json, "%s", r->body);
	cr_expect_str_eq(h_str(r, "status"), "ready");
	cr_expect_str_eq(h_str(r, "database"), "ok");
	h_free(r);

	r = h_req_url("POST", h_fmt("%s/metrics", ops), NULL, "{}", NULL);
	cr_expect_eq(r->status, 405, "%ld", r->status);
	h_free(r);
}

static double
delta(json_t *a, json_t *b, const char *series)
{
	cr_expect(json_object_get(b, series) != NULL, "no series %s", series);
	return (h_metric(b, series) - h_metric(a, series));
}
