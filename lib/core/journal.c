// SPDX-License-Identifier: MIT
/*
 * The recovery journal (journal.h): layout, recording, and the restore that
 * a restarted mediator runs before its guest may call again.
 *
 * Layout (all little-endian host order; the journal never leaves the host):
 *
 *   header    64 B
 *   sessions  max_sessions x 24 B   {id (0 = free), handle, tag}
 *   buffers   max_shm x 48 B        {valid, first_off, cookie, size, npages, tag, first block}
 *   blocks    nblocks x 256 B       {31 guest page addresses, next block + 1}
 *
 * The restoring process trusts nothing in it: the process that wrote it may
 * have been compromised, so every index, count and address is checked again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "journal.h"

/* A stack of free entry indices above a high-water mark: nothing to initialise up front. */
struct jn_alloc {
	uint32_t hw, cap;     /* entries [0, hw) were handed out once */
	uint32_t *free;
	uint32_t nfree, free_cap;
};

struct vtee_journal {
	struct jn_hdr *hdr;
	struct jn_session *sess;
	struct jn_shm *shm;
	struct jn_block *blk;
	struct jn_alloc a_sess, a_shm, a_blk;
	bool pending; /* holds a previous incarnation's tables: no writes before restore */
};

static uint64_t nblocks_for(const struct vtee_quota *q)
{
	return (q->max_shm_pages + JN_GPAS - 1) / JN_GPAS + q->max_shm;
}

void vtee_journal_layout(const struct vtee_quota *q, uint64_t *o_sess, uint64_t *o_shm, uint64_t *o_blk,
			 uint64_t *total)
{
	*o_sess = sizeof(struct jn_hdr);
	*o_shm = *o_sess + (((uint64_t)q->max_sessions * sizeof(struct jn_session) + 63) & ~63ull);
	*o_blk = *o_shm + (uint64_t)q->max_shm * sizeof(struct jn_shm);
	*o_blk = (*o_blk + 255) & ~255ull;
	*total = *o_blk + nblocks_for(q) * sizeof(struct jn_block);
	*total = (*total + VTEE_PAGE_SIZE - 1) & ~(uint64_t)(VTEE_PAGE_SIZE - 1);
}

static struct vtee_quota effective(const struct vtee_quota *q)
{
	struct vtee_quota e = *q;
	e.max_calls = 0;
	if (!e.max_sessions || e.max_sessions > VTEE_LIMIT_MAX_SESSIONS)
		e.max_sessions = e.max_sessions ? VTEE_LIMIT_MAX_SESSIONS : VTEE_DEFAULT_MAX_SESSIONS;
	if (!e.max_shm || e.max_shm > VTEE_LIMIT_MAX_SHM)
		e.max_shm = e.max_shm ? VTEE_LIMIT_MAX_SHM : VTEE_DEFAULT_MAX_SHM;
	if (!e.max_shm_pages || e.max_shm_pages > VTEE_LIMIT_MAX_SHM_PAGES)
		e.max_shm_pages = e.max_shm_pages ? VTEE_LIMIT_MAX_SHM_PAGES : VTEE_DEFAULT_MAX_SHM_PAGES;
	return e;
}

size_t vtee_journal_size(const struct vtee_quota *quota)
{
	struct vtee_quota q = effective(quota ? quota : &(struct vtee_quota){ 0 });
	uint64_t a, b, c, total;
	vtee_journal_layout(&q, &a, &b, &c, &total);
	return (size_t)total;
}

/* ---- allocation of entries ---- */

/* 0, or -ENOSPC when every entry is taken. */
static int alloc_get(struct jn_alloc *a, uint32_t *idx)
{
	if (a->nfree) {
		*idx = a->free[--a->nfree];
		return 0;
	}
	if (a->hw == a->cap)
		return -ENOSPC;
	*idx = a->hw++;
	return 0;
}

static void alloc_put(struct jn_alloc *a, uint32_t idx)
{
	if (a->nfree == a->free_cap) {
		uint32_t ncap = a->free_cap ? a->free_cap * 2 : 64;
		uint32_t *n = realloc(a->free, ncap * sizeof(*n));
		if (!n)
			return; /* the entry is lost until the next restart; never corrupts */
		a->free = n;
		a->free_cap = ncap;
	}
	a->free[a->nfree++] = idx;
}

/* ---- attach ---- */

int vtee_journal_attach(struct vtee_vm *vm, void *mem, size_t size)
{
	if (!mem)
		return 0;
	struct vtee_quota q = vm->quota;
	uint64_t o_sess, o_shm, o_blk, total;
	vtee_journal_layout(&q, &o_sess, &o_shm, &o_blk, &total);
	if (size < total || ((uintptr_t)mem & 63))
		return -EINVAL;
	struct vtee_journal *jn = calloc(1, sizeof(*jn));
	if (!jn)
		return -ENOMEM;
	uint8_t *base = mem;
	jn->hdr = mem;
	jn->sess = (struct jn_session *)(base + o_sess);
	jn->shm = (struct jn_shm *)(base + o_shm);
	jn->blk = (struct jn_block *)(base + o_blk);
	jn->a_sess.cap = q.max_sessions;
	jn->a_shm.cap = q.max_shm;
	jn->a_blk.cap = (uint32_t)nblocks_for(&q);

	struct jn_hdr *h = jn->hdr;
	if (h->magic == 0) {
		/* new VM: format; the memory is zeroed, so every entry is free */
		*h = (struct jn_hdr){ .version = JN_VERSION, .vm_id = vm->id,
				      .max_sessions = q.max_sessions, .max_shm = q.max_shm,
				      .max_shm_pages = q.max_shm_pages, .nblocks = jn->a_blk.cap,
				      .next_session_id = 1, .size = total };
		atomic_thread_fence(memory_order_release);
		h->magic = JN_MAGIC;
	} else {
		jn->pending = true; /* checked by vtee_vm_restore */
	}
	vm->jn = jn;
	return 0;
}

void vtee_journal_detach(struct vtee_vm *vm)
{
	struct vtee_journal *jn = vm->jn;
	if (!jn)
		return;
	free(jn->a_sess.free);
	free(jn->a_shm.free);
	free(jn->a_blk.free);
	free(jn);
	vm->jn = NULL;
}

static bool live(const struct vtee_vm *vm)
{
	return vm->jn && !vm->jn->pending;
}

/* ---- sessions ---- */

int vtee_journal_session_add(struct vtee_vm *vm, struct vtee_session *s, uint64_t tag)
{
	const struct vtee_backend_ops *ops = vm->tee->ops;
	if (!live(vm) || !ops->session_export)
		return 0; /* nothing outlives this process: nothing to record */
	struct vtee_journal *jn = vm->jn;
	uint32_t i;
	uint64_t handle = ops->session_export(vm->be, s->be);
	if (!handle)
		return -EINVAL;
	if (alloc_get(&jn->a_sess, &i))
		return -ENOSPC;
	struct jn_session *e = &jn->sess[i];
	e->handle = handle;
	e->tag = tag;
	atomic_store_explicit(&e->id, s->id, memory_order_release);
	s->jslot = i + 1;
	return 0;
}

void vtee_journal_session_del(struct vtee_vm *vm, struct vtee_session *s)
{
	if (!live(vm) || !s->jslot)
		return;
	uint32_t i = s->jslot - 1;
	atomic_store_explicit(&vm->jn->sess[i].id, 0, memory_order_release);
	alloc_put(&vm->jn->a_sess, i);
	s->jslot = 0;
}

void vtee_journal_next_session_id(struct vtee_vm *vm)
{
	if (live(vm))
		vm->jn->hdr->next_session_id = vm->next_session_id;
}

/* ---- shared memory ---- */

static const struct vtee_ram *ram_of(const struct vtee_vm *vm, const uint8_t *hva)
{
	return vtee_ram_of_hva(vm, hva);
}

static void free_chain(struct vtee_journal *jn, uint32_t first, uint64_t max_blocks)
{
	for (uint32_t b = first; b && max_blocks--; ) {
		uint32_t i = b - 1;
		if (i >= jn->a_blk.cap)
			return;
		b = jn->blk[i].next;
		alloc_put(&jn->a_blk, i);
	}
}

int vtee_journal_shm_add(struct vtee_vm *vm, struct vtee_shm *shm, uint64_t tag)
{
	if (!live(vm))
		return 0;
	struct vtee_journal *jn = vm->jn;
	uint32_t si, first = 0, prev = 0;

	if (alloc_get(&jn->a_shm, &si))
		return -ENOSPC;
	for (size_t p = 0; p < shm->npages; p += JN_GPAS) {
		uint32_t bi;
		if (alloc_get(&jn->a_blk, &bi)) {
			free_chain(jn, first, UINT64_MAX);
			alloc_put(&jn->a_shm, si);
			return -ENOSPC;
		}
		struct jn_block *b = &jn->blk[bi];
		size_t n = shm->npages - p < JN_GPAS ? shm->npages - p : JN_GPAS;
		for (size_t k = 0; k < n; k++) {
			const struct vtee_ram *r = ram_of(vm, shm->pages[p + k]);
			b->gpa[k] = r ? r->gpa + (uint64_t)(shm->pages[p + k] - r->hva) : UINT64_MAX;
		}
		b->next = 0;
		if (prev)
			jn->blk[prev - 1].next = bi + 1;
		else
			first = bi + 1;
		prev = bi + 1;
	}
	struct jn_shm *e = &jn->shm[si];
	e->first_off = shm->first_off;
	e->cookie = shm->cookie;
	e->size = shm->size;
	e->npages = shm->npages;
	e->tag = tag;
	e->first_block = first;
	atomic_store_explicit(&e->valid, 1, memory_order_release);
	shm->jslot = si + 1;
	return 0;
}

void vtee_journal_shm_del(struct vtee_vm *vm, struct vtee_shm *shm)
{
	if (!live(vm) || !shm->jslot)
		return;
	struct vtee_journal *jn = vm->jn;
	uint32_t si = shm->jslot - 1;
	struct jn_shm *e = &jn->shm[si];
	atomic_store_explicit(&e->valid, 0, memory_order_release);
	free_chain(jn, e->first_block, (shm->npages + JN_GPAS - 1) / JN_GPAS);
	alloc_put(&jn->a_shm, si);
	shm->jslot = 0;
}

/* ---- restore ---- */

/* Rebuild a buffer from entry e: -EBADMSG if anything in it is not a page of this VM, -EDQUOT, -ENOMEM. */
static int restore_shm(struct vtee_vm *vm, const struct jn_shm *e, uint8_t *used, struct vtee_shm **out)
{
	struct vtee_journal *jn = vm->jn;
	struct vtee_shm *shm;
	if (e->first_off >= VTEE_PAGE_SIZE || e->size == 0 || e->size > (VTEE_LIMIT_MAX_SHM_PAGES << VTEE_PAGE_SHIFT) ||
	    e->npages != (e->size + e->first_off + VTEE_PAGE_SIZE - 1) / VTEE_PAGE_SIZE)
		return -EBADMSG;
	int r = vtee_shm_new(vm, e->size, e->first_off, &shm);
	if (r)
		return r;
	uint32_t b = e->first_block;
	for (size_t p = 0; p < shm->npages; p += JN_GPAS) {
		/* a chain must stay inside the table and never revisit a block (no cycles) */
		if (!b || b - 1 >= jn->a_blk.cap || used[b - 1])
			goto bad;
		used[b - 1] = 1;
		const struct jn_block *blk = &jn->blk[b - 1];
		size_t n = shm->npages - p < JN_GPAS ? shm->npages - p : JN_GPAS;
		for (size_t k = 0; k < n; k++)
			if (vtee_shm_set_page(shm, p + k, blk->gpa[k]))
				goto bad;
		b = blk->next;
	}
	if (b)
		goto bad;
	shm->cookie = e->cookie;
	*out = shm;
	return 0;
bad:
	/* blocks marked so far stay marked: they belong to a bad entry we drop */
	vtee_shm_free(shm);
	return -EBADMSG;
}

static bool undelivered(uint64_t tag, bool (*delivered)(void *, uint64_t), void *ctx)
{
	return tag && delivered && !delivered(ctx, tag);
}

/* Which blocks the surviving buffers use: the rest go back to the allocator. */
static int rebuild_blocks(struct vtee_journal *jn, const uint8_t *used)
{
	uint32_t top = 0;
	for (uint32_t i = 0; i < jn->a_blk.cap; i++)
		if (used[i])
			top = i + 1;
	jn->a_blk.hw = top;
	for (uint32_t i = top; i-- > 0;)
		if (!used[i])
			alloc_put(&jn->a_blk, i);
	return 0;
}

typedef bool (*delivered_fn)(void *ctx, uint64_t tag);

/* Take over session entry e (index i): 0, or -errno when it is dropped (the TEE closes it). */
static int take_session(struct vtee_vm *vm, struct jn_session *e, uint32_t i, uint32_t id, delivered_fn delivered,
			void *ctx)
{
	const struct vtee_backend_ops *ops = vm->tee->ops;
	void *be = NULL;
	struct vtee_session *s = NULL;
	/* back-end calls run without vm->lock, as everywhere in the core */
	if (!undelivered(e->tag, delivered, ctx) && ops->session_import)
		be = ops->session_import(vm->be, e->handle);
	if (!be)
		return -ENOENT; /* rolled back or lost: the TEE side goes at vm_restored (not imported) */
	if ((s = calloc(1, sizeof(*s)))) {
		*s = (struct vtee_session){ .id = id, .be = be, .refs = 1, .jslot = i + 1 };
		pthread_mutex_lock(&vm->lock);
		bool ok = vm->sessions.count < vm->quota.max_sessions && !idmap_get(&vm->sessions, id) &&
			  !idmap_put(&vm->sessions, id, s);
		pthread_mutex_unlock(&vm->lock);
		if (ok)
			return 0;
		free(s);
	}
	/* imported but not insertable (duplicate id, no memory): close it in the TEE */
	struct vtee_req req = { .op = VTEE_REQ_CLOSE, .session = be };
	vtee_req_run_sync(vm, &req);
	return -EEXIST;
}

/* Sessions: take over the ones the guest knows of; the TEE closes the rest. Returns how many. */
static int restore_sessions(struct vtee_vm *vm, delivered_fn delivered, void *ctx)
{
	struct vtee_journal *jn = vm->jn;
	uint32_t top = 0;
	int restored = 0;
	for (uint32_t i = 0; i < jn->a_sess.cap; i++) {
		struct jn_session *e = &jn->sess[i];
		uint32_t id = atomic_load_explicit(&e->id, memory_order_acquire);
		if (!id)
			continue;
		if (take_session(vm, e, i, id, delivered, ctx)) {
			atomic_store_explicit(&e->id, 0, memory_order_release);
			continue;
		}
		e->tag = 0;
		top = i + 1;
		restored++;
	}
	pthread_mutex_lock(&vm->lock);
	jn->a_sess.hw = top;
	for (uint32_t i = top; i-- > 0;)
		if (!atomic_load_explicit(&jn->sess[i].id, memory_order_relaxed))
			alloc_put(&jn->a_sess, i);
	pthread_mutex_unlock(&vm->lock);
	return restored;
}

/* Rebuild buffer entry e (index i) and register it again: 0, or -errno when it is dropped. */
static int take_buffer(struct vtee_vm *vm, const struct jn_shm *e, uint32_t i, uint8_t *used, delivered_fn delivered,
		       void *ctx)
{
	const struct vtee_backend_ops *ops = vm->tee->ops;
	struct vtee_shm *shm;
	if (undelivered(e->tag, delivered, ctx))
		return -ENOENT;
	int r = restore_shm(vm, e, used, &shm);
	if (r)
		return r;
	pthread_mutex_lock(&vm->lock);
	bool ok = !idmap_get(&vm->shms, shm->cookie) && vm->shms.count < vm->quota.max_shm &&
		  !idmap_put(&vm->shms, shm->cookie, shm);
	if (ok) {
		shm->registered = true;
		shm->jslot = i + 1;
	}
	pthread_mutex_unlock(&vm->lock);
	if (ok && ops->shm_register && ops->shm_register(vm->be, shm)) {
		pthread_mutex_lock(&vm->lock);
		idmap_del(&vm->shms, shm->cookie);
		shm->registered = false;
		pthread_mutex_unlock(&vm->lock);
		ok = false;
	}
	if (!ok)
		vtee_shm_free(shm);
	return ok ? 0 : -EEXIST;
}

/* The blocks the surviving buffers use (those of dropped ones may be marked): the rest are free. */
static void recount_blocks(struct vtee_journal *jn, uint32_t top, uint8_t *used)
{
	memset(used, 0, jn->a_blk.cap);
	for (uint32_t i = 0; i < top; i++) {
		const struct jn_shm *e = &jn->shm[i];
		if (!atomic_load_explicit(&e->valid, memory_order_relaxed))
			continue;
		uint32_t b = e->first_block;
		for (uint64_t n = (e->npages + JN_GPAS - 1) / JN_GPAS; n-- && b && b - 1 < jn->a_blk.cap;
		     b = jn->blk[b - 1].next)
			used[b - 1] = 1;
	}
	rebuild_blocks(jn, used);
}

/* Buffers: rebuilt page by page, each address checked against this VM's RAM. Returns how many. */
static int restore_buffers(struct vtee_vm *vm, uint8_t *used, delivered_fn delivered, void *ctx)
{
	struct vtee_journal *jn = vm->jn;
	uint32_t top = 0;
	int restored = 0;
	for (uint32_t i = 0; i < jn->a_shm.cap; i++) {
		struct jn_shm *e = &jn->shm[i];
		if (!atomic_load_explicit(&e->valid, memory_order_acquire))
			continue;
		if (take_buffer(vm, e, i, used, delivered, ctx)) {
			atomic_store_explicit(&e->valid, 0, memory_order_release);
			continue;
		}
		e->tag = 0;
		top = i + 1;
		restored++;
	}
	pthread_mutex_lock(&vm->lock);
	jn->a_shm.hw = top;
	for (uint32_t i = top; i-- > 0;)
		if (!atomic_load_explicit(&jn->shm[i].valid, memory_order_relaxed))
			alloc_put(&jn->a_shm, i);
	recount_blocks(jn, top, used);
	pthread_mutex_unlock(&vm->lock);
	return restored;
}

int vtee_journal_restore(struct vtee_vm *vm, bool (*delivered)(void *ctx, uint64_t tag), void *ctx)
{
	struct vtee_journal *jn = vm->jn;
	const struct vtee_backend_ops *ops = vm->tee->ops;
	if (!jn)
		return -ENOENT;
	if (!jn->pending)
		return 0; /* freshly formatted: nothing to take over */
	struct jn_hdr *h = jn->hdr;
	if (h->magic != JN_MAGIC || h->version != JN_VERSION || h->vm_id != vm->id ||
	    h->max_sessions != vm->quota.max_sessions || h->max_shm != vm->quota.max_shm ||
	    h->max_shm_pages != vm->quota.max_shm_pages || h->nblocks != jn->a_blk.cap)
		return -EBADMSG;

	uint8_t *used = calloc(jn->a_blk.cap ? jn->a_blk.cap : 1, 1);
	if (!used)
		return -ENOMEM;

	/* the guest is not running yet: only this thread touches the VM, but the lock keeps the rules */
	pthread_mutex_lock(&vm->lock);
	vm->next_session_id = h->next_session_id ? h->next_session_id : 1;
	jn->pending = false;
	pthread_mutex_unlock(&vm->lock);

	int restored = restore_sessions(vm, delivered, ctx);
	restored += restore_buffers(vm, used, delivered, ctx);
	free(used);
	pthread_mutex_lock(&vm->lock);
	h->restores++;
	pthread_mutex_unlock(&vm->lock);

	if (ops->vm_restored)
		ops->vm_restored(vm->be);
	return restored;
}
