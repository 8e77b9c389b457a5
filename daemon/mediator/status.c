// SPDX-License-Identifier: MIT
/*
 * vteed's status socket (docs/vteed-protocol.md, "Status"): `vtee status`
 * asks, vteed answers with its VM's figures. The socket is in the abstract
 * namespace ("@vtee-status/PID"): no file to create before the sandbox or to
 * clean up after a crash, and it goes with the process. Only a peer with
 * vteed's uid, or root, gets an answer (SO_PEERCRED), since abstract sockets
 * have no file permissions. The reply's layout is the asker's version's: a
 * tool of version 3 or older gets the 176 bytes it knows (no storage fields).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fullio.h"
#include "status_addr.h"
#include "vteed.h"

/* vteed's uid, read before the sandbox (which does not allow geteuid) */
static uid_t own_uid;

void status_set_uid(uid_t uid)
{
	own_uid = uid;
}

int status_listen(void)
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

static uint32_t or_default(uint64_t v, uint64_t dflt)
{
	return (uint32_t)(v ? v : dflt);
}

/* The VM's storage as libvtee sees it (its back-end asks the TEE) -> the v4 fields. */
static void fill_storage(struct vteed_status *st, const struct vtee_vm_stats *vs)
{
	if (vs->storage_status == -ENOENT) {
		st->storage = VTEED_STORAGE_NONE;
		return;
	}
	if (vs->storage_status) {
		st->storage = VTEED_STORAGE_UNKNOWN;
		return;
	}
	st->storage = VTEED_STORAGE_SERVED;
	st->storage_flags = vs->storage.flags & VTEE_STORAGE_STATE_CORRUPT ? VTEED_STORAGE_STATE_CORRUPT : 0;
	st->storage_objects = vs->storage.objects;
	st->storage_bytes = vs->storage.bytes;
	st->storage_bytes_on_disk = vs->storage.bytes_on_disk;
	st->storage_version = vs->storage.version;
	st->storage_commits = vs->storage.commits;
	st->storage_corrupt_objects = vs->storage.corrupt_objects;
}

static void fill_status(struct vteed_status *st)
{
	memset(st, 0, sizeof(*st));
	st->hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_STATUS_REPLY, sizeof(*st), 0 };
	st->storage = VTEED_STORAGE_UNKNOWN;
	st->vm_id = med.hello.vm_id;
	st->pid = (uint32_t)getpid();
	st->epoch = med.hello.epoch;
	st->nslots = med.hello.nslots;
	snprintf(st->name, sizeof(st->name), "%s", med.hello.name);
	snprintf(st->backend, sizeof(st->backend), "%s", med.backend);
	st->tee_sessions = -1;
	st->uptime_ms = (mediator_now_ns() - med.start_ns) / 1000000u;
	if (!med.vm)
		return;
	struct vtee_vm_stats vs;
	vtee_vm_get_stats(med.vm, &vs);
	st->sessions = vs.sessions;
	st->shm_buffers = vs.shm_buffers;
	st->shm_pages = vs.shm_pages;
	st->calls = vs.calls;
	st->tee_sessions = vs.tee_sessions < 0 || vs.tee_sessions > INT32_MAX ? -1 : (int32_t)vs.tee_sessions;
	st->smc_count = vs.smc_count;
	st->quota_denials = vs.quota_denials;
	st->access_denials = vs.access_denials;
	st->bad_requests = vs.bad_requests;
	st->foreign_intr = vs.foreign_intr;
	st->max_calls = or_default(med.quota.max_calls, VTEE_DEFAULT_MAX_CALLS);
	st->max_sessions = or_default(med.quota.max_sessions, VTEE_DEFAULT_MAX_SESSIONS);
	st->max_shm = or_default(med.quota.max_shm, VTEE_DEFAULT_MAX_SHM);
	st->max_shm_pages = med.quota.max_shm_pages ? med.quota.max_shm_pages : VTEE_DEFAULT_MAX_SHM_PAGES;
	fill_storage(st, &vs);
}

void status_serve(int lfd)
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
	if (vteed_read_full(c, &h, sizeof(h), 100) == 0 && h.magic == VTEED_MAGIC && h.type == VTEED_MSG_STATUS &&
	    h.size == sizeof(h)) {
		struct vteed_status st;
		fill_status(&st);
		if (h.version < 4) { /* an older tool: its layout, which ends before the storage fields */
			st.hdr.version = 3;
			st.hdr.size = VTEED_STATUS_V3_SIZE;
		}
		send(c, &st, st.hdr.size, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	close(c);
}
