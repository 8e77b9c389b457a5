// SPDX-License-Identifier: MIT
/*
 * Where a request's ioctl runs. The ioctls block for as long as the TA runs,
 * and a vCPU must not, so submit() hands the request to the VM's pool of
 * threads (lib/util/pool.h: grown on demand up to "threads=", default 16 =
 * the default call quota; beyond that, FIFO), which make the ioctl and
 * complete the request with vtee_req_done(). An INVOKE that inline=auto (or
 * on) lets run on the caller's thread runs inside submit() instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "teedev_int.h"

/* Runs j on this thread, timing it for inline=auto; vm->lock not held. */
static uint64_t run_timed(struct teedev_vm *vm, struct job *j)
{
	uint64_t t0 = vtee_now_ns();
	teedev_run_job(vm, j);
	return vtee_now_ns() - t0;
}

/* On a pool thread. */
static void job_run(void *ctx, struct vtee_pool_item *item)
{
	struct teedev_vm *vm = ctx;
	struct job *j = vtee_container_of(item, struct job, item);
	struct vtee_req *req = j->req;
	pthread_mutex_lock(&vm->lock);
	j->running = true;
	pthread_mutex_unlock(&vm->lock);

	uint64_t ns = run_timed(vm, j);

	pthread_mutex_lock(&vm->lock);
	if (req->op == VTEE_REQ_INVOKE)
		teedev_hint_record(vm, j->session, req->func, ns, false);
	job_unlink(j);
	if (j->cancel_asked)
		teedev_drop_cancel(vm, j->cancel_id); /* so the queue never holds more than the running jobs */
	pthread_mutex_unlock(&vm->lock);
}

/* Once the thread that ran it is back in the pool (the caller's next request finds it idle). */
static void job_done(void *ctx, struct vtee_pool_item *item)
{
	(void)ctx;
	struct job *j = vtee_container_of(item, struct job, item);
	struct vtee_req *req = j->req;
	free(j);
	vtee_req_done(req); /* after this the request is the core's again */
}

void teedev_jobs_init(struct teedev_vm *vm)
{
	struct vtee_pool_config pc = {
		.max_threads = vm->max_threads,
		.stack_size = TEEDEV_THREAD_STACK,
		.run = job_run,
		.done = job_done,
		.ctx = vm,
	};
	vtee_pool_init(&vm->pool, &pc);
}

/* vm->lock held. */
static bool cancel_id_used(struct teedev_vm *vm, uint32_t id)
{
	for (struct job *j = vm->jobs.next; j != &vm->jobs; j = j->next)
		if (j->cancel_id == id)
			return true;
	return false;
}

/* vm->lock held: never 0, never one a job still holds (after 2^32 requests the counter wraps). */
static uint32_t new_cancel_id(struct teedev_vm *vm)
{
	do {
		if (!++vm->next_cancel_id)
			++vm->next_cancel_id;
	} while (cancel_id_used(vm, vm->next_cancel_id));
	return vm->next_cancel_id;
}

/*
 * j's ioctl on the caller's thread: entered with vm->lock held, returns with
 * it dropped and the request done. No hand-off: listed as running, so
 * cancel() finds it as it would on a pool thread.
 */
static void run_inline(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	j->running = true;
	vm->inline_running++;
	pthread_mutex_unlock(&vm->lock);
	count(&vm->st_inline, 1);
	uint64_t ns = run_timed(vm, j);
	pthread_mutex_lock(&vm->lock);
	teedev_hint_record(vm, j->session, req->func, ns, true);
	job_unlink(j);
	if (j->cancel_asked)
		teedev_drop_cancel(vm, j->cancel_id);
	if (!--vm->inline_running && vm->stopping)
		pthread_cond_broadcast(&vm->inline_idle);
	pthread_mutex_unlock(&vm->lock);
	free(j);
	vtee_req_done(req);
}

/* A job for req, or NULL (req then done with the reason). */
static struct job *job_new(struct vtee_req *req)
{
	if (req->op != VTEE_REQ_OPEN && !req->session) {
		teedev_finish(req, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return NULL;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		teedev_finish(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return NULL;
	}
	j->req = req;
	req->be_priv = j;
	if (req->op != VTEE_REQ_OPEN)
		j->session = sess_id(req->session);
	return j;
}

void teedev_submit(void *vmp, struct vtee_req *req)
{
	struct teedev_vm *vm = vmp;
	struct job *j = job_new(req);
	if (!j)
		return;
	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		free(j);
		teedev_finish(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return;
	}
	j->cancel_id = new_cancel_id(vm);
	j->next = vm->jobs.next;
	j->prev = &vm->jobs;
	j->next->prev = j;
	vm->jobs.next = j;
	if (req->op == VTEE_REQ_INVOKE && teedev_want_inline(vm, j->session, req->func)) {
		run_inline(vm, j);
		return;
	}
	/* a thread for every request in flight, up to the limit; then they queue */
	int r = vtee_pool_submit(&vm->pool, &j->item);
	if (r) {
		/* nothing could ever run it: take it back */
		job_unlink(j);
		pthread_mutex_unlock(&vm->lock);
		free(j);
		teedev_log(vm->label, "cannot start a thread: %s", strerror(-r));
		teedev_finish(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	pthread_mutex_unlock(&vm->lock);
}
