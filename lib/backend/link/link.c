// SPDX-License-Identifier: MIT
/*
 * The "link" back-end: the TEE runs elsewhere (vtee-tee, a process the
 * supervisor owns, or another machine) and is reached over one byte stream
 * (docs/tee-link.md): a stream socket, or a shared-memory channel. The
 * mediator can then die at any instant: the TEE keeps the VM's sessions,
 * and a restarted mediator attaches with "resume", imports the sessions it
 * still knows and says RESTORED.
 *
 * This file: options, the transport, the handshake, open and close, and
 * what every other part uses (sending a message, breaking the link). The
 * threads and the life of a request: link_priv.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link_priv.h"
#include "log.h"

void link_log(struct link_tee *t, const char *fmt, ...)
{
	char buf[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vtee_log(VTEE_LOG_WARNING, "vtee-link[%s]: %s", t->label[0] ? t->label : "-", buf);
}

void link_fail_req(struct vtee_req *req, uint32_t ret, uint32_t origin)
{
	req->ret = ret;
	req->ret_origin = origin;
	vtee_req_done(req);
}

void link_pend_free(struct pend *p)
{
	free(p->open_sess);
	free(p);
}

int link_thread_start(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(th, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

/* A request nobody owns (not being sent, not in an RPC), taken out of the table; NULL if none. */
static struct pend *take_idle_req(struct link_tee *t)
{
	size_t pos = 0;
	uint64_t key;
	struct pend *p, *take = NULL;
	pthread_mutex_lock(&t->lock);
	while (!take && (p = idmap_next(&t->pend, &pos, &key)))
		if (p->kind == PEND_REQ && !p->sending && !p->in_rpc)
			take = p;
	if (take)
		idmap_del(&t->pend, take->tag);
	pthread_mutex_unlock(&t->lock);
	return take;
}

void link_break(struct link_tee *t, const char *fmt, ...)
{
	pthread_mutex_lock(&t->lock);
	bool first = !t->broken;
	t->broken = true;
	if (first)
		t->x.ops->shutdown(&t->x);
	pthread_cond_broadcast(&t->cond);
	pthread_cond_broadcast(&t->rx_cond);
	pthread_mutex_unlock(&t->lock);

	if (first && fmt) {
		char buf[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		link_log(t, "link down: %s", buf);
	}
	/* One at a time, allocating nothing: this path must work when memory is short. */
	struct pend *p;
	while ((p = take_idle_req(t))) {
		struct vtee_req *req = p->req;
		link_pend_free(p);
		link_fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	}
}

bool link_is_broken(struct link_tee *t)
{
	pthread_mutex_lock(&t->lock);
	bool b = t->broken;
	pthread_mutex_unlock(&t->lock);
	return b;
}

bool link_send(struct link_tee *t, uint16_t type, uint64_t tag, const void *a, size_t alen, const void *b,
	       size_t blen)
{
	struct tl_hdr h = tl_hdr_make(t->version, type, (uint32_t)(alen + blen), tag);
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)a, alen }, { (void *)b, blen } };
	pthread_mutex_lock(&t->send_lock);
	int r = t->x.ops->writev_all(&t->x, iov, 3);
	pthread_mutex_unlock(&t->send_lock);
	if (r) {
		link_break(t, "send %s: %s", tl_type_name(type), strerror(-r));
		return false;
	}
	return true;
}

/* ---- options, open, close ---- */

/* A non-negative fd number, the whole of s[0..len). */
static int parse_fd(const char *s, size_t len, int *fd)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!len || errno || end != s + len || v < 0 || v > 1000000 || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

/* "fd=N[,chan=M][,resume]": the stream socket (with a channel: its set-up socket), the channel's memfd. */
static int parse_options(const char *options, int *fd, int *memfd, bool *resume)
{
	*fd = *memfd = -1;
	*resume = false;
	if (!options)
		return -EINVAL;
	for (const char *s = options; *s;) {
		size_t len = strcspn(s, ",");
		int r = -EINVAL;
		if (len > 3 && !strncmp(s, "fd=", 3))
			r = parse_fd(s + 3, len - 3, fd);
		else if (len > 5 && !strncmp(s, "chan=", 5))
			r = parse_fd(s + 5, len - 5, memfd);
		else if (len == 6 && !strncmp(s, "resume", 6)) {
			*resume = true;
			r = 0;
		}
		if (r)
			return r;
		s += len;
		if (*s == ',')
			s++;
	}
	return *fd >= 0 ? 0 : -EINVAL;
}

/* Wait (to the deadline) until rb holds n bytes; 0, -ETIMEDOUT, -ECONNRESET (EOF) or -errno. */
static int handshake_fill(struct link_tee *t, size_t n, uint64_t deadline_ns)
{
	while (tl_rb_avail(&t->rb) < n) {
		int w = t->x.ops->wait_readable(&t->x, 1000);
		if (w < 0)
			return w;
		if (w == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec >= deadline_ns)
				return -ETIMEDOUT;
			continue;
		}
		ssize_t k = tl_rb_fill(&t->rb, MSG_DONTWAIT);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0 && k != -EAGAIN)
			return (int)k;
	}
	return 0;
}

/* HELLO, then WELCOME within the timeout. */
static int handshake(struct link_tee *t)
{
	struct tl_hello hello = { .version_min = tl_le16(TL_VERSION_MIN), .version_max = tl_le16(TL_VERSION_MAX) };
	struct tl_hdr h = tl_hdr_make(TL_VERSION_BASE, TL_HELLO, sizeof(hello), 0);
	struct iovec iov[2] = { { &h, sizeof(h) }, { &hello, sizeof(hello) } };
	int r = t->x.ops->writev_all(&t->x, iov, 2);
	if (r)
		return r;

	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t deadline = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
			    LINK_HELLO_TIMEOUT_MS * 1000000ull;
	/* an ERROR instead of WELCOME is shorter: look at the header as soon as it is in */
	struct tl_welcome w;
	r = handshake_fill(t, sizeof(h), deadline);
	if (r)
		return r;
	tl_rb_take(&t->rb, &h, sizeof(h));
	tl_hdr_host(&h);
	if (h.magic != TL_MAGIC || h.type != TL_WELCOME || h.version != TL_VERSION_BASE ||
	    h.length != sizeof(w) || h.reserved)
		return -EPROTO;
	r = handshake_fill(t, sizeof(w), deadline);
	if (r)
		return r;
	tl_rb_take(&t->rb, &w, sizeof(w));
	uint16_t v = tl_h16(w.version);
	if (v < TL_VERSION_MIN || v > TL_VERSION_MAX)
		return -EPROTONOSUPPORT;
	t->version = v;
	return 0;
}

static void link_free(struct link_tee *t)
{
	pthread_cond_destroy(&t->rx_cond);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->send_lock);
	free(t);
}

static struct link_tee *link_new(void)
{
	struct link_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->send_lock, NULL);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_cond_init(&t->rx_cond, &ca);
	pthread_condattr_destroy(&ca);
	return t;
}

static int link_open(const char *options, void **out)
{
	int fd, memfd;
	bool resume;
	int r = parse_options(options, &fd, &memfd, &resume);
	if (r)
		return r;
	struct link_tee *t = link_new();
	if (!t)
		return -ENOMEM;
	t->resume = resume;
	r = link_xport_open(fd, memfd, &t->x);
	if (r) {
		link_free(t);
		return r; /* the fds stay the caller's */
	}
	link_xport_reader(&t->x, &t->rb);
	t->reader = t->x.ops->ready ? READER_NONE : READER_RX;
	vtee_spin_init(&t->pump, t->x.pump_ns);
	r = handshake(t);
	if (r)
		link_log(t, "handshake with the TEE over its %s failed: %s", t->x.ops->name, strerror(-r));
	else
		r = link_thread_start(&t->rx, NULL, link_rx_main, t);
	if (r) {
		/* the fds stay the caller's: unmap a channel, close nothing */
		if (t->x.chan)
			vtee_chan_close(t->x.chan);
		link_free(t);
		return r;
	}
	*out = t;
	return 0;
}

static void link_close(void *tee)
{
	struct link_tee *t = tee;
	link_break(t, NULL);
	pthread_join(t->rx, NULL);
	pthread_mutex_lock(&t->lock);
	while (t->helpers)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	/* every VM was destroyed first, so nothing is pending any more */
	size_t pos = 0;
	uint64_t key;
	struct pend *p;
	while ((p = idmap_next(&t->pend, &pos, &key)))
		if (p->kind == PEND_REQ)
			link_pend_free(p);
	idmap_free(&t->pend);
	t->x.ops->close(&t->x);
	link_free(t);
}

const struct vtee_backend_ops vtee_link_backend = {
	.name = "link",
	.description = "a TEE in another process (vtee-tee) over a stream socket or a shared-memory channel: fd=N[,chan=M][,resume]",
	.open = link_open,
	.close = link_close,
	.vm_created = link_vm_created,
	.vm_destroyed = link_vm_destroyed,
	.submit = link_submit,
	.cancel = link_cancel,
	.vm_session_count = link_vm_session_count,
	.vm_storage_stats = link_vm_storage_stats,
	.session_export = link_session_export,
	.session_import = link_session_import,
	.vm_restored = link_vm_restored,
};
VTEE_BACKEND_REGISTER(vtee_link_backend);
