/*
 * Passwords (argon2id through libsodium) and API client secrets (256-bit
 * random values stored only as a SHA-256 hash). No Kore dependency.
 */

#ifndef MTAPI_SECRET_H
#define MTAPI_SECRET_H

#include <stddef.h>

#include <sodium.h>

#define SECRET_HASH_LEN		(crypto_pwhash_STRBYTES)
#define SECRET_DIGEST_HEX	(crypto_hash_sha256_BYTES * 2 + 1)
#define SECRET_CLIENT_SECRET_LEN	44	/* 32 bytes, base64url, NUL */
#define SECRET_CLIENT_ID_LEN	28	/* "mtc_" + 23 chars, NUL */
#define SECRET_PASSWORD_MAX	1024

int	secret_init(void);

/* argon2id hash of password into out (SECRET_HASH_LEN bytes). */
int	secret_password_hash(const char *, char *);

/* 1 if password matches the argon2id hash, else 0. Constant-time. */
int	secret_password_verify(const char *, const char *);

/* A hash no password matches, for equal-time failure on unknown users. */
const char	*secret_dummy_hash(void);

void	secret_client_secret_new(char *);
void	secret_client_id_new(char *);
void	secret_password_new(char *, size_t);

/* Lower-case hex SHA-256 of a client secret. */
void	secret_digest(const char *, char *);

/* 1 if secret's digest equals the stored hex digest. Constant-time. */
int	secret_digest_matches(const char *, const char *);

#endif
