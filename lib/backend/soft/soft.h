/* SPDX-License-Identifier: MIT */
/*
 * The "soft" back-end: a TEE that lives in the VMM's own process. TAs are
 * plain C tables (struct soft_ta); each runs on this back-end's TEE threads,
 * never on the submitter's, like a world switch into a real TEE.
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
};

/* Listed by the device-enumeration PTA for PTA_CMD_GET_DEVICES. */
#define SOFT_TA_DEVICE_ENUM (1u << 0)

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
/* Serialises a VM's callers of one TA instance (calls may run on several TEE threads). */
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
 * TEE threads (workers.c): a per-VM pool, grown on demand up to max_threads;
 * requests beyond that wait in a FIFO. All fields are private to workers.c.
 */
struct soft_worker;
struct soft_queued;
struct soft_pool {
	pthread_mutex_t lock;
	void *owner;                     /* passed to soft_execute() */
	struct soft_worker *idle;        /* parked, LIFO so the warmest thread goes first */
	struct soft_worker *all;         /* every thread, for cancel-all and join */
	struct soft_queued *qhead, *qtail;
	unsigned nthreads, max_threads;
	bool stopping;
};

#define SOFT_DEFAULT_THREADS 64u
#define SOFT_MAX_THREADS     1024u

void soft_pool_init(struct soft_pool *p, void *owner, unsigned max_threads);
/* Hands req to a TEE thread; completes it inline only when nothing can run it. */
void soft_pool_submit(struct soft_pool *p, struct vtee_req *req);
void soft_pool_cancel(struct soft_pool *p, struct vtee_req *req);
/* Cancels what runs, lets queued work drain, joins every thread. */
void soft_pool_stop(struct soft_pool *p);

/* Runs one request on a TEE thread (soft.c); sets outputs, does not complete it. */
void soft_execute(void *owner, struct ta_call *c, struct vtee_req *req);

#endif
