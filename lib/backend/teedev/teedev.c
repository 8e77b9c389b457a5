// SPDX-License-Identifier: MIT
/*
 * The "teedev" back-end: a VM's requests go to the host's OP-TEE through the
 * Linux TEE uapi (<linux/tee.h>): TEE_IOC_OPEN_SESSION, _INVOKE,
 * _CLOSE_SESSION, _CANCEL, and shared memory with _SHM_REGISTER (guest memory
 * in place) or _SHM_ALLOC (copies). docs/teedev.md has the whole story.
 *
 * One TEE context per VM: vm_created opens the device, vm_destroyed closes it,
 * and the kernel then closes whatever sessions of the VM are still open in
 * the TEE. Sessions, shared memory ids and cancellation are per context, so
 * two VMs can never name each other's objects through this path.
 *
 * Threads: the ioctls block for as long as the TA runs, and a vCPU must not,
 * so submit() queues the request for a per-VM pool of threads (grown on
 * demand up to "threads=", default 16 = the default call quota; beyond that,
 * FIFO) that make the ioctl and complete the request with vtee_req_done().
 *
 * Cancellation: every request gets its own cancel id from a per-VM counter,
 * never the guest's (the guest's ids are per guest context, and the core
 * already matched the guest's CANCEL to this request), so TEE_IOC_CANCEL
 * names exactly one request of the VM's context. The ioctl is made by a
 * per-VM canceller thread, not by cancel() itself: the core calls cancel()
 * with the VM's lock held, and in the kernel a cancel is itself a call into
 * OP-TEE that waits for a free OP-TEE thread when all are busy (with the very
 * calls being cancelled, say). A request still queued is cancelled at once,
 * without reaching the TEE.
 *
 * Shared memory (zero-copy): a registered guest buffer is a list of guest
 * pages; shm_register maps those pages of the guest-RAM file side by side in
 * a reserved window (shmview.c) and registers that range with
 * TEE_IOC_SHM_REGISTER: the TEE reads and writes guest RAM itself. A
 * temporary memref gets the same for the length of its call. Where that is
 * not possible (the host TEE lacks TEE_GEN_CAP_REG_MEM, guest RAM has no file,
 * a mapping or the registration fails, "zerocopy=0"), each memref is copied
 * through a TEE_IOC_SHM_ALLOC buffer for its call, and counted.
 *
 * Identity: the host kernel computes the client identity itself, from this
 * process, and refuses the REE-kernel login range from userspace; guest
 * logins are mapped by the policy in the options (teedev.h), default PUBLIC.
 *
 * RPCs: the TEE's requests to the normal world (TA loading, secure storage,
 * RPMB, time) are served by the host kernel and the host's tee-supplicant;
 * this back-end never calls vtee_req_rpc().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "shmview.h"
#include "teedev.h"
#include "log.h"

/* Older uapi headers lack these; the values are the kernel's. */
#ifndef TEE_GEN_CAP_REG_MEM
#define TEE_GEN_CAP_REG_MEM (1 << 2)
#endif
#ifndef TEE_GEN_CAP_MEMREF_NULL
#define TEE_GEN_CAP_MEMREF_NULL (1 << 3)
#endif
#ifndef TEE_MEMREF_NULL
#define TEE_MEMREF_NULL ((__u64)-1)
#endif
#ifndef TEE_IOCTL_LOGIN_REE_KERNEL_MIN
#define TEE_IOCTL_LOGIN_REE_KERNEL_MIN 0x80000000u
#define TEE_IOCTL_LOGIN_REE_KERNEL_MAX 0xBFFFFFFFu
#endif

_Static_assert(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT == VTEE_PARAM_VALUE_IN &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT == VTEE_PARAM_VALUE_INOUT &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT == VTEE_PARAM_MEMREF_IN &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT == VTEE_PARAM_MEMREF_INOUT,
	       "vtee parameter types are the uapi's");
_Static_assert(TEE_IOCTL_LOGIN_PUBLIC == TEE_LOGIN_PUBLIC && TEE_IOCTL_LOGIN_USER == TEE_LOGIN_USER &&
		       TEE_IOCTL_LOGIN_GROUP == TEE_LOGIN_GROUP,
	       "login numbers");

/* Copies of memrefs one VM may hold in TEE_IOC_SHM_ALLOC buffers at once (host kernel memory). */
#define TEEDEV_BOUNCE_MAX (64ull << 20)
#define TEEDEV_THREAD_STACK (256u << 10)
/* Bytes of an OPEN/INVOKE argument with every parameter. */
#define TEEDEV_ARG_MAX (sizeof(struct tee_ioctl_open_session_arg) + VTEE_MAX_PARAMS * sizeof(struct tee_ioctl_param))
_Static_assert(TEEDEV_ARG_MAX <= TEE_MAX_ARG_SIZE, "argument size");

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
static const struct teedev_sys *sys = &real_sys;

void teedev_set_sys(const struct teedev_sys *s)
{
	if (!s) {
		sys = &real_sys;
		return;
	}
	/* what the test leaves NULL stays real */
	test_sys.open = s->open ? s->open : real_open;
	test_sys.ioctl = s->ioctl ? s->ioctl : real_ioctl;
	test_sys.close = s->close ? s->close : real_close;
	test_sys.dev_dir = s->dev_dir ? s->dev_dir : real_sys.dev_dir;
	sys = &test_sys;
}

static const char *dev_dir(void)
{
	return sys->dev_dir;
}

/* ---- logging ---- */

static void logmsg(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(const char *label, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vtee_log(VTEE_LOG_WARNING, "vtee-teedev[%s]: %s", label && *label ? label : "-", buf);
}

/* ---- options ---- */

static const char *const class_names[TEEDEV_CLASSES] = { "public", "user", "group", "app", "kernel" };
static const char *const action_names[] = { "public", "user", "group", "deny" };

static bool token_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(s, word, len);
}

static bool parse_ulong(const char *s, size_t len, unsigned long min, unsigned long max, unsigned long *out)
{
	char buf[24];
	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return false;
	errno = 0;
	char *end;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int fail_opt(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_opt(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int teedev_parse_options(const char *options, struct teedev_opts *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->threads = TEEDEV_DEFAULT_THREADS;
	o->zerocopy = true;
	o->max_maps = TEEDEV_DEFAULT_MAXMAPS;
	o->inline_mode = TEEDEV_INLINE_AUTO;
	o->inline_us = TEEDEV_DEFAULT_INLINE_US;
	o->fd = -1;
	if (err && errlen)
		err[0] = 0;

	int all = TEEDEV_LOGIN_PUBLIC;       /* login= */
	int cls[TEEDEV_CLASSES];             /* login.CLASS=, -1 unset */
	for (int i = 0; i < TEEDEV_CLASSES; i++)
		cls[i] = -1;
	unsigned seen = 0;                   /* each key once */
	enum { K_DEV, K_LOGIN, K_GID, K_THREADS, K_ZEROCOPY, K_MAXMAPS, K_INLINE, K_INLINE_US, K_FD, K_CLASS0 };

	for (const char *s = options ? options : ""; *s;) {
		size_t len = strcspn(s, ",");
		const char *item = s;
		s += len;
		if (*s == ',')
			s++;
		if (!len)
			continue;
		const char *eq = memchr(item, '=', len);
		if (!eq)
			return fail_opt(err, errlen, "'%.*s': expected KEY=VALUE", (int)len, item);
		size_t klen = (size_t)(eq - item), vlen = len - klen - 1;
		const char *val = eq + 1;
		unsigned long v;
		int key;

		if (token_is(item, klen, "dev")) {
			key = K_DEV;
			if (!vlen || vlen >= sizeof(o->dev) || val[0] != '/')
				return fail_opt(err, errlen, "dev=%.*s: expected an absolute path", (int)vlen, val);
			memcpy(o->dev, val, vlen);
			o->dev[vlen] = 0;
		} else if (token_is(item, klen, "login") || (klen > 6 && !strncmp(item, "login.", 6))) {
			int c = -1;
			if (klen > 6) {
				for (int i = 0; i < TEEDEV_CLASSES; i++)
					if (token_is(item + 6, klen - 6, class_names[i]))
						c = i;
				if (c < 0)
					return fail_opt(err, errlen,
							"'%.*s': unknown login class (public, user, group, app, kernel)",
							(int)klen, item);
			}
			key = c < 0 ? K_LOGIN : K_CLASS0 + c;
			int a = -1;
			for (int i = 0; i < (int)(sizeof(action_names) / sizeof(action_names[0])); i++)
				if (token_is(val, vlen, action_names[i]))
					a = i;
			if (a < 0)
				return fail_opt(err, errlen, "%.*s=%.*s: expected public, user, group or deny",
						(int)klen, item, (int)vlen, val);
			if (c < 0)
				all = a;
			else
				cls[c] = a;
		} else if (token_is(item, klen, "gid")) {
			key = K_GID;
			/* (gid_t)-1 is "no group" to the kernel */
			if (!parse_ulong(val, vlen, 0, UINT32_MAX - 1, &v))
				return fail_opt(err, errlen, "gid=%.*s: expected a group id", (int)vlen, val);
			o->gid = (uint32_t)v;
			o->gid_set = true;
		} else if (token_is(item, klen, "threads")) {
			key = K_THREADS;
			if (!parse_ulong(val, vlen, 1, TEEDEV_MAX_THREADS, &v))
				return fail_opt(err, errlen, "threads=%.*s: expected 1..%u", (int)vlen, val,
						TEEDEV_MAX_THREADS);
			o->threads = (unsigned)v;
		} else if (token_is(item, klen, "zerocopy")) {
			key = K_ZEROCOPY;
			if (!token_is(val, vlen, "0") && !token_is(val, vlen, "1"))
				return fail_opt(err, errlen, "zerocopy=%.*s: expected 0 or 1", (int)vlen, val);
			o->zerocopy = val[0] == '1';
		} else if (token_is(item, klen, "maxmaps")) {
			key = K_MAXMAPS;
			if (!parse_ulong(val, vlen, 1, 1u << 20, &v))
				return fail_opt(err, errlen, "maxmaps=%.*s: expected 1..%u", (int)vlen, val, 1u << 20);
			o->max_maps = (unsigned)v;
		} else if (token_is(item, klen, "inline")) {
			key = K_INLINE;
			if (token_is(val, vlen, "off"))
				o->inline_mode = TEEDEV_INLINE_OFF;
			else if (token_is(val, vlen, "auto"))
				o->inline_mode = TEEDEV_INLINE_AUTO;
			else if (token_is(val, vlen, "on"))
				o->inline_mode = TEEDEV_INLINE_ON;
			else
				return fail_opt(err, errlen, "inline=%.*s: expected off, auto or on", (int)vlen, val);
		} else if (token_is(item, klen, "fd")) {
			key = K_FD;
			if (!parse_ulong(val, vlen, 0, INT32_MAX, &v))
				return fail_opt(err, errlen, "fd=%.*s: expected a file descriptor", (int)vlen, val);
			o->fd = (int)v;
		} else if (token_is(item, klen, "inline_us")) {
			key = K_INLINE_US;
			if (!parse_ulong(val, vlen, 4, 1000000, &v))
				return fail_opt(err, errlen, "inline_us=%.*s: expected 4..1000000", (int)vlen, val);
			o->inline_us = (unsigned)v;
		} else {
			return fail_opt(err, errlen,
					"unknown option '%.*s' (dev, fd, login, login.CLASS, gid, threads, zerocopy, "
					"maxmaps, inline, inline_us)",
					(int)klen, item);
		}
		if (seen & (1u << key))
			return fail_opt(err, errlen, "option '%.*s' given twice", (int)klen, item);
		seen |= 1u << key;
	}
	if ((seen & (1u << K_DEV)) && (seen & (1u << K_FD)))
		return fail_opt(err, errlen, "dev= and fd= both name the device: give one");
	for (int i = 0; i < TEEDEV_CLASSES; i++)
		o->login[i] = (uint8_t)(cls[i] >= 0 ? cls[i] : all);
	return 0;
}

/* ---- identity ---- */

enum teedev_login_class teedev_login_class(uint32_t login)
{
	switch (login) {
	case TEE_LOGIN_PUBLIC:
		return TEEDEV_CLASS_PUBLIC;
	case TEE_LOGIN_USER:
		return TEEDEV_CLASS_USER;
	case TEE_LOGIN_GROUP:
		return TEEDEV_CLASS_GROUP;
	case TEE_LOGIN_APPLICATION:
	case TEE_LOGIN_APPLICATION_USER:
	case TEE_LOGIN_APPLICATION_GROUP:
		return TEEDEV_CLASS_APP;
	default:
		break;
	}
	if (login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN && login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX)
		return TEEDEV_CLASS_KERNEL;
	return TEEDEV_CLASSES;
}

uint32_t teedev_map_login(const struct teedev_opts *o, uint32_t guest_login, uint32_t *host_login,
			  uint8_t clnt_uuid[16])
{
	/* The guest's client UUID means nothing on the host: the kernel derives its own. */
	memset(clnt_uuid, 0, 16);
	enum teedev_login_class c = teedev_login_class(guest_login);
	if (c == TEEDEV_CLASSES)
		return TEE_ERROR_ACCESS_DENIED;
	switch (o->login[c]) {
	case TEEDEV_LOGIN_PUBLIC:
		*host_login = TEE_IOCTL_LOGIN_PUBLIC;
		return TEE_SUCCESS;
	case TEEDEV_LOGIN_USER:
		*host_login = TEE_IOCTL_LOGIN_USER;
		return TEE_SUCCESS;
	case TEEDEV_LOGIN_GROUP: {
		/* the kernel reads a gid_t from the connection data and checks we are in the group */
		gid_t g = o->gid_set ? (gid_t)o->gid : getegid();
		memcpy(clnt_uuid, &g, sizeof(g));
		*host_login = TEE_IOCTL_LOGIN_GROUP;
		return TEE_SUCCESS;
	}
	default:
		return TEE_ERROR_ACCESS_DENIED;
	}
}

/* ---- state ---- */

struct teedev_tee {
	struct teedev_opts o;
	pthread_mutex_t lock;
	bool fd_taken; /* fd=: the one context went to a VM (and is closed with it) */
};

struct teedev_sess {
	uint32_t id;                     /* the host's session id */
	struct teedev_sess *prev, *next; /* vm->sessions, under vm->lock */
};

/*
 * What the core holds for a session is the host's id, not a pointer: the core
 * may still submit an INVOKE it prepared while a CLOSE on another vCPU already
 * ended the session, and an id is never freed under it (a stale one just fails
 * in the TEE, inside this VM's own context).
 */
static void *sess_handle(uint32_t id)
{
	return (void *)((uintptr_t)id + 1);
}

static uint32_t sess_id(const void *handle)
{
	return (uint32_t)((uintptr_t)handle - 1);
}

/* A registered guest buffer as the host TEE knows it (the vtee_shm's priv). */
struct teedev_shm {
	int fd;     /* TEE_IOC_SHM_REGISTER's; -1: not registered, memrefs on it are copied */
	int32_t id; /* the host's shm id */
	struct shmview view;
};

struct job {
	struct job *prev, *next; /* vm->jobs: submitted, not completed */
	struct job *qnext;       /* vm's FIFO while queued */
	struct vtee_req *req;
	uint32_t cancel_id;      /* ours, unique in the VM's context */
	uint32_t session;        /* host session: INVOKE, CLOSE */
	bool running;            /* a thread has it (in the ioctl, or about to be); else queued */
	bool cancel_asked;       /* its TEE_IOC_CANCEL is queued or sent */
	uint8_t cancels_sent;    /* by the canceller: again while it runs (see canceller_main) */
	uint64_t cancel_at;      /* when the last one went out (ns, monotonic) */
};

struct cancel_ask {
	uint32_t cancel_id, session;
};

/*
 * What inline=auto remembers of one (session, command): how many calls in a
 * row were quick (within inline_us / 2), and how many it takes to run the next
 * one on the caller's thread. Once there, it stays while each call comes back
 * within inline_us. A small direct-mapped table: a collision forgets,
 * and forgetting only ever sends calls back to the pool.
 */
struct inline_hint {
	uint32_t session, func;
	uint16_t streak, need; /* need 0: the slot is empty */
};
#define TEEDEV_HINTS          64u
#define TEEDEV_INLINE_MAXNEED 64u /* a command that overruns 1 call in 64 stays on the pool */

/* Reasons to copy, each logged once per VM. */
enum { WARN_NOFILE, WARN_LAYOUT, WARN_MAPS, WARN_MMAP, WARN_REGISTER, WARN_NULL, WARN_CLOSE, WARN_HOST_FDS, WARN_N };

struct teedev_vm {
	const struct teedev_opts *o;
	uint32_t vm_id;
	char label[64];
	char path[TEEDEV_PATH_MAX];
	int fd;                        /* the VM's TEE context */
	struct tee_ioctl_version_data ver;
	bool reg_mem, memref_null, zerocopy;
	size_t granule;                /* host page size */

	pthread_mutex_t lock;          /* everything below */
	pthread_cond_t work;           /* queued work, or stopping */
	struct job jobs;               /* list head */
	struct job *qhead, *qtail;
	unsigned qlen, nidle, nthreads, max_threads;
	pthread_t *threads;
	bool stopping;
	uint32_t next_cancel_id;
	struct cancel_ask *cq;         /* cancels to send: at most one per running job */
	unsigned cq_n;
	pthread_cond_t cq_cond;
	bool canceller_started;
	pthread_t canceller;
	struct teedev_sess sessions;   /* list head */
	uint32_t nsessions;
	uint64_t maps_now;             /* mmap()s held by views */
	uint64_t bounce_now;           /* bytes in TEE_IOC_SHM_ALLOC copies */
	struct inline_hint hints[TEEDEV_HINTS];
	unsigned inline_running;       /* callers in an ioctl of their own now */
	pthread_cond_t inline_idle;    /* inline_running dropped to 0 while stopping */

	_Atomic uint32_t warned;       /* WARN_* bits */
	_Atomic uint64_t st_views, st_tmp_views, st_view_maps, st_fallbacks, st_copies, st_copy_bytes;
	_Atomic uint64_t st_cancels, st_logins_mapped, st_logins_denied, st_inline, st_inline_overruns;
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static bool first_time(struct teedev_vm *vm, unsigned what)
{
	uint32_t bit = 1u << what;
	return !(atomic_fetch_or_explicit(&vm->warned, bit, memory_order_relaxed) & bit);
}

static void finish(struct vtee_req *req, uint32_t ret, uint32_t origin)
{
	req->ret = ret;
	req->ret_origin = origin;
	vtee_req_done(req);
}

static uint32_t errno_to_tee(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return TEE_ERROR_ACCESS_DENIED;
	case EINVAL:
	case EFAULT:
	case E2BIG:
		return TEE_ERROR_BAD_PARAMETERS;
	case ENOMEM:
	case ENOSPC:
		return TEE_ERROR_OUT_OF_MEMORY;
	case EBUSY:
	case EAGAIN:
		return TEE_ERROR_BUSY;
	case EOPNOTSUPP:
		return TEE_ERROR_NOT_SUPPORTED;
	default:
		return TEE_ERROR_COMMUNICATION;
	}
}

/* ---- what all VMs of this process share ---- */

/*
 * File descriptors and mappings are per process, and so is the kernel memory
 * behind copies: a per-VM bound alone lets several VMs together exhaust them,
 * and the VMM with them. Each is also held to a host-wide budget, set when a
 * back-end opens: half of RLIMIT_NOFILE, half of vm.max_map_count (the rest is
 * the VMM's), and TEEDEV_HOST_COPY_MAX bytes of copies.
 */
#define TEEDEV_HOST_COPY_MAX (256ull << 20)

enum { HOST_FDS, HOST_MAPS, HOST_COPY, HOST_N };
static struct {
	pthread_mutex_t lock;
	uint64_t now[HOST_N], max[HOST_N];
	bool fixed; /* teedev_set_host_limits() */
} host = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void host_limits_set(uint64_t fds, uint64_t maps)
{
	pthread_mutex_lock(&host.lock);
	if (!host.fixed) {
		host.max[HOST_FDS] = fds / 2;
		host.max[HOST_MAPS] = maps / 2;
		host.max[HOST_COPY] = TEEDEV_HOST_COPY_MAX;
	}
	pthread_mutex_unlock(&host.lock);
}

/* Linux's defaults for both (RLIMIT_NOFILE's soft limit, vm.max_map_count), unless set already */
static void host_limits_default(void)
{
	pthread_mutex_lock(&host.lock);
	bool set = host.max[HOST_FDS] != 0;
	pthread_mutex_unlock(&host.lock);
	if (!set)
		host_limits_set(1024, 65530);
}

static void host_limits_read(void)
{
	struct rlimit rl;
	uint64_t fds = 1024, maps = 65530;
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		fds = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : (uint64_t)rl.rlim_cur;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	unsigned long long v;
	if (f) {
		if (fscanf(f, "%llu", &v) == 1 && v > 0)
			maps = v;
		fclose(f);
	}
	host_limits_set(fds, maps);
}

void teedev_set_host_limits(uint64_t fds, uint64_t maps, uint64_t copy_bytes)
{
	pthread_mutex_lock(&host.lock);
	host.fixed = fds || maps || copy_bytes;
	host.max[HOST_FDS] = fds;
	host.max[HOST_MAPS] = maps;
	host.max[HOST_COPY] = copy_bytes;
	pthread_mutex_unlock(&host.lock);
	if (!host.fixed)
		host_limits_read();
}

static uint64_t host_room(int what)
{
	pthread_mutex_lock(&host.lock);
	uint64_t r = host.max[what] > host.now[what] ? host.max[what] - host.now[what] : 0;
	pthread_mutex_unlock(&host.lock);
	return r;
}

static bool host_take(int what, uint64_t n)
{
	pthread_mutex_lock(&host.lock);
	bool ok = n <= host.max[what] && host.now[what] <= host.max[what] - n;
	if (ok)
		host.now[what] += n;
	pthread_mutex_unlock(&host.lock);
	return ok;
}

static void host_give(int what, uint64_t n)
{
	pthread_mutex_lock(&host.lock);
	host.now[what] -= n;
	pthread_mutex_unlock(&host.lock);
}

/* ---- open, close ---- */

static int teedev_open(const char *options, void **out)
{
	struct teedev_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	char err[256];
	int r = teedev_parse_options(options, &t->o, err, sizeof(err));
	if (r) {
		logmsg(NULL, "options \"%s\": %s", options ? options : "", err);
		free(t);
		return r;
	}
	/* fd=: a sandboxed mediator (vteed) that may open no files: the defaults */
	if (t->o.fd < 0)
		host_limits_read();
	else
		host_limits_default();
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

static void teedev_close(void *tee)
{
	struct teedev_tee *t = tee;
	if (t->o.fd >= 0 && !t->fd_taken)
		sys->close(t->o.fd); /* given with fd=, and no VM took it */
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* ---- the device ---- */

/* Open path and ask TEE_IOC_VERSION: 0 with *fd open, or -errno (-ENOTTY: not a TEE device). */
static int probe(const char *path, int *fd, struct tee_ioctl_version_data *ver)
{
	int f = sys->open(path, O_RDWR | O_CLOEXEC);
	if (f < 0)
		return errno ? -errno : -EIO;
	memset(ver, 0, sizeof(*ver));
	if (sys->ioctl(f, TEE_IOC_VERSION, ver) < 0) {
		int e = errno;
		sys->close(f);
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

/* The first teeN in the device directory, by N, that is OP-TEE and not the supplicant's. */
static int find_optee(struct teedev_vm *vm)
{
	const char *dir = dev_dir();
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		logmsg(vm->label, "no OP-TEE device: cannot list %s: %s", dir, strerror(e));
		return -ENOENT;
	}
	unsigned nums[64], n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64) {
		const char *s = de->d_name;
		unsigned long v;
		if (!strncmp(s, "tee", 3) && parse_ulong(s + 3, strlen(s + 3), 0, 999999, &v))
			nums[n++] = (unsigned)v;
	}
	closedir(d);
	if (!n) {
		logmsg(vm->label,
		       "no OP-TEE device: no %s/tee* at all (is the host's OP-TEE driver loaded: modprobe optee? "
		       "does the firmware run OP-TEE?); or name one with dev=",
		       dir);
		return -ENOENT;
	}
	qsort(nums, n, sizeof(nums[0]), cmp_uint);
	int denied = 0;
	for (unsigned i = 0; i < n; i++) {
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
		sys->close(fd);
	}
	if (denied) {
		logmsg(vm->label, "no OP-TEE device this process may open: %s/tee* %s (it needs read-write access)",
		       dir, strerror(-denied));
		return denied;
	}
	logmsg(vm->label, "no OP-TEE device: %u %s/tee* device(s), none says TEE_IMPL_ID_OPTEE", n, dir);
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
		logmsg(vm->label, "fd=%d is one TEE context: it serves one VM only", t->o.fd);
		return -EBUSY;
	}
	int fd = t->o.fd;
	snprintf(vm->path, sizeof(vm->path), "fd %d", fd);
	memset(&vm->ver, 0, sizeof(vm->ver));
	if (sys->ioctl(fd, TEE_IOC_VERSION, &vm->ver) < 0) {
		logmsg(vm->label, "fd=%d: not a TEE device (TEE_IOC_VERSION: %s)", fd, strerror(errno));
		sys->close(fd);
		return -ENODEV;
	}
	if (!is_optee(&vm->ver)) {
		logmsg(vm->label, "fd=%d: not an OP-TEE client device", fd);
		sys->close(fd);
		return -ENODEV;
	}
	vm->fd = fd;
	return 0;
}

static int open_device(struct teedev_tee *t, struct teedev_vm *vm)
{
	if (t->o.fd >= 0)
		return take_fd(t, vm);
	if (!vm->o->dev[0])
		return find_optee(vm);
	const char *path = vm->o->dev;
	int fd, r = probe(path, &fd, &vm->ver);
	if (r == -ENOTTY) {
		logmsg(vm->label, "dev=%s: not a TEE device (TEE_IOC_VERSION fails)", path);
		return -ENODEV;
	}
	if (r) {
		logmsg(vm->label, "dev=%s: %s", path, strerror(-r));
		return r;
	}
	if (!is_optee(&vm->ver)) {
		logmsg(vm->label, "dev=%s: %s", path,
		       vm->ver.impl_id != TEE_IMPL_ID_OPTEE         ? "not OP-TEE (impl_id is not TEE_IMPL_ID_OPTEE)"
		       : vm->ver.gen_caps & TEE_GEN_CAP_PRIVILEGED ? "the supplicant's device, not a client one"
								   : "not a GlobalPlatform TEE");
		sys->close(fd);
		return -ENODEV;
	}
	vm->fd = fd;
	snprintf(vm->path, sizeof(vm->path), "%s", path);
	return 0;
}

/* ---- threads ---- */

static void run_job(struct teedev_vm *vm, struct job *j);

/* vm->lock held. */
static void drop_cancel(struct teedev_vm *vm, uint32_t cancel_id)
{
	for (unsigned i = 0; i < vm->cq_n; i++)
		if (vm->cq[i].cancel_id == cancel_id) {
			memmove(vm->cq + i, vm->cq + i + 1, (vm->cq_n - i - 1) * sizeof(vm->cq[0]));
			vm->cq_n--;
			return;
		}
}

/* ---- inline=auto ---- */

static struct inline_hint *hint_slot(struct teedev_vm *vm, uint32_t session, uint32_t func)
{
	uint32_t h = (session * 0x9e3779b1u) ^ (func * 0x85ebca6bu);
	return &vm->hints[(h >> 16) % TEEDEV_HINTS];
}

/* vm->lock held. Whether this INVOKE's ioctl may run on the caller's thread. */
static bool want_inline(struct teedev_vm *vm, uint32_t session, uint32_t func)
{
	if (vm->o->inline_mode != TEEDEV_INLINE_AUTO)
		return vm->o->inline_mode == TEEDEV_INLINE_ON;
	const struct inline_hint *h = hint_slot(vm, session, func);
	return h->need && h->session == session && h->func == func && h->streak >= h->need;
}

/* vm->lock held. How long an INVOKE took in the ioctl, wherever it ran. */
static void hint_record(struct teedev_vm *vm, uint32_t session, uint32_t func, uint64_t ns, bool ran_inline)
{
	struct inline_hint *h = hint_slot(vm, session, func);
	if (!h->need || h->session != session || h->func != func)
		*h = (struct inline_hint){ .session = session, .func = func, .need = TEEDEV_INLINE_NEED };
	uint64_t limit = (uint64_t)vm->o->inline_us * 1000;
	if (ns <= limit / 2) {
		if (h->streak < UINT16_MAX)
			h->streak++;
		return;
	}
	/* within the limit: an inline caller waited no longer than the pool would have let it */
	if (ns <= limit && h->streak >= h->need)
		return;
	h->streak = 0;
	if (ran_inline && ns > limit) {
		/* it stalled its caller: make the command earn it back, for longer each time */
		count(&vm->st_inline_overruns, 1);
		if (h->need < TEEDEV_INLINE_MAXNEED)
			h->need *= 2;
	}
}

/* vm->lock held. A closed session's id may come back for another TA: forget it. */
static void hint_forget(struct teedev_vm *vm, uint32_t session)
{
	for (unsigned i = 0; i < TEEDEV_HINTS; i++)
		if (vm->hints[i].session == session)
			vm->hints[i].need = 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Runs j on this thread, timing an INVOKE for inline=auto; vm->lock not held. */
static uint64_t run_timed(struct teedev_vm *vm, struct job *j)
{
	uint64_t t0 = mono_ns();
	run_job(vm, j);
	return mono_ns() - t0;
}

static void *worker_main(void *arg)
{
	struct teedev_vm *vm = arg;
	pthread_mutex_lock(&vm->lock);
	for (;;) {
		if (!vm->qhead) {
			if (vm->stopping)
				break;
			vm->nidle++;
			while (!vm->qhead && !vm->stopping)
				pthread_cond_wait(&vm->work, &vm->lock);
			vm->nidle--;
			continue;
		}
		struct job *j = vm->qhead;
		vm->qhead = j->qnext;
		if (!vm->qhead)
			vm->qtail = NULL;
		vm->qlen--;
		j->running = true;
		pthread_mutex_unlock(&vm->lock);

		struct vtee_req *req = j->req;
		uint64_t ns = run_timed(vm, j);

		pthread_mutex_lock(&vm->lock);
		if (req->op == VTEE_REQ_INVOKE)
			hint_record(vm, j->session, req->func, ns, false);
		j->prev->next = j->next;
		j->next->prev = j->prev;
		if (j->cancel_asked)
			drop_cancel(vm, j->cancel_id); /* so the queue never holds more than the running jobs */
		pthread_mutex_unlock(&vm->lock);
		free(j);
		vtee_req_done(req); /* after this the request is the core's again */
		pthread_mutex_lock(&vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, TEEDEV_THREAD_STACK);
	/* the VMM's signals are not ours to take */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -e;
}

/* vm->lock held. */
static int spawn(struct teedev_vm *vm)
{
	int r = start_thread(&vm->threads[vm->nthreads], worker_main, vm);
	if (!r)
		vm->nthreads++;
	return r;
}

/* The job with this cancel id, if a thread runs it now. vm->lock held. */
static struct job *running_job(struct teedev_vm *vm, uint32_t cancel_id)
{
	for (struct job *j = vm->jobs.next; j != &vm->jobs; j = j->next)
		if (j->cancel_id == cancel_id && j->running)
			return j;
	return NULL;
}

static void send_cancel(struct teedev_vm *vm, const struct cancel_ask *c)
{
	struct tee_ioctl_cancel_arg a = { .cancel_id = c->cancel_id, .session = c->session };
	count(&vm->st_cancels, 1);
	sys->ioctl(vm->fd, TEE_IOC_CANCEL, &a);
}

/*
 * Sends the cancels cancel() queued, outside every lock: the ioctl may wait
 * for the TEE. A cancel can reach OP-TEE before the call it is for (the
 * thread is between submit and its ioctl): OP-TEE then finds nothing to
 * flag. So while a cancelled job still runs, the cancel goes out again every
 * TEEDEV_CANCEL_AGAIN_MS, up to TEEDEV_CANCEL_TRIES times in all.
 */
#define TEEDEV_CANCEL_AGAIN_MS 100u
#define TEEDEV_CANCEL_TRIES    30u

static void *canceller_main(void *arg)
{
	struct teedev_vm *vm = arg;
	pthread_mutex_lock(&vm->lock);
	for (;;) {
		struct cancel_ask c;
		struct job *j = NULL;
		uint64_t now = mono_ns(), next = UINT64_MAX;
		if (vm->cq_n) {
			c = vm->cq[0];
			memmove(vm->cq, vm->cq + 1, --vm->cq_n * sizeof(vm->cq[0]));
			/* finished meanwhile: its id names nothing any more, send nothing */
			j = running_job(vm, c.cancel_id);
			if (!j)
				continue;
		} else {
			for (struct job *k = vm->jobs.next; k != &vm->jobs && !j; k = k->next) {
				if (!k->running || !k->cancel_asked || !k->cancels_sent ||
				    k->cancels_sent >= TEEDEV_CANCEL_TRIES)
					continue;
				uint64_t due = k->cancel_at + TEEDEV_CANCEL_AGAIN_MS * 1000000ull;
				if (due <= now) {
					j = k;
					c = (struct cancel_ask){ k->cancel_id, k->req->op == VTEE_REQ_INVOKE ? k->session : 0 };
				} else if (due < next) {
					next = due;
				}
			}
		}
		if (j) {
			j->cancels_sent++;
			j->cancel_at = now;
			pthread_mutex_unlock(&vm->lock);
			send_cancel(vm, &c);
			pthread_mutex_lock(&vm->lock);
			continue;
		}
		if (next == UINT64_MAX) {
			if (vm->stopping)
				break;
			pthread_cond_wait(&vm->cq_cond, &vm->lock);
		} else {
			struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull) };
			pthread_cond_timedwait(&vm->cq_cond, &vm->lock, &ts);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/* ---- VMs ---- */

static int teedev_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct teedev_tee *t = tee;
	struct teedev_vm *vm = calloc(1, sizeof(*vm));
	pthread_t *threads = vm ? calloc(t->o.threads, sizeof(*threads)) : NULL;
	struct cancel_ask *cq = threads ? calloc(t->o.threads, sizeof(*cq)) : NULL;
	if (!cq) {
		free(threads);
		free(vm);
		return -ENOMEM;
	}
	vm->cq = cq;
	vm->o = &t->o;
	vm->vm_id = vm_id;
	vm->threads = threads;
	vm->max_threads = t->o.threads;
	vm->fd = -1;
	size_t n = 0;
	for (const char *s = name && *name ? name : "vm"; *s && n < sizeof(vm->label) - 1; s++)
		vm->label[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	vm->label[n] = 0;

	int r = open_device(t, vm);
	if (r) {
		free(cq);
		free(threads);
		free(vm);
		return r;
	}
	vm->reg_mem = vm->ver.gen_caps & TEE_GEN_CAP_REG_MEM;
	vm->memref_null = vm->ver.gen_caps & TEE_GEN_CAP_MEMREF_NULL;
	vm->zerocopy = t->o.zerocopy && vm->reg_mem;
	long pg = sysconf(_SC_PAGESIZE);
	vm->granule = pg >= (long)SHMVIEW_PAGE ? (size_t)pg : SHMVIEW_PAGE;
	if (!vm->reg_mem)
		logmsg(vm->label,
		       "%s cannot register user memory (no TEE_GEN_CAP_REG_MEM): every memref is copied "
		       "through TEE_IOC_SHM_ALLOC",
		       vm->path);
	if (!vm->memref_null)
		logmsg(vm->label, "%s has no TEE_GEN_CAP_MEMREF_NULL: NULL memrefs are refused", vm->path);

	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->work, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* canceller_main's deadlines */
	pthread_cond_init(&vm->cq_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&vm->inline_idle, NULL);
	vm->jobs.prev = vm->jobs.next = &vm->jobs;
	vm->sessions.prev = vm->sessions.next = &vm->sessions;
	*out = vm;
	return 0;
}

static void teedev_vm_destroyed(void *vmp)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	vm->stopping = true; /* the threads finish what is queued, then leave */
	pthread_cond_broadcast(&vm->work);
	pthread_cond_broadcast(&vm->cq_cond);
	unsigned n = vm->nthreads;
	while (vm->inline_running) /* the core's callers, in their own ioctls */
		pthread_cond_wait(&vm->inline_idle, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(vm->threads[i], NULL);
	if (vm->canceller_started)
		pthread_join(vm->canceller, NULL);

	/* Whatever is still open in the TEE ends with the context. */
	if (vm->nsessions)
		logmsg(vm->label, "%u session(s) still open: closing the TEE context ends them", vm->nsessions);
	while (vm->sessions.next != &vm->sessions) {
		struct teedev_sess *s = vm->sessions.next;
		s->prev->next = s->next;
		s->next->prev = s->prev;
		free(s);
	}
	sys->close(vm->fd);
	pthread_cond_destroy(&vm->cq_cond);
	pthread_cond_destroy(&vm->inline_idle);
	pthread_cond_destroy(&vm->work);
	pthread_mutex_destroy(&vm->lock);
	free(vm->cq);
	free(vm->threads);
	free(vm);
}

/* ---- shared memory ---- */

static void get_page(void *ctx, size_t i, struct shmview_page *out)
{
	struct vtee_shm_page pg;
	vtee_shm_page(ctx, i, &pg);
	out->fd = pg.fd;
	out->off = pg.fd_offset;
}

static void view_unregister(struct teedev_vm *vm, struct shmview *v, int fd);

/*
 * Register shm's pages with the TEE in place: a view, then TEE_IOC_SHM_REGISTER
 * of the buffer's bytes in it. true with *fd and *id set; false (and logged
 * once per reason) if it cannot be done, so the caller copies instead.
 */
static bool view_register(struct teedev_vm *vm, struct vtee_shm *shm, struct shmview *v, int *fd, int32_t *id)
{
	if (!vm->zerocopy)
		return false;
	pthread_mutex_lock(&vm->lock);
	uint64_t budget = vm->o->max_maps > vm->maps_now ? vm->o->max_maps - vm->maps_now : 0;
	pthread_mutex_unlock(&vm->lock);
	uint64_t host_maps = host_room(HOST_MAPS);
	if (host_maps < budget)
		budget = host_maps;
	size_t npages = vtee_shm_num_pages(shm);
	int r = budget ? shmview_build(npages, vtee_shm_first_offset(shm), vm->granule, (size_t)budget, get_page,
				       shm, v)
		       : -E2BIG;
	if (!r) {
		/* others took the budgets meanwhile? */
		if (!host_take(HOST_MAPS, v->nmaps)) {
			r = -E2BIG;
		} else if (!host_take(HOST_FDS, 1)) {
			host_give(HOST_MAPS, v->nmaps);
			r = -EMFILE;
		} else {
			pthread_mutex_lock(&vm->lock);
			if (vm->maps_now + v->nmaps > vm->o->max_maps)
				r = -E2BIG;
			else
				vm->maps_now += v->nmaps;
			pthread_mutex_unlock(&vm->lock);
			if (r) {
				host_give(HOST_MAPS, v->nmaps);
				host_give(HOST_FDS, 1);
			}
		}
		if (r)
			shmview_free(v);
	}
	if (r) {
		unsigned w = r == -EBADF    ? WARN_NOFILE
			     : r == -EXDEV  ? WARN_LAYOUT
			     : r == -E2BIG  ? WARN_MAPS
			     : r == -EMFILE ? WARN_HOST_FDS
					    : WARN_MMAP;
		if (first_time(vm, w))
			logmsg(vm->label, "a %zu-page buffer cannot be mapped in place (%s): copying it%s", npages,
			       w == WARN_NOFILE     ? "guest RAM has no file descriptor"
			       : w == WARN_LAYOUT   ? "its pages do not fit the host's page size"
			       : w == WARN_MAPS     ? "maxmaps, or the host's share of vm.max_map_count, reached"
			       : w == WARN_HOST_FDS ? "the host's share of RLIMIT_NOFILE is in use"
						    : strerror(-r),
			       " (said once)");
		return false;
	}

	struct tee_ioctl_shm_register_data d = { .addr = (uint64_t)(uintptr_t)v->data, .length = vtee_shm_size(shm) };
	int f = sys->ioctl(vm->fd, TEE_IOC_SHM_REGISTER, &d);
	if (f < 0) {
		int e = errno;
		if (first_time(vm, WARN_REGISTER))
			logmsg(vm->label, "TEE_IOC_SHM_REGISTER of %zu pages: %s: copying instead (said once)", npages,
			       strerror(e));
		view_unregister(vm, v, -1);
		return false;
	}
	count(&vm->st_view_maps, v->nmaps);
	*fd = f;
	*id = d.id;
	return true;
}

/* fd -1: the registration failed, only the view and its budgets go. */
static void view_unregister(struct teedev_vm *vm, struct shmview *v, int fd)
{
	if (fd >= 0)
		sys->close(fd); /* the TEE lets go of the pages first */
	pthread_mutex_lock(&vm->lock);
	vm->maps_now -= v->nmaps;
	pthread_mutex_unlock(&vm->lock);
	host_give(HOST_MAPS, v->nmaps);
	host_give(HOST_FDS, 1);
	shmview_free(v);
}

static int teedev_shm_register(void *vmp, struct vtee_shm *shm)
{
	struct teedev_vm *vm = vmp;
	struct teedev_shm *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->id = -1;
	if (view_register(vm, shm, &h->view, &h->fd, &h->id))
		count(&vm->st_views, 1);
	else if (vm->zerocopy)
		count(&vm->st_fallbacks, 1);
	vtee_shm_set_priv(shm, h);
	return 0;
}

static void teedev_shm_unregister(void *vmp, struct vtee_shm *shm)
{
	struct teedev_vm *vm = vmp;
	struct teedev_shm *h = vtee_shm_get_priv(shm);
	if (!h)
		return;
	if (h->fd >= 0)
		view_unregister(vm, &h->view, h->fd);
	vtee_shm_set_priv(shm, NULL);
	free(h);
}

/* ---- parameters ---- */

/* What one memref of a call holds in the host for the length of the call. */
struct callref {
	int fd;             /* a view registered, or a copy allocated, for this call; -1 none */
	int32_t id;
	struct shmview view; /* a temporary memref's view */
	void *copy;          /* a copy's mapping */
	size_t copy_len;
};

/* Copy a memref through a TEE_IOC_SHM_ALLOC buffer. */
static uint32_t copy_in(struct teedev_vm *vm, const struct vtee_param *vp, struct callref *c)
{
	uint64_t size = vp->u.memref.size, len = size ? size : 1;
	if (len > TEEDEV_BOUNCE_MAX)
		return TEE_ERROR_OUT_OF_MEMORY;
	pthread_mutex_lock(&vm->lock);
	bool ok = len <= TEEDEV_BOUNCE_MAX - vm->bounce_now;
	if (ok)
		vm->bounce_now += len;
	pthread_mutex_unlock(&vm->lock);
	if (ok && !host_take(HOST_COPY, len))
		ok = false;
	else if (ok && !host_take(HOST_FDS, 1)) {
		host_give(HOST_COPY, len);
		ok = false;
	}
	if (!ok) {
		pthread_mutex_lock(&vm->lock);
		vm->bounce_now -= len;
		pthread_mutex_unlock(&vm->lock);
		return TEE_ERROR_OUT_OF_MEMORY;
	}

	uint32_t ret = TEE_SUCCESS;
	struct tee_ioctl_shm_alloc_data d = { .size = len };
	int f = sys->ioctl(vm->fd, TEE_IOC_SHM_ALLOC, &d);
	void *m = MAP_FAILED;
	if (f < 0)
		ret = errno_to_tee(errno);
	else if ((m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0)) == MAP_FAILED)
		ret = TEE_ERROR_OUT_OF_MEMORY;
	if (ret != TEE_SUCCESS) {
		if (f >= 0)
			sys->close(f);
		pthread_mutex_lock(&vm->lock);
		vm->bounce_now -= len;
		pthread_mutex_unlock(&vm->lock);
		host_give(HOST_COPY, len);
		host_give(HOST_FDS, 1);
		return ret;
	}
	c->fd = f;
	c->id = d.id;
	c->copy = m;
	c->copy_len = (size_t)len;
	count(&vm->st_copies, 1);
	/* output-only: whatever the allocator had there is not the TA's to see */
	if (!vtee_param_is_input(vp->type) || !size) {
		memset(m, 0, (size_t)len);
		return TEE_SUCCESS;
	}
	if (vtee_shm_read(vp->u.memref.shm, vp->u.memref.offs, m, (size_t)size))
		return TEE_ERROR_BAD_PARAMETERS;
	count(&vm->st_copy_bytes, size);
	return TEE_SUCCESS;
}

static void callref_release(struct teedev_vm *vm, struct callref *c)
{
	if (c->copy) {
		munmap(c->copy, c->copy_len);
		sys->close(c->fd);
		pthread_mutex_lock(&vm->lock);
		vm->bounce_now -= c->copy_len;
		pthread_mutex_unlock(&vm->lock);
		host_give(HOST_COPY, c->copy_len);
		host_give(HOST_FDS, 1);
	} else if (c->fd >= 0) {
		view_unregister(vm, &c->view, c->fd);
	}
	c->fd = -1;
	c->copy = NULL;
}

/* Request parameters -> ioctl parameters. On failure the caller still releases refs. */
static uint32_t params_in(struct teedev_vm *vm, const struct vtee_req *req, struct tee_ioctl_param *ip,
			  struct callref *refs)
{
	for (uint32_t i = 0; i < VTEE_MAX_PARAMS; i++)
		refs[i] = (struct callref){ .fd = -1, .id = -1 };
	if (req->num_params > VTEE_MAX_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		struct tee_ioctl_param *p = &ip[i];
		memset(p, 0, sizeof(*p));
		switch (vp->type) {
		case VTEE_PARAM_NONE:
			p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
			continue;
		case VTEE_PARAM_VALUE_IN:
		case VTEE_PARAM_VALUE_INOUT:
			p->a = vp->u.value.a;
			p->b = vp->u.value.b;
			p->c = vp->u.value.c;
			/* fallthrough */
		case VTEE_PARAM_VALUE_OUT:
			p->attr = vp->type;
			continue;
		case VTEE_PARAM_MEMREF_IN:
		case VTEE_PARAM_MEMREF_OUT:
		case VTEE_PARAM_MEMREF_INOUT:
			break;
		default:
			return TEE_ERROR_BAD_PARAMETERS;
		}
		p->attr = vp->type;
		struct vtee_shm *shm = vp->u.memref.shm;
		uint64_t offs = vp->u.memref.offs, size = vp->u.memref.size;
		if (!shm) {
			/* GP null memref: a size without a buffer */
			if (!vm->memref_null) {
				if (first_time(vm, WARN_NULL))
					logmsg(vm->label, "a NULL memref, but %s has no TEE_GEN_CAP_MEMREF_NULL: "
						"refused (said once)", vm->path);
				return TEE_ERROR_NOT_SUPPORTED;
			}
			p->b = size;
			p->c = TEE_MEMREF_NULL;
			continue;
		}
		uint64_t total = vtee_shm_size(shm);
		if (offs > total || size > total - offs)
			return TEE_ERROR_BAD_PARAMETERS;
		const struct teedev_shm *h = vtee_shm_get_priv(shm);
		if (h && h->fd >= 0) {
			/* registered, in place */
			p->a = offs;
			p->b = size;
			p->c = (uint64_t)h->id;
			continue;
		}
		if (!h && view_register(vm, shm, &refs[i].view, &refs[i].fd, &refs[i].id)) {
			/* temporary memref, in place for this call */
			count(&vm->st_tmp_views, 1);
			p->a = offs;
			p->b = size;
			p->c = (uint64_t)refs[i].id;
			continue;
		}
		if (!h && vm->zerocopy)
			count(&vm->st_fallbacks, 1);
		uint32_t r = copy_in(vm, vp, &refs[i]);
		if (r != TEE_SUCCESS)
			return r;
		p->a = 0;
		p->b = size;
		p->c = (uint64_t)refs[i].id;
	}
	return TEE_SUCCESS;
}

/* Outputs back into the request (and copies back into guest memory). */
static void params_out(struct teedev_vm *vm, struct vtee_req *req, const struct tee_ioctl_param *ip,
		       const struct callref *refs)
{
	for (uint32_t i = 0; i < req->num_params; i++) {
		struct vtee_param *vp = &req->params[i];
		const struct tee_ioctl_param *p = &ip[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = p->a;
			vp->u.value.b = p->b;
			vp->u.value.c = p->c;
			continue;
		}
		/* the size the TA reports; data only where it fits what the guest gave (else SHORT_BUFFER) */
		uint64_t n = p->b;
		if (refs[i].copy && n && n <= vp->u.memref.size && n <= refs[i].copy_len &&
		    !vtee_shm_write(vp->u.memref.shm, vp->u.memref.offs, refs[i].copy, (size_t)n))
			count(&vm->st_copy_bytes, n);
		vp->u.memref.size = n;
	}
}

/* ---- requests (on a pool thread) ---- */

/*
 * OPEN and INVOKE alike: req's parameters into params (views or copies), the
 * ioctl on arg (head bytes, then the parameters), the results back into req.
 * True when the TEE answered (req->ret is then its result).
 */
static bool call_with_params(struct teedev_vm *vm, struct vtee_req *req, unsigned long ioc, void *arg,
			     size_t head, struct tee_ioctl_param *params, uint32_t *num_params, const uint32_t *ret,
			     const uint32_t *ret_origin)
{
	struct callref refs[VTEE_MAX_PARAMS];
	bool answered = false;
	req->ret = params_in(vm, req, params, refs);
	if (req->ret == TEE_SUCCESS) {
		*num_params = req->num_params;
		struct tee_ioctl_buf_data bd = { .buf_ptr = (uint64_t)(uintptr_t)arg,
						 .buf_len = head + req->num_params * sizeof(params[0]) };
		if (sys->ioctl(vm->fd, ioc, &bd) < 0) {
			req->ret = errno_to_tee(errno);
			req->ret_origin = TEE_ORIGIN_COMMS;
		} else {
			req->ret = *ret;
			req->ret_origin = *ret_origin;
			params_out(vm, req, params, refs);
			answered = true;
		}
	}
	for (uint32_t i = 0; i < VTEE_MAX_PARAMS; i++)
		callref_release(vm, &refs[i]);
	return answered;
}

static void do_open(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	req->session = NULL;
	req->ret_origin = TEE_ORIGIN_TEE;
	struct tee_ioctl_open_session_arg *a = calloc(1, TEEDEV_ARG_MAX);
	struct teedev_sess *s = a ? calloc(1, sizeof(*s)) : NULL;
	if (!s) {
		free(a);
		req->ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	uint32_t host_login = 0;
	req->ret = teedev_map_login(vm->o, req->client.login, &host_login, a->clnt_uuid);
	if (req->ret != TEE_SUCCESS) {
		count(&vm->st_logins_denied, 1);
		free(s);
		free(a);
		return;
	}
	if (host_login != req->client.login)
		count(&vm->st_logins_mapped, 1);
	memcpy(a->uuid, req->ta.b, sizeof(a->uuid));
	a->clnt_login = host_login;
	a->cancel_id = j->cancel_id;

	if (call_with_params(vm, req, TEE_IOC_OPEN_SESSION, a, sizeof(*a), a->params, &a->num_params, &a->ret,
			     &a->ret_origin) && a->ret == TEE_SUCCESS) {
		s->id = a->session;
		pthread_mutex_lock(&vm->lock);
		s->next = vm->sessions.next;
		s->prev = &vm->sessions;
		s->next->prev = s;
		vm->sessions.next = s;
		vm->nsessions++;
		hint_forget(vm, s->id); /* a reused id starts afresh, whatever ran late on the old one */
		pthread_mutex_unlock(&vm->lock);
		req->session = sess_handle(s->id);
		s = NULL;
	}
	free(s);
	free(a);
}

static void do_invoke(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	req->ret_origin = TEE_ORIGIN_TEE;
	struct tee_ioctl_invoke_arg *a = calloc(1, TEEDEV_ARG_MAX);
	if (!a) {
		req->ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	a->func = req->func;
	a->session = j->session;
	a->cancel_id = j->cancel_id;

	call_with_params(vm, req, TEE_IOC_INVOKE, a, sizeof(*a), a->params, &a->num_params, &a->ret,
			 &a->ret_origin);
	free(a);
}

static void do_close(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	struct tee_ioctl_close_session_arg a = { .session = j->session };
	req->ret = TEE_SUCCESS;
	req->ret_origin = TEE_ORIGIN_TEE;
	if (sys->ioctl(vm->fd, TEE_IOC_CLOSE_SESSION, &a) < 0) {
		int e = errno;
		if (e != EINVAL) {
			req->ret = errno_to_tee(e);
			req->ret_origin = TEE_ORIGIN_COMMS;
			return; /* still open: the guest may try again */
		}
		/* the context has no such session: it is gone whatever we say, so forget it */
		if (first_time(vm, WARN_CLOSE))
			logmsg(vm->label, "TEE_IOC_CLOSE_SESSION %u: the context has no such session (said once)",
			       j->session);
	}
	/* our record of it, found by id (a second CLOSE of the same id finds none) */
	pthread_mutex_lock(&vm->lock);
	hint_forget(vm, j->session);
	struct teedev_sess *s = vm->sessions.next;
	while (s != &vm->sessions && s->id != j->session)
		s = s->next;
	if (s != &vm->sessions) {
		s->prev->next = s->next;
		s->next->prev = s->prev;
		vm->nsessions--;
	} else {
		s = NULL;
	}
	pthread_mutex_unlock(&vm->lock);
	free(s);
}

static void run_job(struct teedev_vm *vm, struct job *j)
{
	switch (j->req->op) {
	case VTEE_REQ_OPEN:
		do_open(vm, j);
		break;
	case VTEE_REQ_INVOKE:
		do_invoke(vm, j);
		break;
	case VTEE_REQ_CLOSE:
		do_close(vm, j);
		break;
	default:
		j->req->ret = TEE_ERROR_NOT_SUPPORTED;
		j->req->ret_origin = TEE_ORIGIN_TEE;
		break;
	}
}

/* ---- ops ---- */

/* vm->lock held. */
static bool cancel_id_used(struct teedev_vm *vm, uint32_t id)
{
	for (struct job *j = vm->jobs.next; j != &vm->jobs; j = j->next)
		if (j->cancel_id == id)
			return true;
	return false;
}

static void teedev_submit(void *vmp, struct vtee_req *req)
{
	struct teedev_vm *vm = vmp;
	if (req->op != VTEE_REQ_OPEN && !req->session) {
		finish(req, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		finish(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	j->req = req;
	req->be_priv = j;
	if (req->op != VTEE_REQ_OPEN)
		j->session = sess_id(req->session);

	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		free(j);
		finish(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return;
	}
	/* never 0, never one a job still holds (after 2^32 requests the counter wraps) */
	do {
		if (!++vm->next_cancel_id)
			++vm->next_cancel_id;
	} while (cancel_id_used(vm, vm->next_cancel_id));
	j->cancel_id = vm->next_cancel_id;
	j->next = vm->jobs.next;
	j->prev = &vm->jobs;
	j->next->prev = j;
	vm->jobs.next = j;
	if (req->op == VTEE_REQ_INVOKE && want_inline(vm, j->session, req->func)) {
		/* No hand-off: listed as running, so cancel() finds it as it would on a thread. */
		j->running = true;
		vm->inline_running++;
		pthread_mutex_unlock(&vm->lock);
		count(&vm->st_inline, 1);
		uint64_t ns = run_timed(vm, j);
		pthread_mutex_lock(&vm->lock);
		hint_record(vm, j->session, req->func, ns, true);
		j->prev->next = j->next;
		j->next->prev = j->prev;
		if (j->cancel_asked)
			drop_cancel(vm, j->cancel_id);
		if (!--vm->inline_running && vm->stopping)
			pthread_cond_broadcast(&vm->inline_idle);
		pthread_mutex_unlock(&vm->lock);
		free(j);
		vtee_req_done(req);
		return;
	}
	if (vm->qtail)
		vm->qtail->qnext = j;
	else
		vm->qhead = j;
	vm->qtail = j;
	vm->qlen++;
	/* a thread for every request in flight, up to the limit; then they queue */
	if (vm->qlen > vm->nidle && vm->nthreads < vm->max_threads) {
		int r = spawn(vm);
		if (r && !vm->nthreads) {
			/* nothing could ever run it: take it back */
			vm->qhead = vm->qtail = NULL;
			vm->qlen = 0;
			j->prev->next = j->next;
			j->next->prev = j->prev;
			pthread_mutex_unlock(&vm->lock);
			free(j);
			logmsg(vm->label, "cannot start a thread: %s", strerror(-r));
			finish(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
			return;
		}
	}
	pthread_cond_signal(&vm->work);
	pthread_mutex_unlock(&vm->lock);
}

static void teedev_cancel(void *vmp, struct vtee_req *req)
{
	struct teedev_vm *vm = vmp;
	if (req->op != VTEE_REQ_OPEN && req->op != VTEE_REQ_INVOKE)
		return;
	pthread_mutex_lock(&vm->lock);
	/* found by the request, never through be_priv: a finished job is freed */
	struct job *j = vm->jobs.next;
	while (j != &vm->jobs && j->req != req)
		j = j->next;
	if (j == &vm->jobs) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	if (j->running) {
		/* OPEN has no session yet: 0, as the uapi says */
		struct cancel_ask c = { j->cancel_id, req->op == VTEE_REQ_INVOKE ? j->session : 0 };
		bool inline_send = false;
		if (!j->cancel_asked) {
			j->cancel_asked = true;
			if (!vm->canceller_started && !vm->stopping)
				vm->canceller_started = !start_thread(&vm->canceller, canceller_main, vm);
			if (vm->canceller_started && vm->cq_n < vm->max_threads) {
				/* one per running job at most, and jobs run on threads: room */
				vm->cq[vm->cq_n++] = c;
				pthread_cond_signal(&vm->cq_cond);
			} else {
				inline_send = true; /* no thread to spare: here, at least outside our lock */
			}
		}
		pthread_mutex_unlock(&vm->lock);
		if (inline_send)
			send_cancel(vm, &c);
		return;
	}
	/*
	 * Still queued (every thread is in the TEE): it never gets there. Done
	 * here and now, since the threads may stay in the TEE for long.
	 */
	struct job **pp = &vm->qhead, *prev = NULL;
	while (*pp != j) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	*pp = j->qnext;
	if (vm->qtail == j)
		vm->qtail = prev;
	vm->qlen--;
	j->prev->next = j->next;
	j->next->prev = j->prev;
	pthread_mutex_unlock(&vm->lock);
	free(j);
	if (req->op == VTEE_REQ_OPEN)
		req->session = NULL;
	finish(req, TEE_ERROR_CANCEL, TEE_ORIGIN_COMMS);
}

/*
 * A restarted mediator (vteed) takes over the sessions of the context it was
 * handed again (fd=): the handle is the host's session id + 1, as always.
 * The kernel has no call to ask whether the context still holds a session,
 * so an import is taken on trust; an INVOKE on a session the TEE no longer
 * has fails there, cleanly.
 */
static uint64_t teedev_session_export(void *vmp, void *session)
{
	(void)vmp;
	return (uint64_t)(uintptr_t)session;
}

static void *teedev_session_import(void *vmp, uint64_t handle)
{
	struct teedev_vm *vm = vmp;
	if (!handle || handle > (uint64_t)UINT32_MAX + 1)
		return NULL;
	uint32_t id = (uint32_t)(handle - 1);
	struct teedev_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	pthread_mutex_lock(&vm->lock);
	for (struct teedev_sess *o = vm->sessions.next; o != &vm->sessions; o = o->next)
		if (o->id == id) { /* twice: the journal's validation should have caught it */
			pthread_mutex_unlock(&vm->lock);
			free(s);
			return NULL;
		}
	s->next = vm->sessions.next;
	s->prev = &vm->sessions;
	s->next->prev = s;
	vm->sessions.next = s;
	vm->nsessions++;
	pthread_mutex_unlock(&vm->lock);
	return sess_handle(id);
}

void teedev_test_set_cancel_id(void *vmp, uint32_t last)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	vm->next_cancel_id = last;
	pthread_mutex_unlock(&vm->lock);
}

static long teedev_vm_session_count(void *vmp)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	long n = vm->nsessions;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

int vtee_teedev_stats(void *vmp, struct vtee_teedev_stats *st)
{
	struct teedev_vm *vm = vmp;
	if (!vm || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->impl_id = vm->ver.impl_id;
	st->impl_caps = vm->ver.impl_caps;
	st->gen_caps = vm->ver.gen_caps;
	st->reg_mem = vm->reg_mem;
	st->memref_null = vm->memref_null;
	pthread_mutex_lock(&vm->lock);
	st->sessions = vm->nsessions;
	st->maps_now = vm->maps_now;
	pthread_mutex_unlock(&vm->lock);
	st->views = atomic_load(&vm->st_views);
	st->tmp_views = atomic_load(&vm->st_tmp_views);
	st->view_maps = atomic_load(&vm->st_view_maps);
	st->view_fallbacks = atomic_load(&vm->st_fallbacks);
	st->copies = atomic_load(&vm->st_copies);
	st->copy_bytes = atomic_load(&vm->st_copy_bytes);
	st->cancels = atomic_load(&vm->st_cancels);
	st->logins_mapped = atomic_load(&vm->st_logins_mapped);
	st->logins_denied = atomic_load(&vm->st_logins_denied);
	st->inline_calls = atomic_load(&vm->st_inline);
	st->inline_overruns = atomic_load(&vm->st_inline_overruns);
	pthread_mutex_lock(&host.lock);
	st->host_fds = host.now[HOST_FDS];
	st->host_maps = host.now[HOST_MAPS];
	st->host_copy_bytes = host.now[HOST_COPY];
	pthread_mutex_unlock(&host.lock);
	return 0;
}

const struct vtee_backend_ops vtee_teedev_backend = {
	.name = "teedev",
	.description = "the host's OP-TEE through its /dev/teeN (dev=PATH or fd=N, login= mapping)",
	.open = teedev_open,
	.close = teedev_close,
	.vm_created = teedev_vm_created,
	.vm_destroyed = teedev_vm_destroyed,
	.submit = teedev_submit,
	.cancel = teedev_cancel,
	.shm_register = teedev_shm_register,
	.shm_unregister = teedev_shm_unregister,
	.vm_session_count = teedev_vm_session_count,
	.session_export = teedev_session_export,
	.session_import = teedev_session_import,
};
VTEE_BACKEND_REGISTER(vtee_teedev_backend);
