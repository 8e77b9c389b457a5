/* SPDX-License-Identifier: MIT */
/*
 * The "soft" back-end: a TEE that lives in the VMM's own process. TAs are
 * plain C tables (struct soft_ta).
 *
 * Where a call runs: a real OP-TEE runs the TA on the caller's CPU (the world
 * switch happens on that core), so a short call costs no handoff at all. Here
 * a call its TA declares quick (below: bounded, never blocking, no RPC) runs
 * the same way, inline on the submitter's thread inside submit(), which
 * returns with the request done. Every other call (SLEEP, RPCs such as
 * REE_TIME, big memrefs, entry points that may block) runs on this back-end's
 * per-VM TEE threads, so a vCPU is never held longer than its time slice.
 * Both run the same code (soft_execute()) with the same guarantees; the
 * back-end option "inline=0" sends every call to the TEE threads. An invoke
 * of a TA in a process of its own (ta_proc.h) starts inline and polls
 * briefly for its answer; a late one is finished on a TEE thread
 * (ta_call.resume, soft_resume()).
 *
 * Isolation between VMs rests on one rule: everything a TA keeps lives in its
 * per-VM instance (inst_size bytes, zeroed, kept until the VM is destroyed),
 * never in globals.
 */
#ifndef VTEE_SOFT_H
#define VTEE_SOFT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "vtee/backend.h"

/* GP-style packed parameter types: 4 bits each, [0] in the low nibble. */
#define TA_PARAM_TYPES(t0, t1, t2, t3) \
	((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | ((uint32_t)(t3) << 12))
#define TA_PARAM_TYPE_GET(types, i) (((types) >> ((i) * 4)) & 0xFu)

/* buf == NULL is a GP "null memref": size is still meaningful (e.g. a size query). */
struct ta_param {
	union {
		struct { uint32_t a, b; } value;
		struct { void *buf; size_t size; } memref;
	};
};

struct soft_inst;

/* What a TA sees of the call it is serving. */
struct ta_call {
	struct vtee_client client; /* vm_id comes from the back-end's own VM record */
	struct soft_inst *inst;    /* this VM's instance of the TA */
	_Atomic uint32_t cancel;   /* 1 once cancelled; also the futex ta_sleep_ms waits on */
	struct vtee_req *req;      /* the request being served, for RPCs to the guest */
	bool on_submitter;         /* a quick call running inline on the submitter's thread */
	/*
	 * Set by soft_execute() on the submitter's thread for a call it began
	 * but did not finish (a TA in a process answering late, ta_proc.h): a
	 * TEE thread goes on with it, soft_resume(). resume_session: the
	 * session reference it holds.
	 */
	void *resume;
	void *resume_session;
};

/* Listed by the device-enumeration PTA for PTA_CMD_GET_DEVICES. */
#define SOFT_TA_DEVICE_ENUM (1u << 0)
/* open_session / close_session are quick (see soft_ta.quick). Absent entry points are quick anyway. */
#define SOFT_TA_QUICK_OPEN  (1u << 1)
#define SOFT_TA_QUICK_CLOSE (1u << 2)

/*
 * Quick calls. A call may run inline on the submitter's thread (a vCPU) only if
 * all of these hold; by default nothing is quick:
 *   - the back-end runs with inline calls on (option "inline", default 1);
 *   - no memref is larger than SOFT_INLINE_COPY_MAX bytes, and the private
 *     copies it needs (memrefs with a buffer) total at most that;
 *   - OPEN: the TA has no open_session or sets SOFT_TA_QUICK_OPEN;
 *     CLOSE: the TA has no close_session or sets SOFT_TA_QUICK_CLOSE;
 *     INVOKE: the TA's quick() says yes for (cmd, types, p), and its close is
 *     quick too (an invoke that outlives a CLOSE runs the TA's close_session);
 *   - a TEE thread of the VM is free or could be made (when all are busy, a
 *     quick call waits its turn in the FIFO like any other, so "threads=N"
 *     keeps calls from overtaking each other).
 * Quick means bounded and short (microseconds), never sleeping, never waiting
 * for another call, and no RPC to the guest: ta_ree_time() on the submitter's
 * thread fails with TEE_ERROR_BAD_STATE instead of deadlocking the vCPU that
 * would have to answer it. ta_lock() is fine where every holder is quick.
 */
#define SOFT_INLINE_COPY_MAX (64u << 10)

struct soft_ta {
	const char *name;
	struct vtee_uuid uuid;
	uint32_t flags;     /* SOFT_TA_* */
	size_t inst_size;   /* per-VM state, zeroed at first use */
	/* All optional. *sess starts NULL; whatever is put there comes back to invoke/close. */
	uint32_t (*open_session)(struct ta_call *c, uint32_t types, struct ta_param p[4], void **sess);
	void (*close_session)(struct ta_call *c, void *sess);
	uint32_t (*invoke)(struct ta_call *c, void *sess, uint32_t cmd, uint32_t types,
			   struct ta_param p[4]);
	/*
	 * Optional: is this invoke quick (see above)? A pure function of its
	 * arguments, called before parameters are copied: p[] holds the value
	 * inputs and memref sizes, memref.buf is always NULL.
	 */
	bool (*quick)(uint32_t cmd, uint32_t types, const struct ta_param p[4]);
};

/* The registry (soft.c). */
extern const struct soft_ta *const soft_tas[];
extern const size_t soft_num_tas;

extern const struct soft_ta soft_ta_device;
extern const struct soft_ta soft_ta_rng;
extern const struct soft_ta soft_ta_test;

/* Helpers for TAs. */
static inline const struct vtee_client *ta_client(const struct ta_call *c) { return &c->client; }
void *ta_instance(struct ta_call *c);
/* Serialises a VM's callers of one TA instance (calls may run on several threads at once). */
void ta_lock(struct ta_call *c);
void ta_unlock(struct ta_call *c);
bool ta_cancelled(struct ta_call *c);
/* TEE_SUCCESS after ms milliseconds, or TEE_ERROR_CANCEL as soon as the call is cancelled. */
uint32_t ta_sleep_ms(struct ta_call *c, uint32_t ms);
/* The calling VM's wall clock, asked of its kernel (GP TEE_GetREETime). */
uint32_t ta_ree_time(struct ta_call *c, uint32_t *seconds, uint32_t *nanoseconds);

/* Private copies of memrefs one VM may hold at once: bounds what a guest can make us allocate. */
#define SOFT_VM_BOUNCE_MAX (64ull << 20)

/*
 * TEE threads (workers.c): a per-VM pool (lib/util/pool.h), grown on demand
 * up to max_threads; requests beyond that wait in a FIFO. Quick requests run
 * on the submitter's thread instead, while a TEE thread is free or could be
 * made. All fields are private to workers.c.
 */
struct soft_job;
struct soft_pool {
	struct vtee_pool threads;
	pthread_mutex_t lock;            /* what follows; taken before the pool's own lock */
	pthread_cond_t inline_idle;      /* signalled when the last inline call ends while stopping */
	void *owner;                     /* passed to soft_execute() */
	struct soft_job *jobs;           /* handed to TEE threads, not finished: for cancel-all */
	unsigned inline_running;         /* quick calls running on submitters' threads now */
	bool stopping;
};

#define SOFT_DEFAULT_THREADS 64u
#define SOFT_MAX_THREADS     1024u

void soft_pool_init(struct soft_pool *p, void *owner, unsigned max_threads);
/*
 * Runs req: a quick one inline, done before this returns, if a TEE thread is
 * free or could be made; otherwise hands it to a TEE thread (or the FIFO).
 * Fails it at once only when nothing can run it.
 */
void soft_pool_submit(struct soft_pool *p, struct vtee_req *req, bool quick);
void soft_pool_cancel(struct soft_pool *p, struct vtee_req *req);
/* Cancels what runs on TEE threads, lets queued work drain, waits for inline calls, joins every thread. */
void soft_pool_stop(struct soft_pool *p);

/*
 * Runs one request (soft.c), on a TEE thread or inline on the submitter's:
 * the one code path for both. Sets outputs, does not complete it.
 */
void soft_execute(void *owner, struct ta_call *c, struct vtee_req *req);
/* Finish, on a TEE thread, a call soft_execute() left in c->resume. Sets outputs, does not complete it. */
void soft_resume(void *owner, struct ta_call *c, struct vtee_req *req);

#endif
