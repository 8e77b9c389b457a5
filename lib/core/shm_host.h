/* SPDX-License-Identifier: MIT */
/*
 * Buffers that are not guest memory: a struct vtee_shm over a private,
 * page-aligned host buffer, so that a process with no VM (vtee-tee, serving
 * a TEE to link connections) can hand memrefs to a back-end through the same
 * accessors (vtee_shm_read/write, vtee_shm_page) back-ends always use.
 */
#ifndef VTEE_SHM_HOST_H
#define VTEE_SHM_HOST_H

#include <stdint.h>

struct vtee_shm;

/*
 * buf: 4 KiB aligned, at least size bytes rounded up to whole pages, owned by
 * the caller and alive until vtee_shm_host_free(). size may be 0 (buf may
 * then be NULL). NULL on bad arguments or no memory. Such a buffer is never
 * registered and belongs to no VM: vtee_shm_page() reports fd = -1.
 */
struct vtee_shm *vtee_shm_host_new(void *buf, uint64_t size);
void vtee_shm_host_free(struct vtee_shm *shm);

#endif
