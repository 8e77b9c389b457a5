/* SPDX-License-Identifier: MIT */
/* OP-TEE SMC ABI front-end: internal interfaces between smc.c, msg.c, params.c. */
#ifndef VTEE_OPTEE_H
#define VTEE_OPTEE_H

#include "optee_abi.h"
#include "vtee/backend.h"
#include "vtee/frontend.h"

/* Largest message vtee parses: OPEN_SESSION with 2 meta + 4 TA params. */
#define OPTEE_MAX_PARSED_PARAMS 6u

/* Where the guest's optee_msg_arg lives: by guest-physical address or inside a registered buffer. */
struct optee_msg_loc {
	struct vtee_shm *shm; /* CALL_WITH_REGD_ARG; reference held by the caller */
	uint64_t addr;        /* gpa, or offset inside shm */
};

/* A private copy of the message, taken once; the guest's copy is never read again. */
struct optee_msg {
	struct optee_msg_hdr hdr;
	struct optee_msg_param params[OPTEE_MAX_PARSED_PARAMS];
};

enum optee_rpc_phase { OPTEE_RPC_NONE, OPTEE_RPC_ALLOC, OPTEE_RPC_CMD, OPTEE_RPC_FREE };

/* The front-end's state for one VM (struct vtee_smc's state). */
struct optee_vm {
	bool no_rpc_arg;              /* vtee_vm_config.no_rpc_arg: RPC_ARG not offered */
};

struct optee_call {
	struct vtee_call core;        /* must be first */
	struct optee_msg_loc loc;
	uint32_t first_param;         /* message index of TA param 0 (2 for OPEN) */
	uint32_t msg_params;          /* num_params of the guest's message (locates an appended RPC arg) */
	bool rpc_arg;                 /* the guest appended an RPC arg (CALL_WITH_RPC_ARG / REGD_ARG) */
	/* an RPC to the guest in progress; without an appended RPC arg the guest lends a buffer */
	enum optee_rpc_phase rpc_phase;
	uint64_t rpc_buf;             /* guest-physical page from RPC_ALLOC */
	uint64_t rpc_cookie;          /* the guest's name for it */
};

static inline struct optee_call *to_optee_call(struct vtee_call *c)
{
	return (struct optee_call *)c;
}

/* msg.c: serve one message (takes over loc's reference); sets the guest's result registers. */
void optee_msg_handle(struct vtee_smc *smc, const struct optee_msg *msg, struct optee_msg_loc loc, bool rpc_arg);
void optee_msg_finish(struct vtee_vm *vm, struct vtee_call *call);
void optee_msg_write(struct vtee_vm *vm, struct optee_msg_loc loc, uint32_t off, const void *v, size_t len);

/* smc.c: turn a call status into the guest's registers. */
void optee_answer(uint64_t regs[8], enum vtee_call_status st, uint32_t thread);
void optee_set_regs(uint64_t regs[8], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);

/* rpc.c: RPCs from the back-end to the guest. */
void optee_rpc_start(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);
bool optee_rpc_resume(struct vtee_vm *vm, struct vtee_call *call, uint64_t regs[8]);

/* params.c: 0 or a negative errno (vtee_tee_result() says what the guest is told). */
int optee_params_in(struct vtee_vm *vm, struct optee_call *oc, const struct optee_msg_param *mp, uint32_t n);
int optee_pagelist_to_shm(struct vtee_vm *vm, uint64_t buf_ptr, uint64_t size, struct vtee_shm **out);
void optee_params_out(struct vtee_vm *vm, struct optee_call *oc);

#endif
