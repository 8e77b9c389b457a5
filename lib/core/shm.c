// SPDX-License-Identifier: MIT
/*
 * Guest shared memory: a buffer is a list of 4 KiB guest pages resolved to
 * host addresses once, when the guest hands it over. Registration never
 * copies data; back-ends read and write through the accessors below or map
 * the pages themselves.
 *
 * Lifetime: the cookie table holds one reference, each call using the buffer
 * another. UNREGISTER of a buffer a call still uses is refused (BUSY), as
 * OP-TEE does, so the guest cannot recycle pages under a running TA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static uint64_t pages_for(uint64_t size, uint32_t first_off)
{
	return (size + first_off + VTEE_PAGE_SIZE - 1) >> VTEE_PAGE_SHIFT;
}

int vtee_shm_new(struct vtee_vm *vm, uint64_t size, uint32_t first_off, struct vtee_shm **out)
{
	/* size is guest input: bound it before any arithmetic that could wrap */
	if (size == 0 || first_off >= VTEE_PAGE_SIZE)
		return -EINVAL;
	if (size > (VTEE_LIMIT_MAX_SHM_PAGES << VTEE_PAGE_SHIFT)) {
		vtee_count(&vm->st_quota);
		return -EDQUOT;
	}
	uint64_t n = pages_for(size, first_off);

	pthread_mutex_lock(&vm->lock);
	bool over = n > vm->quota.max_shm_pages - vm->shm_pages ||
		    vm->shm_pages > vm->quota.max_shm_pages;
	if (!over)
		vm->shm_pages += n;
	pthread_mutex_unlock(&vm->lock);
	if (over) {
		vtee_count(&vm->st_quota);
		return -EDQUOT;
	}

	struct vtee_shm *shm = calloc(1, sizeof(*shm));
	uint8_t **pages = shm ? malloc(n * sizeof(*pages)) : NULL;
	if (!pages) {
		free(shm);
		pthread_mutex_lock(&vm->lock);
		vm->shm_pages -= n;
		pthread_mutex_unlock(&vm->lock);
		return -ENOMEM;
	}
	shm->vm = vm;
	shm->size = size;
	shm->first_off = first_off;
	shm->npages = n;
	shm->pages = pages;
	shm->refs = 1;
	*out = shm;
	return 0;
}

int vtee_shm_set_page(struct vtee_shm *shm, size_t i, uint64_t gpa)
{
	if (i >= shm->npages || (gpa & (VTEE_PAGE_SIZE - 1)))
		return -EINVAL;
	uint8_t *p = vtee_gpa_to_hva(shm->vm, gpa, VTEE_PAGE_SIZE);
	if (!p)
		return -EINVAL;
	shm->pages[i] = p;
	return 0;
}

static void shm_destroy(struct vtee_shm *shm)
{
	struct vtee_vm *vm = shm->vm;
	vm->shm_pages -= shm->npages;
	free(shm->pages);
	free(shm);
}

void vtee_shm_free(struct vtee_shm *shm)
{
	struct vtee_vm *vm = shm->vm;
	pthread_mutex_lock(&vm->lock);
	shm_destroy(shm);
	pthread_mutex_unlock(&vm->lock);
}

int vtee_shm_register(struct vtee_smc *smc, struct vtee_shm *shm, uint64_t cookie)
{
	struct vtee_vm *vm = smc->vm;
	const struct vtee_backend_ops *ops = vm->tee->ops;
	int r = 0;

	/* The back-end learns of the buffer before any other vCPU can find it by cookie. */
	shm->cookie = cookie;
	if (ops->shm_register && ops->shm_register(vm->be, shm))
		return -ENOMEM;

	pthread_mutex_lock(&vm->lock);
	if (idmap_get(&vm->shms, cookie))
		r = -EEXIST; /* a cookie names one buffer */
	else if (vm->shms.count >= vm->quota.max_shm) {
		vtee_count(&vm->st_quota);
		r = -EDQUOT;
	} else if (idmap_put(&vm->shms, cookie, shm))
		r = -ENOMEM;
	else if (vtee_journal_shm_add(vm, shm, smc->tag)) {
		idmap_del(&vm->shms, cookie); /* a buffer a restart would lose is refused now */
		r = -ENOMEM;
	} else
		shm->registered = true;
	pthread_mutex_unlock(&vm->lock);

	if (r && ops->shm_unregister)
		ops->shm_unregister(vm->be, shm);
	return r;
}

int vtee_shm_unregister(struct vtee_smc *smc, uint64_t cookie)
{
	struct vtee_vm *vm = smc->vm;
	pthread_mutex_lock(&vm->lock);
	struct vtee_shm *shm = idmap_get(&vm->shms, cookie);
	if (!shm) {
		pthread_mutex_unlock(&vm->lock);
		return smc->replay ? 0 : -ENOENT; /* a replayed UNREGISTER the dead mediator already did */
	}
	if (shm->refs > 1) {
		pthread_mutex_unlock(&vm->lock);
		return -EBUSY;
	}
	idmap_del(&vm->shms, cookie);
	vtee_journal_shm_del(vm, shm);
	shm->registered = false;
	pthread_mutex_unlock(&vm->lock);

	if (vm->tee->ops->shm_unregister)
		vm->tee->ops->shm_unregister(vm->be, shm);
	vtee_shm_put(shm);
	return 0;
}

int vtee_shm_get(struct vtee_vm *vm, uint64_t cookie, struct vtee_shm **out)
{
	pthread_mutex_lock(&vm->lock);
	struct vtee_shm *shm = idmap_get(&vm->shms, cookie);
	if (shm)
		shm->refs++;
	pthread_mutex_unlock(&vm->lock);
	if (!shm)
		return -ENOENT;
	*out = shm;
	return 0;
}

void vtee_shm_put_locked(struct vtee_shm *shm)
{
	if (--shm->refs == 0)
		shm_destroy(shm);
}

void vtee_shm_put(struct vtee_shm *shm)
{
	struct vtee_vm *vm = shm->vm;
	pthread_mutex_lock(&vm->lock);
	vtee_shm_put_locked(shm);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- accessors for back-ends ---- */

uint64_t vtee_shm_size(const struct vtee_shm *shm)
{
	return shm->size;
}

/* Walk [offs, offs + len) of the buffer page by page. */
static int shm_copy(const struct vtee_shm *shm, uint64_t offs, uint8_t *buf, size_t len, bool to_guest)
{
	if (offs > shm->size || len > shm->size - offs)
		return -EFAULT;
	uint64_t pos = offs + shm->first_off;
	while (len) {
		size_t idx = pos >> VTEE_PAGE_SHIFT;
		size_t in = pos & (VTEE_PAGE_SIZE - 1);
		size_t n = VTEE_PAGE_SIZE - in;
		if (n > len)
			n = len;
		if (to_guest)
			memcpy(shm->pages[idx] + in, buf, n);
		else
			memcpy(buf, shm->pages[idx] + in, n);
		buf += n;
		pos += n;
		len -= n;
	}
	return 0;
}

int vtee_shm_read(const struct vtee_shm *shm, uint64_t offs, void *dst, size_t len)
{
	return shm_copy(shm, offs, dst, len, false);
}

int vtee_shm_write(const struct vtee_shm *shm, uint64_t offs, const void *src, size_t len)
{
	return shm_copy(shm, offs, (uint8_t *)src, len, true);
}

size_t vtee_shm_num_pages(const struct vtee_shm *shm)
{
	return shm->npages;
}

uint32_t vtee_shm_first_offset(const struct vtee_shm *shm)
{
	return shm->first_off;
}

void vtee_shm_page(const struct vtee_shm *shm, size_t index, struct vtee_shm_page *out)
{
	out->hva = NULL;
	out->fd = -1;
	out->fd_offset = 0;
	if (index >= shm->npages)
		return;
	out->hva = shm->pages[index];
	const struct vtee_ram *r = vtee_ram_of_hva(shm->vm, out->hva);
	if (r && r->fd >= 0) {
		out->fd = r->fd;
		out->fd_offset = r->fd_offset + (uint64_t)(shm->pages[index] - r->hva);
	}
}

void *vtee_shm_get_priv(const struct vtee_shm *shm)
{
	return shm->be_priv;
}

void vtee_shm_set_priv(struct vtee_shm *shm, void *priv)
{
	shm->be_priv = priv;
}
