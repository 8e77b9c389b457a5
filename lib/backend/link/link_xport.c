// SPDX-License-Identifier: MIT
/*
 * The link back-end's transports (link_priv.h): the bytes of the link
 * protocol go over a connected stream socket, or over a shared-memory
 * channel (lib/util/chan.h) whose set-up socket then only tells us that the
 * peer died. The receiver reads either through its struct tl_rbuf.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "chan.h"
#include "link_priv.h"

/* ---- a stream socket ---- */

static int sock_writev_all(struct link_xport *x, struct iovec *iov, int n)
{
	return tl_writev_all(x->fd, iov, n);
}

static int sock_wait_readable(struct link_xport *x, int timeout_ms)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	int r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r > 0;
}

static void sock_shutdown(struct link_xport *x)
{
	shutdown(x->fd, SHUT_RDWR); /* the receiver wakes up; the peer sees EOF */
}

static void sock_close(struct link_xport *x)
{
	close(x->fd);
}

static const struct link_xport_ops sock_ops = {
	.name = "socket",
	.writev_all = sock_writev_all,
	.wait_readable = sock_wait_readable,
	.shutdown = sock_shutdown,
	.close = sock_close,
};

/* ---- a channel ---- */

static int chan_writev_all(struct link_xport *x, struct iovec *iov, int n)
{
	return vtee_chan_writev_all(x->chan, iov, n);
}

static int chan_wait_readable(struct link_xport *x, int timeout_ms)
{
	return vtee_chan_wait_readable(x->chan, timeout_ms);
}

static void chan_shutdown(struct link_xport *x)
{
	vtee_chan_shutdown(x->chan);
	shutdown(x->fd, SHUT_RDWR); /* the peer need not wait for its next look at the memory */
}

static void chan_close(struct link_xport *x)
{
	vtee_chan_close(x->chan);
	close(x->memfd);
	close(x->fd);
}

static bool chan_ready(struct link_xport *x)
{
	return vtee_chan_ready(x->chan);
}

static const struct link_xport_ops chan_ops = {
	.name = "channel",
	.writev_all = chan_writev_all,
	.wait_readable = chan_wait_readable,
	.shutdown = chan_shutdown,
	.close = chan_close,
	.ready = chan_ready,
};

int link_xport_open(int fd, int memfd, struct link_xport *x)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM)
		return -EINVAL;
	*x = (struct link_xport){ .ops = &sock_ops, .fd = fd, .memfd = -1 };
	if (memfd < 0) {
		/* a TEE that stops reading must not hold a vCPU in submit() for ever */
		struct timeval tv = { .tv_sec = LINK_CTL_TIMEOUT_MS / 1000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return 0;
	}
	struct vtee_chan_opts o = { .send_timeout_ms = LINK_CTL_TIMEOUT_MS };
	int r = vtee_chan_open(memfd, VTEE_CHAN_A, fd, &o, &x->chan);
	if (r)
		return r;
	x->ops = &chan_ops;
	x->memfd = memfd;
	x->pump_ns = vtee_chan_spin_ns(x->chan);
	return 0;
}

void link_xport_reader(const struct link_xport *x, struct tl_rbuf *rb)
{
	rb->fd = x->fd;
	rb->chan = x->chan;
	rb->start = rb->end = 0;
}
