// SPDX-License-Identifier: MIT
/* File descriptors over Unix sockets (fdpass.h). */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union fd_cmsg {
	char buf[CMSG_SPACE(sizeof(int) * VTEE_FDPASS_MAX)];
	struct cmsghdr align;
};

int vtee_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	if (!len || nfds > VTEE_FDPASS_MAX)
		return -EINVAL;
	union fd_cmsg cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Keep what fits in fds[0..max), close the rest; count them all. */
static void take_fds(struct msghdr *msg, int *fds, unsigned max, unsigned *nfds)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[*nfds] = fd;
			else
				close(fd);
			(*nfds)++;
		}
	}
}

int vtee_recv_fds(int sock, void *buf, size_t len, size_t *got, int *fds, unsigned max, unsigned *nfds)
{
	union fd_cmsg cm;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	*got = 0;
	*nfds = 0;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	take_fds(&msg, fds, max, nfds);
	if ((msg.msg_flags & MSG_CTRUNC) && *nfds <= max)
		*nfds = max + 1;
	*got = (size_t)n;
	return 0;
}
