/*
 * TLS on Debian's Kore 4.1.0 with OpenSSL 3.
 *
 * Kore's privilege-separated key manager installs the certificate's
 * *public* key in each worker with an RSA_METHOD that forwards signing to
 * the keymgr process. OpenSSL 3 ignores such methods on provider keys, so
 * every handshake fails with "tlsv1 alert internal error".
 *
 * The workaround: the parent reads certificate and key before the workers
 * fork, and keeps Kore from starting the keymgr at all (it starts one only
 * when a server is marked TLS when the parent configures; we clear the
 * mark there and restore it in each worker). Each worker then builds its
 * SSL_CTX itself, with the real private key, before its event loop runs:
 * there is no moment at which a handshake can meet a half-built context,
 * not at start, not when Kore respawns a worker. The cost: workers hold
 * the private key in memory.
 *
 * Rotation: every TLS_RELOAD_SECONDS each worker compares the files'
 * modification times and, when they changed and the new pair matches,
 * swaps in a new context in one step of its event loop.
 *
 * Session tickets: OpenSSL gives each context a random ticket key, so a
 * ticket would resume only on the worker, and the context, that issued
 * it: a certificate reload would send every client back to a full
 * handshake at once. The parent makes one key for all of them instead;
 * it lives as long as the server (a restart changes it).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mtapi.h"
#include "metrics.h"

#define TLS_SERVERS_MAX		8
#define TLS_DOMAINS_MAX		16
#define TLS_FILE_MAX		(256 * 1024)
/* Ticket key name, HMAC secret, AES key: 16 + 32 + 32 bytes. */
#define TLS_TICKET_KEYS_LEN	80

struct tls_domain {
	struct kore_domain	*dom;
	char			*cert_pem;
	size_t			cert_len;
	EVP_PKEY		*key;
	struct timespec		cert_mtime;
	struct timespec		key_mtime;
};

static struct kore_server	*tls_servers[TLS_SERVERS_MAX];
static size_t			tls_server_count;
static struct tls_domain	tls_domains[TLS_DOMAINS_MAX];
static size_t			tls_domain_count;
static unsigned char		tls_ticket_keys[TLS_TICKET_KEYS_LEN];

static int	tls_load(struct tls_domain *, char *, size_t);
static int	tls_read_file(const char *, char **, size_t *);
static int	tls_install(struct tls_domain *);
static void	tls_info(const SSL *, int, int);
static void	tls_reload_check(void *, u_int64_t);
static int	tls_mtime(const char *, struct timespec *);

int
tls_parent_prepare(char *err, size_t errlen)
{
	struct kore_server	*srv;
	struct kore_domain	*dom;
	struct tls_domain	*td;

	LIST_FOREACH(srv, &kore_servers, list) {
		if (!srv->tls)
			continue;
		if (tls_server_count == TLS_SERVERS_MAX) {
			(void)snprintf(err, errlen, "too many TLS servers");
			return (-1);
		}

		TAILQ_FOREACH(dom, &srv->domains, list) {
			if (tls_domain_count == TLS_DOMAINS_MAX) {
				(void)snprintf(err, errlen,
				    "too many TLS domains");
				return (-1);
			}
			td = &tls_domains[tls_domain_count];
			td->dom = dom;
			if (tls_load(td, err, errlen) == -1)
				return (-1);
			tls_domain_count++;
		}

		/* Keep Kore from starting the keymgr (see above). */
		srv->tls = 0;
		tls_servers[tls_server_count++] = srv;
	}

	if (tls_server_count > 0 &&
	    RAND_priv_bytes(tls_ticket_keys, sizeof(tls_ticket_keys)) != 1) {
		(void)snprintf(err, errlen, "cannot make session ticket keys");
		return (-1);
	}

	return (0);
}

void
tls_worker_install(void)
{
	size_t		i;

	if (tls_server_count == 0)
		return;

	for (i = 0; i < tls_domain_count; i++) {
		if (tls_install(&tls_domains[i]) == -1)
			fatalx("TLS setup failed for %s",
			    tls_domains[i].dom->domain);
	}

	for (i = 0; i < tls_server_count; i++)
		tls_servers[i]->tls = 1;

	kore_timer_add(tls_reload_check,
	    (u_int64_t)app.s.tls_reload_seconds * 1000, NULL, 0);
}

static int
tls_load(struct tls_domain *td, char *err, size_t errlen)
{
	BIO		*bio;
	X509		*x509;
	EVP_PKEY	*key;
	char		*cert, *kpem;
	size_t		clen, klen;
	int		ok;

	if (tls_read_file(td->dom->certfile, &cert, &clen) == -1) {
		(void)snprintf(err, errlen, "cannot read certificate %s: %s",
		    td->dom->certfile, strerror(errno));
		return (-1);
	}
	if (tls_read_file(td->dom->certkey, &kpem, &klen) == -1) {
		(void)snprintf(err, errlen, "cannot read key %s: %s",
		    td->dom->certkey, strerror(errno));
		kore_free(cert);
		return (-1);
	}

	key = NULL;
	x509 = NULL;
	if ((bio = BIO_new_mem_buf(kpem, (int)klen)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if ((bio = BIO_new_mem_buf(cert, (int)clen)) != NULL) {
		x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(kpem, klen);
	kore_free(kpem);

	ok = (key != NULL && x509 != NULL &&
	    X509_check_private_key(x509, key) == 1);
	X509_free(x509);

	if (!ok) {
		(void)snprintf(err, errlen, "certificate %s and key %s are "
		    "unreadable or do not match", td->dom->certfile,
		    td->dom->certkey);
		EVP_PKEY_free(key);
		kore_free(cert);
		return (-1);
	}

	if (td->key != NULL)
		EVP_PKEY_free(td->key);
	kore_free(td->cert_pem);

	td->key = key;
	td->cert_pem = cert;
	td->cert_len = clen;
	(void)tls_mtime(td->dom->certfile, &td->cert_mtime);
	(void)tls_mtime(td->dom->certkey, &td->key_mtime);

	return (0);
}

/*
 * Kore builds the context from the chain (with conf's versions and
 * suites); we then put the real key and the shared ticket keys in.
 */
static int
tls_install(struct tls_domain *td)
{
	kore_domain_tlsinit(td->dom, KORE_PEM_CERT_CHAIN, td->cert_pem,
	    td->cert_len);
	if (td->dom->ssl_ctx == NULL)
		return (-1);
	SSL_CTX_set_info_callback(td->dom->ssl_ctx, tls_info);

	if (SSL_CTX_use_PrivateKey(td->dom->ssl_ctx, td->key) != 1 ||
	    SSL_CTX_check_private_key(td->dom->ssl_ctx) != 1) {
		log_line(LOG_LEVEL_ERROR, NULL, "tls: key install failed: %s",
		    ERR_error_string(ERR_get_error(), NULL));
		return (-1);
	}

	if (SSL_CTX_set_tlsext_ticket_keys(td->dom->ssl_ctx, tls_ticket_keys,
	    sizeof(tls_ticket_keys)) != 1) {
		log_line(LOG_LEVEL_ERROR, NULL, "tls: ticket keys: %s",
		    ERR_error_string(ERR_get_error(), NULL));
		return (-1);
	}

	return (0);
}

static void
tls_reload_check(void *unused, u_int64_t now)
{
	struct tls_domain	*td;
	struct timespec		cm, km;
	size_t			i;
	char			err[256];

	for (i = 0; i < tls_domain_count; i++) {
		td = &tls_domains[i];
		if (tls_mtime(td->dom->certfile, &cm) == -1 ||
		    tls_mtime(td->dom->certkey, &km) == -1)
			continue;
		if (memcmp(&cm, &td->cert_mtime, sizeof(cm)) == 0 &&
		    memcmp(&km, &td->key_mtime, sizeof(km)) == 0)
			continue;

		/* A half-replaced pair does not match: keep the old one. */
		if (tls_load(td, err, sizeof(err)) == -1) {
			log_line(LOG_LEVEL_WARNING, NULL,
			    "tls: not reloading %s: %s", td->dom->domain, err);
			td->cert_mtime = cm;
			td->key_mtime = km;
			continue;
		}

		if (tls_install(td) == -1) {
			log_line(LOG_LEVEL_ERROR, NULL,
			    "tls: reload of %s failed", td->dom->domain);
			continue;
		}

		log_line(LOG_LEVEL_INFO, NULL, "tls: reloaded certificate "
		    "for %s", td->dom->domain);
	}
}

static int
tls_mtime(const char *path, struct timespec *ts)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return (-1);

	*ts = st.st_mtim;
	return (0);
}

static int
tls_read_file(const char *path, char **out, size_t *len)
{
	int		fd, saved;
	ssize_t		r;
	size_t		off;
	char		*buf;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);

	buf = kore_malloc(TLS_FILE_MAX + 1);
	off = 0;
	for (;;) {
		r = read(fd, buf + off, TLS_FILE_MAX - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
		if (off == TLS_FILE_MAX)
			break;
	}
	saved = errno;
	(void)close(fd);

	if (r == -1 || off == 0 || off == TLS_FILE_MAX) {
		OPENSSL_cleanse(buf, off);
		kore_free(buf);
		errno = (r == -1) ? saved : EINVAL;
		return (-1);
	}

	buf[off] = '\0';
	*out = buf;
	*len = off;

	return (0);
}

/*
 * Kore's own callback (it refuses renegotiation), then the metrics: a
 * handshake done, or one the server ended with a fatal alert.
 */
static void
tls_info(const SSL *ssl, int where, int ret)
{
	kore_tls_info_callback(ssl, where, ret);

	if (where & SSL_CB_HANDSHAKE_DONE)
		metrics_tls_handshake(1);
	else if ((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) &&
	    (ret >> 8) == SSL3_AL_FATAL && SSL_in_init(ssl))
		metrics_tls_handshake(0);
}
