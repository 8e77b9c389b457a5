// SPDX-License-Identifier: MIT
/* A VM's life: creation, RAM regions, sessions, statistics, teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static uint64_t pick(uint64_t v, uint64_t def, uint64_t max)
{
	if (!v)
		return def;
	return v > max ? max : v;
}

/* Each registered front-end's per-VM state; the largest call struct sizes the VM's call slots. */
static int frontends_attach(struct vtee_vm *vm, const struct vtee_vm_config *cfg)
{
	const struct vtee_frontend_ops *fe;
	size_t pos = 0;
	for (size_t i = 0; (fe = vtee_frontend_next(&pos)); i++) {
		if (i == VTEE_MAX_FRONTENDS)
			return -E2BIG;
		if (fe->call_size > vm->call_size)
			vm->call_size = fe->call_size;
		int r = fe->vm_created ? fe->vm_created(vm, cfg, &vm->fe_state[i]) : 0;
		if (r)
			return r < 0 ? r : -EIO;
	}
	return 0;
}

static void frontends_detach(struct vtee_vm *vm)
{
	const struct vtee_frontend_ops *fe;
	size_t pos = 0;
	for (size_t i = 0; i < VTEE_MAX_FRONTENDS && (fe = vtee_frontend_next(&pos)); i++) {
		if (vm->fe_state[i] && fe->vm_destroyed)
			fe->vm_destroyed(vm, vm->fe_state[i]);
		vm->fe_state[i] = NULL;
	}
}

static void vm_free(struct vtee_vm *vm)
{
	frontends_detach(vm);
	if (vm->calls)
		for (uint32_t i = 0; i < vm->quota.max_calls; i++)
			free(vm->calls[i]);
	free(vm->calls);
	idmap_free(&vm->sessions);
	idmap_free(&vm->shms);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static void vm_configure(struct vtee_vm *vm, const struct vtee_vm_config *cfg)
{
	vm->id = cfg->vm_id;
	snprintf(vm->name, sizeof(vm->name), "%s", cfg->name ? cfg->name : "vm");
	vm->quota.max_calls = (uint32_t)pick(cfg->quota.max_calls, VTEE_DEFAULT_MAX_CALLS, VTEE_LIMIT_MAX_CALLS);
	vm->quota.max_sessions = (uint32_t)pick(cfg->quota.max_sessions, VTEE_DEFAULT_MAX_SESSIONS,
						VTEE_LIMIT_MAX_SESSIONS);
	vm->quota.max_shm = (uint32_t)pick(cfg->quota.max_shm, VTEE_DEFAULT_MAX_SHM, VTEE_LIMIT_MAX_SHM);
	vm->quota.max_shm_pages = pick(cfg->quota.max_shm_pages, VTEE_DEFAULT_MAX_SHM_PAGES,
				       VTEE_LIMIT_MAX_SHM_PAGES);
	vm->slice_us = cfg->slice_us ? cfg->slice_us : VTEE_DEFAULT_SLICE_US;
	vm->ta_allowed = cfg->ta_allowed;
	vm->policy_ctx = cfg->policy_ctx;
	for (int i = 0; i < VTEE_LOGIN_CLASSES; i++)
		vm->logins[i] = cfg->logins[i] <= VTEE_LOGIN_DENY ? cfg->logins[i] : VTEE_LOGIN_DENY;
	vm->next_session_id = 1;
	/* epoch 0 keeps the plain slot numbers older guests and tests expect */
	vm->thread_tag = (cfg->epoch & (UINT32_MAX >> VTEE_THREAD_SLOT_BITS)) << VTEE_THREAD_SLOT_BITS;
}

int vtee_vm_create(struct vtee_tee *tee, const struct vtee_vm_config *cfg, struct vtee_vm **out)
{
	if (!tee || !cfg || !out || cfg->vm_id == 0)
		return -EINVAL;
	struct vtee_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->tee = tee;
	vm_configure(vm, cfg);
	pthread_mutex_init(&vm->lock, NULL);

	vm->calls = calloc(vm->quota.max_calls, sizeof(*vm->calls));
	int r = vm->calls ? frontends_attach(vm, cfg) : -ENOMEM;
	if (r) {
		vm_free(vm);
		return r;
	}
	/* one identity, one VM: the back-end keys everything by vm_id */
	pthread_mutex_lock(&tee->lock);
	r = idmap_put(&tee->vm_ids, vm->id, vm);
	pthread_mutex_unlock(&tee->lock);
	if (!r)
		r = vtee_journal_attach(vm, cfg->journal, cfg->journal_size);
	if (!r) {
		r = tee->ops->vm_created(tee->priv, vm->id, vm->name, &vm->be);
		if (r) {
			r = r < 0 ? r : -EIO;
			vtee_journal_detach(vm);
		}
	}
	if (r) {
		pthread_mutex_lock(&tee->lock);
		if (idmap_get(&tee->vm_ids, vm->id) == vm)
			idmap_del(&tee->vm_ids, vm->id);
		pthread_mutex_unlock(&tee->lock);
		vm_free(vm);
		return r;
	}
	*out = vm;
	return 0;
}

int vtee_vm_add_ram(struct vtee_vm *vm, uint64_t gpa, uint64_t size, void *hva, int fd, uint64_t fd_offset)
{
	const uint64_t mask = VTEE_PAGE_SIZE - 1;
	if (!vm || !hva || !size || ((gpa | size | (uintptr_t)hva | fd_offset) & mask) ||
	    gpa + size < gpa)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	int r = 0;
	if (vm->nram == VTEE_MAX_RAM_REGIONS)
		r = -ENOSPC;
	for (unsigned i = 0; i < vm->nram && !r; i++) {
		const struct vtee_ram *o = &vm->ram[i];
		if (gpa < o->gpa + o->size && o->gpa < gpa + size)
			r = -EEXIST;
	}
	if (!r)
		vm->ram[vm->nram++] = (struct vtee_ram){ gpa, size, hva, fd, fd_offset };
	pthread_mutex_unlock(&vm->lock);
	return r;
}

uint32_t vtee_vm_id(const struct vtee_vm *vm)
{
	return vm->id;
}

const char *vtee_vm_name(const struct vtee_vm *vm)
{
	return vm->name;
}

uint32_t vtee_vm_max_calls(const struct vtee_vm *vm)
{
	return vm->quota.max_calls;
}

void vtee_vm_count_bad(struct vtee_vm *vm)
{
	vtee_count(&vm->st_bad);
}

void *vtee_vm_frontend_state(const struct vtee_vm *vm, const struct vtee_frontend_ops *fe)
{
	const struct vtee_frontend_ops *f;
	size_t pos = 0;
	for (size_t i = 0; i < VTEE_MAX_FRONTENDS && (f = vtee_frontend_next(&pos)); i++)
		if (f == fe)
			return vm->fe_state[i];
	return NULL;
}

void vtee_vm_get_stats(struct vtee_vm *vm, struct vtee_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&vm->lock);
	st->sessions = (uint32_t)vm->sessions.count;
	st->shm_buffers = (uint32_t)vm->shms.count;
	st->shm_pages = vm->shm_pages;
	st->calls = vm->calls_busy;
	pthread_mutex_unlock(&vm->lock);
	st->smc_count = atomic_load(&vm->st_smc);
	st->quota_denials = atomic_load(&vm->st_quota);
	st->bad_requests = atomic_load(&vm->st_bad);
	st->foreign_intr = atomic_load(&vm->st_intr);
	long n = vm->tee->ops->vm_session_count ? vm->tee->ops->vm_session_count(vm->be) : -1;
	st->tee_sessions = n < 0 ? -1 : n;
	st->access_denials = atomic_load(&vm->st_denied);
	st->storage_status = vm->tee->ops->vm_storage_stats ? vm->tee->ops->vm_storage_stats(vm->be, &st->storage)
							    : -EOPNOTSUPP;
	if (st->storage_status)
		memset(&st->storage, 0, sizeof(st->storage));
}

/* ---- sessions ---- */

struct vtee_session *vtee_session_get(struct vtee_vm *vm, uint32_t id)
{
	pthread_mutex_lock(&vm->lock);
	struct vtee_session *s = idmap_get(&vm->sessions, id);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&vm->lock);
	return s;
}

void vtee_session_put_locked(struct vtee_vm *vm, struct vtee_session *s)
{
	(void)vm;
	if (--s->refs == 0)
		free(s);
}

struct vtee_session *vtee_session_take(struct vtee_vm *vm, uint32_t id)
{
	pthread_mutex_lock(&vm->lock);
	struct vtee_session *s = idmap_del(&vm->sessions, id);
	if (s)
		vtee_journal_session_del(vm, s);
	pthread_mutex_unlock(&vm->lock);
	return s;
}

/* Close one back-end session synchronously (teardown only: no vCPU is waiting). */
static void close_backend_session(struct vtee_vm *vm, void *be)
{
	struct vtee_req req = { .op = VTEE_REQ_CLOSE, .session = be };
	vtee_req_run_sync(vm, &req);
}

void vtee_vm_destroy(struct vtee_vm *vm)
{
	if (!vm)
		return;
	const struct vtee_backend_ops *ops = vm->tee->ops;

	/* 1. Calls the guest left suspended. */
	vtee_calls_end(vm);
	/* 2. Sessions still open. */
	struct vtee_session *s;
	size_t pos;
	while ((pos = 0, s = idmap_next(&vm->sessions, &pos, NULL))) {
		idmap_del(&vm->sessions, s->id);
		vtee_journal_session_del(vm, s);
		close_backend_session(vm, s->be);
		free(s);
	}
	/* 3. Registered shared memory. */
	struct vtee_shm *shm;
	while ((pos = 0, shm = idmap_next(&vm->shms, &pos, NULL))) {
		idmap_del(&vm->shms, shm->cookie);
		vtee_journal_shm_del(vm, shm);
		shm->registered = false;
		if (ops->shm_unregister)
			ops->shm_unregister(vm->be, shm);
		vtee_shm_put(shm);
	}
	/* 4. Tell the back-end, forget the identity. */
	ops->vm_destroyed(vm->be);
	pthread_mutex_lock(&vm->tee->lock);
	idmap_del(&vm->tee->vm_ids, vm->id);
	pthread_mutex_unlock(&vm->tee->lock);
	vtee_journal_detach(vm);
	vm_free(vm);
}

int vtee_vm_restore(struct vtee_vm *vm, bool (*delivered)(void *ctx, uint64_t tag), void *ctx)
{
	if (!vm)
		return -EINVAL;
	return vtee_journal_restore(vm, delivered, ctx);
}
