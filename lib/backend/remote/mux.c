// SPDX-License-Identifier: MIT
/* Many VMs' link streams over one TLS connection (mux.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mux.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mux_init(struct mux *m, SSL *ssl)
{
	memset(m, 0, sizeof(*m));
	m->ssl = ssl;
	m->next_id = 1;
	for (unsigned i = 0; i < MUX_MAX_CHANNELS; i++)
		m->chan[i].fd = -1;
	if (pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

void mux_destroy(struct mux *m)
{
	for (unsigned i = 0; i < MUX_MAX_CHANNELS; i++)
		if (m->chan[i].fd >= 0)
			close(m->chan[i].fd);
	close(m->wake[0]);
	close(m->wake[1]);
	pthread_mutex_destroy(&m->lock);
}

static void wake(struct mux *m)
{
	char b = 1;
	if (write(m->wake[1], &b, 1) < 0) {
		/* full: the mux thread is awake already */
	}
}

int mux_add(struct mux *m, int fd)
{
	pthread_mutex_lock(&m->lock);
	int r = m->dead || m->stop ? -EPIPE : -EMFILE;
	for (unsigned i = 0; i < MUX_MAX_CHANNELS && r == -EMFILE; i++)
		if (m->chan[i].fd < 0) {
			m->chan[i] = (struct mux_chan){ .id = m->next_id++, .fd = fd };
			if (!m->next_id)
				m->next_id = 1;
			m->nchan++;
			r = 0;
		}
	pthread_mutex_unlock(&m->lock);
	if (r)
		close(fd);
	else
		wake(m);
	return r;
}

unsigned mux_channels(struct mux *m)
{
	pthread_mutex_lock(&m->lock);
	unsigned n = m->nchan;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void mux_stop(struct mux *m)
{
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

/* ---- the TLS side: whole frames ---- */

/* One frame out: 0, or -EIO (the stream is broken). */
static int tls_write(struct mux *m, uint32_t id, uint32_t word, const void *data, uint32_t len)
{
	uint8_t buf[8 + MUX_MAX_DATA];
	put32(buf, id);
	put32(buf + 4, word | len);
	if (len)
		memcpy(buf + 8, data, len);
	int n = (int)(8 + len);
	for (;;) {
		int k = SSL_write(m->ssl, buf, n);
		if (k == n)
			return 0;
		int e = SSL_get_error(m->ssl, k);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -EIO;
	}
}

/* Exactly n bytes in: 0, or -EIO (the stream is broken). */
static int tls_read(struct mux *m, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		int k = SSL_read(m->ssl, b, (int)(n > MUX_MAX_DATA ? MUX_MAX_DATA : n));
		if (k > 0) {
			b += k;
			n -= (size_t)k;
			continue;
		}
		int e = SSL_get_error(m->ssl, k);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -EIO;
		struct pollfd pf = { SSL_get_fd(m->ssl), POLLIN, 0 };
		poll(&pf, 1, 1000);
	}
	return 0;
}

static struct mux_chan *find(struct mux *m, uint32_t id)
{
	for (unsigned i = 0; i < MUX_MAX_CHANNELS; i++)
		if (m->chan[i].fd >= 0 && m->chan[i].id == id)
			return &m->chan[i];
	return NULL;
}

/* mux thread only: the table's fds change nowhere else but mux_add (a free slot). */
static void drop(struct mux *m, struct mux_chan *c, bool tell)
{
	if (tell)
		tls_write(m, c->id, MUX_CLOSE, NULL, 0);
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	pthread_mutex_lock(&m->lock);
	c->fd = -1;
	m->nchan--;
	pthread_mutex_unlock(&m->lock);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One frame from the peer: 0, or -EIO / -EPROTO (the stream is broken, or not our protocol). */
static int on_frame(struct mux *m)
{
	uint8_t h[8], data[MUX_MAX_DATA];
	int r = tls_read(m, h, sizeof(h));
	if (r)
		return r;
	uint32_t id = get32(h), word = get32(h + 4), len = word & 0xffffu;
	if (len > MUX_MAX_DATA || (word & ~(MUX_OPEN | MUX_CLOSE | 0xffffu)) || !id)
		return -EPROTO; /* not our protocol: end it */
	if (len && (r = tls_read(m, data, len)))
		return r;
	struct mux_chan *c = find(m, id);
	if (word & MUX_OPEN) {
		int fd = c || !m->on_open ? -EPROTO : m->on_open(m->ctx, id);
		pthread_mutex_lock(&m->lock);
		struct mux_chan *slot = NULL;
		for (unsigned i = 0; fd >= 0 && i < MUX_MAX_CHANNELS && !slot; i++)
			if (m->chan[i].fd < 0)
				slot = &m->chan[i];
		if (slot) {
			*slot = (struct mux_chan){ .id = id, .fd = fd, .opened = true };
			m->nchan++;
		}
		pthread_mutex_unlock(&m->lock);
		if (!slot) {
			if (fd >= 0)
				close(fd);
			return tls_write(m, id, MUX_CLOSE, NULL, 0);
		}
		return 0;
	}
	if (!c)
		return 0; /* crossed our CLOSE */
	if (word & MUX_CLOSE) {
		drop(m, c, false);
		return 0;
	}
	if (write_all(c->fd, data, len))
		drop(m, c, true);
	return 0;
}

/* Every ready channel's bytes out, a frame each: 0, or -EIO (the stream is broken). */
static int pump_out(struct mux *m, struct pollfd *pf, struct mux_chan **who, unsigned n)
{
	uint8_t buf[MUX_MAX_DATA];
	for (unsigned i = 2; i < n; i++) {
		if (!pf[i].revents || who[i]->fd != pf[i].fd)
			continue; /* that frame closed (or replaced) the channel */
		ssize_t k = recv(pf[i].fd, buf, sizeof(buf), 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			drop(m, who[i], true); /* that VM's link is done */
			continue;
		}
		int r = tls_write(m, who[i]->id, 0, buf, (uint32_t)k);
		if (r)
			return r;
	}
	return 0;
}

void mux_run(struct mux *m)
{
	struct pollfd pf[MUX_MAX_CHANNELS + 2];
	struct mux_chan *who[MUX_MAX_CHANNELS + 2];
	for (;;) {
		pthread_mutex_lock(&m->lock);
		bool stop = m->stop;
		unsigned n = 0;
		pf[n++] = (struct pollfd){ m->wake[0], POLLIN, 0 };
		pf[n++] = (struct pollfd){ SSL_get_fd(m->ssl), POLLIN, 0 };
		for (unsigned i = 0; i < MUX_MAX_CHANNELS; i++)
			if (m->chan[i].fd >= 0) {
				who[n] = &m->chan[i];
				pf[n++] = (struct pollfd){ m->chan[i].fd, POLLIN, 0 };
			}
		pthread_mutex_unlock(&m->lock);
		if (stop) /* the owner is done: every channel goes */
			break;
		/* new channels: OPEN before any of their data */
		bool broken = false;
		for (unsigned i = 2; i < n && !broken; i++)
			if (!who[i]->opened) {
				broken = tls_write(m, who[i]->id, MUX_OPEN, NULL, 0) != 0;
				who[i]->opened = true;
			}
		if (broken)
			break;
		int r = poll(pf, n, SSL_pending(m->ssl) > 0 ? 0 : -1);
		if (r < 0 && errno != EINTR)
			break;
		if (pf[0].revents) {
			char d[64];
			while (read(m->wake[0], d, sizeof(d)) > 0)
				;
		}
		/* one frame in, then every ready channel out: neither direction starves the other */
		if ((SSL_pending(m->ssl) > 0 || pf[1].revents) && on_frame(m))
			break;
		if (pump_out(m, pf, who, n))
			break;
	}
	/* the stream is gone (or we stop): every VM on it sees its link end now */
	pthread_mutex_lock(&m->lock);
	bool orderly = m->stop;
	m->dead = true;
	pthread_mutex_unlock(&m->lock);
	/*
	 * close_notify from this thread, whose signals are blocked: a write on a
	 * connection the peer reset raises SIGPIPE, which would kill a caller's.
	 */
	if (orderly)
		SSL_shutdown(m->ssl);
	for (unsigned i = 0; i < MUX_MAX_CHANNELS; i++)
		if (m->chan[i].fd >= 0)
			drop(m, &m->chan[i], false);
	ERR_clear_error();
}
