/* SPDX-License-Identifier: MIT */
/*
 * Moving link messages (link_proto.h) over a stream socket or a channel
 * (lib/util/chan.h, docs/tee-link.md "The channel"). Both ends use these:
 * the link back-end and vtee-tee. A channel end reads through the same
 * struct tl_rbuf (set .chan) and writes with tl_sendv_all(); the bytes on
 * either transport are the same.
 */
#ifndef VTEE_LINK_IO_H
#define VTEE_LINK_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"
#include "iov.h"
#include "send_all.h"

/* ---- socket I/O ---- */

/* 0, -EPIPE on EOF (*got says how many bytes came first), or -errno. */
static inline int tl_read_full(int fd, void *buf, size_t len, size_t *got)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			if (got)
				*got = done;
			return e;
		}
		if (n == 0) {
			if (got)
				*got = done;
			return -EPIPE;
		}
		done += (size_t)n;
	}
	if (got)
		*got = done;
	return 0;
}

static inline int tl_write_all(int fd, const void *buf, size_t len)
{
	return vtee_send_all(fd, buf, len);
}

/* Write every byte of iov[0..n) (modified); 0 or -errno. One system call when the socket takes it all. */
static inline int tl_writev_all(int fd, struct iovec *iov, int n)
{
	vtee_iov_advance(&iov, &n, 0);
	while (n > 0) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		vtee_iov_advance(&iov, &n, (size_t)k);
	}
	return 0;
}

/* Read and drop len bytes. */
static inline int tl_skip(int fd, uint64_t len)
{
	uint8_t buf[4096];
	while (len) {
		size_t n = len > sizeof(buf) ? sizeof(buf) : (size_t)len;
		int r = tl_read_full(fd, buf, n, NULL);
		if (r)
			return r;
		len -= n;
	}
	return 0;
}

/* ---- either transport ---- */

/* Write every byte of iov[0..n) (modified) to the channel if there is one, else to the socket fd. 0 or -errno. */
static inline int tl_sendv_all(int fd, struct vtee_chan *chan, struct iovec *iov, int n)
{
	return chan ? vtee_chan_writev_all(chan, iov, n) : tl_writev_all(fd, iov, n);
}

/*
 * A buffered reader, owned by one thread at a time: one read of up to
 * TL_RBUF_SIZE bytes usually brings a whole message (header, structure and
 * small data), often several, where reading field by field would cost a
 * system call (or a look at the ring) each. Reads of TL_RBUF_SIZE bytes or
 * more, once the buffered bytes are used up, go straight to the caller's
 * memory (no copy). It reads the socket fd, or the channel chan when set.
 */
#define TL_RBUF_SIZE 8192u
struct tl_rbuf {
	int fd;
	struct vtee_chan *chan;        /* set: read this channel instead of fd */
	uint32_t start, end;           /* buffered bytes: buf[start..end) */
	uint8_t buf[TL_RBUF_SIZE];
};

/* One recv() from the transport; flags 0 or MSG_DONTWAIT. >0 bytes, 0 on EOF, -errno (never -EINTR). */
static inline ssize_t tl_rb_recv(struct tl_rbuf *rb, void *dst, size_t len, int flags)
{
	if (rb->chan)
		return vtee_chan_recv(rb->chan, dst, len, (flags & MSG_DONTWAIT) ? VTEE_CHAN_DONTWAIT : 0);
	for (;;) {
		ssize_t k = recv(rb->fd, dst, len, flags);
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 ? -errno : k;
	}
}

static inline size_t tl_rb_avail(const struct tl_rbuf *rb)
{
	return rb->end - rb->start;
}

/* Take n <= tl_rb_avail() buffered bytes (dst may be NULL: dropped). */
static inline void tl_rb_take(struct tl_rbuf *rb, void *dst, size_t n)
{
	if (dst && n)
		memcpy(dst, rb->buf + rb->start, n);
	rb->start += (uint32_t)n;
	if (rb->start == rb->end)
		rb->start = rb->end = 0;
}

/*
 * One read into the free end of the buffer (moving what is buffered to the
 * front first); flags e.g. MSG_DONTWAIT. >0 bytes added, 0 on EOF, -errno
 * (never -EINTR). The buffer must not be full.
 */
static inline ssize_t tl_rb_fill(struct tl_rbuf *rb, int flags)
{
	if (rb->start && rb->end == TL_RBUF_SIZE) {
		memmove(rb->buf, rb->buf + rb->start, rb->end - rb->start);
		rb->end -= rb->start;
		rb->start = 0;
	}
	ssize_t k = tl_rb_recv(rb, rb->buf + rb->end, TL_RBUF_SIZE - rb->end, flags);
	if (k > 0)
		rb->end += (uint32_t)k;
	return k;
}

/* Like tl_read_full(): 0, -EPIPE on EOF (*got says how many bytes came first), or -errno. */
static inline int tl_rb_read(struct tl_rbuf *rb, void *dst, size_t len, size_t *got)
{
	uint8_t *p = dst;
	size_t done = 0;
	int r = 0;
	while (done < len) {
		size_t n = tl_rb_avail(rb);
		if (n) {
			n = n < len - done ? n : len - done;
			tl_rb_take(rb, p + done, n);
			done += n;
			continue;
		}
		ssize_t k;
		if (len - done >= TL_RBUF_SIZE) {
			/* big data: straight into place */
			k = tl_rb_recv(rb, p + done, len - done, 0);
			if (k > 0)
				done += (size_t)k;
		} else {
			k = tl_rb_fill(rb, 0);
		}
		if (k <= 0) {
			r = k < 0 ? (int)k : -EPIPE;
			break;
		}
	}
	if (got)
		*got = done;
	return r;
}

/* Read and drop len bytes. */
static inline int tl_rb_skip(struct tl_rbuf *rb, uint64_t len)
{
	while (len) {
		size_t n = tl_rb_avail(rb);
		if (!n) {
			ssize_t k = tl_rb_fill(rb, 0);
			if (k <= 0)
				return k < 0 ? (int)k : -EPIPE;
			continue;
		}
		n = n < len ? n : (size_t)len;
		tl_rb_take(rb, NULL, n);
		len -= n;
	}
	return 0;
}

#endif
