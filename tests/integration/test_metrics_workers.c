/*
 * One scrape answers for the whole instance: the counters of both
 * workers add up. The only test of its binary, so that no other test's
 * requests land between its scrapes (binaries run one at a time).
 *
 * Kore's accept lock stays with one worker until that worker is busy
 * (http_request_limit requests in flight, 1000 by default): at a test's
 * pace one worker takes every connection. So the test makes the lock's
 * holder busy with requests whose bodies never come, and the other
 * worker takes the connections that follow.
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define LIVE	"mtapi_http_requests_total{route=\"/health/live/\"," \
		"method=\"GET\",code=\"2xx\"}"
#define SCRAPES	"mtapi_http_requests_total{route=\"/metrics\"," \
		"method=\"GET\",code=\"2xx\"}"
/* Kore's http_request_limit (conf/ does not change it). */
#define HELD		1000
#define ROUND		20

static double	worker_sum(json_t *, json_t *, int *);
static int	hold_one(int);
static void	live_requests(int);
static void	held_gone(void);

Test(metrics_workers, both_workers_add_up, .timeout = 300)
{
	json_t		*a, *b;
	double		total;
	int		i, try, port, busy, made, scrapes, fds[HELD];
	long		deadline;

	port = atoi(strrchr(h_base_url(), ':') + 1);

	/*
	 * Holding makes a worker busy only if the holds all reach the same
	 * one: Kore also hands the lock on after worker_accept_threshold
	 * (16) accepts in one turn, so a burst of holds may be split and
	 * neither worker be busy. Then the next requests may still reach
	 * one worker only: try again (each try is checked on its own).
	 */
	for (try = 1;; try++) {
		a = h_metrics(h_ops_url(), NULL);
		scrapes = 1;	/* a's own, counted once it was written */

		/* The lock's holder answers these. */
		live_requests(ROUND);
		made = ROUND;

		for (i = 0; i < HELD; i++)
			fds[i] = hold_one(port);
		deadline = h_now_ms() + 20000;
		for (;;) {
			b = h_metrics(h_ops_url(), NULL);
			scrapes++;
			if (h_metric(b, "mtapi_http_requests_in_flight") >=
			    HELD)
				break;
			cr_assert(h_now_ms() < deadline, "%g requests in "
			    "flight, not %d",
			    h_metric(b, "mtapi_http_requests_in_flight"), HELD);
			json_decref(b);
			h_sleep_ms(100);
		}
		json_decref(b);

		/* The holder is busy: the other worker takes these. */
		live_requests(ROUND);
		made += ROUND;

		b = h_metrics(h_ops_url(), NULL);
		for (i = 0; i < HELD; i++)
			(void)close(fds[i]);
		total = worker_sum(a, b, &busy);
		held_gone();
		if (busy == 2 || try == 8)
			break;
		json_decref(a);
		json_decref(b);
	}

	cr_assert_eq(busy, 2, "%d workers served requests in %d tries", busy,
	    try);
	/* Every answered request between the scrapes: ours and scrapes. */
	cr_assert_eq(h_metric(b, LIVE) - h_metric(a, LIVE), (double)made,
	    "%g live requests counted, %d made",
	    h_metric(b, LIVE) - h_metric(a, LIVE), made);
	cr_assert_eq(h_metric(b, SCRAPES) - h_metric(a, SCRAPES),
	    (double)scrapes, "%g scrapes counted, %d made",
	    h_metric(b, SCRAPES) - h_metric(a, SCRAPES), scrapes);
	cr_assert_eq(total, (double)(made + scrapes),
	    "the workers counted %g requests, %d were made", total,
	    made + scrapes);
	json_decref(a);
	json_decref(b);
}

/*
 * Kore frees the held requests as it sees their connections close, not
 * at once: the suites after this one must find a worker that is not
 * busy, as they would without it.
 */
static void
held_gone(void)
{
	json_t		*m;
	double		n;
	long		deadline;

	deadline = h_now_ms() + 30000;
	for (;;) {
		m = h_metrics(h_ops_url(), NULL);
		n = h_metric(m, "mtapi_http_requests_in_flight");
		json_decref(m);
		if (n < 10)
			return;
		cr_assert(h_now_ms() < deadline, "%g requests still in flight "
		    "30 s after their connections closed", n);
		h_sleep_ms(100);
	}
}

/* n requests, each on a connection of its own. */
static void
live_requests(int n)
{
	struct h_resp	*r;
	int		i;

	for (i = 0; i < n; i++) {
		r = h_get("/health/live/", NULL);
		cr_assert_eq(r->status, 200);
		h_free(r);
	}
}

/* A connection with a request head whose body never comes. */
static int
hold_one(int port)
{
	static const char	head[] = "POST /api/v1/auth/token/ HTTP/1.1\r\n"
				    "Host: 127.0.0.1\r\n"
				    "Content-Type: application/json\r\n"
				    "Content-Length: 64\r\n\r\n";
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((u_int16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(write(fd, head, sizeof(head) - 1),
	    (ssize_t)(sizeof(head) - 1));
	return (fd);
}

/* The growth of every worker's counter; *busy: how many grew. */
static double
worker_sum(json_t *a, json_t *b, int *busy)
{
	const char	*k;
	json_t		*v;
	double		d, sum;

	sum = 0;
	*busy = 0;
	json_object_foreach(b, k, v) {
		if (strncmp(k, "mtapi_worker_requests_total{", 28))
			continue;
		d = json_real_value(v) - h_metric(a, k);
		if (d > 0)
			(*busy)++;
		sum += d;
	}
	return (sum);
}
