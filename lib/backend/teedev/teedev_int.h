/* SPDX-License-Identifier: MIT */
/*
 * Internals of the teedev back-end (teedev.h), shared by its files:
 *   teedev.c   the back-end's ops table: open and close, a VM's life, sessions
 *              taken over by a restarted mediator, statistics
 *   options.c  the options and the guest-login policy
 *   device.c   the device: its system calls (teedev_set_sys), finding and
 *              opening it, the log
 *   budget.c   what all VMs of the process share: fds, mmap()s, bytes of copies
 *   memref.c   guest buffers for the host TEE (views registered in place, or
 *              copies) and a call's parameters
 *   call.c     one request's ioctl: OPEN, INVOKE, CLOSE
 *   jobs.c     submit: on the caller's thread (inline) or on the VM's pool
 *   inline.c   inline=auto: which (session, command) may run on the caller's thread
 *   cancel.c   cancellation: a queued job at once, a running one with
 *              TEE_IOC_CANCEL from the VM's canceller thread
 */
#ifndef VTEE_TEEDEV_INT_H
#define VTEE_TEEDEV_INT_H

#include <linux/tee.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pool.h"
#include "shmview.h"
#include "teedev.h"

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

/* Copies of memrefs one VM may hold in TEE_IOC_SHM_ALLOC buffers at once (host kernel memory). */
#define TEEDEV_BOUNCE_MAX (64ull << 20)
#define TEEDEV_THREAD_STACK (256u << 10)
/* Bytes of an OPEN/INVOKE argument with every parameter. */
#define TEEDEV_ARG_MAX (sizeof(struct tee_ioctl_open_session_arg) + VTEE_MAX_PARAMS * sizeof(struct tee_ioctl_param))

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
static inline void *sess_handle(uint32_t id)
{
	return (void *)((uintptr_t)id + 1);
}

static inline uint32_t sess_id(const void *handle)
{
	return (uint32_t)((uintptr_t)handle - 1);
}

/* A registered guest buffer as the host TEE knows it (the vtee_shm's priv). */
struct teedev_shm {
	int fd;     /* TEE_IOC_SHM_REGISTER's; -1: not registered, memrefs on it are copied */
	int32_t id; /* the host's shm id */
	struct shmview view;
};

/* A request from submit to completion. */
struct job {
	struct vtee_pool_item item; /* on the VM's pool */
	struct job *prev, *next;    /* vm->jobs: submitted, not completed */
	struct vtee_req *req;
	uint32_t cancel_id;         /* ours, unique in the VM's context */
	uint32_t session;           /* host session: INVOKE, CLOSE */
	bool running;               /* a thread has it (in the ioctl, or about to be); else queued */
	bool cancel_asked;          /* its TEE_IOC_CANCEL is queued or sent */
	uint8_t cancels_sent;       /* by the canceller: again while it runs (cancel.c) */
	uint64_t cancel_at;         /* when the last one went out (ns, monotonic) */
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
	struct vtee_pool pool;         /* the threads that carry the blocking ioctls (jobs.c) */

	pthread_mutex_t lock;          /* everything below */
	struct job jobs;               /* list head */
	unsigned max_threads;
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

static inline void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Whether this is the first time the VM meets WARN_* what (said once). */
static inline bool first_time(struct teedev_vm *vm, unsigned what)
{
	uint32_t bit = 1u << what;
	return !(atomic_fetch_or_explicit(&vm->warned, bit, memory_order_relaxed) & bit);
}

/* The request is done with this result (and the core's again). */
static inline void teedev_finish(struct vtee_req *req, uint32_t ret, uint32_t origin)
{
	req->ret = ret;
	req->ret_origin = origin;
	vtee_req_done(req);
}

/* vm->lock held. */
static inline void job_unlink(struct job *j)
{
	j->prev->next = j->next;
	j->next->prev = j->prev;
}

/* ---- device.c ---- */

/* The system calls in use: the real ones, or a test's (teedev_set_sys). */
extern const struct teedev_sys *teedev_sys_in_use;

static inline int teedev_ioctl(int fd, unsigned long request, void *arg)
{
	return teedev_sys_in_use->ioctl(fd, request, arg);
}

static inline int teedev_close_fd(int fd)
{
	return teedev_sys_in_use->close(fd);
}

/* Through the library's log callback, as "vtee-teedev[label]: ...". */
void teedev_log(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The VM's TEE context: fd=, dev=, or the first OP-TEE device. 0 or -errno (logged). */
int teedev_device_open(struct teedev_tee *t, struct teedev_vm *vm);

/* ---- options.c ---- */

/* s[0..len) as a decimal number in [min, max]: 0, or -EINVAL. */
int teedev_parse_ulong(const char *s, size_t len, unsigned long min, unsigned long max, unsigned long *out);

/* ---- budget.c ---- */

enum { HOST_FDS, HOST_MAPS, HOST_COPY, HOST_N };

/* The host-wide budgets from the system's limits (teedev_set_host_limits() fixes them instead). */
void teedev_host_limits_read(void);
/* Linux's default limits, unless set already (a sandboxed mediator may read nothing). */
void teedev_host_limits_default(void);
/* What is left of a budget now. */
uint64_t teedev_host_room(int what);
/* n from a budget: 0, or -ENOSPC (nothing taken). */
int teedev_host_take(int what, uint64_t n);
void teedev_host_give(int what, uint64_t n);
/* What is held now, per HOST_*. */
void teedev_host_usage(uint64_t now[HOST_N]);

/* ---- memref.c ---- */

int teedev_shm_register(void *vmp, struct vtee_shm *shm);
void teedev_shm_unregister(void *vmp, struct vtee_shm *shm);

/* What one memref of a call holds in the host for the length of the call. */
struct callref {
	int fd;             /* a view registered, or a copy allocated, for this call; -1 none */
	int32_t id;
	struct shmview view; /* a temporary memref's view */
	void *copy;          /* a copy's mapping */
	size_t copy_len;
};

/*
 * Request parameters -> ioctl parameters: 0, or -errno (-EINVAL bad
 * parameters, -EOPNOTSUPP a NULL memref the TEE cannot take, -ENOMEM, or the
 * ioctl's). On failure too, the caller releases refs.
 */
int teedev_params_in(struct teedev_vm *vm, const struct vtee_req *req, struct tee_ioctl_param *ip,
		     struct callref *refs);
/* Outputs back into the request (and copies back into guest memory). */
void teedev_params_out(struct teedev_vm *vm, struct vtee_req *req, const struct tee_ioctl_param *ip,
		       const struct callref *refs);
void teedev_callref_release(struct teedev_vm *vm, struct callref *c);

/* ---- call.c ---- */

/* A TEE result for an errno of the uapi. */
uint32_t teedev_errno_to_tee(int e);
/* vm->lock held: the VM's record of an open session. */
void teedev_session_add(struct teedev_vm *vm, struct teedev_sess *s);
/* The ioctl of one job, on whichever thread: req->ret and ret_origin set, not completed. */
void teedev_run_job(struct teedev_vm *vm, struct job *j);

/* ---- jobs.c ---- */

/* The VM's pool, before any submit. */
void teedev_jobs_init(struct teedev_vm *vm);
void teedev_submit(void *vmp, struct vtee_req *req);

/* ---- inline.c ---- */

/* vm->lock held. Whether this INVOKE's ioctl may run on the caller's thread. */
bool teedev_want_inline(struct teedev_vm *vm, uint32_t session, uint32_t func);
/* vm->lock held. How long an INVOKE took in the ioctl, wherever it ran. */
void teedev_hint_record(struct teedev_vm *vm, uint32_t session, uint32_t func, uint64_t ns, bool ran_inline);
/* vm->lock held. A closed session's id may come back for another TA: forget it. */
void teedev_hint_forget(struct teedev_vm *vm, uint32_t session);

/* ---- cancel.c ---- */

void teedev_cancel(void *vmp, struct vtee_req *req);
/* vm->lock held: the job of this cancel id finished, its queued cancel (if any) goes. */
void teedev_drop_cancel(struct teedev_vm *vm, uint32_t cancel_id);

#endif
