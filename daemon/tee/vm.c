// SPDX-License-Identifier: MIT
/* vtee-tee's VMs: the table by vm_id, each VM's sessions, and their end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee.h"

void vm_put(struct tvm *v)
{
	pthread_mutex_lock(&srv.lock);
	bool last = --v->refs == 0;
	pthread_mutex_unlock(&srv.lock);
	if (!last)
		return;
	idmap_free(&v->sess);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

struct tvm *vm_find(uint32_t vm_id)
{
	for (struct tvm *v = srv.vms; v; v = v->next)
		if (v->vm_id == vm_id)
			return v;
	return NULL;
}

void vm_unlink(struct tvm *v)
{
	for (struct tvm **pp = &srv.vms; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	v->in_table = false;
	v->next = NULL;
}

/* A new VM from the back-end, not in the table yet. The back-end's -errno if it refused. */
int vm_create(uint32_t vm_id, const char *name, struct tvm **out)
{
	struct tvm *v = calloc(1, sizeof(*v));
	void *be = NULL;
	int e = v ? srv.ops->vm_created(srv.be, vm_id, name, &be) : -ENOMEM;
	if (!e) {
		/* a VM meant to have storage never runs without it: its TAs would see none */
		e = storage_give(vm_id, name, be);
		if (e) {
			tee_log(name, "vm %u: its storage cannot be opened: %s", vm_id, strerror(-e));
			srv.ops->vm_destroyed(be);
		}
	}
	if (e) {
		free(v);
		return e;
	}
	v->vm_id = vm_id;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->be = be;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	*out = v;
	return 0;
}

/*
 * Into the table, referenced by it and the caller; or -EBUSY (v destroyed) if
 * another connection made the same VM at the same instant, or exiting.
 */
int vm_insert(struct tvm *v)
{
	pthread_mutex_lock(&srv.lock);
	bool clash = srv.exiting || vm_find(v->vm_id);
	if (!clash) {
		v->refs = 2;
		v->in_table = true;
		v->next = srv.vms;
		srv.vms = v;
	}
	pthread_mutex_unlock(&srv.lock);
	if (!clash)
		return 0;
	v->refs = 1;
	vm_destroy(v);
	return -EBUSY;
}

int vm_use_begin(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	bool dying = v->dying;
	if (!dying)
		v->busy++;
	pthread_mutex_unlock(&v->lock);
	return dying ? -ESHUTDOWN : 0;
}

void vm_use_end(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	v->busy--;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void close_sync(struct tvm *v, void *be_sess)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = be_sess, .client = { .vm_id = v->vm_id } };
	vtee_req_arm(&r);
	srv.ops->submit(v->be, &r);
	while (vtee_req_wait_event(&r, UINT64_MAX) == VTEE_WAIT_RPC) {
		r.rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(&r);
	}
}

/*
 * Cancel what runs, fail its RPCs, wait until nothing uses the back-end,
 * close the sessions, tell the back-end.
 */
uint32_t vm_destroy(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	v->dying = true;
	for (struct job *j = v->jobs; j; j = j->vnext) {
		j->cancel_pending = true;
		if (j->submitted)
			srv.ops->cancel(v->be, &j->req);
	}
	pthread_cond_broadcast(&v->cond);
	while (v->busy)
		pthread_cond_wait(&v->cond, &v->lock);
	v->owner = NULL;
	pthread_mutex_unlock(&v->lock);

	/* nothing else touches v->sess or v->be from here */
	uint32_t closed = 0;
	size_t pos = 0;
	uint64_t key;
	struct tsess *s;
	while ((s = idmap_next(&v->sess, &pos, &key))) {
		close_sync(v, s->be);
		free(s);
		closed++;
	}
	idmap_free(&v->sess);
	srv.ops->vm_destroyed(v->be);
	v->be = NULL;
	vm_put(v);
	return closed;
}

uint32_t vm_remove(struct tvm *v)
{
	pthread_mutex_lock(&srv.lock);
	bool mine = v->in_table;
	if (mine)
		vm_unlink(v);
	pthread_mutex_unlock(&srv.lock);
	return mine ? vm_destroy(v) : 0;
}

/* RESTORED: close every session the current mediator neither opened nor imported. The sessions closed. */
uint32_t vm_close_orphans(struct tvm *v, uint64_t gen)
{
	uint32_t closed = 0;
	for (;;) {
		size_t pos = 0;
		uint64_t key;
		struct tsess *s, *take = NULL;
		pthread_mutex_lock(&v->lock);
		while (!take && (s = idmap_next(&v->sess, &pos, &key)))
			if (s->gen != gen)
				take = s;
		if (take)
			idmap_del(&v->sess, key);
		pthread_mutex_unlock(&v->lock);
		if (!take)
			return closed;
		close_sync(v, take->be);
		free(take);
		closed++;
	}
}
