// SPDX-License-Identifier: MIT
/* vteed's control socket once it serves: GOODBYE, EOF or a signal ends it; status questions on the side. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vteed.h"

/* One message on the control socket: 1 to go on, 0 to stop (end filled in). */
static int control_message(int sock, struct control_end *end)
{
	struct vteed_msg_hdr mh;
	ssize_t n = recv(sock, &mh, sizeof(mh), MSG_WAITALL);
	if (n == 0) {
		vteed_log(VLOG_INFO, "VMM disconnected");
		return 0;
	}
	if (n < 0 && errno == EINTR)
		return 1;
	if (n != (ssize_t)sizeof(mh)) {
		vteed_log(VLOG_INFO, "control socket: %s", n < 0 ? strerror(errno) : "truncated message");
		end->rc = 1;
		return 0;
	}
	if (mh.magic != VTEED_MAGIC || mh.version != med.proto_version || mh.size != sizeof(mh)) {
		vteed_log(VLOG_INFO, "bad control message (magic %#x version %u size %u): disconnecting", mh.magic,
			  mh.version, mh.size);
		end->rc = 1;
		return 0;
	}
	if (mh.type == VTEED_MSG_GOODBYE) {
		vteed_log(VLOG_INFO, "GOODBYE");
		end->goodbye = true;
		return 0;
	}
	vteed_log(VLOG_INFO, "unknown control message type %u ignored", mh.type);
	return 1;
}

void control_loop(int sock, int sfd, int status_fd, struct control_end *end)
{
	*end = (struct control_end){ 0 };
	for (;;) {
		/* poll skips negative fds: no signalfd or no status socket is fine */
		struct pollfd pf[3] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 }, { status_fd, POLLIN, 0 } };
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			vteed_log(VLOG_INFO, "poll: %s", strerror(errno));
			end->rc = 1;
			return;
		}
		if (sfd >= 0 && (pf[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				vteed_log(VLOG_INFO, "signal %u: stopping", si.ssi_signo);
			end->signal = true;
			return;
		}
		if (pf[2].revents & POLLIN)
			status_serve(status_fd);
		if (pf[0].revents && !control_message(sock, end))
			return;
	}
}
