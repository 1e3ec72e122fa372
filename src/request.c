/*
 * The per-request context: one struct api_req per request, made by the
 * first layer that asks for it (the auth hook, or the dispatcher of a
 * public route) and freed by Kore with the request. It knows the request
 * id and the client's address (behind a trusted proxy, the one that
 * proxy saw: src/core/proxies.c); the layers above keep their state in
 * it and free it through its hooks.
 */

#include <arpa/inet.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mtapi.h"

static void	request_free(struct http_request *);
static int	rid_acceptable(const char *);
static const char	*last_forwarded_for(struct http_request *);
static void	request_kicked(void *, u_int64_t);

static int	request_kick_due;

struct api_req *
request_get(struct http_request *req)
{
	struct api_req	*ar;
	const char	*hdr;
	char		uuid[TOKEN_UUID_LEN + 1];

	if (http_state_exists(req))
		return (http_state_get(req));

	ar = http_state_create(req, sizeof(*ar), request_free);
	ar->started = kore_time_ms();
	ar->rl_limit = -1;
	ar->rl_remaining = -1;

	if (http_request_header(req, "x-request-id", &hdr) &&
	    rid_acceptable(hdr)) {
		(void)kore_strlcpy(ar->rid, hdr, sizeof(ar->rid));
	} else {
		token_uuid_new(uuid);
		(void)kore_strlcpy(ar->rid, uuid, sizeof(ar->rid));
	}

	return (ar);
}

const char *
request_client_ip(struct http_request *req, char *buf, size_t len)
{
	struct connection	*c = req->owner;
	const void		*src;
	char			peer[PROXIES_ADDR_LEN];

	switch (c->family) {
	case AF_INET:
		src = &c->addr.ipv4.sin_addr;
		break;
	case AF_INET6:
		src = &c->addr.ipv6.sin6_addr;
		break;
	default:
		(void)kore_strlcpy(buf, "unix", len);
		return (buf);
	}

	if (inet_ntop(c->family, src, peer, sizeof(peer)) == NULL) {
		(void)kore_strlcpy(buf, "unknown", len);
		return (buf);
	}

	return (proxies_client(app.s.trusted_proxies,
	    app.s.trusted_proxies_count, peer, last_forwarded_for(req),
	    buf, len));
}

/*
 * Wake a sleeping request, to run in the worker loop's next turn. Kore
 * 4.1 runs woken requests in http_process(), and one woken during that
 * pass after it went by (by the last request of the pass, releasing a
 * database slot) waits for the loop's next event or timer: with every
 * client waiting for an answer, for the next 1 s tick.
 */
void
request_wakeup(struct http_request *req)
{
	http_request_wakeup(req);
	request_kick();
}

/*
 * Make the worker loop's next wait end at once: it waits until its
 * first timer is due. One timer due now at most, however many ask.
 */
void
request_kick(void)
{
	if (request_kick_due)
		return;
	request_kick_due = 1;
	(void)kore_timer_add(request_kicked, 0, NULL, KORE_TIMER_ONESHOT);
}

static void
request_kicked(void *unused, u_int64_t now)
{
	request_kick_due = 0;
}

/*
 * The last X-Forwarded-For header: a proxy adds its own after any the
 * client sent, and Kore's http_request_header() answers the first.
 */
static const char *
last_forwarded_for(struct http_request *req)
{
	struct http_header	*hdr;
	const char		*last;

	last = NULL;
	TAILQ_FOREACH(hdr, &req->req_headers, list) {
		if (!strcasecmp(hdr->header, "x-forwarded-for"))
			last = hdr->value;
	}

	return (last);
}

/* A client's X-Request-ID is echoed only when it is short and plain. */
static int
rid_acceptable(const char *s)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= API_RID_MAX)
			return (0);
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.:", s[i]) == NULL)
			return (0);
	}

	return (i > 0);
}

static void
request_free(struct http_request *req)
{
	struct api_req	*ar = http_state_get(req);

	/*
	 * Kore calls this again later while a task is still running (it
	 * defers the free until the task ends), so everything here and in
	 * the hooks must be safe to repeat.
	 */
	if (ar->db_free != NULL)
		ar->db_free(ar);
	json_decref(ar->body);
	ar->body = NULL;
	fields_free(&ar->fields);
	if (ar->priv != NULL && ar->priv_free != NULL)
		ar->priv_free(ar->priv);
	ar->priv = NULL;
}
