// SPDX-License-Identifier: MIT
/* Whole reads on stream sockets (fullio.h). */
#include "fullio.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>

int vteed_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int r = poll(&pf, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}
