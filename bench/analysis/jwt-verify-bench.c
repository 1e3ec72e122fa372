/*
 * What verifying one access token costs in the auth hook, against what the
 * HMAC itself costs: token_verify() (src/core/token.c: libjwt's decode
 * plus our own header and claims parsing) and HMAC-SHA256 three ways.
 *
 *   cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc -o .build/jwt-verify-bench \
 *       bench/analysis/jwt-verify-bench.c src/core/settings.c \
 *       src/core/token.c src/core/secret.c src/core/log.c \
 *       -ljwt -ljansson -lsodium -lssl -lcrypto
 *   .build/jwt-verify-bench .build/bench/env      (any env file, HS256)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "core/settings.h"
#include "core/token.h"

#define N	50000

static double
now(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec + t.tv_nsec / 1e9);
}

int
main(int argc, char **argv)
{
	struct settings		s;
	struct token_keys	k;
	struct token_claims	c, out;
	crypto_auth_hmacsha256_state	st0, st;
	EVP_MAC			*mac;
	EVP_MAC_CTX		*base, *x;
	OSSL_PARAM		p[2];
	unsigned char		md[64];
	unsigned int		mdlen;
	size_t			ol, tl;
	char			err[256], *tok;
	double			t0;
	int			i;

	if (argc != 2 || settings_load(&s, argv[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "usage: %s ENVFILE (%s)\n", argv[0],
		    argc == 2 ? err : "no env file");
		return (1);
	}
	if (sodium_init() == -1)
		return (1);
	token_keys_init(&k, &s);

	memset(&c, 0, sizeof(c));
	c.token_type = TOKEN_TYPE_ACCESS;
	c.auth_type = AUTH_TYPE_USER;
	token_uuid_new(c.tenant);
	token_uuid_new(c.sid);
	token_uuid_new(c.jti);
	c.user_id = 42;
	(void)snprintf(c.sub, sizeof(c.sub), "42");
	(void)snprintf(c.tenant_slug, sizeof(c.tenant_slug), "tenant-00042");
	c.iat = time(NULL);
	c.exp = c.iat + 3600;
	if ((tok = token_mint(&k, &c)) == NULL ||
	    token_verify(&k, tok, TOKEN_TYPE_ACCESS, time(NULL), &out) !=
	    TOKEN_OK) {
		fprintf(stderr, "cannot mint and verify a token\n");
		return (1);
	}
	tl = (size_t)(strrchr(tok, '.') - tok);

	t0 = now();
	for (i = 0; i < N; i++)
		(void)token_verify(&k, tok, TOKEN_TYPE_ACCESS, time(NULL), &out);
	printf("token_verify (libjwt + jansson):        %6.1f us\n",
	    (now() - t0) / N * 1e6);

	t0 = now();
	for (i = 0; i < N; i++)
		(void)HMAC(EVP_sha256(), k.verify_key, (int)k.verify_len,
		    (unsigned char *)tok, tl, md, &mdlen);
	printf("HMAC() one-shot (OpenSSL 3):            %6.1f us\n",
	    (now() - t0) / N * 1e6);

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	base = EVP_MAC_CTX_new(mac);
	p[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	(void)EVP_MAC_init(base, k.verify_key, k.verify_len, p);
	t0 = now();
	for (i = 0; i < N; i++) {
		x = EVP_MAC_CTX_dup(base);
		(void)EVP_MAC_update(x, (unsigned char *)tok, tl);
		(void)EVP_MAC_final(x, md, &ol, sizeof(md));
		EVP_MAC_CTX_free(x);
	}
	printf("EVP_MAC, keyed context copied:          %6.1f us\n",
	    (now() - t0) / N * 1e6);

	crypto_auth_hmacsha256_init(&st0, k.verify_key, k.verify_len);
	t0 = now();
	for (i = 0; i < N; i++) {
		st = st0;
		crypto_auth_hmacsha256_update(&st, (unsigned char *)tok, tl);
		crypto_auth_hmacsha256_final(&st, md);
	}
	printf("libsodium HMAC-SHA256, keyed state copied: %3.1f us\n",
	    (now() - t0) / N * 1e6);

	EVP_MAC_CTX_free(base);
	EVP_MAC_free(mac);
	free(tok);
	return (0);
}
