/*
 * JWT minting and verification.
 *
 * libjwt's jwt_decode() verifies with whatever algorithm the token's header
 * names (libjwt issues #33, #43, #200): an HS256 token "signed" with our
 * RS256 public key would pass. So the header is decoded and its alg
 * compared with the configured one before libjwt sees any key; only then
 * does the kid choose a key, among the ring's keys, which are all of the
 * configured algorithm (src/core/keyset.c). Keys a token brings itself
 * (jku, x5u, jwk, x5c) are never looked at.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>

#include "keyset.h"
#include "settings.h"
#include "token.h"

/* Our headers are {"alg","kid","typ"}: anything much larger is not ours. */
#define TOKEN_HEADER_MAX	1024

static int	segment_valid(const char *, size_t);
static json_t	*segment_json(const char *, size_t, size_t);
static int	claims_from_json(json_t *, const struct token_keys *, int,
		    time_t, struct token_claims *);
static int	copy_string(json_t *, const char *, char *, size_t, int);
static int	copy_list(json_t *, const char *, char (*)[TOKEN_ITEM_LEN],
		    size_t *);
static int	audience_matches(json_t *, const char *);
static jwt_alg_t	libjwt_alg(int);
static int	header_check(json_t *, const struct token_keys *,
		    const struct keyset_key **);

static const char *token_errors[] = {
	"ok", "malformed token", "malformed header", "algorithm not allowed",
	"bad signature", "token expired", "wrong issuer", "wrong audience",
	"wrong token type", "invalid claims", "token not yet valid",
	"unknown key id", "internal error"
};

void
token_keys_init(struct token_keys *k, const struct settings *s,
    const struct keyset *set)
{
	memset(k, 0, sizeof(*k));
	k->alg = s->jwt_alg;
	k->set = set;
	k->issuer = s->issuer;
	k->audience = s->audience;
	k->leeway = s->leeway;
	k->accept_missing_kid = s->accept_missing_kid;
}

int
token_verify(const struct token_keys *keys, const char *token, int want_type,
    time_t now, struct token_claims *out)
{
	jwt_t			*jwt;
	json_t			*hdr, *payload;
	const struct keyset_key	*key;
	const unsigned char	*vkey;
	const char		*dot1, *dot2;
	size_t			len, vlen;
	int			rc;

	memset(out, 0, sizeof(*out));

	len = strnlen(token, TOKEN_MAX_LEN + 1);
	if (len == 0 || len > TOKEN_MAX_LEN)
		return (TOKEN_E_FORMAT);
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		return (TOKEN_E_FORMAT);
	if (!segment_valid(token, dot1 - token) ||
	    !segment_valid(dot1 + 1, dot2 - dot1 - 1) ||
	    !segment_valid(dot2 + 1, strlen(dot2 + 1)))
		return (TOKEN_E_FORMAT);

	/* Pin the algorithm before libjwt picks one from the header. */
	if ((hdr = segment_json(token, dot1 - token, TOKEN_HEADER_MAX)) == NULL)
		return (TOKEN_E_HEADER);
	rc = header_check(hdr, keys, &key);
	json_decref(hdr);
	if (rc != TOKEN_OK)
		return (rc);

	if (keys->alg == SETTINGS_ALG_HS256) {
		vkey = key->secret;
		vlen = key->secret_len;
	} else {
		vkey = (const unsigned char *)key->public_pem;
		vlen = strlen(key->public_pem);
	}

	jwt = NULL;
	if (jwt_decode(&jwt, token, vkey, (int)vlen) != 0 || jwt == NULL) {
		if (jwt != NULL)
			jwt_free(jwt);
		return (TOKEN_E_SIGNATURE);
	}

	if (jwt_get_alg(jwt) != libjwt_alg(keys->alg)) {
		jwt_free(jwt);
		return (TOKEN_E_ALG);
	}

	jwt_free(jwt);

	/*
	 * The signature holds: read the claims from the payload ourselves,
	 * refusing duplicate keys (libjwt keeps the last of them silently).
	 */
	if ((payload = segment_json(dot1 + 1, dot2 - dot1 - 1,
	    TOKEN_MAX_LEN)) == NULL)
		return (TOKEN_E_CLAIMS);

	rc = claims_from_json(payload, keys, want_type, now, out);
	json_decref(payload);

	if (rc != TOKEN_OK)
		memset(out, 0, sizeof(*out));

	return (rc);
}

char *
token_mint(const struct token_keys *keys, const struct token_claims *c)
{
	jwt_t			*jwt;
	json_t			*obj, *roles, *scopes;
	const struct keyset_key	*key;
	char			*grants, *out, uid[32];
	size_t			i;

	if (keys->set == NULL || (key = keyset_current(keys->set)) == NULL ||
	    key->secret == NULL)
		return (NULL);

	if ((obj = json_object()) == NULL)
		return (NULL);

	json_object_set_new(obj, "token_type", json_string(
	    c->token_type == TOKEN_TYPE_REFRESH ? "refresh" : "access"));
	json_object_set_new(obj, "auth_type",
	    json_string(token_auth_type_name(c->auth_type)));
	json_object_set_new(obj, "tenant", json_string(c->tenant));
	if (c->tenant_slug[0] != '\0')
		json_object_set_new(obj, "tenant_slug",
		    json_string(c->tenant_slug));

	switch (c->auth_type) {
	case AUTH_TYPE_USER:
		(void)snprintf(uid, sizeof(uid), "%" PRId64, c->user_id);
		json_object_set_new(obj, "sub", json_string(uid));
		json_object_set_new(obj, "user_id", json_integer(c->user_id));
		break;
	case AUTH_TYPE_API_CLIENT:
		json_object_set_new(obj, "sub", json_string(c->client_id));
		json_object_set_new(obj, "client_id",
		    json_string(c->client_id));
		break;
	default:
		json_object_set_new(obj, "sub", json_string(c->sub));
		break;
	}

	if (c->auth_type != AUTH_TYPE_USER) {
		roles = json_array();
		scopes = json_array();
		for (i = 0; i < c->roles_count; i++)
			json_array_append_new(roles, json_string(c->roles[i]));
		for (i = 0; i < c->scopes_count; i++)
			json_array_append_new(scopes,
			    json_string(c->scopes[i]));
		json_object_set_new(obj, "roles", roles);
		json_object_set_new(obj, "scopes", scopes);
	}

	json_object_set_new(obj, "iat", json_integer(c->iat));
	json_object_set_new(obj, "exp", json_integer(c->exp));
	json_object_set_new(obj, "iss", json_string(keys->issuer));
	json_object_set_new(obj, "aud", json_string(keys->audience));
	json_object_set_new(obj, "jti", json_string(c->jti));
	if (c->sid[0] != '\0')
		json_object_set_new(obj, "sid", json_string(c->sid));

	grants = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (grants == NULL)
		return (NULL);

	out = NULL;
	if (jwt_new(&jwt) != 0) {
		free(grants);
		return (NULL);
	}

	if (jwt_add_grants_json(jwt, grants) == 0 &&
	    jwt_add_header(jwt, "kid", key->kid) == 0 &&
	    jwt_set_alg(jwt, libjwt_alg(keys->alg), key->secret,
	    (int)key->secret_len) == 0)
		out = jwt_encode_str(jwt);

	jwt_free(jwt);
	free(grants);

	return (out);
}

const char *
token_bearer(const char *hdr)
{
	if (strncasecmp(hdr, "bearer", 6) || !isspace((unsigned char)hdr[6]))
		return (NULL);

	hdr += 6;
	while (isspace((unsigned char)*hdr))
		hdr++;

	return (*hdr == '\0' ? NULL : hdr);
}

const char *
token_error_text(int rc)
{
	if (rc > 0 || rc < TOKEN_E_INTERNAL)
		return ("unknown");
	return (token_errors[-rc]);
}

const char *
token_auth_type_name(int type)
{
	switch (type) {
	case AUTH_TYPE_USER:
		return ("user");
	case AUTH_TYPE_API_CLIENT:
		return ("api_client");
	case AUTH_TYPE_SERVICE:
		return ("service");
	}

	return ("unknown");
}

int
token_auth_type_value(const char *name)
{
	if (name == NULL)
		return (0);
	if (!strcmp(name, "user"))
		return (AUTH_TYPE_USER);
	if (!strcmp(name, "api_client"))
		return (AUTH_TYPE_API_CLIENT);
	if (!strcmp(name, "service"))
		return (AUTH_TYPE_SERVICE);

	return (0);
}

int
token_uuid_valid(const char *s, char *out)
{
	size_t		i;

	if (s == NULL || strlen(s) != TOKEN_UUID_LEN)
		return (0);

	for (i = 0; i < TOKEN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!isxdigit((unsigned char)s[i])) {
			return (0);
		}
		if (out != NULL)
			out[i] = tolower((unsigned char)s[i]);
	}

	if (out != NULL)
		out[TOKEN_UUID_LEN] = '\0';

	return (1);
}

void
token_uuid_new(char *out)
{
	unsigned char	b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;

	(void)snprintf(out, TOKEN_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	    b[10], b[11], b[12], b[13], b[14], b[15]);
}

static jwt_alg_t
libjwt_alg(int alg)
{
	switch (alg) {
	case SETTINGS_ALG_RS256:
		return (JWT_ALG_RS256);
	case SETTINGS_ALG_ES256:
		return (JWT_ALG_ES256);
	}

	return (JWT_ALG_HS256);
}

/*
 * The header: alg must be the configured one, typ (if any) JWT, no crit
 * extension (RFC 7515 4.1.11: we implement none), and kid must name a
 * key of the ring, which holds keys of the configured algorithm only.
 */
static int
header_check(json_t *hdr, const struct token_keys *keys,
    const struct keyset_key **key)
{
	json_t		*kid;
	const char	*alg, *typ;

	*key = NULL;

	alg = json_string_value(json_object_get(hdr, "alg"));
	if (alg == NULL || strcmp(alg, settings_alg_name(keys->alg)))
		return (TOKEN_E_ALG);

	typ = json_string_value(json_object_get(hdr, "typ"));
	if (json_object_get(hdr, "typ") != NULL &&
	    (typ == NULL || strcasecmp(typ, "JWT")))
		return (TOKEN_E_HEADER);
	if (json_object_get(hdr, "crit") != NULL)
		return (TOKEN_E_HEADER);

	if (keys->set == NULL)
		return (TOKEN_E_KID);

	if ((kid = json_object_get(hdr, "kid")) == NULL) {
		if (keys->accept_missing_kid)
			*key = keyset_current(keys->set);
	} else if (json_is_string(kid)) {
		*key = keyset_find(keys->set, json_string_value(kid));
	}

	if (*key == NULL)
		return (TOKEN_E_KID);
	if (keys->alg == SETTINGS_ALG_HS256 ? (*key)->secret == NULL :
	    (*key)->public_pem == NULL)
		return (TOKEN_E_KID);

	return (TOKEN_OK);
}

static int
segment_valid(const char *s, size_t len)
{
	size_t		i;

	if (len == 0)
		return (0);

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return (0);
	}

	return (1);
}

/* A base64url segment decoding to at most max bytes of JSON object. */
static json_t *
segment_json(const char *s, size_t len, size_t max)
{
	unsigned char	buf[TOKEN_MAX_LEN];
	size_t		outlen;
	json_t		*obj;

	if (max > sizeof(buf) || len > 4 * max / 3 + 4)
		return (NULL);

	if (sodium_base642bin(buf, max, s, len, NULL, &outlen, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (NULL);

	obj = json_loadb((const char *)buf, outlen, JSON_REJECT_DUPLICATES,
	    NULL);
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		return (NULL);
	}

	return (obj);
}

static int
claims_from_json(json_t *p, const struct token_keys *keys, int want_type,
    time_t now, struct token_claims *out)
{
	json_t		*v;
	const char	*s;
	char		buf[TOKEN_SUB_LEN];

	s = json_string_value(json_object_get(p, "token_type"));
	if (s != NULL && !strcmp(s, "access"))
		out->token_type = TOKEN_TYPE_ACCESS;
	else if (s != NULL && !strcmp(s, "refresh"))
		out->token_type = TOKEN_TYPE_REFRESH;
	else
		return (TOKEN_E_TYPE);

	v = json_object_get(p, "exp");
	if (!json_is_integer(v))
		return (TOKEN_E_CLAIMS);
	out->exp = (time_t)json_integer_value(v);
	/* now - leeway: exp itself may be anything up to INT64_MAX. */
	if (now - keys->leeway >= out->exp)
		return (TOKEN_E_EXPIRED);

	v = json_object_get(p, "nbf");
	if (v != NULL) {
		if (!json_is_integer(v))
			return (TOKEN_E_CLAIMS);
		if (now + keys->leeway < (time_t)json_integer_value(v))
			return (TOKEN_E_NOT_YET);
	}

	v = json_object_get(p, "iat");
	if (v != NULL) {
		if (!json_is_integer(v))
			return (TOKEN_E_CLAIMS);
		out->iat = (time_t)json_integer_value(v);
	}

	s = json_string_value(json_object_get(p, "iss"));
	if (s == NULL || strcmp(s, keys->issuer))
		return (TOKEN_E_ISSUER);

	if (!audience_matches(json_object_get(p, "aud"), keys->audience))
		return (TOKEN_E_AUDIENCE);

	if (want_type != 0 && out->token_type != want_type)
		return (TOKEN_E_TYPE);

	if (!token_uuid_valid(json_string_value(json_object_get(p, "tenant")),
	    out->tenant))
		return (TOKEN_E_CLAIMS);

	/* Any non-empty string (RFC 7519 4.1.7), compared as it is. */
	if (!copy_string(p, "jti", out->jti, sizeof(out->jti), 1))
		return (TOKEN_E_CLAIMS);

	if (json_object_get(p, "sid") != NULL &&
	    !token_uuid_valid(json_string_value(json_object_get(p, "sid")),
	    out->sid))
		return (TOKEN_E_CLAIMS);

	if (!copy_string(p, "tenant_slug", out->tenant_slug,
	    sizeof(out->tenant_slug), 0))
		return (TOKEN_E_CLAIMS);
	if (!copy_string(p, "sub", out->sub, sizeof(out->sub), 1))
		return (TOKEN_E_CLAIMS);

	out->auth_type = token_auth_type_value(
	    json_string_value(json_object_get(p, "auth_type")));

	switch (out->auth_type) {
	case AUTH_TYPE_USER:
		v = json_object_get(p, "user_id");
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return (TOKEN_E_CLAIMS);
		out->user_id = json_integer_value(v);
		(void)snprintf(buf, sizeof(buf), "%" PRId64, out->user_id);
		if (strcmp(buf, out->sub))
			return (TOKEN_E_CLAIMS);
		break;
	case AUTH_TYPE_API_CLIENT:
		if (!copy_string(p, "client_id", out->client_id,
		    sizeof(out->client_id), 1))
			return (TOKEN_E_CLAIMS);
		if (strcmp(out->client_id, out->sub))
			return (TOKEN_E_CLAIMS);
		break;
	case AUTH_TYPE_SERVICE:
		break;
	default:
		return (TOKEN_E_CLAIMS);
	}

	if (!copy_list(p, "roles", out->roles, &out->roles_count) ||
	    !copy_list(p, "scopes", out->scopes, &out->scopes_count))
		return (TOKEN_E_CLAIMS);

	return (TOKEN_OK);
}

static int
copy_string(json_t *p, const char *name, char *out, size_t outlen,
    int required)
{
	json_t		*v;
	const char	*s;

	out[0] = '\0';
	if ((v = json_object_get(p, name)) == NULL)
		return (!required);
	if ((s = json_string_value(v)) == NULL)
		return (0);
	if (*s == '\0' && required)
		return (0);
	if (strlen(s) >= outlen)
		return (0);

	(void)strcpy(out, s);
	return (1);
}

static int
copy_list(json_t *p, const char *name, char (*out)[TOKEN_ITEM_LEN],
    size_t *count)
{
	json_t		*arr, *v;
	size_t		i;
	const char	*s;

	*count = 0;
	if ((arr = json_object_get(p, name)) == NULL)
		return (1);
	if (!json_is_array(arr) || json_array_size(arr) > TOKEN_LIST_MAX)
		return (0);

	json_array_foreach(arr, i, v) {
		if ((s = json_string_value(v)) == NULL ||
		    strlen(s) >= TOKEN_ITEM_LEN)
			return (0);
		(void)strcpy(out[i], s);
		(*count)++;
	}

	return (1);
}

static int
audience_matches(json_t *aud, const char *want)
{
	json_t		*v;
	size_t		i;
	const char	*s;

	if ((s = json_string_value(aud)) != NULL)
		return (!strcmp(s, want));

	if (!json_is_array(aud))
		return (0);

	json_array_foreach(aud, i, v) {
		if ((s = json_string_value(v)) != NULL && !strcmp(s, want))
			return (1);
	}

	return (0);
}
