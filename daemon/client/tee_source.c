// SPDX-License-Identifier: MIT
/*
 * A supervised vteed's TEE source (client.h): the one place where the
 * supervisor decides what holds the VM's TEE state across vteed restarts and
 * how each new vteed reaches it:
 *
 *   "soft" (NULL)  vtee-tee, the built-in TEE in its own process; each vteed
 *                  gets a new link connection to it, bound to its VM
 *   "teedev"       the host's /dev/teeN, opened here (one context for the
 *                  VM); each vteed gets a copy of it
 *   "remote"       this process's connections to vtee-served (remote_pool.c);
 *                  each vteed gets a new channel on them
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "spawn_fd3.h"
#include "vtee/vtee.h"
#ifdef VTEED_CLIENT_REMOTE
#include "vtee/remote.h"
#else
/* built without OpenSSL: no remote back-end to hold connections for */
static inline int vtee_remote_channel(struct vtee_tee *tee, int *fd)
{
	(void)tee;
	(void)fd;
	return -ENOTSUP;
}
static inline int vtee_remote_pool_connections(struct vtee_tee *tee, unsigned *n)
{
	(void)tee;
	(void)n;
	return -ENOTSUP;
}
#endif

void vteed_tee_source_init(struct vteed_tee_source *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->ctl = ts->dev_fd = -1;
}

/*
 * The host's OP-TEE client device: path, or the first /dev/teeN whose
 * TEE_IOC_VERSION says OP-TEE and not the supplicant's. Read-write, as any
 * libteec client opens it: the device's permissions decide.
 */
static int open_tee_device(const char *path, int *out, char *msg, size_t msglen)
{
	char p[32];
	for (int n = 0; n < 32; n++) {
		if (!path)
			snprintf(p, sizeof(p), "/dev/tee%d", n);
		int fd = open(path ? path : p, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (path || e != ENOENT || n == 31) {
				vteed_set_msg(msg, msglen,
					      path ? "cannot open the TEE device given" : "no OP-TEE device (/dev/teeN)");
				return -e;
			}
			continue;
		}
		struct tee_ioctl_version_data ver;
		memset(&ver, 0, sizeof(ver));
		if (ioctl(fd, TEE_IOC_VERSION, &ver) == 0 && ver.impl_id == TEE_IMPL_ID_OPTEE &&
		    !(ver.gen_caps & TEE_GEN_CAP_PRIVILEGED)) {
			*out = fd;
			return 0;
		}
		close(fd);
		if (path) {
			vteed_set_msg(msg, msglen, "the TEE device given is not an OP-TEE client device");
			return -ENODEV;
		}
	}
	vteed_set_msg(msg, msglen, "no OP-TEE device (/dev/teeN)");
	return -ENOENT;
}

/* vtee-tee --ctl-fd 3: it holds the sessions, so it outlives every vteed; it ends with its control socket. */
static int start_tee_process(struct vteed_tee_source *ts, const char *path, char *msg, size_t msglen)
{
	const char *env = getenv("VTEE_TEE");
	const char *prog = path ? path : env;
	if (prog && !(ts->path = strdup(prog)))
		return -ENOMEM;
	int ctl[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		return -errno;
	const char *args[] = { "--ctl-fd", "3", NULL };
	int err = vteed_spawn_fd3(ts->path ? ts->path : "vtee-tee", args, ctl[1], &ts->pid);
	close(ctl[1]);
	if (err) {
		close(ctl[0]);
		vteed_set_msg(msg, msglen, "spawning vtee-tee failed");
		return err;
	}
	ts->ctl = ctl[0];
	return 0;
}

int vteed_tee_source_open(struct vteed_tee_source *ts, const struct vteed_config *cfg, char *msg, size_t msglen)
{
	const char *b = cfg->backend;
	if (!b || !strcmp(b, "soft")) {
		ts->kind = TEE_SOURCE_PROCESS;
		return start_tee_process(ts, cfg->tee_path, msg, msglen);
	}
	if (!strcmp(b, "teedev")) {
		/* the host TEE: this process opens the context (its access rights), vteed cannot */
		ts->kind = TEE_SOURCE_DEVICE;
		return open_tee_device(cfg->tee_dev, &ts->dev_fd, msg, msglen);
	}
	if (!strcmp(b, "remote")) {
		/* the TLS connections live here; vteed speaks the link protocol on its channel */
		ts->kind = TEE_SOURCE_REMOTE;
		int err = vteed_remote_pool_get(cfg->remote_options, &ts->remote);
		if (err)
			vteed_set_msg(msg, msglen, "the remote back-end's options (docs/remote.md)");
		return err;
	}
	vteed_set_msg(msg, msglen, "vteed_start supervises the built-in TEE (soft), teedev and remote");
	return -EINVAL;
}

/*
 * Give the TEE process one end of a new socketpair, bound to this VM ('B' +
 * vm_id, docs/tee-link.md): a compromised vteed can then attach to no other
 * VM's TEE state. The other end is ours.
 */
static int tee_process_connect(struct vteed_tee_source *ts, uint32_t vm_id, int *mine)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	uint8_t bind[5] = { 'B', (uint8_t)vm_id, (uint8_t)(vm_id >> 8), (uint8_t)(vm_id >> 16),
			    (uint8_t)(vm_id >> 24) };
	int err = vteed_send_fds(ts->ctl, bind, sizeof(bind), &sv[1], 1);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	*mine = sv[0];
	return 0;
}

int vteed_tee_source_connect(struct vteed_tee_source *ts, uint32_t vm_id, int *fd)
{
	switch (ts->kind) {
	case TEE_SOURCE_PROCESS:
		return tee_process_connect(ts, vm_id, fd);
	case TEE_SOURCE_DEVICE:
		/* the same context every time, so the VM's sessions outlive each vteed */
		*fd = fcntl(ts->dev_fd, F_DUPFD_CLOEXEC, 3);
		return *fd < 0 ? -errno : 0;
	case TEE_SOURCE_REMOTE:
		return vtee_remote_channel(ts->remote, fd); /* a new channel: a new link stream */
	default:
		return -EINVAL;
	}
}

const char *vteed_tee_source_backend(const struct vteed_tee_source *ts)
{
	return ts->kind == TEE_SOURCE_DEVICE ? "teedev" : "link";
}

uint32_t vteed_tee_source_connections(const struct vteed_tee_source *ts)
{
	unsigned n = 0;
	if (ts->kind == TEE_SOURCE_REMOTE && ts->remote && vtee_remote_pool_connections(ts->remote, &n))
		n = 0;
	return n;
}

void vteed_tee_source_close(struct vteed_tee_source *ts, int wait_ms)
{
	if (ts->ctl >= 0)
		close(ts->ctl); /* the TEE process ends with its supervisor */
	if (ts->pid > 0)
		vteed_reap(ts->pid, wait_ms);
	if (ts->dev_fd >= 0)
		close(ts->dev_fd);
	if (ts->remote)
		vteed_remote_pool_put(ts->remote);
	free(ts->path);
	vteed_tee_source_init(ts);
}
