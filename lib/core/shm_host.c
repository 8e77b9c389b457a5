// SPDX-License-Identifier: MIT
/* struct vtee_shm over a private host buffer (backend.h: vtee_host_shm_new). */
#include <errno.h>
#include <stdlib.h>

#include "core.h"

/*
 * The VM every host buffer points to: no RAM regions, so vtee_ram_of_hva()
 * finds nothing and vtee_shm_page() gives fd = -1. Never locked, never freed.
 */
static struct vtee_vm host_vm;

int vtee_host_shm_new(void *buf, uint64_t size, struct vtee_shm **out)
{
	if (!out || ((uintptr_t)buf & (VTEE_PAGE_SIZE - 1)) || (size && !buf) ||
	    size > (VTEE_LIMIT_MAX_SHM_PAGES << VTEE_PAGE_SHIFT))
		return -EINVAL;
	size_t n = (size_t)((size + VTEE_PAGE_SIZE - 1) >> VTEE_PAGE_SHIFT);
	struct vtee_shm *shm = calloc(1, sizeof(*shm));
	uint8_t **pages = shm ? calloc(n ? n : 1, sizeof(*pages)) : NULL;
	if (!pages) {
		free(shm);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		pages[i] = (uint8_t *)buf + i * VTEE_PAGE_SIZE;
	shm->vm = &host_vm;
	shm->size = size;
	shm->first_off = 0;
	shm->npages = n;
	shm->pages = pages;
	shm->refs = 1;
	*out = shm;
	return 0;
}

void vtee_host_shm_free(struct vtee_shm *shm)
{
	if (!shm)
		return;
	free(shm->pages);
	free(shm);
}
