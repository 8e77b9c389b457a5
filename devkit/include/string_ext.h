/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: the string functions OP-TEE's libutils adds to <string.h>.
 * glibc >= 2.38 declares strlcpy/strlcat itself (same prototypes); the
 * others come from the TA runtime (libvtee_ta).
 */
#ifndef __STRING_EXT_H
#define __STRING_EXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);

/* memcmp() whose time depends on nb only, not on the contents */
int consttime_memcmp(const void *p1, const void *p2, size_t nb);

/* the old name of consttime_memcmp() */
static inline int buf_compare_ct(const void *s1, const void *s2, size_t n)
{
	return consttime_memcmp(s1, s2, n);
}

/* memset(s, 0, count) that the compiler may not drop (secrets) */
void memzero_explicit(void *s, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* __STRING_EXT_H */
