/* SPDX-License-Identifier: MIT */
/* Small synchronisation helpers shared by the core and the back-ends: futex words, spinning, time. */
#ifndef VTEE_SYNC_H
#define VTEE_SYNC_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long vtee_futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static inline void vtee_futex_wake(_Atomic uint32_t *addr)
{
	vtee_futex(addr, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static inline uint64_t vtee_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* In spin loops: let the sibling hardware thread (or the host, under emulation) run. */
static inline void vtee_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/*
 * One step (i, from 1) of a poll that began at t0: a pause; once the poll has
 * run yield_ns, every 8th step yields the core instead. With more busy
 * threads than cores (the recoverable path has three: vCPU, vteed, vtee-tee)
 * the thread we wait for may be queued behind us on this core, and a pure
 * spin keeps it there until the poll runs out. When nobody is queued, a
 * yield is only a system call that delays noticing the answer, so a poll
 * whose answer usually comes within a few microseconds yields later.
 */
#define VTEE_POLL_YIELD_NS      1000u /* polls on a path of three threads or more */
#define VTEE_POLL_YIELD_LATE_NS 6000u /* polls on a path of two (a channel's ends) */

static inline void vtee_poll_pause(unsigned i, uint64_t t0, uint64_t yield_ns)
{
	if (i % 8 == 0 && vtee_now_ns() - t0 > yield_ns)
		sched_yield();
	else
		vtee_cpu_relax();
}

#endif
