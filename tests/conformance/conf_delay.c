// SPDX-License-Identifier: MIT
/* The completion-delaying back-end (conf_delay.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_delay.h"
#include "vtee/backend.h"

struct delay_tee {
	const struct vtee_backend_ops *in;
	void *in_tee;
};

struct delay_req;

struct delay_vm {
	struct delay_tee *t;
	void *in_vm;
	pthread_mutex_t lock;   /* the live list; held while cancelling into the inner back-end */
	struct delay_req *live;
};

struct delay_req {
	struct vtee_req shadow; /* what the inner back-end serves */
	struct vtee_req *real;
	struct delay_vm *v;
	uint64_t due_ns;        /* CLOCK_MONOTONIC: complete real no earlier */
	struct delay_req *next;
};

static const struct vtee_backend_ops *inner_ops; /* for the next open */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;
static _Atomic uint32_t delay_min_us, delay_max_us;
static _Atomic uint64_t held, seed = 0x9e3779b97f4a7c15ull;

void conf_delay_set(uint32_t min_us, uint32_t max_us)
{
	atomic_store(&delay_min_us, min_us);
	atomic_store(&delay_max_us, max_us < min_us ? min_us : max_us);
}

uint64_t conf_delay_held(void)
{
	return atomic_load(&held);
}

void conf_delay_gate(bool closed)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = closed;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static bool gate_is_closed(void)
{
	pthread_mutex_lock(&gate_lock);
	bool c = gate_closed;
	pthread_mutex_unlock(&gate_lock);
	return c;
}

static void gate_pass(void)
{
	pthread_mutex_lock(&gate_lock);
	while (gate_closed)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

int conf_delay_parse(const char *s, uint32_t *min_us, uint32_t *max_us)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end == s)
		return -EINVAL;
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (end == t)
			return -EINVAL;
	}
	if (*end || a > b || b > 10000000ul)
		return -EINVAL;
	*min_us = (uint32_t)a;
	*max_us = (uint32_t)b;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t draw_us(void)
{
	uint32_t lo = atomic_load(&delay_min_us), hi = atomic_load(&delay_max_us);
	uint64_t x = atomic_fetch_add(&seed, 0x9e3779b97f4a7c15ull);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return lo + (hi > lo ? x % (hi - lo + 1) : 0);
}

static int d_open(const char *options, void **out)
{
	struct delay_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->in = inner_ops;
	int r = t->in->open(options, &t->in_tee);
	if (r) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

static void d_close(void *tee)
{
	struct delay_tee *t = tee;
	t->in->close(t->in_tee);
	free(t);
}

static int d_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct delay_tee *t = tee;
	struct delay_vm *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->t = t;
	pthread_mutex_init(&v->lock, NULL);
	int r = t->in->vm_created(t->in_tee, vm_id, name, &v->in_vm);
	if (r) {
		pthread_mutex_destroy(&v->lock);
		free(v);
		return r;
	}
	*out = v;
	return 0;
}

static void d_vm_destroyed(void *vm)
{
	struct delay_vm *v = vm;
	v->t->in->vm_destroyed(v->in_vm); /* every request is complete by now (the core ended them) */
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* Out of the live list, outputs copied, the real request completed: the core may reuse it now. */
static void finish(struct delay_req *d)
{
	struct delay_vm *v = d->v;
	pthread_mutex_lock(&v->lock);
	for (struct delay_req **pp = &v->live; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	pthread_mutex_unlock(&v->lock);
	struct vtee_req *real = d->real;
	real->ret = d->shadow.ret;
	real->ret_origin = d->shadow.ret_origin;
	real->session = d->shadow.session;
	memcpy(real->params, d->shadow.params, sizeof(real->params));
	free(d);
	vtee_req_done(real);
}

static void *waiter(void *arg)
{
	struct delay_req *d = arg;
	/* the inner back-end's RPCs go to the guest through the real request */
	while (vtee_req_wait_event(&d->shadow, UINT64_MAX) == VTEE_WAIT_RPC) {
		vtee_req_rpc(d->real, d->shadow.rpc);
		vtee_req_rpc_answer(&d->shadow);
	}
	uint64_t now = now_ns();
	if (now < d->due_ns) {
		atomic_fetch_add(&held, 1);
		struct timespec ts = { .tv_sec = (time_t)(d->due_ns / 1000000000ull),
				       .tv_nsec = (long)(d->due_ns % 1000000000ull) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	gate_pass();
	finish(d);
	return NULL;
}

static void d_submit(void *vm, struct vtee_req *req)
{
	struct delay_vm *v = vm;
	struct delay_req *d = calloc(1, sizeof(*d));
	if (!d) {
		req->ret = TEE_ERROR_OUT_OF_MEMORY;
		req->ret_origin = TEE_ORIGIN_TEE;
		vtee_req_done(req);
		return;
	}
	uint64_t delay_us = draw_us();
	d->real = req;
	d->v = v;
	d->shadow = *req;
	d->shadow.be_priv = NULL;
	d->due_ns = now_ns() + delay_us * 1000;
	vtee_req_arm(&d->shadow);
	pthread_mutex_lock(&v->lock);
	d->next = v->live;
	v->live = d;
	pthread_mutex_unlock(&v->lock);
	v->t->in->submit(v->in_vm, &d->shadow);
	if (delay_us == 0 && !gate_is_closed() && vtee_req_is_done(&d->shadow)) {
		finish(d); /* done before the core even waits */
		return;
	}
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, waiter, d))
		waiter(d); /* no thread: hold the submitter (a test tool: an RPC would then wait forever) */
	pthread_attr_destroy(&attr);
}

static void d_cancel(void *vm, struct vtee_req *req)
{
	struct delay_vm *v = vm;
	pthread_mutex_lock(&v->lock);
	for (struct delay_req *d = v->live; d; d = d->next)
		if (d->real == req)
			v->t->in->cancel(v->in_vm, &d->shadow);
	pthread_mutex_unlock(&v->lock);
}

static int d_shm_register(void *vm, struct vtee_shm *shm)
{
	struct delay_vm *v = vm;
	return v->t->in->shm_register ? v->t->in->shm_register(v->in_vm, shm) : 0;
}

static void d_shm_unregister(void *vm, struct vtee_shm *shm)
{
	struct delay_vm *v = vm;
	if (v->t->in->shm_unregister)
		v->t->in->shm_unregister(v->in_vm, shm);
}

static long d_session_count(void *vm)
{
	struct delay_vm *v = vm;
	return v->t->in->vm_session_count ? v->t->in->vm_session_count(v->in_vm) : -ENOTSUP;
}

static const struct vtee_backend_ops delay_ops = {
	.name = "delay",
	.description = "test: another back-end with its completions delayed on purpose",
	.open = d_open,
	.close = d_close,
	.vm_created = d_vm_created,
	.vm_destroyed = d_vm_destroyed,
	.submit = d_submit,
	.cancel = d_cancel,
	.shm_register = d_shm_register,
	.shm_unregister = d_shm_unregister,
	.vm_session_count = d_session_count,
};

int conf_delay_open(const char *inner, const char *options, struct vtee_tee **out)
{
	static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
	const struct vtee_backend_ops *in = vtee_backend_find(inner);
	if (!in)
		return -ENOENT;
	pthread_mutex_lock(&open_lock);
	inner_ops = in;
	int r = vtee_tee_open_ops(&delay_ops, options, out);
	pthread_mutex_unlock(&open_lock);
	return r;
}
