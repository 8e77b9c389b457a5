/* SPDX-License-Identifier: MIT */
/* OP-TEE SMC ABI front-end: internal interfaces between smc.c, msg.c, params.c. */
#ifndef VTEE_OPTEE_H
#define VTEE_OPTEE_H

#include "core.h"
#include "optee_abi.h"

/* Largest message vtee parses: OPEN_SESSION with 2 meta + 4 TA params. */
#define OPTEE_MAX_PARSED_PARAMS 6u

/* Where the guest's optee_msg_arg lives: by guest-physical address or inside a registered buffer. */
struct optee_msg_loc {
	struct vtee_shm *shm; /* CALL_WITH_REGD_ARG; reference held by the caller */
	uint64_t addr;        /* gpa, or offset inside shm */
};

/* A private copy of the message, taken once; the guest's copy is never read again. */
struct optee_msg {
	struct optee_msg_arg hdr;
	struct optee_msg_param params[OPTEE_MAX_PARSED_PARAMS];
};

struct optee_call {
	struct vtee_call core;        /* must be first */
	struct optee_msg_loc loc;
	uint32_t first_param;         /* message index of TA param 0 (2 for OPEN) */
};

static inline struct optee_call *to_optee_call(struct vtee_call *c)
{
	return (struct optee_call *)c;
}

/* msg.c: serve one message; returns the a0 value (OK, EBADCMD, ETHREAD_LIMIT, RPC). */
uint32_t optee_msg_handle(struct vtee_vm *vm, const struct optee_msg *msg, struct optee_msg_loc loc,
			  uint32_t *thread);
void optee_msg_finish(struct vtee_vm *vm, struct vtee_call *call);
void optee_msg_write(struct vtee_vm *vm, struct optee_msg_loc loc, uint32_t off, const void *v, size_t len);

/* params.c */
uint32_t optee_params_in(struct vtee_vm *vm, struct optee_call *oc, const struct optee_msg_param *mp,
			 uint32_t n);
struct vtee_shm *optee_pagelist_to_shm(struct vtee_vm *vm, uint64_t buf_ptr, uint64_t size, uint32_t *err);
void optee_params_out(struct vtee_vm *vm, struct optee_call *oc);

#endif
