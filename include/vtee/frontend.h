/* SPDX-License-Identifier: MIT */
/*
 * What the core offers a guest-ABI front-end (lib/frontend/<abi>/, e.g. the
 * OP-TEE SMC ABI). A front-end includes this header and vtee/backend.h,
 * never lib/core/core.h: the core's structs stay the core's.
 *
 * A front-end registers itself with VTEE_FRONTEND_REGISTER(ops) beside its
 * ops and claims SMCCC function ids (owns_fid); vtee_handles_fid() and
 * vtee_vm_smc() ask the registered front-ends, so a second guest ABI is a
 * second folder, nothing more. Per SMC the core calls the owner's smc()
 * with a struct vtee_smc; the front-end copies and checks the guest's
 * input, turns it into a neutral request (struct vtee_call: a struct
 * vtee_req and the guest's session id) and hands it back to the core, which
 * applies the VM's policy (replay filter, logins, TA allow/deny, quotas) and
 * runs it on the back-end. Results come back through the front-end's
 * finish().
 *
 * Errors: functions return 0 or a negative errno; vtee_tee_result()
 * (backend.h) turns one into the GlobalPlatform result a guest is told.
 *
 * In-tree only: not installed, not exported from libvtee.so.
 */
#ifndef VTEE_FRONTEND_H
#define VTEE_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtee/backend.h"
#include "vtee/vtee.h"

#define VTEE_PAGE_SIZE 4096u
#define VTEE_PAGE_SHIFT 12

/* SMCCC: w0 of a call nobody serves (NOT_SUPPORTED, -1). */
#define VTEE_SMCCC_UNKNOWN_FUNCTION 0xFFFFFFFFu

struct vtee_frontend_ops;

/* One guest SMC being served. Passed to the front-end, and back to the core with each request. */
struct vtee_smc {
	struct vtee_vm *vm;
	uint64_t *regs;     /* x0..x7: the guest's on entry, the answer on return */
	uint64_t tag;       /* names this SMC in the recovery journal; 0 = none */
	bool replay;        /* vtee_vm_smc_replay(): the core carries out only what removes state */
	const struct vtee_frontend_ops *fe;
	void *state;        /* the front-end's state for this VM (its vm_created) */
};

/*
 * One yielding call ("TEE thread" as the guest sees it), from the front-end's
 * side. The core allocates call_size bytes per call slot; a front-end's own
 * call struct starts with this one.
 */
struct vtee_call {
	uint32_t thread;    /* the id the guest uses to resume this call; set by the core */
	/*
	 * The neutral request: the front-end sets op, and for OPEN ta,
	 * client.login and client.uuid; for INVOKE func; num_params and params.
	 * The core sets client.vm_id and session. After the call: ret,
	 * ret_origin and the outputs.
	 */
	struct vtee_req req;
	uint32_t session;   /* the guest's session id: INVOKE/CLOSE in; after an OPEN that succeeded, out */
	uint32_t cancel_id; /* what a guest's CANCEL names */
};

/* What vtee_call_start()/vtee_call_resume() tell the front-end to answer. */
enum vtee_call_status {
	VTEE_CALL_DONE,     /* finish() wrote the results to the guest; the slot is free */
	VTEE_CALL_YIELD,    /* still running: give the vCPU back, resume later */
	VTEE_CALL_RPC,      /* the front-end's rpc_start() filled regs with a request for the guest */
	VTEE_CALL_BAD,      /* resume of a thread that is not waiting for the guest */
};

/* What a guest asks, whatever its ABI: the replay filter decides on this. */
enum vtee_guest_op {
	VTEE_GUEST_OPEN,
	VTEE_GUEST_INVOKE,
	VTEE_GUEST_CLOSE,
	VTEE_GUEST_CANCEL,
	VTEE_GUEST_SHM_REGISTER,
	VTEE_GUEST_SHM_UNREGISTER,
	VTEE_GUEST_OTHER,          /* a command the front-end does not serve */
};

struct vtee_frontend_ops {
	const char *name;
	/* The SMCCC function ids this front-end serves; no two front-ends may claim one. */
	bool (*owns_fid)(uint32_t fid);
	/* Bytes per call slot: the front-end's call struct, which starts with struct vtee_call. */
	size_t call_size;
	/* Optional: a VM comes and goes (cfg as the embedder gave it); *state comes back in struct vtee_smc. */
	int (*vm_created)(struct vtee_vm *vm, const struct vtee_vm_config *cfg, void **state);
	void (*vm_destroyed)(struct vtee_vm *vm, void *state);
	/* Serve one SMC whose function id owns_fid() claimed. */
	void (*smc)(struct vtee_smc *smc);
	/* Write a finished call's results to the guest. */
	void (*finish)(struct vtee_vm *vm, struct vtee_call *call);
	/* The back-end posted call->req.rpc: fill regs with the guest-facing request. */
	void (*rpc_start)(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
	/*
	 * The guest came back (regs as it entered). Return true when req.rpc holds
	 * the answer, or fill regs with a further request and return false.
	 */
	bool (*rpc_resume)(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
};

/* Like VTEE_BACKEND_REGISTER (backend.h): a pointer in the vtee_frontends section. */
#define VTEE_FRONTEND_REGISTER(ops)                                                       \
	static const struct vtee_frontend_ops *const vtee_frontend_entry_##ops               \
		__attribute__((used, section("vtee_frontends"), aligned(sizeof(void *)))) = &(ops)

/* ---- the VM ---- */

/* The front-end's state for this VM (NULL if it keeps none). */
void *vtee_vm_frontend_state(const struct vtee_vm *vm, const struct vtee_frontend_ops *fe);
/* Yielding calls the VM may have in flight: the thread count a guest is told. */
uint32_t vtee_vm_max_calls(const struct vtee_vm *vm);
/* Count a malformed request the front-end answered with an error (vtee_vm_stats.bad_requests). */
void vtee_vm_count_bad(struct vtee_vm *vm);

/* ---- guest memory: a range is usable only inside one RAM region ---- */

void *vtee_gpa_to_hva(const struct vtee_vm *vm, uint64_t gpa, uint64_t len);
int vtee_guest_read(const struct vtee_vm *vm, uint64_t gpa, void *dst, size_t len);
int vtee_guest_write(const struct vtee_vm *vm, uint64_t gpa, const void *src, size_t len);

/* ---- shared memory (accessors for its contents: backend.h) ---- */

/*
 * A buffer of size bytes starting first_off into its first page, pages to be
 * set; charged to the VM's page quota. -EINVAL (size 0, first_off past the
 * page), -EDQUOT (quota), -ENOMEM.
 */
int vtee_shm_new(struct vtee_vm *vm, uint64_t size, uint32_t first_off, struct vtee_shm **out);
/* Page i is the guest page at gpa: -EINVAL unless gpa is a whole page of guest RAM and i < pages. */
int vtee_shm_set_page(struct vtee_shm *shm, size_t i, uint64_t gpa);
/* Free a buffer never registered or referenced elsewhere (construction failed, temporary done). */
void vtee_shm_free(struct vtee_shm *shm);
/*
 * Register under the guest's cookie. -EEXIST (cookie taken), -EDQUOT (buffer
 * quota), -ENOMEM (the back-end or the journal could not take it); on
 * failure the buffer is still the caller's.
 */
int vtee_shm_register(struct vtee_smc *smc, struct vtee_shm *shm, uint64_t cookie);
/* -ENOENT (no such cookie; 0 for a replay: the dead mediator did it), -EBUSY (a call uses it). */
int vtee_shm_unregister(struct vtee_smc *smc, uint64_t cookie);
/* Look up and reference a registered buffer: -ENOENT if there is none. */
int vtee_shm_get(struct vtee_vm *vm, uint64_t cookie, struct vtee_shm **out);
void vtee_shm_put(struct vtee_shm *shm);

/* ---- requests and calls ---- */

/*
 * First, for every request a guest makes: the replay filter. Serving an SMC
 * the previous mediator died on (vtee_vm_smc_replay), only what removes
 * state (close, unregister, cancel) is carried out: -ECOMM for the rest.
 */
int vtee_smc_admit(const struct vtee_smc *smc, enum vtee_guest_op op);
/* A free call slot: -EAGAIN when every one is busy (the guest's thread limit), -ENOMEM. */
int vtee_call_get(struct vtee_smc *smc, struct vtee_call **out);
/*
 * The VM's policy on a request the front-end filled in (op, and for OPEN the
 * TA and login; for INVOKE/CLOSE the guest's session id): the login checked
 * and mapped, the TA allowed or denied, the session quota, the session
 * looked up. 0, or -EACCES (login or TA refused), -EDQUOT (session quota),
 * -EINVAL (INVOKE of no such session), -ENOENT (CLOSE of no such session).
 * The core counts what it refuses; the front-end answers and aborts the call.
 */
int vtee_call_admit(struct vtee_smc *smc, struct vtee_call *call);
/* Keep a reference to shm until the call is released (memrefs, the message's buffer). -ENOSPC if full. */
int vtee_call_hold_shm(struct vtee_call *call, struct vtee_shm *shm);
/* Submit the request and wait up to the VM's slice. */
enum vtee_call_status vtee_call_start(struct vtee_smc *smc, struct vtee_call *call);
/* Resume the suspended call the guest names by thread id, with smc->regs as it entered. */
enum vtee_call_status vtee_call_resume(struct vtee_smc *smc, uint32_t thread);
/* Release a call that never reached the back-end (the front-end or the core refused it). */
void vtee_call_abort(struct vtee_vm *vm, struct vtee_call *call);
/* A guest's CANCEL: ask the back-end to stop the matching calls in flight (GP rules). */
void vtee_call_cancel(struct vtee_vm *vm, uint32_t session, uint32_t cancel_id);

#endif
