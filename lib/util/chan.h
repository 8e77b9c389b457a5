/* SPDX-License-Identifier: MIT */
/*
 * A channel between two processes (or threads) over one shared memfd: two
 * single-producer single-consumer byte rings, one per direction, each with a
 * spin-then-futex doorbell, carrying an ordered byte stream like a stream
 * socket (the link protocol's framing goes through unchanged). Layout and
 * rules: docs/tee-link.md, "The channel".
 *
 * Roles: a creator (the supervisor) makes the memfd with vtee_chan_create()
 * and hands it to both ends together with one end each of a socketpair (the
 * set-up socket); each end maps it with vtee_chan_open() as side A or B. The
 * set-up socket tells an end that its peer died without saying so (POLLHUP,
 * looked at whenever a sleep on the channel times out). Anyone holding the
 * memfd may close the channel with vtee_chan_hangup().
 *
 * The peer is not trusted: every index read from the shared memory is
 * loaded once and checked, the data is copied out before the caller sees it,
 * and a ring that breaks the rules closes the channel (-EPROTO), never the
 * process. One reader and one writer at a time per end (the caller
 * serialises); reading and writing may run on different threads.
 */
#ifndef VTEE_UTIL_CHAN_H
#define VTEE_UTIL_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define VTEE_CHAN_RING_MIN     4096u
#define VTEE_CHAN_RING_MAX     (64u << 20)
#define VTEE_CHAN_RING_DEFAULT (1u << 20)

enum vtee_chan_side { VTEE_CHAN_A = 0, VTEE_CHAN_B = 1 };

/* vtee_chan_recv()/vtee_chan_send() flags */
#define VTEE_CHAN_DONTWAIT 0x1

struct vtee_chan_opts {
	uint64_t spin_ns;         /* poll this long before sleeping while the peer is awake; 0: default */
	unsigned send_timeout_ms; /* a send that finds no room this long fails -ETIMEDOUT; 0: never */
	unsigned sleep_ms;        /* a sleeper looks at the set-up socket this often; 0: 100 */
	bool no_spin;             /* never poll (one CPU, or tests) */
	/* a poll yields the core after this long (sync.h, vtee_poll_pause); 0: VTEE_POLL_YIELD_NS.
	 * A channel whose two ends are the only busy threads on the call's path sets it later. */
	uint64_t yield_ns;
};

struct vtee_chan;

/*
 * A new channel: a sealed memfd (it can neither shrink nor grow) of one
 * header page and two rings of ring_size bytes (a power of two within
 * [VTEE_CHAN_RING_MIN, VTEE_CHAN_RING_MAX]; 0 = the default). 0 and *memfd
 * (close-on-exec), or -errno.
 */
int vtee_chan_create(size_t ring_size, int *memfd);

/*
 * Map memfd as one end. hup_fd: this end's set-up socket, watched for
 * POLLHUP (-1: none; then only a close marked in the memory ends it). The
 * fds stay the caller's (the mapping does not need memfd once open returns;
 * hup_fd must stay open while the channel is). Each side may be opened once
 * per channel: -EBUSY otherwise; -EINVAL for a memfd that is not a sealed
 * channel. 0 and *out, or -errno.
 */
int vtee_chan_open(int memfd, enum vtee_chan_side side, int hup_fd, const struct vtee_chan_opts *opts,
		   struct vtee_chan **out);

/* Close (as vtee_chan_shutdown()) and unmap. */
void vtee_chan_close(struct vtee_chan *c);

/*
 * Mark the channel closed and wake both ends: this end's own reads return 0
 * at once, the peer's once it has read what was sent before; sends fail
 * -EPIPE. Idempotent; safe from any thread while others read or write.
 */
void vtee_chan_shutdown(struct vtee_chan *c);

/* The supervisor's way: mark the channel of memfd closed and wake both ends. 0 or -errno. */
int vtee_chan_hangup(int memfd);

/*
 * Like recv(): copy up to len (> 0) bytes; >0 bytes read, 0 at the end of
 * the stream (closed, and everything sent before is read), -EAGAIN
 * (VTEE_CHAN_DONTWAIT, nothing there), -EPROTO (the peer broke the ring:
 * the channel is closed now), -EPIPE (the peer's set-up socket hung up).
 */
ssize_t vtee_chan_recv(struct vtee_chan *c, void *buf, size_t len, int flags);

/*
 * Like sendmsg(): copy what fits of iov[0..n) into the ring (waiting for
 * room unless VTEE_CHAN_DONTWAIT); >0 bytes sent, -EAGAIN, -EPIPE (closed),
 * -ETIMEDOUT (no room for send_timeout_ms), -EPROTO.
 */
ssize_t vtee_chan_send(struct vtee_chan *c, const struct iovec *iov, int n, int flags);

/* Send every byte of iov[0..n) (which it modifies); 0 or -errno as vtee_chan_send(). */
int vtee_chan_writev_all(struct vtee_chan *c, struct iovec *iov, int n);

/*
 * Wait until there is something to read or the stream ended (so that a
 * recv() will not block), at most timeout_ms (-1: for ever): 1, 0 on
 * timeout, -errno.
 */
int vtee_chan_wait_readable(struct vtee_chan *c, int timeout_ms);

/* A recv() would not block now: data, the end of the stream, or a broken ring. No system call. */
bool vtee_chan_ready(struct vtee_chan *c);

/* How long this end polls before it sleeps (0: it never polls); callers that poll the channel themselves use it too. */
uint64_t vtee_chan_spin_ns(const struct vtee_chan *c);

/* True once the channel is closed (by anyone) or found broken. */
bool vtee_chan_is_closed(const struct vtee_chan *c);

#endif
