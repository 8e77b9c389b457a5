// SPDX-License-Identifier: MIT
/*
 * Cancellation. Every request has its own cancel id from a per-VM counter,
 * never the guest's (the guest's ids are per guest context, and the core
 * already matched the guest's CANCEL to this request), so TEE_IOC_CANCEL
 * names exactly one request of the VM's context. The ioctl is made by a
 * per-VM canceller thread, not by cancel() itself: the core calls cancel()
 * with the VM's lock held, and in the kernel a cancel is itself a call into
 * OP-TEE that waits for a free OP-TEE thread when all are busy (with the very
 * calls being cancelled, say). A request still queued is cancelled at once,
 * without reaching the TEE.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"
#include "teedev_int.h"

/*
 * A cancel can reach OP-TEE before the call it is for (the thread is between
 * submit and its ioctl): OP-TEE then finds nothing to flag. So while a
 * cancelled job still runs, the cancel goes out again every
 * TEEDEV_CANCEL_AGAIN_MS, up to TEEDEV_CANCEL_TRIES times in all.
 */
#define TEEDEV_CANCEL_AGAIN_MS 100u
#define TEEDEV_CANCEL_TRIES    30u

void teedev_drop_cancel(struct teedev_vm *vm, uint32_t cancel_id)
{
	for (unsigned i = 0; i < vm->cq_n; i++)
		if (vm->cq[i].cancel_id == cancel_id) {
			memmove(vm->cq + i, vm->cq + i + 1, (vm->cq_n - i - 1) * sizeof(vm->cq[0]));
			vm->cq_n--;
			return;
		}
}

/* The job with this cancel id, if a thread runs it now. vm->lock held. */
static struct job *running_job(struct teedev_vm *vm, uint32_t cancel_id)
{
	for (struct job *j = vm->jobs.next; j != &vm->jobs; j = j->next)
		if (j->cancel_id == cancel_id && j->running)
			return j;
	return NULL;
}

static void send_cancel(struct teedev_vm *vm, const struct cancel_ask *c)
{
	struct tee_ioctl_cancel_arg a = { .cancel_id = c->cancel_id, .session = c->session };
	count(&vm->st_cancels, 1);
	teedev_ioctl(vm->fd, TEE_IOC_CANCEL, &a);
}

static struct cancel_ask ask_for(const struct job *j)
{
	/* OPEN has no session yet: 0, as the uapi says */
	return (struct cancel_ask){ j->cancel_id, j->req->op == VTEE_REQ_INVOKE ? j->session : 0 };
}

/*
 * vm->lock held: the next cancel to send now (a queued one, or one due again)
 * in *c with its job, or NULL; *next: when the next one falls due (ns,
 * UINT64_MAX for none).
 */
static struct job *next_cancel(struct teedev_vm *vm, uint64_t now, struct cancel_ask *c, uint64_t *next)
{
	*next = UINT64_MAX;
	while (vm->cq_n) {
		*c = vm->cq[0];
		memmove(vm->cq, vm->cq + 1, --vm->cq_n * sizeof(vm->cq[0]));
		/* finished meanwhile: its id names nothing any more, send nothing */
		struct job *j = running_job(vm, c->cancel_id);
		if (j)
			return j;
	}
	for (struct job *k = vm->jobs.next; k != &vm->jobs; k = k->next) {
		if (!k->running || !k->cancel_asked || !k->cancels_sent || k->cancels_sent >= TEEDEV_CANCEL_TRIES)
			continue;
		uint64_t due = k->cancel_at + TEEDEV_CANCEL_AGAIN_MS * 1000000ull;
		if (due <= now) {
			*c = ask_for(k);
			return k;
		}
		if (due < *next)
			*next = due;
	}
	return NULL;
}

/* Sends the cancels cancel() queued, outside every lock: the ioctl may wait for the TEE. */
static void *canceller_main(void *arg)
{
	struct teedev_vm *vm = arg;
	pthread_mutex_lock(&vm->lock);
	for (;;) {
		struct cancel_ask c;
		uint64_t now = vtee_now_ns(), next;
		struct job *j = next_cancel(vm, now, &c, &next);
		if (j) {
			j->cancels_sent++;
			j->cancel_at = now;
			pthread_mutex_unlock(&vm->lock);
			send_cancel(vm, &c);
			pthread_mutex_lock(&vm->lock);
			continue;
		}
		if (next == UINT64_MAX) {
			if (vm->stopping)
				break;
			pthread_cond_wait(&vm->cq_cond, &vm->lock);
		} else {
			struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull) };
			pthread_cond_timedwait(&vm->cq_cond, &vm->lock, &ts);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/* vm->lock held, dropped on return: j runs (or a thread is about to run it): TEE_IOC_CANCEL. */
static void cancel_running(struct teedev_vm *vm, struct job *j)
{
	struct cancel_ask c = ask_for(j);
	bool send_here = false;
	if (!j->cancel_asked) {
		j->cancel_asked = true;
		if (!vm->canceller_started && !vm->stopping)
			vm->canceller_started = !vtee_thread_start(&vm->canceller, TEEDEV_THREAD_STACK, canceller_main, vm);
		if (vm->canceller_started && vm->cq_n < vm->max_threads) {
			/* one per running job at most, and jobs run on threads: room */
			vm->cq[vm->cq_n++] = c;
			pthread_cond_signal(&vm->cq_cond);
		} else {
			send_here = true; /* no thread to spare: here, at least outside our lock */
		}
	}
	pthread_mutex_unlock(&vm->lock);
	if (send_here)
		send_cancel(vm, &c);
}

void teedev_cancel(void *vmp, struct vtee_req *req)
{
	struct teedev_vm *vm = vmp;
	if (req->op != VTEE_REQ_OPEN && req->op != VTEE_REQ_INVOKE)
		return;
	pthread_mutex_lock(&vm->lock);
	/* found by the request, never through be_priv: a finished job is freed */
	struct job *j = vm->jobs.next;
	while (j != &vm->jobs && j->req != req)
		j = j->next;
	if (j == &vm->jobs) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	/*
	 * Still queued (every thread is in the TEE): it never gets there. Done
	 * here and now, since the threads may stay in the TEE for long. A job a
	 * thread took already but has not marked running yet is running.
	 */
	if (j->running || vtee_pool_withdraw(&vm->pool, &j->item)) {
		j->running = true;
		cancel_running(vm, j);
		return;
	}
	job_unlink(j);
	pthread_mutex_unlock(&vm->lock);
	free(j);
	if (req->op == VTEE_REQ_OPEN)
		req->session = NULL;
	teedev_finish(req, TEE_ERROR_CANCEL, TEE_ORIGIN_COMMS);
}
