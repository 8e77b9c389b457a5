// SPDX-License-Identifier: MIT
/*
 * The "link" back-end: the TEE runs elsewhere (vtee-tee, a process the
 * supervisor owns, or later another machine) and is reached over one stream
 * socket (docs/tee-link.md). The mediator can then die at any instant: the
 * TEE keeps the VM's sessions, and a restarted mediator attaches with
 * "resume", imports the sessions it still knows and says RESTORED.
 *
 * Threads: submit() and the control operations (vm_created, session_import,
 * ...) write on the caller's thread under send_lock (header, structure and
 * the first chunk of data in one sendmsg()); one receiver thread per
 * connection reads everything the TEE sends, through a buffer (one recv()
 * for a small message, often for several), and never writes, so neither
 * side can block the other's reader. An RPC from the TEE is handed to a
 * helper thread, which blocks in vtee_req_rpc() until the guest answered and
 * then sends RPC_ANSWER.
 *
 * In-flight requests live in `pend` (tag -> struct pend) from submit() to
 * completion; whoever takes one out of the table under `lock` completes it,
 * so each is completed exactly once. A pend being written (sending) or
 * waiting for the guest (in_rpc) is completed by that thread, never by the
 * receiver. When the link breaks (EOF, I/O or protocol error) every other
 * pend completes at once with TEE_ERROR_COMMUNICATION / TEE_ORIGIN_COMMS and
 * later requests fail the same way without touching the socket.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "idmap.h"
#include "link.h"
#include "link_proto.h"
#include "log.h"

#define LINK_HELLO_TIMEOUT_MS 10000
#define LINK_CTL_TIMEOUT_MS   30000
#define LINK_CHUNK            (256u << 10) /* memref data goes through a buffer this big */
#define LINK_HELPER_STACK     (256u << 10)

struct link_sess {
	uint64_t handle;               /* the TEE's name for it, never 0 */
	struct link_sess *prev, *next; /* in link_vm.sessions, under link_tee.lock */
};

enum pend_kind { PEND_REQ, PEND_CTL };

struct pend {
	enum pend_kind kind;
	uint64_t tag;
	/* PEND_REQ */
	struct vtee_req *req;
	struct link_sess *open_sess;   /* OPEN: allocated before the request goes out */
	bool sending;                  /* submit() is still writing it */
	bool in_rpc;                   /* a helper waits for the guest's answer */
	struct vtee_rpc rpc;
	/* PEND_CTL */
	uint16_t want;                 /* answer type */
	uint32_t want_len;
	bool answered;
	uint8_t answer[32];
};

struct link_vm;

struct link_tee {
	int fd;
	bool resume;
	uint16_t version;
	pthread_t rx;
	pthread_mutex_t send_lock;
	pthread_mutex_t lock;          /* everything below */
	pthread_cond_t cond;           /* control answers, broken, helpers */
	bool broken;
	struct idmap pend;             /* tag -> struct pend */
	uint64_t next_tag;
	struct link_vm *vm;            /* one VM per connection */
	unsigned helpers;              /* RPC helper threads running */
	char label[TL_NAME_MAX];
	struct tl_rbuf rb;             /* what the TEE sent; the receiver's */
};

struct link_vm {
	struct link_tee *t;
	uint32_t vm_id;
	struct link_sess sessions;     /* list head */
};

static void logmsg(struct link_tee *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(struct link_tee *t, const char *fmt, ...)
{
	char buf[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vtee_log(VTEE_LOG_WARNING, "vtee-link[%s]: %s", t->label[0] ? t->label : "-", buf);
}

static void fail_req(struct vtee_req *req, uint32_t ret, uint32_t origin)
{
	req->ret = ret;
	req->ret_origin = origin;
	vtee_req_done(req);
}

static void pend_free(struct pend *p)
{
	free(p->open_sess);
	free(p);
}

/*
 * The link is gone: complete every request nobody else owns, wake control
 * waiters. Idempotent; called with t->lock NOT held.
 */
static void link_break(struct link_tee *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void link_break(struct link_tee *t, const char *fmt, ...)
{
	pthread_mutex_lock(&t->lock);
	bool first = !t->broken;
	t->broken = true;
	if (first)
		shutdown(t->fd, SHUT_RDWR); /* the receiver wakes up; the peer sees EOF */
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);

	if (first && fmt) {
		char buf[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		logmsg(t, "link down: %s", buf);
	}
	/* One at a time, allocating nothing: this path must work when memory is short. */
	for (;;) {
		size_t pos = 0;
		uint64_t key;
		struct pend *p, *take = NULL;
		pthread_mutex_lock(&t->lock);
		while (!take && (p = idmap_next(&t->pend, &pos, &key)))
			if (p->kind == PEND_REQ && !p->sending && !p->in_rpc)
				take = p;
		if (take)
			idmap_del(&t->pend, take->tag);
		pthread_mutex_unlock(&t->lock);
		if (!take)
			break;
		struct vtee_req *req = take->req;
		pend_free(take);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	}
}

static bool is_broken(struct link_tee *t)
{
	pthread_mutex_lock(&t->lock);
	bool b = t->broken;
	pthread_mutex_unlock(&t->lock);
	return b;
}

/* Send one message (header + up to two pieces); false if the link is (now) down. */
static bool send_msg(struct link_tee *t, uint16_t type, uint64_t tag, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	struct tl_hdr h = tl_hdr_make(t->version, type, (uint32_t)(alen + blen), tag);
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)a, alen }, { (void *)b, blen } };
	pthread_mutex_lock(&t->send_lock);
	int r = tl_writev_all(t->fd, iov, 3);
	pthread_mutex_unlock(&t->send_lock);
	if (r) {
		link_break(t, "send %s: %s", tl_type_name(type), strerror(-r));
		return false;
	}
	return true;
}

/* ---- options, open, close ---- */

static int parse_options(const char *options, int *fd, bool *resume)
{
	*fd = -1;
	*resume = false;
	if (!options)
		return -EINVAL;
	const char *s = options;
	while (*s) {
		size_t len = strcspn(s, ",");
		if (len > 3 && !strncmp(s, "fd=", 3)) {
			char *end;
			errno = 0;
			long v = strtol(s + 3, &end, 10);
			if (errno || end != s + len || v < 0 || v > 1000000 || s[3] == '-' || s[3] == '+')
				return -EINVAL;
			*fd = (int)v;
		} else if (len == 6 && !strncmp(s, "resume", 6)) {
			*resume = true;
		} else {
			return -EINVAL;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return *fd >= 0 ? 0 : -EINVAL;
}

static void tl_param_to_wire(struct tl_param *w, const struct vtee_param *p, bool memref_null)
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

/* HELLO, then WELCOME within the timeout. */
static int handshake(struct link_tee *t)
{
	struct tl_hello hello = { .version_min = tl_le16(TL_VERSION_MIN), .version_max = tl_le16(TL_VERSION_MAX) };
	struct tl_hdr h = tl_hdr_make(TL_VERSION_BASE, TL_HELLO, sizeof(hello), 0);
	struct iovec iov[2] = { { &h, sizeof(h) }, { &hello, sizeof(hello) } };
	int r = tl_writev_all(t->fd, iov, 2);
	if (r)
		return r;

	struct {
		struct tl_hdr h;
		struct tl_welcome w;
	} in;
	size_t got = 0;
	uint64_t deadline = (uint64_t)time(NULL) + LINK_HELLO_TIMEOUT_MS / 1000;
	while (got < sizeof(in)) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, 1000);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0) {
			if ((uint64_t)time(NULL) >= deadline)
				return -ETIMEDOUT;
			continue;
		}
		ssize_t n = read(t->fd, (uint8_t *)&in + got, sizeof(in) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
		/* an ERROR instead of WELCOME is shorter: look at the header as soon as it is in */
		if (got >= sizeof(in.h)) {
			struct tl_hdr hh = in.h;
			tl_hdr_host(&hh);
			if (hh.magic != TL_MAGIC || hh.type != TL_WELCOME)
				return -EPROTO;
		}
	}
	tl_hdr_host(&in.h);
	if (in.h.version != TL_VERSION_BASE || in.h.length != sizeof(in.w) || in.h.reserved)
		return -EPROTO;
	uint16_t v = tl_h16(in.w.version);
	if (v < TL_VERSION_MIN || v > TL_VERSION_MAX)
		return -EPROTONOSUPPORT;
	t->version = v;
	return 0;
}

static void *rx_main(void *arg);

static int link_open(const char *options, void **out)
{
	int fd;
	bool resume;
	int r = parse_options(options, &fd, &resume);
	if (r)
		return r;
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM)
		return -EINVAL;

	/* a TEE that stops reading must not hold a vCPU in submit() for ever */
	struct timeval tv = { .tv_sec = LINK_CTL_TIMEOUT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	struct link_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = fd;
	t->rb.fd = fd;
	t->resume = resume;
	pthread_mutex_init(&t->send_lock, NULL);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);

	r = handshake(t);
	if (r) {
		logmsg(t, "handshake with the TEE failed: %s", strerror(-r));
		goto fail;
	}
	/* the VMM's signals are not ours to take */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&t->rx, NULL, rx_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		goto fail;
	*out = t;
	return 0;
fail:
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->send_lock);
	free(t);
	return r; /* the fd stays the caller's */
}

static void link_close(void *tee)
{
	struct link_tee *t = tee;
	link_break(t, NULL);
	pthread_join(t->rx, NULL);
	pthread_mutex_lock(&t->lock);
	while (t->helpers)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	/* every VM was destroyed first, so nothing is pending any more */
	size_t pos = 0;
	uint64_t key;
	struct pend *p;
	while ((p = idmap_next(&t->pend, &pos, &key)))
		if (p->kind == PEND_REQ)
			pend_free(p);
	idmap_free(&t->pend);
	close(t->fd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->send_lock);
	free(t);
}

/* ---- control requests (caller's thread, waits for the answer) ---- */

/*
 * Send a control message and wait for its answer of type want (exactly
 * want_len bytes, copied to answer). 0, -ENOTCONN (link down) or -ETIMEDOUT
 * (the link is then broken: a TEE that stops answering is a dead TEE).
 */
static int ctl(struct link_tee *t, uint16_t type, const void *payload, size_t len, uint16_t want,
	       void *answer, uint32_t want_len)
{
	struct pend p = { .kind = PEND_CTL, .want = want, .want_len = want_len };
	pthread_mutex_lock(&t->lock);
	if (t->broken) {
		pthread_mutex_unlock(&t->lock);
		return -ENOTCONN;
	}
	p.tag = ++t->next_tag;
	if (idmap_put(&t->pend, p.tag, &p)) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&t->lock);

	send_msg(t, type, p.tag, payload, len, NULL, 0);

	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += LINK_CTL_TIMEOUT_MS / 1000;
	int r = 0;
	pthread_mutex_lock(&t->lock);
	while (!p.answered && !t->broken && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&t->cond, &t->lock, &dl);
	idmap_del(&t->pend, p.tag);
	bool answered = p.answered, timed_out = !answered && !t->broken;
	pthread_mutex_unlock(&t->lock);
	if (timed_out) {
		link_break(t, "no answer to %s in %d s", tl_type_name(type), LINK_CTL_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	if (!answered)
		return -ENOTCONN;
	memcpy(answer, p.answer, want_len);
	return 0;
}

/* ---- VMs ---- */

static int link_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct link_tee *t = tee;
	pthread_mutex_lock(&t->lock);
	bool busy = t->vm != NULL;
	pthread_mutex_unlock(&t->lock);
	if (busy)
		return -EBUSY; /* one VM per connection */
	if (!vm_id)
		return -EINVAL;

	struct link_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->t = t;
	vm->vm_id = vm_id;
	vm->sessions.prev = vm->sessions.next = &vm->sessions;

	struct tl_attach at = { .vm_id = tl_le32(vm_id), .flags = tl_le32(t->resume ? TL_ATTACH_RESUME : 0) };
	/* printable, non-empty: the TEE checks it */
	size_t n = 0;
	for (const char *s = name ? name : ""; *s && n < TL_NAME_MAX - 1; s++)
		at.name[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (!n)
		at.name[n++] = '-';
	memcpy(t->label, at.name, n);
	t->label[n] = 0;

	struct tl_attached ans;
	int r = ctl(t, TL_ATTACH, &at, sizeof(at), TL_ATTACHED, &ans, sizeof(ans));
	if (!r) {
		int32_t st = (int32_t)tl_h32((uint32_t)ans.status);
		if (st) {
			logmsg(t, "TEE refused ATTACH: %s", strerror(st > 0 ? st : EPROTO));
			r = st > 0 ? -st : -EPROTO;
		} else if (t->resume) {
			logmsg(t, "resumed vm %u: the TEE %s (%u sessions)", vm_id,
			       tl_h32(ans.flags) & TL_ATTACHED_RESUMED ? "kept its state" : "had no state",
			       tl_h32(ans.sessions));
		}
	}
	if (r) {
		free(vm);
		return r;
	}
	pthread_mutex_lock(&t->lock);
	t->vm = vm;
	pthread_mutex_unlock(&t->lock);
	*out = vm;
	return 0;
}

static void link_vm_destroyed(void *vm_)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	struct tl_detached ans;
	int r = ctl(t, TL_DETACH_DESTROY, NULL, 0, TL_DETACHED, &ans, sizeof(ans));
	if (r && r != -ENOTCONN)
		logmsg(t, "DETACH_DESTROY: %s", strerror(-r));
	pthread_mutex_lock(&t->lock);
	while (vm->sessions.next != &vm->sessions) {
		struct link_sess *s = vm->sessions.next;
		s->prev->next = s->next;
		s->next->prev = s->prev;
		free(s);
	}
	t->vm = NULL;
	pthread_mutex_unlock(&t->lock);
	free(vm);
}

/* t->lock held */
static void sess_link(struct link_vm *vm, struct link_sess *s)
{
	s->next = vm->sessions.next;
	s->prev = &vm->sessions;
	vm->sessions.next->prev = s;
	vm->sessions.next = s;
}

static void sess_unlink(struct link_sess *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->prev = s->next = s;
}

/* ---- requests ---- */

/* Check the request before anything goes out; TEE_SUCCESS or the error to answer. */
static uint32_t check_req(const struct vtee_req *req, uint64_t *inline_bytes)
{
	uint64_t in = 0, all = 0;
	if (req->num_params > VTEE_MAX_PARAMS || req->op > VTEE_REQ_CLOSE)
		return TEE_ERROR_BAD_PARAMETERS;
	if (req->op != VTEE_REQ_OPEN && !req->session)
		return TEE_ERROR_BAD_PARAMETERS;
	for (uint32_t i = 0; i < req->num_params; i++) {
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

/* Write the request (send_lock held); 0 or -errno. Memref data goes out chunk by chunk. */
static int write_req(struct link_tee *t, const struct vtee_req *req, uint64_t tag, uint64_t inline_bytes)
{
	struct tl_req w;
	memset(&w, 0, sizeof(w));
	w.op = tl_le32(req->op == VTEE_REQ_OPEN ? TL_OP_OPEN : req->op == VTEE_REQ_INVOKE ? TL_OP_INVOKE : TL_OP_CLOSE);
	w.func = tl_le32(req->func);
	if (req->op != VTEE_REQ_OPEN)
		w.session = tl_le64(((const struct link_sess *)req->session)->handle);
	w.login = tl_le32(req->client.login);
	w.num_params = tl_le32(req->op == VTEE_REQ_CLOSE ? 0 : req->num_params);
	memcpy(w.client_uuid, req->client.uuid.b, 16);
	if (req->op == VTEE_REQ_OPEN)
		memcpy(w.ta_uuid, req->ta.b, 16);
	uint32_t np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	for (uint32_t i = 0; i < np; i++)
		tl_param_to_wire(&w.params[i], &req->params[i], !req->params[i].u.memref.shm);

	struct tl_hdr h = tl_hdr_make(t->version, TL_REQ, (uint32_t)(sizeof(w) + inline_bytes), tag);
	struct iovec iov[2] = { { &h, sizeof(h) }, { &w, sizeof(w) } };
	if (!inline_bytes)
		return tl_writev_all(t->fd, iov, 2);

	/* memref data through a bounce buffer, the first chunk in the same system call as the header */
	size_t cap = inline_bytes < LINK_CHUNK ? (size_t)inline_bytes : LINK_CHUNK;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	bool head_sent = false;
	int r = 0;
	for (uint32_t i = 0; i < np && !r; i++) {
		const struct vtee_param *p = &req->params[i];
		if (!vtee_param_is_memref(p->type) || !vtee_param_is_input(p->type) || !p->u.memref.shm)
			continue;
		for (uint64_t off = 0; off < p->u.memref.size && !r;) {
			size_t n = p->u.memref.size - off > cap ? cap : (size_t)(p->u.memref.size - off);
			r = vtee_shm_read(p->u.memref.shm, p->u.memref.offs + off, buf, n);
			if (!r && !head_sent) {
				struct iovec all[3] = { iov[0], iov[1], { buf, n } };
				r = tl_writev_all(t->fd, all, 3);
				head_sent = true;
			} else if (!r) {
				r = tl_write_all(t->fd, buf, n);
			}
			off += n;
		}
	}
	if (!r && !head_sent)
		r = tl_writev_all(t->fd, iov, 2); /* only empty memrefs */
	free(buf);
	return r; /* an error mid-message: the caller breaks the link */
}

static void link_submit(void *vm_, struct vtee_req *req)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	uint64_t inline_bytes = 0;
	uint32_t err = check_req(req, &inline_bytes);
	req->be_priv = NULL;
	if (err != TEE_SUCCESS) {
		fail_req(req, err, TEE_ORIGIN_TEE);
		return;
	}
	struct pend *p = calloc(1, sizeof(*p));
	if (p && req->op == VTEE_REQ_OPEN && !(p->open_sess = calloc(1, sizeof(*p->open_sess)))) {
		free(p);
		p = NULL;
	}
	if (!p) {
		fail_req(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	p->kind = PEND_REQ;
	p->req = req;
	p->sending = true;

	pthread_mutex_lock(&t->lock);
	if (t->broken) {
		pthread_mutex_unlock(&t->lock);
		pend_free(p);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return;
	}
	p->tag = ++t->next_tag;
	if (idmap_put(&t->pend, p->tag, p)) {
		pthread_mutex_unlock(&t->lock);
		pend_free(p);
		fail_req(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	req->be_priv = (void *)(uintptr_t)p->tag; /* cancel() finds it by tag, never by a stale pointer */
	uint64_t tag = p->tag;
	pthread_mutex_unlock(&t->lock);

	pthread_mutex_lock(&t->send_lock);
	int r = write_req(t, req, tag, inline_bytes);
	pthread_mutex_unlock(&t->send_lock);
	if (r)
		link_break(t, "send REQ: %s", strerror(-r));

	/* Sent: from here the receiver may complete it; unless the link went down meanwhile. */
	pthread_mutex_lock(&t->lock);
	p->sending = false;
	bool mine = t->broken && idmap_del(&t->pend, tag) == p;
	pthread_cond_broadcast(&t->cond); /* the receiver may wait for it (pend_settled) */
	pthread_mutex_unlock(&t->lock);
	if (mine) {
		pend_free(p);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	}
}

static void link_cancel(void *vm_, struct vtee_req *req)
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
		send_msg(t, TL_CANCEL, tag, NULL, 0, NULL, 0);
}

/* ---- recovery ---- */

static uint64_t link_session_export(void *vm, void *session)
{
	(void)vm;
	return session ? ((struct link_sess *)session)->handle : 0;
}

static void *link_session_import(void *vm_, uint64_t handle)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	if (!handle)
		return NULL;
	struct link_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	struct tl_import im = { .handle = tl_le64(handle) };
	struct tl_imported ans;
	if (ctl(t, TL_IMPORT, &im, sizeof(im), TL_IMPORTED, &ans, sizeof(ans)) || tl_h32(ans.ok) != 1) {
		free(s);
		return NULL;
	}
	s->handle = handle;
	pthread_mutex_lock(&t->lock);
	sess_link(vm, s);
	pthread_mutex_unlock(&t->lock);
	return s;
}

static void link_vm_restored(void *vm_)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	struct tl_restored_ack ans;
	int r = ctl(t, TL_RESTORED, NULL, 0, TL_RESTORED_ACK, &ans, sizeof(ans));
	if (r)
		logmsg(t, "RESTORED: %s", strerror(-r));
	else if (tl_h32(ans.closed))
		logmsg(t, "restored: the TEE closed %u sessions nobody imported, %u remain",
		       tl_h32(ans.closed), tl_h32(ans.sessions));
}

int vtee_link_stats(void *vm_, struct vtee_link_stats *st)
{
	struct link_vm *vm = vm_;
	if (!vm || !st)
		return -EINVAL;
	struct tl_stats ans;
	int r = ctl(vm->t, TL_STATS, NULL, 0, TL_STATS_ANSWER, &ans, sizeof(ans));
	if (r)
		return r;
	st->sessions = tl_h32(ans.sessions);
	st->inflight = tl_h32(ans.inflight);
	st->vm_inflight = tl_h32(ans.vm_inflight);
	return 0;
}

/* Sessions the TEE holds for the VM (STATS): status and leak checks. */
static long link_vm_session_count(void *vm)
{
	struct vtee_link_stats st;
	int r = vtee_link_stats(vm, &st);
	return r ? r : (long)st.sessions;
}

/* ---- receiver ---- */

struct helper_arg {
	struct link_tee *t;
	struct pend *p;
};

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
	memset(&w, 0, sizeof(w));
	w.cmd = tl_le32(p->rpc.cmd);
	w.ret = tl_le32(ret);
	uint32_t np = p->rpc.num_params <= VTEE_RPC_MAX_PARAMS ? p->rpc.num_params : 0;
	w.num_params = tl_le32(np);
	for (uint32_t i = 0; i < np; i++) {
		struct vtee_param q = p->rpc.params[i];
		if (!vtee_param_is_value(q.type))
			q = (struct vtee_param){ .type = VTEE_PARAM_NONE };
		tl_param_to_wire(&w.params[i], &q, false);
	}
	uint64_t tag = p->tag;

	/* Before the answer goes out: the TEE may answer the request the moment it has it. */
	pthread_mutex_lock(&t->lock);
	p->in_rpc = false;
	bool mine = t->broken && idmap_del(&t->pend, tag) == p;
	pthread_mutex_unlock(&t->lock);
	if (mine) {
		struct vtee_req *req = p->req;
		pend_free(p);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
	} else {
		send_msg(t, TL_RPC_ANSWER, tag, &w, sizeof(w), NULL, 0);
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
		pthread_cond_wait(&t->cond, &t->lock);
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
		uint32_t type = tl_h32(w->params[i].type);
		if (i >= np) {
			if (type || w->params[i].flags || w->params[i].a || w->params[i].b || w->params[i].c)
				return false;
			continue;
		}
		if (type != VTEE_PARAM_NONE && !vtee_param_is_value(type))
			return false;
		if (w->params[i].flags)
			return false;
		rpc->params[i].type = type;
		rpc->params[i].u.value.a = tl_h64(w->params[i].a);
		rpc->params[i].u.value.b = tl_h64(w->params[i].b);
		rpc->params[i].u.value.c = tl_h64(w->params[i].c);
	}
	return true;
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

	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, LINK_HELPER_STACK);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&th, &attr, helper_main, ha);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e) {
		/* The receiver never blocks on the guest: without a helper, the link goes. */
		free(ha);
		pthread_mutex_lock(&t->lock);
		p->in_rpc = false;
		t->helpers--;
		pthread_mutex_unlock(&t->lock);
		return -e;
	}
	return 0;
}

/* Memref output data from the socket into the guest's buffer: what is buffered first, big rests in chunks. */
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
	struct vtee_req *req = p->req;

	uint32_t np = req->op == VTEE_REQ_CLOSE ? 0 : req->num_params;
	uint64_t data = 0, out_len[VTEE_MAX_PARAMS] = { 0 }, out_size[VTEE_MAX_PARAMS] = { 0 };
	bool ok = tl_h32(w.num_params) == np && !w.reserved;
	for (uint32_t i = 0; ok && i < TL_MAX_PARAMS; i++) {
		const struct tl_param *wp = &w.params[i];
		uint32_t type = tl_h32(wp->type);
		if (i >= np) {
			ok = !type && !wp->flags && !wp->a && !wp->b && !wp->c;
			continue;
		}
		const struct vtee_param *vp = &req->params[i];
		uint32_t flags = tl_h32(wp->flags);
		ok = type == vp->type;
		if (!ok || !vtee_param_is_memref(type)) {
			ok = ok && !flags;
			continue;
		}
		bool null = !vp->u.memref.shm;
		out_size[i] = tl_h64(wp->a);
		ok = (flags & ~TL_PARAM_DATA) == (null ? TL_PARAM_NULL : 0u) && !wp->b && !wp->c;
		if (ok && (flags & TL_PARAM_DATA)) {
			/* data only where the guest gave room for it */
			ok = !null && vtee_param_is_output(type) && out_size[i] <= vp->u.memref.size;
			out_len[i] = out_size[i];
		}
		data += out_len[i];
	}
	uint64_t session = tl_h64(w.session);
	uint32_t ret = tl_h32(w.ret);
	if (ok && req->op == VTEE_REQ_OPEN && ret == TEE_SUCCESS && !session)
		ok = false;
	if (!ok || h->length != sizeof(w) + data) {
		pend_free(p);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return -EBADMSG;
	}

	uint8_t *buf = NULL;
	for (uint32_t i = 0; i < np && !r; i++) {
		struct vtee_param *vp = &req->params[i];
		const struct tl_param *wp = &w.params[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = tl_h64(wp->a);
			vp->u.value.b = tl_h64(wp->b);
			vp->u.value.c = tl_h64(wp->c);
			continue;
		}
		if (out_len[i])
			r = read_into_shm(t, vp->u.memref.shm, vp->u.memref.offs, out_len[i], &buf);
		vp->u.memref.size = out_size[i];
	}
	free(buf);
	if (r) {
		pend_free(p);
		fail_req(req, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_COMMS);
		return r;
	}

	pthread_mutex_lock(&t->lock);
	struct link_vm *vm = t->vm;
	if (req->op == VTEE_REQ_OPEN) {
		req->session = NULL;
		if (ret == TEE_SUCCESS && vm) {
			p->open_sess->handle = session;
			sess_link(vm, p->open_sess);
			req->session = p->open_sess;
			p->open_sess = NULL;
		}
	} else if (req->op == VTEE_REQ_CLOSE && ret == TEE_SUCCESS) {
		/* the core forgets the session after a successful CLOSE */
		struct link_sess *s = req->session;
		sess_unlink(s);
		free(s);
	}
	pthread_mutex_unlock(&t->lock);
	pend_free(p);
	req->ret = ret;
	req->ret_origin = tl_h32(w.ret_origin);
	vtee_req_done(req);
	return 0;
}

static int on_ctl_answer(struct link_tee *t, const struct tl_hdr *h)
{
	uint8_t buf[32];
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

static void *rx_main(void *arg)
{
	struct link_tee *t = arg;
	for (;;) {
		struct tl_hdr h;
		size_t got = 0;
		int r = tl_rb_read(&t->rb, &h, sizeof(h), &got);
		if (r) {
			if (is_broken(t))
				break;
			if (r == -EPIPE && got == 0)
				link_break(t, "the TEE closed the connection");
			else
				link_break(t, "read: %s", r == -EPIPE ? "EOF inside a header" : strerror(-r));
			break;
		}
		tl_hdr_host(&h);
		if (h.magic != TL_MAGIC || h.version != t->version || h.reserved || h.length > TL_MAX_PAYLOAD) {
			link_break(t, "bad header (magic %#x, version %u, length %u)", h.magic, h.version, h.length);
			break;
		}
		switch (h.type) {
		case TL_RESP:
			r = on_resp(t, &h);
			break;
		case TL_RPC:
			r = on_rpc(t, &h);
			break;
		case TL_ATTACHED:
		case TL_DETACHED:
		case TL_IMPORTED:
		case TL_RESTORED_ACK:
		case TL_STATS_ANSWER:
			r = on_ctl_answer(t, &h);
			break;
		case TL_ERROR:
			r = on_error(t, &h);
			break;
		default:
			r = -EPROTO;
			break;
		}
		if (is_broken(t))
			break;
		if (r) {
			link_break(t, "%s (type %u %s, tag %llu, length %u)",
				   r == -EBADMSG ? "malformed message" : r == -EPROTO ? "unexpected message type"
				   : strerror(-r), h.type, tl_type_name(h.type), (unsigned long long)h.tag, h.length);
			break;
		}
	}
	return NULL;
}

const struct vtee_backend_ops vtee_link_backend = {
	.name = "link",
	.description = "a TEE in another process (vtee-tee) over a stream socket: fd=N[,resume]",
	.open = link_open,
	.close = link_close,
	.vm_created = link_vm_created,
	.vm_destroyed = link_vm_destroyed,
	.submit = link_submit,
	.cancel = link_cancel,
	.vm_session_count = link_vm_session_count,
	.session_export = link_session_export,
	.session_import = link_session_import,
	.vm_restored = link_vm_restored,
};
VTEE_BACKEND_REGISTER(vtee_link_backend);
