// SPDX-License-Identifier: MIT
/*
 * OPTEE_MSG commands. The message was copied into private memory before we got
 * here; results go back field by field, never by re-reading the guest's copy.
 * Errors follow OP-TEE: a0 = EBADCMD for a command vtee does not serve, else
 * a0 = OK with the TEE result in ret/ret_origin.
 */
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

static uint32_t register_shm(struct vtee_vm *vm, const struct optee_msg *m)
{
	const struct optee_msg_param *p = &m->params[0];
	/* OP-TEE accepts exactly one non-contiguous output tmem here */
	if (m->hdr.num_params != 1 || p->attr != (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG))
		return TEE_ERROR_BAD_PARAMETERS;
	uint32_t err;
	struct vtee_shm *shm = optee_pagelist_to_shm(vm, p->u.tmem.buf_ptr, p->u.tmem.size, &err);
	if (!shm)
		return err;
	err = vtee_shm_register(vm, shm, p->u.tmem.shm_ref);
	if (err != TEE_SUCCESS)
		vtee_shm_put(shm); /* never published: ours is the only reference */
	return err;
}

static uint32_t unregister_shm(struct vtee_vm *vm, const struct optee_msg *m)
{
	const struct optee_msg_param *p = &m->params[0];
	if (m->hdr.num_params != 1 || p->attr != OPTEE_MSG_ATTR_TYPE_RMEM_INPUT)
		return TEE_ERROR_BAD_PARAMETERS;
	return vtee_shm_unregister(vm, p->u.rmem.shm_ref);
}

static bool login_ok(uint64_t login)
{
	switch (login) {
	case TEE_LOGIN_PUBLIC:
	case TEE_LOGIN_USER:
	case TEE_LOGIN_GROUP:
	case TEE_LOGIN_APPLICATION:
	case TEE_LOGIN_APPLICATION_USER:
	case TEE_LOGIN_APPLICATION_GROUP:
	case TEE_LOGIN_REE_KERNEL: /* the guest's kernel, tagged with the VM id like every client */
		return true;
	default:
		return false; /* TRUSTED_APP and anything else: not a normal-world identity */
	}
}

/*
 * Fill req for OPEN/INVOKE/CLOSE from the private message. Returns a TEE result;
 * *denied tells an OPEN the VM's policy refused (counted, not a bad request).
 */
static uint32_t build_req(struct vtee_vm *vm, struct optee_call *oc, const struct optee_msg *m, bool *denied)
{
	struct vtee_call *c = &oc->core;
	uint32_t n = m->hdr.num_params;

	c->cancel_id = m->hdr.cancel_id;
	switch (m->hdr.cmd) {
	case OPTEE_MSG_CMD_OPEN_SESSION: {
		const uint64_t meta = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		if (n < 2 || m->params[0].attr != meta || m->params[1].attr != meta)
			return TEE_ERROR_BAD_PARAMETERS;
		if (!login_ok(m->params[1].u.value.c))
			return TEE_ERROR_ACCESS_DENIED;
		c->req.op = VTEE_REQ_OPEN;
		memcpy(c->req.ta.b, m->params[0].u.octets, 16);
		memcpy(c->req.client.uuid.b, m->params[1].u.octets, 16);
		c->req.client.login = (uint32_t)m->params[1].u.value.c;
		/* the policy sees the TA first: a refused OPEN reaches neither quota nor back-end */
		if (vm->ta_allowed && !vm->ta_allowed(vm->policy_ctx, &c->req.ta)) {
			vtee_count(&vm->st_denied);
			*denied = true;
			return TEE_ERROR_ACCESS_DENIED;
		}
		if (!vtee_call_reserve_session(vm, c))
			return TEE_ERROR_OUT_OF_MEMORY;
		oc->first_param = 2;
		return optee_params_in(vm, oc, &m->params[2], n - 2);
	}
	case OPTEE_MSG_CMD_INVOKE_COMMAND:
		c->req.op = VTEE_REQ_INVOKE;
		c->req.func = m->hdr.func;
		c->session_id = m->hdr.session;
		c->session = vtee_session_get(vm, m->hdr.session);
		if (!c->session)
			return TEE_ERROR_BAD_PARAMETERS;
		c->req.session = c->session->be;
		return optee_params_in(vm, oc, m->params, n);
	case OPTEE_MSG_CMD_CLOSE_SESSION:
		if (n)
			return TEE_ERROR_BAD_PARAMETERS;
		c->req.op = VTEE_REQ_CLOSE;
		c->session_id = m->hdr.session;
		/* out of the table now: no new call can find it; running ones keep their reference */
		c->session = vtee_session_take(vm, m->hdr.session);
		if (!c->session)
			return TEE_ERROR_ITEM_NOT_FOUND;
		c->req.session = c->session->be;
		return TEE_SUCCESS;
	}
	return TEE_ERROR_BAD_PARAMETERS;
}

void optee_msg_handle(struct vtee_vm *vm, const struct optee_msg *m, struct optee_msg_loc loc, bool rpc_arg,
		      uint64_t regs[8])
{
	uint32_t ret;

	/*
	 * A replay (the previous mediator died serving it, see vtee_vm_smc_replay):
	 * what only removes state is carried out, so the guest's close or
	 * unregister takes effect; anything else may have half happened and fails.
	 */
	if (vtee_replaying() && m->hdr.cmd != OPTEE_MSG_CMD_CLOSE_SESSION &&
	    m->hdr.cmd != OPTEE_MSG_CMD_UNREGISTER_SHM && m->hdr.cmd != OPTEE_MSG_CMD_CANCEL) {
		write_ret(vm, loc, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		put_loc(loc);
		optee_set_regs(regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		return;
	}
	switch (m->hdr.cmd) {
	case OPTEE_MSG_CMD_REGISTER_SHM:
		ret = register_shm(vm, m);
		break;
	case OPTEE_MSG_CMD_UNREGISTER_SHM:
		ret = unregister_shm(vm, m);
		break;
	case OPTEE_MSG_CMD_CANCEL:
		vtee_call_cancel(vm, m->hdr.session, m->hdr.cancel_id);
		ret = TEE_SUCCESS;
		break;
	case OPTEE_MSG_CMD_OPEN_SESSION:
	case OPTEE_MSG_CMD_INVOKE_COMMAND:
	case OPTEE_MSG_CMD_CLOSE_SESSION: {
		bool nomem;
		struct vtee_call *c = vtee_call_get(vm, &nomem);
		if (!c) {
			put_loc(loc);
			if (nomem)
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
			vtee_call_hold_shm(c, loc.shm); /* the argument buffer stays put until we answer */
		bool denied = false;
		ret = build_req(vm, oc, m, &denied);
		if (ret == TEE_ERROR_ITEM_NOT_FOUND && vtee_replaying()) {
			/* a replayed CLOSE of a session the dead mediator already took: it is closed */
			write_ret(vm, loc, TEE_SUCCESS, TEE_ORIGIN_TEE);
			vtee_call_abort(vm, c);
			optee_set_regs(regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
			return;
		}
		if (ret != TEE_SUCCESS) {
			if (!denied)
				vtee_count(&vm->st_bad);
			write_ret(vm, loc, ret, TEE_ORIGIN_TEE);
			vtee_call_abort(vm, c);
			optee_set_regs(regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
			return;
		}
		uint32_t thread = c->index;
		optee_answer(regs, vtee_call_start(vm, c, regs), thread);
		return;
	}
	default:
		vtee_count(&vm->st_bad);
		put_loc(loc);
		optee_set_regs(regs, OPTEE_SMC_RETURN_EBADCMD, 0, 0, 0);
		return;
	}
	if (ret == TEE_ERROR_ITEM_NOT_FOUND && vtee_replaying())
		ret = TEE_SUCCESS; /* a replayed UNREGISTER the dead mediator already did */
	if (ret != TEE_SUCCESS)
		vtee_count(&vm->st_bad);
	write_ret(vm, loc, ret, TEE_ORIGIN_TEE);
	put_loc(loc);
	optee_set_regs(regs, OPTEE_SMC_RETURN_OK, 0, 0, 0);
}

/* The back-end finished: write results (and only results) into the guest's message. */
void optee_msg_finish(struct vtee_vm *vm, struct vtee_call *c)
{
	struct optee_call *oc = to_optee_call(c);
	if (c->req.op == VTEE_REQ_OPEN && c->req.ret == TEE_SUCCESS)
		optee_msg_write(vm, oc->loc, OPTEE_MSG_OFF_SESSION, &c->session_id, sizeof(c->session_id));
	if (c->req.op != VTEE_REQ_CLOSE)
		optee_params_out(vm, oc);
	write_ret(vm, oc->loc, c->req.ret, c->req.ret_origin);
}
