/* SPDX-License-Identifier: MIT */
/*
 * Test-only accessors to core objects, for tests that fake what no guest
 * could make (functions, not struct access: tests never include core.h).
 * Never for production code.
 */
#ifndef VTEE_TEST_ACCESS_H
#define VTEE_TEST_ACCESS_H

#include <stdint.h>

struct vtee_shm;

/* Claim a size the buffer's pages do not cover (a back-end's size checks); restore it before freeing. */
void vtee_test_shm_set_size(struct vtee_shm *shm, uint64_t size);

#endif
