// SPDX-License-Identifier: MIT
/*
 * Yielding calls in flight. Each call occupies one slot ("TEE thread") from
 * submission until its result has been written back to the guest. A vCPU
 * waits at most one time slice for the back-end; if the call is still running
 * the slot is left SUSPENDED and the front-end tells the guest to come back
 * later (OP-TEE: RPC FOREIGN_INTR, resumed by RETURN_FROM_RPC with the index).
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct vtee_call *vtee_call_get(struct vtee_vm *vm, bool *nomem)
{
	struct vtee_call *c = NULL;

	*nomem = false;
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		if (!vm->calls[i]) {
			/* slots are allocated on first use: an idle VM holds none */
			vm->calls[i] = calloc(1, vm->fe->call_size);
			if (!vm->calls[i]) {
				*nomem = true; /* not a thread limit: nothing may be in flight */
				break;
			}
		}
		if (vm->calls[i]->state == CALL_FREE) {
			c = vm->calls[i];
			memset(c, 0, vm->fe->call_size);
			c->index = i | vm->thread_tag;
			c->state = CALL_RUNNING;
			c->req.client.vm_id = vm->id;
			vm->calls_busy++;
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return c;
}

bool vtee_call_reserve_session(struct vtee_vm *vm, struct vtee_call *call)
{
	bool ok;
	pthread_mutex_lock(&vm->lock);
	ok = vm->sessions.count + vm->sessions_reserved < vm->quota.max_sessions;
	if (ok)
		vm->sessions_reserved++;
	pthread_mutex_unlock(&vm->lock);
	call->session_reserved = ok;
	if (!ok)
		vtee_count(&vm->st_quota);
	return ok;
}

void vtee_call_hold_shm(struct vtee_call *call, struct vtee_shm *shm)
{
	call->shm[call->nshm++] = shm;
}

static void release(struct vtee_vm *vm, struct vtee_call *c)
{
	pthread_mutex_lock(&vm->lock);
	if (c->session)
		vtee_session_put_locked(vm, c->session);
	for (uint32_t i = 0; i < c->nshm; i++)
		vtee_shm_put_locked(c->shm[i]);
	if (c->session_reserved)
		vm->sessions_reserved--;
	c->session = NULL;
	c->nshm = 0;
	c->session_reserved = false;
	c->submitted = false;
	c->state = CALL_FREE;
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

/* An OPEN that succeeded in the TEE becomes a guest-visible session. */
static void adopt_session(struct vtee_vm *vm, struct vtee_call *c)
{
	struct vtee_session *s = calloc(1, sizeof(*s));
	int r = -1;

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
		if (!r && !vtee_journal_session_add(vm, s)) {
			idmap_del(&vm->sessions, s->id);
			r = -1;
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
	c->session_id = id;
}

/* A CLOSE the back-end refused leaves the session open: the guest may try again. */
static void restore_session(struct vtee_vm *vm, struct vtee_call *c)
{
	pthread_mutex_lock(&vm->lock);
	if (!idmap_put(&vm->sessions, c->session->id, c->session)) {
		c->session->refs++; /* the table's reference again */
		if (!vtee_journal_session_add(vm, c->session))
			c->session->jslot = 0; /* journal full: lives on, lost on a restart */
	}
	pthread_mutex_unlock(&vm->lock);
}

static void complete(struct vtee_vm *vm, struct vtee_call *c, bool to_guest)
{
	if (c->req.op == VTEE_REQ_OPEN && c->req.ret == TEE_SUCCESS)
		adopt_session(vm, c);
	if (c->req.op == VTEE_REQ_CLOSE && c->req.ret != TEE_SUCCESS && c->session)
		restore_session(vm, c);
	if (to_guest)
		vm->fe->finish(vm, c);
	release(vm, c);
}

static enum vtee_call_status suspend(struct vtee_vm *vm, struct vtee_call *c)
{
	/* read before unlocking: once SUSPENDED another vCPU may resume the slot */
	enum vtee_call_status st = c->in_rpc ? VTEE_CALL_RPC : VTEE_CALL_YIELD;
	pthread_mutex_lock(&vm->lock);
	c->state = CALL_SUSPENDED;
	pthread_mutex_unlock(&vm->lock);
	return st;
}

static enum vtee_call_status wait_slice(struct vtee_vm *vm, struct vtee_call *c, uint64_t regs[8])
{
	switch (vtee_req_wait_event(&c->req, vm->slice_us)) {
	case VTEE_WAIT_DONE:
		complete(vm, c, true);
		return VTEE_CALL_DONE;
	case VTEE_WAIT_RPC:
		c->in_rpc = true;
		vm->fe->rpc_start(vm, c, regs);
		return suspend(vm, c);
	case VTEE_WAIT_TIMEOUT:
	default:
		vtee_count(&vm->st_intr);
		return suspend(vm, c);
	}
}

enum vtee_call_status vtee_call_start(struct vtee_vm *vm, struct vtee_call *c, uint64_t regs[8])
{
	c->req.client.vm_id = vm->id; /* whatever the front-end did, identity is ours */
	vtee_req_arm(&c->req);
	pthread_mutex_lock(&vm->lock); /* from here CANCEL may reach it */
	c->submitted = true;
	pthread_mutex_unlock(&vm->lock);
	vm->tee->ops->submit(vm->be, &c->req);
	return wait_slice(vm, c, regs);
}

enum vtee_call_status vtee_call_resume(struct vtee_vm *vm, uint32_t index, uint64_t regs[8])
{
	struct vtee_call *c = NULL;

	uint32_t i = index & VTEE_THREAD_SLOT_MASK;
	pthread_mutex_lock(&vm->lock);
	if ((index & ~VTEE_THREAD_SLOT_MASK) == vm->thread_tag && i < vm->quota.max_calls && vm->calls[i] &&
	    vm->calls[i]->state == CALL_SUSPENDED) {
		c = vm->calls[i];
		c->state = CALL_RUNNING; /* a second vCPU resuming the same index is refused */
	}
	pthread_mutex_unlock(&vm->lock);
	if (!c)
		return VTEE_CALL_BAD;
	if (c->in_rpc) {
		if (!vm->fe->rpc_resume(vm, c, regs))
			return suspend(vm, c);
		c->in_rpc = false;
		vtee_req_rpc_answer(&c->req);
	}
	return wait_slice(vm, c, regs);
}

void vtee_call_abort(struct vtee_vm *vm, struct vtee_call *c)
{
	if (c->submitted) {
		if (c->in_rpc) {
			c->req.rpc->ret = TEE_ERROR_COMMUNICATION;
			c->in_rpc = false;
			vtee_req_rpc_answer(&c->req);
		}
		wait_no_guest(&c->req);
		/* teardown: the guest is gone, but the TEE must not keep what it opened */
		complete(vm, c, false);
		return;
	}
	release(vm, c);
}

void vtee_call_cancel(struct vtee_vm *vm, uint32_t session_id, uint32_t cancel_id)
{
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->quota.max_calls; i++) {
		struct vtee_call *c = vm->calls[i];
		if (!c || c->state == CALL_FREE || !c->submitted || c->cancel_id != cancel_id)
			continue;
		if (c->req.op == VTEE_REQ_OPEN || (c->req.op == VTEE_REQ_INVOKE && c->session_id == session_id))
			vm->tee->ops->cancel(vm->be, &c->req);
	}
	pthread_mutex_unlock(&vm->lock);
}
