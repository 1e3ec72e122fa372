/*
 * JWT access and refresh tokens: minting and verification on libjwt, with
 * the algorithm pinned to the configured one and the key chosen by kid
 * from the key ring (src/core/keyset.h). No Kore dependency.
 */

#ifndef MTAPI_TOKEN_H
#define MTAPI_TOKEN_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#define TOKEN_TYPE_ACCESS	1
#define TOKEN_TYPE_REFRESH	2

#define AUTH_TYPE_USER		1
#define AUTH_TYPE_API_CLIENT	2
#define AUTH_TYPE_SERVICE	3

#define TOKEN_UUID_LEN		36
/* Any jti up to this many bytes (RFC 7519: a string; simplejwt: 32 hex). */
#define TOKEN_JTI_MAX		255
#define TOKEN_MAX_LEN		4096
#define TOKEN_LIST_MAX		16
#define TOKEN_ITEM_LEN		48
#define TOKEN_SLUG_LEN		64
#define TOKEN_SUB_LEN		128

/* Why a token was refused (negative): for logs only, never for the client. */
#define TOKEN_OK		0
#define TOKEN_E_FORMAT		(-1)
#define TOKEN_E_HEADER		(-2)
#define TOKEN_E_ALG		(-3)
#define TOKEN_E_SIGNATURE	(-4)
#define TOKEN_E_EXPIRED		(-5)
#define TOKEN_E_ISSUER		(-6)
#define TOKEN_E_AUDIENCE	(-7)
#define TOKEN_E_TYPE		(-8)
#define TOKEN_E_CLAIMS		(-9)
#define TOKEN_E_NOT_YET		(-10)
#define TOKEN_E_KID		(-11)
#define TOKEN_E_INTERNAL	(-12)

struct keyset;

struct token_keys {
	int			alg;		/* SETTINGS_ALG_* */
	const struct keyset	*set;		/* of alg only */
	const char		*issuer;
	const char		*audience;
	long			leeway;		/* seconds, for exp and nbf */
	/* A token without kid verifies with the current key (transition). */
	int			accept_missing_kid;
};

struct token_claims {
	int		token_type;
	int		auth_type;
	char		tenant[TOKEN_UUID_LEN + 1];
	char		tenant_slug[TOKEN_SLUG_LEN];
	char		sub[TOKEN_SUB_LEN];
	int64_t		user_id;
	char		client_id[TOKEN_SUB_LEN];
	char		jti[TOKEN_JTI_MAX + 1];
	/* login session, or "" */
	char		sid[TOKEN_UUID_LEN + 1];
	time_t		iat;
	time_t		exp;
	char		roles[TOKEN_LIST_MAX][TOKEN_ITEM_LEN];
	size_t		roles_count;
	char		scopes[TOKEN_LIST_MAX][TOKEN_ITEM_LEN];
	size_t		scopes_count;
};

struct settings;

/* The claims checks the settings configure, over the key ring set. */
void	token_keys_init(struct token_keys *, const struct settings *,
	    const struct keyset *);

/*
 * Verify token: algorithm (before any key is used), the key its kid
 * names, signature, exp and nbf (with the leeway), iss, aud, token_type
 * == want_type (0: either) and the claims' shapes. Fills out on success.
 * Returns TOKEN_OK or a TOKEN_E_* reason.
 */
int	token_verify(const struct token_keys *, const char *, int, time_t,
	    struct token_claims *);

/*
 * Mint a token from claims, signed with the ring's current key and
 * carrying its kid; the caller frees the result. NULL without a current
 * key.
 */
char	*token_mint(const struct token_keys *, const struct token_claims *);

/*
 * The token of an Authorization header, "Bearer <token>" (the scheme in
 * any case), or NULL for anything else.
 */
const char	*token_bearer(const char *);

const char	*token_error_text(int);
const char	*token_auth_type_name(int);
int		token_auth_type_value(const char *);

/* Canonical lower-case UUID text (8-4-4-4-12)? Copies it to out. */
int	token_uuid_valid(const char *, char *);

/* A fresh random (version 4) UUID as text. */
void	token_uuid_new(char *);

#endif
