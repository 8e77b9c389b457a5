/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: OP-TEE's address types. */
#ifndef TYPES_EXT_H
#define TYPES_EXT_H

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * What OP-TEE's own <unistd.h> gives here: ssize_t and write(). Not glibc's
 * <unistd.h>, whose POSIX names (truncate, read, sleep, ...) would clash with
 * a TA's own static functions that build on OP-TEE.
 */
#ifndef __ssize_t_defined
#define __ssize_t_defined
typedef __PTRDIFF_TYPE__ ssize_t;
#endif
#ifdef __cplusplus
extern "C" ssize_t write(int fd, const void *buf, size_t count);
#else
ssize_t write(int fd, const void *buf, size_t count);
#endif

typedef uintptr_t vaddr_t;
#define PRIxVA	PRIxPTR
typedef uintptr_t paddr_t;
#define PRIxPA	PRIxPTR
typedef uintptr_t paddr_size_t;
#define PRIxPASZ PRIxPTR

#endif /* TYPES_EXT_H */
