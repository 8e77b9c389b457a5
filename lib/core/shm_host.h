/* SPDX-License-Identifier: MIT */
/*
 * The old names of vtee_host_shm_new()/vtee_host_shm_free() (backend.h),
 * for daemon/vtee-tee.c until it moves to those; then this header goes.
 * NULL on bad arguments or no memory.
 */
#ifndef VTEE_SHM_HOST_H
#define VTEE_SHM_HOST_H

#include <stdint.h>

struct vtee_shm;

struct vtee_shm *vtee_shm_host_new(void *buf, uint64_t size);
void vtee_shm_host_free(struct vtee_shm *shm);

#endif
