// SPDX-License-Identifier: MIT
/* Asking a vteed for its status (docs/vteed-protocol.md, "Status"). */
#include "client.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fullio.h"
#include "send_all.h"
#include "status_addr.h"

int vteed_status_query(pid_t pid, struct vteed_status *out)
{
	struct sockaddr_un sa;
	socklen_t len = vteed_status_addr(pid, &sa);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int err = 0;
	struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_STATUS, sizeof(h), 0 };
	if (connect(s, (struct sockaddr *)&sa, len) < 0)
		err = -errno;
	if (!err)
		err = vtee_send_all(s, &h, sizeof(h));
	if (!err)
		err = vteed_read_full(s, out, sizeof(*out), 1000);
	close(s);
	if (!err && (out->hdr.magic != VTEED_MAGIC || out->hdr.type != VTEED_MSG_STATUS_REPLY ||
		     out->hdr.size != sizeof(*out)))
		err = -EPROTO;
	if (!err) {
		out->name[sizeof(out->name) - 1] = 0;
		out->backend[sizeof(out->backend) - 1] = 0;
	}
	return err;
}

int vteed_status(struct vteed *v, struct vteed_status *out)
{
	return vteed_status_query(v->pid, out);
}
