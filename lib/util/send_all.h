/* SPDX-License-Identifier: MIT */
/*
 * Whole writes on a stream socket, written once for the link's ends and the
 * daemons (header only: libvteed uses it too, without linking libvtee's
 * internals).
 */
#ifndef VTEE_UTIL_SEND_ALL_H
#define VTEE_UTIL_SEND_ALL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Send all len bytes, over short sends and EINTR (MSG_NOSIGNAL: a gone peer is -EPIPE, not SIGPIPE). 0 or -errno. */
static inline int vtee_send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#endif
