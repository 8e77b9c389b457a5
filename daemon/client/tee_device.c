// SPDX-License-Identifier: MIT
/*
 * The TEE source for "teedev" (tee_source.c): the host's OP-TEE. This process
 * opens its client device, /dev/teeN, with its own access rights (vteed may
 * open nothing) and keeps that one TEE context for the VM's life; each vteed
 * gets a copy of it for its "teedev" back-end, so the VM's sessions outlive
 * every vteed (docs/recovery.md).
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tee_device {
	int fd;                                   /* the VM's TEE context */
	char options[VTEED_TEE_OPTIONS_MAX];      /* for vteed's teedev back-end */
};

/* Whether fd is an OP-TEE client device (TEE_IOC_VERSION: OP-TEE, not the supplicant's). */
static bool is_optee_client(int fd)
{
	struct tee_ioctl_version_data ver;
	memset(&ver, 0, sizeof(ver));
	return ioctl(fd, TEE_IOC_VERSION, &ver) == 0 && ver.impl_id == TEE_IMPL_ID_OPTEE &&
	       !(ver.gen_caps & TEE_GEN_CAP_PRIVILEGED);
}

/*
 * The host's OP-TEE client device: path, or the first /dev/teeN that is one.
 * Read-write, as any libteec client opens it: the device's permissions decide.
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
		if (is_optee_client(fd)) {
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

static int device_open(const struct vteed_config *cfg, void **state, char *msg, size_t msglen)
{
	const char *options = cfg->backend_options ? cfg->backend_options : "";
	if (strlen(options) >= VTEED_TEE_OPTIONS_MAX) {
		vteed_set_msg(msg, msglen, "the back-end's options are too long");
		return -E2BIG;
	}
	struct tee_device *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	int err = open_tee_device(cfg->tee_dev, &d->fd, msg, msglen);
	if (err) {
		free(d);
		return err;
	}
	snprintf(d->options, sizeof(d->options), "%s", options);
	*state = d;
	return 0;
}

/* The same context every time, so the VM's sessions outlive each vteed. */
static int device_connect(void *state, uint32_t vm_id, uint32_t epoch, struct vteed_tee_endpoint *ep)
{
	struct tee_device *d = state;
	(void)vm_id;
	(void)epoch;
	int err = vteed_tee_endpoint_init(ep, "teedev", d->options);
	if (err)
		return err;
	int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? -errno : vteed_tee_endpoint_add_fd(ep, "fd", fd);
}

static void device_close(void *state, int wait_ms)
{
	struct tee_device *d = state;
	(void)wait_ms;
	close(d->fd);
	free(d);
}

const struct vteed_tee_source_ops vteed_tee_device_source = {
	.backend = "teedev",
	.open = device_open,
	.connect = device_connect,
	.close = device_close,
};
