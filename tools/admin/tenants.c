/*
 * Tenants: create-tenant, set-tenant-active, set-rate-limit.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "core/fields.h"

static int	slug_valid(const char *);

int
cmd_create_tenant(struct admin *adm)
{
	PGresult	*res;
	const char	*slug, *name, *p[4];
	char		rate[32];
	long		rpm;

	slug = admin_opt_required(adm, "slug");
	name = admin_opt_required(adm, "name");
	rpm = admin_opt_long(adm, "rate-limit", 600, 1, 100000000);

	if (!slug_valid(slug))
		admin_fail(adm, "--slug must be 1-63 lower-case letters, "
		    "digits or dashes, starting with a letter or digit");
	/* The schema counts characters (char_length), so do we. */
	if (!fields_utf8_valid(name))
		admin_fail(adm, "--name must be UTF-8 text");
	if (name[0] == '\0' || fields_utf8_len(name) > 255)
		admin_fail(adm, "--name must be 1-255 characters");

	(void)snprintf(rate, sizeof(rate), "%ld", rpm);
	p[0] = slug;
	p[1] = name;
	p[2] = admin_flag(adm, "inactive") ? "false" : "true";
	p[3] = rate;

	res = admin_exec(adm, "INSERT INTO tenants (slug, name, is_active, "
	    "requests_per_minute) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (slug) DO NOTHING RETURNING id", 4, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "a tenant with slug '%s' already exists", slug);

	printf("created tenant %s (%s)%s\n", slug, PQgetvalue(res, 0, 0),
	    p[2][0] == 'f' ? ", inactive" : "");
	PQclear(res);

	return (0);
}

int
cmd_set_tenant_active(struct admin *adm)
{
	PGresult	*res;
	const char	*slug, *active, *p[2];

	slug = admin_opt_required(adm, "tenant");
	active = admin_opt_required(adm, "active");

	if (!strcasecmp(active, "yes") || !strcasecmp(active, "true"))
		p[1] = "true";
	else if (!strcasecmp(active, "no") || !strcasecmp(active, "false"))
		p[1] = "false";
	else
		admin_fail(adm, "--active must be yes or no");
	p[0] = slug;

	res = admin_exec(adm, "UPDATE tenants SET is_active = $2, "
	    "updated_at = now() WHERE slug = $1 RETURNING id", 2, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown tenant '%s'", slug);

	printf("tenant %s is now %s\n", slug,
	    p[1][0] == 't' ? "active" : "inactive");
	PQclear(res);

	return (0);
}

int
cmd_set_rate_limit(struct admin *adm)
{
	PGresult	*res;
	const char	*slug, *p[2];
	char		rate[32];
	long		rpm;

	slug = admin_opt_required(adm, "tenant");
	if (admin_opt(adm, "per-minute") == NULL)
		admin_fail(adm, "--per-minute is required");
	rpm = admin_opt_long(adm, "per-minute", 0, 1, 100000000);

	(void)snprintf(rate, sizeof(rate), "%ld", rpm);
	p[0] = slug;
	p[1] = rate;

	res = admin_exec(adm, "UPDATE tenants SET requests_per_minute = $2, "
	    "updated_at = now() WHERE slug = $1 RETURNING id", 2, p);
	if (PQntuples(res) != 1)
		admin_fail(adm, "unknown tenant '%s'", slug);

	printf("tenant %s: %ld requests per minute\n", slug, rpm);
	PQclear(res);

	return (0);
}

static int
slug_valid(const char *s)
{
	size_t		i;

	if (s[0] == '\0' || strlen(s) > 63 || s[0] == '-')
		return (0);

	for (i = 0; s[i] != '\0'; i++) {
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return (0);
	}

	return (1);
}
