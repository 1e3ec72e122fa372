/*
 * The client address behind a trusted reverse proxy (TRUSTED_PROXIES):
 * X-Forwarded-For is believed only from a proxy's own address, and only
 * its last hop, the one that proxy appended. No Kore dependency.
 */

#ifndef MTAPI_PROXIES_H
#define MTAPI_PROXIES_H

#include <stddef.h>

/* Longest address text: an IPv6 one (INET6_ADDRSTRLEN). */
#define PROXIES_ADDR_LEN	46

/* A network of TRUSTED_PROXIES: an address and a prefix length. */
struct proxy_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network order, host bits zero */
	int		bits;
};

/*
 * "127.0.0.1", "10.0.0.0/8", "::1" or "fd00::/8" into net: 0, or -1 when
 * text is none of these.
 */
int		proxies_parse(const char *, struct proxy_net *);

/* Is ip (an address as text) inside one of the n networks? */
int		proxies_trusted(const struct proxy_net *, size_t, const char *);

/*
 * The client's address as text in out: the last hop of xff (the
 * X-Forwarded-For value; NULL if none) when peer, the connection's own
 * address, is a trusted proxy and that hop is an address; else peer.
 */
const char	*proxies_client(const struct proxy_net *, size_t,
		    const char *peer, const char *xff, char *, size_t);

#endif
