// SPDX-License-Identifier: MIT
/* vteed's status socket (docs/vteed-protocol.md, "Status"). */
#include "status.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

socklen_t vteed_status_addr(pid_t pid, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] = 0: the abstract namespace; the name is the bytes after it, no NUL */
	int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, VTEED_STATUS_PREFIX "%d", (int)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* vteed's uid, read before the sandbox (which does not allow geteuid) */
static uid_t own_uid;

void vteed_status_set_uid(uid_t uid)
{
	own_uid = uid;
}

int vteed_status_listen(void)
{
	own_uid = geteuid();
	struct sockaddr_un sa;
	socklen_t len = vteed_status_addr(getpid(), &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 4) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

void vteed_status_serve(int lfd, const struct vteed_status *st)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return;
	struct ucred cr;
	socklen_t crl = sizeof(cr);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crl) < 0 || (cr.uid != 0 && cr.uid != own_uid)) {
		close(c); /* another user: nothing to say */
		return;
	}
	struct vteed_msg_hdr h;
	size_t got = 0;
	while (got < sizeof(h)) {
		struct pollfd pf = { c, POLLIN, 0 };
		if (poll(&pf, 1, 100) <= 0)
			break;
		ssize_t n = recv(c, (char *)&h + got, sizeof(h) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == sizeof(h) && h.magic == VTEED_MAGIC && h.type == VTEED_MSG_STATUS && h.size == sizeof(h))
		send(c, st, sizeof(*st), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(c);
}
