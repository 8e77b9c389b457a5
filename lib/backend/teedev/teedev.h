/* SPDX-License-Identifier: MIT */
/*
 * The "teedev" back-end (teedev.c and its neighbours, teedev_int.h): the VM's TEE is the host's OP-TEE, reached
 * through the Linux TEE subsystem's uapi (/dev/teeN, <linux/tee.h>). Each VM
 * gets its own TEE context (an open file of the device): closing it when the
 * VM goes ends whatever the VM still had open in the TEE. docs/teedev.md says
 * what this path can and cannot do.
 *
 * Options, comma-separated:
 *   dev=PATH            the device [the first /dev/teeN whose TEE_IOC_VERSION says OP-TEE]
 *   fd=N                an open TEE context to use instead, for one VM (a sandboxed
 *                       mediator that may open nothing: vteed); the back-end owns it
 *   login=ACTION        what every guest login becomes on the host [public]
 *   login.CLASS=ACTION  the same for one class of guest login:
 *                       public, user, group, app (APPLICATION, _USER, _GROUP), kernel (REE_KERNEL)
 *                       ACTION: public | user | group | deny
 *                         public  TEE_IOCTL_LOGIN_PUBLIC: the TA sees the nil client UUID
 *                         user    TEE_IOCTL_LOGIN_USER: the host kernel derives the UUID from
 *                                 the mediator's effective uid (one identity per host user)
 *                         group   TEE_IOCTL_LOGIN_GROUP with gid= (the mediator must be in it)
 *                         deny    the OPEN fails with TEE_ERROR_ACCESS_DENIED
 *   gid=N               the group for "group" [the mediator's effective gid]
 *   threads=N           threads per VM that carry the blocking ioctls, 1..1024 [16,
 *                       the default call quota: use at least the VM's max_calls]
 *   zerocopy=0|1        register guest memory with the TEE in place [1]; 0 copies
 *                       every memref through TEE_IOC_SHM_ALLOC (comparison, debugging)
 *   maxmaps=N           mmap()s the views of one VM may hold at once [16384]
 *   inline=MODE         where an INVOKE's ioctl runs [auto]:
 *                         off   always on a pool thread: the caller waits at most its
 *                               time slice, whatever the TA does
 *                         auto  on the caller's thread when that session's command came
 *                               back within half of inline_us the last N times it
 *                               ran (N starts at 4, and doubles, up to 64, each time an
 *                               inline call kept its caller longer than inline_us)
 *                         on    always on the caller's thread (callers that are no vCPU)
 *   inline_us=N         the longest inline=auto means to keep a caller, 4..1000000
 *                       [1000, the core's default time slice: up to that the caller
 *                       would have waited for the pool thread anyway]
 */
#ifndef VTEE_TEEDEV_H
#define VTEE_TEEDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtee/backend.h"

extern const struct vtee_backend_ops vtee_teedev_backend;

/* ---- options (exposed for tests) ---- */

enum teedev_login_class {
	TEEDEV_CLASS_PUBLIC,
	TEEDEV_CLASS_USER,
	TEEDEV_CLASS_GROUP,
	TEEDEV_CLASS_APP,
	TEEDEV_CLASS_KERNEL,
	TEEDEV_CLASSES
};

enum teedev_login_action {
	TEEDEV_LOGIN_PUBLIC,
	TEEDEV_LOGIN_USER,
	TEEDEV_LOGIN_GROUP,
	TEEDEV_LOGIN_DENY,
};

#define TEEDEV_DEFAULT_THREADS 16u
#define TEEDEV_MAX_THREADS     1024u
#define TEEDEV_DEFAULT_MAXMAPS 16384u
#define TEEDEV_PATH_MAX        256
#define TEEDEV_DEFAULT_INLINE_US 1000u
#define TEEDEV_INLINE_NEED       4u /* quick calls in a row before inline=auto runs one inline */

enum teedev_inline { TEEDEV_INLINE_OFF, TEEDEV_INLINE_AUTO, TEEDEV_INLINE_ON };

struct teedev_opts {
	char dev[TEEDEV_PATH_MAX];              /* "" = the first OP-TEE device */
	uint8_t login[TEEDEV_CLASSES];          /* enum teedev_login_action per class */
	bool gid_set;
	uint32_t gid;
	unsigned threads;
	bool zerocopy;
	unsigned max_maps;
	int fd;                                 /* fd=, -1 unset */
	uint8_t inline_mode;                    /* enum teedev_inline */
	unsigned inline_us;
};

/* Parse options (NULL = defaults). 0, or -EINVAL with the reason in err. */
int teedev_parse_options(const char *options, struct teedev_opts *o, char *err, size_t errlen);

/* The class a guest login belongs to; TEEDEV_CLASSES for a login no class has. */
enum teedev_login_class teedev_login_class(uint32_t guest_login);

/*
 * The login the host sees for a guest's: 0 with *host_login and clnt_uuid
 * (the connection data the kernel reads: the gid for GROUP, zero otherwise)
 * set, or -EACCES when the policy says deny or the login is unknown (the OPEN
 * then fails with TEE_ERROR_ACCESS_DENIED). Never a login in the kernel's
 * reserved range: the host kernel refuses those from userspace (EPERM).
 */
int teedev_map_login(const struct teedev_opts *o, uint32_t guest_login, uint32_t *host_login, uint8_t clnt_uuid[16]);

/* ---- statistics (tests, benchmarks, status) ---- */

struct vtee_teedev_stats {
	uint32_t impl_id, impl_caps, gen_caps; /* TEE_IOC_VERSION of the VM's device */
	bool reg_mem, memref_null;              /* TEE_GEN_CAP_REG_MEM, TEE_GEN_CAP_MEMREF_NULL */
	uint32_t sessions;                      /* open in the TEE for this VM now */
	uint64_t views;          /* registered guest buffers handed to the TEE in place (zero-copy) */
	uint64_t tmp_views;      /* temporary memrefs handed over in place for one call */
	uint64_t view_maps;      /* mmap()s those views took, in all */
	uint64_t maps_now;       /* mmap()s the VM's views hold now (bounded by maxmaps) */
	uint64_t view_fallbacks; /* buffers that could not be viewed or registered: copied instead */
	uint64_t copies;         /* memrefs copied through TEE_IOC_SHM_ALLOC */
	uint64_t copy_bytes;     /* bytes those copies moved, in and out */
	uint64_t cancels;        /* TEE_IOC_CANCEL sent */
	uint64_t logins_mapped;  /* OPENs whose login the policy changed */
	uint64_t logins_denied;  /* OPENs the policy refused */
	uint64_t inline_calls;   /* INVOKEs whose ioctl ran on the caller's thread */
	uint64_t inline_overruns; /* of those, the ones that took longer than inline_us */
	/* host-wide, all teedev VMs of this process: held now (budgets in docs/teedev.md) */
	uint64_t host_fds, host_maps, host_copy_bytes;
};

/* vm: the teedev back-end's VM (struct vtee_vm's be). 0 or -EINVAL. */
int vtee_teedev_stats(void *vm, struct vtee_teedev_stats *st);

/* ---- the system calls it makes on the device (tests replace them) ---- */

struct teedev_sys {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long request, void *arg);
	int (*close)(int fd);
	const char *dev_dir; /* where "teeN" devices are looked for ["/dev"] */
};

/*
 * Tests only: route the back-end's open/ioctl/close of the device and its
 * shared-memory descriptors through sys (NULL: the real system calls; a NULL
 * member: the real one, dev_dir "/dev"). Copied; set it while no teedev VM
 * exists. mmap() of the descriptors stays real.
 */
void teedev_set_sys(const struct teedev_sys *sys);

/*
 * Tests only: the host-wide budgets all VMs share (fds, mmap()s, bytes of
 * copies) instead of those read from the system (all 0: read them again).
 */
void teedev_set_host_limits(uint64_t fds, uint64_t maps, uint64_t copy_bytes);

/* Tests only: the cancel id the VM (vtee_vm's be) handed out last; the next is after it. */
void teedev_test_set_cancel_id(void *vm, uint32_t last);

#endif
