/*
 * Unit tests for src/core/proxies.c: which X-Forwarded-For is believed,
 * and which of its hops.
 */

#include <string.h>

#include <criterion/criterion.h>

#include "core/proxies.h"

static size_t	nets(struct proxy_net *, const char *const *);
static const char *client(const char *const *, const char *, const char *);

static char	out[PROXIES_ADDR_LEN];

static size_t
nets(struct proxy_net *n, const char *const *list)
{
	size_t		i;

	for (i = 0; list[i] != NULL; i++)
		cr_assert_eq(proxies_parse(list[i], &n[i]), 0, "%s", list[i]);

	return (i);
}

/* The client address with the proxies of list, a peer and its XFF. */
static const char *
client(const char *const *list, const char *peer, const char *xff)
{
	struct proxy_net	n[8];
	size_t			count;

	count = nets(n, list);
	return (proxies_client(n, count, peer, xff, out, sizeof(out)));
}

Test(proxies, parse)
{
	struct proxy_net	n;

	cr_assert_eq(proxies_parse("10.1.2.3/8", &n), 0);
	cr_expect_eq(n.bits, 8);
	cr_expect_eq(n.addr[0], 10);
	cr_expect_eq(n.addr[1], 0, "host bits kept");
	cr_assert_eq(proxies_parse("192.168.7.255/23", &n), 0);
	cr_expect_eq(n.addr[2], 6);
	cr_expect_eq(n.addr[3], 0);
	cr_assert_eq(proxies_parse("0.0.0.0/0", &n), 0);
	cr_expect_eq(n.bits, 0);
	cr_assert_eq(proxies_parse("fd00::/8", &n), 0);
	cr_expect_eq(n.bits, 8);
	cr_assert_eq(proxies_parse("::ffff:127.0.0.1", &n), 0);
	cr_expect_eq(n.bits, 32, "IPv4-mapped is IPv4");

	cr_expect_eq(proxies_parse("", &n), -1);
	cr_expect_eq(proxies_parse("localhost", &n), -1);
	cr_expect_eq(proxies_parse("1.2.3", &n), -1);
	cr_expect_eq(proxies_parse("1.2.3.4/", &n), -1);
	cr_expect_eq(proxies_parse("1.2.3.4/33", &n), -1);
	cr_expect_eq(proxies_parse("1.2.3.4/+8", &n), -1);
	cr_expect_eq(proxies_parse("1.2.3.4/8/8", &n), -1);
	cr_expect_eq(proxies_parse("::1/129", &n), -1);
	cr_expect_eq(proxies_parse(" 1.2.3.4", &n), -1);
}

Test(proxies, trusted)
{
	static const char *const	list[] = { "127.0.0.1", "10.0.0.0/8",
					    "172.16.0.0/12", "2001:db8::/32",
					    NULL };
	struct proxy_net		n[8];
	size_t				c;

	c = nets(n, list);
	cr_expect(proxies_trusted(n, c, "127.0.0.1"));
	cr_expect(proxies_trusted(n, c, "::ffff:127.0.0.1"));
	cr_expect(!proxies_trusted(n, c, "127.0.0.2"));
	cr_expect(proxies_trusted(n, c, "10.255.255.255"));
	cr_expect(!proxies_trusted(n, c, "11.0.0.1"));
	cr_expect(proxies_trusted(n, c, "172.31.0.1"));
	cr_expect(!proxies_trusted(n, c, "172.32.0.1"));
	cr_expect(proxies_trusted(n, c, "2001:db8:ffff::1"));
	cr_expect(!proxies_trusted(n, c, "2001:db9::1"));
	cr_expect(!proxies_trusted(n, c, "::1"));
	cr_expect(!proxies_trusted(n, c, "unix"));
	cr_expect(!proxies_trusted(n, 0, "127.0.0.1"), "none configured");
}

/* Without trust, or from an untrusted peer, the header counts for nothing. */
Test(proxies, untrusted_peer_ignored)
{
	static const char *const	none[] = { NULL };
	static const char *const	lb[] = { "127.0.0.1", NULL };

	cr_expect_str_eq(client(none, "127.0.0.1", "203.0.113.9"),
	    "127.0.0.1");
	cr_expect_str_eq(client(lb, "127.0.0.2", "203.0.113.9"), "127.0.0.2");
	cr_expect_str_eq(client(lb, "198.51.100.1", "127.0.0.1"),
	    "198.51.100.1");
	cr_expect_str_eq(client(lb, "127.0.0.1", NULL), "127.0.0.1");
}

/* Only the last hop: the one the trusted proxy appended. */
Test(proxies, last_hop_only)
{
	static const char *const	lb[] = { "127.0.0.1", NULL };

	cr_expect_str_eq(client(lb, "127.0.0.1", "203.0.113.9"),
	    "203.0.113.9");
	cr_expect_str_eq(client(lb, "127.0.0.1",
	    "1.1.1.1, 2.2.2.2,203.0.113.9"), "203.0.113.9");
	cr_expect_str_eq(client(lb, "127.0.0.1", "  203.0.113.9 \t"),
	    "203.0.113.9");
	/* A chain of trusted proxies is not walked back. */
	cr_expect_str_eq(client(lb, "127.0.0.1", "198.51.100.7, 127.0.0.1"),
	    "127.0.0.1");
	cr_expect_str_eq(client(lb, "127.0.0.1", "2001:DB8::0:1"),
	    "2001:db8::1");
	cr_expect_str_eq(client(lb, "127.0.0.1", "[2001:db8::1]"),
	    "2001:db8::1");
	cr_expect_str_eq(client(lb, "::ffff:127.0.0.1", "203.0.113.9"),
	    "203.0.113.9");
	cr_expect_str_eq(client(lb, "127.0.0.1", "::ffff:203.0.113.9"),
	    "203.0.113.9");
}

/* A last hop that is not an address: the peer, never the client's text. */
Test(proxies, bad_last_hop)
{
	static const char *const	lb[] = { "127.0.0.1", NULL };
	static const char		*bad[] = { "", " ", "203.0.113.9,",
					    "unknown", "203.0.113.9:4711",
					    "203.0.113.9 x", "[::1", "[]",
					    "_hidden", "1.2.3.4\n5.6.7.8",
					    "203.0.113.9;drop", "a, b" };
	char				huge[200];
	size_t				i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_str_eq(client(lb, "127.0.0.1", bad[i]), "127.0.0.1",
		    "'%s'", bad[i]);

	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	cr_expect_str_eq(client(lb, "127.0.0.1", huge), "127.0.0.1");
}

/* A buffer too small for any address gets the peer, cut, never garbage. */
Test(proxies, small_buffer)
{
	struct proxy_net	n;
	char			small[8];

	cr_assert_eq(proxies_parse("127.0.0.1", &n), 0);
	cr_expect_str_eq(proxies_client(&n, 1, "127.0.0.1", "203.0.113.9",
	    small, sizeof(small)), "127.0.0");
}
