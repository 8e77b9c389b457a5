// SPDX-License-Identifier: MIT
/*
 * vtee-tee: a built-in TEE back-end ("soft" by default) served in its own
 * process to link connections (docs/tee-link.md). The supervisor owns this
 * process; each VM's mediator (vteed, with the "link" back-end) reaches it
 * over one stream socket. A VM's TEE state is keyed by vm_id and outlives
 * the connection that made it: when a mediator dies, its VM's sessions stay
 * here, and the restarted mediator attaches with RESUME, imports the sessions
 * it still knows and says RESTORED; the sessions nobody imported are closed.
 *
 * Threads: one reader per connection (reads with a buffer, parses and
 * validates every message, answers control messages, and submits every
 * request to the back-end itself), a pool of up to TL_MAX_INFLIGHT handler
 * threads per connection and the main thread (supervisor socket, signals).
 * A request the back-end finished inside submit() (the soft TEE runs quick
 * calls inline) is answered by the reader at once: no hand-off at all. Any
 * other is handed, already submitted, to a handler thread, which waits for
 * it, forwards its RPCs and answers it. Either way job_finish() ends it.
 *
 * Locking: G (vms, conns) -> vm->lock (sessions, jobs, and the job table of
 * every connection attached to that VM) ; conn->plock (its pool queue) and
 * conn->send_lock are leaves. The back-end is never called with G held; only
 * its cancel() is called under vm->lock (as the core does under its VM lock).
 *
 * Least privilege (daemon/sandbox.h, docs/threat-model.md): every mediator is
 * treated as compromisable, and this process parses what they send. So once
 * the arguments are parsed, the signals set up and the back-end open, and
 * before anything is read from the supervisor or a connection, it gives up
 * root (--user, default "nobody") and enters the seccomp sandbox with the
 * vtee-tee profile: no file, no new socket, no process, no exec.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h" /* struct vtee_tee: the back-end's ops and instance */
#include "idmap.h"
#include "link_proto.h"
#include "policy.h"
#include "sandbox.h"
#include "shm_host.h"
#include "vtee/vtee.h"

/* Host buffers one VM's requests may hold at once (the soft TEE bounds its own copies too). */
#define VM_BUF_MAX       (2 * TL_MAX_MEMREF)
#define WORKER_STACK     (512u << 10)
#define MMAP_THRESHOLD   (64u << 10)

struct conn;

struct tsess {
	void *be;      /* the back-end's session */
	uint64_t gen;  /* generation of the connection that owns it (opened or imported it) */
};

struct job;

struct tvm {
	uint32_t vm_id;
	char name[TL_NAME_MAX];
	void *be;
	/* G */
	unsigned refs;          /* the table + each attached connection */
	bool in_table;
	struct tvm *next;
	/* lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;    /* busy drops, RPC answers, deaths */
	bool dying;
	struct conn *owner;     /* the connection serving this VM now */
	struct idmap sess;      /* handle -> struct tsess */
	uint64_t next_handle;
	struct job *jobs;       /* requests using the back-end */
	unsigned busy;          /* jobs + synchronous operations using be */
	uint64_t buf_bytes;     /* host buffers held by jobs */
};

struct conn {
	int fd;
	unsigned id;
	uint32_t bound_vm;      /* non-zero: the supervisor allows ATTACH of this vm_id only */
	uint16_t version;       /* 0 until HELLO */
	uint64_t gen;           /* per ATTACH */
	atomic_bool dead;
	pthread_mutex_t send_lock;
	struct tvm *vm;         /* written by the reader only */
	struct idmap jobs;      /* tag -> job; vm->lock */
	unsigned njobs;         /* vm->lock */
	unsigned imported;      /* IMPORTs that succeeded since ATTACH (reader) */
	/* pool */
	pthread_mutex_t plock;
	pthread_cond_t pcond;
	struct job *qhead, *qtail;
	unsigned qlen, idle, nworkers;
	bool stopping;
	pthread_t workers[TL_MAX_INFLIGHT];
	struct tl_rbuf rb;      /* the reader's */
	/* G */
	struct conn *next;
	char label[TL_NAME_MAX];
};

enum { RPC_NONE, RPC_WAIT, RPC_ANSWERED };

struct job {
	struct conn *c;
	struct tvm *vm;
	uint64_t tag;
	uint64_t handle;            /* INVOKE, CLOSE */
	uint32_t np;
	struct vtee_req req;
	uint64_t size_in[TL_MAX_PARAMS];
	bool null[TL_MAX_PARAMS];   /* NULL memrefs (size only) */
	void *buf[TL_MAX_PARAMS];
	size_t buf_alloc[TL_MAX_PARAMS];
	struct vtee_shm *shm[TL_MAX_PARAMS];
	uint64_t charged;
	/* vm->lock */
	bool submitted, cancel_pending;
	int rpc_state;
	struct vtee_rpc answer;
	struct job *vprev, *vnext;
	struct job *qnext;          /* conn->plock */
};

static const struct vtee_backend_ops *ops;
static void *be_tee;

static pthread_mutex_t G = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t G_cond = PTHREAD_COND_INITIALIZER;
static struct tvm *vms;
static struct conn *conns;
static unsigned nconns, next_conn_id;
static uint64_t next_gen;
static bool exiting;
static int ev_fd = -1; /* main loop wake-up: a connection ended */

/* ---- logging ---- */

static void logmsg(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(const char *who, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vtee-tee[%s]: %s\n", who && who[0] ? who : "-", buf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-tee [--fd N]... [--ctl-fd N] [--backend NAME] [--options STR]\n"
		"                [--policy FILE] [--ephemeral] [--user NAME] [--no-sandbox] [--help]\n"
		"\n"
		"Serve a built-in TEE to VM mediators (vteed with the \"link\" back-end) over the\n"
		"TEE link protocol (docs/tee-link.md). Each VM's TEE state is kept by vm_id and\n"
		"outlives the mediator's connection, so a mediator killed at any instant can be\n"
		"restarted and take its VM's sessions over.\n"
		"\n"
		"  --fd N         serve the already-connected stream socket N (may be repeated)\n"
		"  --ctl-fd N     a Unix socket to the supervisor: every message on it is one byte\n"
		"                 with one connected stream socket attached (SCM_RIGHTS), served\n"
		"                 like --fd; the byte 'B' followed by a little-endian u32 vm_id\n"
		"                 binds the connection to that VM (it may ATTACH no other).\n"
		"                 EOF on it means the supervisor is gone: every VM is destroyed\n"
		"                 and vtee-tee exits with status 0\n"
		"  --backend NAME the built-in back-end to serve (default \"soft\")\n"
		"  --options STR  its options (e.g. \"threads=8\" for soft)\n"
		"  --policy FILE  enforce a policy file's [ta] rules and [quota] sessions here,\n"
		"                 whatever the mediator does (docs/policy.md): a remote tenant's\n"
		"                 (vtee-served) limits, which its own mediator cannot lift\n"
		"  --ephemeral    a VM ends when the connection that attached it ends (remote\n"
		"                 mediators: none comes back to resume it); default: it is kept\n"
		"  --user NAME    run as NAME (started as root: default \"nobody\"; root itself is\n"
		"                 refused). Not root: only the current user is accepted\n"
		"  --no-sandbox   UNSAFE, for debugging only: no seccomp filter. By default,\n"
		"                 once the back-end is open and before anything is read from a\n"
		"                 connection, vtee-tee may use only the system calls it needs\n"
		"                 to serve (docs/threat-model.md); any other kills it (SIGSYS)\n"
		"  --help         this text\n"
		"\n"
		"Without --ctl-fd, vtee-tee exits when its last connection has ended. SIGTERM,\n"
		"SIGINT and SIGHUP destroy every VM and exit with status 0. Exit status 2: bad\n"
		"arguments, or --user or the sandbox cannot be set up; 1: other errors. Logs go\n"
		"to stderr, one line per event, prefixed with \"vtee-tee[VM name]:\".\n");
}

/* --policy: the TEE's own limits for every VM it serves (a remote tenant's) */
static struct vteed_policy policy;
static bool have_policy;
/* --ephemeral: a VM ends with the connection that made it (no mediator comes back to resume it) */
static bool ephemeral;

/* ---- VMs ---- */

static void vm_put(struct tvm *v)
{
	pthread_mutex_lock(&G);
	bool last = --v->refs == 0;
	pthread_mutex_unlock(&G);
	if (!last)
		return;
	idmap_free(&v->sess);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* G held */
static struct tvm *vm_find(uint32_t vm_id)
{
	for (struct tvm *v = vms; v; v = v->next)
		if (v->vm_id == vm_id)
			return v;
	return NULL;
}

/* G held */
static void vm_unlink(struct tvm *v)
{
	for (struct tvm **pp = &vms; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	v->in_table = false;
	v->next = NULL;
}

/* Stop a connection: its reader sees EOF; nothing more is sent on it. Caller ensures fd is open. */
static void conn_kick(struct conn *c)
{
	atomic_store(&c->dead, true);
	shutdown(c->fd, SHUT_RDWR);
}

static bool vm_use_begin(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	bool ok = !v->dying;
	if (ok)
		v->busy++;
	pthread_mutex_unlock(&v->lock);
	return ok;
}

static void vm_use_end(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	v->busy--;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/* Close one back-end session with nobody to answer its RPCs. The caller holds a use of v. */
static uint32_t close_sync(struct tvm *v, void *be_sess)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = be_sess, .client = { .vm_id = v->vm_id } };
	vtee_req_arm(&r);
	ops->submit(v->be, &r);
	while (vtee_req_wait_event(&r, UINT64_MAX) == VTEE_WAIT_RPC) {
		r.rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(&r);
	}
	return r.ret;
}

/*
 * Destroy a VM already taken out of the table: cancel what runs, fail its
 * RPCs, wait until nothing uses the back-end, close the sessions, tell the
 * back-end. Drops the table's reference. Returns the sessions closed.
 */
static uint32_t vm_destroy(struct tvm *v)
{
	pthread_mutex_lock(&v->lock);
	v->dying = true;
	for (struct job *j = v->jobs; j; j = j->vnext) {
		j->cancel_pending = true;
		if (j->submitted)
			ops->cancel(v->be, &j->req);
	}
	pthread_cond_broadcast(&v->cond);
	while (v->busy)
		pthread_cond_wait(&v->cond, &v->lock);
	v->owner = NULL;
	pthread_mutex_unlock(&v->lock);

	/* nothing else touches v->sess or v->be from here */
	uint32_t closed = 0;
	size_t pos = 0;
	uint64_t key;
	struct tsess *s;
	while ((s = idmap_next(&v->sess, &pos, &key))) {
		close_sync(v, s->be);
		free(s);
		closed++;
	}
	idmap_free(&v->sess);
	ops->vm_destroyed(v->be);
	v->be = NULL;
	vm_put(v);
	return closed;
}

/* ---- sending ---- */

struct piece {
	const void *p;
	size_t n;
};

/* One message; false (and the connection is stopped) if it could not be written. */
static bool conn_sendv(struct conn *c, uint16_t type, uint64_t tag, const struct piece *pc, unsigned npc)
{
	if (atomic_load(&c->dead))
		return false;
	uint64_t len = 0;
	for (unsigned i = 0; i < npc; i++)
		len += pc[i].n;
	uint16_t version = type == TL_WELCOME || !c->version ? TL_VERSION_BASE : c->version;
	struct tl_hdr h = tl_hdr_make(version, type, (uint32_t)len, tag);
	struct iovec iov[1 + 1 + TL_MAX_PARAMS];
	iov[0] = (struct iovec){ &h, sizeof(h) };
	for (unsigned i = 0; i < npc && i < 1 + TL_MAX_PARAMS; i++)
		iov[1 + i] = (struct iovec){ (void *)pc[i].p, pc[i].n };
	pthread_mutex_lock(&c->send_lock);
	int r = tl_writev_all(c->fd, iov, (int)(1 + (npc < 1 + TL_MAX_PARAMS ? npc : 1 + TL_MAX_PARAMS)));
	pthread_mutex_unlock(&c->send_lock);
	if (r) {
		conn_kick(c);
		return false;
	}
	return true;
}

static bool conn_send(struct conn *c, uint16_t type, uint64_t tag, const void *p, size_t n)
{
	struct piece pc = { p, n };
	return conn_sendv(c, type, tag, &pc, 1);
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

/* ---- jobs ---- */

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
static void *buf_alloc(uint64_t size, size_t *alloc)
{
	size_t n = (size_t)((size + 4095) & ~4095ull);
	if (!n)
		n = 4096;
	*alloc = n;
	if (n >= MMAP_THRESHOLD) {
		void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	void *p = aligned_alloc(4096, n);
	if (p)
		memset(p, 0, n);
	return p;
}

static void job_free(struct job *j)
{
	for (unsigned i = 0; i < TL_MAX_PARAMS; i++) {
		vtee_shm_host_free(j->shm[i]);
		buf_free(j->buf[i], j->buf_alloc[i]);
	}
	free(j);
}

/* The job is over: out of every table, its budget back. */
static void job_end(struct job *j)
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

/* The back-end asked its caller's normal world (req.rpc): forward it and wait for the mediator. */
static void forward_rpc(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;
	struct vtee_rpc *rpc = j->req.rpc;

	struct tl_rpc w;
	memset(&w, 0, sizeof(w));
	bool ok = rpc->num_params <= VTEE_RPC_MAX_PARAMS;
	w.cmd = tl_le32(rpc->cmd);
	w.num_params = tl_le32(ok ? rpc->num_params : 0);
	for (uint32_t i = 0; ok && i < rpc->num_params; i++) {
		const struct vtee_param *p = &rpc->params[i];
		if (p->type != VTEE_PARAM_NONE && !vtee_param_is_value(p->type)) {
			ok = false; /* value parameters only, by contract */
			break;
		}
		w.params[i].type = tl_le32(p->type);
		if (vtee_param_is_value(p->type)) {
			w.params[i].a = tl_le64(p->u.value.a);
			w.params[i].b = tl_le64(p->u.value.b);
			w.params[i].c = tl_le64(p->u.value.c);
		}
	}

	pthread_mutex_lock(&v->lock);
	if (!ok || atomic_load(&c->dead) || v->dying) {
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
 * The request is over (the back-end finished it, or it never ran: ret says
 * why): record what it changed, answer it, end it. The one way out for every
 * request the reader accepted, on whichever thread finished it.
 */
static void job_finish(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;
	uint64_t handle = 0;
	if (j->req.op == VTEE_REQ_OPEN && j->req.ret == TEE_SUCCESS) {
		struct tsess *s = malloc(sizeof(*s));
		pthread_mutex_lock(&v->lock);
		/* delivered only to the VM's current mediator; anyone else's OPEN would leave an orphan */
		bool deliver = !atomic_load(&c->dead) && v->owner == c && !v->dying;
		if (deliver && s) {
			s->be = j->req.session;
			s->gen = c->gen;
			handle = ++v->next_handle;
			if (idmap_put(&v->sess, handle, s))
				handle = 0;
		}
		pthread_mutex_unlock(&v->lock);
		if (!handle) {
			free(s);
			close_sync(v, j->req.session);
			if (deliver) {
				j->req.ret = TEE_ERROR_OUT_OF_MEMORY;
				j->req.ret_origin = TEE_ORIGIN_TEE;
			} else {
				logmsg(v->name, "conn %u: OPEN finished after its mediator left: orphan session closed",
				       c->id);
			}
		}
	} else if (j->req.op == VTEE_REQ_CLOSE && j->req.ret == TEE_SUCCESS) {
		pthread_mutex_lock(&v->lock);
		free(idmap_del(&v->sess, j->handle));
		pthread_mutex_unlock(&v->lock);
	}
	send_resp(j, handle);
	job_end(j);
}

static void job_fail(struct job *j, uint32_t ret)
{
	j->req.ret = ret;
	j->req.ret_origin = TEE_ORIGIN_TEE;
	job_finish(j);
}

/* A handler thread: a submitted request that did not finish in submit(). Forward its RPCs until it is done. */
static void job_wait(struct job *j)
{
	while (vtee_req_wait_event(&j->req, UINT64_MAX) == VTEE_WAIT_RPC)
		forward_rpc(j);
	job_finish(j);
}

/* req->state once vtee_req_done() was called (include/vtee/backend.h: we are the "core" here). */
#define REQ_STATE_DONE 1u

static bool pool_push(struct conn *c, struct job *j);

/*
 * The reader: run a request on the back-end. A quick call (the soft TEE runs
 * it inline, inside submit()) is answered right here, with no hand-off; any
 * other goes to a handler thread, already submitted, which waits for it.
 */
static void job_start(struct job *j)
{
	struct tvm *v = j->vm;
	struct conn *c = j->c;

	/* --policy: the tenant's rules hold here, whatever its mediator allowed */
	if (have_policy && j->req.op == VTEE_REQ_OPEN) {
		if (!vteed_policy_ta_allowed(&policy, &j->req.ta)) {
			job_fail(j, TEE_ERROR_ACCESS_DENIED);
			return;
		}
		long n = ops->vm_session_count ? ops->vm_session_count(v->be) : 0;
		if (policy.quota.max_sessions && n >= (long)policy.quota.max_sessions) {
			job_fail(j, TEE_ERROR_OUT_OF_MEMORY);
			return;
		}
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
	ops->submit(v->be, &j->req);
	/* a cancel that came before submit() (the VM is being destroyed) is not lost */
	pthread_mutex_lock(&v->lock);
	if (j->cancel_pending || v->dying)
		ops->cancel(v->be, &j->req);
	pthread_mutex_unlock(&v->lock);

	if (atomic_load_explicit(&j->req.state, memory_order_acquire) == REQ_STATE_DONE) {
		job_finish(j);
		return;
	}
	if (pool_push(c, j))
		return;
	/*
	 * No handler thread exists and none could be made. The reader must not
	 * wait for RPC answers (it is the one who would read them): stop the
	 * call, fail its RPCs, answer what it came to.
	 */
	pthread_mutex_lock(&v->lock);
	ops->cancel(v->be, &j->req);
	pthread_mutex_unlock(&v->lock);
	while (vtee_req_wait_event(&j->req, UINT64_MAX) == VTEE_WAIT_RPC) {
		j->req.rpc->ret = TEE_ERROR_COMMUNICATION;
		vtee_req_rpc_answer(&j->req);
	}
	job_finish(j);
}

static void *worker_main(void *arg)
{
	struct conn *c = arg;
	pthread_mutex_lock(&c->plock);
	for (;;) {
		while (!c->qhead && !c->stopping) {
			c->idle++;
			pthread_cond_wait(&c->pcond, &c->plock);
			c->idle--;
		}
		struct job *j = c->qhead;
		if (!j)
			break; /* stopping, and nothing left to run */
		c->qhead = j->qnext;
		if (!c->qhead)
			c->qtail = NULL;
		c->qlen--;
		pthread_mutex_unlock(&c->plock);
		job_wait(j);
		pthread_mutex_lock(&c->plock);
	}
	pthread_mutex_unlock(&c->plock);
	return NULL;
}

/* Hand a submitted job to the pool; false if no thread exists and none could be made. */
static bool pool_push(struct conn *c, struct job *j)
{
	pthread_mutex_lock(&c->plock);
	j->qnext = NULL;
	if (c->qtail)
		c->qtail->qnext = j;
	else
		c->qhead = j;
	c->qtail = j;
	c->qlen++;
	if (c->idle >= c->qlen) {
		pthread_cond_signal(&c->pcond);
	} else if (c->nworkers < TL_MAX_INFLIGHT) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, WORKER_STACK);
		if (!pthread_create(&c->workers[c->nworkers], &attr, worker_main, c))
			c->nworkers++;
		pthread_attr_destroy(&attr);
	}
	bool ok = c->nworkers > 0;
	if (!ok) {
		c->qhead = c->qtail = NULL;
		c->qlen = 0;
	}
	pthread_mutex_unlock(&c->plock);
	return ok;
}

static void pool_stop(struct conn *c)
{
	pthread_mutex_lock(&c->plock);
	c->stopping = true;
	pthread_cond_broadcast(&c->pcond);
	unsigned n = c->nworkers;
	pthread_mutex_unlock(&c->plock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(c->workers[i], NULL);
}

/* ---- the reader: one connection ---- */

/* A protocol error: why the connection is dropped. */
struct drop {
	int code;
	char why[200];
};

static int drop(struct drop *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int drop(struct drop *d, int code, const char *fmt, ...)
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

static int on_attach(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_attach w;
	if (h->length != sizeof(w))
		return drop(d, EBADMSG, "malformed ATTACH");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	uint32_t vm_id = tl_h32(w.vm_id), flags = tl_h32(w.flags);
	size_t nl = strnlen(w.name, sizeof(w.name));
	bool name_ok = nl > 0 && nl < sizeof(w.name) && all_zero(w.name + nl, sizeof(w.name) - nl);
	for (size_t i = 0; name_ok && i < nl; i++)
		name_ok = w.name[i] >= 0x20 && w.name[i] < 0x7f;
	if (!vm_id || (flags & ~TL_ATTACH_RESUME) || !name_ok)
		return drop(d, EINVAL, "bad ATTACH (vm_id %u, flags %#x, name %s)", vm_id, flags,
			    name_ok ? "ok" : "not printable/terminated");
	if (c->vm)
		return drop(d, EISCONN, "ATTACH while attached to vm %u", c->vm->vm_id);
	if (c->bound_vm && vm_id != c->bound_vm)
		return drop(d, EACCES, "ATTACH of vm %u on a connection the supervisor bound to vm %u", vm_id,
			    c->bound_vm);
	bool resume = flags & TL_ATTACH_RESUME;
	struct tl_attached ans = { 0 };

	pthread_mutex_lock(&G);
	if (exiting) {
		pthread_mutex_unlock(&G);
		ans.status = (int32_t)tl_le32(ESHUTDOWN);
		conn_send(c, TL_ATTACHED, h->tag, &ans, sizeof(ans));
		return 0;
	}
	struct tvm *v = vm_find(vm_id), *old = NULL;
	if (v && !resume) {
		vm_unlink(v);
		old = v;
		v = NULL;
	} else if (v) {
		v->refs++;
	}
	pthread_mutex_unlock(&G);

	if (old) {
		pthread_mutex_lock(&old->lock);
		if (old->owner && old->owner != c)
			conn_kick(old->owner);
		pthread_mutex_unlock(&old->lock);
		uint32_t closed = vm_destroy(old);
		logmsg(w.name, "conn %u: new VM %u: the TEE still had state for this id: destroyed (%u sessions closed)",
		       c->id, vm_id, closed);
	}
	bool resumed = v != NULL;
	if (!v) {
		v = calloc(1, sizeof(*v));
		void *be = NULL;
		int e = v ? ops->vm_created(be_tee, vm_id, w.name, &be) : -ENOMEM;
		if (e) {
			free(v);
			logmsg(w.name, "conn %u: the back-end refused vm %u: %s", c->id, vm_id, strerror(-e));
			ans.status = (int32_t)tl_le32((uint32_t)(e < 0 ? -e : EIO));
			conn_send(c, TL_ATTACHED, h->tag, &ans, sizeof(ans));
			return 0;
		}
		v->vm_id = vm_id;
		memcpy(v->name, w.name, sizeof(v->name));
		v->be = be;
		pthread_mutex_init(&v->lock, NULL);
		pthread_cond_init(&v->cond, NULL);
		pthread_mutex_lock(&G);
		bool clash = exiting || vm_find(vm_id);
		if (!clash) {
			v->refs = 2; /* the table, this connection */
			v->in_table = true;
			v->next = vms;
			vms = v;
		}
		pthread_mutex_unlock(&G);
		if (clash) {
			/* another connection made it at the same instant */
			v->refs = 1;
			vm_destroy(v);
			ans.status = (int32_t)tl_le32(EBUSY);
			conn_send(c, TL_ATTACHED, h->tag, &ans, sizeof(ans));
			return 0;
		}
	}

	pthread_mutex_lock(&v->lock);
	bool dying = v->dying;
	struct conn *prev = v->owner;
	if (!dying) {
		if (prev && prev != c)
			conn_kick(prev); /* one mediator per VM: the newest wins */
		v->owner = c;
	}
	uint32_t sessions = (uint32_t)v->sess.count;
	pthread_mutex_unlock(&v->lock);
	if (dying) {
		vm_put(v);
		ans.status = (int32_t)tl_le32(EAGAIN);
		conn_send(c, TL_ATTACHED, h->tag, &ans, sizeof(ans));
		return 0;
	}
	pthread_mutex_lock(&G);
	c->gen = ++next_gen;
	snprintf(c->label, sizeof(c->label), "%s", w.name);
	pthread_mutex_unlock(&G);
	c->vm = v;
	c->imported = 0;

	if (prev && prev != c)
		logmsg(v->name, "conn %u: vm %u taken over from conn %u, which was still connected", c->id, vm_id,
		       prev->id);
	if (!resume)
		logmsg(v->name, "conn %u: attached, new vm %u", c->id, vm_id);
	else if (resumed)
		logmsg(v->name, "conn %u: resumed vm %u: %u sessions kept until RESTORED", c->id, vm_id, sessions);
	else
		logmsg(v->name, "conn %u: resume asked, but no state for vm %u: new VM", c->id, vm_id);
	ans.flags = tl_le32(resumed ? TL_ATTACHED_RESUMED : 0);
	ans.sessions = tl_le32(sessions);
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
	pthread_mutex_lock(&G);
	bool mine = v->in_table;
	if (mine)
		vm_unlink(v);
	pthread_mutex_unlock(&G);
	uint32_t id = v->vm_id;
	uint32_t closed = mine ? vm_destroy(v) : 0;
	c->vm = NULL;
	vm_put(v);
	logmsg(c->label, "conn %u: detached: vm %u destroyed, %u sessions closed", c->id, id, closed);
	struct tl_detached ans = { .closed = tl_le32(closed) };
	conn_send(c, TL_DETACHED, h->tag, &ans, sizeof(ans));
	return 0;
}

static bool param_ok(const struct tl_param *p, uint64_t *size, bool *null)
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

static int on_req(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_req w;
	if (h->length < sizeof(w))
		return drop(d, EBADMSG, "REQ shorter than its structure");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	uint32_t op = tl_h32(w.op), np = tl_h32(w.num_params);
	uint64_t session = tl_h64(w.session);
	if (op > TL_OP_CLOSE || np > TL_MAX_PARAMS || (op == TL_OP_CLOSE && np) ||
	    (op == TL_OP_OPEN) != (session == 0))
		return drop(d, EBADMSG, "bad REQ (op %u, %u params, session %llu)", op, np,
			    (unsigned long long)session);
	uint64_t inline_bytes = 0, all = 0, size[TL_MAX_PARAMS];
	bool null[TL_MAX_PARAMS];
	for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
		if (i >= np ? !all_zero(&w.params[i], sizeof(w.params[i])) : !param_ok(&w.params[i], &size[i], &null[i]))
			return drop(d, EBADMSG, "bad REQ parameter %u", i);
		if (i >= np || null[i])
			continue;
		all += size[i];
		if (vtee_param_is_input(tl_h32(w.params[i].type)))
			inline_bytes += size[i];
	}
	if (all > TL_MAX_MEMREF)
		return drop(d, E2BIG, "REQ memrefs total %llu bytes, more than %llu", (unsigned long long)all,
			    (unsigned long long)TL_MAX_MEMREF);
	if (h->length != sizeof(w) + inline_bytes)
		return drop(d, EBADMSG, "REQ length %u, its memrefs need %llu", h->length,
			    (unsigned long long)(sizeof(w) + inline_bytes));
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "REQ before ATTACH");
	if (!h->tag)
		return drop(d, EBADMSG, "REQ with tag 0");

	struct job *j = calloc(1, sizeof(*j));
	uint32_t early = j ? 0 : TEE_ERROR_OUT_OF_MEMORY;
	bool dup = false;
	pthread_mutex_lock(&v->lock);
	if (j && idmap_get(&c->jobs, h->tag)) {
		dup = true;
	} else if (!early && v->dying) {
		early = TEE_ERROR_TARGET_DEAD;
	} else if (!early && c->njobs >= TL_MAX_INFLIGHT) {
		early = TEE_ERROR_BUSY;
	} else if (!early && op != TL_OP_OPEN) {
		struct tsess *s = idmap_get(&v->sess, session);
		/* a session this mediator opened or imported; anything else is not its to use */
		if (!s || s->gen != c->gen)
			early = TEE_ERROR_BAD_PARAMETERS;
		else
			j->req.session = s->be;
	}
	if (!early && !dup) {
		if (all > VM_BUF_MAX - v->buf_bytes)
			early = TEE_ERROR_OUT_OF_MEMORY;
		else if (idmap_put(&c->jobs, h->tag, j))
			early = TEE_ERROR_OUT_OF_MEMORY;
	}
	if (!early && !dup) {
		j->c = c;
		j->vm = v;
		j->tag = h->tag;
		j->charged = all;
		v->buf_bytes += all;
		c->njobs++;
		v->busy++;
		j->vnext = v->jobs;
		if (v->jobs)
			v->jobs->vprev = j;
		v->jobs = j;
	}
	pthread_mutex_unlock(&v->lock);
	if (dup) {
		free(j);
		return drop(d, EBADMSG, "REQ tag %llu already in flight", (unsigned long long)h->tag);
	}
	if (early) {
		free(j);
		r = tl_rb_skip(&c->rb, inline_bytes);
		if (!r)
			send_early_resp(c, h->tag, &w, early);
		return r;
	}

	/* The request, as the back-end sees it: identity is the VM's, never the mediator's claim. */
	j->np = np;
	j->handle = session;
	j->req.op = op == TL_OP_OPEN ? VTEE_REQ_OPEN : op == TL_OP_INVOKE ? VTEE_REQ_INVOKE : VTEE_REQ_CLOSE;
	j->req.client.vm_id = v->vm_id;
	j->req.client.login = tl_h32(w.login);
	memcpy(j->req.client.uuid.b, w.client_uuid, 16);
	memcpy(j->req.ta.b, w.ta_uuid, 16);
	j->req.func = tl_h32(w.func);
	j->req.num_params = np;
	bool nomem = false;
	for (uint32_t i = 0; i < np && !r; i++) {
		struct vtee_param *p = &j->req.params[i];
		const struct tl_param *wp = &w.params[i];
		p->type = tl_h32(wp->type);
		if (vtee_param_is_value(p->type)) {
			p->u.value.a = tl_h64(wp->a);
			p->u.value.b = tl_h64(wp->b);
			p->u.value.c = tl_h64(wp->c);
			continue;
		}
		if (!vtee_param_is_memref(p->type))
			continue;
		p->u.memref.size = size[i];
		j->size_in[i] = size[i];
		j->null[i] = null[i];
		if (null[i])
			continue;
		bool in = vtee_param_is_input(p->type);
		if (!nomem) {
			j->buf[i] = buf_alloc(size[i], &j->buf_alloc[i]);
			j->shm[i] = j->buf[i] ? vtee_shm_host_new(j->buf[i], size[i]) : NULL;
			nomem = !j->shm[i];
		}
		p->u.memref.shm = j->shm[i];
		if (in)
			r = nomem ? tl_rb_skip(&c->rb, size[i]) : tl_rb_read(&c->rb, j->buf[i], (size_t)size[i], NULL);
	}
	if (r) {
		job_end(j); /* the connection is going: nobody to answer */
		return r;
	}
	if (nomem) {
		for (uint32_t i = 0; i < np; i++)
			if (vtee_param_is_memref(j->req.params[i].type))
				j->req.params[i].u.memref.size = j->size_in[i];
		/* no DATA: the shm of a failed param is NULL, and sizes are as sent */
		for (uint32_t i = 0; i < TL_MAX_PARAMS; i++) {
			vtee_shm_host_free(j->shm[i]);
			j->shm[i] = NULL;
		}
		job_fail(j, TEE_ERROR_OUT_OF_MEMORY);
		return 0;
	}
	job_start(j);
	return 0;
}

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
			ops->cancel(v->be, &j->req);
	}
	pthread_mutex_unlock(&v->lock);
	return 0; /* a CANCEL that crossed the answer names nothing: fine */
}

static int on_rpc_answer(struct conn *c, const struct tl_hdr *h, struct drop *d)
{
	struct tl_rpc w;
	if (h->length != sizeof(w))
		return drop(d, EBADMSG, "malformed RPC_ANSWER");
	int r = tl_rb_read(&c->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	struct vtee_rpc a = { .cmd = tl_h32(w.cmd), .num_params = tl_h32(w.num_params), .ret = tl_h32(w.ret) };
	bool ok = a.num_params <= TL_MAX_PARAMS && !w.reserved;
	for (uint32_t i = 0; ok && i < TL_MAX_PARAMS; i++) {
		const struct tl_param *p = &w.params[i];
		uint32_t type = tl_h32(p->type);
		if (i >= a.num_params) {
			ok = all_zero(p, sizeof(*p));
			continue;
		}
		ok = (type == VTEE_PARAM_NONE || vtee_param_is_value(type)) && !p->flags;
		a.params[i].type = type;
		a.params[i].u.value.a = tl_h64(p->a);
		a.params[i].u.value.b = tl_h64(p->b);
		a.params[i].u.value.c = tl_h64(p->c);
	}
	if (!ok)
		return drop(d, EBADMSG, "bad RPC_ANSWER parameters");
	struct tvm *v = c->vm;
	if (!v)
		return drop(d, ENOTCONN, "RPC_ANSWER before ATTACH");
	pthread_mutex_lock(&v->lock);
	struct job *j = idmap_get(&c->jobs, h->tag);
	ok = j && j->rpc_state == RPC_WAIT;
	if (ok) {
		j->answer = a;
		j->rpc_state = RPC_ANSWERED;
		pthread_cond_broadcast(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
	if (!ok)
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
	if (vm_use_begin(v)) {
		/* every session this mediator neither opened nor imported: nobody can reach it any more */
		for (;;) {
			size_t pos = 0;
			uint64_t key;
			struct tsess *s, *take = NULL;
			pthread_mutex_lock(&v->lock);
			while (!take && (s = idmap_next(&v->sess, &pos, &key)))
				if (s->gen != c->gen)
					take = s;
			if (take)
				idmap_del(&v->sess, key);
			pthread_mutex_unlock(&v->lock);
			if (!take)
				break;
			close_sync(v, take->be);
			free(take);
			closed++;
		}
		pthread_mutex_lock(&v->lock);
		left = (uint32_t)v->sess.count;
		pthread_mutex_unlock(&v->lock);
		vm_use_end(v);
	}
	logmsg(v->name, "conn %u: restored: %u sessions imported, %u orphans closed, %u open", c->id, c->imported,
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

static int dispatch(struct conn *c, const struct tl_hdr *h, struct drop *d)
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
	case TL_ERROR:
		return on_peer_error(c, h, d);
	default:
		return drop(d, EPROTO, "unexpected message type %u (%s)", h->type, tl_type_name(h->type));
	}
}

static void conn_free(struct conn *c)
{
	idmap_free(&c->jobs);
	pthread_cond_destroy(&c->pcond);
	pthread_mutex_destroy(&c->plock);
	pthread_mutex_destroy(&c->send_lock);
	free(c);
}

static void *reader_main(void *arg)
{
	struct conn *c = arg;
	struct drop d = { 0 };
	const char *end = "closed by the mediator";
	for (;;) {
		struct tl_hdr h;
		size_t got = 0;
		int r = tl_rb_read(&c->rb, &h, sizeof(h), &got);
		if (r) {
			if (atomic_load(&c->dead))
				end = "stopped";
			else if (r == -EPIPE && got)
				end = "EOF inside a message header";
			else if (r == -ECONNRESET)
				end = "reset by the mediator"; /* it died with our answers unread */
			else if (r != -EPIPE)
				end = strerror(-r);
			break;
		}
		tl_hdr_host(&h);
		if (h.magic != TL_MAGIC)
			r = drop(&d, EBADMSG, "bad magic %#x", h.magic);
		else if (h.reserved)
			r = drop(&d, EBADMSG, "reserved header field not 0");
		else if (h.length > TL_MAX_PAYLOAD)
			r = drop(&d, E2BIG, "payload of %u bytes, more than %llu", h.length,
				 (unsigned long long)TL_MAX_PAYLOAD);
		else if (c->version && h.version != c->version)
			r = drop(&d, EPROTONOSUPPORT, "message version %u, negotiated %u", h.version, c->version);
		else if (!h.type || h.type > TL_TYPE_LAST)
			r = drop(&d, EPROTO, "unknown message type %u", h.type);
		else
			r = dispatch(c, &h, &d);
		if (r == -EPROTO && d.why[0]) {
			if (d.code && !atomic_load(&c->dead)) {
				struct tl_error e = { .code = tl_le32((uint32_t)d.code) };
				struct piece pc[2] = { { &e, sizeof(e) }, { d.why, strnlen(d.why, TL_ERROR_TEXT_MAX) } };
				conn_sendv(c, TL_ERROR, h.tag, pc, 2);
			}
			logmsg(c->label, "conn %u dropped: protocol error: %s", c->id, d.why);
			end = NULL;
			break;
		}
		if (r) {
			end = atomic_load(&c->dead) ? "stopped" : r == -EPIPE ? "EOF inside a message" : strerror(-r);
			break;
		}
	}

	/* The mediator is gone. Its VM, and the VM's sessions, stay. */
	atomic_store(&c->dead, true);
	shutdown(c->fd, SHUT_RDWR);
	struct tvm *v = c->vm;
	bool owned = false;
	if (v) {
		pthread_mutex_lock(&v->lock);
		owned = v->owner == c;
		if (owned)
			v->owner = NULL;
		unsigned running = c->njobs;
		pthread_cond_broadcast(&v->cond); /* RPCs waiting for this mediator fail now */
		pthread_mutex_unlock(&v->lock);
		if (end)
			logmsg(c->label, "conn %u: connection %s; vm %u kept (%u requests still running)", c->id, end,
			       v->vm_id, running);
	} else if (end && c->version) {
		logmsg(NULL, "conn %u: connection %s", c->id, end);
	}
	pool_stop(c); /* requests in flight run to completion; their answers go nowhere */
	if (v && owned && ephemeral) {
		/* --ephemeral (a remote mediator): nobody will resume it, so it goes with its connection */
		pthread_mutex_lock(&G);
		bool mine = v->in_table;
		if (mine)
			vm_unlink(v);
		pthread_mutex_unlock(&G);
		uint32_t closed = mine ? vm_destroy(v) : 0;
		logmsg(c->label, "conn %u: vm %u destroyed with its connection, %u sessions closed", c->id, v->vm_id,
		       closed);
	}
	if (v)
		vm_put(v);

	pthread_mutex_lock(&G);
	for (struct conn **pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);
	nconns--;
	pthread_cond_broadcast(&G_cond);
	uint64_t one = 1;
	if (write(ev_fd, &one, sizeof(one)) < 0) {
		/* the main loop polls with a timeout too */
	}
	pthread_mutex_unlock(&G); /* after the write: main closes ev_fd once nconns is 0 */
	conn_free(c);
	return NULL;
}

static void conn_start(int fd, uint32_t bound_vm)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM) {
		logmsg(NULL, "fd %d is not a stream socket: ignored", fd);
		close(fd);
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->rb.fd = fd;
	c->bound_vm = bound_vm;
	pthread_mutex_init(&c->send_lock, NULL);
	pthread_mutex_init(&c->plock, NULL);
	pthread_cond_init(&c->pcond, NULL);

	pthread_mutex_lock(&G);
	if (exiting) {
		pthread_mutex_unlock(&G);
		close(fd);
		conn_free(c);
		return;
	}
	c->id = ++next_conn_id;
	c->next = conns;
	conns = c;
	nconns++;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&th, &attr, reader_main, c);
	pthread_attr_destroy(&attr);
	if (e) {
		conns = c->next;
		nconns--;
	}
	pthread_mutex_unlock(&G);
	if (e) {
		logmsg(NULL, "no thread for a new connection: %s", strerror(e));
		close(fd);
		conn_free(c);
	}
}

/* ---- the supervisor socket ---- */

/*
 * One message from the supervisor: 'C' (any other byte) with a connected
 * stream socket (SCM_RIGHTS), or 'B' with the socket then a little-endian
 * u32 vm_id the connection is bound to (it may ATTACH that VM only).
 * 1: a connection was started (or a bad message ignored); 0: EOF; -errno.
 */
static int ctl_receive(int ctl)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(ctl, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	int fds[4], nfds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < 4; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	uint32_t bound = 0;
	if (byte == 'B') {
		uint32_t le;
		ssize_t k;
		do
			k = recv(ctl, &le, sizeof(le), MSG_WAITALL);
		while (k < 0 && errno == EINTR);
		if (k != (ssize_t)sizeof(le)) {
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			return k < 0 ? -errno : 0;
		}
		bound = tl_h32(le);
	}
	if (nfds != 1 || (m.msg_flags & MSG_CTRUNC) || (byte == 'B' && !bound)) {
		logmsg(NULL, "supervisor message with %d fds (want 1)%s: ignored", nfds,
		       byte == 'B' && !bound ? " bound to vm 0" : "");
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return 1;
	}
	conn_start(fds[0], bound);
	return 1;
}

/* ---- main ---- */

static bool parse_fd(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 1000000)
		return false;
	*out = (int)v;
	return true;
}

int main(int argc, char **argv)
{
	vtee_set_log(vtee_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* libvtee's lines on stderr */
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "ctl-fd", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "options", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "ephemeral", no_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-sandbox", no_argument, NULL, 'N' },
		{ "sandbox-probe", required_argument, NULL, 'P' }, /* hidden: tests/daemon/test_sandbox.c */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int fds[64], nfds = 0, ctl = -1, opt;
	const char *backend = "soft", *options = NULL, *opt_user = NULL, *opt_probe = NULL;
	bool opt_no_sandbox = false;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (nfds == 64 || !parse_fd(optarg, &fds[nfds])) {
				fprintf(stderr, "vtee-tee: bad --fd %s\n", optarg);
				return 2;
			}
			nfds++;
			break;
		case 'c':
			if (!parse_fd(optarg, &ctl)) {
				fprintf(stderr, "vtee-tee: bad --ctl-fd %s\n", optarg);
				return 2;
			}
			break;
		case 'b':
			backend = optarg;
			break;
		case 'o':
			options = optarg;
			break;
		case 'p': {
			char err[256];
			vteed_policy_init(&policy);
			if (vteed_policy_load(&policy, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "vtee-tee: --policy: %s\n", err);
				return 2;
			}
			have_policy = true;
			break;
		}
		case 'e':
			ephemeral = true;
			break;
		case 'u':
			opt_user = optarg;
			break;
		case 'N':
			opt_no_sandbox = true;
			break;
		case 'P':
			if (!vteed_sandbox_probe_known(optarg)) {
				fprintf(stderr, "vtee-tee: unknown --sandbox-probe %s\n", optarg);
				return 2;
			}
			opt_probe = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (!nfds && ctl < 0)) {
		usage(stderr);
		return 2;
	}

	/* Signals: SIGTERM/SIGINT/SIGHUP through a signalfd in the main loop, blocked in every thread. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || ev_fd < 0) {
		fprintf(stderr, "vtee-tee: signalfd/eventfd: %s\n", strerror(errno));
		return 1;
	}

	struct vtee_tee *tee;
	int r = vtee_tee_open(backend, options, &tee);
	if (r) {
		fprintf(stderr, "vtee-tee: cannot open back-end \"%s\"%s%s: %s\n", backend, options ? " with " : "",
			options ? options : "", strerror(-r));
		return 1;
	}
	ops = tee->ops;
	be_tee = tee->priv;

	/*
	 * Least privilege from here on (sandbox.h, docs/threat-model.md): not
	 * root, no filesystem, the vtee-tee allowlist. Nothing has been read from
	 * the supervisor or a mediator yet; the connections start below.
	 */
	char sberr[256];
	int sbr = vteed_drop_privileges(opt_user ? opt_user : geteuid() == 0 ? "nobody" : NULL, sberr, sizeof(sberr));
	if (!sbr && !opt_no_sandbox)
		sbr = vteed_sandbox_enter_as(SANDBOX_VTEE_TEE, sberr, sizeof(sberr));
	if (sbr) {
		logmsg(NULL, "%s", sberr);
		vtee_tee_close(tee);
		return 2;
	}
	if (opt_no_sandbox)
		logmsg(NULL, "--no-sandbox: no seccomp filter (unsafe, for debugging only)");
	if (opt_probe) {
		vteed_sandbox_probe(opt_probe); /* the filter kills vtee-tee here unless it allows the call */
		vtee_tee_close(tee);
		return 0;
	}
	logmsg(NULL, "serving back-end \"%s\", protocol %u..%u", backend, TL_VERSION_MIN, TL_VERSION_MAX);

	for (int i = 0; i < nfds; i++)
		conn_start(fds[i], 0);

	const char *why = "no connection left";
	int status = 0;
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { ev_fd, POLLIN, 0 }, { ctl, POLLIN, 0 } };
		int n = poll(p, ctl >= 0 ? 3 : 2, 1000);
		if (n < 0 && errno != EINTR) {
			why = strerror(errno);
			status = 1;
			break;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				why = strsignal((int)si.ssi_signo);
			break;
		}
		if (p[1].revents) {
			uint64_t v;
			if (read(ev_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: someone else read it */
			}
		}
		if (ctl >= 0 && p[2].revents) {
			int cr = ctl_receive(ctl);
			if (cr == 0) {
				why = "the supervisor is gone";
				break;
			}
			if (cr < 0) {
				why = "error on the supervisor socket";
				status = 1;
				break;
			}
		}
		if (ctl < 0) {
			pthread_mutex_lock(&G);
			bool none = nconns == 0;
			pthread_mutex_unlock(&G);
			if (none)
				break;
		}
	}

	/* Stop every connection, destroy every VM, wait until all is gone. */
	pthread_mutex_lock(&G);
	exiting = true;
	for (struct conn *c = conns; c; c = c->next)
		conn_kick(c);
	struct tvm *all = vms;
	vms = NULL;
	for (struct tvm *v = all; v; v = v->next)
		v->in_table = false;
	pthread_mutex_unlock(&G);
	unsigned nvm = 0;
	while (all) {
		struct tvm *v = all;
		all = v->next;
		char name[TL_NAME_MAX];
		uint32_t id = v->vm_id;
		memcpy(name, v->name, sizeof(name));
		uint32_t closed = vm_destroy(v);
		logmsg(name, "vm %u destroyed on exit (%u sessions closed)", id, closed);
		nvm++;
	}
	pthread_mutex_lock(&G);
	while (nconns)
		pthread_cond_wait(&G_cond, &G);
	pthread_mutex_unlock(&G);
	vtee_tee_close(tee);
	logmsg(NULL, "exiting: %s (%u VMs destroyed)", why, nvm);
	if (ctl >= 0)
		close(ctl);
	close(sfd);
	close(ev_fd);
	return status;
}
