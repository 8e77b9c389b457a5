/* SPDX-License-Identifier: MIT */
/*
 * Whole reads on stream sockets, with a deadline: loops over short transfers
 * and EINTR, for the daemons and the VMM client library alike. Whole writes:
 * lib/util/send_all.h.
 */
#ifndef VTEED_FULLIO_H
#define VTEED_FULLIO_H

#include <stddef.h>

/*
 * Read exactly len bytes. timeout_ms bounds each wait for data (< 0: none).
 * 0, -ETIMEDOUT, -EPIPE (the peer closed before len bytes), or -errno.
 */
int vteed_read_full(int fd, void *buf, size_t len, int timeout_ms);

#endif
