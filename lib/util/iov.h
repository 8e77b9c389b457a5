/* SPDX-License-Identifier: MIT */
/* Walking an iovec list that a writer sends piece by piece. */
#ifndef VTEE_UTIL_IOV_H
#define VTEE_UTIL_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * Drop the first k bytes of (*iov)[0..*n): step past every piece they cover
 * and trim the next. Empty pieces are stepped over too, so k = 0 skips the
 * leading empty ones; *n reaches 0 once everything is dropped.
 */
static inline void vtee_iov_advance(struct iovec **iov, int *n, size_t k)
{
	while (*n > 0 && k >= (*iov)->iov_len) {
		k -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + k;
		(*iov)->iov_len -= k;
	}
}

#endif
