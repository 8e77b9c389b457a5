// SPDX-License-Identifier: MIT
/*
 * The host's TEE device for one VM: the first /dev/teeN whose
 * TEE_IOC_VERSION says OP-TEE (a client device, not the supplicant's),
 * dev=PATH, or the context handed over with fd=. Its open, ioctl and close go
 * through teedev_sys_in_use, which tests replace with a mock of the uapi.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "teedev_int.h"

/* ---- system calls (teedev_set_sys) ---- */

static int real_open(const char *path, int flags)
{
	return open(path, flags);
}

static int real_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static int real_close(int fd)
{
	return close(fd);
}

static const struct teedev_sys real_sys = { real_open, real_ioctl, real_close, "/dev" };
static struct teedev_sys test_sys;
const struct teedev_sys *teedev_sys_in_use = &real_sys;

void teedev_set_sys(const struct teedev_sys *s)
{
	if (!s) {
		teedev_sys_in_use = &real_sys;
		return;
	}
	/* what the test leaves NULL stays real */
	test_sys.open = s->open ? s->open : real_open;
	test_sys.ioctl = s->ioctl ? s->ioctl : real_ioctl;
	test_sys.close = s->close ? s->close : real_close;
	test_sys.dev_dir = s->dev_dir ? s->dev_dir : real_sys.dev_dir;
	teedev_sys_in_use = &test_sys;
}

void teedev_log(const char *label, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vtee_log(VTEE_LOG_WARNING, "vtee-teedev[%s]: %s", label && *label ? label : "-", buf);
}

/* ---- the device ---- */

/* Open path and ask TEE_IOC_VERSION: 0 with *fd open, or -errno (-ENOTTY: not a TEE device). */
static int probe(const char *path, int *fd, struct tee_ioctl_version_data *ver)
{
	int f = teedev_sys_in_use->open(path, O_RDWR | O_CLOEXEC);
	if (f < 0)
		return errno ? -errno : -EIO;
	memset(ver, 0, sizeof(*ver));
	if (teedev_ioctl(f, TEE_IOC_VERSION, ver) < 0) {
		int e = errno;
		teedev_close_fd(f);
		return e == ENOTTY || e == EINVAL || !e ? -ENOTTY : -e;
	}
	*fd = f;
	return 0;
}

static bool is_optee(const struct tee_ioctl_version_data *v)
{
	return v->impl_id == TEE_IMPL_ID_OPTEE && !(v->gen_caps & TEE_GEN_CAP_PRIVILEGED) &&
	       (v->gen_caps & TEE_GEN_CAP_GP);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

/* The N of every teeN in dir, sorted, at most max of them: how many, or -errno (logged). */
static int list_tee_numbers(struct teedev_vm *vm, const char *dir, unsigned *nums, unsigned max)
{
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		teedev_log(vm->label, "no OP-TEE device: cannot list %s: %s", dir, strerror(e));
		return -ENOENT;
	}
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		const char *s = de->d_name;
		unsigned long v;
		if (!strncmp(s, "tee", 3) && !teedev_parse_ulong(s + 3, strlen(s + 3), 0, 999999, &v))
			nums[n++] = (unsigned)v;
	}
	closedir(d);
	qsort(nums, n, sizeof(nums[0]), cmp_uint);
	return (int)n;
}

/* The first teeN in the device directory, by N, that is OP-TEE and not the supplicant's. */
static int find_optee(struct teedev_vm *vm)
{
	const char *dir = teedev_sys_in_use->dev_dir;
	unsigned nums[64];
	int n = list_tee_numbers(vm, dir, nums, 64);
	if (n < 0)
		return n;
	if (!n) {
		teedev_log(vm->label,
			   "no OP-TEE device: no %s/tee* at all (is the host's OP-TEE driver loaded: modprobe optee? "
			   "does the firmware run OP-TEE?); or name one with dev=",
			   dir);
		return -ENOENT;
	}
	int denied = 0;
	for (int i = 0; i < n; i++) {
		char path[TEEDEV_PATH_MAX];
		snprintf(path, sizeof(path), "%s/tee%u", dir, nums[i]);
		int fd;
		struct tee_ioctl_version_data ver;
		int r = probe(path, &fd, &ver);
		if (r == -EACCES || r == -EPERM)
			denied = r;
		if (r)
			continue;
		if (is_optee(&ver)) {
			vm->fd = fd;
			vm->ver = ver;
			snprintf(vm->path, sizeof(vm->path), "%s", path);
			return 0;
		}
		teedev_close_fd(fd);
	}
	if (denied) {
		teedev_log(vm->label, "no OP-TEE device this process may open: %s/tee* %s (it needs read-write access)",
			   dir, strerror(-denied));
		return denied;
	}
	teedev_log(vm->label, "no OP-TEE device: %d %s/tee* device(s), none says TEE_IMPL_ID_OPTEE", n, dir);
	return -ENOENT;
}

/* fd=: the context the caller opened, for one VM only (a second would share its sessions). */
static int take_fd(struct teedev_tee *t, struct teedev_vm *vm)
{
	pthread_mutex_lock(&t->lock);
	bool taken = t->fd_taken;
	t->fd_taken = true;
	pthread_mutex_unlock(&t->lock);
	if (taken) {
		teedev_log(vm->label, "fd=%d is one TEE context: it serves one VM only", t->o.fd);
		return -EBUSY;
	}
	int fd = t->o.fd;
	snprintf(vm->path, sizeof(vm->path), "fd %d", fd);
	memset(&vm->ver, 0, sizeof(vm->ver));
	if (teedev_ioctl(fd, TEE_IOC_VERSION, &vm->ver) < 0) {
		teedev_log(vm->label, "fd=%d: not a TEE device (TEE_IOC_VERSION: %s)", fd, strerror(errno));
		teedev_close_fd(fd);
		return -ENODEV;
	}
	if (!is_optee(&vm->ver)) {
		teedev_log(vm->label, "fd=%d: not an OP-TEE client device", fd);
		teedev_close_fd(fd);
		return -ENODEV;
	}
	vm->fd = fd;
	return 0;
}

/* dev=PATH. */
static int open_named(struct teedev_vm *vm, const char *path)
{
	int fd, r = probe(path, &fd, &vm->ver);
	if (r == -ENOTTY) {
		teedev_log(vm->label, "dev=%s: not a TEE device (TEE_IOC_VERSION fails)", path);
		return -ENODEV;
	}
	if (r) {
		teedev_log(vm->label, "dev=%s: %s", path, strerror(-r));
		return r;
	}
	if (!is_optee(&vm->ver)) {
		teedev_log(vm->label, "dev=%s: %s", path,
			   vm->ver.impl_id != TEE_IMPL_ID_OPTEE         ? "not OP-TEE (impl_id is not TEE_IMPL_ID_OPTEE)"
			   : vm->ver.gen_caps & TEE_GEN_CAP_PRIVILEGED ? "the supplicant's device, not a client one"
								       : "not a GlobalPlatform TEE");
		teedev_close_fd(fd);
		return -ENODEV;
	}
	vm->fd = fd;
	snprintf(vm->path, sizeof(vm->path), "%s", path);
	return 0;
}

int teedev_device_open(struct teedev_tee *t, struct teedev_vm *vm)
{
	if (t->o.fd >= 0)
		return take_fd(t, vm);
	if (!vm->o->dev[0])
		return find_optee(vm);
	return open_named(vm, vm->o->dev);
}
