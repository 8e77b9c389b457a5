/* SPDX-License-Identifier: MIT */
/*
 * File descriptors over Unix sockets (SCM_RIGHTS): the VMM's HELLO to vteed,
 * a supervisor's connections to vtee-tee, vtee-served's spawner, the soft
 * back-end's TA host (an instance's channel and memfds).
 */
#ifndef VTEE_UTIL_FDPASS_H
#define VTEE_UTIL_FDPASS_H

#include <stddef.h>

/* The most fds one message may carry, either way. */
#define VTEE_FDPASS_MAX 32u

/*
 * Send len bytes (len > 0) with nfds fds (<= VTEE_FDPASS_MAX) attached, in one
 * sendmsg (MSG_NOSIGNAL). 0, -EIO when fewer bytes went out, or -errno.
 */
int vtee_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned nfds);

/*
 * One recvmsg of at most len bytes: *got = the bytes (0: EOF). The fds that came
 * with them (close-on-exec) go to fds[0..max); *nfds = how many came: more than
 * max when some did not fit (those are closed) or the kernel had to drop some
 * (MSG_CTRUNC). 0 or -errno (EINTR is retried).
 */
int vtee_recv_fds(int sock, void *buf, size_t len, size_t *got, int *fds, unsigned max, unsigned *nfds);

#endif
