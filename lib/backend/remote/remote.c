// SPDX-License-Identifier: MIT
/*
 * The "remote" back-end: a VM's TEE served by vtee-served on another machine
 * (docs/remote.md). The VMs of one back-end instance share a pool of TCP
 * connections (pool=N), TLS 1.3 with both sides' certificates checked. Each
 * VM is a channel on one of them (mux.c), carrying the TEE link protocol: so
 * this is the "link" back-end on one end of a socketpair, whose other end the
 * connection's mux thread serves. Memrefs cross by value, in the directions
 * their parameters allow (the link protocol's rule).
 *
 * Faults: a dead server, a cut link or a stalled network break the TCP
 * connection within timeout_ms (keepalive and TCP_USER_TIMEOUT); the mux
 * then ends every channel on it, and the link back-end fails every call in flight
 * with TEE_ERROR_COMMUNICATION, and every later one at once. No vCPU waits
 * longer than its time slice in any case (the core's rule).
 *
 * Options, comma-separated:
 *   server=HOST:PORT   vtee-served's address (a name, an IPv4 address, or [IPv6]:PORT)
 *   ca=FILE            the CA that signed the server's certificate
 *   cert=FILE, key=FILE  this client's certificate (its tenant, to the server) and key
 *   name=NAME          the name the server's certificate must carry [HOST]
 *   timeout_ms=N       how long a silent network may hold a call, 500..600000 [5000]
 *   pool=N             connections to the server this instance's VMs share, 1..64 [1]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "link.h"
#include "mux.h"
#include "remote.h"
#include "tls.h"
#include "log.h"

#define REMOTE_PATH_MAX 512

/* One pooled connection: TLS, and the mux thread that serves its channels. */
struct pool_conn {
	struct pool_conn *next;
	int net;
	SSL *ssl;
	struct mux mux;
	pthread_t thread;
	_Atomic bool ended; /* mux_run returned: the stream is gone */
};

struct remote_tee {
	char host[256], port[16], name[256];
	char ca[REMOTE_PATH_MAX], cert[REMOTE_PATH_MAX], key[REMOTE_PATH_MAX];
	unsigned timeout_ms, pool_max;
	SSL_CTX *ctx;
	pthread_mutex_t pool_lock;
	struct pool_conn *pool;
};

struct remote_vm {
	void *link_tee, *link_vm; /* the link back-end, on our end of the channel's socketpair */
};

static const struct vtee_backend_ops *const link_ops = &vtee_link_backend;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vtee_log(VTEE_LOG_WARNING, "vtee-remote: %s", buf);
}

static bool copy_val(char *dst, size_t cap, const char *v, size_t n)
{
	if (!n || n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

/* server=HOST:PORT or [V6]:PORT, vl bytes at v. */
static bool parse_server(const char *v, size_t vl, struct remote_opts *o)
{
	const char *colon = NULL, *h = v;
	size_t hl;
	if (vl && v[0] == '[') {
		const char *rb = memchr(v, ']', vl);
		bool ok = rb && rb + 1 < v + vl && rb[1] == ':';
		h = v + 1;
		hl = ok ? (size_t)(rb - v - 1) : 0;
		colon = ok ? rb + 1 : NULL;
	} else {
		for (const char *p = v; p < v + vl; p++)
			if (*p == ':')
				colon = p;
		hl = colon ? (size_t)(colon - v) : 0;
	}
	size_t pl = colon ? (size_t)(v + vl - colon - 1) : 0;
	return colon && copy_val(o->host, sizeof(o->host), h, hl) && copy_val(o->port, sizeof(o->port), colon + 1, pl) &&
	       strspn(o->port, "0123456789") == pl;
}

int remote_parse_options(const char *options, struct remote_opts *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = REMOTE_DEFAULT_TIMEOUT_MS;
	o->pool = 1;
	for (const char *s = options ? options : ""; *s;) {
		size_t len = strcspn(s, ",");
		const char *item = s, *eq = memchr(item, '=', len);
		s += len + (s[len] == ',');
		if (!len)
			continue;
		if (!eq) {
			snprintf(err, errlen, "'%.*s': expected KEY=VALUE", (int)len, item);
			return -EINVAL;
		}
		size_t kl = (size_t)(eq - item), vl = len - kl - 1;
		const char *v = eq + 1;
		bool ok;
		if (kl == 6 && !strncmp(item, "server", 6)) {
			ok = parse_server(v, vl, o);
		} else if (kl == 2 && !strncmp(item, "ca", 2)) {
			ok = copy_val(o->ca, sizeof(o->ca), v, vl);
		} else if (kl == 4 && !strncmp(item, "cert", 4)) {
			ok = copy_val(o->cert, sizeof(o->cert), v, vl);
		} else if (kl == 3 && !strncmp(item, "key", 3)) {
			ok = copy_val(o->key, sizeof(o->key), v, vl);
		} else if (kl == 4 && !strncmp(item, "name", 4)) {
			ok = copy_val(o->name, sizeof(o->name), v, vl);
		} else if (kl == 4 && !strncmp(item, "pool", 4)) {
			char num[8];
			char *end;
			ok = copy_val(num, sizeof(num), v, vl);
			unsigned long n = ok ? strtoul(num, &end, 10) : 0;
			ok = ok && !*end && n >= 1 && n <= 64;
			o->pool = (unsigned)n;
		} else if (kl == 10 && !strncmp(item, "timeout_ms", 10)) {
			char num[16];
			char *end;
			ok = copy_val(num, sizeof(num), v, vl);
			unsigned long t = ok ? strtoul(num, &end, 10) : 0;
			ok = ok && !*end && t >= 500 && t <= 600000;
			o->timeout_ms = (unsigned)t;
		} else {
			snprintf(err, errlen, "unknown option '%.*s' (server, ca, cert, key, name, timeout_ms, pool)", (int)kl,
				 item);
			return -EINVAL;
		}
		if (!ok) {
			snprintf(err, errlen, "bad value in '%.*s'", (int)len, item);
			return -EINVAL;
		}
	}
	if (!o->host[0] || !o->ca[0] || !o->cert[0] || !o->key[0]) {
		snprintf(err, errlen, "server=, ca=, cert= and key= are all required (TLS with both certificates, always)");
		return -EINVAL;
	}
	if (!o->name[0])
		snprintf(o->name, sizeof(o->name), "%s", o->host);
	return 0;
}

static int remote_open(const char *options, void **out)
{
	struct remote_opts o;
	char err[384];
	int r = remote_parse_options(options, &o, err, sizeof(err));
	if (r) {
		logmsg("options: %s", err);
		return r;
	}
	struct remote_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	memcpy(t->host, o.host, sizeof(t->host));
	memcpy(t->port, o.port, sizeof(t->port));
	memcpy(t->name, o.name, sizeof(t->name));
	memcpy(t->ca, o.ca, sizeof(t->ca));
	memcpy(t->cert, o.cert, sizeof(t->cert));
	memcpy(t->key, o.key, sizeof(t->key));
	t->timeout_ms = o.timeout_ms;
	t->pool_max = o.pool;
	pthread_mutex_init(&t->pool_lock, NULL);
	r = vtee_tls_ctx(false, t->ca, t->cert, t->key, &t->ctx, err, sizeof(err));
	if (r) {
		logmsg("%s", err);
		pthread_mutex_destroy(&t->pool_lock);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

static void conn_free(struct pool_conn *c)
{
	mux_stop(&c->mux); /* the mux thread says close_notify: never this thread (SIGPIPE) */
	pthread_join(c->thread, NULL);
	SSL_free(c->ssl);
	close(c->net);
	mux_destroy(&c->mux);
	free(c);
}

static void remote_close(void *tee)
{
	struct remote_tee *t = tee;
	/* every VM is gone by now (the core destroys them first): end the connections */
	while (t->pool) {
		struct pool_conn *c = t->pool;
		t->pool = c->next;
		conn_free(c);
	}
	pthread_mutex_destroy(&t->pool_lock);
	SSL_CTX_free(t->ctx);
	free(t);
}

/* TCP connect within timeout_ms to the first address that answers: *out the socket. 0 or -errno. */
static int tcp_connect(const struct remote_tee *t, int *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	int g = getaddrinfo(t->host, t->port, &hints, &res);
	if (g) {
		logmsg("%s:%s: %s", t->host, t->port, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int fd = -1, err = -ECONNREFUSED;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		int r = connect(fd, a->ai_addr, a->ai_addrlen);
		if (r < 0 && errno == EINPROGRESS) {
			struct pollfd p = { fd, POLLOUT, 0 };
			int e = 0;
			socklen_t el = sizeof(e);
			r = poll(&p, 1, (int)t->timeout_ms);
			if (r == 0)
				errno = ETIMEDOUT;
			r = r > 0 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) && !e ? 0 : -1;
			if (e)
				errno = e;
		}
		if (r < 0) {
			err = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		logmsg("connecting to %s:%s: %s", t->host, t->port, strerror(-err));
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* the mux thread blocks, in its own thread */
	vtee_tls_tcp_options(fd, t->timeout_ms);
	*out = fd;
	return 0;
}

static void *mux_main(void *arg)
{
	struct pool_conn *c = arg;
	mux_run(&c->mux);
	atomic_store(&c->ended, true);
	return NULL;
}

/* A new pooled connection: TCP, TLS (both certificates), its mux thread. 0 or -errno (logged). */
static int conn_new(struct remote_tee *t, struct pool_conn **out)
{
	struct pool_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int r = tcp_connect(t, &c->net);
	if (r) {
		free(c);
		return r;
	}
	/* the TLS handshake within timeout_ms too */
	struct timeval tv = { .tv_sec = t->timeout_ms / 1000, .tv_usec = (t->timeout_ms % 1000) * 1000 };
	setsockopt(c->net, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->net, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char msg[384];
	c->ssl = SSL_new(t->ctx);
	X509_VERIFY_PARAM *vp = c->ssl ? SSL_get0_param(c->ssl) : NULL;
	struct in6_addr a6;
	struct in_addr a4;
	bool ip = inet_pton(AF_INET, t->name, &a4) == 1 || inet_pton(AF_INET6, t->name, &a6) == 1;
	if (!c->ssl || !SSL_set_fd(c->ssl, c->net) ||
	    !(ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, t->name) : X509_VERIFY_PARAM_set1_host(vp, t->name, 0)) ||
	    (!ip && !SSL_set_tlsext_host_name(c->ssl, t->name)) || SSL_connect(c->ssl) != 1) {
		long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
		if (vr != X509_V_OK)
			snprintf(msg, sizeof(msg), "the server's certificate: %s", X509_verify_cert_error_string(vr));
		else
			vtee_tls_error(msg, sizeof(msg), "TLS handshake");
		logmsg("%s:%s: %s", t->host, t->port, msg);
		if (c->ssl)
			SSL_free(c->ssl);
		close(c->net);
		free(c);
		return -EACCES;
	}
	struct timeval none = { 0 };
	setsockopt(c->net, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	setsockopt(c->net, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	r = mux_init(&c->mux, c->ssl);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!r)
		r = -pthread_create(&c->thread, NULL, mux_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		SSL_free(c->ssl);
		close(c->net);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

/*
 * A channel for a new VM on the pool: the live connection with the fewest
 * channels, or a new one while the pool has room (ended ones are reaped).
 * *fd: our end of the channel. 0 or -errno.
 */
static int pool_channel(struct remote_tee *t, int *fd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pthread_mutex_lock(&t->pool_lock);
	unsigned live = 0;
	struct pool_conn *best = NULL;
	for (struct pool_conn **pp = &t->pool; *pp;) {
		struct pool_conn *c = *pp;
		if (atomic_load(&c->ended) && !mux_channels(&c->mux)) {
			*pp = c->next;
			conn_free(c);
			continue;
		}
		if (!atomic_load(&c->ended)) {
			live++;
			if (!best || mux_channels(&c->mux) < mux_channels(&best->mux))
				best = c;
		}
		pp = &c->next;
	}
	int r = 0;
	if (!best || (mux_channels(&best->mux) && live < t->pool_max)) {
		struct pool_conn *c;
		r = conn_new(t, &c);
		if (!r) {
			c->next = t->pool;
			t->pool = c;
			best = c;
		} else if (best) {
			r = 0; /* the pool still has a live connection: use it */
		}
	}
	if (best && !r)
		r = mux_add(&best->mux, sv[1]); /* takes sv[1] */
	else
		close(sv[1]);
	pthread_mutex_unlock(&t->pool_lock);
	if (r) {
		close(sv[0]);
		return r;
	}
	*fd = sv[0];
	return 0;
}

static int remote_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct remote_tee *t = tee;
	struct remote_vm *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int fd = -1, r = pool_channel(t, &fd);
	if (r) {
		free(v);
		return r;
	}
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	r = link_ops->open(opt, &v->link_tee); /* owns fd from here, even on failure */
	if (!r)
		r = link_ops->vm_created(v->link_tee, vm_id, name, &v->link_vm);
	if (r == -ECONNRESET || r == -EPIPE) {
		/* TLS 1.3: the server checks our certificate after our side of the handshake is done */
		logmsg("%s:%s: the server closed the connection right after the TLS handshake: it refused this "
		       "client's certificate (%s: not a tenant's, or not signed by the CA it trusts)",
		       t->host, t->port, t->cert);
		r = -EACCES;
	}
	if (r) {
		if (v->link_tee)
			link_ops->close(v->link_tee);
		free(v);
		return r;
	}
	*out = v;
	return 0;
}

static void remote_vm_destroyed(void *vmp)
{
	struct remote_vm *v = vmp;
	link_ops->vm_destroyed(v->link_vm); /* DETACH_DESTROY: the server ends the VM */
	link_ops->close(v->link_tee);       /* closes our end: the mux sends CLOSE for the channel */
	free(v);
}

int vtee_remote_channel(struct vtee_tee *tee, int *fd)
{
	struct remote_tee *t = vtee_tee_backend_priv(tee, &vtee_remote_backend);
	if (!t || !fd)
		return -EINVAL;
	return pool_channel(t, fd);
}

static unsigned live_connections(struct remote_tee *t)
{
	pthread_mutex_lock(&t->pool_lock);
	unsigned n = 0;
	for (struct pool_conn *c = t->pool; c; c = c->next)
		n += !atomic_load(&c->ended);
	pthread_mutex_unlock(&t->pool_lock);
	return n;
}

int vtee_remote_pool_connections(struct vtee_tee *tee, unsigned *n)
{
	struct remote_tee *t = vtee_tee_backend_priv(tee, &vtee_remote_backend);
	if (!t || !n)
		return -EINVAL;
	*n = live_connections(t);
	return 0;
}

static void remote_submit(void *vmp, struct vtee_req *req)
{
	link_ops->submit(((struct remote_vm *)vmp)->link_vm, req);
}

static void remote_cancel(void *vmp, struct vtee_req *req)
{
	link_ops->cancel(((struct remote_vm *)vmp)->link_vm, req);
}

static long remote_session_count(void *vmp)
{
	struct remote_vm *v = vmp;
	return link_ops->vm_session_count ? link_ops->vm_session_count(v->link_vm) : -ENOTSUP;
}

/* The server's TEE answers (a remote TEE normally serves no storage: -ENOENT). */
static int remote_storage_stats(void *vmp, struct vtee_storage_stats *out)
{
	struct remote_vm *v = vmp;
	return link_ops->vm_storage_stats ? link_ops->vm_storage_stats(v->link_vm, out) : -EOPNOTSUPP;
}

int vtee_remote_round_trip(struct vtee_vm *vm, uint64_t *ns)
{
	struct remote_vm *v = vtee_vm_backend_priv(vm, &vtee_remote_backend);
	if (!v || !ns)
		return -EINVAL;
	struct timespec a, b;
	struct vtee_link_stats st;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = vtee_link_stats(v->link_vm, &st); /* STATS: answered by the server, the TEE runs nothing */
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ns = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return r;
}

const struct vtee_backend_ops vtee_remote_backend = {
	.name = "remote",
	.description = "a TEE on another machine: vtee-served over TLS 1.3 (server=, ca=, cert=, key=)",
	.open = remote_open,
	.close = remote_close,
	.vm_created = remote_vm_created,
	.vm_destroyed = remote_vm_destroyed,
	.submit = remote_submit,
	.cancel = remote_cancel,
	.vm_session_count = remote_session_count,
	.vm_storage_stats = remote_storage_stats,
};
VTEE_BACKEND_REGISTER(vtee_remote_backend);
