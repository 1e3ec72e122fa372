/*
 * JWT access and refresh tokens: minting and verification on libjwt, with
 * the algorithm pinned to the configured one. No Kore dependency.
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
#define TOKEN_E_INTERNAL	(-10)

struct token_keys {
	int			alg;		/* SETTINGS_ALG_* */
	/* HS256 secret or RS256 private PEM */
	const unsigned char	*sign_key;
	size_t			sign_len;
	/* HS256 secret or RS256 public PEM */
	const unsigned char	*verify_key;
	size_t			verify_len;
	const char		*issuer;
	const char		*audience;
};

struct token_claims {
	int		token_type;
	int		auth_type;
	char		tenant[TOKEN_UUID_LEN + 1];
	char		tenant_slug[TOKEN_SLUG_LEN];
	char		sub[TOKEN_SUB_LEN];
	int64_t		user_id;
	char		client_id[TOKEN_SUB_LEN];
	char		jti[TOKEN_UUID_LEN + 1];
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

/* The keys and claims checks the settings configure. */
void	token_keys_init(struct token_keys *, const struct settings *);

/*
 * Verify token: algorithm (before any key is used), signature, exp, iss,
 * aud, token_type == want_type (0: either) and the claims' shapes. Fills
 * out on success. Returns TOKEN_OK or a TOKEN_E_* reason.
 */
int	token_verify(const struct token_keys *, const char *, int, time_t,
	    struct token_claims *);

/* Mint a signed token from claims; the caller frees the result. */
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
