/*
 * The client address behind a proxy: proxies_parse() on TRUSTED_PROXIES
 * entries (src/core/settings.c) and proxies_client() on the peer and the
 * X-Forwarded-For value (src/request.c, for every request): login
 * throttling and the usage log key on what it answers.
 *
 * The input is "entries\npeer\nxff": comma-separated TRUSTED_PROXIES
 * entries, the connection's address, the header (no second newline: no
 * header). Without a newline the whole input is the header, from a peer
 * inside the fixed networks below, so that the hop parsing is reached.
 *
 * Checked: a network parsed has a family, a prefix within it, no host
 * bits, reads back the same from its canonical text and holds its own
 * address. The client address is the peer unless the peer is trusted
 * and the last hop is an address; then it is that address in canonical
 * form, never client text. A short buffer gets the peer, cut, always
 * terminated.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proxies.h"
#include "core/settings.h"

#include "fuzz.h"

static const char *const fixed[] = { "127.0.0.1", "10.0.0.0/8", "fd00::/8" };
#define FIXED_PEER	"10.1.2.3"

static void	check_net(const char *, const struct proxy_net *);
static void	check_client(const struct proxy_net *, size_t, const char *,
		    const char *);
static int	canonical(const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_net	nets[SETTINGS_LIST_MAX];
	char			*in, *p, *entries, *peer, *xff, *e;
	size_t			i, n;

	in = fuzz_cstring(data, size);
	n = 0;

	if ((p = strchr(in, '\n')) == NULL) {
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			FUZZ_CHECK(proxies_parse(fixed[i], &nets[n]) == 0);
			n++;
		}
		check_client(nets, n, FIXED_PEER, in);
		free(in);
		return (0);
	}

	*p++ = '\0';
	entries = in;
	peer = p;
	if ((xff = strchr(peer, '\n')) != NULL)
		*xff++ = '\0';

	/* As settings.c: every entry must parse. */
	while (n < SETTINGS_LIST_MAX && (e = strsep(&entries, ",")) != NULL) {
		if (proxies_parse(e, &nets[n]) == 0) {
			check_net(e, &nets[n]);
			n++;
		}
	}

	check_client(nets, n, peer, xff);
	free(in);

	return (0);
}

static void
check_net(const char *text, const struct proxy_net *net)
{
	struct proxy_net	back;
	char			addr[PROXIES_ADDR_LEN], again[64];
	int			max, i;

	FUZZ_CHECK(net->family == AF_INET || net->family == AF_INET6);
	max = net->family == AF_INET ? 32 : 128;
	FUZZ_CHECK(net->bits >= 0 && net->bits <= max);
	for (i = net->bits; i < max; i++)
		FUZZ_CHECK((net->addr[i / 8] & (0x80 >> (i % 8))) == 0);
	if (net->family == AF_INET) {
		for (i = 4; i < 16; i++)
			FUZZ_CHECK(net->addr[i] == 0);
	}

	FUZZ_CHECK(inet_ntop(net->family, net->addr, addr, sizeof(addr)) !=
	    NULL);
	(void)snprintf(again, sizeof(again), "%s/%d", addr, net->bits);
	FUZZ_CHECK(proxies_parse(again, &back) == 0);
	FUZZ_CHECK(!memcmp(&back, net, sizeof(back)));

	/* A network holds its own address. */
	FUZZ_CHECK(proxies_trusted(net, 1, addr) == 1);
}

static void
check_client(const struct proxy_net *nets, size_t n, const char *peer,
    const char *xff)
{
	char		out[64], small[16];
	const char	*r;
	int		trusted;

	trusted = proxies_trusted(nets, n, peer);
	/* Nothing is trusted when nothing is listed. */
	FUZZ_CHECK(n > 0 || !trusted);

	memset(out, 'x', sizeof(out));
	r = proxies_client(nets, n, peer, xff, out, sizeof(out));
	FUZZ_CHECK(r == out && memchr(out, '\0', sizeof(out)) != NULL);
	if (xff == NULL || !trusted) {
		FUZZ_CHECK(!strncmp(out, peer, sizeof(out) - 1));
	} else if (strncmp(out, peer, sizeof(out) - 1) != 0) {
		/* Another address than the peer: canonical, no client text. */
		FUZZ_CHECK(canonical(out));
	}

	/* Too short for an address: the peer, cut. */
	memset(small, 'x', sizeof(small));
	r = proxies_client(nets, n, peer, xff, small, sizeof(small));
	FUZZ_CHECK(r == small && strlen(small) < sizeof(small));
	FUZZ_CHECK(!strncmp(small, peer, sizeof(small) - 1));
}

/* Is s an address as inet_ntop() writes it? */
static int
canonical(const char *s)
{
	unsigned char	addr[16];
	char		back[PROXIES_ADDR_LEN];
	int		family;

	family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(family, s, addr) != 1 ||
	    inet_ntop(family, addr, back, sizeof(back)) == NULL)
		return (0);

	return (!strcmp(s, back));
}
