/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: OP-TEE's additions to <stdlib.h>. */
#ifndef __STDLIB_EXT_H
#define __STDLIB_EXT_H

#include <stdlib.h>
#include <string_ext.h>

/* free() that first clears the allocation (the size malloc gave it) */
#ifdef __cplusplus
extern "C"
#endif
void free_wipe(void *ptr);

#endif /* __STDLIB_EXT_H */
