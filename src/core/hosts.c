/*
 * The per-request checks of the Host and Origin headers against the
 * settings: Django's ALLOWED_HOSTS and django-cors-headers'
 * CORS_ALLOWED_ORIGINS.
 */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "hosts.h"
#include "settings.h"

int
hosts_allowed(const struct settings *s, const char *host)
{
	size_t		i, hlen, plen;
	const char	*p, *end;
	char		name[256];

	/*
	 * Django's host syntax first: a name of [a-z0-9.-] or a bracketed
	 * IPv6 address, then an optional :port. Anything else (a "/", "@",
	 * "?" ...) could smuggle another host into the links we build.
	 */
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL || end == host + 1)
			return (0);
		for (p = host + 1; p < end; p++) {
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return (0);
		}
		end++;
	} else {
		for (end = host; *end != '\0' && *end != ':'; end++) {
			if (!isalnum((unsigned char)*end) && *end != '.' &&
			    *end != '-')
				return (0);
		}
	}
	if (*end == ':') {
		if (end[1] == '\0' || strspn(end + 1, "0123456789") !=
		    strlen(end + 1))
			return (0);
	} else if (*end != '\0') {
		return (0);
	}

	hlen = end - host;
	if (hlen == 0 || hlen >= sizeof(name))
		return (0);
	for (i = 0; i < hlen; i++)
		name[i] = tolower((unsigned char)host[i]);
	name[hlen] = '\0';

	/* A trailing dot names the same host (Django strips it too). */
	if (hlen > 1 && name[hlen - 1] == '.')
		name[--hlen] = '\0';

	for (i = 0; i < s->allowed_hosts_count; i++) {
		p = s->allowed_hosts[i];
		if (!strcmp(p, "*") || !strcasecmp(p, name))
			return (1);
		/* ".example.com" matches example.com and its subdomains. */
		if (*p == '.') {
			plen = strlen(p);
			if (!strcasecmp(p + 1, name))
				return (1);
			if (hlen > plen && !strcasecmp(name + hlen - plen, p))
				return (1);
		}
	}

	return (0);
}

int
hosts_origin_allowed(const struct settings *s, const char *origin)
{
	size_t		i;

	for (i = 0; i < s->cors_origins_count; i++) {
		if (!strcmp(s->cors_origins[i], "*") ||
		    !strcasecmp(s->cors_origins[i], origin))
			return (1);
	}

	return (0);
}
