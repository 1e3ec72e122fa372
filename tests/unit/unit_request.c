/*
 * Unit tests for src/request.c: which X-Request-ID a client may set (it
 * is echoed in every response and written to the logs), the client
 * address behind a trusted proxy, and that a woken request does not wait
 * for the worker loop's next timer.
 */

#include <criterion/criterion.h>

#include "../../src/request.c"

Test(request, request_id_acceptance)
{
	char	longest[API_RID_MAX + 2];

	cr_expect(rid_acceptable("abc"));
	cr_expect(rid_acceptable("0f8fad5b-d9cb-469f-a165-70867728950e"));
	cr_expect(rid_acceptable("trace:1.2_3-4"));
	cr_expect(!rid_acceptable(""));
	cr_expect(!rid_acceptable("has space"));
	cr_expect(!rid_acceptable("line\nbreak"));
	cr_expect(!rid_acceptable("quote\""));
	cr_expect(!rid_acceptable("semi;colon"));
	cr_expect(!rid_acceptable("caf\xc3\xa9"));

	memset(longest, 'a', API_RID_MAX);
	longest[API_RID_MAX] = '\0';
	cr_expect(rid_acceptable(longest), "%d bytes", API_RID_MAX);
	longest[API_RID_MAX] = 'a';
	longest[API_RID_MAX + 1] = '\0';
	cr_expect(!rid_acceptable(longest), "%d bytes", API_RID_MAX + 1);
}

static void	add_header(struct http_request *, struct http_header *,
		    const char *, const char *);

static void
add_header(struct http_request *req, struct http_header *h,
    const char *name, const char *value)
{
	h->header = (char *)name;
	h->value = (char *)value;
	TAILQ_INSERT_TAIL(&req->req_headers, h, list);
}

/*
 * A proxy appends its X-Forwarded-For after any the client sent: the
 * last header counts, from a trusted peer only.
 */
Test(request, client_ip_behind_proxy)
{
	struct http_request	req;
	struct connection	c;
	struct http_header	h[3];
	char			ip[INET6_ADDRSTRLEN];

	memset(&req, 0, sizeof(req));
	memset(&c, 0, sizeof(c));
	TAILQ_INIT(&req.req_headers);
	req.owner = &c;
	c.family = AF_INET;
	cr_assert_eq(inet_pton(AF_INET, "127.0.0.1",
	    &c.addr.ipv4.sin_addr), 1);

	cr_expect_str_eq(request_client_ip(&req, ip, sizeof(ip)), "127.0.0.1");

	add_header(&req, &h[0], "X-Forwarded-For", "6.6.6.6");
	add_header(&req, &h[1], "accept", "*/*");
	add_header(&req, &h[2], "x-forwarded-for", "203.0.113.9");
	cr_expect_str_eq(request_client_ip(&req, ip, sizeof(ip)), "127.0.0.1",
	    "believed without TRUSTED_PROXIES");

	cr_assert_eq(proxies_parse("127.0.0.0/8", &app.s.trusted_proxies[0]),
	    0);
	app.s.trusted_proxies_count = 1;
	cr_expect_str_eq(request_client_ip(&req, ip, sizeof(ip)),
	    "203.0.113.9");

	cr_assert_eq(inet_pton(AF_INET, "192.0.2.1", &c.addr.ipv4.sin_addr),
	    1);
	cr_expect_str_eq(request_client_ip(&req, ip, sizeof(ip)), "192.0.2.1",
	    "believed from an untrusted peer");

	c.family = AF_UNIX;
	cr_expect_str_eq(request_client_ip(&req, ip, sizeof(ip)), "unix");
}

/* Kore's side of a wakeup, as request_wakeup() drives it. */
static struct http_request	*woken;
static int			 nwoken;
static void			(*timer_cb)(void *, u_int64_t);
static u_int64_t		 timer_interval;
static int			 timer_flags;
static int			 ntimers;

void
http_request_wakeup(struct http_request *req)
{
	woken = req;
	nwoken++;
}

struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t interval, void *arg,
    int flags)
{
	timer_cb = cb;
	timer_interval = interval;
	timer_flags = flags;
	ntimers++;
	return (NULL);
}

/*
 * Kore 4.1's worker loop waits until its first timer is due before it
 * runs a request woken after its pass went by (a slot handed over by the
 * pass's last request): a wakeup must leave a timer due now.
 */
Test(request, wakeup_ends_the_next_wait)
{
	struct http_request	a, b;

	request_wakeup(&a);
	cr_assert_eq(woken, &a);
	cr_assert_eq(ntimers, 1, "no timer: the wait lasts to the next tick");
	cr_expect_eq(timer_interval, 0);
	cr_expect_eq(timer_flags, KORE_TIMER_ONESHOT);

	/* Before it ran: that one timer serves every wakeup. */
	request_wakeup(&b);
	request_kick();
	cr_assert_eq(nwoken, 2);
	cr_assert_eq(woken, &b);
	cr_expect_eq(ntimers, 1, "one timer due now at a time");

	/* Once it ran, the next wakeup needs one again. */
	timer_cb(NULL, 0);
	request_wakeup(&a);
	cr_expect_eq(ntimers, 2);
}
