// SPDX-License-Identifier: MIT
/*
 * TEE threads of the soft back-end. Each thread parks on its own futex word;
 * submit pops the most recently parked thread, stores the request in it and
 * flips the word. A freshly parked thread spins a little first, so back-to-back
 * calls (the submitter spins in vtee_req_wait on another core) are handed over
 * without any syscall at all.
 *
 * Quick calls (soft.h) skip the handoff: submit runs them right here, on the
 * submitter's thread, through the same soft_execute() a TEE thread uses, and
 * completes them before returning. While one runs, req->be_priv points at its
 * ta_call on the submitter's stack so cancel() reaches it exactly as it reaches
 * a TEE thread's; it is cleared under the pool lock before completion, so a
 * cancel() that comes after is a no-op.
 *
 * Locking: nothing else is taken under the pool lock, and TA code and
 * vtee_req_done() run with no back-end lock held (inline calls included), so
 * the core may call cancel() under its own locks without risk of deadlock.
 */
#include <errno.h>
#include "sync.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "soft.h"

enum { W_IDLE = 0, W_POSTED = 1, W_SLEEPING = 2 };

/*
 * A parked thread spins only briefly: on a small host the core it would burn
 * is the one the VMM's vCPU needs (measured on the emulated board, 2 cores:
 * 50 us of spinning doubled the guest's null-invoke round trip).
 */
#define WORKER_SPIN_NS 2000ull
/* TAs are small C functions; no need for glibc's 8 MiB per thread times 64 per VM. */
#define WORKER_STACK (1u << 20)

struct soft_worker {
	struct soft_pool *pool;
	pthread_t thread;
	_Atomic uint32_t word;         /* W_*: the handoff futex */
	struct vtee_req *req;          /* job posted to it; NULL with W_POSTED means "exit" */
	struct soft_worker *next_idle;
	struct soft_worker *next_all;
	struct ta_call call;
};

/* A request waiting for a thread (only when all max_threads are busy). */
struct soft_queued {
	struct soft_queued *next;
	struct vtee_req *req;
	bool cancelled;
};


/* Called with the pool lock held: give w its next request. */
static void assign(struct soft_worker *w, struct vtee_req *req, bool cancelled)
{
	w->req = req;
	req->be_priv = &w->call; /* what cancel() flags */
	atomic_store_explicit(&w->call.cancel, cancelled, memory_order_relaxed);
}

/* After the pool lock is dropped: let a parked w see its job. */
static void kick(struct soft_worker *w)
{
	if (atomic_exchange_explicit(&w->word, W_POSTED, memory_order_acq_rel) == W_SLEEPING)
		vtee_futex(&w->word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static void wait_posted(struct soft_worker *w)
{
	uint64_t start = vtee_now_ns();
	do {
		for (int i = 0; i < 64; i++) {
			if (atomic_load_explicit(&w->word, memory_order_acquire) == W_POSTED)
				return;
			vtee_cpu_relax();
		}
	} while (vtee_now_ns() - start < WORKER_SPIN_NS);
	for (;;) {
		uint32_t expect = W_IDLE;
		if (!atomic_compare_exchange_strong_explicit(&w->word, &expect, W_SLEEPING,
							     memory_order_acq_rel, memory_order_acquire) &&
		    expect == W_POSTED)
			return;
		vtee_futex(&w->word, FUTEX_WAIT_PRIVATE, W_SLEEPING, NULL);
		if (atomic_load_explicit(&w->word, memory_order_acquire) == W_POSTED)
			return;
	}
}

/* Pool lock held. */
static struct vtee_req *dequeue(struct soft_pool *p, bool *cancelled)
{
	struct soft_queued *q = p->qhead;
	if (!q)
		return NULL;
	p->qhead = q->next;
	if (!p->qhead)
		p->qtail = NULL;
	struct vtee_req *req = q->req;
	*cancelled = q->cancelled;
	free(q);
	return req;
}

static void *worker_main(void *arg)
{
	struct soft_worker *w = arg;
	struct soft_pool *p = w->pool;

	for (;;) {
		wait_posted(w);
		struct vtee_req *req = w->req;
		if (!req)
			return NULL;
		while (req) {
			soft_execute(p->owner, &w->call, req);

			pthread_mutex_lock(&p->lock);
			req->be_priv = NULL; /* from here cancel() no longer reaches req */
			bool cancelled = false;
			struct vtee_req *next = dequeue(p, &cancelled);
			bool quit = false;
			if (next) {
				assign(w, next, cancelled);
			} else if (p->stopping) {
				w->req = NULL;
				quit = true;
			} else {
				/* Park before completing, so the caller's next submit finds us. */
				w->req = NULL;
				atomic_store_explicit(&w->word, W_IDLE, memory_order_relaxed);
				w->next_idle = p->idle;
				p->idle = w;
			}
			pthread_mutex_unlock(&p->lock);

			vtee_req_done(req); /* last touch: the core may free it now */
			if (quit)
				return NULL;
			req = next;
		}
	}
}

/* The VMM's signals are not ours to take: TEE threads start with all of them blocked. */
static int start_thread(struct soft_worker *w)
{
	pthread_attr_t attr;
	sigset_t all, old;
	if (pthread_attr_init(&attr))
		return -1;
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

void soft_pool_init(struct soft_pool *p, void *owner, unsigned max_threads)
{
	*p = (struct soft_pool){ .owner = owner, .max_threads = max_threads };
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->inline_idle, NULL);
}

static void fail_now(struct vtee_req *req, uint32_t ret)
{
	req->ret = ret;
	req->ret_origin = TEE_ORIGIN_TEE;
	vtee_req_done(req);
}

/*
 * A quick call, on the submitter's thread; entered with the pool lock held,
 * returns with it dropped and req done. Nothing of the pool is touched after
 * the final unlock, so soft_pool_stop() may free it as soon as it sees
 * inline_running drop to 0.
 */
static void run_inline(struct soft_pool *p, struct vtee_req *req)
{
	struct ta_call call = { .on_submitter = true };
	req->be_priv = &call;
	p->inline_running++;
	pthread_mutex_unlock(&p->lock);

	soft_execute(p->owner, &call, req);

	pthread_mutex_lock(&p->lock);
	req->be_priv = NULL; /* from here cancel() no longer reaches req (nor our stack) */
	if (--p->inline_running == 0 && p->stopping)
		pthread_cond_broadcast(&p->inline_idle);
	pthread_mutex_unlock(&p->lock);
	vtee_req_done(req);
}

void soft_pool_submit(struct soft_pool *p, struct vtee_req *req, bool quick)
{
	pthread_mutex_lock(&p->lock);
	req->be_priv = NULL;
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		fail_now(req, TEE_ERROR_TARGET_DEAD);
		return;
	}
	/* Inline only where a TEE thread would start it now: queued calls are not overtaken. */
	if (quick && !p->qhead && (p->idle || p->nthreads < p->max_threads)) {
		run_inline(p, req);
		return;
	}
	struct soft_worker *w = p->idle;
	if (w) {
		p->idle = w->next_idle;
		assign(w, req, false);
		pthread_mutex_unlock(&p->lock);
		kick(w);
		return;
	}
	if (p->nthreads < p->max_threads) {
		/* Grow. Rare (once per level of concurrency a VM ever reaches), so under the lock. */
		w = calloc(1, sizeof(*w));
		if (w) {
			w->pool = p;
			assign(w, req, false);
			atomic_store_explicit(&w->word, W_POSTED, memory_order_relaxed);
			if (start_thread(w) == 0) {
				w->next_all = p->all;
				p->all = w;
				p->nthreads++;
				pthread_mutex_unlock(&p->lock);
				return;
			}
			req->be_priv = NULL;
			free(w);
		}
	}
	/* Every thread is busy (or no new one could be made): wait for one to finish. */
	if (p->nthreads > 0) {
		struct soft_queued *q = calloc(1, sizeof(*q));
		if (q) {
			q->req = req;
			if (p->qtail)
				p->qtail->next = q;
			else
				p->qhead = q;
			p->qtail = q;
			pthread_mutex_unlock(&p->lock);
			return;
		}
	}
	pthread_mutex_unlock(&p->lock);
	fail_now(req, TEE_ERROR_OUT_OF_MEMORY);
}

/* Pool lock held. */
static void cancel_call(struct ta_call *c)
{
	atomic_store_explicit(&c->cancel, 1, memory_order_release);
	vtee_futex(&c->cancel, FUTEX_WAKE_PRIVATE, 1, NULL);
}

void soft_pool_cancel(struct soft_pool *p, struct vtee_req *req)
{
	pthread_mutex_lock(&p->lock);
	struct ta_call *running = req->be_priv; /* a TEE thread's call, or an inline one's */
	if (running) {
		cancel_call(running);
	} else {
		for (struct soft_queued *q = p->qhead; q; q = q->next)
			if (q->req == req)
				q->cancelled = true;
	}
	pthread_mutex_unlock(&p->lock);
}

void soft_pool_stop(struct soft_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	for (struct soft_worker *w = p->all; w; w = w->next_all)
		if (w->req)
			cancel_call(&w->call);
	for (struct soft_queued *q = p->qhead; q; q = q->next)
		q->cancelled = true;
	/* Parked threads get an empty job: "exit". Busy ones exit when the queue is empty. */
	struct soft_worker *idle = p->idle;
	p->idle = NULL;
	/*
	 * Inline calls are short and never wait, so they are not cancelled, only
	 * waited for (a submit() still returning while the VM is destroyed).
	 */
	while (p->inline_running)
		pthread_cond_wait(&p->inline_idle, &p->lock);
	pthread_mutex_unlock(&p->lock);

	while (idle) {
		struct soft_worker *w = idle;
		idle = w->next_idle;
		kick(w);
	}
	/* No thread is added once stopping is set, so the list is stable. */
	for (struct soft_worker *w = p->all; w; w = w->next_all)
		pthread_join(w->thread, NULL);
	while (p->all) {
		struct soft_worker *w = p->all;
		p->all = w->next_all;
		free(w);
	}
	p->nthreads = 0;
	pthread_cond_destroy(&p->inline_idle);
	pthread_mutex_destroy(&p->lock);
}

bool ta_cancelled(struct ta_call *c)
{
	return atomic_load_explicit(&c->cancel, memory_order_acquire) != 0;
}

/* Waits on the cancel word itself, so cancel() wakes us with no polling. */
uint32_t ta_sleep_ms(struct ta_call *c, uint32_t ms)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!ta_cancelled(c)) {
		/* Absolute CLOCK_MONOTONIC deadline: spurious wake-ups do not stretch the sleep. */
		long r = syscall(SYS_futex, &c->cancel, FUTEX_WAIT_BITSET_PRIVATE, 0, &end, NULL,
				 FUTEX_BITSET_MATCH_ANY);
		if (r == -1 && errno == ETIMEDOUT)
			return ta_cancelled(c) ? TEE_ERROR_CANCEL : TEE_SUCCESS;
	}
	return TEE_ERROR_CANCEL;
}
