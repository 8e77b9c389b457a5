/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: confine_array_index(idx, size) is idx when idx < size and
 * 0 otherwise, computed without a branch the CPU could speculate past
 * (Spectre v1), so that a checked index stays in range even speculatively.
 */
#ifndef __CONFINE_ARRAY_INDEX_H
#define __CONFINE_ARRAY_INDEX_H

#include <stddef.h>

static inline size_t confine_array_index(size_t index, size_t size)
{
	/* all ones when index < size: borrow of index - size, no compare */
	size_t below = (size_t)0 - (((index - size) & ~index) >>
				    (sizeof(size_t) * 8 - 1));

	return index & below;
}

#endif /* __CONFINE_ARRAY_INDEX_H */
