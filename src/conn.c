/*
 * Connections where Kore 4.1 falls short.
 *
 * Pipelining: Kore reads a request head with one recv() of up to
 * http_header_max bytes and gives that buffer to the request
 * (req->headers). Requests a client pipelined behind it came in the same
 * read: they sit in that buffer after the head, and Kore never looks at
 * them again (the client waits for answers until the keep-alive timeout
 * closes the connection). conn_respond() sends the response, then hands
 * those bytes to Kore's head parser as if they had just been read, so the
 * next request is answered in its turn.
 *
 * Stopping: on SIGTERM a Kore 4.1 worker leaves its event loop at once and
 * closes every connection, so requests waiting on PostgreSQL or on a task
 * thread get no answer. conn_drain(), run from kore_worker_teardown(),
 * runs the loop on until they have been answered.
 *
 * Database connections: releasing a statement whose connection broke
 * killed the worker (conn_pgsql_cleanup()).
 *
 * Closing: when Kore answers and closes at once (a 413 for a body over
 * MAX_BODY_BYTES, a 400 or 411 on a bad head), the client may still be
 * sending. close() with unread bytes makes the kernel send a reset, and
 * a client that reads only after it wrote its body (Node's fetch, many
 * others) gets an error instead of the answer. conn_init() has every
 * connection linger instead, as nginx's lingering_close: the socket stays
 * open on a second descriptor, its write side is shut (a FIN after the
 * answer), and what still comes is read and thrown away until the client
 * closes, CONN_LINGER_MS pass or CONN_LINGER_BYTES were read.
 */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"

/* Longest wait for requests in flight when the worker stops. */
#define CONN_DRAIN_MS		10000

/* A lingering close: how long, how much, how many at once per worker. */
#define CONN_LINGER_MS		2000
#define CONN_LINGER_BYTES	(16 * 1024 * 1024)
#define CONN_LINGER_MAX		256
#define CONN_LINGER_TICK_MS	250
#define CONN_LINGER_READ	(256 * 1024)	/* per event: others run too */

/* Not one of Kore's KORE_TYPE_*: the event loop only calls handle. */
#define CONN_TYPE_LINGER	100

struct conn_linger {
	struct kore_event	evt;	/* first: the loop hands it over */
	int			fd;
	u_int64_t		until;
	size_t			left;
	TAILQ_ENTRY(conn_linger) list;
};

static size_t	conn_leftover(struct http_request *, const u_int8_t **);
static void	conn_feed(struct connection *, const u_int8_t *, size_t);
static int	conn_close_idle(void);
static void	conn_accept(void *, int);
static void	conn_linger_start(struct connection *);
static void	conn_linger_read(void *, int);
static void	conn_linger_expire(void *, u_int64_t);
static void	conn_linger_end(struct conn_linger *);

static int	conn_draining;

static TAILQ_HEAD(, conn_linger)	lingering =
    TAILQ_HEAD_INITIALIZER(lingering);
static u_int32_t			lingering_count;

void
conn_init(void)
{
	struct kore_server	*srv;
	struct listener		*l;

	/* Each accepted connection gets conn_linger_start() (conn_accept). */
	LIST_FOREACH(srv, &kore_servers, list) {
		LIST_FOREACH(l, &srv->listeners, list)
			l->evt.handle = conn_accept;
	}
	(void)kore_timer_add(conn_linger_expire, CONN_LINGER_TICK_MS, NULL, 0);
}

void
conn_respond(struct http_request *req, int status, const void *body,
    size_t len)
{
	struct connection	*c = req->owner;
	const u_int8_t		*rest;
	size_t			left;
	int			readable;

	if (c == NULL) {
		http_response(req, status, body, len);
		return;
	}

	/* Stopping: "Connection: close", and closed once sent. */
	if (conn_draining)
		c->flags |= CONN_CLOSE_EMPTY;

	if (conn_draining || (left = conn_leftover(req, &rest)) == 0) {
		http_response(req, status, body, len);
		return;
	}

	/*
	 * http_response() sets the connection up for the next head and reads
	 * the socket at once: the pipelined bytes come first, so it must
	 * not read yet. rest stays valid while req lives.
	 */
	readable = c->evt.flags & KORE_EVENT_READ;
	c->evt.flags &= ~KORE_EVENT_READ;
	http_response(req, status, body, len);
	c->evt.flags |= readable;

	if (c->state != CONN_STATE_ESTABLISHED)
		return;
	conn_feed(c, rest, left);
	if (c->state == CONN_STATE_ESTABLISHED && !net_recv_flush(c))
		kore_connection_disconnect(c);
}

void
conn_drain(void)
{
	u_int64_t	now, end, check, wait;
	int		busy;

	conn_draining = 1;
	now = kore_time_ms();
	end = now + CONN_DRAIN_MS;
	check = now;

	/*
	 * The worker has left the accept lock and its listeners already (it
	 * releases them every turn of its loop). What has been sent is read
	 * first; then idle connections close, busy ones once answered.
	 */
	for (;;) {
		/* A timer due sooner (src/db.c's turn for creates) is kept. */
		wait = kore_timer_next_run(now);
		kore_platform_event_wait(wait < 10 ? wait : 10);
		now = kore_time_ms();
		kore_timer_run(now);
		http_process();
		/* Slow heads and bodies are still cut at their timeouts. */
		if (now >= check) {
			kore_connection_check_timeout(now);
			check = now + 500;
		}

		busy = conn_close_idle();
		kore_connection_prune(KORE_CONNECTION_PRUNE_DISCONNECT);
		if (busy == 0 && http_request_count == 0)
			break;
		if (now >= end) {
			log_line(LOG_LEVEL_WARNING, NULL, "stopping with %u "
			    "requests unanswered after %d ms",
			    http_request_count, CONN_DRAIN_MS);
			break;
		}
	}
}

/*
 * Kore's accept, then the close callback on the connections it made: they
 * are the ones after the last connection that was there before.
 */
static void
conn_accept(void *arg, int error)
{
	struct connection	*last, *c;

	last = TAILQ_LAST(&connections, connection_list);
	kore_listener_accept(arg, error);

	c = last != NULL ? TAILQ_NEXT(last, list) : TAILQ_FIRST(&connections);
	for (; c != NULL; c = TAILQ_NEXT(c, list)) {
		if (c->disconnect == NULL)
			c->disconnect = conn_linger_start;
	}
}

/*
 * Kore is about to close c. When the server chose to close after its
 * answer went out (CONN_CLOSE_EMPTY), linger on a second descriptor:
 * Kore's close() then only drops its own.
 */
static void
conn_linger_start(struct connection *c)
{
	struct conn_linger	*lg;
	int			fd;

	if (c->proto != CONN_PROTO_HTTP || !(c->flags & CONN_CLOSE_EMPTY) ||
	    !TAILQ_EMPTY(&c->send_queue) || lingering_count >= CONN_LINGER_MAX)
		return;

	/* fcntl, not dup: Kore's sandbox allows the one, not the other. */
	if ((fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return;

	/*
	 * epoll keeps c's registration while the socket lives on in fd:
	 * drop it now, or events would name c after Kore freed it.
	 */
	kore_platform_disable_read(c->fd);
	if (c->ssl != NULL)
		(void)SSL_shutdown(c->ssl);
	(void)shutdown(fd, SHUT_WR);

	lg = kore_calloc(1, sizeof(*lg));
	lg->evt.type = CONN_TYPE_LINGER;
	lg->evt.handle = conn_linger_read;
	lg->fd = fd;
	lg->until = kore_time_ms() + CONN_LINGER_MS;
	lg->left = CONN_LINGER_BYTES;
	TAILQ_INSERT_TAIL(&lingering, lg, list);
	lingering_count++;

	/* Level-triggered: a read left for later is reported again. */
	kore_platform_event_schedule(fd, EPOLLIN | EPOLLRDHUP, 0, lg);
}

/* Read what came and throw it away; end at the client's close. */
static void
conn_linger_read(void *arg, int error)
{
	struct conn_linger	*lg = arg;
	u_int8_t		buf[16384];
	size_t			got;
	ssize_t			n;

	for (got = 0; got < CONN_LINGER_READ; got += (size_t)n) {
		n = read(lg->fd, buf, sizeof(buf));
		if (n > 0) {
			if ((size_t)n >= lg->left)
				break;
			lg->left -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		/* Nothing more yet: wait, unless the socket failed. */
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !error)
			return;
		break;
	}
	if (got < CONN_LINGER_READ)
		conn_linger_end(lg);
}

/* Those whose time is up, oldest first. */
static void
conn_linger_expire(void *arg, u_int64_t now)
{
	struct conn_linger	*lg;

	while ((lg = TAILQ_FIRST(&lingering)) != NULL && lg->until <= now)
		conn_linger_end(lg);
}

static void
conn_linger_end(struct conn_linger *lg)
{
	/* The same reason: Kore's descriptor may not be closed yet. */
	kore_platform_disable_read(lg->fd);
	(void)close(lg->fd);
	TAILQ_REMOVE(&lingering, lg, list);
	lingering_count--;
	kore_free(lg);
}

/*
 * kore_pgsql_cleanup(), safe on a connection that broke. Kore's release
 * takes a scheduled statement's socket out of epoll and dies when that
 * fails, as it does when the server closed the connection: libpq has
 * closed the socket (PQsocket() is -1) and the kernel took it out of
 * epoll already.
 */
void
conn_pgsql_cleanup(struct kore_pgsql *sql)
{
	if (sql->conn != NULL && sql->conn->db != NULL &&
	    PQsocket(sql->conn->db) < 0)
		sql->flags &= ~KORE_PGSQL_SCHEDULED;
	kore_pgsql_cleanup(sql);
}

/*
 * Did sql's statement fail for the database's sake, not its own:
 * connection trouble, a server shutting down or out of resources (503,
 * where an error of the statement is 500)?
 */
int
conn_pgsql_unavailable(struct kore_pgsql *sql)
{
	const char	*state;

	if (sql->result == NULL)
		return (1);
	if ((state = PQresultErrorField(sql->result,
	    PG_DIAG_SQLSTATE)) == NULL)
		return (1);

	return (!strncmp(state, "08", 2) || !strncmp(state, "57", 2) ||
	    !strncmp(state, "53", 2));
}

/*
 * Give the connection back to Kore's pool, then reconnect it. In that
 * order: Kore takes its socket out of epoll on release, and PQreset()
 * replaces the socket. A lost connection's socket libpq has closed
 * already (which took it out of epoll): Kore must not try, it is fatal.
 */
void
conn_pgsql_reset(struct kore_pgsql *sql)
{
	struct pgsql_conn	*conn;

	conn = sql->conn;
	conn_pgsql_cleanup(sql);

	if (conn != NULL && conn->db != NULL)
		PQreset(conn->db);
}

/*
 * Is the pooled connection of sql (set up, nothing sent yet) dead? A
 * server shutting down sends a FATAL message (libpq takes it for a
 * notice on an idle connection) and closes: the second read sees the end
 * of the stream. An idle connection has nothing to say but its own
 * termination.
 */
int
conn_pgsql_dead(struct kore_pgsql *sql)
{
	PGconn		*db;
	PGresult	*res;

	if (sql->conn == NULL || (db = sql->conn->db) == NULL)
		return (0);
	if (PQconsumeInput(db) == 0 || PQconsumeInput(db) == 0 ||
	    PQstatus(db) == CONNECTION_BAD)
		return (1);
	if (PQisBusy(db) || (res = PQgetResult(db)) == NULL)
		return (0);
	PQclear(res);

	return (1);
}

/*
 * The bytes after req's head in the buffer Kore read it into, if req
 * still owns that buffer (no body was read after the head). Kore's parse
 * cut every line break of the head to NUL and the end of the head,
 * "\r\n\r\n" or "\n\n", to "\0\n\r\n" or "\0\n": the first "\0\n" is
 * that end.
 */
static size_t
conn_leftover(struct http_request *req, const u_int8_t **rest)
{
	struct netbuf	*nb = req->owner->rnb;
	const u_int8_t	*p, *last;
	size_t		head, got;

	if (nb == NULL || nb->buf != NULL || req->headers == NULL ||
	    req->http_body != NULL || (req->method & (HTTP_METHOD_POST |
	    HTTP_METHOD_PUT | HTTP_METHOD_PATCH)))
		return (0);

	got = nb->s_off;
	last = req->headers + got;
	for (p = req->headers; p + 1 < last; p++) {
		if ((p = memchr(p, '\0', last - p - 1)) == NULL)
			return (0);
		if (p[1] == '\n')
			break;
	}
	if (p + 1 >= last)
		return (0);

	head = (size_t)(p - req->headers) + 2;
	if (head + 1 < got && p[2] == '\r' && p[3] == '\n')
		head += 2;
	if (head >= got)
		return (0);

	*rest = req->headers + head;
	return (got - head);
}

/* Give Kore's head parser the bytes as if it had just read them. */
static void
conn_feed(struct connection *c, const u_int8_t *data, size_t len)
{
	struct netbuf	*nb = c->rnb;

	/* The response closed the connection, or no head is awaited. */
	if ((c->flags & CONN_CLOSE_EMPTY) || nb == NULL || nb->buf == NULL ||
	    nb->cb != http_header_recv || nb->s_off != 0 || len > nb->b_len)
		return;

	memcpy(nb->buf, data, len);
	nb->s_off = len;
	if (nb->cb(nb) != KORE_RESULT_OK) {
		kore_connection_disconnect(c);
		return;
	}

	/* A request made here runs after Kore's next wait: make it short. */
	request_kick();
}

/* Close the connections that wait for nothing; count the others. */
static int
conn_close_idle(void)
{
	struct connection	*c, *next;
	int			busy;

	busy = 0;
	for (c = TAILQ_FIRST(&connections); c != NULL; c = next) {
		next = TAILQ_NEXT(c, list);
		if (c->proto != CONN_PROTO_HTTP ||
		    c->state != CONN_STATE_ESTABLISHED)
			continue;
		if (!TAILQ_EMPTY(&c->http_requests) ||
		    !TAILQ_EMPTY(&c->send_queue) ||
		    (c->rnb != NULL && c->rnb->s_off > 0)) {
			busy++;
			continue;
		}
		kore_connection_disconnect(c);
	}

	return (busy);
}
