/*
 * The limits of a request on the wire (conf/mtapi.conf, README "Known
 * limits", docs/reliability.md): heads up to 16 KiB are read and
 * answered, a Content-Length over the body limit is refused before the
 * body is sent, slow heads and bodies are cut within seconds, an idle
 * connection is closed without a stray answer, and pipelined requests are
 * answered in order. What curl will not send goes over a raw socket.
 *
 * The bounds on the timeouts are the promises of docs/reliability.md
 * (head 5 s, body 10 s, idle 4 s), each with a few seconds to spare.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PROJECTS	"/api/v1/projects/"

/* One raw connection and what it has read but not yet taken. */
struct raw {
	int	fd;
	char	buf[65536];
	size_t	len;
};

/* A response read off a raw connection. */
struct raw_resp {
	int	status;
	char	head[4096];
	char	body[8192];
	size_t	body_len;
};

static void	raw_open(struct raw *, int);
static void	raw_send(struct raw *, const char *, size_t);
static int	raw_response(struct raw *, struct raw_resp *, int);
static int	raw_fill(struct raw *);
static int	raw_eof(struct raw *);
static const char *raw_header(struct raw_resp *, const char *, char *,
		    size_t);
static long	max_body(void);

Test(limits, a_5000_byte_authorization_header_gets_the_json_401)
{
	struct h_resp	*r;
	char		*token, buf[128];

	/* Kore's default head limit was 4 KiB: this was a TCP reset. */
	token = h_repeat("x", 5000);
	r = h_get(PROJECTS, token);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(h_str(r, "code"), "token_not_valid");
	cr_assert_not_null(h_header(r, "www-authenticate", buf, sizeof(buf)));
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
	h_free(r);
	free(token);
}

Test(limits, a_head_of_nearly_16_kib_is_answered)
{
	const char	*extra[2];
	struct h_resp	*r;
	char		*pad, *xpad, *search;

	/* With the request line and the token: about 15.7 KB. */
	pad = h_repeat("a", 15000);
	cr_assert((xpad = malloc(strlen(pad) + 8)) != NULL);
	(void)snprintf(xpad, strlen(pad) + 8, "X-Pad: %s", pad);
	extra[0] = xpad;
	extra[1] = NULL;

	r = h_req("GET", PROJECTS, h_token(H_ACME), NULL, extra);
	cr_assert_eq(r->status, 200, "%ld %.200s", r->status, r->body);
	cr_assert(h_int(r, "count") > 0);
	h_free(r);

	/* A long search in a big head (14 KB) is the search's own 400. */
	search = h_repeat("s", 1500);
	xpad[7 + 12000] = '\0';
	r = h_req("GET", h_fmt(PROJECTS "?search=%s", search),
	    h_token(H_ACME), NULL, extra);
	h_assert_error(r, "search", NULL);
	h_free(r);

	free(search);
	free(xpad);
	free(pad);
}

/*
 * A request target over Kore's 2,000 bytes (a 4,000 character search) is
 * Kore's own 414, whatever the size of the head; it was a reset when the
 * head went over 4 KiB.
 */
Test(limits, a_request_target_over_2000_bytes_is_414)
{
	struct h_resp	*r;
	char		*search;

	search = h_repeat("s", 4000);
	r = h_get(h_fmt(PROJECTS "?search=%s", search), h_token(H_ACME));
	cr_assert_eq(r->status, 414, "%ld %.200s", r->status, r->body);
	h_free(r);
	free(search);
}

/* Over 16 KiB a head is not read: closed, or a 4xx; never served. */
Test(limits, a_head_over_16_kib_is_not_served, .timeout = 30)
{
	struct raw	c;
	struct raw_resp	resp;
	struct h_resp	*r;
	char		*pad, *req;
	size_t		len;

	pad = h_repeat("a", 20000);
	len = strlen(pad) + 256;
	cr_assert((req = malloc(len)) != NULL);
	len = (size_t)snprintf(req, len, "GET /health/live/ HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nX-Pad: %s\r\n\r\n", pad);

	raw_open(&c, 10);
	raw_send(&c, req, len);
	if (raw_response(&c, &resp, 0) == 0)
		cr_assert(resp.status >= 400 && resp.status < 500,
		    "a 20 KB head: %d", resp.status);
	close(c.fd);
	free(req);
	free(pad);

	r = h_get("/health/live/", NULL);
	cr_assert_eq(r->status, 200);
	h_free(r);
}

/*
 * A Content-Length over MAX_BODY_BYTES: Kore answers 413 and closes as
 * soon as the head is in, before a byte of the body is sent. (It used to
 * wait for all of a body up to 8 MiB: here, until its body timeout.)
 */
Test(limits, a_content_length_over_the_limit_is_refused_at_once,
    .timeout = 60)
{
	static const char *const paths[] = { PROJECTS, "/api/v1/auth/token/",
	    NULL };
	struct raw	c;
	struct raw_resp	resp;
	char		req[4096], buf[64];
	size_t		i, len;

	for (i = 0; paths[i] != NULL; i++) {
		len = (size_t)snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %ld\r\n\r\n", paths[i], h_token(H_ACME),
		    max_body() + 1);
		raw_open(&c, 20);
		raw_send(&c, req, len);
		cr_assert_eq(raw_response(&c, &resp, 0), 0, "%s: no answer to "
		    "the head alone", paths[i]);
		cr_assert_eq(resp.status, 413, "%s: %d", paths[i],
		    resp.status);
		cr_assert_not_null(raw_header(&resp, "connection", buf,
		    sizeof(buf)));
		cr_assert_str_eq(buf, "close");
		cr_assert_eq(raw_eof(&c), 1, "%s: left open", paths[i]);
		close(c.fd);
	}
}

/*
 * The same refusal while the client is still sending its body: the server
 * reads the rest and throws it away before it closes (a lingering close),
 * so the client can send all of it and then read the 413, and the
 * connection ends with a FIN. Closed at once, the socket's unread bytes
 * made the kernel answer with a reset: the client's sending failed
 * (EPIPE, ECONNRESET) before it read anything, as Node's fetch did.
 */
Test(limits, a_body_sent_after_the_refusal_does_not_reset_it, .timeout = 60)
{
	struct raw	c;
	struct raw_resp	resp;
	char		head[4096], *req, *pad;
	size_t		len, padlen = 8 * 1024 * 1024;
	int		rc;

	len = (size_t)snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %ld\r\n\r\n", PROJECTS, h_token(H_ACME),
	    max_body() + 1);
	pad = h_repeat("x", padlen);
	cr_assert_not_null(req = malloc(len + padlen));
	memcpy(req, head, len);
	memcpy(req + len, pad, padlen);

	raw_open(&c, 20);
	/* More than the socket buffers hold: sent while the server closes. */
	raw_send(&c, req, len + padlen);
	errno = 0;
	rc = raw_response(&c, &resp, 0);
	cr_assert_eq(rc, 0, "no 413 read after the body was sent: %s",
	    strerror(errno));
	cr_assert_eq(resp.status, 413, "%d", resp.status);
	errno = 0;
	cr_assert_eq(raw_eof(&c), 1, "not a clean close: %s", strerror(errno));
	close(c.fd);
	free(req);
	free(pad);
}

/*
 * A head that stops coming is closed: by the idle timeout (4 s) when
 * nothing more arrives, by http_header_timeout (5 s, with a 408) when
 * it trickles in (make slowclients).
 */
Test(limits, a_slow_head_is_cut_within_seconds, .timeout = 30)
{
	static const char	part[] = "GET /health/live/ HTTP/1.1\r\n"
				    "Host: 127.0.0.1\r\nX-Slow: ";
	struct raw		c;
	int			rc;

	raw_open(&c, 8);
	raw_send(&c, part, sizeof(part) - 1);
	while ((rc = raw_fill(&c)) == 1)
		;
	cr_assert_neq(rc, -1, "the head was not cut within 8 s");
	cr_assert(c.len == 0 || !strncmp(c.buf, "HTTP/1.1 408 ", 13),
	    "%.40s", c.buf);
	close(c.fd);
}

/* A body that never ends: 408 and closed after http_body_timeout. */
Test(limits, a_slow_body_is_cut_within_seconds, .timeout = 40)
{
	static const char	part[] = "POST /api/v1/auth/token/ HTTP/1.1\r\n"
				    "Host: 127.0.0.1\r\n"
				    "Content-Type: application/json\r\n"
				    "Content-Length: 100\r\n\r\n{\"username\"";
	struct raw		c;
	struct raw_resp		resp;

	raw_open(&c, 14);
	raw_send(&c, part, sizeof(part) - 1);
	cr_assert_eq(raw_response(&c, &resp, 0), 0, "the body was not cut "
	    "within 14 s");
	cr_assert_eq(resp.status, 408);
	close(c.fd);
}

/*
 * An idle kept-alive connection is closed silently by the keep-alive
 * timeout (4 s), before the head timeout (5 s) would send a 408 that a
 * client starting its next request could take for that request's answer.
 */
Test(limits, an_idle_connection_is_closed_without_an_answer, .timeout = 30)
{
	static const char	req[] = "GET /health/live/ HTTP/1.1\r\n"
				    "Host: 127.0.0.1\r\n\r\n";
	struct raw		c;
	struct raw_resp		resp;

	raw_open(&c, 8);
	raw_send(&c, req, sizeof(req) - 1);
	cr_assert_eq(raw_response(&c, &resp, 0), 0);
	cr_assert_eq(resp.status, 200);
	cr_assert_eq(raw_eof(&c), 1, "not closed silently within 8 s "
	    "(%zu bytes: %.40s)", c.len, c.buf);
	close(c.fd);
}

/*
 * Requests sent in one write are answered, in order (Kore 4.1 read the
 * ones behind the first with it and dropped them).
 */
Test(pipelining, requests_sent_together_are_answered_in_order,
    .timeout = 30)
{
	static const int	want[] = { 200, 200, 404, 200, 200 };
	struct raw		c;
	struct raw_resp		resp;
	char			req[8192], rid[64];
	size_t			len;
	int			i;

	len = (size_t)snprintf(req, sizeof(req),
	    "GET /health/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "X-Request-ID: pipe-0\r\n\r\n"
	    "GET " PROJECTS " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nX-Request-ID: pipe-1\r\n\r\n"
	    "GET /nowhere/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "X-Request-ID: pipe-2\r\n\r\n"
	    "GET " PROJECTS "?page_size=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nX-Request-ID: pipe-3\r\n\r\n"
	    "HEAD /health/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "X-Request-ID: pipe-4\r\n\r\n",
	    h_token(H_ACME), h_token(H_ACME));
	cr_assert_lt(len, sizeof(req));

	raw_open(&c, 10);
	raw_send(&c, req, len);
	for (i = 0; i < 5; i++) {
		/* The answer to the HEAD has a length but no body. */
		cr_assert_eq(raw_response(&c, &resp, i == 4), 0, "answer %d "
		    "of 5 never came", i + 1);
		cr_assert_eq(resp.status, want[i], "answer %d: %d", i + 1,
		    resp.status);
		cr_assert_not_null(raw_header(&resp, "x-request-id", rid,
		    sizeof(rid)));
		cr_assert_str_eq(rid, h_fmt("pipe-%d", i));
	}
	close(c.fd);
}

/* A write behind a read (clients may pipeline it) is answered too. */
Test(pipelining, a_post_behind_a_get_is_answered, .timeout = 30)
{
	struct h_tenant	t;
	struct raw	c;
	struct raw_resp	resp;
	struct h_resp	*r;
	char		req[8192], body[128];
	size_t		len;
	int		blen;

	h_new_tenant("pipe", &t);
	blen = snprintf(body, sizeof(body), "{\"name\":\"pipelined\"}");
	len = (size_t)snprintf(req, sizeof(req),
	    "GET " PROJECTS " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n\r\n"
	    "POST " PROJECTS " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n%s", t.access, t.access, blen, body);
	cr_assert_lt(len, sizeof(req));

	raw_open(&c, 10);
	raw_send(&c, req, len);
	cr_assert_eq(raw_response(&c, &resp, 0), 0);
	cr_assert_eq(resp.status, 200);
	cr_assert_eq(raw_response(&c, &resp, 0), 0, "the POST got no answer");
	cr_assert_eq(resp.status, 201, "%d %.200s", resp.status, resp.body);
	close(c.fd);

	r = h_get(PROJECTS, t.access);
	cr_assert_eq(h_int(r, "count"), 1, "%s", r->body);
	h_free(r);
}

/* A connection to the plain HTTP server; reads time out after secs. */
static void
raw_open(struct raw *c, int secs)
{
	struct sockaddr_in	sin;
	struct timeval		tv;
	const char		*url, *p;

	url = h_base_url();
	cr_assert((p = strrchr(url, ':')) != NULL, "%s", url);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(p + 1));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	c->len = 0;
	cr_assert((c->fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	cr_assert(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == 0);
	cr_assert(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect %s: %s", url, strerror(errno));
}

static void
raw_send(struct raw *c, const char *data, size_t len)
{
	ssize_t		n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		cr_assert(n > 0, "send: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

/* Read more into c->buf: 1 read, 0 closed (or reset), -1 timed out. */
static int
raw_fill(struct raw *c)
{
	ssize_t		n;

	cr_assert_lt(c->len, sizeof(c->buf), "more than %zu bytes",
	    sizeof(c->buf));
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n > 0) {
		c->len += (size_t)n;
		return (1);
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (-1);

	return (0);
}

/*
 * The next response (to a HEAD: no body): 0, or -1 when the connection
 * ended (closed, reset or timed out) before a whole one came.
 */
static int
raw_response(struct raw *c, struct raw_resp *r, int to_head)
{
	char		*end, cl[32];
	size_t		head, body;

	memset(r, 0, sizeof(*r));
	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
		if (raw_fill(c) != 1)
			return (-1);
	}
	head = (size_t)(end - c->buf) + 4;
	cr_assert_lt(head, sizeof(r->head));
	memcpy(r->head, c->buf, head);
	r->head[head] = '\0';
	cr_assert_eq(sscanf(r->head, "HTTP/1.%*c %d", &r->status), 1,
	    "%.80s", r->head);

	body = 0;
	if (!to_head && raw_header(r, "content-length", cl, sizeof(cl)))
		body = (size_t)strtoul(cl, NULL, 10);
	cr_assert_lt(body, sizeof(r->body));
	while (c->len < head + body) {
		if (raw_fill(c) != 1)
			return (-1);
	}
	memcpy(r->body, c->buf + head, body);
	r->body_len = body;
	memmove(c->buf, c->buf + head + body, c->len - head - body);
	c->len -= head + body;

	return (0);
}

/* 1 when the server closes the connection, sending nothing more. */
static int
raw_eof(struct raw *c)
{
	int		rc;

	while ((rc = raw_fill(c)) == 1)
		;
	return (rc == 0 && c->len == 0);
}

static const char *
raw_header(struct raw_resp *r, const char *name, char *out, size_t len)
{
	const char	*p, *v, *e;
	size_t		n;

	n = strlen(name);
	for (p = strstr(r->head, "\r\n"); p != NULL && p[2] != '\r';
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) || p[2 + n] != ':')
			continue;
		v = p + 2 + n + 1;
		while (*v == ' ')
			v++;
		e = strstr(v, "\r\n");
		(void)snprintf(out, len, "%.*s", (int)(e - v), v);
		return (out);
	}

	return (NULL);
}

/* MAX_BODY_BYTES of the servers' settings (1 MiB unless set). */
static long
max_body(void)
{
	FILE		*fp;
	char		line[512];
	long		n;

	n = 1024 * 1024;
	fp = fopen(h_env("MTAPI_ENV_FILE"), "r");
	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (!strncmp(line, "MAX_BODY_BYTES=", 15))
			n = strtol(line + 15, NULL, 10);
	}
	fclose(fp);

	return (n);
}
