/* SPDX-License-Identifier: MIT */
/*
 * libvtee core, private: per-VM state shared by every guest-ABI front-end and
 * every TEE back-end. Only lib/core includes this header. Front-ends see the
 * core through include/vtee/frontend.h, back-ends through backend.h, tests
 * through the public API (backend.h's vtee_*_backend_priv included).
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
#include "vtee/frontend.h"
#include "vtee/vtee.h"

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

#define VTEE_CALL_MAX_SHM (VTEE_MAX_PARAMS + 1) /* memrefs + the message's buffer */

/*
 * A call slot: the core's bookkeeping, then the front-end's call_size bytes
 * (its call struct, starting with struct vtee_call).
 */
struct vtee_call_slot {
	enum vtee_call_state state;   /* vm->lock */
	bool submitted;               /* req handed to the back-end */
	bool session_reserved;        /* OPEN: a session slot is reserved against the quota */
	bool in_rpc;                  /* the back-end waits for the guest to answer req.rpc */
	bool settled;                 /* answered without the back-end (a replayed CLOSE already done) */
	const struct vtee_frontend_ops *fe;
	struct vtee_session *session; /* reference held for the call */
	struct vtee_shm *shm[VTEE_CALL_MAX_SHM]; /* references held */
	uint32_t nshm;
	max_align_t call[];           /* struct vtee_call, first in the front-end's struct */
};

static inline struct vtee_call *slot_call(struct vtee_call_slot *s)
{
	return (struct vtee_call *)s->call;
}

static inline struct vtee_call_slot *call_slot(struct vtee_call *c)
{
	return (struct vtee_call_slot *)((char *)c - offsetof(struct vtee_call_slot, call));
}

/* Front-ends a VM keeps state for, at most (registry order). */
#define VTEE_MAX_FRONTENDS 8

struct vtee_vm {
	struct vtee_tee *tee;
	void *be;
	uint32_t id;
	char name[64];
	struct vtee_quota quota;
	uint32_t slice_us;
	/* OPEN_SESSION policy (vtee_vm_config.ta_allowed, .logins); NULL allows every TA */
	bool (*ta_allowed)(void *ctx, const struct vtee_uuid *ta);
	void *policy_ctx;
	uint8_t logins[VTEE_LOGIN_CLASSES];

	void *fe_state[VTEE_MAX_FRONTENDS]; /* each registered front-end's, by registry index */
	size_t call_size;                   /* the largest front-end's */

	struct vtee_ram ram[VTEE_MAX_RAM_REGIONS];
	unsigned nram;

	pthread_mutex_t lock;
	struct idmap sessions;        /* guest id -> struct vtee_session */
	uint32_t next_session_id;
	uint32_t sessions_reserved;   /* OPENs in flight */
	struct idmap shms;            /* cookie -> struct vtee_shm */
	uint64_t shm_pages;           /* registered + temporary */
	struct vtee_call_slot **calls; /* quota.max_calls slots, each allocated on first use */
	uint32_t calls_busy;
	uint32_t thread_tag;          /* epoch bits of the thread ids the guest sees */
	struct vtee_journal *jn;      /* recovery journal, NULL if none */

	_Atomic uint64_t st_smc, st_quota, st_bad, st_intr;
	_Atomic uint64_t st_denied;   /* OPEN_SESSIONs refused by the policy */
};

/* Front-ends (registry.c): walk with *pos = 0; NULL after the last. */
const struct vtee_frontend_ops *vtee_frontend_next(size_t *pos);

const struct vtee_ram *vtee_ram_of_hva(const struct vtee_vm *vm, const void *hva);

void vtee_shm_put_locked(struct vtee_shm *shm);

/* Sessions (vm.c). */
struct vtee_session *vtee_session_get(struct vtee_vm *vm, uint32_t id);
void vtee_session_put_locked(struct vtee_vm *vm, struct vtee_session *s);
/* Take a session out of the table (CLOSE); the caller holds the table's reference. */
struct vtee_session *vtee_session_take(struct vtee_vm *vm, uint32_t id);

/*
 * Thread ids the guest sees: slot index in the low bits, the mediator's epoch
 * above, so an id from an earlier incarnation never resumes a new call.
 */
#define VTEE_THREAD_SLOT_BITS 10
#define VTEE_THREAD_SLOT_MASK ((1u << VTEE_THREAD_SLOT_BITS) - 1)
_Static_assert(VTEE_LIMIT_MAX_CALLS <= (1u << VTEE_THREAD_SLOT_BITS), "thread ids");

/* Run a request to completion with no guest to answer RPCs (they fail): teardown, internal closes. */
void vtee_req_run_sync(struct vtee_vm *vm, struct vtee_req *req);
/* Teardown: end every call of the VM, the guest being gone (call.c). */
void vtee_calls_end(struct vtee_vm *vm);

static inline void vtee_count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#endif
