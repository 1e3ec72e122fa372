/*
 * The client address behind a trusted reverse proxy.
 *
 * Every proxy appends the address it was connected from to
 * X-Forwarded-For; whatever stands before that was written by someone
 * further out, the client included, and proves nothing. So the header
 * counts only on a connection from a proxy of TRUSTED_PROXIES, and only
 * its last hop: the client as that proxy saw it. Login throttling and
 * the usage log key on the result, so a client that could choose it
 * could shake off its throttle or blame another address.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxies.h"

static int	addr_parse(const char *, size_t, int *, unsigned char *);
static int	net_contains(const struct proxy_net *, int,
		    const unsigned char *);
static void	copy_out(const char *, char *, size_t);

int
proxies_parse(const char *text, struct proxy_net *net)
{
	const char	*slash;
	char		*end;
	size_t		len;
	long		bits;
	int		i, max;

	memset(net, 0, sizeof(*net));
	slash = strchr(text, '/');
	len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (addr_parse(text, len, &net->family, net->addr) == -1)
		return (-1);

	max = net->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		net->bits = max;
		return (0);
	}

	if (!isdigit((unsigned char)slash[1]))
		return (-1);
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || bits < 0 || bits > max)
		return (-1);
	net->bits = (int)bits;

	/* "10.1.2.3/8" means 10.0.0.0/8: the host bits are dropped. */
	for (i = net->bits; i < max; i++)
		net->addr[i / 8] &= ~(0x80 >> (i % 8));

	return (0);
}

int
proxies_trusted(const struct proxy_net *nets, size_t n, const char *ip)
{
	unsigned char	addr[16];
	int		family;
	size_t		i;

	if (n == 0 || addr_parse(ip, strlen(ip), &family, addr) == -1)
		return (0);

	for (i = 0; i < n; i++) {
		if (net_contains(&nets[i], family, addr))
			return (1);
	}

	return (0);
}

const char *
proxies_client(const struct proxy_net *nets, size_t n, const char *peer,
    const char *xff, char *out, size_t outlen)
{
	const char	*hop, *end;
	unsigned char	addr[16];
	int		family;

	copy_out(peer, out, outlen);
	if (xff == NULL || !proxies_trusted(nets, n, peer))
		return (out);

	/* The last comma-separated element, without its blanks. */
	hop = strrchr(xff, ',');
	hop = hop != NULL ? hop + 1 : xff;
	while (*hop == ' ' || *hop == '\t')
		hop++;
	end = hop + strlen(hop);
	while (end > hop && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* An IPv6 hop may come bracketed. */
	if (end - hop > 2 && *hop == '[' && end[-1] == ']') {
		hop++;
		end--;
	}

	if (addr_parse(hop, end - hop, &family, addr) == -1)
		return (out);

	/* Written back in canonical form: no client text reaches the logs. */
	if (outlen < PROXIES_ADDR_LEN ||
	    inet_ntop(family, addr, out, outlen) == NULL)
		copy_out(peer, out, outlen);

	return (out);
}

/* An IPv4 or IPv6 address of exactly len bytes; IPv4-mapped -> IPv4. */
static int
addr_parse(const char *text, size_t len, int *family, unsigned char *addr)
{
	static const unsigned char	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };
	char				buf[PROXIES_ADDR_LEN];

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, text, len);
	buf[len] = '\0';

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return (-1);

	if (!memcmp(addr, mapped, sizeof(mapped))) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
		return (0);
	}

	*family = AF_INET6;
	return (0);
}

static int
net_contains(const struct proxy_net *net, int family,
    const unsigned char *addr)
{
	int		full, rest;

	if (net->family != family)
		return (0);

	full = net->bits / 8;
	rest = net->bits % 8;
	if (memcmp(net->addr, addr, full))
		return (0);
	if (rest == 0)
		return (1);

	return ((net->addr[full] ^ addr[full]) & (0xff << (8 - rest)) ? 0 : 1);
}

static void
copy_out(const char *s, char *out, size_t outlen)
{
	size_t		len;

	if (outlen == 0)
		return;
	len = strlen(s);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}
