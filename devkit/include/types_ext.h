/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: OP-TEE's address types. */
#ifndef TYPES_EXT_H
#define TYPES_EXT_H

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

typedef uintptr_t vaddr_t;
#define PRIxVA	PRIxPTR
typedef uintptr_t paddr_t;
#define PRIxPA	PRIxPTR
typedef uintptr_t paddr_size_t;
#define PRIxPASZ PRIxPTR

#endif /* TYPES_EXT_H */
