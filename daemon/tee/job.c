// SPDX-License-Identifier: MIT
/*
 * A request on the back-end (a job), from submit() to its answer: run by the
 * reader when the back-end finishes it inside submit(), else handed to one of
 * the connection's handler threads, which forwards its RPCs to the mediator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tee.h"

#define MMAP_THRESHOLD (64u << 10)
#define HANDLER_STACK (512u << 10)

static void buf_free(void *p, size_t alloc)
{
	if (!p)
		return;
	if (alloc >= MMAP_THRESHOLD)
		munmap(p, alloc);
	else
		free(p);
}

/* Zeroed and page-aligned: nothing of this process's memory can travel back in an output. */
int buf_alloc(uint64_t size, void **out, size_t *alloc)
{
	size_t n = (size_t)((size + 4095) & ~4095ull);
	if (!n)
		n = 4096;
	void *p;
	if (n >= MMAP_THRESHOLD) {
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
	} else {
		if (!(p = aligned_alloc(4096, n)))
			return -ENOMEM;
		memset(p, 0, n);
	}
	*out = p;
	*alloc = n;
	return 0;
}

static void job_free(struct job *j)
{
	for (unsigned i = 0; i < TL_MAX_PARAMS; i++) {
		vtee_host_shm_free(j->shm[i]);
		buf_free(j->buf[i], j->buf_alloc[i]);
	}
	free(j);
}

void job_end(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;
	pthread_mutex_lock(&v->lock);
	idmap_del(&c->jobs, j->tag);
	c->njobs--;
	if (j->vprev)
		j->vprev->vnext = j->vnext;
	else
		v->jobs = j->vnext;
	if (j->vnext)
		j->vnext->vprev = j->vprev;
	v->busy--;
	v->buf_bytes -= j->charged;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	job_free(j);
}

/* The RPC as a link message: value parameters only, by contract (else -EINVAL). */
static int rpc_to_wire(const struct vtee_rpc *rpc, struct tl_rpc *w)
{
	memset(w, 0, sizeof(*w));
	if (rpc->num_params > VTEE_RPC_MAX_PARAMS)
		return -EINVAL;
	w->cmd = tl_le32(rpc->cmd);
	w->num_params = tl_le32(rpc->num_params);
	for (uint32_t i = 0; i < rpc->num_params; i++) {
		const struct vtee_param *p = &rpc->params[i];
		if (p->type != VTEE_PARAM_NONE && !vtee_param_is_value(p->type))
			return -EINVAL;
		w->params[i].type = tl_le32(p->type);
		if (vtee_param_is_value(p->type)) {
			w->params[i].a = tl_le64(p->u.value.a);
			w->params[i].b = tl_le64(p->u.value.b);
			w->params[i].c = tl_le64(p->u.value.c);
		}
	}
	return 0;
}

/* The back-end asked its caller's normal world (req.rpc): forward it and wait for the mediator. */
static void forward_rpc(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;
	struct vtee_rpc *rpc = j->req.rpc;
	struct tl_rpc w;
	int bad = rpc_to_wire(rpc, &w);

	pthread_mutex_lock(&v->lock);
	if (bad || atomic_load(&c->dead) || v->dying) {
		pthread_mutex_unlock(&v->lock);
		rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(&j->req);
		return;
	}
	j->rpc_state = RPC_WAIT; /* before it goes out: the answer may come back at once */
	pthread_mutex_unlock(&v->lock);

	conn_send(c, TL_RPC, j->tag, &w, sizeof(w));

	pthread_mutex_lock(&v->lock);
	while (j->rpc_state == RPC_WAIT && !atomic_load(&c->dead) && !v->dying)
		pthread_cond_wait(&v->cond, &v->lock);
	if (j->rpc_state == RPC_ANSWERED) {
		rpc->ret = j->answer.ret;
		rpc->num_params = j->answer.num_params;
		memcpy(rpc->params, j->answer.params, sizeof(rpc->params));
	} else {
		rpc->ret = TEE_ERROR_COMMUNICATION;
	}
	j->rpc_state = RPC_NONE;
	pthread_mutex_unlock(&v->lock);
	vtee_req_rpc_answer(&j->req);
}

static void send_resp(struct job *j, uint64_t session)
{
	struct tl_resp r;
	struct piece pc[1 + TL_MAX_PARAMS];
	unsigned npc = 1;
	memset(&r, 0, sizeof(r));
	r.ret = tl_le32(j->req.ret);
	r.ret_origin = tl_le32(j->req.ret_origin);
	r.session = tl_le64(session);
	r.num_params = tl_le32(j->np);
	pc[0] = (struct piece){ &r, sizeof(r) };
	for (uint32_t i = 0; i < j->np; i++) {
		const struct vtee_param *p = &j->req.params[i];
		struct tl_param *w = &r.params[i];
		w->type = tl_le32(p->type);
		if (vtee_param_is_value(p->type)) {
			w->a = tl_le64(p->u.value.a);
			w->b = tl_le64(p->u.value.b);
			w->c = tl_le64(p->u.value.c);
		} else if (vtee_param_is_memref(p->type)) {
			uint64_t size_out = p->u.memref.size;
			uint32_t flags = j->null[i] ? TL_PARAM_NULL : 0;
			w->a = tl_le64(size_out);
			if (j->shm[i] && vtee_param_is_output(p->type) && size_out <= j->size_in[i] && size_out) {
				flags |= TL_PARAM_DATA;
				pc[npc++] = (struct piece){ j->buf[i], (size_t)size_out };
			}
			w->flags = tl_le32(flags);
		}
	}
	conn_sendv(j->c, TL_RESP, j->tag, pc, npc);
}

/*
 * A successful OPEN: its session goes into the VM's table, delivered only to
 * the VM's current mediator (anyone else's OPEN would leave an orphan, closed
 * here). The handle, or 0 (then ret says why, if it goes out at all).
 */
static uint64_t record_open(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;
	uint64_t handle = 0;
	struct tsess *s = malloc(sizeof(*s));
	pthread_mutex_lock(&v->lock);
	bool deliver = !atomic_load(&c->dead) && v->owner == c && !v->dying;
	if (deliver && s) {
		s->be = j->req.session;
		s->gen = c->gen;
		handle = ++v->next_handle;
		if (idmap_put(&v->sess, handle, s))
			handle = 0;
	}
	pthread_mutex_unlock(&v->lock);
	if (handle)
		return handle;
	free(s);
	close_sync(v, j->req.session);
	if (deliver) {
		j->req.ret = TEE_ERROR_OUT_OF_MEMORY;
		j->req.ret_origin = TEE_ORIGIN_TEE;
	} else {
		tee_log(v->name, "conn %u: OPEN finished after its mediator left: orphan session closed", c->id);
	}
	return 0;
}

/*
 * The request is over (the back-end finished it, or it never ran: ret says
 * why): record what it changed, answer it, end it. The one way out for every
 * request the reader accepted, on whichever thread finished it.
 */
static void job_finish(struct job *j)
{
	struct tvm *v = j->vm;
	uint64_t handle = 0;
	if (j->req.op == VTEE_REQ_OPEN && j->req.ret == TEE_SUCCESS) {
		handle = record_open(j);
	} else if (j->req.op == VTEE_REQ_CLOSE && j->req.ret == TEE_SUCCESS) {
		pthread_mutex_lock(&v->lock);
		free(idmap_del(&v->sess, j->handle));
		pthread_mutex_unlock(&v->lock);
	}
	send_resp(j, handle);
	job_end(j);
}

void job_fail(struct job *j, uint32_t ret)
{
	j->req.ret = ret;
	j->req.ret_origin = TEE_ORIGIN_TEE;
	job_finish(j);
}

/* A handler thread: wait for the submitted request, forwarding its RPCs to the mediator. */
static void handler_run(void *ctx, struct vtee_pool_item *item)
{
	(void)ctx;
	struct job *j = vtee_container_of(item, struct job, item);
	while (vtee_req_wait_event(&j->req, UINT64_MAX) == VTEE_WAIT_RPC)
		forward_rpc(j);
}

/* Then, with the thread back in the pool (the mediator's next request finds it idle): answer, end. */
static void handler_done(void *ctx, struct vtee_pool_item *item)
{
	(void)ctx;
	job_finish(vtee_container_of(item, struct job, item));
}

/*
 * One handler per request in flight, at most TL_MAX_INFLIGHT; they sleep at
 * once when idle (a TA call takes long enough that spinning buys nothing).
 */
void job_pool_init(struct conn *c)
{
	struct vtee_pool_config cfg = {
		.max_threads = TL_MAX_INFLIGHT,
		.stack_size = HANDLER_STACK,
		.run = handler_run,
		.done = handler_done,
	};
	vtee_pool_init(&c->pool, &cfg);
}

/* --policy: the tenant's rules hold here, whatever its mediator allowed. TEE_SUCCESS or why not. */
static uint32_t policy_verdict(const struct job *j)
{
	if (!srv.have_policy || j->req.op != VTEE_REQ_OPEN)
		return TEE_SUCCESS;
	if (!vteed_policy_ta_allowed(&srv.policy, &j->req.ta))
		return TEE_ERROR_ACCESS_DENIED;
	long n = srv.ops->vm_session_count ? srv.ops->vm_session_count(j->vm->be) : 0;
	if (srv.policy.quota.max_sessions && n >= (long)srv.policy.quota.max_sessions)
		return TEE_ERROR_OUT_OF_MEMORY;
	return TEE_SUCCESS;
}

/*
 * No handler thread exists and none could be made. The reader must not wait
 * for RPC answers (it is the one who would read them): stop the call, fail
 * its RPCs, answer what it came to.
 */
static void job_abandon(struct job *j)
{
	struct tvm *v = j->vm;
	pthread_mutex_lock(&v->lock);
	srv.ops->cancel(v->be, &j->req);
	pthread_mutex_unlock(&v->lock);
	while (vtee_req_wait_event(&j->req, UINT64_MAX) == VTEE_WAIT_RPC) {
		j->req.rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(&j->req);
	}
	job_finish(j);
}

/*
 * The reader: run a request on the back-end. A quick call (the soft TEE runs
 * it inline, inside submit()) is answered right here, with no hand-off; any
 * other goes to a handler thread, already submitted, which waits for it.
 */
void job_start(struct job *j)
{
	struct tvm *v = j->vm;
	uint32_t verdict = policy_verdict(j);
	if (verdict != TEE_SUCCESS) {
		job_fail(j, verdict);
		return;
	}
	pthread_mutex_lock(&v->lock);
	bool dying = v->dying;
	if (!dying)
		j->submitted = true;
	pthread_mutex_unlock(&v->lock);
	if (dying) {
		job_fail(j, TEE_ERROR_TARGET_DEAD);
		return;
	}

	vtee_req_arm(&j->req);
	srv.ops->submit(v->be, &j->req);
	/* a cancel that came before submit() (the VM is being destroyed) is not lost */
	pthread_mutex_lock(&v->lock);
	if (j->cancel_pending || v->dying)
		srv.ops->cancel(v->be, &j->req);
	pthread_mutex_unlock(&v->lock);

	if (vtee_req_is_done(&j->req))
		job_finish(j);
	else if (vtee_pool_submit(&j->c->pool, &j->item))
		job_abandon(j); /* no handler thread exists and none could be made */
}
