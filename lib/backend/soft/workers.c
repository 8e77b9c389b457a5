// SPDX-License-Identifier: MIT
/*
 * TEE threads of the soft back-end: a worker pool (lib/util/pool.h) per VM.
 * A parked thread spins a little before it sleeps on its futex, so
 * back-to-back calls (the submitter spins in vtee_req_wait on another core)
 * are handed over without any syscall at all, and it goes back to the pool
 * before it completes its request, so that the caller's next submit finds
 * it.
 *
 * Quick calls (soft.h) skip the handoff: submit runs them right here, on the
 * submitter's thread, through the same soft_execute() a TEE thread uses, and
 * completes them before returning. A call to a TA in a process may start
 * here and, when its answer is late, leave the rest to a TEE thread
 * (ta_call.resume): it is handed over as a job that goes on with
 * soft_resume(), its cancellation state carried along.
 *
 * Cancellation: req->be_priv points at the ta_call that runs the request (a
 * job's, or an inline call's on the submitter's stack) from submit until it
 * finished, and cancel() flags it: a job still queued then starts cancelled.
 * It is cleared under the pool lock before completion, so a cancel() that
 * comes after is a no-op.
 *
 * Locking: the pool lock is taken before the worker pool's own and nothing
 * else is taken under it; TA code and vtee_req_done() run with no back-end
 * lock held (inline calls included), so the core may call cancel() under its
 * own locks without risk of deadlock.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "soft.h"
#include "sync.h"

/*
 * A parked thread spins only briefly: on a small host the core it would burn
 * is the one the VMM's vCPU needs (measured on the emulated board, 2 cores:
 * 50 us of spinning doubled the guest's null-invoke round trip).
 */
#define WORKER_SPIN_NS 2000ull
/* TAs are small C functions; no need for glibc's 8 MiB per thread times 64 per VM. */
#define WORKER_STACK (1u << 20)

/* A request handed to a TEE thread. */
struct soft_job {
	struct vtee_pool_item item;
	struct vtee_req *req;
	struct ta_call call;             /* what cancel() flags (req->be_priv) */
	struct soft_job *prev, *next;    /* pool->jobs */
};

/* Pool lock held. */
static void cancel_call(struct ta_call *c)
{
	atomic_store_explicit(&c->cancel, 1, memory_order_release);
	vtee_futex(&c->cancel, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/* Pool lock held. */
static void job_unlink(struct soft_pool *p, struct soft_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		p->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

/* On a TEE thread. */
static void job_run(void *ctx, struct vtee_pool_item *item)
{
	struct soft_pool *p = ctx;
	struct soft_job *j = vtee_container_of(item, struct soft_job, item);
	if (j->call.resume)
		soft_resume(p->owner, &j->call, j->req);
	else
		soft_execute(p->owner, &j->call, j->req);
	pthread_mutex_lock(&p->lock);
	j->req->be_priv = NULL; /* from here cancel() no longer reaches req */
	job_unlink(p, j);
	pthread_mutex_unlock(&p->lock);
}

/* Once the thread is back in the pool. */
static void job_done(void *ctx, struct vtee_pool_item *item)
{
	(void)ctx;
	struct soft_job *j = vtee_container_of(item, struct soft_job, item);
	struct vtee_req *req = j->req;
	free(j);
	vtee_req_done(req); /* last touch: the core may free it now */
}

void soft_pool_init(struct soft_pool *p, void *owner, unsigned max_threads)
{
	*p = (struct soft_pool){ .owner = owner };
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->inline_idle, NULL);
	struct vtee_pool_config pc = {
		.max_threads = max_threads,
		.stack_size = WORKER_STACK,
		.spin_ns = WORKER_SPIN_NS,
		.run = job_run,
		.done = job_done,
		.ctx = p,
	};
	vtee_pool_init(&p->threads, &pc);
}

static void fail_now(struct vtee_req *req, uint32_t ret)
{
	req->ret = ret;
	req->ret_origin = TEE_ORIGIN_TEE;
	vtee_req_done(req);
}

/*
 * Pool lock held: req to a TEE thread (or the FIFO), its call starting as a
 * copy of *from (a call begun on the submitter's thread) or fresh. 0, or
 * -errno when no thread can take it (req->be_priv is then NULL).
 */
static int hand_to_thread(struct soft_pool *p, struct vtee_req *req, const struct ta_call *from)
{
	struct soft_job *j = calloc(1, sizeof(*j));
	if (!j) {
		req->be_priv = NULL;
		return -ENOMEM;
	}
	j->req = req;
	if (from) {
		j->call = *from; /* under the pool lock: cancel() cannot change it meanwhile */
		j->call.on_submitter = false;
	}
	req->be_priv = &j->call;
	j->next = p->jobs;
	if (p->jobs)
		p->jobs->prev = j;
	p->jobs = j;
	int r = vtee_pool_submit(&p->threads, &j->item);
	if (r) {
		req->be_priv = NULL;
		job_unlink(p, j);
		free(j);
	}
	return r;
}

/*
 * A quick call, on the submitter's thread; entered with the pool lock held,
 * returns with it dropped and req done or handed to a TEE thread. Nothing of
 * the pool is touched after the final unlock, so soft_pool_stop() may free
 * it as soon as it sees inline_running drop to 0.
 */
static void run_inline(struct soft_pool *p, struct vtee_req *req)
{
	struct ta_call call = { .on_submitter = true };
	req->be_priv = &call;
	p->inline_running++;
	pthread_mutex_unlock(&p->lock);

	soft_execute(p->owner, &call, req);

	pthread_mutex_lock(&p->lock);
	/* a late answer: a TEE thread waits for it; if none can, this thread must */
	bool handed = call.resume && !hand_to_thread(p, req, &call);
	if (!handed)
		req->be_priv = NULL; /* from here cancel() no longer reaches req (nor our stack) */
	if (!handed && call.resume) {
		pthread_mutex_unlock(&p->lock);
		call.on_submitter = false;
		soft_resume(p->owner, &call, req);
		pthread_mutex_lock(&p->lock);
	}
	if (--p->inline_running == 0 && p->stopping)
		pthread_cond_broadcast(&p->inline_idle);
	pthread_mutex_unlock(&p->lock);
	if (!handed)
		vtee_req_done(req);
}

/* Pool lock held, dropped on return: req to a TEE thread (or the FIFO). */
static void run_on_thread(struct soft_pool *p, struct vtee_req *req)
{
	int r = hand_to_thread(p, req, NULL);
	pthread_mutex_unlock(&p->lock);
	if (r)
		fail_now(req, TEE_ERROR_OUT_OF_MEMORY); /* no thread exists and none could be made */
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
	if (quick && vtee_pool_can_start_now(&p->threads))
		run_inline(p, req);
	else
		run_on_thread(p, req);
}

void soft_pool_cancel(struct soft_pool *p, struct vtee_req *req)
{
	pthread_mutex_lock(&p->lock);
	struct ta_call *c = req->be_priv; /* a job's call, queued or running, or an inline one's */
	if (c)
		cancel_call(c);
	pthread_mutex_unlock(&p->lock);
}

void soft_pool_stop(struct soft_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	/* what runs stops, what is queued starts cancelled (and drains) */
	for (struct soft_job *j = p->jobs; j; j = j->next)
		cancel_call(&j->call);
	/*
	 * Inline calls are short and never wait, so they are not cancelled, only
	 * waited for (a submit() still returning while the VM is destroyed).
	 */
	while (p->inline_running)
		pthread_cond_wait(&p->inline_idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
	vtee_pool_stop(&p->threads);
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
