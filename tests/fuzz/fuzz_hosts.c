/*
 * The Host and Origin headers: hosts_allowed() and
 * hosts_origin_allowed() (src/core/hosts.c), run by src/input.c and
 * src/response.c on every request, against an ALLOWED_HOSTS with names,
 * a subdomain wildcard and addresses, and a CORS_ALLOWED_ORIGINS list.
 *
 * Checked: a host let in is one of the listed names, a subdomain of the
 * ".name" entry, or one of them with a port; it never holds a byte that
 * could carry another host into the links built from it ("/", "@", "?",
 * "#", "\", a space ...). An origin let in is a listed one.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hosts.h"
#include "core/settings.h"

#include "fuzz.h"

static const char *const allowed[] = {
	"api.example.com", ".tenants.example.org", "127.0.0.1", "[::1]",
	"localhost", NULL
};
static const char *const origins[] = {
	"https://app.example.com", "http://localhost:3000", NULL
};

static struct settings	s, any;

static int	listed(const char *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t		i;

	for (i = 0; allowed[i] != NULL; i++)
		s.allowed_hosts[s.allowed_hosts_count++] = (char *)allowed[i];
	for (i = 0; origins[i] != NULL; i++)
		s.cors_origins[s.cors_origins_count++] = (char *)origins[i];

	any.allowed_hosts[any.allowed_hosts_count++] = (char *)"*";
	any.cors_origins[any.cors_origins_count++] = (char *)"*";

	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*port;
	char		*h;
	size_t		i, hlen;

	h = fuzz_cstring(data, size);

	if (hosts_allowed(&s, h)) {
		for (i = 0; h[i] != '\0'; i++)
			FUZZ_CHECK(isalnum((unsigned char)h[i]) ||
			    strchr(".-:[]", h[i]) != NULL);
		/* The name, then nothing or a port of digits. */
		if (h[0] == '[') {
			FUZZ_CHECK((port = strchr(h, ']')) != NULL);
			port++;
		} else
			port = h + strcspn(h, ":");
		hlen = port - h;
		FUZZ_CHECK(*port == '\0' || (port[0] == ':' &&
		    port[1] != '\0' &&
		    strspn(port + 1, "0123456789") == strlen(port + 1)));
		FUZZ_CHECK(listed(h, hlen));
	}

	/* "*" lets in any host of the right syntax, and only those. */
	if (hosts_allowed(&any, h)) {
		for (i = 0; h[i] != '\0'; i++)
			FUZZ_CHECK(isalnum((unsigned char)h[i]) ||
			    strchr(".-:[]", h[i]) != NULL);
	}

	if (hosts_origin_allowed(&s, h)) {
		for (i = 0; origins[i] != NULL; i++) {
			if (!strcasecmp(origins[i], h))
				break;
		}
		FUZZ_CHECK(origins[i] != NULL);
	}
	FUZZ_CHECK(hosts_origin_allowed(&any, h));

	free(h);
	return (0);
}

/* Is the host name of hlen bytes (port cut off) one ALLOWED_HOSTS names? */
static int
listed(const char *h, size_t hlen)
{
	const char	*a;
	size_t		i, alen;

	/* A trailing dot names the same host. */
	if (hlen > 1 && h[hlen - 1] == '.')
		hlen--;

	for (i = 0; allowed[i] != NULL; i++) {
		a = allowed[i];
		alen = strlen(a);
		if (alen == hlen && !strncasecmp(a, h, hlen))
			return (1);
		if (a[0] != '.')
			continue;
		/* ".example.org": the name itself and its subdomains. */
		if (alen - 1 == hlen && !strncasecmp(a + 1, h, hlen))
			return (1);
		if (hlen > alen && !strncasecmp(h + hlen - alen, a, alen))
			return (1);
	}

	return (0);
}
