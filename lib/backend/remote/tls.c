// SPDX-License-Identifier: MIT
/* TLS for the remote TEE (tls.h): contexts, TCP settings, peer identity. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

void vtee_tls_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", errno ? strerror(errno) : "failed");
	ERR_clear_error();
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, buf);
}

int vtee_tls_ctx(bool server, const char *ca, const char *cert, const char *key, SSL_CTX **out, char *err,
		 size_t errlen)
{
	if (!ca || !cert || !key) {
		snprintf(err, errlen, "TLS needs a CA, a certificate and its key (mutual authentication, always)");
		return -EINVAL;
	}
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!c) {
		vtee_tls_error(err, errlen, "SSL_CTX_new");
		return -ENOMEM;
	}
	const char *what = NULL;
	if (!SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION))
		what = "TLS 1.3 only";
	else if (SSL_CTX_use_certificate_chain_file(c, cert) != 1)
		what = cert;
	else if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1)
		what = key;
	else if (SSL_CTX_check_private_key(c) != 1)
		what = "the key does not match the certificate";
	else if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1)
		what = ca;
	if (what) {
		vtee_tls_error(err, errlen, what);
		SSL_CTX_free(c);
		return -EINVAL;
	}
	/* both sides prove who they are; no session tickets to resume a TEE link without it */
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(c, 0);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	/*
	 * The mux thread polls every side and must never sit in SSL_read() while the
	 * other side has bytes: without AUTO_RETRY, a record that carries no
	 * application data (a post-handshake message) returns WANT_READ instead
	 * of blocking for the next one. (It blocked once: the client's first link
	 * message waited behind it, and the handshake timed out.)
	 */
	SSL_CTX_clear_mode(c, SSL_MODE_AUTO_RETRY);
	*out = c;
	return 0;
}

void vtee_tls_tcp_options(int fd, unsigned timeout_ms)
{
	int one = 1, idle = (int)(timeout_ms / 3000) ? (int)(timeout_ms / 3000) : 1, intvl = 1, cnt = 3;
	unsigned ut = timeout_ms;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
}

int vtee_tls_peer_fingerprint(SSL *ssl, char out[65], char *subject, size_t subjlen)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	if (!x)
		return -ENOENT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	bool ok = X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
	for (unsigned i = 0; ok && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	if (subject && subjlen)
		X509_NAME_oneline(X509_get_subject_name(x), subject, (int)subjlen);
	X509_free(x);
	return ok ? 0 : -EIO;
}
