// SPDX-License-Identifier: MIT
/* Test-only accessors (vtee_test.h). */
#include "core.h"
#include "vtee_test.h"

void vtee_test_shm_set_size(struct vtee_shm *shm, uint64_t size)
{
	shm->size = size;
}
