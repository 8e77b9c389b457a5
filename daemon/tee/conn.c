// SPDX-License-Identifier: MIT
/*
 * A connection from a mediator: its reader thread (messages in, checked,
 * dispatched), sending, and what happens when it ends: the VM and its
 * sessions stay for the next mediator (unless --ephemeral).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tee.h"

void conn_kick(struct conn *c)
{
	atomic_store(&c->dead, true);
	shutdown(c->fd, SHUT_RDWR);
}

int conn_sendv(struct conn *c, uint16_t type, uint64_t tag, const struct piece *pc, unsigned npc)
{
	if (atomic_load(&c->dead))
		return -EPIPE;
	uint64_t len = 0;
	for (unsigned i = 0; i < npc; i++)
		len += pc[i].n;
	uint16_t version = type == TL_WELCOME || !c->version ? TL_VERSION_BASE : c->version;
	struct tl_hdr h = tl_hdr_make(version, type, (uint32_t)len, tag);
	struct iovec iov[1 + 1 + TL_MAX_PARAMS];
	unsigned n = npc < 1 + TL_MAX_PARAMS ? npc : 1 + TL_MAX_PARAMS;
	iov[0] = (struct iovec){ &h, sizeof(h) };
	for (unsigned i = 0; i < n; i++)
		iov[1 + i] = (struct iovec){ (void *)pc[i].p, pc[i].n };
	pthread_mutex_lock(&c->send_lock);
	int r = tl_writev_all(c->fd, iov, (int)(1 + n));
	pthread_mutex_unlock(&c->send_lock);
	if (r) {
		conn_kick(c);
		return -EPIPE;
	}
	return 0;
}

int conn_send(struct conn *c, uint16_t type, uint64_t tag, const void *p, size_t n)
{
	struct piece pc = { p, n };
	return conn_sendv(c, type, tag, &pc, 1);
}

static void conn_free(struct conn *c)
{
	idmap_free(&c->jobs);
	pthread_mutex_destroy(&c->send_lock);
	free(c);
}

/* A header's own checks, before dispatch. */
static int check_header(const struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (h->magic != TL_MAGIC)
		return drop(d, EBADMSG, "bad magic %#x", h->magic);
	if (h->reserved)
		return drop(d, EBADMSG, "reserved header field not 0");
	if (h->length > TL_MAX_PAYLOAD)
		return drop(d, E2BIG, "payload of %u bytes, more than %llu", h->length,
			    (unsigned long long)TL_MAX_PAYLOAD);
	if (c->version && h->version != c->version)
		return drop(d, EPROTONOSUPPORT, "message version %u, negotiated %u", h->version, c->version);
	if (!h->type || h->type > TL_TYPE_LAST)
		return drop(d, EPROTO, "unknown message type %u", h->type);
	return 0;
}

/* A protocol error: tell the mediator why (unless it gave the error), log it. */
static void report_drop(struct conn *c, const struct tl_hdr *h, const struct drop *d)
{
	if (d->code && !atomic_load(&c->dead)) {
		struct tl_error e = { .code = tl_le32((uint32_t)d->code) };
		struct piece pc[2] = { { &e, sizeof(e) }, { d->why, strnlen(d->why, TL_ERROR_TEXT_MAX) } };
		conn_sendv(c, TL_ERROR, h->tag, pc, 2);
	}
	tee_log(c->label, "conn %u dropped: protocol error: %s", c->id, d->why);
}

/* Messages until the connection ends: how it ended, for the log (NULL: already logged). */
static const char *read_messages(struct conn *c)
{
	struct drop d = { 0 };
	for (;;) {
		struct tl_hdr h;
		size_t got = 0;
		int r = tl_rb_read(&c->rb, &h, sizeof(h), &got);
		if (r) {
			if (atomic_load(&c->dead))
				return "stopped";
			if (r == -EPIPE && got)
				return "EOF inside a message header";
			if (r == -ECONNRESET)
				return "reset by the mediator"; /* it died with our answers unread */
			return r != -EPIPE ? strerror(-r) : "closed by the mediator";
		}
		tl_hdr_host(&h);
		r = check_header(c, &h, &d);
		if (!r)
			r = dispatch(c, &h, &d);
		if (r == -EPROTO && d.why[0]) {
			report_drop(c, &h, &d);
			return NULL;
		}
		if (r)
			return atomic_load(&c->dead) ? "stopped" : r == -EPIPE ? "EOF inside a message" : strerror(-r);
	}
}

/* The mediator is gone. Its VM, and the VM's sessions, stay (but with --ephemeral). */
static void conn_end(struct conn *c, const char *end)
{
	atomic_store(&c->dead, true);
	shutdown(c->fd, SHUT_RDWR);
	struct tvm *v = c->vm;
	bool owned = false;
	if (v) {
		pthread_mutex_lock(&v->lock);
		owned = v->owner == c;
		if (owned)
			v->owner = NULL;
		unsigned running = c->njobs;
		pthread_cond_broadcast(&v->cond); /* RPCs waiting for this mediator fail now */
		pthread_mutex_unlock(&v->lock);
		if (end)
			tee_log(c->label, "conn %u: connection %s; vm %u kept (%u requests still running)", c->id, end,
				v->vm_id, running);
	} else if (end && c->version) {
		tee_log(NULL, "conn %u: connection %s", c->id, end);
	}
	vtee_pool_stop(&c->pool); /* requests in flight run to completion; their answers go nowhere */
	if (v && owned && srv.ephemeral) {
		/* --ephemeral (a remote mediator): nobody will resume it, so it goes with its connection */
		uint32_t closed = vm_remove(v);
		tee_log(c->label, "conn %u: vm %u destroyed with its connection, %u sessions closed", c->id, v->vm_id,
			closed);
	}
	if (v)
		vm_put(v);
}

static void *reader_main(void *arg)
{
	struct conn *c = arg;
	job_pool_init(c); /* only this thread submits to it */
	conn_end(c, read_messages(c));

	pthread_mutex_lock(&srv.lock);
	for (struct conn **pp = &srv.conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);
	srv.nconns--;
	pthread_cond_broadcast(&srv.cond);
	uint64_t one = 1;
	if (write(srv.ev_fd, &one, sizeof(one)) < 0) {
		/* the main loop polls with a timeout too */
	}
	pthread_mutex_unlock(&srv.lock); /* after the write: main closes ev_fd once nconns is 0 */
	conn_free(c);
	return NULL;
}

void conn_start(int fd, uint32_t bound_vm)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM) {
		tee_log(NULL, "fd %d is not a stream socket: ignored", fd);
		close(fd);
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->rb.fd = fd;
	c->bound_vm = bound_vm;
	pthread_mutex_init(&c->send_lock, NULL);

	pthread_mutex_lock(&srv.lock);
	if (srv.exiting) {
		pthread_mutex_unlock(&srv.lock);
		close(fd);
		conn_free(c);
		return;
	}
	c->id = ++srv.next_conn_id;
	c->next = srv.conns;
	srv.conns = c;
	srv.nconns++;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&th, &attr, reader_main, c);
	pthread_attr_destroy(&attr);
	if (e) {
		srv.conns = c->next;
		srv.nconns--;
	}
	pthread_mutex_unlock(&srv.lock);
	if (e) {
		tee_log(NULL, "no thread for a new connection: %s", strerror(e));
		close(fd);
		conn_free(c);
	}
}
