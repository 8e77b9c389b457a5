// SPDX-License-Identifier: MIT
/*
 * A client's connection: the server's cap on connections at once, TLS with
 * its certificate, its tenant and the tenant's cap, then its channels, each
 * a new link stream to the tenant's vtee-tee.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fdpass.h"
#include "mux.h"
#include "served.h"
#include "tls.h"

#define HANDSHAKE_MS 10000

struct conn {
	int fd;
	char peer[80];
};

/* t->lock held: its vtee-tee's control socket, started again if the last one ended. */
static int tenant_tee(struct tenant *t)
{
	if (t->ctl >= 0) {
		/* vtee-tee holds the other end until it exits: a hang-up means it is gone */
		struct pollfd pf = { t->ctl, POLLRDHUP, 0 };
		if (poll(&pf, 1, 0) == 0)
			return 0;
		served_log("tenant %s: its TEE process had ended (its sessions with it): starting another", t->name);
		close(t->ctl);
		t->ctl = -1;
	}
	pid_t pid;
	int err = spawner_spawn(t, &t->ctl, &pid);
	if (err) {
		served_log("tenant %s: starting %s: %s", t->name, srv.tee_path, strerror(-err));
		return err;
	}
	served_log("tenant %s: TEE process %d%s%s", t->name, (int)pid, t->policy[0] ? ", policy " : "", t->policy);
	return 0;
}

/* Hand one end of a new socketpair to the tenant's vtee-tee; the other end is ours. */
static int tenant_connect(struct tenant *t, int *mine)
{
	pthread_mutex_lock(&t->lock);
	int r = tenant_tee(t);
	int sv[2] = { -1, -1 };
	if (!r && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		r = -errno;
	if (!r) {
		r = vtee_send_fds(t->ctl, "C", 1, &sv[1], 1);
		close(sv[1]);
		if (r)
			close(sv[0]);
		else
			t->connections++;
	}
	pthread_mutex_unlock(&t->lock);
	*mine = sv[0];
	return r;
}

/* A new channel on a tenant's connection: a new link stream to its vtee-tee. */
static int channel_open(void *ctx, uint32_t channel)
{
	struct tenant *t = ctx;
	int local, r = tenant_connect(t, &local);
	if (r) {
		served_log("tenant %s: channel %u: no TEE: %s", t->name, channel, strerror(-r));
		return r;
	}
	return local;
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* TLS, within HANDSHAKE_MS; then the tenant the client's certificate names, in *out. 0, or -EACCES (logged). */
static int authenticate(struct conn *c, SSL *ssl, struct tenant **out)
{
	char err[384], fp[65], subject[256] = "";
	set_timeouts(c->fd, HANDSHAKE_MS);
	if (!ssl || !SSL_set_fd(ssl, c->fd) || SSL_accept(ssl) != 1) {
		vtee_tls_error(err, sizeof(err), "TLS handshake");
		served_log("%s: refused: %s", c->peer, err);
		return -EACCES;
	}
	set_timeouts(c->fd, 0);
	if (vtee_tls_peer_fingerprint(ssl, fp, subject, sizeof(subject))) {
		served_log("%s: refused: no client certificate", c->peer);
		return -EACCES;
	}
	struct tenant *t = tenant_by_fingerprint(fp);
	if (!t) {
		served_log("%s: refused: certificate %s (%s) is no tenant's", c->peer, fp, subject);
		return -EACCES;
	}
	pthread_mutex_lock(&t->lock);
	bool room = t->conns < t->max_conns;
	t->conns += room;
	pthread_mutex_unlock(&t->lock);
	if (!room) {
		served_log("%s: tenant %s: refused: it has its %u connections open already", c->peer, t->name,
			   t->max_conns);
		return -EACCES;
	}
	served_log("%s: tenant %s (%s): connected", c->peer, t->name, subject);
	*out = t;
	return 0;
}

/* Each channel the client opens is one VM's link stream, served by the tenant's vtee-tee. */
static void serve_channels(struct conn *c, struct tenant *t, SSL *ssl)
{
	struct mux m;
	if (mux_init(&m, ssl)) {
		served_log("%s: out of resources", c->peer);
		return;
	}
	m.on_open = channel_open;
	m.ctx = t;
	mux_run(&m);
	mux_destroy(&m);
	served_log("%s: tenant %s: disconnected", c->peer, t->name);
}

/* One connection fewer: below the cap again? */
static void conn_done(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.conns--;
	bool reopened = srv.at_cap;
	unsigned refused = srv.refused;
	srv.at_cap = false;
	srv.refused = 0;
	pthread_mutex_unlock(&srv.lock);
	if (reopened)
		served_log("below the cap of %u connections again (%u refused meanwhile)", srv.max_conns, refused);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	SSL *ssl = SSL_new(srv.ctx);
	struct tenant *t;
	if (!authenticate(c, ssl, &t)) {
		serve_channels(c, t, ssl);
		pthread_mutex_lock(&t->lock);
		t->conns--;
		pthread_mutex_unlock(&t->lock);
	}
	if (ssl)
		SSL_free(ssl);
	close(c->fd);
	free(c);
	conn_done();
	return NULL;
}

/* Room for one more connection: 0, or -EBUSY at the cap (logged the moment it is reached). */
static int take_slot(void)
{
	pthread_mutex_lock(&srv.lock);
	bool room = srv.conns < srv.max_conns;
	bool first_refusal = !room && !srv.at_cap;
	if (room) {
		srv.conns++;
	} else {
		srv.at_cap = true;
		srv.refused++;
	}
	pthread_mutex_unlock(&srv.lock);
	if (first_refusal)
		served_log("at its cap of %u connections at once ([server] connections, --max-connections): "
			   "refusing new ones until one ends", srv.max_conns);
	return room ? 0 : -EBUSY;
}

void conn_accepted(int fd, const struct sockaddr_storage *sa, socklen_t salen)
{
	if (take_slot()) {
		close(fd); /* before any TLS: a refusal costs the server nothing */
		return;
	}
	vtee_tls_tcp_options(fd, srv.timeout_ms);
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		conn_done();
		return;
	}
	c->fd = fd;
	char h[64] = "?", p[16] = "?";
	getnameinfo((const struct sockaddr *)sa, salen, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->peer, sizeof(c->peer), "%s:%s", h, p);
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, conn_main, c)) {
		close(fd);
		free(c);
		conn_done();
	}
	pthread_attr_destroy(&at);
}
