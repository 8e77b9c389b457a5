// SPDX-License-Identifier: MIT
/*
 * Yielding calls in flight. Each call occupies one slot ("TEE thread") from
 * submission until its result has been written back to the guest. A vCPU
 * waits at most one time slice for the back-end; if the call is still running
 * the slot is left SUSPENDED and the front-end tells the guest to come back
 * later (OP-TEE: RPC FOREIGN_INTR, resumed by RETURN_FROM_RPC with the id).
 * The slot is free again before the SMC that delivers the result returns, so
 * a guest that saw its call finish always finds that slot free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int vtee_call_get(struct vtee_smc *smc, struct vtee_call **out)
{
	struct vtee_vm *vm = smc->vm;
	size_t bytes = sizeof(struct vtee_call_slot) + vm->call_size;
	int r = -EAGAIN;

	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		if (!vm->calls[i]) {
			/* slots are allocated on first use: an idle VM holds none */
			vm->calls[i] = calloc(1, bytes);
			if (!vm->calls[i]) {
				r = -ENOMEM; /* not a thread limit: nothing may be in flight */
				break;
			}
		}
		struct vtee_call_slot *s = vm->calls[i];
		if (s->state == CALL_FREE) {
			memset(s, 0, bytes);
			s->state = CALL_RUNNING;
			s->fe = smc->fe;
			struct vtee_call *c = slot_call(s);
			c->thread = i | vm->thread_tag;
			c->req.client.vm_id = vm->id;
			vm->calls_busy++;
			*out = c;
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int vtee_call_hold_shm(struct vtee_call *call, struct vtee_shm *shm)
{
	struct vtee_call_slot *s = call_slot(call);
	if (s->nshm == VTEE_CALL_MAX_SHM)
		return -ENOSPC;
	s->shm[s->nshm++] = shm;
	return 0;
}

static void release(struct vtee_vm *vm, struct vtee_call_slot *s)
{
	pthread_mutex_lock(&vm->lock);
	if (s->session)
		vtee_session_put_locked(vm, s->session);
	for (uint32_t i = 0; i < s->nshm; i++)
		vtee_shm_put_locked(s->shm[i]);
	if (s->session_reserved)
		vm->sessions_reserved--;
	s->session = NULL;
	s->nshm = 0;
	s->session_reserved = false;
	s->submitted = false;
	s->state = CALL_FREE;
	vm->calls_busy--;
	pthread_mutex_unlock(&vm->lock);
}

/* Wait for a request nobody will answer RPCs for (teardown, internal closes): they fail. */
static void wait_no_guest(struct vtee_req *req)
{
	while (vtee_req_wait_event(req, UINT64_MAX) == VTEE_WAIT_RPC) {
		req->rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(req);
	}
}

void vtee_req_run_sync(struct vtee_vm *vm, struct vtee_req *req)
{
	req->client.vm_id = vm->id;
	vtee_req_arm(req);
	vm->tee->ops->submit(vm->be, req);
	wait_no_guest(req);
}

/* An OPEN that succeeded in the TEE becomes a guest-visible session; the SMC tagged tag delivers it. */
static void adopt_session(struct vtee_vm *vm, struct vtee_call *c, uint64_t tag)
{
	struct vtee_session *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	pthread_mutex_lock(&vm->lock);
	if (s) {
		s->refs = 1;
		s->be = c->req.session;
		/* ids are per VM; skip 0 and ids still in use after a wrap */
		for (uint32_t tries = 0; tries < 16 && r; tries++) {
			s->id = vm->next_session_id++;
			if (!s->id)
				s->id = vm->next_session_id++;
			r = idmap_put(&vm->sessions, s->id, s);
		}
		vtee_journal_next_session_id(vm);
		/* the journal names it before the guest can learn its id */
		if (!r && vtee_journal_session_add(vm, s, tag)) {
			idmap_del(&vm->sessions, s->id);
			r = -ENOSPC;
		}
	}
	/*
	 * Read under the lock: once it is in the table, another vCPU may guess
	 * the id and CLOSE it (and free s) before this OPEN even returns.
	 */
	uint32_t id = !r ? s->id : 0;
	pthread_mutex_unlock(&vm->lock);
	if (r) {
		free(s);
		struct vtee_req req = { .op = VTEE_REQ_CLOSE, .session = c->req.session };
		vtee_req_run_sync(vm, &req);
		c->req.ret = TEE_ERROR_OUT_OF_MEMORY;
		c->req.ret_origin = TEE_ORIGIN_TEE;
		return;
	}
	c->session = id;
}

/* A CLOSE the back-end refused leaves the session open: the guest may try again. */
static void restore_session(struct vtee_vm *vm, struct vtee_session *s, uint64_t tag)
{
	pthread_mutex_lock(&vm->lock);
	if (!idmap_put(&vm->sessions, s->id, s)) {
		s->refs++; /* the table's reference again */
		if (vtee_journal_session_add(vm, s, tag))
			s->jslot = 0; /* journal full: lives on, lost on a restart */
	}
	pthread_mutex_unlock(&vm->lock);
}

/* The back-end is done: the core's side, the guest's results (smc: the SMC delivering them), the slot. */
static void complete(struct vtee_vm *vm, struct vtee_call_slot *s, const struct vtee_smc *smc)
{
	struct vtee_call *c = slot_call(s);
	uint64_t tag = smc ? smc->tag : 0;
	if (c->req.op == VTEE_REQ_OPEN && c->req.ret == TEE_SUCCESS)
		adopt_session(vm, c, tag);
	if (c->req.op == VTEE_REQ_CLOSE && c->req.ret != TEE_SUCCESS && s->session)
		restore_session(vm, s->session, tag);
	if (smc)
		s->fe->finish(vm, c);
	release(vm, s);
}

static enum vtee_call_status suspend(struct vtee_vm *vm, struct vtee_call_slot *s)
{
	/* read before unlocking: once SUSPENDED another vCPU may resume the slot */
	enum vtee_call_status st = s->in_rpc ? VTEE_CALL_RPC : VTEE_CALL_YIELD;
	pthread_mutex_lock(&vm->lock);
	s->state = CALL_SUSPENDED;
	pthread_mutex_unlock(&vm->lock);
	return st;
}

static enum vtee_call_status wait_slice(struct vtee_smc *smc, struct vtee_call_slot *s)
{
	struct vtee_vm *vm = smc->vm;
	struct vtee_call *c = slot_call(s);
	switch (vtee_req_wait_event(&c->req, vm->slice_us)) {
	case VTEE_WAIT_DONE:
		complete(vm, s, smc);
		return VTEE_CALL_DONE;
	case VTEE_WAIT_RPC:
		s->in_rpc = true;
		s->fe->rpc_start(vm, c, smc->regs);
		return suspend(vm, s);
	case VTEE_WAIT_TIMEOUT:
	default:
		vtee_count(&vm->st_intr);
		return suspend(vm, s);
	}
}

enum vtee_call_status vtee_call_start(struct vtee_smc *smc, struct vtee_call *c)
{
	struct vtee_vm *vm = smc->vm;
	struct vtee_call_slot *s = call_slot(c);
	if (s->settled) {
		/* the core answered it (a replayed CLOSE the dead mediator did): nothing for the back-end */
		c->req.ret = TEE_SUCCESS;
		c->req.ret_origin = TEE_ORIGIN_TEE;
		complete(vm, s, smc);
		return VTEE_CALL_DONE;
	}
	c->req.client.vm_id = vm->id; /* whatever the front-end did, identity is ours */
	vtee_req_arm(&c->req);
	pthread_mutex_lock(&vm->lock); /* from here CANCEL may reach it */
	s->submitted = true;
	pthread_mutex_unlock(&vm->lock);
	vm->tee->ops->submit(vm->be, &c->req);
	return wait_slice(smc, s);
}

enum vtee_call_status vtee_call_resume(struct vtee_smc *smc, uint32_t thread)
{
	struct vtee_vm *vm = smc->vm;
	struct vtee_call_slot *s = NULL;

	uint32_t i = thread & VTEE_THREAD_SLOT_MASK;
	pthread_mutex_lock(&vm->lock);
	if ((thread & ~VTEE_THREAD_SLOT_MASK) == vm->thread_tag && i < vm->quota.max_calls && vm->calls[i] &&
	    vm->calls[i]->state == CALL_SUSPENDED && vm->calls[i]->fe == smc->fe) {
		s = vm->calls[i];
		s->state = CALL_RUNNING; /* a second vCPU resuming the same id is refused */
	}
	pthread_mutex_unlock(&vm->lock);
	if (!s)
		return VTEE_CALL_BAD;
	struct vtee_call *c = slot_call(s);
	if (s->in_rpc) {
		if (!s->fe->rpc_resume(vm, c, smc->regs))
			return suspend(vm, s);
		s->in_rpc = false;
		vtee_req_rpc_answer(&c->req);
	}
	return wait_slice(smc, s);
}

/* End a call with no guest to answer: what the back-end runs is waited for, its RPCs fail. */
static void end_call(struct vtee_vm *vm, struct vtee_call_slot *s)
{
	struct vtee_call *c = slot_call(s);
	if (s->submitted) {
		if (s->in_rpc) {
			c->req.rpc->ret = TEE_ERROR_COMMUNICATION;
			s->in_rpc = false;
			vtee_req_rpc_answer(&c->req);
		}
		wait_no_guest(&c->req);
		/* teardown: the guest is gone, but the TEE must not keep what it opened */
		complete(vm, s, NULL);
		return;
	}
	release(vm, s);
}

void vtee_call_abort(struct vtee_vm *vm, struct vtee_call *c)
{
	end_call(vm, call_slot(c));
}

void vtee_calls_end(struct vtee_vm *vm)
{
	const struct vtee_backend_ops *ops = vm->tee->ops;
	/* cancel them all first, then wait for each, so a queued call cannot wait out another one's long sleep */
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		struct vtee_call_slot *s = vm->calls[i];
		if (s && s->state != CALL_FREE && s->submitted)
			ops->cancel(vm->be, &slot_call(s)->req);
	}
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		struct vtee_call_slot *s = vm->calls[i];
		if (s && s->state != CALL_FREE)
			end_call(vm, s);
	}
}

void vtee_call_cancel(struct vtee_vm *vm, uint32_t session, uint32_t cancel_id)
{
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		struct vtee_call_slot *s = vm->calls[i];
		if (!s || s->state == CALL_FREE || !s->submitted)
			continue;
		struct vtee_call *c = slot_call(s);
		if (c->cancel_id != cancel_id)
			continue;
		if (c->req.op == VTEE_REQ_OPEN || (c->req.op == VTEE_REQ_INVOKE && c->session == session))
			vm->tee->ops->cancel(vm->be, &c->req);
	}
	pthread_mutex_unlock(&vm->lock);
}
