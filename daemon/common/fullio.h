/* SPDX-License-Identifier: MIT */
/*
 * Whole messages on stream sockets: loops over short transfers and EINTR,
 * for the daemons and the VMM client library alike.
 */
#ifndef VTEED_FULLIO_H
#define VTEED_FULLIO_H

#include <stddef.h>

/*
 * Read exactly len bytes. timeout_ms bounds each wait for data (< 0: none).
 * 0, -ETIMEDOUT, -EPIPE (the peer closed before len bytes), or -errno.
 */
int vteed_read_full(int fd, void *buf, size_t len, int timeout_ms);

/* Write all len bytes (send, MSG_NOSIGNAL: a gone peer is -EPIPE, not SIGPIPE). 0 or -errno. */
int vteed_write_full(int fd, const void *buf, size_t len);

#endif
