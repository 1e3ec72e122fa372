/*
 * Unit tests for src/core/secret.c: argon2id passwords and API client
 * secrets.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "core/secret.h"

#define B32		"abcdefghijklmnopqrstuvwxyz234567"
#define B64URL		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789-_"
#define SHA256_ABC	"ba7816bf8f01cfea414140de5dae2223" \
			"b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY	"e3b0c44298fc1c149afbf4c8996fb924" \
			"27ae41e4649b934ca495991b7852b855"

static void	init(void);
static int	only_chars(const char *, const char *);

static void
init(void)
{
	cr_assert_eq(secret_init(), 0);
}

static int
only_chars(const char *s, const char *set)
{
	return (s[strspn(s, set)] == '\0');
}

TestSuite(password, .init = init);
TestSuite(digest, .init = init);
TestSuite(newsecret, .init = init);

Test(password, round_trip)
{
	char	hash[SECRET_HASH_LEN];

	cr_assert_eq(secret_password_hash("correct horse battery staple",
	    hash), 0);
	cr_expect(secret_password_verify(hash,
	    "correct horse battery staple"));
	cr_expect(!secret_password_verify(hash,
	    "correct horse battery stapl"));
	cr_expect(!secret_password_verify(hash,
	    "correct horse battery staple "));
	cr_expect(!secret_password_verify(hash,
	    "Correct horse battery staple"));
	cr_expect(!secret_password_verify(hash, ""));
}

Test(password, argon2id_parameters)
{
	char	hash[SECRET_HASH_LEN];

	cr_assert_eq(secret_password_hash("plain-text-password", hash), 0);
	cr_expect_eq(strncmp(hash, "$argon2id$v=19$", 15), 0, "%s", hash);
	/* OWASP's m=7 MiB, t=5 (equivalent to its 19 MiB, t=2 baseline). */
	cr_expect(strstr(hash, "$m=7168,t=5,") != NULL, "%s", hash);
	/* Long enough that base64 salt or digest cannot hold it by chance. */
	cr_expect(strstr(hash, "plain-text-password") == NULL, "%s", hash);
}

Test(password, salted)
{
	char	a[SECRET_HASH_LEN], b[SECRET_HASH_LEN];

	cr_assert_eq(secret_password_hash("same password", a), 0);
	cr_assert_eq(secret_password_hash("same password", b), 0);
	cr_expect_str_neq(a, b);
	cr_expect(secret_password_verify(a, "same password"));
	cr_expect(secret_password_verify(b, "same password"));
}

Test(password, empty_and_unicode)
{
	char	hash[SECRET_HASH_LEN];

	cr_assert_eq(secret_password_hash("", hash), 0);
	cr_expect(secret_password_verify(hash, ""));
	cr_expect(!secret_password_verify(hash, " "));

	cr_assert_eq(secret_password_hash("p\xc3\xa4ss\xe2\x82\xac", hash), 0);
	cr_expect(secret_password_verify(hash, "p\xc3\xa4ss\xe2\x82\xac"));
	cr_expect(!secret_password_verify(hash, "pass\xe2\x82\xac"));
}

Test(password, bad_hashes)
{
	char	hash[SECRET_HASH_LEN];

	cr_expect(!secret_password_verify(NULL, "pw"));
	cr_expect(!secret_password_verify("", "pw"));
	cr_expect(!secret_password_verify("", ""));
	cr_expect(!secret_password_verify("pw", "pw"));
	cr_expect(!secret_password_verify("$argon2id$garbage", "pw"));

	cr_assert_eq(secret_password_hash("pw", hash), 0);
	cr_expect(!secret_password_verify(hash, NULL));
	/* A hash cut short is no hash. */
	hash[strlen(hash) - 4] = '\0';
	cr_expect(!secret_password_verify(hash, "pw"));
}

Test(password, dummy_hash_never_verifies)
{
	static const char *tries[] = { "", "password", "admin", "pw", " ",
	    "insecure-development-key-do-not-use-in-production" };
	const char	*d;
	size_t		 i;

	d = secret_dummy_hash();
	cr_assert_not_null(d);
	cr_expect_eq(strncmp(d, "$argon2id$", 10), 0, "%s", d);
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		cr_expect(!secret_password_verify(d, tries[i]), "'%s'",
		    tries[i]);

	/* It stays the same hash: secret_init() runs once. */
	cr_assert_eq(secret_init(), 0);
	cr_expect_eq(secret_dummy_hash(), d);
}

/* Before secret_init() the dummy hash is empty, and still verifies nothing. */
Test(dummy, before_init)
{
	cr_assert(sodium_init() >= 0);
	cr_expect_not_null(secret_dummy_hash());
	cr_expect(!secret_password_verify(secret_dummy_hash(), ""));
	cr_expect(!secret_password_verify(secret_dummy_hash(), "x"));
}

Test(digest, known_values)
{
	char	hex[SECRET_DIGEST_HEX];

	secret_digest("abc", hex);
	cr_expect_str_eq(hex, SHA256_ABC);
	secret_digest("", hex);
	cr_expect_str_eq(hex, SHA256_EMPTY);
	cr_expect_eq(strlen(hex), SECRET_DIGEST_HEX - 1);
}

Test(digest, matches)
{
	char	secret[SECRET_CLIENT_SECRET_LEN], hex[SECRET_DIGEST_HEX];

	secret_client_secret_new(secret);
	secret_digest(secret, hex);
	cr_expect(secret_digest_matches(hex, secret));
	cr_expect(secret_digest_matches(SHA256_ABC, "abc"));
	cr_expect(secret_digest_matches(SHA256_EMPTY, ""));
}

Test(digest, wrong_secret)
{
	char	secret[SECRET_CLIENT_SECRET_LEN], hex[SECRET_DIGEST_HEX];
	char	other[SECRET_CLIENT_SECRET_LEN + 1];

	secret_client_secret_new(secret);
	secret_digest(secret, hex);
	cr_expect(!secret_digest_matches(hex, ""));
	cr_expect(!secret_digest_matches(hex, "abc"));
	(void)snprintf(other, sizeof(other), "%sx", secret);
	cr_expect(!secret_digest_matches(hex, other));
	other[strlen(secret) - 1] = '\0';
	cr_expect(!secret_digest_matches(hex, other));
	/* The digest itself is not the secret. */
	cr_expect(!secret_digest_matches(hex, hex));
}

Test(digest, malformed_stored)
{
	char	hex[SECRET_DIGEST_HEX + 8];

	cr_expect(!secret_digest_matches(NULL, "abc"));
	cr_expect(!secret_digest_matches("", "abc"));
	cr_expect(!secret_digest_matches("", ""));
	cr_expect(!secret_digest_matches("abc", "abc"));

	/* One character short, one too many. */
	(void)strcpy(hex, SHA256_ABC);
	hex[strlen(hex) - 1] = '\0';
	cr_expect(!secret_digest_matches(hex, "abc"));
	(void)snprintf(hex, sizeof(hex), "%s0", SHA256_ABC);
	cr_expect(!secret_digest_matches(hex, "abc"));
	/* Right length, one character changed. */
	(void)strcpy(hex, SHA256_ABC);
	hex[0] = 'c';
	cr_expect(!secret_digest_matches(hex, "abc"));
	(void)strcpy(hex, SHA256_ABC);
	hex[63] = 'e';
	cr_expect(!secret_digest_matches(hex, "abc"));
}

Test(newsecret, client_secret)
{
	char		s[100][SECRET_CLIENT_SECRET_LEN];
	unsigned char	bin[64];
	size_t		i, j, binlen;

	for (i = 0; i < 100; i++) {
		memset(s[i], 0, sizeof(s[i]));
		secret_client_secret_new(s[i]);
		cr_assert_eq(strlen(s[i]), SECRET_CLIENT_SECRET_LEN - 1, "%s",
		    s[i]);
		cr_expect(only_chars(s[i], B64URL), "%s", s[i]);
		cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s[i],
		    strlen(s[i]), NULL, &binlen, NULL,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
		cr_expect_eq(binlen, 32);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(s[i], s[j]);
	}
}

Test(newsecret, client_id)
{
	char	id[200][SECRET_CLIENT_ID_LEN], seen[256];
	size_t	i, j;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 200; i++) {
		memset(id[i], 'Q', sizeof(id[i]));
		secret_client_id_new(id[i]);
		cr_assert_eq(strlen(id[i]), SECRET_CLIENT_ID_LEN - 1, "%s",
		    id[i]);
		cr_expect_eq(strncmp(id[i], "mtc_", 4), 0, "%s", id[i]);
		cr_expect(only_chars(id[i] + 4, B32), "%s", id[i]);
		for (j = 4; id[i][j] != '\0'; j++)
			seen[(unsigned char)id[i][j]] = 1;
		for (j = 0; j < i; j++)
			cr_assert_str_neq(id[i], id[j]);
	}
	/* 4600 draws: every one of the 32 characters shows up. */
	for (j = 0; j < strlen(B32); j++)
		cr_expect(seen[(unsigned char)B32[j]], "'%c' never drawn",
		    B32[j]);
}

Test(newsecret, password)
{
	char	a[33], b[33], one[1];

	secret_password_new(a, sizeof(a));
	secret_password_new(b, sizeof(b));
	cr_expect_eq(strlen(a), 32);
	cr_expect(only_chars(a, B32), "%s", a);
	cr_expect_str_neq(a, b);

	one[0] = 'x';
	secret_password_new(one, sizeof(one));
	cr_expect_eq(one[0], '\0');
}
