/* SPDX-License-Identifier: MIT */
/*
 * vtee-tee: a built-in TEE back-end ("soft" by default) served in its own
 * process to link connections (docs/tee-link.md). The supervisor owns this
 * process; each VM's mediator (vteed, with the "link" back-end) reaches it
 * over one stream socket. A VM's TEE state is keyed by vm_id and outlives
 * the connection that made it: when a mediator dies, its VM's sessions stay
 * here, and the restarted mediator attaches with RESUME, imports the sessions
 * it still knows and says RESTORED; the sessions nobody imported are closed.
 *
 *   main.c      arguments, start-up (back-end, sandbox), the main loop, exit
 *   ctl.c       the supervisor's socket: new connections, bound to a VM
 *   conn.c      a connection: its reader thread, sending, the dispatch
 *   messages.c  what each link message does
 *   vm.c        the VM table and each VM's sessions
 *   job.c       a request on the back-end, from submit() to its answer, and
 *               each connection's handler threads (lib/util's worker pool)
 *   storage.c   the VMs' secure storage the supervisor hands over, kept by
 *               vm_id, given to the back-end when the VM is created
 *
 * Threads: one reader per connection (reads with a buffer, parses and
 * validates every message, answers control messages, and submits every
 * request to the back-end itself), a worker pool of up to TL_MAX_INFLIGHT
 * handler threads per connection (lib/util/pool.h, started with the reader,
 * stopped when the connection ends) and the main thread (supervisor socket,
 * signals).
 * A request the back-end finished inside submit() (the soft TEE runs quick
 * calls inline) is answered by the reader at once: no hand-off at all. Any
 * other is handed, already submitted, to a handler thread, which waits for
 * it, forwards its RPCs and answers it. Either way job_finish() ends it.
 *
 * Locking: srv.lock (vms, conns) -> vm->lock (sessions, jobs, and the job
 * table of every connection attached to that VM) ; the pool's own lock and
 * conn->send_lock are leaves. The back-end is never called with
 * srv.lock held; only its cancel() is called under vm->lock (as the core does
 * under its VM lock).
 *
 * Least privilege (daemon/common/sandbox.h, docs/threat-model.md): every
 * mediator is treated as compromisable, and this process parses what they
 * send. So once the arguments are parsed, the signals set up and the
 * back-end open, and before anything is read from the supervisor or a
 * connection, it gives up root (--user, default "nobody") and enters the
 * seccomp sandbox with the vtee-tee profile: no file, no new socket, no
 * process, no exec.
 */
#ifndef VTEE_TEE_PROCESS_H
#define VTEE_TEE_PROCESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon_log.h"
#include "idmap.h"
#include "link_proto.h"
#include "policy.h"
#include "pool.h"
#include "vtee/backend.h"
#include "vtee/vtee.h"

struct conn;
struct job;

struct tsess {
	void *be;      /* the back-end's session */
	uint64_t gen;  /* generation of the connection that owns it (opened or imported it) */
};

struct tvm {
	uint32_t vm_id;
	char name[TL_NAME_MAX];
	void *be;
	/* srv.lock */
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
	int chan_fd;            /* the channel's memfd (-1: the socket carries the messages) */
	struct vtee_chan *chan; /* the channel mapped, or NULL */
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
	struct vtee_pool pool;  /* its handler threads; the reader's from start to end */
	struct tl_rbuf rb;      /* the reader's */
	/* srv.lock */
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
	struct vtee_pool_item item; /* on c->pool while a handler waits for it */
};

/* The process: its back-end, its VMs and connections, its options. */
struct tee_process {
	struct vtee_tee *tee;       /* the back-end instance, opened by name */
	const struct vtee_backend_ops *ops; /* its ops (vtee_backend_find), driven directly */
	void *be;                   /* its state (vtee_tee_backend_priv) */
	pthread_mutex_t lock;       /* vms, conns, nconns, next_*, exiting */
	pthread_cond_t cond;        /* a connection ended */
	struct tvm *vms;
	struct conn *conns;
	unsigned nconns, next_conn_id;
	uint64_t next_gen;
	bool exiting;
	int ev_fd;                  /* main loop wake-up: a connection ended */
	struct vteed_policy policy; /* --policy: the TEE's own limits for every VM it serves (a remote tenant's) */
	bool have_policy;
	bool ephemeral;             /* --ephemeral: a VM ends with the connection that made it */
};

extern struct tee_process srv;

/* One line about a VM (NULL or "": about none). */
#define tee_log(who, ...) vteed_log_as(who, VLOG_INFO, __VA_ARGS__)

/* vm.c */
void vm_put(struct tvm *v);
struct tvm *vm_find(uint32_t vm_id); /* srv.lock held */
void vm_unlink(struct tvm *v);       /* srv.lock held */
/* A new VM from the back-end (its -errno if it refused), then into the table (-EBUSY: made meanwhile). */
int vm_create(uint32_t vm_id, const char *name, struct tvm **out);
int vm_insert(struct tvm *v);
/* A synchronous use of v's back-end: 0, or -ESHUTDOWN when the VM is dying. */
int vm_use_begin(struct tvm *v);
void vm_use_end(struct tvm *v);
/* Close one back-end session with nobody to answer its RPCs. The caller holds a use of v. */
void close_sync(struct tvm *v, void *be_sess);
/* Destroy a VM already out of the table; drops the table's reference. Returns the sessions closed. */
uint32_t vm_destroy(struct tvm *v);
/* Take a VM out of the table (if still in it) and destroy it: the sessions closed. */
uint32_t vm_remove(struct tvm *v);
/* Close the sessions no connection of generation gen opened or imported: how many. */
uint32_t vm_close_orphans(struct tvm *v, uint64_t gen);

/* conn.c */
struct piece {
	const void *p;
	size_t n;
};
/* One message; 0, or -EPIPE (and the connection is stopped) if it could not be written. */
int conn_sendv(struct conn *c, uint16_t type, uint64_t tag, const struct piece *pc, unsigned npc);
int conn_send(struct conn *c, uint16_t type, uint64_t tag, const void *p, size_t n);
/* Stop a connection: its reader sees EOF; nothing more is sent on it. */
void conn_kick(struct conn *c);
/*
 * Serve a connected stream socket (taken), bound to bound_vm if non-zero;
 * chan_fd (taken; -1: none): a channel's memfd, the messages then go over the
 * channel and the socket only says when the mediator is gone.
 */
void conn_start(int fd, int chan_fd, uint32_t bound_vm);

/* messages.c: a protocol error is why the connection is dropped */
struct drop {
	int code;
	char why[200];
};
int drop(struct drop *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Act on one message whose header is valid (its payload still unread). 0, -EPROTO (d says why), -errno. */
int dispatch(struct conn *c, const struct tl_hdr *h, struct drop *d);

/* job.c */
/* Run an accepted request on the back-end; answered at once or by a handler thread. */
void job_start(struct job *j);
/* The connection's handler threads (their reader starts and stops them). */
void job_pool_init(struct conn *c);
/* The request never ran: answer it with ret, end it. */
void job_fail(struct job *j, uint32_t ret);
/* Out of every table, its budget back, freed (nobody to answer). */
void job_end(struct job *j);
/* Zeroed and page-aligned host buffers for memrefs. */
/* *out (its size rounded up in *alloc, for buf_free), or -ENOMEM. */
int buf_alloc(uint64_t size, void **out, size_t *alloc);

/* storage.c */
/*
 * The rest of an 'S' message (tee_ctl.h) whose fds came with its first byte:
 * fds[0..kept_fds) held, nfds came. Checked and kept, or refused with a log
 * line (fds closed either way). 0, or -errno on the socket (*eof: it ended).
 */
int storage_receive(int ctl, int *fds, unsigned nfds, unsigned kept_fds, bool *eof);
/*
 * Give a new VM's back-end state the storage kept for vm_id: 0 (also when none
 * is kept, or the back-end keeps none: logged), or the back-end's -errno.
 */
int storage_give(uint32_t vm_id, const char *name, void *be);
/* At exit: close and wipe what is kept. */
void storage_free_all(void);

/* ctl.c */
/* One message from the supervisor: a new connection started (or a bad message ignored). *eof: it is gone. */
int ctl_receive(int ctl, bool *eof);

#endif
