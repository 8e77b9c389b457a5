// SPDX-License-Identifier: MIT
/*
 * Completion of back-end requests. A request is "pending" (0) until the
 * back-end calls vtee_req_done() (1). A waiter that wants to sleep marks it 2
 * first, so done() only pays for a futex wake when someone actually sleeps.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vtee/backend.h"

enum { REQ_PENDING = 0, REQ_DONE = 1, REQ_SLEEPER = 2 };

/* Spin this long before sleeping: a TEE thread usually answers a short call sooner. */
#define REQ_SPIN_NS 20000ull

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vtee_req_arm(struct vtee_req *req)
{
	atomic_store_explicit(&req->state, REQ_PENDING, memory_order_relaxed);
}

void vtee_req_done(struct vtee_req *req)
{
	/* After this store the waiter may free req; only its address is used below. */
	if (atomic_exchange_explicit(&req->state, REQ_DONE, memory_order_acq_rel) == REQ_SLEEPER)
		syscall(SYS_futex, &req->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

bool vtee_req_wait(struct vtee_req *req, uint64_t timeout_us)
{
	if (atomic_load_explicit(&req->state, memory_order_acquire) == REQ_DONE)
		return true;
	uint64_t start = now_ns();
	uint64_t limit = timeout_us > UINT64_MAX / 1000 ? UINT64_MAX : timeout_us * 1000;
	uint64_t spin = limit < REQ_SPIN_NS ? limit : REQ_SPIN_NS;
	uint64_t elapsed;

	while ((elapsed = now_ns() - start) < spin) {
		for (int i = 0; i < 64; i++) {
			if (atomic_load_explicit(&req->state, memory_order_acquire) == REQ_DONE)
				return true;
			cpu_relax();
		}
	}
	for (;;) {
		uint32_t expect = REQ_PENDING;
		if (!atomic_compare_exchange_strong_explicit(&req->state, &expect, REQ_SLEEPER,
							     memory_order_acq_rel, memory_order_acquire) &&
		    expect == REQ_DONE)
			return true;
		elapsed = now_ns() - start;
		if (elapsed >= limit)
			return atomic_load_explicit(&req->state, memory_order_acquire) == REQ_DONE;
		uint64_t left = limit - elapsed;
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000000ull),
				       .tv_nsec = (long)(left % 1000000000ull) };
		long r = syscall(SYS_futex, &req->state, FUTEX_WAIT_PRIVATE, REQ_SLEEPER, &ts, NULL, 0);
		(void)r; /* EAGAIN, EINTR, ETIMEDOUT: all mean "look again" */
		if (atomic_load_explicit(&req->state, memory_order_acquire) == REQ_DONE)
			return true;
	}
}
