// SPDX-License-Identifier: MIT
/*
 * What each link message does (docs/tee-link.md), on the connection's reader
 * thread: checked in full before anything acts on it; a malformed one drops
 * the connection (drop() says why).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee.h"

/* Host buffers one VM's requests may hold at once (the soft TEE bounds its own copies too). */
#define VM_BUF_MAX (2 * TL_MAX_MEMREF)

int drop(struct drop *d, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->code = code;
	return -EPROTO;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int on_hello(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_hello w;
	if (h->length != sizeof(w) || h->version != TL_VERSION_BASE)
		return drop(d, EBADMSG, "malformed HELLO");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	uint16_t lo = tl_h16(w.version_min), hi = tl_h16(w.version_max);
	struct tl_welcome ans = { .max_inflight = tl_le32(TL_MAX_INFLIGHT), .max_payload = tl_le64(TL_MAX_PAYLOAD) };
	uint16_t v = hi < TL_VERSION_MAX ? hi : TL_VERSION_MAX;
	bool common = lo <= hi && v >= lo && v >= TL_VERSION_MIN && !w.reserved;
	ans.version = tl_le16(common ? v : 0);
	conn_send(c, TL_WELCOME, h->tag, &ans, sizeof(ans));
	if (!common)
		return drop(d, EPROTONOSUPPORT, "no common protocol version (mediator %u..%u, TEE %u..%u)",
			    lo, hi, TL_VERSION_MIN, TL_VERSION_MAX);
	c->version = v;
	return 0;
}

/* ---- ATTACH ---- */

static int attach_read(struct conn *c, const struct tl_hdr *h, struct tl_attach *w, struct drop *d)
{
	if (h->length != sizeof(*w))
		return drop(d, EBADMSG, "malformed ATTACH");
	int r = tl_rb_read(&c->rb, w, sizeof(*w), NULL);
	if (r)
		return r;
	uint32_t vm_id = tl_h32(w->vm_id), flags = tl_h32(w->flags);
	size_t nl = strnlen(w->name, sizeof(w->name));
	bool name_ok = nl > 0 && nl < sizeof(w->name) && all_zero(w->name + nl, sizeof(w->name) - nl);
	for (size_t i = 0; name_ok && i < nl; i++)
		name_ok = w->name[i] >= 0x20 && w->name[i] < 0x7f;
	if (!vm_id || (flags & ~TL_ATTACH_RESUME) || !name_ok)
		return drop(d, EINVAL, "bad ATTACH (vm_id %u, flags %#x, name %s)", vm_id, flags,
			    name_ok ? "ok" : "not printable/terminated");
	if (c->vm)
		return drop(d, EISCONN, "ATTACH while attached to vm %u", c->vm->vm_id);
	if (c->bound_vm && vm_id != c->bound_vm)
		return drop(d, EACCES, "ATTACH of vm %u on a connection the supervisor bound to vm %u", vm_id,
			    c->bound_vm);
	return 0;
}

/* ATTACHED with a refusal (a positive errno); the connection goes on. */
static int attach_refuse(struct conn *c, uint64_t tag, int status)
{
	struct tl_attached ans = { .status = (int32_t)tl_le32((uint32_t)status) };
	conn_send(c, TL_ATTACHED, tag, &ans, sizeof(ans));
	return 0;
}

/*
 * The VM this ATTACH finds (referenced), or NULL. Without RESUME, state left
 * for that id is taken out of the table into *stale, to be destroyed.
 * -ESHUTDOWN when exiting.
 */
static int attach_lookup(uint32_t vm_id, bool resume, struct tvm **found, struct tvm **stale)
{
	*found = *stale = NULL;
	pthread_mutex_lock(&srv.lock);
	if (srv.exiting) {
		pthread_mutex_unlock(&srv.lock);
		return -ESHUTDOWN;
	}
	struct tvm *v = vm_find(vm_id);
	if (v && !resume) {
		vm_unlink(v);
		*stale = v;
	} else if (v) {
		v->refs++;
		*found = v;
	}
	pthread_mutex_unlock(&srv.lock);
	return 0;
}

static void destroy_stale(struct conn *c, struct tvm *old, const char *name)
{
	pthread_mutex_lock(&old->lock);
	if (old->owner && old->owner != c)
		conn_kick(old->owner);
	pthread_mutex_unlock(&old->lock);
	uint32_t vm_id = old->vm_id;
	uint32_t closed = vm_destroy(old); /* old is gone now */
	tee_log(name, "conn %u: new VM %u: the TEE still had state for this id: destroyed (%u sessions closed)",
		c->id, vm_id, closed);
}

/* c serves v from now on (one mediator per VM: the newest wins). -EAGAIN if v is dying. */
static int attach_claim(struct conn *c, struct tvm *v, const char *name, struct conn **prev, uint32_t *sessions)
{
	pthread_mutex_lock(&v->lock);
	bool dying = v->dying;
	*prev = v->owner;
	if (!dying) {
		if (*prev && *prev != c)
			conn_kick(*prev);
		v->owner = c;
	}
	*sessions = (uint32_t)v->sess.count;
	pthread_mutex_unlock(&v->lock);
	if (dying) {
		vm_put(v);
		return -EAGAIN;
	}
	pthread_mutex_lock(&srv.lock);
	c->gen = ++srv.next_gen;
	snprintf(c->label, sizeof(c->label), "%s", name);
	pthread_mutex_unlock(&srv.lock);
	c->vm = v;
	c->imported = 0;
	return 0;
}

static int on_attach(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_attach w;
	int r = attach_read(c, h, &w, d);
	if (r)
		return r;
	uint32_t vm_id = tl_h32(w.vm_id);
	bool resume = tl_h32(w.flags) & TL_ATTACH_RESUME;
	struct tvm *v, *old;
	if (attach_lookup(vm_id, resume, &v, &old))
		return attach_refuse(c, h->tag, ESHUTDOWN);
	if (old)
		destroy_stale(c, old, w.name);
	bool resumed = v != NULL;
	if (!v) {
		int e = vm_create(vm_id, w.name, &v);
		if (e) {
			tee_log(w.name, "conn %u: the back-end refused vm %u: %s", c->id, vm_id, strerror(-e));
			return attach_refuse(c, h->tag, e < 0 ? -e : EIO);
		}
		if (vm_insert(v))
			return attach_refuse(c, h->tag, EBUSY); /* another connection made it at the same instant */
	}
	struct conn *prev;
	uint32_t sessions;
	if (attach_claim(c, v, w.name, &prev, &sessions))
		return attach_refuse(c, h->tag, EAGAIN);
	if (prev && prev != c)
		tee_log(v->name, "conn %u: vm %u taken over from conn %u, which was still connected", c->id, vm_id,
			prev->id);
	if (!resume)
		tee_log(v->name, "conn %u: attached, new vm %u", c->id, vm_id);
	else if (resumed)
		tee_log(v->name, "conn %u: resumed vm %u: %u sessions kept until RESTORED", c->id, vm_id, sessions);
	else
		tee_log(v->name, "conn %u: resume asked, but no state for vm %u: new VM", c->id, vm_id);
	struct tl_attached ans = { .flags = tl_le32(resumed ? TL_ATTACHED_RESUMED : 0),
				   .sessions = tl_le32(sessions) };
	conn_send(c, TL_ATTACHED, h->tag, &ans, sizeof(ans));
	return 0;
}

static int on_detach(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (h->length)
		return drop(d, EBADMSG, "malformed DETACH_DESTROY");
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "DETACH_DESTROY before ATTACH");
	uint32_t id = v->vm_id;
	uint32_t closed = vm_remove(v);
	c->vm = NULL;
	vm_put(v);
	tee_log(c->label, "conn %u: detached: vm %u destroyed, %u sessions closed", c->id, id, closed);
	struct tl_detached ans = { .closed = tl_le32(closed) };
	conn_send(c, TL_DETACHED, h->tag, &ans, sizeof(ans));
	return 0;
}

/* ---- REQ ---- */

/* A REQ's fixed part, checked: what it asks and how much data comes with it. */
struct req_shape {
	uint32_t op, np;
	uint64_t session;
	uint64_t size[TL_MAX_PARAMS];
	bool null[TL_MAX_PARAMS];
	uint64_t inline_bytes; /* input memref data following the structure */
	uint64_t all;          /* every memref's bytes: the host buffers it needs */
};

static bool param_is_valid(const struct tl_param *p, uint64_t *size, bool *null)
{
	uint32_t type = tl_h32(p->type), flags = tl_h32(p->flags);
	*size = 0;
	*null = false;
	if (type == VTEE_PARAM_NONE)
		return all_zero(p, sizeof(*p));
	if (vtee_param_is_value(type))
		return flags == 0;
	if (!vtee_param_is_memref(type) || (flags & ~TL_PARAM_NULL) || p->b || p->c)
		return false;
	*null = flags & TL_PARAM_NULL;
	*size = tl_h64(p->a);
	return *null || *size <= TL_MAX_MEMREF;
}

static int req_read(struct conn *c, const struct tl_hdr *h, struct tl_req *w, struct req_shape *s, struct drop *d)
{
	if (h->length < sizeof(*w))
		return drop(d, EBADMSG, "REQ shorter than its structure");
	int r = tl_rb_read(&c->rb, w, sizeof(*w), NULL);
	if (r)
		return r;
	*s = (struct req_shape){ .op = tl_h32(w->op), .np = tl_h32(w->num_params), .session = tl_h64(w->session) };
	if (s->op > TL_OP_CLOSE || s->np > TL_MAX_PARAMS || (s->op == TL_OP_CLOSE && s->np) ||
	    (s->op == TL_OP_OPEN) != (s->session == 0))
		return drop(d, EBADMSG, "bad REQ (op %u, %u params, session %llu)", s->op, s->np,
			    (unsigned long long)s->session);
	for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
		if (i >= s->np ? !all_zero(&w->params[i], sizeof(w->params[i]))
			       : !param_is_valid(&w->params[i], &s->size[i], &s->null[i]))
			return drop(d, EBADMSG, "bad REQ parameter %u", i);
		if (i >= s->np || s->null[i])
			continue;
		s->all += s->size[i];
		if (vtee_param_is_input(tl_h32(w->params[i].type)))
			s->inline_bytes += s->size[i];
	}
	if (s->all > TL_MAX_MEMREF)
		return drop(d, E2BIG, "REQ memrefs total %llu bytes, more than %llu", (unsigned long long)s->all,
			    (unsigned long long)TL_MAX_MEMREF);
	if (h->length != sizeof(*w) + s->inline_bytes)
		return drop(d, EBADMSG, "REQ length %u, its memrefs need %llu", h->length,
			    (unsigned long long)(sizeof(*w) + s->inline_bytes));
	if (!c->vm)
		return drop(d, ENOTCONN, "REQ before ATTACH");
	if (!h->tag)
		return drop(d, EBADMSG, "REQ with tag 0");
	return 0;
}

/*
 * Admit the request into its VM: the job in every table, its budget charged
 * (*early = 0); or *early = the TEE result that refuses it (answered without
 * running). 0, or -EBADMSG when its tag is already in flight (a protocol
 * error).
 */
static int req_admit(struct conn *c, uint64_t tag, const struct req_shape *s, struct job *j, uint32_t *early_ret)
{
	struct tvm *v = c->vm;
	uint32_t early = j ? 0 : TEE_ERROR_OUT_OF_MEMORY;
	bool dup = false;
	pthread_mutex_lock(&v->lock);
	if (j && idmap_get(&c->jobs, tag)) {
		dup = true;
	} else if (!early && v->dying) {
		early = TEE_ERROR_TARGET_DEAD;
	} else if (!early && c->njobs >= TL_MAX_INFLIGHT) {
		early = TEE_ERROR_BUSY;
	} else if (!early && s->op != TL_OP_OPEN) {
		struct tsess *ts = idmap_get(&v->sess, s->session);
		/* a session this mediator opened or imported; anything else is not its to use */
		if (!ts || ts->gen != c->gen)
			early = TEE_ERROR_BAD_PARAMETERS;
		else
			j->req.session = ts->be;
	}
	if (!early && !dup) {
		if (s->all > VM_BUF_MAX - v->buf_bytes || idmap_put(&c->jobs, tag, j))
			early = TEE_ERROR_OUT_OF_MEMORY;
	}
	if (!early && !dup) {
		j->c = c;
		j->vm = v;
		j->tag = tag;
		j->charged = s->all;
		v->buf_bytes += s->all;
		c->njobs++;
		v->busy++;
		j->vnext = v->jobs;
		if (v->jobs)
			v->jobs->vprev = j;
		v->jobs = j;
	}
	pthread_mutex_unlock(&v->lock);
	*early_ret = early;
	return dup ? -EBADMSG : 0;
}

/* A RESP for a request that never ran: no data, sizes as sent. */
static void send_early_resp(struct conn *c, uint64_t tag, const struct tl_req *w, uint32_t ret)
{
	struct tl_resp r;
	memset(&r, 0, sizeof(r));
	r.ret = tl_le32(ret);
	r.ret_origin = tl_le32(TEE_ORIGIN_TEE);
	r.num_params = tl_le32(tl_h32(w->op) == TL_OP_CLOSE ? 0 : tl_h32(w->num_params));
	for (uint32_t i = 0; i < tl_h32(r.num_params); i++) {
		r.params[i] = w->params[i];
		r.params[i].flags &= tl_le32(TL_PARAM_NULL);
	}
	conn_send(c, TL_RESP, tag, &r, sizeof(r));
}

/* A zeroed host buffer for memref i, wrapped as a struct vtee_shm: 0, or -ENOMEM. */
static int memref_buffer(struct job *j, uint32_t i, uint64_t size)
{
	int err = buf_alloc(size, &j->buf[i], &j->buf_alloc[i]);
	return err ? err : vtee_host_shm_new(j->buf[i], size, &j->shm[i]);
}

/* Whether a non-NULL memref went without a host buffer (the request then fails). */
static bool job_lacks_buffer(const struct job *j)
{
	for (uint32_t i = 0; i < j->np; i++)
		if (vtee_param_is_memref(j->req.params[i].type) && !j->null[i] && !j->shm[i])
			return true;
	return false;
}

/*
 * The request as the back-end sees it: identity is the VM's, never the
 * mediator's claim; each memref in a host buffer of its own, the input data
 * read into it. Once a buffer could not be had, the rest of the data is
 * skipped (job_lacks_buffer() then tells). 0, or the stream's -errno.
 */
static int req_fill(struct job *j, const struct tl_req *w, const struct req_shape *s)
{
	struct conn *c = j->c;
	j->np = s->np;
	j->handle = s->session;
	j->req.op = s->op == TL_OP_OPEN ? VTEE_REQ_OPEN : s->op == TL_OP_INVOKE ? VTEE_REQ_INVOKE : VTEE_REQ_CLOSE;
	j->req.client.vm_id = j->vm->vm_id;
	j->req.client.login = tl_h32(w->login);
	memcpy(j->req.client.uuid.b, w->client_uuid, 16);
	memcpy(j->req.ta.b, w->ta_uuid, 16);
	j->req.func = tl_h32(w->func);
	j->req.num_params = s->np;
	int nomem = 0, r = 0;
	for (uint32_t i = 0; i < s->np && !r; i++) {
		struct vtee_param *p = &j->req.params[i];
		const struct tl_param *wp = &w->params[i];
		p->type = tl_h32(wp->type);
		if (vtee_param_is_value(p->type)) {
			p->u.value.a = tl_h64(wp->a);
			p->u.value.b = tl_h64(wp->b);
			p->u.value.c = tl_h64(wp->c);
			continue;
		}
		if (!vtee_param_is_memref(p->type))
			continue;
		p->u.memref.size = j->size_in[i] = s->size[i];
		j->null[i] = s->null[i];
		if (s->null[i])
			continue;
		if (!nomem)
			nomem = memref_buffer(j, i, s->size[i]);
		p->u.memref.shm = j->shm[i];
		if (vtee_param_is_input(p->type))
			r = nomem ? tl_rb_skip(&c->rb, s->size[i])
				  : tl_rb_read(&c->rb, j->buf[i], (size_t)s->size[i], NULL);
	}
	return r;
}

/* No host buffer for a memref: fail the request, no DATA (the shm of a failed param is NULL), sizes as sent. */
static void req_fail_nomem(struct job *j)
{
	for (uint32_t i = 0; i < j->np; i++)
		if (vtee_param_is_memref(j->req.params[i].type))
			j->req.params[i].u.memref.size = j->size_in[i];
	for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
		vtee_host_shm_free(j->shm[i]);
		j->shm[i] = NULL;
	}
	job_fail(j, TEE_ERROR_OUT_OF_MEMORY);
}

static int on_req(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_req w;
	struct req_shape s = { 0 }; /* gcc -O3 cannot see req_shape() fills it before use */
	int r = req_read(c, h, &w, &s, d);
	if (r)
		return r;
	struct job *j = calloc(1, sizeof(*j));
	uint32_t early;
	if (req_admit(c, h->tag, &s, j, &early)) {
		free(j);
		return drop(d, EBADMSG, "REQ tag %llu already in flight", (unsigned long long)h->tag);
	}
	if (early) {
		free(j);
		r = tl_rb_skip(&c->rb, s.inline_bytes);
		if (!r)
			send_early_resp(c, h->tag, &w, early);
		return r;
	}
	r = req_fill(j, &w, &s);
	if (r)
		job_end(j); /* the connection is going: nobody to answer */
	else if (job_lacks_buffer(j))
		req_fail_nomem(j);
	else
		job_start(j);
	return r;
}

/* ---- the others ---- */

static int on_cancel(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (h->length)
		return drop(d, EBADMSG, "malformed CANCEL");
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "CANCEL before ATTACH");
	pthread_mutex_lock(&v->lock);
	struct job *j = idmap_get(&c->jobs, h->tag);
	if (j) {
		/* the handler looks again right after submit(): a cancel racing with it is not lost */
		j->cancel_pending = true;
		if (j->submitted)
			srv.ops->cancel(v->be, &j->req);
	}
	pthread_mutex_unlock(&v->lock);
	return 0; /* a CANCEL that crossed the answer names nothing: fine */
}

/* An RPC answer's parameters: values only, unused ones zero. */
static bool rpc_answer_is_valid(const struct tl_rpc *w, struct vtee_rpc *a)
{
	*a = (struct vtee_rpc){ .cmd = tl_h32(w->cmd), .num_params = tl_h32(w->num_params), .ret = tl_h32(w->ret) };
	bool ok = a->num_params <= TL_MAX_PARAMS && !w->reserved;
	for (uint32_t i = 0; ok && i < TL_MAX_PARAMS; i++) {
		const struct tl_param *p = &w->params[i];
		uint32_t type = tl_h32(p->type);
		if (i >= a->num_params) {
			ok = all_zero(p, sizeof(*p));
			continue;
		}
		ok = (type == VTEE_PARAM_NONE || vtee_param_is_value(type)) && !p->flags;
		a->params[i].type = type;
		a->params[i].u.value.a = tl_h64(p->a);
		a->params[i].u.value.b = tl_h64(p->b);
		a->params[i].u.value.c = tl_h64(p->c);
	}
	return ok;
}

static int on_rpc_answer(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_rpc w;
	if (h->length != sizeof(w))
		return drop(d, EBADMSG, "malformed RPC_ANSWER");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	struct vtee_rpc a;
	if (!rpc_answer_is_valid(&w, &a))
		return drop(d, EBADMSG, "bad RPC_ANSWER parameters");
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "RPC_ANSWER before ATTACH");
	pthread_mutex_lock(&v->lock);
	struct job *j = idmap_get(&c->jobs, h->tag);
	bool asked = j && j->rpc_state == RPC_WAIT;
	if (asked) {
		j->answer = a;
		j->rpc_state = RPC_ANSWERED;
		pthread_cond_broadcast(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
	if (!asked)
		return drop(d, EBADMSG, "RPC_ANSWER for tag %llu, which asked nothing", (unsigned long long)h->tag);
	return 0;
}

static int on_import(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_import w;
	if (h->length != sizeof(w))
		return drop(d, EBADMSG, "malformed IMPORT");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "IMPORT before ATTACH");
	uint64_t handle = tl_h64(w.handle);
	pthread_mutex_lock(&v->lock);
	struct tsess *s = handle ? idmap_get(&v->sess, handle) : NULL;
	bool ok = s && !v->dying;
	if (ok)
		s->gen = c->gen;
	pthread_mutex_unlock(&v->lock);
	if (ok)
		c->imported++;
	struct tl_imported ans = { .ok = tl_le32(ok ? 1 : 0) };
	conn_send(c, TL_IMPORTED, h->tag, &ans, sizeof(ans));
	return 0;
}

static int on_restored(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (h->length)
		return drop(d, EBADMSG, "malformed RESTORED");
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "RESTORED before ATTACH");
	uint32_t closed = 0, left = 0;
	if (!vm_use_begin(v)) {
		/* every session this mediator neither opened nor imported: nobody can reach it any more */
		closed = vm_close_orphans(v, c->gen);
		pthread_mutex_lock(&v->lock);
		left = (uint32_t)v->sess.count;
		pthread_mutex_unlock(&v->lock);
		vm_use_end(v);
	}
	tee_log(v->name, "conn %u: restored: %u sessions imported, %u orphans closed, %u open", c->id, c->imported,
		closed, left);
	struct tl_restored_ack ans = { .closed = tl_le32(closed), .sessions = tl_le32(left) };
	conn_send(c, TL_RESTORED_ACK, h->tag, &ans, sizeof(ans));
	return 0;
}

static int on_stats(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (h->length)
		return drop(d, EBADMSG, "malformed STATS");
	struct tl_stats ans = { 0 };
	struct tvm *v = c->vm;
	if (v) {
		pthread_mutex_lock(&v->lock);
		ans.sessions = tl_le32((uint32_t)v->sess.count);
		ans.inflight = tl_le32(c->njobs);
		ans.vm_inflight = tl_le32(v->busy);
		pthread_mutex_unlock(&v->lock);
	}
	conn_send(c, TL_STATS_ANSWER, h->tag, &ans, sizeof(ans));
	return 0;
}

/* The attached VM's storage counters (version 2), from the back-end; a status, never a drop. */
static int on_storage_stats(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (c->version < TL_VERSION_STORAGE)
		return drop(d, EPROTO, "STORAGE_STATS in protocol version %u", c->version);
	if (h->length)
		return drop(d, EBADMSG, "malformed STORAGE_STATS");
	struct tl_storage_stats ans = { 0 };
	struct vtee_storage_stats st;
	struct tvm *v = c->vm;
	int r = -ENOENT; /* not attached: no VM, no storage */
	if (v && !srv.ops->vm_storage_stats)
		r = -EOPNOTSUPP;
	else if (v && !(r = vm_use_begin(v))) {
		r = srv.ops->vm_storage_stats(v->be, &st);
		vm_use_end(v);
	}
	if (r)
		ans.status = (int32_t)tl_le32((uint32_t)-r);
	else
		ans = (struct tl_storage_stats){ .flags = tl_le32(st.flags & VTEE_STORAGE_STATE_CORRUPT ?
									 TL_STORAGE_STATE_CORRUPT : 0),
			.objects = tl_le64(st.objects), .bytes = tl_le64(st.bytes),
			.bytes_on_disk = tl_le64(st.bytes_on_disk), .version = tl_le64(st.version),
			.commits = tl_le64(st.commits), .corrupt_objects = tl_le64(st.corrupt_objects) };
	conn_send(c, TL_STORAGE_STATS_ANSWER, h->tag, &ans, sizeof(ans));
	return 0;
}

static int on_peer_error(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	char text[TL_ERROR_TEXT_MAX + 1] = "";
	struct tl_error e;
	if (h->length >= sizeof(e) && h->length <= sizeof(e) + TL_ERROR_TEXT_MAX &&
	    !tl_rb_read(&c->rb, &e, sizeof(e), NULL)) {
		size_t n = h->length - sizeof(e);
		if (!tl_rb_read(&c->rb, text, n, NULL)) {
			text[n] = 0;
			for (size_t i = 0; i < n; i++)
				if (text[i] < 0x20 || text[i] >= 0x7f)
					text[i] = '?';
		}
	}
	drop(d, 0, "the mediator reports an error: %s", text);
	return -EPROTO;
}

int dispatch(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	if (!c->version && h->type != TL_HELLO)
		return drop(d, EPROTO, "%s before HELLO", tl_type_name(h->type));
	if (c->version && h->type == TL_HELLO)
		return drop(d, EPROTO, "second HELLO");
	switch (h->type) {
	case TL_HELLO:
		return on_hello(c, h, d);
	case TL_ATTACH:
		return on_attach(c, h, d);
	case TL_DETACH_DESTROY:
		return on_detach(c, h, d);
	case TL_REQ:
		return on_req(c, h, d);
	case TL_CANCEL:
		return on_cancel(c, h, d);
	case TL_RPC_ANSWER:
		return on_rpc_answer(c, h, d);
	case TL_IMPORT:
		return on_import(c, h, d);
	case TL_RESTORED:
		return on_restored(c, h, d);
	case TL_STATS:
		return on_stats(c, h, d);
	case TL_STORAGE_STATS:
		return on_storage_stats(c, h, d);
	case TL_ERROR:
		return on_peer_error(c, h, d);
	default:
		return drop(d, EPROTO, "unexpected message type %u (%s)", h->type, tl_type_name(h->type));
	}
}
