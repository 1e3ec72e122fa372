/*
 * Unit tests for src/core/hosts.c: the Host and Origin checks.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/hosts.h"
#include "core/settings.h"

#include "unit_env.h"

static int	allow(const char *, const char *);

TestSuite(hosts, .init = unit_env_setup, .fini = unit_env_teardown);

static int
allow(const char *list, const char *host)
{
	struct settings	s;
	int		r;

	setenv("ALLOWED_HOSTS", list, 1);
	unit_load_ok(&s);
	r = hosts_allowed(&s, host);
	settings_free(&s);

	return (r);
}

Test(hosts, allowed)
{
	static const struct {
		const char	*host;
		int		 allowed;
	} cases[] = {
		{ "example.org", 1 },
		{ "example.org:8000", 1 },
		{ "EXAMPLE.org", 1 },
		{ "example.org.", 1 },
		{ "example.org.:443", 1 },
		{ "www.example.org", 0 },
		{ "example.org.evil.net", 0 },
		{ "evil-example.org", 0 },
		{ "xexample.org", 0 },
		{ "example.com", 1 },
		{ "api.example.com", 1 },
		{ "a.b.example.com:8443", 1 },
		{ "API.Example.COM", 1 },
		{ "api.example.com.", 1 },
		{ "badexample.com", 0 },
		{ "example.com.evil.net", 0 },
		{ "example.co", 0 },
		{ "[::1]", 1 },
		{ "[::1]:8000", 1 },
		{ "[::2]:8000", 0 },
		{ "[::1", 0 },
		{ "::1", 0 },
		{ "localhost", 1 },
		{ "LOCALHOST:80", 1 },
		{ "", 0 },
		{ ":8000", 0 },
		{ ".", 0 },
		{ "127.0.0.1", 0 },
	};
	struct settings	s;
	size_t		i;

	setenv("ALLOWED_HOSTS", "example.org,.example.com,[::1],LocalHost",
	    1);
	unit_load_ok(&s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(hosts_allowed(&s, cases[i].host),
		    cases[i].allowed, "Host '%s'", cases[i].host);
	settings_free(&s);
}

Test(hosts, allowed_star)
{
	cr_expect(allow("*", "anything.example"));
	cr_expect(allow("*", "10.0.0.1:8080"));
	cr_expect(allow("*", "[2001:db8::1]:443"));
	cr_expect(!allow("", "localhost"));
}

Test(hosts, allowed_long)
{
	char	host[400];

	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	cr_expect(!allow(".example.com", host));
	(void)strcpy(host + sizeof(host) - 1 - 12, ".example.com");
	cr_expect(!allow(".example.com", host));
}

/*
 * Django validates the Host syntax before it compares names: a Host that
 * is no host name must not slip through a ".example.com" wildcard (the
 * Host goes into the absolute next/previous links).
 */
Test(hosts, allowed_malformed)
{
	static const char *bad[] = {
		"evil.com/.example.com",
		"evil.com?.example.com",
		"evil.com#.example.com",
		"evil.com\\.example.com",
		"evil.com .example.com",
		"evil.com@a.example.com",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!allow(".example.com", bad[i]), "Host '%s'",
		    bad[i]);
}

Test(hosts, origin_allowed)
{
	struct settings	s;

	setenv("CORS_ALLOWED_ORIGINS", "https://app.example.com,"
	    "http://localhost:3000", 1);
	unit_load_ok(&s);
	cr_expect(hosts_origin_allowed(&s, "https://app.example.com"));
	cr_expect(hosts_origin_allowed(&s, "HTTPS://APP.EXAMPLE.COM"));
	cr_expect(hosts_origin_allowed(&s, "http://localhost:3000"));
	cr_expect(!hosts_origin_allowed(&s, "http://localhost:3001"));
	cr_expect(!hosts_origin_allowed(&s, "http://app.example.com"));
	cr_expect(!hosts_origin_allowed(&s,
	    "https://app.example.com.evil.net"));
	cr_expect(!hosts_origin_allowed(&s, "https://app.example.com/"));
	cr_expect(!hosts_origin_allowed(&s, "https://example.com"));
	cr_expect(!hosts_origin_allowed(&s, "null"));
	cr_expect(!hosts_origin_allowed(&s, ""));
	settings_free(&s);

	setenv("CORS_ALLOWED_ORIGINS", "*", 1);
	unit_load_ok(&s);
	cr_expect(hosts_origin_allowed(&s, "https://anyone.example"));
	settings_free(&s);

	unsetenv("CORS_ALLOWED_ORIGINS");
	unit_load_ok(&s);
	cr_expect(!hosts_origin_allowed(&s, "https://app.example.com"));
	settings_free(&s);
}
