// SPDX-License-Identifier: MIT
/*
 * RPCs from the TEE to the guest, OP-TEE style. A back-end thread blocked in
 * vtee_req_rpc() becomes an RPC_CMD the guest kernel serves:
 *  - the guest appended an RPC arg to its message (CALL_WITH_RPC_ARG /
 *    CALL_WITH_REGD_ARG): the request goes there, one round trip;
 *  - otherwise the guest lends a page first: RPC_ALLOC, RPC_CMD, RPC_FREE.
 * The guest's answer is copied out of its memory once and checked like any
 * other guest input; a guest that answers nonsense fails only its own call.
 */
#include <string.h>

#include "optee.h"

#define OPTEE_RPC_CMD_GET_TIME 3u
#define RPC_ARG_SIZE OPTEE_MSG_GET_ARG_SIZE(OPTEE_RPC_MAX_NUM_PARAMS) /* what OP-TEE asks for */

static uint64_t reg64(const uint64_t r[8], int hi, int lo)
{
	return ((uint64_t)(uint32_t)r[hi] << 32) | (uint32_t)r[lo];
}

static struct optee_msg_loc rpc_loc(const struct optee_call *oc)
{
	if (oc->rpc_arg)
		return (struct optee_msg_loc){ oc->loc.shm, oc->loc.addr + OPTEE_MSG_GET_ARG_SIZE(oc->msg_params) };
	return (struct optee_msg_loc){ NULL, oc->rpc_buf };
}

/* The request as OP-TEE lays it out: ret preset to GENERIC so an unanswered request reads as failure. */
static void write_request(struct vtee_vm *vm, struct optee_call *oc)
{
	struct {
		struct optee_msg_hdr hdr;
		struct optee_msg_param p[1];
	} msg = { 0 };
	msg.hdr.cmd = OPTEE_RPC_CMD_GET_TIME;
	msg.hdr.ret = TEE_ERROR_GENERIC;
	msg.hdr.num_params = 1;
	msg.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	optee_msg_write(vm, rpc_loc(oc), 0, &msg, sizeof(msg));
}

static void read_answer(struct vtee_vm *vm, struct optee_call *oc)
{
	struct vtee_rpc *rpc = oc->core.req.rpc;
	struct {
		struct optee_msg_hdr hdr;
		struct optee_msg_param p[1];
	} msg;
	struct optee_msg_loc loc = rpc_loc(oc);
	int r = loc.shm ? vtee_shm_read(loc.shm, loc.addr, &msg, sizeof(msg))
			: vtee_guest_read(vm, loc.addr, &msg, sizeof(msg));

	rpc->ret = TEE_ERROR_COMMUNICATION;
	if (r || msg.hdr.num_params != 1 || msg.p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT) {
		vtee_vm_count_bad(vm);
		return;
	}
	rpc->ret = msg.hdr.ret;
	if (rpc->ret == TEE_SUCCESS) {
		rpc->num_params = 1;
		rpc->params[0].type = VTEE_PARAM_VALUE_OUT;
		rpc->params[0].u.value.a = msg.p[0].u.value.a;
		rpc->params[0].u.value.b = msg.p[0].u.value.b;
		rpc->params[0].u.value.c = 0;
	}
}

static void send_cmd(struct vtee_vm *vm, struct optee_call *oc, uint64_t r[8])
{
	write_request(vm, oc);
	oc->rpc_phase = OPTEE_RPC_CMD;
	optee_set_regs(r, OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_CMD, (uint32_t)(oc->rpc_cookie >> 32),
		       (uint32_t)oc->rpc_cookie, oc->core.thread);
}

static void send_free(struct optee_call *oc, uint64_t r[8])
{
	oc->rpc_phase = OPTEE_RPC_FREE;
	optee_set_regs(r, OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FREE, (uint32_t)(oc->rpc_cookie >> 32),
		       (uint32_t)oc->rpc_cookie, oc->core.thread);
}

void optee_rpc_start(struct vtee_vm *vm, struct vtee_call *c, uint64_t r[8])
{
	struct optee_call *oc = to_optee_call(c);
	struct vtee_rpc *rpc = c->req.rpc;

	rpc->num_params = 0;
	rpc->ret = TEE_ERROR_NOT_SUPPORTED;
	if (rpc->cmd != VTEE_RPC_REE_TIME) {
		/* nothing to ask the guest: answer at once on the next resume */
		oc->rpc_phase = OPTEE_RPC_NONE;
		optee_answer(r, VTEE_CALL_YIELD, c->thread);
		return;
	}
	if (oc->rpc_arg) {
		oc->rpc_cookie = 0;
		send_cmd(vm, oc, r);
		return;
	}
	oc->rpc_phase = OPTEE_RPC_ALLOC;
	optee_set_regs(r, OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_ALLOC, RPC_ARG_SIZE, 0, c->thread);
}

bool optee_rpc_resume(struct vtee_vm *vm, struct vtee_call *c, uint64_t r[8])
{
	struct optee_call *oc = to_optee_call(c);

	switch (oc->rpc_phase) {
	case OPTEE_RPC_ALLOC: {
		uint64_t pa = reg64(r, 1, 2);
		oc->rpc_cookie = reg64(r, 4, 5);
		/* a lent page must be a whole page of this VM's RAM (OP-TEE's rule for dynamic SHM) */
		if (pa && !(pa & (VTEE_PAGE_SIZE - 1)) && vtee_gpa_to_hva(vm, pa, VTEE_PAGE_SIZE)) {
			oc->rpc_buf = pa;
			send_cmd(vm, oc, r);
			return false;
		}
		vtee_vm_count_bad(vm);
		c->req.rpc->ret = TEE_ERROR_OUT_OF_MEMORY;
		if (pa || oc->rpc_cookie) {
			send_free(oc, r); /* give back whatever it did allocate */
			return false;
		}
		oc->rpc_phase = OPTEE_RPC_NONE;
		return true;
	}
	case OPTEE_RPC_CMD:
		read_answer(vm, oc);
		if (!oc->rpc_arg) {
			send_free(oc, r);
			return false;
		}
		oc->rpc_phase = OPTEE_RPC_NONE;
		return true;
	case OPTEE_RPC_FREE:
	case OPTEE_RPC_NONE:
	default:
		oc->rpc_phase = OPTEE_RPC_NONE;
		return true;
	}
}
