/*
 * Unit tests for src/core/token.c.
 *
 * The rejection table builds every token by hand (base64url header and
 * payload, HMAC, RSA or ECDSA signature) from one valid token, changing
 * exactly one thing per row, so that each row proves one check. The
 * servers' key rings (src/core/keyset.c) hold one key each, named KID_*.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "core/keyset.h"
#include "core/settings.h"
#include "core/token.h"

/* 2026-01-01 00:00:00 UTC */
#define NOW		((time_t)1767225600)
#define ISSUER		"mtapi-unit-iss"
#define AUDIENCE	"mtapi-unit-aud"
#define HS_KEY		"unit-test-hs256-secret-0123456789abcdef0123"
#define HS_OTHER_KEY	"another-hs256-secret-that-is-not-ours-0000"
#define TENANT		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0b"
#define OTHER_TENANT	"99999999-9a4d-4e7f-8b2a-1c3d5e7f9a0b"
#define JTI		"a1b2c3d4-e5f6-4789-8abc-def012345678"
#define SID		"0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
#define CLIENT_ID	"mtc_abcdefghijklmnopqrstuvw"
#define KID_HS		"unit-hs-1"
#define KID_RS		"unit-rs-1"
#define KID_ES		"unit-es-1"
#define HEX32		"0123456789abcdef0123456789abcdef"

/* How the test signs a token. */
#define S_HS256		0	/* HMAC-SHA256 with the server's secret */
#define S_HS256_OTHER	1	/* HMAC-SHA256, another secret */
#define S_HS384		2
#define S_HS512		3
#define S_RS256		4	/* RSA-SHA256, the test key pair */
#define S_HS256_PUBKEY	5	/* HMAC-SHA256 keyed with RSA public PEM */
#define S_NONE		6	/* empty signature */
#define S_JUNK		7	/* base64url, but no signature */
#define S_ES256		8	/* ECDSA P-256 SHA-256, the test pair */
#define S_HS256_ECPUB	9	/* HMAC-SHA256 keyed with EC public PEM */
#define S_RS256_OTHER	10	/* RSA-SHA256, someone else's key pair */

/* What is done to the signed token afterwards. */
#define M_NONE		0
#define M_TAMPER_PAYLOAD 1	/* payload with another tenant */
#define M_TAMPER_HEADER	2	/* header with a "cty" added */
#define M_FLIP_SIG	3	/* one signature character changed */
#define M_DROP_SIG	4	/* "header.payload" */
#define M_CUT_SIG	5	/* signature shortened */
#define M_CUT_HALF	6	/* the first half of the token */
#define M_EXTRA_SEG	7	/* a fourth segment */
#define M_EMPTY_HDR	8
#define M_EMPTY_PAYLOAD	9
#define M_EMPTY_SIG	10
#define M_SIG_PLUS	11	/* '+' (not base64url) in signature */
#define M_HDR_SLASH	12	/* '/' in header */
#define M_SIG_PAD	13	/* '=' padding after signature */
#define M_TRAILING_NL	14
#define M_EMPTY		15	/* "" */
#define M_DOTS		16	/* ".." */
#define M_SPACE_PAYLOAD	17	/* a space inside the payload */

#define SRV_HS		0
#define SRV_RS		1
#define SRV_ES		2

#define WANT_ACCESS	0
#define WANT_REFRESH	1
#define WANT_EITHER	2

#define ANY_ERROR	(-1)	/* refused, whatever the reason */

struct vcase {
	const char	*name;
	int		 server;	/* SRV_* */
	int		 auth;		/* AUTH_TYPE_*; 0: user */
	const char	*token_type;	/* NULL: "access" */
	const char	*hdr;		/* header JSON; NULL: alg of sign */
	const char	*del;		/* claim removed */
	const char	*set;		/* claim set ... */
	const char	*val;		/* ... to this JSON text */
	const char	*dup;		/* members put first in the payload */
	const char	*raw;		/* the whole payload text */
	int		 sign;		/* S_* */
	int		 mangle;	/* M_* */
	int		 want;		/* WANT_* */
	time_t		 now;		/* 0: NOW */
	long		 leeway;	/* JWT_LEEWAY_SECONDS */
	int		 no_kid_ok;	/* JWT_ACCEPT_MISSING_KID */
	int		 hdr_jwk;	/* header carries the signer's JWK */
	int		 other_ring;	/* server's ring: the signer's key */
	int		 expect;	/* TOKEN_OK or TOKEN_E_* */
};

static const struct vcase cases[] = {
	/* Baselines: the unmodified tokens every other row derives from. */
	{ .name = "baseline user token", .expect = TOKEN_OK },
	{ .name = "baseline api_client token", .auth = AUTH_TYPE_API_CLIENT,
	    .expect = TOKEN_OK },
	{ .name = "baseline service token", .auth = AUTH_TYPE_SERVICE,
	    .expect = TOKEN_OK },
	{ .name = "baseline RS256 token", .server = SRV_RS, .sign = S_RS256,
	    .expect = TOKEN_OK },
	{ .name = "baseline ES256 token", .server = SRV_ES, .sign = S_ES256,
	    .expect = TOKEN_OK },
	{ .name = "baseline header without typ",
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"" KID_HS "\"}",
	    .expect = TOKEN_OK },
	{ .name = "one second before exp", .now = NOW + 299,
	    .expect = TOKEN_OK },

	/* token_type */
	{ .name = "token_type missing", .del = "token_type",
	    .expect = TOKEN_E_TYPE },
	{ .name = "token_type unknown", .set = "token_type",
	    .val = "\"id\"", .expect = TOKEN_E_TYPE },
	{ .name = "token_type not a string", .set = "token_type",
	    .val = "1", .expect = TOKEN_E_TYPE },
	{ .name = "refresh token where access wanted",
	    .token_type = "refresh", .expect = TOKEN_E_TYPE },
	{ .name = "access token where refresh wanted",
	    .want = WANT_REFRESH, .expect = TOKEN_E_TYPE },
	{ .name = "refresh token where refresh wanted",
	    .token_type = "refresh", .want = WANT_REFRESH,
	    .expect = TOKEN_OK },
	{ .name = "want_type 0 accepts refresh", .token_type = "refresh",
	    .want = WANT_EITHER, .expect = TOKEN_OK },
	{ .name = "want_type 0 accepts access", .want = WANT_EITHER,
	    .expect = TOKEN_OK },

	/* exp, iat */
	{ .name = "exp missing", .del = "exp", .expect = TOKEN_E_CLAIMS },
	{ .name = "exp a string", .set = "exp", .val = "\"1767225900\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "exp a real", .set = "exp", .val = "1767225900.5",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "exp null", .set = "exp", .val = "null",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "expired: now == exp", .set = "exp", .val = "1767225600",
	    .expect = TOKEN_E_EXPIRED },
	{ .name = "expired: exp long past", .set = "exp", .val = "1000",
	    .expect = TOKEN_E_EXPIRED },
	{ .name = "expired: now after exp", .now = NOW + 301,
	    .expect = TOKEN_E_EXPIRED },
	{ .name = "iat a string", .set = "iat", .val = "\"1767225590\"",
	    .expect = TOKEN_E_CLAIMS },

	/* Clock leeway (JWT_LEEWAY_SECONDS) for exp and nbf. */
	{ .name = "expired within the leeway", .now = NOW + 359,
	    .leeway = 60, .expect = TOKEN_OK },
	{ .name = "expired: at exp + leeway", .now = NOW + 360,
	    .leeway = 60, .expect = TOKEN_E_EXPIRED },
	{ .name = "exp at the start of time, leeway 300",
	    .set = "exp", .val = "-9223372036854775807", .leeway = 300,
	    .expect = TOKEN_E_EXPIRED },
	{ .name = "exp at the end of time, leeway 300 (no overflow)",
	    .set = "exp", .val = "9223372036854775807", .leeway = 300,
	    .expect = TOKEN_OK },

	/* nbf */
	{ .name = "nbf in the past", .set = "nbf", .val = "1767225000",
	    .expect = TOKEN_OK },
	{ .name = "nbf now", .set = "nbf", .val = "1767225600",
	    .expect = TOKEN_OK },
	{ .name = "nbf one second ahead", .set = "nbf", .val = "1767225601",
	    .expect = TOKEN_E_NOT_YET },
	{ .name = "nbf ahead, within the leeway", .set = "nbf",
	    .val = "1767225660", .leeway = 60, .expect = TOKEN_OK },
	{ .name = "nbf ahead, past the leeway", .set = "nbf",
	    .val = "1767225661", .leeway = 60, .expect = TOKEN_E_NOT_YET },
	{ .name = "nbf a string", .set = "nbf", .val = "\"1767225000\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "nbf a real", .set = "nbf", .val = "1767225000.5",
	    .expect = TOKEN_E_CLAIMS },

	/* iss */
	{ .name = "iss missing", .del = "iss", .expect = TOKEN_E_ISSUER },
	{ .name = "iss mismatch", .set = "iss", .val = "\"someone-else\"",
	    .expect = TOKEN_E_ISSUER },
	{ .name = "iss prefix of ours", .set = "iss", .val = "\"mtapi-unit\"",
	    .expect = TOKEN_E_ISSUER },
	{ .name = "iss not a string", .set = "iss",
	    .val = "[\"" ISSUER "\"]", .expect = TOKEN_E_ISSUER },

	/* aud */
	{ .name = "aud missing", .del = "aud", .expect = TOKEN_E_AUDIENCE },
	{ .name = "aud mismatch", .set = "aud", .val = "\"other-aud\"",
	    .expect = TOKEN_E_AUDIENCE },
	{ .name = "aud array without ours", .set = "aud",
	    .val = "[\"a\",\"b\"]", .expect = TOKEN_E_AUDIENCE },
	{ .name = "aud empty array", .set = "aud", .val = "[]",
	    .expect = TOKEN_E_AUDIENCE },
	{ .name = "aud array with ours", .set = "aud",
	    .val = "[\"other\",\"" AUDIENCE "\"]", .expect = TOKEN_OK },
	{ .name = "aud a number", .set = "aud", .val = "7",
	    .expect = TOKEN_E_AUDIENCE },

	/* tenant */
	{ .name = "tenant missing", .del = "tenant",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant not a UUID", .set = "tenant", .val = "\"acme\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant UUID without dashes", .set = "tenant",
	    .val = "\"3f2b8c1e9a4d4e7f8b2a1c3d5e7f9a0b\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant UUID in braces", .set = "tenant",
	    .val = "\"{" TENANT "}\"", .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant UUID with a non-hex digit", .set = "tenant",
	    .val = "\"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0g\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant a number", .set = "tenant", .val = "12",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "tenant_slug not a string", .set = "tenant_slug",
	    .val = "5", .expect = TOKEN_E_CLAIMS },

	/* jti, sid */
	{ .name = "jti missing", .del = "jti", .expect = TOKEN_E_CLAIMS },
	/* Any non-empty string of at most 255 bytes (RFC 7519, issue 12). */
	{ .name = "jti not a UUID", .set = "jti", .val = "\"abc\"",
	    .expect = TOKEN_OK },
	{ .name = "jti of 32 hex digits (simplejwt)", .set = "jti",
	    .val = "\"" HEX32 "\"", .expect = TOKEN_OK },
	{ .name = "jti of 255 bytes", .set = "jti", .val = "\"" HEX32 HEX32
	    HEX32 HEX32 HEX32 HEX32 HEX32 "0123456789abcdef0123456789abcd\"",
	    .expect = TOKEN_OK },
	{ .name = "jti of 256 bytes", .set = "jti", .val = "\"" HEX32 HEX32
	    HEX32 HEX32 HEX32 HEX32 HEX32 HEX32 "\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "jti empty", .set = "jti", .val = "\"\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "jti a number", .set = "jti", .val = "7",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "jti null", .set = "jti", .val = "null",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "sid not a UUID", .set = "sid", .val = "\"abc\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "sid absent is fine", .del = "sid", .expect = TOKEN_OK },

	/* sub */
	{ .name = "sub missing", .del = "sub", .expect = TOKEN_E_CLAIMS },
	{ .name = "sub empty", .set = "sub", .val = "\"\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "sub a number", .set = "sub", .val = "42",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "service sub too long", .auth = AUTH_TYPE_SERVICE,
	    .set = "sub", .val = "\"ssssssssssssssssssssssssssssssss"
	    "ssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
	    "ssssssssssssssssssssssssssssssssssssssss\"",
	    .expect = TOKEN_E_CLAIMS },

	/* auth_type */
	{ .name = "auth_type missing", .del = "auth_type",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "auth_type unknown", .set = "auth_type",
	    .val = "\"admin\"", .expect = TOKEN_E_CLAIMS },
	{ .name = "auth_type not a string", .set = "auth_type", .val = "1",
	    .expect = TOKEN_E_CLAIMS },

	/* user tokens */
	{ .name = "user_id missing", .del = "user_id",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "user_id a string", .set = "user_id", .val = "\"42\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "user_id zero", .set = "user_id", .val = "0",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "user_id negative", .set = "user_id", .val = "-42",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "user_id not matching sub", .set = "user_id",
	    .val = "43", .expect = TOKEN_E_CLAIMS },
	{ .name = "user sub with leading zero", .set = "sub",
	    .val = "\"042\"", .expect = TOKEN_E_CLAIMS },

	/* api_client tokens */
	{ .name = "client_id missing", .auth = AUTH_TYPE_API_CLIENT,
	    .del = "client_id", .expect = TOKEN_E_CLAIMS },
	{ .name = "client_id not matching sub", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "client_id", .val = "\"mtc_someoneelse\"",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "client_id empty", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "client_id", .val = "\"\"", .expect = TOKEN_E_CLAIMS },
	{ .name = "client_id not a string", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "client_id", .val = "17", .expect = TOKEN_E_CLAIMS },

	/* roles, scopes */
	{ .name = "roles not an array", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "roles", .val = "\"admin\"", .expect = TOKEN_E_CLAIMS },
	{ .name = "roles item not a string", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "roles", .val = "[\"read\", 1]",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "roles item too long", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "roles",
	    .val = "[\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"]",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "roles item at the length limit",
	    .auth = AUTH_TYPE_API_CLIENT, .set = "roles",
	    .val = "[\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"]",
	    .expect = TOKEN_OK },
	{ .name = "roles with too many items", .auth = AUTH_TYPE_API_CLIENT,
	    .set = "roles", .val = "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
	    "\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\","
	    "\"q\"]", .expect = TOKEN_E_CLAIMS },
	{ .name = "scopes not an array", .auth = AUTH_TYPE_SERVICE,
	    .set = "scopes", .val = "{\"read:tasks\":true}",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "scopes item too long", .auth = AUTH_TYPE_SERVICE,
	    .set = "scopes",
	    .val = "[\"read:sssssssssssssssssssssssssssssssssssssssssss\"]",
	    .expect = TOKEN_E_CLAIMS },

	/* Algorithm pinning. */
	{ .name = "alg none, unsigned", .hdr = "{\"alg\":\"none\"}",
	    .sign = S_NONE, .expect = TOKEN_E_FORMAT },
	{ .name = "alg none with a signature",
	    .hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}", .sign = S_JUNK,
	    .expect = TOKEN_E_ALG },
	{ .name = "alg HS384", .sign = S_HS384, .expect = TOKEN_E_ALG },
	{ .name = "alg HS512", .sign = S_HS512, .expect = TOKEN_E_ALG },
	{ .name = "alg missing", .hdr = "{\"typ\":\"JWT\"}",
	    .expect = TOKEN_E_ALG },
	{ .name = "alg lower case", .hdr = "{\"alg\":\"hs256\"}",
	    .expect = TOKEN_E_ALG },
	{ .name = "alg not a string", .hdr = "{\"alg\":256}",
	    .expect = TOKEN_E_ALG },
	{ .name = "RS256 token to an HS256 server", .sign = S_RS256,
	    .expect = TOKEN_E_ALG },
	{ .name = "HS256 token to an RS256 server", .server = SRV_RS,
	    .sign = S_HS256, .expect = TOKEN_E_ALG },
	{ .name = "HS256 keyed with the RS256 public key (confusion)",
	    .server = SRV_RS, .sign = S_HS256_PUBKEY, .expect = TOKEN_E_ALG },
	{ .name = "HS256 keyed with the ES256 public key (confusion)",
	    .server = SRV_ES, .sign = S_HS256_ECPUB, .expect = TOKEN_E_ALG },
	{ .name = "ES256 token to an RS256 server", .server = SRV_RS,
	    .sign = S_ES256, .expect = TOKEN_E_ALG },
	{ .name = "RS256 token to an ES256 server", .server = SRV_ES,
	    .sign = S_RS256, .expect = TOKEN_E_ALG },

	/* kid: chooses a key of the ring, never an algorithm. */
	{ .name = "kid missing", .hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid missing, kid-less tokens accepted (transition)",
	    .hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", .no_kid_ok = 1,
	    .expect = TOKEN_OK },
	{ .name = "kid missing, RS256, transition", .server = SRV_RS,
	    .sign = S_RS256, .hdr = "{\"alg\":\"RS256\"}", .no_kid_ok = 1,
	    .expect = TOKEN_OK },
	{ .name = "kid unknown", .hdr = "{\"alg\":\"HS256\",\"kid\":\"nope\"}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid unknown, transition on", .no_kid_ok = 1,
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"nope\"}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid empty", .hdr = "{\"alg\":\"HS256\",\"kid\":\"\"}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid not a string", .hdr = "{\"alg\":\"HS256\",\"kid\":1}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid null", .hdr = "{\"alg\":\"HS256\",\"kid\":null}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid in another case", .hdr = "{\"alg\":\"HS256\","
	    "\"kid\":\"UNIT-HS-1\"}", .expect = TOKEN_E_KID },
	{ .name = "kid of the RS256 ring's key, to the HS256 server",
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"" KID_RS "\"}",
	    .expect = TOKEN_E_KID },
	{ .name = "kid of the HS256 ring's key, HMAC with the RS256 public "
	    "key, to the RS256 server", .server = SRV_RS,
	    .sign = S_HS256_PUBKEY,
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"" KID_HS "\"}",
	    .expect = TOKEN_E_ALG },
	{ .name = "RS256 kid with alg HS256, HMAC with the RS256 public key",
	    .server = SRV_RS, .sign = S_HS256_PUBKEY,
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"" KID_RS "\"}",
	    .expect = TOKEN_E_ALG },

	/* Keys a token brings along are never used. */
	{ .name = "jwk header with the signer's own RSA key", .server = SRV_RS,
	    .sign = S_RS256_OTHER, .hdr_jwk = 1, .expect = TOKEN_E_SIGNATURE },
	{ .name = "control: the signer's own key is a good RS256 key",
	    .server = SRV_RS, .sign = S_RS256_OTHER, .hdr_jwk = 1,
	    .other_ring = 1, .expect = TOKEN_OK },
	{ .name = "jku header naming someone's key set", .server = SRV_RS,
	    .sign = S_RS256_OTHER, .hdr = "{\"alg\":\"RS256\",\"kid\":\""
	    KID_RS "\",\"jku\":\"https://attacker.example/jwks.json\"}",
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "x5u header naming someone's certificate", .server = SRV_RS,
	    .sign = S_RS256_OTHER, .hdr = "{\"alg\":\"RS256\",\"kid\":\""
	    KID_RS "\",\"x5u\":\"https://attacker.example/cert.pem\"}",
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "jwk header with an HMAC key (oct)", .sign = S_HS256_OTHER,
	    .hdr = "{\"alg\":\"HS256\",\"kid\":\"" KID_HS "\",\"jwk\":"
	    "{\"kty\":\"oct\",\"k\":\"YW5vdGhlci1oczI1Ni1zZWNyZXQtdGhhdC1pcy1u"
	    "b3Qtb3Vycy0wMDAw\"}}", .expect = TOKEN_E_SIGNATURE },
	{ .name = "crit header", .hdr = "{\"alg\":\"HS256\",\"kid\":\""
	    KID_HS "\",\"crit\":[\"exp\"]}", .expect = TOKEN_E_HEADER },

	/* Header. */
	{ .name = "typ not JWT", .hdr = "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
	    .expect = TOKEN_E_HEADER },
	{ .name = "typ not a string", .hdr = "{\"alg\":\"HS256\",\"typ\":1}",
	    .expect = TOKEN_E_HEADER },
	{ .name = "header a JSON array", .hdr = "[\"HS256\"]",
	    .expect = TOKEN_E_HEADER },
	{ .name = "header a JSON string", .hdr = "\"HS256\"",
	    .expect = TOKEN_E_HEADER },
	{ .name = "header not JSON", .hdr = "alg=HS256",
	    .expect = TOKEN_E_HEADER },
	{ .name = "header with duplicate alg",
	    .hdr = "{\"alg\":\"none\",\"alg\":\"HS256\"}",
	    .expect = TOKEN_E_HEADER },

	/* Signature and shape. */
	{ .name = "signed with another secret", .sign = S_HS256_OTHER,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "signature not a MAC", .sign = S_JUNK,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "tampered payload", .mangle = M_TAMPER_PAYLOAD,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "tampered RS256 payload", .server = SRV_RS,
	    .sign = S_RS256, .mangle = M_TAMPER_PAYLOAD,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "tampered header", .mangle = M_TAMPER_HEADER,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "signature character changed", .mangle = M_FLIP_SIG,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "signature shortened", .mangle = M_CUT_SIG,
	    .expect = TOKEN_E_SIGNATURE },
	{ .name = "truncated: no signature segment", .mangle = M_DROP_SIG,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "truncated: first half only", .mangle = M_CUT_HALF,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "extra segment", .mangle = M_EXTRA_SEG,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "empty header segment", .mangle = M_EMPTY_HDR,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "empty payload segment", .mangle = M_EMPTY_PAYLOAD,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "empty signature segment", .mangle = M_EMPTY_SIG,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "'+' in signature", .mangle = M_SIG_PLUS,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "'/' in header", .mangle = M_HDR_SLASH,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "'=' padding", .mangle = M_SIG_PAD,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "trailing newline", .mangle = M_TRAILING_NL,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "space in payload", .mangle = M_SPACE_PAYLOAD,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "empty token", .mangle = M_EMPTY,
	    .expect = TOKEN_E_FORMAT },
	{ .name = "dots only", .mangle = M_DOTS, .expect = TOKEN_E_FORMAT },

	/* Payload. */
	{ .name = "duplicate tenant in payload",
	    .dup = "\"tenant\":\"" OTHER_TENANT "\",",
	    .expect = TOKEN_E_CLAIMS },
	{ .name = "duplicate exp in payload",
	    .dup = "\"exp\":4102444800,", .expect = TOKEN_E_CLAIMS },
	{ .name = "payload a JSON array", .raw = "[1,2,3]",
	    .expect = TOKEN_E_CLAIMS },
	/* libjwt parses the payload before token.c sees it: any refusal. */
	{ .name = "payload not JSON", .raw = "tenant=" TENANT,
	    .expect = ANY_ERROR },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static char	*rsa_priv, *rsa_pub;	/* the RS256 server's key */
static char	*ec_priv, *ec_pub;	/* the ES256 server's key */
static char	*rsa2_priv, *rsa2_pub;	/* someone else's */

static void	 rsa_init(void);
static void	 pair_new(int, char **, char **);
static char	*b64url(const void *, size_t);
static char	*b64url_str(const char *);
static char	*sign_input(int, const char *);
static char	*sign_pem(const char *, const char *, int);
static char	*join3(const char *, const char *, const char *);
static json_t	*claims_json(int, const char *);
static char	*build_token(const struct vcase *);
static char	*jwk_header(void);
static void	 keys_hs(struct token_keys *);
static void	 keys_rs(struct token_keys *);
static void	 keys_es(struct token_keys *);
static void	 keys_ring(struct token_keys *, struct keyset *, int,
		    const char *, const char *, const char *);
static void	 claims_fill(struct token_claims *, int, int);
static json_t	*header_of(const char *);
static int	 all_zero(const void *, size_t);
static char	*tmpfile_with(const char *, const char *, const char *);

static struct keyset	ring_hs, ring_rs, ring_es, ring_other;

/* The key pairs, made once per test process on first use. */
static void
rsa_init(void)
{
	if (rsa_priv != NULL)
		return;
	pair_new(EVP_PKEY_RSA, &rsa_priv, &rsa_pub);
	pair_new(EVP_PKEY_EC, &ec_priv, &ec_pub);
	pair_new(EVP_PKEY_RSA, &rsa2_priv, &rsa2_pub);
}

static void
pair_new(int type, char **priv, char **pub)
{
	EVP_PKEY	*pk;
	BIO		*b;
	char		*p;
	long		 n;

	pk = type == EVP_PKEY_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	cr_assert_not_null(pk, "key generation failed");

	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &p);
	*priv = strndup(p, n);
	BIO_free(b);

	b = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_PUBKEY(b, pk));
	n = BIO_get_mem_data(b, &p);
	*pub = strndup(p, n);
	BIO_free(b);

	EVP_PKEY_free(pk);
	cr_assert_not_null(*priv);
	cr_assert_not_null(*pub);
}

static char *
b64url(const void *data, size_t len)
{
	size_t		 outlen;
	char		*out;

	outlen = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = malloc(outlen);
	cr_assert_not_null(out);
	sodium_bin2base64(out, outlen, data, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	return (out);
}

static char *
b64url_str(const char *s)
{
	return (b64url(s, strlen(s)));
}

/* The base64url signature over "header.payload" the way how says. */
static char *
sign_input(int how, const char *input)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	const EVP_MD	*md;
	const char	*key;

	switch (how) {
	case S_NONE:
		return (strdup(""));
	case S_JUNK:
		return (b64url_str("signature"));
	case S_RS256:
		rsa_init();
		return (sign_pem(rsa_priv, input, 0));
	case S_RS256_OTHER:
		rsa_init();
		return (sign_pem(rsa2_priv, input, 0));
	case S_ES256:
		rsa_init();
		return (sign_pem(ec_priv, input, 1));
	}

	md = EVP_sha256();
	key = HS_KEY;
	switch (how) {
	case S_HS256_OTHER:
		key = HS_OTHER_KEY;
		break;
	case S_HS384:
		md = EVP_sha384();
		break;
	case S_HS512:
		md = EVP_sha512();
		break;
	case S_HS256_PUBKEY:
		rsa_init();
		key = rsa_pub;
		break;
	case S_HS256_ECPUB:
		rsa_init();
		key = ec_pub;
		break;
	}

	cr_assert_not_null(HMAC(md, key, (int)strlen(key),
	    (const unsigned char *)input, strlen(input), mac, &maclen));

	return (b64url(mac, maclen));
}

/* SHA-256 with a PEM private key; ECDSA as JWS wants it (R || S). */
static char *
sign_pem(const char *pem, const char *input, int ecdsa)
{
	unsigned char	*sig, rs[64];
	const unsigned char *q;
	const BIGNUM	*r, *ss;
	ECDSA_SIG	*es;
	EVP_MD_CTX	*ctx;
	EVP_PKEY	*pk;
	BIO		*b;
	size_t		 siglen;
	char		*out;

	b = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	cr_assert_not_null(pk);
	ctx = EVP_MD_CTX_new();
	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	cr_assert_eq(EVP_DigestSign(ctx, NULL, &siglen,
	    (const unsigned char *)input, strlen(input)), 1);
	sig = malloc(siglen);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &siglen,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);

	if (ecdsa) {
		q = sig;
		es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
		cr_assert_not_null(es);
		ECDSA_SIG_get0(es, &r, &ss);
		cr_assert_eq(BN_bn2binpad(r, rs, 32), 32);
		cr_assert_eq(BN_bn2binpad(ss, rs + 32, 32), 32);
		ECDSA_SIG_free(es);
		out = b64url(rs, sizeof(rs));
	} else {
		out = b64url(sig, siglen);
	}
	free(sig);

	return (out);
}

static char *
join3(const char *a, const char *b, const char *c)
{
	char		*out;

	cr_assert(asprintf(&out, "%s.%s.%s", a, b, c) != -1);
	return (out);
}

/* The claims of a valid token of auth type auth. */
static json_t *
claims_json(int auth, const char *token_type)
{
	json_t		*o;

	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
	    "token_type", token_type,
	    "tenant", TENANT,
	    "tenant_slug", "acme",
	    "iat", (json_int_t)(NOW - 10),
	    "exp", (json_int_t)(NOW + 300),
	    "iss", ISSUER,
	    "aud", AUDIENCE,
	    "jti", JTI,
	    "sid", SID);
	cr_assert_not_null(o);

	switch (auth) {
	case AUTH_TYPE_API_CLIENT:
		json_object_set_new(o, "auth_type", json_string("api_client"));
		json_object_set_new(o, "sub", json_string(CLIENT_ID));
		json_object_set_new(o, "client_id", json_string(CLIENT_ID));
		json_object_set_new(o, "roles", json_pack("[s]", "write"));
		json_object_set_new(o, "scopes", json_pack("[s,s]",
		    "read:projects", "write:tasks"));
		break;
	case AUTH_TYPE_SERVICE:
		json_object_set_new(o, "auth_type", json_string("service"));
		json_object_set_new(o, "sub", json_string("billing"));
		json_object_set_new(o, "roles", json_pack("[s]", "service"));
		json_object_set_new(o, "scopes", json_pack("[s]",
		    "read:documents"));
		break;
	default:
		json_object_set_new(o, "auth_type", json_string("user"));
		json_object_set_new(o, "sub", json_string("42"));
		json_object_set_new(o, "user_id", json_integer(42));
		break;
	}

	return (o);
}

static char *
build_token(const struct vcase *c)
{
	json_t		*claims, *v;
	const char	*alg, *hdr, *kid;
	char		*payload, *withdup, *h64, *p64, *input, *sig, *tok;
	char		*s, *jwkhdr, hdrbuf[256];
	size_t		 len;

	claims = claims_json(c->auth, c->token_type != NULL ?
	    c->token_type : "access");
	if (c->del != NULL)
		cr_assert_eq(json_object_del(claims, c->del), 0, "%s", c->del);
	if (c->set != NULL) {
		v = json_loads(c->val, JSON_DECODE_ANY, NULL);
		cr_assert_not_null(v, "bad test value %s", c->val);
		json_object_set_new(claims, c->set, v);
	}

	if (c->raw != NULL) {
		payload = strdup(c->raw);
	} else {
		payload = json_dumps(claims, JSON_COMPACT);
		cr_assert_not_null(payload);
		if (c->dup != NULL) {
			cr_assert(asprintf(&withdup, "{%s%s", c->dup,
			    payload + 1) != -1);
			free(payload);
			payload = withdup;
		}
	}

	switch (c->sign) {
	case S_HS384:
		alg = "HS384";
		break;
	case S_HS512:
		alg = "HS512";
		break;
	case S_RS256:
	case S_RS256_OTHER:
		alg = "RS256";
		break;
	case S_ES256:
		alg = "ES256";
		break;
	default:
		alg = "HS256";
		break;
	}
	kid = c->server == SRV_RS ? KID_RS : c->server == SRV_ES ? KID_ES :
	    KID_HS;
	(void)snprintf(hdrbuf, sizeof(hdrbuf),
	    "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid);
	jwkhdr = c->hdr_jwk ? jwk_header() : NULL;
	hdr = c->hdr != NULL ? c->hdr : jwkhdr != NULL ? jwkhdr : hdrbuf;

	h64 = b64url_str(hdr);
	p64 = b64url_str(payload);
	cr_assert(asprintf(&input, "%s.%s", h64, p64) != -1);
	sig = sign_input(c->sign, input);
	tok = join3(h64, p64, sig);

	switch (c->mangle) {
	case M_TAMPER_PAYLOAD:
		json_object_set_new(claims, "tenant",
		    json_string(OTHER_TENANT));
		free(payload);
		payload = json_dumps(claims, JSON_COMPACT);
		free(p64);
		p64 = b64url_str(payload);
		free(tok);
		tok = join3(h64, p64, sig);
		break;
	case M_TAMPER_HEADER:
		free(h64);
		(void)snprintf(hdrbuf, sizeof(hdrbuf), "{\"alg\":\"%s\","
		    "\"kid\":\"%s\",\"typ\":\"JWT\",\"cty\":\"x\"}", alg, kid);
		h64 = b64url_str(hdrbuf);
		free(tok);
		tok = join3(h64, p64, sig);
		break;
	case M_FLIP_SIG:
		s = strrchr(tok, '.') + 10;
		*s = (*s == 'A') ? 'B' : 'A';
		break;
	case M_DROP_SIG:
		*strrchr(tok, '.') = '\0';
		break;
	case M_CUT_SIG:
		tok[strlen(tok) - 4] = '\0';
		break;
	case M_CUT_HALF:
		tok[strlen(tok) / 2] = '\0';
		break;
	case M_EXTRA_SEG:
		free(tok);
		cr_assert(asprintf(&tok, "%s.%s.%s.%s", h64, p64, sig,
		    sig) != -1);
		break;
	case M_EMPTY_HDR:
		free(tok);
		tok = join3("", p64, sig);
		break;
	case M_EMPTY_PAYLOAD:
		free(tok);
		tok = join3(h64, "", sig);
		break;
	case M_EMPTY_SIG:
		free(tok);
		tok = join3(h64, p64, "");
		break;
	case M_SIG_PLUS:
		strrchr(tok, '.')[5] = '+';
		break;
	case M_HDR_SLASH:
		tok[3] = '/';
		break;
	case M_SIG_PAD:
	case M_TRAILING_NL:
		len = strlen(tok);
		s = malloc(len + 2);
		memcpy(s, tok, len);
		s[len] = c->mangle == M_SIG_PAD ? '=' : '\n';
		s[len + 1] = '\0';
		free(tok);
		tok = s;
		break;
	case M_EMPTY:
		tok[0] = '\0';
		break;
	case M_DOTS:
		(void)strcpy(tok, "..");
		break;
	case M_SPACE_PAYLOAD:
		strchr(tok, '.')[4] = ' ';
		break;
	}

	free(h64);
	free(p64);
	free(input);
	free(sig);
	free(payload);
	free(jwkhdr);
	json_decref(claims);

	return (tok);
}

/* An RS256 header with KID_RS whose jwk is the other key pair's. */
static char *
jwk_header(void)
{
	struct keyset	 set;
	json_t		*jwks, *hdr;
	char		 err[128], *out;

	rsa_init();
	keyset_init(&set, SETTINGS_ALG_RS256);
	cr_assert_eq(keyset_add(&set, KID_RS, KEY_STATE_VERIFYING, NULL, 0,
	    rsa2_pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyset_publish(&set), 0);
	jwks = json_loads(set.jwks, 0, NULL);
	cr_assert_not_null(jwks);
	hdr = json_pack("{s:s, s:s, s:s, s:O}", "alg", "RS256", "kid", KID_RS,
	    "typ", "JWT", "jwk", json_array_get(json_object_get(jwks, "keys"),
	    0));
	cr_assert_not_null(hdr);
	out = json_dumps(hdr, JSON_COMPACT);
	json_decref(hdr);
	json_decref(jwks);
	keyset_free(&set);

	return (out);
}

/* A server's token checks over a ring of one current key, kid. */
static void
keys_ring(struct token_keys *k, struct keyset *set, int alg, const char *kid,
    const char *secret, const char *public_pem)
{
	char		err[128];

	keyset_free(set);
	keyset_init(set, alg);
	cr_assert_eq(keyset_add(set, kid, KEY_STATE_CURRENT,
	    (const unsigned char *)secret, strlen(secret), public_pem, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyset_publish(set), 0);

	memset(k, 0, sizeof(*k));
	k->alg = alg;
	k->set = set;
	k->issuer = ISSUER;
	k->audience = AUDIENCE;
}

static void
keys_hs(struct token_keys *k)
{
	keys_ring(k, &ring_hs, SETTINGS_ALG_HS256, KID_HS, HS_KEY, NULL);
}

static void
keys_rs(struct token_keys *k)
{
	rsa_init();
	keys_ring(k, &ring_rs, SETTINGS_ALG_RS256, KID_RS, rsa_priv, rsa_pub);
}

static void
keys_es(struct token_keys *k)
{
	rsa_init();
	keys_ring(k, &ring_es, SETTINGS_ALG_ES256, KID_ES, ec_priv, ec_pub);
}

static int
all_zero(const void *p, size_t len)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (b[i] != 0)
			return (0);
	}

	return (1);
}

ParameterizedTestParameters(verify, table)
{
	static size_t	idx[NCASES];
	size_t		i;

	for (i = 0; i < NCASES; i++)
		idx[i] = i;

	return (cr_make_param_array(size_t, idx, NCASES));
}

ParameterizedTest(size_t *i, verify, table)
{
	const struct vcase	*c = &cases[*i];
	struct token_keys	 keys;
	struct token_claims	 out;
	char			*tok;
	int			 rc, want;

	cr_assert(sodium_init() >= 0);

	if (c->other_ring) {
		rsa_init();
		keys_ring(&keys, &ring_other, SETTINGS_ALG_RS256, KID_RS,
		    rsa2_priv, rsa2_pub);
	} else if (c->server == SRV_RS) {
		keys_rs(&keys);
	} else if (c->server == SRV_ES) {
		keys_es(&keys);
	} else {
		keys_hs(&keys);
	}
	keys.leeway = c->leeway;
	keys.accept_missing_kid = c->no_kid_ok;

	switch (c->want) {
	case WANT_REFRESH:
		want = TOKEN_TYPE_REFRESH;
		break;
	case WANT_EITHER:
		want = 0;
		break;
	default:
		want = TOKEN_TYPE_ACCESS;
		break;
	}

	tok = build_token(c);
	rc = token_verify(&keys, tok, want, c->now != 0 ? c->now : NOW, &out);
	if (c->expect == ANY_ERROR)
		cr_expect_neq(rc, TOKEN_OK, "%s: accepted", c->name);
	else
		cr_expect_eq(rc, c->expect, "%s: got %d (%s), want %d (%s)",
		    c->name, rc, token_error_text(rc), c->expect,
		    token_error_text(c->expect));

	if (c->expect == TOKEN_OK && rc == TOKEN_OK) {
		cr_expect_str_eq(out.tenant, TENANT, "%s", c->name);
		if (c->set != NULL && !strcmp(c->set, "jti"))
			cr_expect_eq(strlen(out.jti), strlen(c->val) - 2,
			    "%s", c->name);
		else
			cr_expect_str_eq(out.jti, JTI, "%s", c->name);
		if (c->set == NULL || strcmp(c->set, "exp"))
			cr_expect_eq(out.exp, NOW + 300, "%s", c->name);
	}
	if (rc != TOKEN_OK)
		cr_expect(all_zero(&out, sizeof(out)),
		    "%s: claims not cleared on failure", c->name);

	free(tok);
}

/* The confusion token really is one bare libjwt would accept. */
Test(verify, confusion_token_fools_bare_libjwt)
{
	struct vcase		 c;
	struct token_keys	 keys;
	struct token_claims	 out;
	jwt_t			*jwt;
	char			*tok;

	memset(&c, 0, sizeof(c));
	c.server = SRV_RS;
	c.sign = S_HS256_PUBKEY;
	tok = build_token(&c);
	keys_rs(&keys);

	jwt = NULL;
	cr_expect_eq(jwt_decode(&jwt, tok, (const unsigned char *)rsa_pub,
	    (int)strlen(rsa_pub)), 0, "precondition: libjwt accepts the "
	    "forged token when handed the public key");
	if (jwt != NULL)
		jwt_free(jwt);

	cr_assert_eq(token_verify(&keys, tok, TOKEN_TYPE_ACCESS, NOW, &out),
	    TOKEN_E_ALG);
	free(tok);
}

/* Right at TOKEN_MAX_LEN a token is read; one byte more and it is not. */
Test(verify, length_limit)
{
	struct token_keys	 keys;
	struct token_claims	 out;
	json_t			*claims;
	char			*pad, *payload, *h64, *p64, *input, *sig;
	char			*tok, *last_ok;
	size_t			 n;
	int			 rc, seen_ok, seen_long;

	keys_hs(&keys);
	last_ok = NULL;
	seen_ok = seen_long = 0;
	h64 = b64url_str("{\"alg\":\"HS256\",\"kid\":\"" KID_HS "\","
	    "\"typ\":\"JWT\"}");

	for (n = 2000; n < 4000 && !seen_long; n++) {
		pad = malloc(n + 1);
		memset(pad, 'x', n);
		pad[n] = '\0';
		claims = claims_json(AUTH_TYPE_USER, "access");
		json_object_set_new(claims, "pad", json_string(pad));
		payload = json_dumps(claims, JSON_COMPACT);
		p64 = b64url_str(payload);
		cr_assert(asprintf(&input, "%s.%s", h64, p64) != -1);
		sig = sign_input(S_HS256, input);
		tok = join3(h64, p64, sig);

		rc = token_verify(&keys, tok, TOKEN_TYPE_ACCESS, NOW, &out);
		if (strlen(tok) <= TOKEN_MAX_LEN) {
			cr_expect_eq(rc, TOKEN_OK, "len %zu: %s", strlen(tok),
			    token_error_text(rc));
			if (strlen(tok) >= TOKEN_MAX_LEN - 3)
				seen_ok = 1;
		} else {
			cr_expect_eq(rc, TOKEN_E_FORMAT, "len %zu: %s",
			    strlen(tok), token_error_text(rc));
			seen_long = 1;
		}

		free(last_ok);
		last_ok = tok;
		free(sig);
		free(input);
		free(p64);
		free(payload);
		free(pad);
		json_decref(claims);
	}

	cr_expect(seen_ok, "no token within 3 bytes of the limit was tried");
	cr_expect(seen_long, "no over-long token was tried");
	free(last_ok);
	free(h64);
}

/* A token far longer than the limit, with no NUL anywhere near it. */
Test(verify, very_long_token)
{
	struct token_keys	 keys;
	struct token_claims	 out;
	char			*tok;

	keys_hs(&keys);
	tok = malloc(100001);
	memset(tok, 'a', 100000);
	tok[100000] = '\0';
	tok[20] = '.';
	tok[40] = '.';
	cr_expect_eq(token_verify(&keys, tok, 0, NOW, &out), TOKEN_E_FORMAT);
	free(tok);
}

/* A header too big for the header buffer is refused, not overflowed. */
Test(verify, huge_header)
{
	struct vcase		 c;
	struct token_keys	 keys;
	struct token_claims	 out;
	char			*hdr, *tok;
	size_t			 n;

	n = 2500;
	hdr = malloc(n + 64);
	(void)strcpy(hdr, "{\"alg\":\"HS256\",\"kid\":\"");
	memset(hdr + strlen(hdr), 'k', n);
	hdr[22 + n] = '\0';
	(void)strcat(hdr, "\"}");

	memset(&c, 0, sizeof(c));
	c.hdr = hdr;
	tok = build_token(&c);
	cr_assert_lt(strlen(tok), TOKEN_MAX_LEN);
	keys_hs(&keys);
	cr_expect_neq(token_verify(&keys, tok, 0, NOW, &out), TOKEN_OK);
	free(tok);
	free(hdr);
}

static void
claims_fill(struct token_claims *c, int auth, int type)
{
	memset(c, 0, sizeof(*c));
	c->token_type = type;
	c->auth_type = auth;
	(void)strcpy(c->tenant, TENANT);
	(void)strcpy(c->tenant_slug, "acme");
	(void)strcpy(c->jti, JTI);
	(void)strcpy(c->sid, SID);
	c->iat = NOW - 5;
	c->exp = NOW + 600;

	switch (auth) {
	case AUTH_TYPE_USER:
		c->user_id = 9007199254740993LL;	/* not a double */
		break;
	case AUTH_TYPE_API_CLIENT:
		(void)strcpy(c->client_id, CLIENT_ID);
		(void)strcpy(c->roles[0], "write");
		(void)strcpy(c->roles[1], "admin");
		c->roles_count = 2;
		(void)strcpy(c->scopes[0], "read:projects");
		(void)strcpy(c->scopes[1], "write:tasks");
		(void)strcpy(c->scopes[2], "read:documents");
		c->scopes_count = 3;
		break;
	case AUTH_TYPE_SERVICE:
		(void)strcpy(c->sub, "billing-service");
		(void)strcpy(c->roles[0], "service");
		c->roles_count = 1;
		(void)strcpy(c->scopes[0], "*");
		c->scopes_count = 1;
		break;
	}
}

static void
round_trip(int server, int auth, int type)
{
	struct token_keys	 keys;
	struct token_claims	 in, out;
	char			*tok;
	size_t			 i;
	int			 rc, other;

	if (server == SRV_RS)
		keys_rs(&keys);
	else if (server == SRV_ES)
		keys_es(&keys);
	else
		keys_hs(&keys);

	claims_fill(&in, auth, type);
	tok = token_mint(&keys, &in);
	cr_assert_not_null(tok);

	rc = token_verify(&keys, tok, type, NOW, &out);
	cr_assert_eq(rc, TOKEN_OK, "%s", token_error_text(rc));

	cr_expect_eq(out.token_type, type);
	cr_expect_eq(out.auth_type, auth);
	cr_expect_str_eq(out.tenant, TENANT);
	cr_expect_str_eq(out.tenant_slug, "acme");
	cr_expect_str_eq(out.jti, JTI);
	cr_expect_str_eq(out.sid, SID);
	cr_expect_eq(out.iat, NOW - 5);
	cr_expect_eq(out.exp, NOW + 600);

	switch (auth) {
	case AUTH_TYPE_USER:
		cr_expect_eq(out.user_id, 9007199254740993LL);
		cr_expect_str_eq(out.sub, "9007199254740993");
		cr_expect_eq(out.roles_count, 0);
		cr_expect_eq(out.scopes_count, 0);
		break;
	case AUTH_TYPE_API_CLIENT:
		cr_expect_str_eq(out.client_id, CLIENT_ID);
		cr_expect_str_eq(out.sub, CLIENT_ID);
		cr_expect_eq(out.user_id, 0);
		break;
	case AUTH_TYPE_SERVICE:
		cr_expect_str_eq(out.sub, "billing-service");
		cr_expect_str_eq(out.client_id, "");
		break;
	}
	if (auth != AUTH_TYPE_USER) {
		cr_expect_eq(out.roles_count, in.roles_count);
		for (i = 0; i < in.roles_count; i++)
			cr_expect_str_eq(out.roles[i], in.roles[i]);
		cr_expect_eq(out.scopes_count, in.scopes_count);
		for (i = 0; i < in.scopes_count; i++)
			cr_expect_str_eq(out.scopes[i], in.scopes[i]);
	}

	/* The same token is the wrong type for the other use. */
	other = type == TOKEN_TYPE_ACCESS ? TOKEN_TYPE_REFRESH :
	    TOKEN_TYPE_ACCESS;
	cr_expect_eq(token_verify(&keys, tok, other, NOW, &out),
	    TOKEN_E_TYPE);
	cr_expect_eq(token_verify(&keys, tok, 0, NOW, &out), TOKEN_OK);
	cr_expect_eq(token_verify(&keys, tok, type, NOW + 600, &out),
	    TOKEN_E_EXPIRED);

	free(tok);
}

Test(mint, user_hs256)
{
	round_trip(SRV_HS, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
}

Test(mint, user_refresh_hs256)
{
	round_trip(SRV_HS, AUTH_TYPE_USER, TOKEN_TYPE_REFRESH);
}

Test(mint, api_client_hs256)
{
	round_trip(SRV_HS, AUTH_TYPE_API_CLIENT, TOKEN_TYPE_ACCESS);
}

Test(mint, service_hs256)
{
	round_trip(SRV_HS, AUTH_TYPE_SERVICE, TOKEN_TYPE_ACCESS);
}

Test(mint, user_rs256)
{
	round_trip(SRV_RS, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
}

Test(mint, api_client_rs256)
{
	round_trip(SRV_RS, AUTH_TYPE_API_CLIENT, TOKEN_TYPE_REFRESH);
}

Test(mint, service_rs256)
{
	round_trip(SRV_RS, AUTH_TYPE_SERVICE, TOKEN_TYPE_ACCESS);
}

Test(mint, user_es256)
{
	round_trip(SRV_ES, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
}

Test(mint, api_client_es256)
{
	round_trip(SRV_ES, AUTH_TYPE_API_CLIENT, TOKEN_TYPE_REFRESH);
}

/* What token_mint writes: header alg/typ and the documented claims. */
Test(mint, wire_format)
{
	struct token_keys	 keys;
	struct token_claims	 in;
	unsigned char		 buf[4096];
	json_t			*hdr, *p;
	char			*tok, *dot1, *dot2;
	size_t			 len;

	keys_hs(&keys);
	claims_fill(&in, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
	in.user_id = 42;
	tok = token_mint(&keys, &in);
	cr_assert_not_null(tok);

	dot1 = strchr(tok, '.');
	dot2 = strchr(dot1 + 1, '.');
	cr_assert_not_null(dot2);

	cr_assert_eq(sodium_base642bin(buf, sizeof(buf), tok, dot1 - tok,
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	hdr = json_loadb((char *)buf, len, 0, NULL);
	cr_assert_not_null(hdr);
	cr_expect_str_eq(json_string_value(json_object_get(hdr, "alg")),
	    "HS256");
	cr_expect_str_eq(json_string_value(json_object_get(hdr, "kid")),
	    KID_HS);
	json_decref(hdr);

	cr_assert_eq(sodium_base642bin(buf, sizeof(buf), dot1 + 1,
	    dot2 - dot1 - 1, NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	p = json_loadb((char *)buf, len, 0, NULL);
	cr_assert_not_null(p);
	cr_expect_str_eq(json_string_value(json_object_get(p, "token_type")),
	    "access");
	cr_expect_str_eq(json_string_value(json_object_get(p, "auth_type")),
	    "user");
	cr_expect_str_eq(json_string_value(json_object_get(p, "sub")), "42");
	cr_expect_eq(json_integer_value(json_object_get(p, "user_id")), 42);
	cr_expect_str_eq(json_string_value(json_object_get(p, "iss")),
	    ISSUER);
	cr_expect_str_eq(json_string_value(json_object_get(p, "aud")),
	    AUDIENCE);
	cr_expect_eq(json_integer_value(json_object_get(p, "exp")),
	    NOW + 600);
	cr_expect_null(json_object_get(p, "client_id"));
	json_decref(p);
	free(tok);
}

/* A token minted under one server's keys is refused by another's. */
Test(mint, other_server_refuses)
{
	struct token_keys	 keys, other;
	struct token_claims	 in, out;
	char			*tok;

	keys_hs(&keys);
	claims_fill(&in, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
	tok = token_mint(&keys, &in);
	cr_assert_not_null(tok);

	/* The same kid, another secret. */
	keys_ring(&other, &ring_other, SETTINGS_ALG_HS256, KID_HS,
	    HS_OTHER_KEY, NULL);
	cr_expect_eq(token_verify(&other, tok, 0, NOW, &out),
	    TOKEN_E_SIGNATURE);
	keys_hs(&keys);

	other = keys;
	other.issuer = "another-issuer";
	cr_expect_eq(token_verify(&other, tok, 0, NOW, &out),
	    TOKEN_E_ISSUER);

	other = keys;
	other.audience = "another-audience";
	cr_expect_eq(token_verify(&other, tok, 0, NOW, &out),
	    TOKEN_E_AUDIENCE);

	keys_rs(&other);
	cr_expect_eq(token_verify(&other, tok, 0, NOW, &out), TOKEN_E_ALG);
	free(tok);
}

/* RS256 verification needs only the public key. */
Test(mint, rs256_verify_with_public_key_only)
{
	struct keyset		 set;
	struct token_keys	 keys, verifier;
	struct token_claims	 in, out;
	char			*tok, err[128];

	keys_rs(&keys);
	claims_fill(&in, AUTH_TYPE_SERVICE, TOKEN_TYPE_ACCESS);
	tok = token_mint(&keys, &in);
	cr_assert_not_null(tok);

	/* A ring with the public key only, as a worker has verifying keys. */
	keyset_init(&set, SETTINGS_ALG_RS256);
	cr_assert_eq(keyset_add(&set, KID_RS, KEY_STATE_VERIFYING, NULL, 0,
	    rsa_pub, err, sizeof(err)), 0, "%s", err);
	verifier = keys;
	verifier.set = &set;
	cr_expect_eq(token_verify(&verifier, tok, TOKEN_TYPE_ACCESS, NOW,
	    &out), TOKEN_OK);
	/* ... and signs nothing. */
	cr_expect_null(token_mint(&verifier, &in));
	keyset_free(&set);
	free(tok);
}

/*
 * After a rotation: the new current key signs (its kid in the header),
 * the previous one still verifies what it signed, a retired one (gone
 * from the ring) does not.
 */
Test(mint, rotation_keeps_verifying_keys)
{
	struct keyset		 set;
	struct token_keys	 keys;
	struct token_claims	 in, out;
	char			*old, *tok, err[128];
	json_t			*hdr;

	keys_hs(&keys);
	claims_fill(&in, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
	old = token_mint(&keys, &in);
	cr_assert_not_null(old);

	keyset_init(&set, SETTINGS_ALG_HS256);
	cr_assert_eq(keyset_add(&set, KID_HS, KEY_STATE_VERIFYING,
	    (const unsigned char *)HS_KEY, strlen(HS_KEY), NULL, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyset_add(&set, "unit-hs-2", KEY_STATE_CURRENT,
	    (const unsigned char *)HS_OTHER_KEY, strlen(HS_OTHER_KEY), NULL,
	    err, sizeof(err)), 0, "%s", err);
	keys.set = &set;

	tok = token_mint(&keys, &in);
	cr_assert_not_null(tok);
	hdr = header_of(tok);
	cr_expect_str_eq(json_string_value(json_object_get(hdr, "kid")),
	    "unit-hs-2");
	json_decref(hdr);
	cr_expect_eq(token_verify(&keys, tok, 0, NOW, &out), TOKEN_OK);
	cr_expect_eq(token_verify(&keys, old, 0, NOW, &out), TOKEN_OK);
	keyset_free(&set);

	/* KID_HS retired: the ring no longer holds it. */
	keyset_init(&set, SETTINGS_ALG_HS256);
	cr_assert_eq(keyset_add(&set, "unit-hs-2", KEY_STATE_CURRENT,
	    (const unsigned char *)HS_OTHER_KEY, strlen(HS_OTHER_KEY), NULL,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(token_verify(&keys, old, 0, NOW, &out), TOKEN_E_KID);
	cr_expect_eq(token_verify(&keys, tok, 0, NOW, &out), TOKEN_OK);
	keyset_free(&set);

	free(old);
	free(tok);
}

/* No current key, no token. */
Test(mint, no_current_key)
{
	struct keyset		 set;
	struct token_keys	 keys;
	struct token_claims	 in;

	keys_hs(&keys);
	keyset_init(&set, SETTINGS_ALG_HS256);
	keys.set = &set;
	claims_fill(&in, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
	cr_expect_null(token_mint(&keys, &in));
	keys.set = NULL;
	cr_expect_null(token_mint(&keys, &in));
}

Test(uuid, valid)
{
	char	out[TOKEN_UUID_LEN + 1];

	cr_expect(token_uuid_valid(TENANT, out));
	cr_expect_str_eq(out, TENANT);
	cr_expect(token_uuid_valid("00000000-0000-0000-0000-000000000000",
	    NULL));

	/* Upper case is accepted and copied out in canonical lower case. */
	cr_expect(token_uuid_valid("3F2B8C1E-9A4D-4E7F-8B2A-1C3D5E7F9A0B",
	    out));
	cr_expect_str_eq(out, TENANT);
}

Test(uuid, invalid)
{
	static const char *bad[] = {
		"",
		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0",	/* short */
		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0b0",	/* long */
		"3f2b8c1e9a4d-4e7f-8b2a-1c3d5e7f9a0b0",	/* dash moved */
		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0g",	/* g */
		"3f2b8c1e-9a4d-4e7f-8b2a+1c3d5e7f9a0b",	/* + */
		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0 ",	/* space */
		"{3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a}",
		"3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a\n0",
		"------------------------------------",
	};
	char		out[TOKEN_UUID_LEN + 1];
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!token_uuid_valid(bad[i], out), "'%s'", bad[i]);
	cr_expect(!token_uuid_valid(NULL, out));
}

Test(uuid, new)
{
	char	a[TOKEN_UUID_LEN + 1], b[TOKEN_UUID_LEN + 1];
	char	canon[TOKEN_UUID_LEN + 1];
	int	i;

	cr_assert(sodium_init() >= 0);
	for (i = 0; i < 64; i++) {
		token_uuid_new(a);
		token_uuid_new(b);
		cr_assert_eq(strlen(a), TOKEN_UUID_LEN);
		cr_assert(token_uuid_valid(a, canon), "%s", a);
		cr_assert_str_eq(a, canon, "not lower case: %s", a);
		cr_assert_eq(a[14], '4', "not version 4: %s", a);
		cr_assert(strchr("89ab", a[19]) != NULL, "bad variant: %s", a);
		cr_assert_str_neq(a, b);
	}
}

/* The decoded header of a token. */
static json_t *
header_of(const char *tok)
{
	unsigned char	 buf[1024];
	const char	*dot;
	size_t		 len;
	json_t		*hdr;

	dot = strchr(tok, '.');
	cr_assert_not_null(dot);
	cr_assert_eq(sodium_base642bin(buf, sizeof(buf), tok, dot - tok, NULL,
	    &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	hdr = json_loadb((char *)buf, len, 0, NULL);
	cr_assert_not_null(hdr);

	return (hdr);
}

static char *
tmpfile_with(const char *dir, const char *name, const char *text)
{
	FILE	*fp;
	char	*path;

	cr_assert(asprintf(&path, "%s/%s", dir, name) != -1);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	cr_assert_eq(fputs(text, fp) >= 0, 1);
	cr_assert_eq(fclose(fp), 0);

	return (path);
}

Test(keys, init_hs256)
{
	struct settings		s;
	struct keyset		set;
	struct token_keys	k;
	unsigned char		*secret;
	char			*pub, err[128];
	size_t			len;
	int			imported;

	memset(&s, 0, sizeof(s));
	s.jwt_alg = SETTINGS_ALG_HS256;
	s.jwt_signing_key = HS_KEY;
	s.issuer = ISSUER;
	s.audience = AUDIENCE;
	s.leeway = 42;
	s.accept_missing_kid = 1;
	keyset_init(&set, SETTINGS_ALG_HS256);

	memset(&k, 0xa5, sizeof(k));
	token_keys_init(&k, &s, &set);
	cr_expect_eq(k.alg, SETTINGS_ALG_HS256);
	cr_expect_eq(k.set, &set);
	cr_expect_str_eq(k.issuer, ISSUER);
	cr_expect_str_eq(k.audience, AUDIENCE);
	cr_expect_eq(k.leeway, 42);
	cr_expect_eq(k.accept_missing_kid, 1);

	/* JWT_SIGNING_KEY is the ring's first key. */
	cr_assert_eq(keyset_bootstrap_key(&s, &secret, &len, &pub, &imported,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 1);
	cr_expect_eq(len, strlen(HS_KEY));
	cr_expect_eq(memcmp(secret, HS_KEY, len), 0);
	cr_expect_null(pub);
	free(secret);
}

/* Settings loaded from real key files give keys that mint and verify. */
Test(keys, init_rs256_from_settings)
{
	struct settings		 s;
	struct keyset		 set;
	struct token_keys	 k;
	struct token_claims	 in, out;
	char			 dir[] = "/tmp/mtapi-unit-token-XXXXXX";
	char			*priv, *pub, *tok, *kpub, err[256];
	unsigned char		*secret;
	size_t			 len;
	int			 imported;

	rsa_init();
	cr_assert_not_null(mkdtemp(dir));
	priv = tmpfile_with(dir, "private.pem", rsa_priv);
	pub = tmpfile_with(dir, "public.pem", rsa_pub);

	clearenv();
	setenv("JWT_ALGORITHM", "RS256", 1);
	setenv("JWT_PRIVATE_KEY_FILE", priv, 1);
	setenv("JWT_PUBLIC_KEY_FILE", pub, 1);
	setenv("JWT_ISSUER", ISSUER, 1);
	setenv("JWT_AUDIENCE", AUDIENCE, 1);
	cr_assert_eq(settings_load(&s, NULL, err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(keyset_bootstrap_key(&s, &secret, &len, &kpub,
	    &imported, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(imported, 1);
	cr_expect_eq(len, strlen(rsa_priv));
	cr_expect_eq(memcmp(secret, rsa_priv, len), 0);
	cr_expect_str_eq(kpub, rsa_pub);

	keyset_init(&set, SETTINGS_ALG_RS256);
	cr_assert_eq(keyset_add(&set, KID_RS, KEY_STATE_CURRENT, secret, len,
	    kpub, err, sizeof(err)), 0, "%s", err);
	token_keys_init(&k, &s, &set);
	cr_expect_eq(k.alg, SETTINGS_ALG_RS256);
	cr_expect_str_eq(k.issuer, ISSUER);
	cr_expect_str_eq(k.audience, AUDIENCE);

	claims_fill(&in, AUTH_TYPE_USER, TOKEN_TYPE_ACCESS);
	tok = token_mint(&k, &in);
	cr_assert_not_null(tok);
	cr_expect_eq(token_verify(&k, tok, TOKEN_TYPE_ACCESS, NOW, &out),
	    TOKEN_OK);

	free(tok);
	free(secret);
	free(kpub);
	keyset_free(&set);
	settings_free(&s);
	unlink(priv);
	unlink(pub);
	rmdir(dir);
	free(priv);
	free(pub);
}

Test(names, error_text)
{
	int	i, j;

	/* The reasons are negative (src/mtapi.h): TOKEN_OK down to the last. */
	for (i = TOKEN_OK; i >= TOKEN_E_INTERNAL; i--) {
		cr_expect_str_neq(token_error_text(i), "unknown", "%d", i);
		for (j = TOKEN_OK; j > i; j--)
			cr_expect_str_neq(token_error_text(i),
			    token_error_text(j), "%d vs %d", i, j);
	}
	cr_expect_str_eq(token_error_text(1), "unknown");
	cr_expect_str_eq(token_error_text(TOKEN_E_INTERNAL - 1), "unknown");
}

Test(names, auth_types)
{
	int	t;

	for (t = AUTH_TYPE_USER; t <= AUTH_TYPE_SERVICE; t++)
		cr_expect_eq(token_auth_type_value(token_auth_type_name(t)), t);
	cr_expect_str_eq(token_auth_type_name(AUTH_TYPE_USER), "user");
	cr_expect_str_eq(token_auth_type_name(AUTH_TYPE_API_CLIENT),
	    "api_client");
	cr_expect_str_eq(token_auth_type_name(AUTH_TYPE_SERVICE), "service");
	cr_expect_str_eq(token_auth_type_name(0), "unknown");
	cr_expect_str_eq(token_auth_type_name(99), "unknown");
	cr_expect_eq(token_auth_type_value(NULL), 0);
	cr_expect_eq(token_auth_type_value(""), 0);
	cr_expect_eq(token_auth_type_value("User"), 0);
	cr_expect_eq(token_auth_type_value("unknown"), 0);
}
