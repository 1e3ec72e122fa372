/*
 * Host and Origin header checks against the settings. No Kore dependency.
 */

#ifndef MTAPI_HOSTS_H
#define MTAPI_HOSTS_H

struct settings;

/* Is host (a Host header, port included or not) in ALLOWED_HOSTS? */
int	hosts_allowed(const struct settings *, const char *);

/* Is origin listed in CORS_ALLOWED_ORIGINS? */
int	hosts_origin_allowed(const struct settings *, const char *);

#endif
