// SPDX-License-Identifier: MIT
/*
 * OPTEE_MSG commands. The message was copied into private memory before we got
 * here; results go back field by field, never by re-reading the guest's copy.
 * Errors follow OP-TEE: a0 = EBADCMD for a command vtee does not serve, else
 * a0 = OK with the TEE result in ret/ret_origin.
 */
#include <errno.h>
#include <string.h>

#include "optee.h"

void optee_msg_write(struct vtee_vm *vm, struct optee_msg_loc loc, uint32_t off, const void *v, size_t len)
{
	/* a guest that pulled its page away simply gets no result */
	if (loc.shm)
		(void)vtee_shm_write(loc.shm, loc.addr + off, v, len);
	else
		(void)vtee_guest_write(vm, loc.addr + off, v, len);
}

static void write_ret(struct vtee_vm *vm, struct optee_msg_loc loc, uint32_t ret, uint32_t origin)
{
	const uint32_t v[2] = { ret, origin }; /* adjacent fields: one write */
	optee_msg_write(vm, loc, OPTEE_MSG_OFF_RET, v, sizeof(v));
}

static void put_loc(struct optee_msg_loc loc)
{
	if (loc.shm)
		vtee_shm_put(loc.shm);
}

/* The guest's command as the core sees it. */
static enum vtee_guest_op guest_op(uint32_t cmd)
{
	switch (cmd) {
	case OPTEE_MSG_CMD_OPEN_SESSION: return VTEE_GUEST_OPEN;
	case OPTEE_MSG_CMD_INVOKE_COMMAND: return VTEE_GUEST_INVOKE;
	case OPTEE_MSG_CMD_CLOSE_SESSION: return VTEE_GUEST_CLOSE;
	case OPTEE_MSG_CMD_CANCEL: return VTEE_GUEST_CANCEL;
	case OPTEE_MSG_CMD_REGISTER_SHM: return VTEE_GUEST_SHM_REGISTER;
	case OPTEE_MSG_CMD_UNREGISTER_SHM: return VTEE_GUEST_SHM_UNREGISTER;
	default: return VTEE_GUEST_OTHER;
	}
}

static int register_shm(struct vtee_smc *smc, const struct optee_msg *m)
{
	const struct optee_msg_param *p = &m->params[0];
	/* OP-TEE accepts exactly one non-contiguous output tmem here */
	if (m->hdr.num_params != 1 || p->attr != (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG))
		return -EINVAL;
	struct vtee_shm *shm;
	int r = optee_pagelist_to_shm(smc->vm, p->u.tmem.buf_ptr, p->u.tmem.size, &shm);
	if (r)
		return r;
	r = vtee_shm_register(smc, shm, p->u.tmem.shm_ref);
	if (r)
		vtee_shm_put(shm); /* never published: ours is the only reference */
	return r;
}

static int unregister_shm(struct vtee_smc *smc, const struct optee_msg *m)
{
	const struct optee_msg_param *p = &m->params[0];
	if (m->hdr.num_params != 1 || p->attr != OPTEE_MSG_ATTR_TYPE_RMEM_INPUT)
		return -EINVAL;
	return vtee_shm_unregister(smc, p->u.rmem.shm_ref);
}

/* The neutral request from the private message (OPEN/INVOKE/CLOSE), up to where the core's policy comes in. */
static int request_head(struct vtee_call *c, const struct optee_msg *m)
{
	uint32_t n = m->hdr.num_params;
	c->cancel_id = m->hdr.cancel_id;
	switch (m->hdr.cmd) {
	case OPTEE_MSG_CMD_OPEN_SESSION: {
		const uint64_t meta = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		if (n < 2 || m->params[0].attr != meta || m->params[1].attr != meta)
			return -EINVAL;
		c->req.op = VTEE_REQ_OPEN;
		memcpy(c->req.ta.b, m->params[0].u.octets, 16);
		memcpy(c->req.client.uuid.b, m->params[1].u.octets, 16);
		/* a login that does not fit 32 bits is none the core knows: it refuses it */
		c->req.client.login = m->params[1].u.value.c > UINT32_MAX ? OPTEE_MSG_LOGIN_TRUSTED_APP
									  : (uint32_t)m->params[1].u.value.c;
		return 0;
	}
	case OPTEE_MSG_CMD_INVOKE_COMMAND:
		c->req.op = VTEE_REQ_INVOKE;
		c->req.func = m->hdr.func;
		c->session = m->hdr.session;
		return 0;
	case OPTEE_MSG_CMD_CLOSE_SESSION:
	default:
		if (n)
			return -EINVAL;
		c->req.op = VTEE_REQ_CLOSE;
		c->session = m->hdr.session;
		return 0;
	}
}

/*
 * OPEN, INVOKE, CLOSE: a call slot, the request, the core's policy, the
 * parameters, then the back-end. Sets the guest's registers.
 */
static void handle_call(struct vtee_smc *smc, const struct optee_msg *m, struct optee_msg_loc loc, bool rpc_arg)
{
	struct vtee_vm *vm = smc->vm;
	uint64_t *regs = smc->regs;
	struct vtee_call *c;
	int r = vtee_call_get(smc, &c);
	if (r) {
		put_loc(loc);
		if (r == -ENOMEM)
			optee_set_regs(regs, OPTEE_SMC_RETURN_ENOMEM, 0, 0, 0);
		else
			regs[0] = OPTEE_SMC_RETURN_ETHREAD_LIMIT; /* a1..a7 kept: the guest retries as is */
		return;
	}
	struct optee_call *oc = to_optee_call(c);
	oc->loc = loc;
	oc->rpc_arg = rpc_arg;
	oc->msg_params = m->hdr.num_params;
	if (loc.shm)
		(void)vtee_call_hold_shm(c, loc.shm); /* the argument buffer stays put until we answer; room for it */
	bool counted = false; /* the core counts what its policy refuses */
	r = request_head(c, m);
	if (!r) {
		r = vtee_call_admit(smc, c);
		counted = r != 0;
	}
	if (!r && c->req.op != VTEE_REQ_CLOSE) {
		oc->first_param = c->req.op == VTEE_REQ_OPEN ? 2 : 0;
		r = optee_params_in(vm, oc, &m->params[oc->first_param], m->hdr.num_params - oc->first_param);
	}
	if (r) {
		uint32_t ret, origin;
		if (!counted)
			vtee_vm_count_bad(vm);
		vtee_tee_result(r, &ret, &origin);
		write_ret(vm, loc, ret, origin);
		vtee_call_abort(vm, c);
		optee_set_regs(regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		return;
	}
	uint32_t thread = c->thread;
	optee_answer(regs, vtee_call_start(smc, c), thread);
}

void optee_msg_handle(struct vtee_smc *smc, const struct optee_msg *m, struct optee_msg_loc loc, bool rpc_arg)
{
	struct vtee_vm *vm = smc->vm;
	enum vtee_guest_op op = guest_op(m->hdr.cmd);

	/* the core's replay filter sees every command first */
	int r = vtee_smc_admit(smc, op);
	if (r) {
		uint32_t ret, origin;
		vtee_tee_result(r, &ret, &origin);
		write_ret(vm, loc, ret, origin);
		put_loc(loc);
		optee_set_regs(smc->regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		return;
	}
	switch (op) {
	case VTEE_GUEST_SHM_REGISTER:
		r = register_shm(smc, m);
		break;
	case VTEE_GUEST_SHM_UNREGISTER:
		r = unregister_shm(smc, m);
		break;
	case VTEE_GUEST_CANCEL:
		vtee_call_cancel(vm, m->hdr.session, m->hdr.cancel_id);
		r = 0;
		break;
	case VTEE_GUEST_OTHER:
		vtee_vm_count_bad(vm);
		put_loc(loc);
		optee_set_regs(smc->regs, OPTEE_SMC_RETURN_EBADCMD, 0, 0, 0);
		return;
	default:
		handle_call(smc, m, loc, rpc_arg);
		return;
	}
	uint32_t ret, origin;
	if (r)
		vtee_vm_count_bad(vm);
	vtee_tee_result(r, &ret, &origin);
	write_ret(vm, loc, ret, origin);
	put_loc(loc);
	optee_set_regs(smc->regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
}

/* The back-end finished: write results (and only results) into the guest's message. */
void optee_msg_finish(struct vtee_vm *vm, struct vtee_call *c)
{
	struct optee_call *oc = to_optee_call(c);
	if (c->req.op == VTEE_REQ_OPEN && c->req.ret == TEE_SUCCESS)
		optee_msg_write(vm, oc->loc, OPTEE_MSG_OFF_SESSION, &c->session, sizeof(c->session));
	if (c->req.op != VTEE_REQ_CLOSE)
		optee_params_out(vm, oc);
	write_ret(vm, oc->loc, c->req.ret, c->req.ret_origin);
}
