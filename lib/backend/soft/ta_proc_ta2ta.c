// SPDX-License-Identifier: MIT
/*
 * What a TA instance asks of the TEE while a call runs (ta_proc.h): the REE
 * time (an RPC to the calling VM's kernel), the TA persistent time (kept
 * per VM and TA, since the instance may die: in the VM's store when it has
 * one, ta_storage.c), TA-to-TA sessions, and persistent objects (handed to
 * ta_storage_msg.c).
 *
 * A TA-to-TA session is opened in the caller's VM, as TEE_LOGIN_TRUSTED_APP
 * with the caller's UUID, to a TA in a process (the built-in C TAs are for
 * guests only). Its memrefs come inline in the request (the runtime's copies
 * of the caller's buffers); their total is bounded by the bulk area a callee
 * has, and the data length must match what the types and sizes announce.
 * The caller's instance names its sessions with small ids of its own; they
 * are closed when it dies or ends. Calls nest at most TA2TA_MAX_DEPTH deep;
 * a chain that comes back to an instance it is already in gets BUSY, as
 * OP-TEE answers instead of deadlocking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ta_proc.h"
#include "ta_storage.h"
#include "sync.h"

/* TA-to-TA sessions one instance may hold open. */
#define TA2TA_MAX_SESSIONS 64u

struct ta2ta_sess {
	struct ta2ta_sess *next;
	uint32_t id;
	struct ta_proc_session *s;
};

static int answer(struct ta_inst *in, const struct tap_answer *ans, const struct iovec *data, int n)
{
	return ta_call_send(in, TAP_MSG_ANSWER, ans, sizeof(*ans), data, n) ? -EPIPE : 0;
}

static int answer_ret(struct ta_inst *in, uint32_t ret, uint32_t origin)
{
	struct tap_answer a = { .ret = ret, .origin = origin };
	return answer(in, &a, NULL, 0);
}

static int req_ree_time(struct pwait *w, uint32_t len)
{
	if (len)
		return -EPROTO;
	struct tap_answer a = { .ret = TEE_ERROR_BAD_STATE, .origin = TEE_ORIGIN_TEE };
	struct ta_call *c = w->pc->c;
	uint32_t sec = 0, ns = 0;
	/* an RPC needs the guest's request, answered by its kernel: none for a VM being destroyed */
	if (c && c->req && !c->on_submitter)
		a.ret = ta_ree_time(c, &sec, &ns);
	a.p[0].a = sec;
	a.p[0].b = ns / 1000000u;
	return answer(w->in, &a, NULL, 0);
}

static int req_ptime(struct pwait *w, const struct tap_hdr *h)
{
	struct tap_answer a = { .ret = TEE_SUCCESS, .origin = TEE_ORIGIN_TEE };
	int r;
	if (h->type == TAP_MSG_PTIME_LOAD) {
		int64_t ms = 0;
		if (h->len)
			return -EPROTO;
		r = ta_st_ptime_load(w->in, &ms);
		if (r)
			a.ret = r == -ENOENT ? TEE_ERROR_TIME_NOT_SET : TEE_ERROR_STORAGE_NOT_AVAILABLE;
		a.p[0].a = (uint64_t)ms;
		return answer(w->in, &a, NULL, 0);
	}
	struct tap_param t;
	if (h->len != sizeof(t) || ta_call_recv(w, &t, sizeof(t)))
		return -EPROTO;
	r = ta_st_ptime_store(w->in, (int64_t)t.a);
	if (r == -ENOMEM)
		a.ret = TEE_ERROR_OUT_OF_MEMORY;
	else if (r == -ENOSPC || r == -EDQUOT)
		a.ret = TEE_ERROR_STORAGE_NO_SPACE;
	else if (r)
		a.ret = TEE_ERROR_STORAGE_NOT_AVAILABLE;
	return answer(w->in, &a, NULL, 0);
}

/* ---- TA-to-TA ---- */

static void free_bufs(struct pargs *a)
{
	for (int i = 0; i < 4; i++)
		free(a->p[i].buf);
}

int ta_req_drain(struct pwait *w, uint64_t n)
{
	uint8_t sink[256];
	while (n) {
		size_t k = n < sizeof(sink) ? (size_t)n : sizeof(sink);
		if (ta_call_recv(w, sink, k))
			return -EPIPE;
		n -= k;
	}
	return 0;
}

/* The request's parameters into a, checked: the input bytes they announce in *in_bytes. 0 or -EPROTO. */
static int check_params(const struct ta_inst *in, const struct tap_tareq *q, struct pargs *a, uint64_t *in_bytes)
{
	uint64_t all = 0;
	memset(a, 0, sizeof(*a));
	*in_bytes = 0;
	a->types = q->types;
	if (q->types >> 16)
		return -EPROTO;
	for (int i = 0; i < 4; i++) {
		uint32_t t = TA_PARAM_TYPE_GET(q->types, i);
		struct pparam *p = &a->p[i];
		p->type = t;
		if (vtee_param_is_value(t)) {
			p->a = (uint32_t)q->p[i].a;
			p->b = (uint32_t)q->p[i].b;
		} else if (vtee_param_is_memref(t)) {
			p->size = q->p[i].b;
			if (q->p[i].a == TAP_NULL_MEMREF)
				continue;
			if (p->size > in->bulk_size || (all += p->size) > in->bulk_size)
				return -EPROTO;
			if (vtee_param_is_input(t))
				*in_bytes += p->size;
		} else if (t != VTEE_PARAM_NONE) {
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * The request's parameters into a, with private buffers for its non-NULL
 * memrefs and its input data read into them. 0, -ENOMEM (the data was
 * skipped), or -EPROTO / -EPIPE (the instance broke a rule or is gone).
 */
static int read_params(struct pwait *w, const struct tap_tareq *q, uint32_t data_len, struct pargs *a)
{
	uint64_t in_bytes;
	if (check_params(w->in, q, a, &in_bytes) || in_bytes != data_len)
		return -EPROTO;
	for (int i = 0; i < 4; i++) {
		struct pparam *p = &a->p[i];
		if (!vtee_param_is_memref(p->type) || q->p[i].a == TAP_NULL_MEMREF)
			continue;
		/* a non-NULL buffer even for 0 bytes: NULL means a NULL memref */
		p->buf = calloc(1, p->size ? (size_t)p->size : 1);
		if (!p->buf)
			return ta_req_drain(w, data_len) ? -EPIPE : -ENOMEM;
	}
	for (int i = 0; i < 4; i++)
		if (a->p[i].buf && vtee_param_is_input(a->p[i].type) && ta_call_recv(w, a->p[i].buf, a->p[i].size))
			return -EPIPE;
	return 0;
}

/* The callee's outputs back to the calling instance: values and sizes, and the data that fitted. */
static int answer_call(struct ta_inst *in, struct tap_answer *ans, const struct pargs *a, const uint64_t given[4])
{
	struct iovec data[4];
	int n = 0;
	for (int i = 0; i < 4; i++) {
		const struct pparam *p = &a->p[i];
		if (!vtee_param_is_output(p->type))
			continue;
		if (vtee_param_is_value(p->type)) {
			ans->p[i].a = p->a;
			ans->p[i].b = p->b;
			continue;
		}
		ans->p[i].b = p->size;
		if (p->buf && p->size <= given[i] && p->size)
			data[n++] = (struct iovec){ p->buf, (size_t)p->size };
	}
	return answer(in, ans, data, n);
}

static struct ta2ta_sess **ta2ta_find(struct ta_inst *in, uint32_t id)
{
	struct ta2ta_sess **pp = &in->ta2ta;
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static unsigned ta2ta_count(const struct ta_inst *in)
{
	unsigned n = 0;
	for (const struct ta2ta_sess *t = in->ta2ta; t; t = t->next)
		n++;
	return n;
}

/* Record a session the instance opened: its id, or 0 when it may hold no more (the session is closed). */
static uint32_t ta2ta_add(struct pcall *pc, struct ta_inst *in, struct ta_proc_session *s)
{
	struct ta2ta_sess *t = malloc(sizeof(*t));
	pthread_mutex_lock(&pc->pv->lock);
	uint32_t id = 0;
	if (t && ta2ta_count(in) < TA2TA_MAX_SESSIONS) {
		do
			id = ++in->next_ta2ta;
		while (!id || *ta2ta_find(in, id));
		*t = (struct ta2ta_sess){ in->ta2ta, id, s };
		in->ta2ta = t;
	}
	pthread_mutex_unlock(&pc->pv->lock);
	if (!id) {
		free(t);
		ta_proc_close_as(pc, s);
	}
	return id;
}

/* The session the instance calls id (removed from its table when take), or NULL. */
static struct ta_proc_session *ta2ta_get(struct pcall *pc, struct ta_inst *in, uint32_t id, bool take)
{
	pthread_mutex_lock(&pc->pv->lock);
	struct ta2ta_sess **pp = ta2ta_find(in, id), *t = *pp;
	struct ta_proc_session *s = t ? t->s : NULL;
	if (t && take) {
		*pp = t->next;
		free(t);
	}
	pthread_mutex_unlock(&pc->pv->lock);
	return s;
}

void ta2ta_close_all(struct pcall *pc, struct ta_inst *in)
{
	for (;;) {
		pthread_mutex_lock(&pc->pv->lock);
		struct ta2ta_sess *t = in->ta2ta;
		if (t)
			in->ta2ta = t->next;
		pthread_mutex_unlock(&pc->pv->lock);
		if (!t)
			return;
		ta_proc_close_as(pc, t->s);
		free(t);
	}
}

/* Open, invoke or close for the instance, on this thread, one level deeper in the chain. */
static void run_ta2ta(struct pwait *w, const struct tap_hdr *h, const struct tap_tareq *q, struct pargs *a,
		      struct tap_answer *ans)
{
	struct ta_inst *in = w->in;
	struct pcall pc = *w->pc;
	pc.chain = w->pc->chain ? w->pc->chain : w->pc;
	pc.depth++;
	ans->origin = TEE_ORIGIN_TEE;
	if (pc.depth > TA2TA_MAX_DEPTH && h->type != TAP_MSG_TA_CLOSE) {
		ans->ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	if (q->cancel_timeout != TA_TIMEOUT_INFINITE)
		a->deadline_ns = vtee_now_ns() + (uint64_t)q->cancel_timeout * 1000000ull;
	if (h->type == TAP_MSG_TA_OPEN) {
		struct vtee_client client = { .vm_id = pc.pv->vm_id, .login = TEE_LOGIN_TRUSTED_APP, .uuid = in->uuid };
		struct vtee_uuid dest;
		struct ta_proc_session *s;
		memcpy(dest.b, q->uuid, sizeof(dest.b));
		ta_proc_open_as(&pc, &dest, &client, a, &s, &ans->ret, &ans->origin);
		if (ans->ret == TEE_SUCCESS && !(ans->session = ta2ta_add(&pc, in, s)))
			ans->ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	struct ta_proc_session *s = ta2ta_get(&pc, in, q->session, h->type == TAP_MSG_TA_CLOSE);
	if (!s) {
		ans->ret = TEE_ERROR_BAD_PARAMETERS;
	} else if (h->type == TAP_MSG_TA_CLOSE) {
		ta_proc_close_as(&pc, s);
		ans->ret = TEE_SUCCESS;
	} else {
		ta_proc_invoke_as(&pc, s, q->cmd, a, &ans->ret, &ans->origin);
	}
}

static int req_ta(struct pwait *w, const struct tap_hdr *h)
{
	struct tap_tareq q;
	struct pargs a;
	if (h->len < sizeof(q) || ta_call_recv(w, &q, sizeof(q)))
		return -EPROTO;
	if (h->type == TAP_MSG_TA_CLOSE)
		q.types = 0;
	int r = read_params(w, &q, h->len - (uint32_t)sizeof(q), &a);
	if (r) {
		free_bufs(&a);
		return r == -ENOMEM ? answer_ret(w->in, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE) : r;
	}
	uint64_t given[4];
	for (int i = 0; i < 4; i++)
		given[i] = a.p[i].size;
	struct tap_answer ans = { 0 };
	run_ta2ta(w, h, &q, &a, &ans);
	r = answer_call(w->in, &ans, &a, given);
	free_bufs(&a);
	return r;
}

int ta_request(struct pwait *w, const struct tap_hdr *h)
{
	switch (h->type) {
	case TAP_MSG_REE_TIME:
		return req_ree_time(w, h->len);
	case TAP_MSG_PTIME_LOAD:
	case TAP_MSG_PTIME_STORE:
		return req_ptime(w, h);
	case TAP_MSG_TA_OPEN:
	case TAP_MSG_TA_INVOKE:
	case TAP_MSG_TA_CLOSE:
		return req_ta(w, h);
	default:
		if (h->type >= TAP_MSG_ST_OPEN && h->type <= TAP_MSG_ST_STAGE)
			return ta_st_request(w, h);
		return -EPROTO;
	}
}
