// SPDX-License-Identifier: MIT
/*
 * Completion of back-end requests, and RPCs from a back-end to the guest.
 *
 * req->state is a futex word: PENDING until the back-end calls
 * vtee_req_done() (DONE), or posts an RPC (RPC) that the core answers and
 * turns back into PENDING. A waiter that wants to sleep marks it SLEEPER
 * first, so the back-end only pays for a futex wake when someone sleeps.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"
#include "vtee/backend.h"

enum { REQ_PENDING = 0, REQ_DONE = 1, REQ_SLEEPER = 2, REQ_RPC = 3 };

/*
 * Spin this long before sleeping: a TEE thread usually answers a short call
 * sooner. Not on a single CPU, where the spinner only keeps that thread off it.
 */
#define REQ_SPIN_NS 20000ull

static uint64_t spin_ns_value = REQ_SPIN_NS;

/* At load: sysconf() reads /sys, which a sandboxed process (vteed) may not open later. */
__attribute__((constructor)) static void spin_ns_init(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) == 1)
		spin_ns_value = 0;
}

static uint64_t spin_ns(void)
{
	return spin_ns_value;
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
	/* EAGAIN, EINTR, ETIMEDOUT: all mean "look again" */
	vtee_futex(w, FUTEX_WAIT_PRIVATE, val, ns == UINT64_MAX ? NULL : &ts);
}


void vtee_req_arm(struct vtee_req *req)
{
	req->rpc = NULL;
	atomic_store_explicit(&req->rpc_answered, 0, memory_order_relaxed);
	atomic_store_explicit(&req->state, REQ_PENDING, memory_order_relaxed);
}

/* Publish a new state; wake the waiter if it went to sleep. */
static void post(struct vtee_req *req, uint32_t state)
{
	/* After this store the waiter may free req; only its address is used below. */
	if (atomic_exchange_explicit(&req->state, state, memory_order_acq_rel) == REQ_SLEEPER)
		vtee_futex_wake(&req->state);
}

void vtee_req_done(struct vtee_req *req)
{
	post(req, REQ_DONE);
}

bool vtee_req_is_done(const struct vtee_req *req)
{
	return atomic_load_explicit(&req->state, memory_order_acquire) == REQ_DONE;
}

void vtee_req_rpc(struct vtee_req *req, struct vtee_rpc *rpc)
{
	req->rpc = rpc;
	atomic_store_explicit(&req->rpc_answered, 0, memory_order_relaxed);
	post(req, REQ_RPC);
	while (!atomic_load_explicit(&req->rpc_answered, memory_order_acquire))
		futex_wait(&req->rpc_answered, 0, UINT64_MAX);
}

void vtee_req_rpc_answer(struct vtee_req *req)
{
	/* back to PENDING before the back-end runs on, so its done() is seen */
	atomic_store_explicit(&req->state, REQ_PENDING, memory_order_release);
	atomic_store_explicit(&req->rpc_answered, 1, memory_order_release);
	vtee_futex_wake(&req->rpc_answered);
}

enum vtee_wait vtee_req_wait_event(struct vtee_req *req, uint64_t timeout_us)
{
	uint32_t s = atomic_load_explicit(&req->state, memory_order_acquire);
	if (s == REQ_DONE || s == REQ_RPC)
		return s == REQ_DONE ? VTEE_WAIT_DONE : VTEE_WAIT_RPC;
	uint64_t start = vtee_now_ns();
	uint64_t limit = timeout_us > UINT64_MAX / 1000 ? UINT64_MAX : timeout_us * 1000;
	uint64_t spin = limit < spin_ns() ? limit : spin_ns();
	uint64_t elapsed;

	while ((elapsed = vtee_now_ns() - start) < spin) {
		for (int i = 0; i < 64; i++) {
			s = atomic_load_explicit(&req->state, memory_order_acquire);
			if (s == REQ_DONE || s == REQ_RPC)
				return s == REQ_DONE ? VTEE_WAIT_DONE : VTEE_WAIT_RPC;
			vtee_cpu_relax();
		}
	}
	for (;;) {
		uint32_t expect = REQ_PENDING;
		if (!atomic_compare_exchange_strong_explicit(&req->state, &expect, REQ_SLEEPER,
							     memory_order_acq_rel, memory_order_acquire) &&
		    (expect == REQ_DONE || expect == REQ_RPC))
			return expect == REQ_DONE ? VTEE_WAIT_DONE : VTEE_WAIT_RPC;
		elapsed = vtee_now_ns() - start;
		if (elapsed >= limit)
			return VTEE_WAIT_TIMEOUT;
		futex_wait(&req->state, REQ_SLEEPER, limit == UINT64_MAX ? UINT64_MAX : limit - elapsed);
	}
}

bool vtee_req_wait(struct vtee_req *req, uint64_t timeout_us)
{
	uint64_t start = vtee_now_ns();
	for (;;) {
		enum vtee_wait w = vtee_req_wait_event(req, timeout_us);
		if (w != VTEE_WAIT_RPC)
			return w == VTEE_WAIT_DONE;
		/* an RPC nobody answers here: wait for whoever does, up to the timeout */
		uint64_t el = (vtee_now_ns() - start) / 1000;
		if (timeout_us != UINT64_MAX && el >= timeout_us)
			return false;
		futex_wait(&req->state, REQ_RPC, 1000000); /* 1 ms re-check */
	}
}
