// SPDX-License-Identifier: MIT
/*
 * The link back-end's requests out (docs/tee-link.md, REQ and CANCEL):
 * checked before anything goes out, entered in the pending table, then
 * written on the caller's thread (the memref data chunk by chunk through a
 * bounce buffer, the first chunk in the same write as the header). The
 * answer comes back through the receiver (link_rx.c).
 */
#include <stdlib.h>
#include <string.h>

#include "link_priv.h"

void link_param_to_wire(struct tl_param *w, const struct vtee_param *p, bool memref_null)
{
	memset(w, 0, sizeof(*w));
	w->type = tl_le32(p->type);
	if (vtee_param_is_value(p->type)) {
		w->a = tl_le64(p->u.value.a);
		w->b = tl_le64(p->u.value.b);
		w->c = tl_le64(p->u.value.c);
	} else if (vtee_param_is_memref(p->type)) {
		w->flags = tl_le32(memref_null ? TL_PARAM_NULL : 0);
		w->a = tl_le64(p->u.memref.size);
	}
}

/* Check the request before anything goes out; TEE_SUCCESS or the error to answer. */
static uint32_t check_req(const struct vtee_req *req, uint64_t *inline_bytes)
{
	uint64_t in = 0, all = 0;
	if (req->num_params > VTEE_MAX_PARAMS || req->op > VTEE_REQ_CLOSE)
		return TEE_ERROR_BAD_PARAMETERS;
	if (req->op != VTEE_REQ_OPEN && !req->session)
		return TEE_ERROR_BAD_PARAMETERS;
	/* a CLOSE sends no parameters (req_to_wire), so no data either */
	uint32_t np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	for (uint32_t i = 0; i < np; i++) {
		const struct vtee_param *p = &req->params[i];
		if (p->type == VTEE_PARAM_NONE || vtee_param_is_value(p->type))
			continue;
		if (!vtee_param_is_memref(p->type))
			return TEE_ERROR_BAD_PARAMETERS;
		uint64_t size = p->u.memref.size;
		if (!p->u.memref.shm)
			continue; /* a NULL memref: only its size travels */
		uint64_t total = vtee_shm_size(p->u.memref.shm);
		if (p->u.memref.offs > total || size > total - p->u.memref.offs)
			return TEE_ERROR_BAD_PARAMETERS;
		/* what the TEE holds for one request is bounded like the soft TEE's bounce budget */
		if (size > TL_MAX_MEMREF || all + size > TL_MAX_MEMREF)
			return TEE_ERROR_OUT_OF_MEMORY;
		all += size;
		if (vtee_param_is_input(p->type))
			in += size;
	}
	*inline_bytes = in;
	return TEE_SUCCESS;
}

static void req_to_wire(struct tl_req *w, const struct vtee_req *req)
{
	memset(w, 0, sizeof(*w));
	w->op = tl_le32(req->op == VTEE_REQ_OPEN ? TL_OP_OPEN : req->op == VTEE_REQ_INVOKE ? TL_OP_INVOKE : TL_OP_CLOSE);
	w->func = tl_le32(req->func);
	if (req->op != VTEE_REQ_OPEN)
		w->session = tl_le64(((const struct link_sess *)req->session)->handle);
	w->login = tl_le32(req->client.login);
	uint32_t np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	w->num_params = tl_le32(np);
	memcpy(w->client_uuid, req->client.uuid.b, 16);
	if (req->op == VTEE_REQ_OPEN)
		memcpy(w->ta_uuid, req->ta.b, 16);
	for (uint32_t i = 0; i < np; i++)
		link_param_to_wire(&w->params[i], &req->params[i], !req->params[i].u.memref.shm);
}

/*
 * The input memrefs' data after the header and structure in iov[0..1]:
 * through a bounce buffer of cap bytes, the first chunk in the same write.
 */
static int write_data(struct link_tee *t, const struct vtee_req *req, struct iovec head[2], size_t cap)
{
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	bool head_sent = false;
	int r = 0;
	uint32_t np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	for (uint32_t i = 0; i < np && !r; i++) {
		const struct vtee_param *p = &req->params[i];
		if (!vtee_param_is_memref(p->type) || !vtee_param_is_input(p->type) || !p->u.memref.shm)
			continue;
		for (uint64_t off = 0; off < p->u.memref.size && !r;) {
			size_t n = p->u.memref.size - off > cap ? cap : (size_t)(p->u.memref.size - off);
			r = vtee_shm_read(p->u.memref.shm, p->u.memref.offs + off, buf, n);
			struct iovec iov[3] = { head[0], head[1], { buf, n } };
			if (!r)
				r = t->x.ops->writev_all(&t->x, head_sent ? iov + 2 : iov, head_sent ? 1 : 3);
			head_sent = true;
			off += n;
		}
	}
	if (!r && !head_sent)
		r = t->x.ops->writev_all(&t->x, head, 2); /* only empty memrefs */
	free(buf);
	return r;
}

/* Write the request (send_lock held); 0 or -errno. An error mid-message: the caller breaks the link. */
static int write_req(struct link_tee *t, const struct vtee_req *req, uint64_t tag, uint64_t inline_bytes)
{
	struct tl_req w;
	req_to_wire(&w, req);
	struct tl_hdr h = tl_hdr_make(t->version, TL_REQ, (uint32_t)(sizeof(w) + inline_bytes), tag);
	struct iovec iov[2] = { { &h, sizeof(h) }, { &w, sizeof(w) } };
	if (!inline_bytes)
		return t->x.ops->writev_all(&t->x, iov, 2);
	return write_data(t, req, iov, inline_bytes < LINK_CHUNK ? (size_t)inline_bytes : LINK_CHUNK);
}

/* A pending entry for req, in the table under a new tag; NULL (req completed) if that fails. */
static struct pend *pend_enter(struct link_tee *t, struct vtee_req *req)
{
	struct pend *p = calloc(1, sizeof(*p));
	if (p && req->op == VTEE_REQ_OPEN && !(p->open_sess = calloc(1, sizeof(*p->open_sess)))) {
		free(p);
		p = NULL;
	}
	if (!p) {
		link_fail_req(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return NULL;
	}
	p->kind = PEND_REQ;
	p->req = req;
	p->sending = true;

	pthread_mutex_lock(&t->lock);
	uint32_t err = t->broken ? TEE_ERROR_COMMUNICATION : TEE_SUCCESS;
	if (!err) {
		p->tag = ++t->next_tag;
		if (idmap_put(&t->pend, p->tag, p))
			err = TEE_ERROR_OUT_OF_MEMORY;
	}
	if (!err)
		req->be_priv = (void *)(uintptr_t)p->tag; /* cancel() finds it by tag, never by a stale pointer */
	pthread_mutex_unlock(&t->lock);
	if (err) {
		link_pend_free(p);
		link_fail_req(req, err, err == TEE_ERROR_COMMUNICATION ? TEE_ORIGIN_COMMS : TEE_ORIGIN_TEE);
		return NULL;
	}
	return p;
}

void link_submit(void *vm_, struct vtee_req *req)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	uint64_t inline_bytes = 0;
	uint32_t err = check_req(req, &inline_bytes);
	req->be_priv = NULL;
	if (err != TEE_SUCCESS) {
		link_fail_req(req, err, TEE_ORIGIN_TEE);
		return;
	}
	struct pend *p = pend_enter(t, req);
	if (!p)
		return;
	uint64_t tag = p->tag;

	pthread_mutex_lock(&t->send_lock);
	int r = write_req(t, req, tag, inline_bytes);
	pthread_mutex_unlock(&t->send_lock);
	if (r)
		link_break(t, "send REQ: %s", strerror(-r));

	/* Sent: from here a reader may complete it; unless the link went down meanwhile. */
	pthread_mutex_lock(&t->lock);
	p->sending = false;
	bool mine = t->broken && idmap_del(&t->pend, tag) == p;
	bool pump = !t->broken && t->reader == READER_NONE;
	if (pump)
		t->reader = READER_CALLER; /* nobody reads: we wait for our answer ourselves */
	if (t->settle_waiters)
		pthread_cond_broadcast(&t->cond); /* a reader waits for it (pend_settled) */
	pthread_mutex_unlock(&t->lock);
	if (mine) {
		link_pend_free(p);
		link_fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	}
	if (pump)
		link_pump(t, tag);
}

void link_cancel(void *vm_, struct vtee_req *req)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	uint64_t tag = (uint64_t)(uintptr_t)req->be_priv;
	if (!tag)
		return;
	pthread_mutex_lock(&t->lock);
	struct pend *p = idmap_get(&t->pend, tag);
	bool live = p && p->kind == PEND_REQ && p->req == req && !t->broken;
	pthread_mutex_unlock(&t->lock);
	/* tags are never reused: a CANCEL racing with the answer names nothing in the TEE */
	if (live)
		link_send(t, TL_CANCEL, tag, NULL, 0, NULL, 0);
}
