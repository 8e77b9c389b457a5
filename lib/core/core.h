/* SPDX-License-Identifier: MIT */
/*
 * libvtee core: per-VM state shared by every guest-ABI front-end and every
 * TEE back-end. Front-ends parse guest input into core objects; the core owns
 * lifetimes, quotas and locking; back-ends only see struct vtee_req.
 *
 * Locking: vm->lock guards the session table, the shm table, the call slots
 * and every refcount. It is never held while calling into a back-end's
 * submit() or while waiting for a request.
 */
#ifndef VTEE_CORE_H
#define VTEE_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "journal.h"
#include "vtee/backend.h"
#include "vtee/vtee.h"

#define VTEE_PAGE_SIZE 4096u
#define VTEE_PAGE_SHIFT 12

struct vtee_tee {
	const struct vtee_backend_ops *ops;
	void *priv;
	pthread_mutex_t lock;
	struct idmap vm_ids; /* vm_id -> vm, so two VMs never share an identity */
};

struct vtee_ram {
	uint64_t gpa, size;
	uint8_t *hva;
	int fd;
	uint64_t fd_offset;
};

struct vtee_shm {
	struct vtee_vm *vm;
	uint64_t cookie;
	uint64_t size;
	uint32_t first_off;   /* buffer start inside page 0 */
	uint32_t refs;        /* table + calls using it; vm->lock */
	bool registered;      /* in vm->shms */
	size_t npages;
	void *be_priv;
	uint8_t **pages;      /* host address of each 4 KiB guest page */
	uint32_t jslot;       /* journal entry + 1, 0 = none */
};

struct vtee_session {
	uint32_t id;          /* what the guest sees */
	uint32_t refs;        /* table + calls using it; vm->lock */
	void *be;             /* back-end session */
	uint32_t jslot;       /* journal entry + 1, 0 = none */
};

enum vtee_call_state { CALL_FREE, CALL_RUNNING, CALL_SUSPENDED };

/*
 * One yielding call in flight ("TEE thread" as the guest sees it). Front-ends
 * embed this at the start of a larger struct (vm->fe->call_size).
 */
struct vtee_call {
	uint32_t index;               /* thread id the guest echoes in RETURN_FROM_RPC */
	enum vtee_call_state state;   /* vm->lock */
	bool submitted;               /* req handed to the back-end */
	struct vtee_req req;
	struct vtee_session *session; /* reference held for the call */
	struct vtee_shm *shm[VTEE_MAX_PARAMS + 1]; /* references held: memrefs + arg buffer */
	uint32_t nshm;
	uint32_t session_id;          /* for CANCEL matching */
	uint32_t cancel_id;
	bool session_reserved;        /* OPEN: a session slot is reserved against the quota */
	bool in_rpc;                  /* the back-end waits for the guest to answer req.rpc */
};

/* What vtee_call_start()/vtee_call_resume() tell the front-end to answer. */
enum vtee_call_status {
	VTEE_CALL_DONE,     /* results written to the guest; slot released */
	VTEE_CALL_YIELD,    /* still running: give the vCPU back, resume later */
	VTEE_CALL_RPC,      /* the front-end filled regs with a request for the guest */
	VTEE_CALL_BAD,      /* resume of a slot that is not waiting for the guest */
};

struct vtee_frontend {
	const char *name;
	size_t call_size;
	void (*smc)(struct vtee_vm *vm, uint64_t regs[8]);
	/* Write a finished call's results to the guest and drop front-end state. */
	void (*finish)(struct vtee_vm *vm, struct vtee_call *call);
	/* The back-end posted call->req.rpc: fill regs with the guest-facing request. */
	void (*rpc_start)(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
	/*
	 * The guest came back (regs as it entered). Return true when req.rpc holds
	 * the answer, or fill regs with a further request and return false.
	 */
	bool (*rpc_resume)(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
};

struct vtee_vm {
	struct vtee_tee *tee;
	void *be;
	const struct vtee_frontend *fe;
	uint32_t id;
	char name[64];
	struct vtee_quota quota;
	uint32_t slice_us;
	bool no_rpc_arg;
	/* OPEN_SESSION policy (vtee_vm_config.ta_allowed); NULL allows every TA */
	bool (*ta_allowed)(void *ctx, const struct vtee_uuid *ta);
	void *policy_ctx;

	struct vtee_ram ram[VTEE_MAX_RAM_REGIONS];
	unsigned nram;

	pthread_mutex_t lock;
	struct idmap sessions;        /* guest id -> struct vtee_session */
	uint32_t next_session_id;
	uint32_t sessions_reserved;   /* OPENs in flight */
	struct idmap shms;            /* cookie -> struct vtee_shm */
	uint64_t shm_pages;           /* registered + temporary */
	struct vtee_call **calls;     /* quota.max_calls slots, allocated on first use */
	uint32_t calls_busy;
	uint32_t thread_tag;          /* epoch bits of the thread ids the guest sees */
	struct vtee_journal *jn;      /* recovery journal, NULL if none */

	_Atomic uint64_t st_smc, st_quota, st_bad, st_intr;
	_Atomic uint64_t st_denied;   /* OPEN_SESSIONs refused by ta_allowed */
};

/* Guest memory (mem.c). The returned pointer covers [gpa, gpa + len) inside one region. */
void *vtee_gpa_to_hva(const struct vtee_vm *vm, uint64_t gpa, uint64_t len);
int vtee_guest_read(const struct vtee_vm *vm, uint64_t gpa, void *dst, size_t len);
int vtee_guest_write(const struct vtee_vm *vm, uint64_t gpa, const void *src, size_t len);
const struct vtee_ram *vtee_ram_of_hva(const struct vtee_vm *vm, const void *hva);

/* Shared memory (shm.c). new() charges npages against the quota: NULL + *err on failure. */
struct vtee_shm *vtee_shm_new(struct vtee_vm *vm, uint64_t size, uint32_t first_off, uint32_t *err);
/* Set page i to the guest page at gpa; false if gpa is not a whole guest RAM page. */
bool vtee_shm_set_page(struct vtee_shm *shm, size_t i, uint64_t gpa);
/* Free an unregistered, unreferenced buffer (construction failed or temp memref done). */
void vtee_shm_free(struct vtee_shm *shm);
/* Register under cookie: returns a TEE_* result. */
uint32_t vtee_shm_register(struct vtee_vm *vm, struct vtee_shm *shm, uint64_t cookie);
uint32_t vtee_shm_unregister(struct vtee_vm *vm, uint64_t cookie);
/* Look up and reference a registered buffer; NULL if none. */
struct vtee_shm *vtee_shm_get(struct vtee_vm *vm, uint64_t cookie);
void vtee_shm_put(struct vtee_shm *shm);
void vtee_shm_put_locked(struct vtee_shm *shm);

/* Sessions (vm.c). */
struct vtee_session *vtee_session_get(struct vtee_vm *vm, uint32_t id);
void vtee_session_put_locked(struct vtee_vm *vm, struct vtee_session *s);
/* Take a session out of the table (CLOSE); the caller holds the table's reference. */
struct vtee_session *vtee_session_take(struct vtee_vm *vm, uint32_t id);

/* Calls (call.c). */
/* NULL: thread limit, or *nomem when a slot could not be allocated. */
struct vtee_call *vtee_call_get(struct vtee_vm *vm, bool *nomem);
/* Reserve a session against the quota for an OPEN; false if over quota. */
bool vtee_call_reserve_session(struct vtee_vm *vm, struct vtee_call *call);
/* Submit call->req and wait up to the slice. */
enum vtee_call_status vtee_call_start(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
/*
 * Thread ids the guest sees: slot index in the low bits, the mediator's epoch
 * above, so an id from an earlier incarnation never resumes a new call.
 */
#define VTEE_THREAD_SLOT_BITS 10
#define VTEE_THREAD_SLOT_MASK ((1u << VTEE_THREAD_SLOT_BITS) - 1)
_Static_assert(VTEE_LIMIT_MAX_CALLS <= (1u << VTEE_THREAD_SLOT_BITS), "thread ids");
/* RETURN_FROM_RPC: resume suspended call `index` (a thread id) with the guest's registers. */
enum vtee_call_status vtee_call_resume(struct vtee_vm *vm, uint32_t index, uint64_t regs[8]);
/* Finish a call that never reached the back-end (validation failed) and release it. */
void vtee_call_abort(struct vtee_vm *vm, struct vtee_call *call);
/* CANCEL: ask the back-end to stop matching calls. */
void vtee_call_cancel(struct vtee_vm *vm, uint32_t session_id, uint32_t cancel_id);
/* Run a request to completion with no guest to answer RPCs (they fail): teardown, internal closes. */
void vtee_req_run_sync(struct vtee_vm *vm, struct vtee_req *req);
/* Attach a shm reference to a call (released with the call). */
void vtee_call_hold_shm(struct vtee_call *call, struct vtee_shm *shm);

extern const struct vtee_frontend vtee_optee_frontend;

/* True while the calling thread serves an SMC through vtee_vm_smc_replay(). */
bool vtee_replaying(void);

static inline void vtee_count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#endif
