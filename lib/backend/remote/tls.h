/* SPDX-License-Identifier: MIT */
/*
 * TLS 1.3 with mutual certificate authentication (OpenSSL) for the remote
 * TEE: the "remote" back-end's side (remote.c) and vtee-served's
 * (daemon/served.c) share it. Inside, each VM's TEE link stream
 * (docs/tee-link.md) is a channel (mux.h). docs/remote.md.
 */
#ifndef VTEE_REMOTE_TLS_H
#define VTEE_REMOTE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/*
 * A context for one side: TLS 1.3 only, our certificate and key, peers
 * verified against ca. 0, or -EINVAL / -ENOMEM with the reason in err.
 */
int vtee_tls_ctx(bool server, const char *ca, const char *cert, const char *key, SSL_CTX **out, char *err,
		 size_t errlen);

/*
 * Keep a dead or stalled peer from hanging anything: TCP_NODELAY, keepalive
 * probes from timeout_ms / 3 on, and TCP_USER_TIMEOUT = timeout_ms (data not
 * acknowledged for that long breaks the connection).
 */
void vtee_tls_tcp_options(int fd, unsigned timeout_ms);

/* SHA-256 of the peer's certificate (DER), as 64 lowercase hex digits: 0, -ENOENT (it has none), -EIO. */
int vtee_tls_peer_fingerprint(SSL *ssl, char out[65], char *subject, size_t subjlen);

/* The last OpenSSL error (or errno's) as text. */
void vtee_tls_error(char *err, size_t errlen, const char *what);

#endif
