/*
 * TLS: the production server (conf/mtapi-tls.conf with src/tls.c's
 * workaround) answers over TLS 1.2 and 1.3, refuses older versions and
 * suites outside Mozilla's "intermediate" list, resumes sessions on every
 * worker, and picks up a new certificate and key when the files are
 * replaced, without a failed handshake at any moment of the swap.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"

#define FP_LEN		(EVP_MAX_MD_SIZE * 2 + 1)

struct tls_res {
	CURLcode	rc;
	long		status;
	char		err[CURL_ERROR_SIZE];
	char		body[4096];
	size_t		len;
	int		version;	/* SSL_version() of the connection */
	char		cipher[64];	/* the negotiated suite */
	char		fp[FP_LEN];	/* SHA-256 of the served cert */
	CURL		*curl;		/* during the transfer only */
};

static int	tls_get(const char *, long, const char *, struct tls_res *);
static size_t	tls_write(char *, size_t, size_t, void *);
static void	tls_peer(struct tls_res *);
static void	cert_fp(X509 *, char *);
static void	file_fp(const char *, char *);
static void	tls_path(char *, size_t, const char *);
static void	put_file(const char *, const char *, size_t, const char *);
static const char	*version_name(int);
static int	resumed(const char *, const char *, const char *, int, int *);

Test(tls, tls12_request)
{
	struct tls_res	r;

	tls_get("/health/", CURL_SSLVERSION_TLSv1_2 |
	    CURL_SSLVERSION_MAX_TLSv1_2, NULL, &r);
	cr_assert_eq(r.rc, CURLE_OK, "TLS 1.2 request failed: %s", r.err);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(r.version, TLS1_2_VERSION, "negotiated %s, not TLS 1.2",
	    version_name(r.version));
	cr_assert(strstr(r.body, "\"status\":\"healthy\"") != NULL, "%s",
	    r.body);
	cr_assert(strstr(r.body, "\"database\":\"ok\"") != NULL, "%s", r.body);
}

Test(tls, tls13_request)
{
	struct tls_res	r;

	tls_get("/health/", CURL_SSLVERSION_TLSv1_3 |
	    CURL_SSLVERSION_MAX_TLSv1_3, NULL, &r);
	cr_assert_eq(r.rc, CURLE_OK, "TLS 1.3 request failed: %s", r.err);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(r.version, TLS1_3_VERSION, "negotiated %s, not TLS 1.3",
	    version_name(r.version));
	cr_assert(strstr(r.body, "\"status\":\"healthy\"") != NULL, "%s",
	    r.body);
}

/* The negotiated version as openssl s_client reports it, a second view. */
Test(tls, s_client_sees_both_versions)
{
	const char	*url, *hostport, *flags[] = { "-tls1_2", "-tls1_3" };
	const char	*want[] = { "TLSv1.2", "TLSv1.3" };
	char		cmd[1024], line[512];
	FILE		*fp;
	int		i, seen, verified;

	url = h_env("MTAPI_TEST_TLS_URL");
	hostport = strstr(url, "://");
	cr_assert_not_null(hostport);
	hostport += 3;

	for (i = 0; i < 2; i++) {
		(void)snprintf(cmd, sizeof(cmd), "openssl s_client -connect "
		    "%s %s -brief </dev/null 2>&1", hostport, flags[i]);
		fp = popen(cmd, "r");
		cr_assert_not_null(fp);
		seen = verified = 0;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (strstr(line, "Protocol version:") != NULL &&
			    strstr(line, want[i]) != NULL)
				seen = 1;
			if (strstr(line, "CONNECTION ESTABLISHED") != NULL)
				verified = 1;
		}
		pclose(fp);
		cr_assert(verified, "%s: no connection", cmd);
		cr_assert(seen, "%s: not %s", cmd, want[i]);
	}
}

Test(tls, tls11_and_tls10_refused)
{
	struct tls_res	r;
	long		versions[] = {
		CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1,
		CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_0,
	};
	size_t		i;

	for (i = 0; i < 2; i++) {
		/*
		 * OpenSSL 3 clients allow TLS < 1.2 only at security level 0:
		 * lower it, so that the refusal is the server's (it answers
		 * with a protocol_version alert) and not our own.
		 */
		tls_get("/health/", versions[i], "DEFAULT:@SECLEVEL=0", &r);
		cr_assert_neq(r.rc, CURLE_OK, "TLS 1.%zu was accepted (%ld)",
		    1 - i, r.status);
		cr_assert(strstr(r.err, "alert protocol version") != NULL,
		    "TLS 1.%zu: not refused by the server: %s", 1 - i, r.err);
	}
}

/*
 * Issue 12.14: Mozilla's "intermediate" list. TLS 1.2 only with ECDHE and
 * an AEAD cipher (TLS 1.3's suites are all AEAD): CBC with SHA-1 or
 * SHA-2, DHE and RSA key exchange are refused. Each client offers the
 * suite for RSA and for ECDSA certificates, so the refusal is the list's
 * whatever the server's key, and is the server's (a handshake failure
 * alert).
 */
Test(tls, only_ecdhe_aead_suites_on_tls12)
{
	static const char *const refused[] = {
		"ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA",
		"DHE-RSA-AES256-SHA",
		"ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA",
		"ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256",
		"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
		"AES128-GCM-SHA256:AES256-GCM-SHA384",
		NULL
	};
	static const char *const accepted[] = {
		"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
		"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384",
		"ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305",
		NULL
	};
	struct tls_res	r;
	size_t		i;

	for (i = 0; refused[i] != NULL; i++) {
		tls_get("/health/", CURL_SSLVERSION_TLSv1_2 |
		    CURL_SSLVERSION_MAX_TLSv1_2, refused[i], &r);
		cr_assert_neq(r.rc, CURLE_OK, "%s was accepted: %s",
		    refused[i], r.cipher);
		cr_assert(strstr(r.err, "alert handshake failure") != NULL,
		    "%s: not refused by the server: %s", refused[i], r.err);
	}
	for (i = 0; accepted[i] != NULL; i++) {
		tls_get("/health/", CURL_SSLVERSION_TLSv1_2 |
		    CURL_SSLVERSION_MAX_TLSv1_2, accepted[i], &r);
		cr_assert_eq(r.rc, CURLE_OK, "%s: %s", accepted[i], r.err);
		cr_assert_eq(r.status, 200);
		cr_assert(strstr(accepted[i], r.cipher) != NULL,
		    "%s: negotiated %s", accepted[i], r.cipher);
	}

	/* What a client of the default list gets: ECDHE and AEAD. */
	tls_get("/health/", CURL_SSLVERSION_TLSv1_2 |
	    CURL_SSLVERSION_MAX_TLSv1_2, NULL, &r);
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.err);
	cr_assert(!strncmp(r.cipher, "ECDHE-", 6) &&
	    (strstr(r.cipher, "GCM") != NULL ||
	    strstr(r.cipher, "CHACHA20") != NULL), "negotiated %s", r.cipher);
}

/*
 * Session resumption stays on (issue 12.14), TLS 1.2 and 1.3, and
 * outlives a certificate reload: every context of every worker has the
 * same ticket keys (src/tls.c). With a key per context, a reload sent
 * every client back to a full handshake.
 */
Test(tls, sessions_resume_across_a_reload, .timeout = 60)
{
	static const char *const flags[] = { "-tls1_2", "-tls1_3" };
	const char	*url, *hostport;
	char		sess[2][128], path[1024];
	int		i, rc, fresh;

	url = h_env("MTAPI_TEST_TLS_URL");
	hostport = strstr(url, "://");
	cr_assert_not_null(hostport);
	hostport += 3;

	for (i = 0; i < 2; i++) {
		(void)snprintf(sess[i], sizeof(sess[i]),
		    "/tmp/mtapi-tls-sess.%ld.%d", (long)getpid(), i);
		/* A request and its answer: TLS 1.3 tickets come after. */
		rc = system(h_fmt("printf 'GET /health/ HTTP/1.0\\r\\n\\r\\n' | "
		    "openssl s_client -connect %s %s -ign_eof -sess_out %s "
		    ">/dev/null 2>&1", hostport, flags[i], sess[i]));
		cr_assert_eq(rc, 0, "%s: first connection failed", flags[i]);
		cr_expect_eq(resumed(hostport, flags[i], sess[i], 6, &fresh),
		    6, "%s: %d full handshakes of 6", flags[i], fresh);
	}

	/* The same pair, newer files: every worker makes a new context. */
	tls_path(path, sizeof(path), "server.pem");
	cr_assert_eq(utime(path, NULL), 0, "%s: %s", path, strerror(errno));
	tls_path(path, sizeof(path), "key.pem");
	cr_assert_eq(utime(path, NULL), 0, "%s: %s", path, strerror(errno));
	h_sleep_ms(2500);	/* TLS_RELOAD_SECONDS is 1 in make test */

	for (i = 0; i < 2; i++) {
		cr_expect_eq(resumed(hostport, flags[i], sess[i], 6, &fresh),
		    6, "%s after a reload: %d full handshakes of 6", flags[i],
		    fresh);
		(void)unlink(sess[i]);
	}
}

/* Of n connections with the session in file sess, how many resumed. */
static int
resumed(const char *hostport, const char *flag, const char *sess, int n,
    int *fresh)
{
	FILE		*fp;
	char		line[512];
	int		i, reused;

	reused = *fresh = 0;
	for (i = 0; i < n; i++) {
		fp = popen(h_fmt("printf 'GET /health/ HTTP/1.0\\r\\n\\r\\n' | "
		    "openssl s_client -connect %s %s -ign_eof -sess_in %s 2>&1",
		    hostport, flag, sess), "r");
		cr_assert_not_null(fp);
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (!strncmp(line, "Reused,", 7))
				reused++;
			else if (!strncmp(line, "New,", 4))
				(*fresh)++;
		}
		pclose(fp);
	}

	return (reused);
}

Test(tls, responses_carry_request_id_and_json_errors)
{
	struct h_resp	*r;
	char		buf[128];

	r = h_req_url("GET", h_fmt("%s/no/such/route/",
	    h_env("MTAPI_TEST_TLS_URL")), NULL, NULL, NULL);
	cr_assert_eq(r->status, 404);
	cr_assert_str_eq(h_str(r, "code"), "not_found");
	cr_assert_not_null(h_header(r, "x-request-id", buf, sizeof(buf)));
	h_free(r);

	r = h_req_url("GET", h_fmt("%s/api/v1/projects/",
	    h_env("MTAPI_TEST_TLS_URL")), h_token(H_ACME), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_array(json_object_get(r->json, "results")));
	h_free(r);
}

/*
 * Certificate rotation. The new pair is written beside the live files and
 * renamed over them one at a time, so the server sees, for at least one
 * reload period, a new key with the old certificate: it must keep serving
 * the old pair then, and switch once both files are new. Every handshake
 * of the whole time must succeed.
 */

static char	*orig_cert, *orig_key;
static size_t	orig_cert_len, orig_key_len;
static int	swapped;
static char	newkey[1024], newcert[1024];

static void
reload_init(void)
{
	char	path[1024];

	tls_path(path, sizeof(path), "server.pem");
	orig_cert = h_read_file(path, &orig_cert_len);
	tls_path(path, sizeof(path), "key.pem");
	orig_key = h_read_file(path, &orig_key_len);
	cr_assert(orig_cert != NULL && orig_key != NULL,
	    "cannot read the server's certificate and key");
}

/* Put the original pair back even when the test failed half-way. */
static void
reload_fini(void)
{
	char	path[1024];

	if (swapped && orig_cert != NULL && orig_key != NULL) {
		tls_path(path, sizeof(path), "key.pem");
		put_file(path, orig_key, orig_key_len, ".fini");
		tls_path(path, sizeof(path), "server.pem");
		put_file(path, orig_cert, orig_cert_len, ".fini");
		swapped = 0;
	}
	free(orig_cert);
	free(orig_key);
	/* The new pair, if the test stopped before moving it into place. */
	if (newkey[0] != '\0')
		(void)unlink(newkey);
	if (newcert[0] != '\0')
		(void)unlink(newcert);
}

/* Requests until the served certificate is want (or timeout ms pass). */
static void
poll_for(const char *want, long timeout, const char *phase)
{
	struct tls_res	r;
	long		start;
	int		n;

	start = h_now_ms();
	for (n = 0;; n++) {
		tls_get("/health/", CURL_SSLVERSION_DEFAULT, NULL, &r);
		cr_assert_eq(r.rc, CURLE_OK, "%s: handshake %d failed: %s",
		    phase, n, r.err);
		cr_assert_eq(r.status, 200, "%s: request %d: %ld %s", phase,
		    n, r.status, r.body);
		if (!strcmp(r.fp, want))
			return;
		cr_assert(h_now_ms() - start < timeout, "%s: still serving %s "
		    "after %ld ms, want %s", phase, r.fp, timeout, want);
		h_sleep_ms(25);
	}
}

/* Every request for ms milliseconds serves want. */
static void
steady(const char *want, long ms, const char *phase)
{
	struct tls_res	r;
	long		start;
	int		n;

	start = h_now_ms();
	for (n = 0; h_now_ms() - start < ms || n < 10; n++) {
		tls_get("/health/", CURL_SSLVERSION_DEFAULT, NULL, &r);
		cr_assert_eq(r.rc, CURLE_OK, "%s: handshake %d failed: %s",
		    phase, n, r.err);
		cr_assert_eq(r.status, 200, "%s: request %d: %ld %s", phase,
		    n, r.status, r.body);
		cr_assert_str_eq(r.fp, want, "%s: request %d served another "
		    "certificate", phase, n);
		h_sleep_ms(25);
	}
}

Test(tls, certificate_reload_without_failed_handshakes,
    .init = reload_init, .fini = reload_fini, .timeout = 60)
{
	struct tls_res	r;
	char		cmd[4096], path[1024];
	char		fp_old[FP_LEN], fp_new[FP_LEN], fp_file[FP_LEN];
	int		rc;

	/* What is served now is what the files hold. */
	tls_get("/health/", CURL_SSLVERSION_DEFAULT, NULL, &r);
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.err);
	cr_assert_eq(r.status, 200);
	(void)snprintf(fp_old, sizeof(fp_old), "%s", r.fp);
	tls_path(path, sizeof(path), "server.pem");
	file_fp(path, fp_file);
	cr_assert_str_eq(fp_old, fp_file, "served certificate is not %s",
	    path);

	/* A new pair, beside the live files (same file system: rename). */
	tls_path(newkey, sizeof(newkey), h_fmt(".reload-key.%ld",
	    (long)getpid()));
	tls_path(newcert, sizeof(newcert), h_fmt(".reload-cert.%ld",
	    (long)getpid()));
	(void)snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 "
	    "-nodes -days 2 -subj /CN=mtapi-reload-%ld -addext "
	    "subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
	    (long)getpid(), newkey, newcert);
	rc = system(cmd);
	cr_assert_eq(rc, 0, "%s failed", cmd);
	file_fp(newcert, fp_new);
	cr_assert_str_neq(fp_new, fp_old);

	/* The key first: a mismatched pair on disk must not be served. */
	swapped = 1;
	tls_path(path, sizeof(path), "key.pem");
	cr_assert_eq(rename(newkey, path), 0, "rename: %s", strerror(errno));
	steady(fp_old, 1000 * 2 + 500, "new key, old certificate");

	/* Then the certificate: the new pair comes into service. */
	tls_path(path, sizeof(path), "server.pem");
	cr_assert_eq(rename(newcert, path), 0, "rename: %s", strerror(errno));
	poll_for(fp_new, 5000, "new pair");
	/* Every worker reloads within a period: nobody serves the old. */
	h_sleep_ms(1500);
	steady(fp_new, 1000, "after reload");

	/* Back to the original pair, the certificate first this time. */
	tls_path(path, sizeof(path), "server.pem");
	put_file(path, orig_cert, orig_cert_len, ".restore");
	steady(fp_new, 1000 * 2 + 500, "old certificate, new key");
	tls_path(path, sizeof(path), "key.pem");
	put_file(path, orig_key, orig_key_len, ".restore");
	swapped = 0;
	poll_for(fp_old, 5000, "original pair");
	h_sleep_ms(1500);
	steady(fp_old, 500, "after restore");
}

/* A TLS request to the test server; fills r (rc != CURLE_OK: r->err). */
static int
tls_get(const char *path, long version, const char *ciphers,
    struct tls_res *r)
{
	CURL		*c;

	memset(r, 0, sizeof(*r));
	c = curl_easy_init();
	cr_assert_not_null(c);
	r->curl = c;

	curl_easy_setopt(c, CURLOPT_URL, h_fmt("%s%s",
	    h_env("MTAPI_TEST_TLS_URL"), path));
	curl_easy_setopt(c, CURLOPT_SSLVERSION, version);
	if (ciphers != NULL)
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, ciphers);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tls_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);

	r->rc = curl_easy_perform(c);
	if (r->rc != CURLE_OK && r->err[0] == '\0')
		(void)snprintf(r->err, sizeof(r->err), "%s",
		    curl_easy_strerror(r->rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->rc == CURLE_OK && r->version == 0)
		tls_peer(r);
	r->curl = NULL;
	curl_easy_cleanup(c);

	return (r->rc == CURLE_OK ? 0 : -1);
}

/* The connection is live while data arrives: read its TLS state here. */
static size_t
tls_write(char *data, size_t size, size_t n, void *arg)
{
	struct tls_res	*r = arg;
	size_t		len = size * n, room;

	if (r->version == 0)
		tls_peer(r);

	room = sizeof(r->body) - 1 - r->len;
	if (len < room)
		room = len;
	memcpy(r->body + r->len, data, room);
	r->len += room;
	r->body[r->len] = '\0';

	return (len);
}

static void
tls_peer(struct tls_res *r)
{
	struct curl_tlssessioninfo	*info;
	SSL				*ssl;
	X509				*x;

	info = NULL;
	if (curl_easy_getinfo(r->curl, CURLINFO_TLS_SSL_PTR, &info) !=
	    CURLE_OK || info == NULL ||
	    info->backend != CURLSSLBACKEND_OPENSSL ||
	    (ssl = info->internals) == NULL)
		return;

	r->version = SSL_version(ssl);
	(void)snprintf(r->cipher, sizeof(r->cipher), "%s",
	    SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	if ((x = SSL_get1_peer_certificate(ssl)) != NULL) {
		cert_fp(x, r->fp);
		X509_free(x);
	}
}

static void
cert_fp(X509 *x, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len, i;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &len) != 1)
		return;
	for (i = 0; i < len; i++)
		(void)snprintf(out + i * 2, 3, "%02x", md[i]);
}

static void
file_fp(const char *path, char *out)
{
	FILE		*fp;
	X509		*x;

	fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	cr_assert_not_null(x, "%s: no certificate", path);
	cert_fp(x, out);
	X509_free(x);
}

static void
tls_path(char *buf, size_t len, const char *name)
{
	(void)snprintf(buf, len, "%s/%s", h_env("MTAPI_TEST_TLS_DIR"), name);
}

/* Write data to path + suffix, then rename it over path: atomic. */
static void
put_file(const char *path, const char *data, size_t len, const char *suffix)
{
	char		tmp[1100];
	FILE		*fp;

	(void)snprintf(tmp, sizeof(tmp), "%s%s.%ld", path, suffix,
	    (long)getpid());
	fp = fopen(tmp, "w");
	cr_assert_not_null(fp, "%s: %s", tmp, strerror(errno));
	(void)fchmod(fileno(fp), 0600);
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(rename(tmp, path), 0, "rename %s: %s", tmp,
	    strerror(errno));
}

static const char *
version_name(int v)
{
	switch (v) {
	case TLS1_VERSION:
		return ("TLS 1.0");
	case TLS1_1_VERSION:
		return ("TLS 1.1");
	case TLS1_2_VERSION:
		return ("TLS 1.2");
	case TLS1_3_VERSION:
		return ("TLS 1.3");
	default:
		return ("unknown");
	}
}
