// SPDX-License-Identifier: MIT
/*
 * The supervisor's socket (--ctl-fd): each message is one byte with one
 * connected stream socket attached (SCM_RIGHTS), and optionally the memfd of
 * a channel (lib/util/chan.h) that then carries the link messages while the
 * socket only tells its end: 'C' (any byte but 'B' and 'S') to serve it, or 'B'
 * followed by a little-endian u32 vm_id the connection is bound to (it may
 * ATTACH that VM only). 'S' hands over a VM's secure storage instead
 * (tee_ctl.h, storage.c).
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "tee.h"
#include "tee_ctl.h"

#define CTL_MAX_FDS 4u

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* The u32 vm_id after a 'B': 0 or -errno (-EPIPE: EOF). */
static int read_bound_vm(int ctl, uint32_t *vm_id)
{
	uint32_t le;
	ssize_t k;
	do
		k = recv(ctl, &le, sizeof(le), MSG_WAITALL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	if (k != (ssize_t)sizeof(le))
		return -EPIPE;
	*vm_id = tl_h32(le);
	return 0;
}

int ctl_receive(int ctl, bool *eof)
{
	char byte;
	int fds[CTL_MAX_FDS];
	unsigned nfds;
	size_t got;
	*eof = false;
	int err = vtee_recv_fds(ctl, &byte, 1, &got, fds, CTL_MAX_FDS, &nfds);
	if (err)
		return err;
	unsigned kept = nfds < CTL_MAX_FDS ? nfds : CTL_MAX_FDS;
	if (got == 0) {
		close_all(fds, kept);
		*eof = true;
		return 0;
	}
	if (byte == TEE_CTL_STORAGE)
		return storage_receive(ctl, fds, nfds, kept, eof);
	uint32_t bound = 0;
	if (byte == 'B') {
		err = read_bound_vm(ctl, &bound);
		if (err) {
			close_all(fds, kept);
			*eof = err == -EPIPE;
			return *eof ? 0 : err;
		}
	}
	if (nfds < 1 || nfds > 2 || (byte == 'B' && !bound)) {
		tee_log(NULL, "supervisor message with %u fds (want 1 or 2)%s: ignored", nfds,
			byte == 'B' && !bound ? " bound to vm 0" : "");
		close_all(fds, kept);
		return 0;
	}
	conn_start(fds[0], nfds == 2 ? fds[1] : -1, bound);
	return 0;
}
