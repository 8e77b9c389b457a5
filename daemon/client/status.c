// SPDX-License-Identifier: MIT
/* Asking a vteed for its status (docs/vteed-protocol.md, "Status"). */
#include "client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fullio.h"
#include "send_all.h"
#include "status_addr.h"

/*
 * The reply after the header: a vteed of version 4 or newer sends the whole struct, an older one
 * the 176 bytes before the storage fields (then marked UNKNOWN). 0 or -errno.
 */
static int read_reply(int s, struct vteed_status *out)
{
	memset(out, 0, sizeof(*out));
	int err = vteed_read_full(s, &out->hdr, sizeof(out->hdr), 1000);
	if (err)
		return err;
	uint32_t size = out->hdr.size;
	bool v3 = out->hdr.version < 4 && size == VTEED_STATUS_V3_SIZE;
	if (out->hdr.magic != VTEED_MAGIC || out->hdr.type != VTEED_MSG_STATUS_REPLY ||
	    (!v3 && (out->hdr.version < 4 || size != sizeof(*out))))
		return -EPROTO;
	err = vteed_read_full(s, (uint8_t *)out + sizeof(out->hdr), size - sizeof(out->hdr), 1000);
	if (!err && v3)
		out->storage = VTEED_STORAGE_UNKNOWN;
	return err;
}

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
		err = read_reply(s, out);
	close(s);
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
