// SPDX-License-Identifier: MIT
/*
 * The link back-end's receiver: one thread per connection reads everything
 * the TEE sends (RESP, RPC, control answers, ERROR) through its buffer and
 * never writes. A RESP completes its request, its output data written
 * straight into the guest's buffers; an RPC goes to a helper thread, which
 * may block on the guest as long as the guest likes. Anything malformed
 * breaks the link (link_break: every request in flight fails COMMUNICATION).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link_priv.h"
#include "sync.h"

/* ---- RPC ---- */

struct helper_arg {
	struct link_tee *t;
	struct pend *p;
};

static void rpc_answer_to_wire(struct tl_rpc *w, const struct vtee_rpc *rpc, uint32_t ret)
{
	memset(w, 0, sizeof(*w));
	w->cmd = tl_le32(rpc->cmd);
	w->ret = tl_le32(ret);
	uint32_t np = rpc->num_params <= VTEE_RPC_MAX_PARAMS ? rpc->num_params : 0;
	w->num_params = tl_le32(np);
	for (uint32_t i = 0; i < np; i++) {
		struct vtee_param q = rpc->params[i];
		if (!vtee_param_is_value(q.type))
			q = (struct vtee_param){ .type = VTEE_PARAM_NONE };
		link_param_to_wire(&w->params[i], &q, false);
	}
}

/* An RPC from the TEE: ask the guest (blocks), then answer the TEE. */
static void *helper_main(void *arg)
{
	struct helper_arg *ha = arg;
	struct link_tee *t = ha->t;
	struct pend *p = ha->p;
	free(ha);

	vtee_req_rpc(p->req, &p->rpc);
	uint32_t ret = p->rpc.ret;
	struct tl_rpc w;
	rpc_answer_to_wire(&w, &p->rpc, ret);
	uint64_t tag = p->tag;

	/* Before the answer goes out: the TEE may answer the request the moment it has it. */
	pthread_mutex_lock(&t->lock);
	p->in_rpc = false;
	bool mine = t->broken && idmap_del(&t->pend, tag) == p;
	pthread_mutex_unlock(&t->lock);
	if (mine) {
		struct vtee_req *req = p->req;
		link_pend_free(p);
		link_fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	} else {
		link_send(t, TL_RPC_ANSWER, tag, &w, sizeof(w), NULL, 0);
	}

	pthread_mutex_lock(&t->lock);
	t->helpers--;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/*
 * The request named by tag, once its submitter has finished writing it: the
 * TEE may answer the moment the last byte is in, before submit() has marked
 * it sent. NULL if there is no such request (or the link went meanwhile).
 * t->lock held.
 */
static struct pend *pend_settled(struct link_tee *t, uint64_t tag)
{
	for (;;) {
		struct pend *p = idmap_get(&t->pend, tag);
		if (!p || p->kind != PEND_REQ || t->broken)
			return NULL;
		if (!p->sending)
			return p;
		t->settle_waiters++;
		pthread_cond_wait(&t->cond, &t->lock);
		t->settle_waiters--;
	}
}

/* Wire params -> host, values only (RPC). false if malformed. */
static bool rpc_from_wire(const struct tl_rpc *w, struct vtee_rpc *rpc)
{
	uint32_t np = tl_h32(w->num_params);
	if (np > VTEE_RPC_MAX_PARAMS || w->reserved)
		return false;
	memset(rpc, 0, sizeof(*rpc));
	rpc->cmd = tl_h32(w->cmd);
	rpc->num_params = np;
	rpc->ret = TEE_ERROR_COMMUNICATION;
	for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
		const struct tl_param *wp = &w->params[i];
		uint32_t type = tl_h32(wp->type);
		if (i >= np) {
			if (type || wp->flags || wp->a || wp->b || wp->c)
				return false;
			continue;
		}
		if ((type != VTEE_PARAM_NONE && !vtee_param_is_value(type)) || wp->flags)
			return false;
		rpc->params[i].type = type;
		rpc->params[i].u.value.a = tl_h64(wp->a);
		rpc->params[i].u.value.b = tl_h64(wp->b);
		rpc->params[i].u.value.c = tl_h64(wp->c);
	}
	return true;
}

/* Start a helper for p (in_rpc set, counted); 0 or -errno (then undone). */
static int helper_start(struct link_tee *t, struct pend *p, struct helper_arg *ha)
{
	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, LINK_HELPER_STACK);
	int r = link_thread_start(&th, &attr, helper_main, ha);
	pthread_attr_destroy(&attr);
	if (r) {
		/* The receiver never blocks on the guest: without a helper, the link goes. */
		free(ha);
		pthread_mutex_lock(&t->lock);
		p->in_rpc = false;
		t->helpers--;
		pthread_mutex_unlock(&t->lock);
	}
	return r;
}

static int on_rpc(struct link_tee *t, const struct tl_hdr *h)
{
	struct tl_rpc w;
	if (h->length != sizeof(w))
		return -EBADMSG;
	int r = tl_rb_read(&t->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	struct vtee_rpc rpc;
	if (!rpc_from_wire(&w, &rpc))
		return -EBADMSG;

	struct helper_arg *ha = malloc(sizeof(*ha));
	if (!ha)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	struct pend *p = pend_settled(t, h->tag);
	if (!p || p->in_rpc) {
		pthread_mutex_unlock(&t->lock);
		free(ha);
		return -EBADMSG; /* an RPC for nothing the TEE may be running */
	}
	p->in_rpc = true;
	p->rpc = rpc;
	t->helpers++;
	*ha = (struct helper_arg){ t, p };
	pthread_mutex_unlock(&t->lock);
	return helper_start(t, p, ha);
}

/* ---- RESP ---- */

/* What a RESP's parameters say, checked against the request. */
struct resp_shape {
	uint32_t np;
	uint64_t data;                         /* output bytes that follow the structure */
	uint64_t out_len[VTEE_MAX_PARAMS];     /* of them, per parameter */
	uint64_t out_size[VTEE_MAX_PARAMS];    /* the size each memref reports */
};

/* One answered memref: flags and sizes as the request allows. */
static bool resp_memref_ok(const struct tl_param *wp, const struct vtee_param *vp, uint32_t flags,
			   struct resp_shape *s, uint32_t i)
{
	bool null = !vp->u.memref.shm;
	s->out_size[i] = tl_h64(wp->a);
	if ((flags & ~TL_PARAM_DATA) != (null ? TL_PARAM_NULL : 0u) || wp->b || wp->c)
		return false;
	if (flags & TL_PARAM_DATA) {
		/* data only where the guest gave room for it */
		if (null || !vtee_param_is_output(vp->type) || s->out_size[i] > vp->u.memref.size)
			return false;
		s->out_len[i] = s->out_size[i];
	}
	s->data += s->out_len[i];
	return true;
}

static bool resp_check(const struct tl_resp *w, const struct vtee_req *req, struct resp_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	if (tl_h32(w->num_params) != s->np || w->reserved)
		return false;
	for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
		const struct tl_param *wp = &w->params[i];
		uint32_t type = tl_h32(wp->type), flags = tl_h32(wp->flags);
		if (i >= s->np) {
			if (type || flags || wp->a || wp->b || wp->c)
				return false;
		} else if (type != req->params[i].type) {
			return false;
		} else if (!vtee_param_is_memref(type)) {
			if (flags)
				return false;
		} else if (!resp_memref_ok(wp, &req->params[i], flags, s, i)) {
			return false;
		}
	}
	/* an OPEN that succeeded names its session */
	return req->op != VTEE_REQ_OPEN || tl_h32(w->ret) != TEE_SUCCESS || w->session;
}

/* Memref output data from the stream into the guest's buffer: what is buffered first, big rests in chunks. */
static int read_into_shm(struct link_tee *t, struct vtee_shm *shm, uint64_t offs, uint64_t len, uint8_t **buf)
{
	struct tl_rbuf *rb = &t->rb;
	for (uint64_t done = 0; done < len;) {
		size_t n = tl_rb_avail(rb);
		if (n) {
			n = len - done < n ? (size_t)(len - done) : n;
			if (vtee_shm_write(shm, offs + done, rb->buf + rb->start, n))
				return -EFAULT;
			tl_rb_take(rb, NULL, n);
			done += n;
			continue;
		}
		if (len - done < TL_RBUF_SIZE) {
			ssize_t k = tl_rb_fill(rb, 0);
			if (k <= 0)
				return k < 0 ? (int)k : -EPIPE;
			continue;
		}
		if (!*buf && !(*buf = malloc(LINK_CHUNK)))
			return -ENOMEM;
		n = len - done > LINK_CHUNK ? LINK_CHUNK : (size_t)(len - done);
		int r = tl_rb_read(rb, *buf, n, NULL);
		if (r)
			return r;
		if (vtee_shm_write(shm, offs + done, *buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

/* The outputs into the request: values, memref sizes, memref data from the stream. 0 or -errno. */
static int resp_outputs(struct link_tee *t, const struct tl_resp *w, struct vtee_req *req,
			const struct resp_shape *s)
{
	uint8_t *buf = NULL;
	int r = 0;
	for (uint32_t i = 0; i < s->np && !r; i++) {
		struct vtee_param *vp = &req->params[i];
		const struct tl_param *wp = &w->params[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = tl_h64(wp->a);
			vp->u.value.b = tl_h64(wp->b);
			vp->u.value.c = tl_h64(wp->c);
			continue;
		}
		if (s->out_len[i])
			r = read_into_shm(t, vp->u.memref.shm, vp->u.memref.offs, s->out_len[i], &buf);
		vp->u.memref.size = s->out_size[i];
	}
	free(buf);
	return r;
}

/* The sessions an answered OPEN or CLOSE made or ended, then the request is done. */
static void resp_complete(struct link_tee *t, struct pend *p, const struct tl_resp *w)
{
	struct vtee_req *req = p->req;
	uint32_t ret = tl_h32(w->ret);
	pthread_mutex_lock(&t->lock);
	struct link_vm *vm = t->vm;
	if (req->op == VTEE_REQ_OPEN) {
		req->session = NULL;
		if (ret == TEE_SUCCESS && vm) {
			p->open_sess->handle = tl_h64(w->session);
			link_sess_add(vm, p->open_sess);
			req->session = p->open_sess;
			p->open_sess = NULL;
		}
	} else if (req->op == VTEE_REQ_CLOSE && ret == TEE_SUCCESS) {
		/* the core forgets the session after a successful CLOSE */
		struct link_sess *s = req->session;
		link_sess_remove(s);
		free(s);
	}
	pthread_mutex_unlock(&t->lock);
	link_pend_free(p);
	req->ret = ret;
	req->ret_origin = tl_h32(w->ret_origin);
	vtee_req_done(req);
}

static int on_resp(struct link_tee *t, const struct tl_hdr *h)
{
	struct tl_resp w;
	if (h->length < sizeof(w))
		return -EBADMSG;
	int r = tl_rb_read(&t->rb, &w, sizeof(w), NULL);
	if (r)
		return r;

	pthread_mutex_lock(&t->lock);
	struct pend *p = pend_settled(t, h->tag);
	if (!p || p->in_rpc) {
		pthread_mutex_unlock(&t->lock);
		return -EBADMSG;
	}
	idmap_del(&t->pend, h->tag);
	pthread_mutex_unlock(&t->lock);

	/* Ours now: on any error below it completes with COMMUNICATION, and the link goes. */
	struct resp_shape s;
	if (!resp_check(&w, p->req, &s) || h->length != sizeof(w) + s.data)
		r = -EBADMSG;
	else
		r = resp_outputs(t, &w, p->req, &s);
	if (r) {
		struct vtee_req *req = p->req;
		link_pend_free(p);
		link_fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return r;
	}
	resp_complete(t, p, &w);
	return 0;
}

/* ---- control answers, ERROR ---- */

static int on_ctl_answer(struct link_tee *t, const struct tl_hdr *h)
{
	uint8_t buf[sizeof(((struct pend *)0)->answer)];
	if (h->length > sizeof(buf))
		return -EBADMSG;
	int r = tl_rb_read(&t->rb, buf, h->length, NULL);
	if (r)
		return r;
	pthread_mutex_lock(&t->lock);
	struct pend *p = idmap_get(&t->pend, h->tag);
	bool ok = p && p->kind == PEND_CTL && p->want == h->type && p->want_len == h->length && !p->answered;
	if (ok) {
		memcpy(p->answer, buf, h->length);
		p->answered = true;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return ok ? 0 : -EBADMSG;
}

static int on_error(struct link_tee *t, const struct tl_hdr *h)
{
	struct tl_error e;
	char text[TL_ERROR_TEXT_MAX + 1];
	if (h->length < sizeof(e) || h->length > sizeof(e) + TL_ERROR_TEXT_MAX)
		return -EBADMSG;
	int r = tl_rb_read(&t->rb, &e, sizeof(e), NULL);
	size_t n = h->length - sizeof(e);
	if (!r)
		r = tl_rb_read(&t->rb, text, n, NULL);
	if (r)
		return r;
	text[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] >= 0x7f)
			text[i] = '?';
	link_break(t, "the TEE reports an error: %s (%s)", text, strerror((int)tl_h32(e.code)));
	return 0;
}

/* ---- the loop ---- */

static int dispatch(struct link_tee *t, const struct tl_hdr *h)
{
	switch (h->type) {
	case TL_RESP:
		return on_resp(t, h);
	case TL_RPC:
		return on_rpc(t, h);
	case TL_ATTACHED:
	case TL_DETACHED:
	case TL_IMPORTED:
	case TL_RESTORED_ACK:
	case TL_STATS_ANSWER:
	case TL_STORAGE_STATS_ANSWER:
		return on_ctl_answer(t, h);
	case TL_ERROR:
		return on_error(t, h);
	default:
		return -EPROTO;
	}
}

/* The next header; false when the link is (now) down. */
static bool read_header(struct link_tee *t, struct tl_hdr *h)
{
	size_t got = 0;
	int r = tl_rb_read(&t->rb, h, sizeof(*h), &got);
	if (r) {
		if (link_is_broken(t))
			return false;
		if (r == -EPIPE && got == 0)
			link_break(t, "the TEE closed the connection");
		else
			link_break(t, "read: %s", r == -EPIPE ? "EOF inside a header" : strerror(-r));
		return false;
	}
	tl_hdr_host(h);
	if (h->magic != TL_MAGIC || h->version != t->version || h->reserved || h->length > TL_MAX_PAYLOAD) {
		link_break(t, "bad header (magic %#x, version %u, length %u)", h->magic, h->version, h->length);
		return false;
	}
	return true;
}

/* Read one message and act on it (the reader role held); false when the link is (now) down. */
static bool read_one(struct link_tee *t)
{
	struct tl_hdr h;
	if (!read_header(t, &h))
		return false;
	int r = dispatch(t, &h);
	if (link_is_broken(t))
		return false;
	if (r) {
		link_break(t, "%s (type %u %s, tag %llu, length %u)",
			   r == -EBADMSG ? "malformed message" : r == -EPROTO ? "unexpected message type"
			   : strerror(-r), h.type, tl_type_name(h.type), (unsigned long long)h.tag, h.length);
		return false;
	}
	return true;
}

/* ---- the reader role ---- */

void link_reader_wake(struct link_tee *t)
{
	if (t->reader == READER_NONE) {
		t->reader = READER_RX;
		pthread_cond_signal(&t->rx_cond);
	}
}

/* Done reading for now (t->lock held): keep the role with the receiver while anything is outstanding. */
static void reader_release(struct link_tee *t)
{
	if (!t->x.ops->ready)
		return; /* the receiver reads for good */
	t->reader = READER_NONE;
	if (t->pend.count && !t->broken)
		link_reader_wake(t);
}

/*
 * The receiver's turn to read: when the role is handed to it, or, once a
 * second with nobody reading, for a look (*look) that notices a TEE that
 * hung up while nothing was outstanding. false: the link is down.
 */
static bool rx_turn(struct link_tee *t, bool *look)
{
	bool idle = false;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		if (t->broken)
			break;
		if (t->reader == READER_RX || (idle && t->reader == READER_NONE)) {
			*look = t->reader == READER_NONE;
			t->reader = READER_RX;
			pthread_mutex_unlock(&t->lock);
			return true;
		}
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 1;
		idle = pthread_cond_timedwait(&t->rx_cond, &t->lock, &dl) == ETIMEDOUT;
	}
	pthread_mutex_unlock(&t->lock);
	return false;
}

void *link_rx_main(void *arg)
{
	struct link_tee *t = arg;
	bool look;
	while (rx_turn(t, &look)) {
		bool something = !look || tl_rb_avail(&t->rb) || t->x.ops->wait_readable(&t->x, 0) > 0;
		if (something && !read_one(t))
			break;
		pthread_mutex_lock(&t->lock);
		reader_release(t);
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

/* tag's request is answered, waits for the guest (RPC), or the link is down. */
static bool settled(struct link_tee *t, uint64_t tag)
{
	pthread_mutex_lock(&t->lock);
	struct pend *p = idmap_get(&t->pend, tag);
	bool done = !p || p->in_rpc || t->broken;
	pthread_mutex_unlock(&t->lock);
	return done;
}

void link_pump(struct link_tee *t, uint64_t tag)
{
	uint64_t budget = vtee_spin_budget(&t->pump), t0 = vtee_now_ns();
	bool answered = false, ran_out = false;
	for (unsigned i = 1; !answered && !ran_out; i++) {
		if (tl_rb_avail(&t->rb) || t->x.ops->ready(&t->x)) {
			if (!read_one(t))
				break;
			answered = settled(t, tag);
			continue;
		}
		/* a slow call: the receiver waits for it */
		ran_out = !(i & 31) && vtee_now_ns() - t0 >= budget;
		vtee_poll_pause(i, t0, VTEE_POLL_YIELD_NS);
	}
	if (budget)
		vtee_spin_result(&t->pump, answered);
	pthread_mutex_lock(&t->lock);
	reader_release(t);
	pthread_mutex_unlock(&t->lock);
}
