/* SPDX-License-Identifier: MIT */
/* Shared (cross-process) futex helpers for the SMC mailbox. */
#ifndef VTEED_FUTEX_H
#define VTEED_FUTEX_H

#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

/* Sleep while *w == expected, at most timeout_ms. 0 woken/changed, -ETIMEDOUT, -EINTR. */
static inline int vteed_futex_wait(uint32_t *w, uint32_t expected, unsigned timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000L };
	long r = syscall(SYS_futex, w, FUTEX_WAIT, expected, &ts, NULL, 0);
	if (r < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static inline void vteed_futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* spin-loop hint: lib/util/sync.h's */
#define vteed_cpu_relax vtee_cpu_relax

#define VTEED_LOAD(p)     __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define VTEED_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

#endif
