/*
 * Password and API client secret handling on libsodium.
 *
 * argon2id at m=7 MiB, t=5: one of OWASP's equivalent configurations
 * (with 19 MiB/t=2, 12 MiB/t=3, ...), the one that keeps a worker small
 * while its two task threads hash at once; a login stays near 25 ms. The
 * parameters live in each stored hash, so changing them later only
 * affects new hashes.
 */

#include <string.h>

#include <sodium.h>

#include "secret.h"

#define PWHASH_OPSLIMIT		5
#define PWHASH_MEMLIMIT		(7 * 1024 * 1024)

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static char	dummy_hash[SECRET_HASH_LEN];

int
secret_init(void)
{
	char		pw[33];

	if (sodium_init() < 0)
		return (-1);

	if (dummy_hash[0] != '\0')
		return (0);

	/* Nobody knows this password: it is thrown away at once. */
	secret_password_new(pw, sizeof(pw));
	if (secret_password_hash(pw, dummy_hash) == -1)
		return (-1);
	sodium_memzero(pw, sizeof(pw));

	return (0);
}

int
secret_password_hash(const char *password, char *out)
{
	if (crypto_pwhash_str(out, password, strlen(password),
	    PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0)
		return (-1);

	return (0);
}

int
secret_password_verify(const char *hash, const char *password)
{
	if (hash == NULL || password == NULL)
		return (0);

	return (crypto_pwhash_str_verify(hash, password,
	    strlen(password)) == 0);
}

const char *
secret_dummy_hash(void)
{
	return (dummy_hash);
}

void
secret_client_secret_new(char *out)
{
	unsigned char	b[32];

	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, SECRET_CLIENT_SECRET_LEN, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
}

void
secret_client_id_new(char *out)
{
	size_t		i;

	memcpy(out, "mtc_", 4);
	for (i = 4; i < SECRET_CLIENT_ID_LEN - 1; i++)
		out[i] = b32[randombytes_uniform(sizeof(b32) - 1)];
	out[SECRET_CLIENT_ID_LEN - 1] = '\0';
}

void
secret_password_new(char *out, size_t len)
{
	size_t		i;

	for (i = 0; i + 1 < len; i++)
		out[i] = b32[randombytes_uniform(sizeof(b32) - 1)];
	out[len - 1] = '\0';
}

void
secret_digest(const char *secret, char *hex)
{
	unsigned char	d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(hex, SECRET_DIGEST_HEX, d, sizeof(d));
}

int
secret_digest_matches(const char *stored_hex, const char *secret)
{
	char		hex[SECRET_DIGEST_HEX];

	if (stored_hex == NULL || strlen(stored_hex) != SECRET_DIGEST_HEX - 1)
		stored_hex = "";

	secret_digest(secret, hex);
	if (strlen(stored_hex) != SECRET_DIGEST_HEX - 1)
		return (0);

	return (sodium_memcmp(hex, stored_hex, SECRET_DIGEST_HEX - 1) == 0);
}
