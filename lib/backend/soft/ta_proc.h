/* SPDX-License-Identifier: MIT */
/*
 * Trusted Applications in processes of their own, the TEE side (soft
 * back-end). Private to lib/backend/soft/; soft.c sees only the functions at
 * the end of this header.
 *
 *   ta_store.c       options (ta_dir=, ta_host=, ...), the fork server
 *                    (vtee-ta-host) started at soft_open(), its control
 *                    socket and the thread that hears instances die
 *   ta_proc.c        per VM: TA records, instances and their flags
 *                    (SINGLE_INSTANCE, MULTI_SESSION, KEEP_ALIVE,
 *                    KEEP_CRASHED), sessions; open, invoke, close
 *   ta_proc_call.c   one call into an instance: parameters into its bulk
 *                    area and back, the wait for DONE with the instance's
 *                    requests answered meanwhile, cancellation and its grace
 *   ta_proc_ta2ta.c  the instance's requests: REE time, persistent time and
 *                    TA-to-TA sessions (opened in the same VM as
 *                    TEE_LOGIN_TRUSTED_APP + the caller's UUID)
 *   ta_storage*.c    persistent objects: the VM's store and open objects
 *                    (ta_storage.h)
 *
 * The wire format is ta_proto.h (shared with ta-host/). Every instance
 * belongs to one VM; instances are never shared between VMs.
 *
 * Locking: pv->lock (per VM) guards records, instance session counts and
 * the VM's instance list; an instance's lane (one call at a time) is a
 * flag under pv->lock with a condition variable; st->lock (per back-end)
 * guards the fork server's pending starts and the id -> instance table
 * the death notices use. Order: pv->lock before st->lock; no lock is held
 * while waiting on a channel.
 */
#ifndef VTEE_SOFT_TA_PROC_H
#define VTEE_SOFT_TA_PROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "soft.h"
#include "ta_proto.h"

struct vtee_chan;

/* TA_FLAG_* (user_ta_header.h), as read from the TA's header */
#define TAF_SINGLE_INSTANCE     (1u << 2)
#define TAF_MULTI_SESSION       (1u << 3)
#define TAF_INSTANCE_KEEP_ALIVE (1u << 4)
#define TAF_CONCURRENT          (1u << 8)
#define TAF_KEEP_CRASHED        (1u << 13)

#define TEE_LOGIN_TRUSTED_APP 0xF0000000u
#define TEE_ERROR_TIME_NOT_SET 0xFFFF5000u
#define TA_TIMEOUT_INFINITE   0xFFFFFFFFu

/* ---- configuration (ta_store.c) ---- */

#define TA_STORE_MAX_DIRS 16
#define TA_DEFAULT_BULK   (4u << 20)   /* memref bytes per call into a TA */
#define TA_MAX_BULK       (64u << 20)
#define TA_DEFAULT_GRACE_MS 2000u      /* a cancelled call may run this long before its instance is killed */
#define TA_RING_SIZE      (64u << 10)  /* channel rings: messages only, bulk data goes in the memfd */

struct ta_store_cfg {
	char *dirs[TA_STORE_MAX_DIRS];
	unsigned ndirs;
	char *host_path;        /* ta_host=; NULL: $VTEE_TA_HOST, beside the program, installed */
	char *user;             /* ta_user=: the instances' user when the TEE runs as root */
	unsigned grace_ms;      /* ta_cancel_grace_ms= */
	uint32_t bulk_size;     /* ta_memref_max= */
};

/* The instance as the fork server reported it, and as its death notice finds it. */
struct ta_inst;

struct ta_store {
	struct ta_store_cfg cfg;
	int ctl;                 /* SOCK_SEQPACKET to the fork server */
	pthread_t monitor;       /* reads STARTED and DIED */
	pthread_mutex_t lock;    /* the rest */
	pthread_mutex_t send_lock; /* writes on ctl */
	pthread_cond_t cond;
	uint64_t next_id;
	struct ta_inst *live;    /* every instance the server was asked for and that is not freed */
	bool server_gone;
};

/* 0 when s[0..len) is a ta_* option (taken into cfg), -ENOENT when it is not one, -EINVAL when bad. */
int ta_store_option(struct ta_store_cfg *cfg, const char *s, size_t len);
void ta_store_cfg_free(struct ta_store_cfg *cfg);
/* Start the fork server for cfg's directories (cfg is moved into the store). 0 or -errno. */
int ta_store_open(struct ta_store_cfg *cfg, struct ta_store **out);
/* Stop it: every instance it runs ends with it. */
void ta_store_close(struct ta_store *st);

/*
 * Ask the fork server for an instance of uuid for a VM: fills in->id, pid and
 * maps its channel and shared memory. 0, or -errno (-EPIPE: no fork server).
 */
int ta_store_spawn(struct ta_store *st, struct ta_inst *in, uint32_t vm_id, const char *vm_name,
		   const struct vtee_uuid *uuid);
/* SIGKILL the instance (through the fork server); harmless once it is gone. */
void ta_store_kill(struct ta_store *st, struct ta_inst *in);
/* Forget the instance: no death notice reaches it after this returns. */
void ta_store_forget(struct ta_store *st, struct ta_inst *in);

/* ---- per VM (ta_proc.c) ---- */

struct ta_rec;
struct ta_proc_vm;
struct ta_st_vm;

struct ta_inst {
	struct ta_inst *st_next, *st_prev; /* st->live */
	struct ta_inst *vm_next;           /* pv->insts */
	struct ta_proc_vm *pv;
	struct ta_rec *rec;
	struct vtee_uuid uuid;             /* the TA */
	uint64_t id;
	int pid;
	/* st->lock: the fork server's answer */
	bool in_live, started;
	int start_err;
	int start_fds[TAP_NFDS];
	/* what the server gave us */
	struct vtee_chan *chan;
	int chan_fd;                 /* its memfd: a death notice hangs the channel up (st->lock) */
	int hup_fd;
	struct tap_shared *shared;   /* page 0 of the shared memfd, then the bulk area */
	uint8_t *bulk;
	uint32_t bulk_size;
	size_t shared_len;
	/* from READY */
	uint32_t flags;
	/* pv->lock */
	uint32_t refs;               /* sessions' + calls' + the record's (single instance) */
	uint32_t sessions;           /* open sessions, and opens on their way */
	bool lane_busy;              /* a call runs (one at a time) */
	const void *lane_owner;      /* the call chain holding the lane (TA-to-TA loops: BUSY) */
	pthread_cond_t lane_free;
	/* set once, read anywhere */
	_Atomic bool destroy_sent;
	_Atomic bool spawned;        /* the fork server started it: id, chan and shared are set */
	_Atomic bool dead;           /* died, panicked, was killed, or broke the protocol */
	_Atomic bool kill_sent;
	_Atomic int exit_status;     /* wait status from DIED; -1 before */
	_Atomic uint32_t panic_code;
	_Atomic bool panicked;
	/* TA-to-TA sessions this instance opened (pv->lock) */
	struct ta2ta_sess *ta2ta;
	uint32_t next_ta2ta;
};

/* A session of a TA in a process, as soft.c's session set holds it. */
struct ta_proc_session {
	struct ta_inst *inst;
	uint32_t sid;          /* the instance's name for it */
	struct vtee_client client;
};

/*
 * One chain of calls: a guest's request on a TEE thread, and the TA-to-TA
 * calls its TAs make while it runs. c: the guest's call (cancellation, RPCs).
 */
#define TA2TA_MAX_DEPTH 8
struct pcall {
	struct ta_call *c;
	struct ta_proc_vm *pv;
	const void *chain;      /* the first pcall of the chain (NULL: this one) */
	unsigned depth;
};

/* A parameter from the guest (shm) or from a calling TA (buf); neither: a NULL memref. */
struct pparam {
	uint32_t type;
	uint64_t a, b;          /* values */
	struct vtee_shm *shm;   /* guest memref */
	uint64_t offs;
	void *buf;              /* TA-to-TA memref: a private copy */
	uint64_t size;          /* memrefs: in, then the size the TA set */
};

struct pargs {
	uint32_t types;
	struct pparam p[4];
	uint64_t deadline_ns;   /* TA-to-TA: the callee's cancellation deadline (0: none) */
	bool lost;              /* an output could not be written back to the guest */
};

/* ta_proc.c, for the other files */
struct ta_proc_vm {
	struct ta_store *st;
	uint32_t vm_id;
	char name[TAP_VM_NAME_MAX];
	pthread_mutex_t lock;
	pthread_cond_t changed;  /* a record stopped loading */
	struct ta_rec *recs;
	struct ta_inst *insts;   /* every instance of this VM not yet freed */
	uint32_t next_sid;
	bool stopping;
	struct ta_st_vm *stv;    /* persistent objects (ta_storage.h); its own lock */
};

/* Drop a reference for a call chain (NULL: none); the last one frees the instance. */
void ta_inst_put(struct pcall *pc, struct ta_inst *in);
/* Mark dead (the reason goes to the log once) and have it killed. */
void ta_inst_fail(struct ta_inst *in, const char *why);
/* Open a session of uuid for client: 0 (*ret etc. set) or the outcome in ret/origin. */
void ta_proc_open_as(struct pcall *pc, const struct vtee_uuid *uuid, const struct vtee_client *client,
		     struct pargs *a, struct ta_proc_session **out, uint32_t *ret, uint32_t *origin);
void ta_proc_invoke_as(struct pcall *pc, struct ta_proc_session *s, uint32_t cmd, struct pargs *a,
		       uint32_t *ret, uint32_t *origin);
void ta_proc_close_as(struct pcall *pc, struct ta_proc_session *s);
/* The lane (one call at a time) without waiting: 0 taken, -EBUSY, -EPIPE (dead). */
int ta_lane_try(struct pcall *pc, struct ta_inst *in);
void ta_lane_give(struct pcall *pc, struct ta_inst *in);
/* The call holding the lane goes on under another pcall (handed to a TEE thread). */
void ta_lane_reown(struct ta_inst *in, const struct pcall *to);
/* The persistent-time offset (ms) kept for the instance's TA in its VM; false when never set. */
bool ta_proc_ptime_get(struct ta_inst *in, int64_t *offset_ms);
void ta_proc_ptime_set(struct ta_inst *in, int64_t offset_ms);

/* ---- one call (ta_proc_call.c) ---- */

/*
 * Run msg_type (OPEN, INVOKE, CLOSE, DESTROY) for session sid on the
 * instance, whose lane the caller holds: parameters in and out, requests
 * answered. *ret and *origin: the TA's answer, or TARGET_DEAD/TEE when the
 * instance is or goes dead.
 */
void ta_call_run(struct pcall *pc, struct ta_inst *in, uint32_t msg_type, uint32_t sid, uint32_t cmd,
		 const struct vtee_client *client, struct pargs *a, uint32_t *ret, uint32_t *origin);
/* The two halves of ta_call_run(): send the call (TEE_SUCCESS, or why not: nothing was sent) ... */
uint32_t ta_call_begin(struct ta_inst *in, uint32_t msg_type, uint32_t sid, uint32_t cmd,
			const struct vtee_client *client, struct pargs *a, struct tap_call *call);
/* ... and wait for its DONE; pre: npre bytes of the instance's messages already read (the inline poll's). */
void ta_call_finish(struct pcall *pc, struct ta_inst *in, struct pargs *a, const struct tap_call *call,
		    const void *pre, size_t npre, uint32_t *ret, uint32_t *origin);
/* Wait for READY: TEE_SUCCESS with *flags, or the TEE result that says why the TA is not there. */
uint32_t ta_call_ready(struct pcall *pc, struct ta_inst *in, uint32_t *flags);
/* The canonical text form of a UUID (lowercase, 36 characters and a NUL). */
void ta_uuid_str(const struct vtee_uuid *u, char out[37]);
/* Guest parameters of req into a, validated: 0 or -EINVAL. Outputs of a back into req. */
int pargs_from_req(const struct vtee_req *req, struct pargs *a);
void pargs_to_req(struct vtee_req *req, const struct pargs *a);
/* A guest call's parameters into a; false when they are wrong (req answered BAD_PARAMETERS). */
bool ta_req_args(struct vtee_req *req, struct pargs *a);
/* A guest call's end: outputs and result into req (COMMUNICATION if its buffer could not take them). */
void ta_req_finish(struct vtee_req *req, const struct pargs *a, uint32_t ret, uint32_t origin);
/* Send an answer on the channel (used by ta_proc_ta2ta.c). 0 or -errno. */
int ta_call_send(struct ta_inst *in, uint32_t type, const void *fixed, size_t flen, const struct iovec *more,
		 int nmore);
/* Read exactly len bytes of the message being received (cancellation watched). 0 or -EPIPE. */
struct pwait;
int ta_call_recv(struct pwait *w, void *buf, size_t len);

/* ---- the instance's requests (ta_proc_ta2ta.c) ---- */

/* Handle one request message (header read, payload len bytes pending). 0, or -EPIPE/-EPROTO (dead). */
int ta_request(struct pwait *w, const struct tap_hdr *h);
/* Skip n bytes of the message (a request refused but read to its end): 0 or -EPIPE. */
int ta_req_drain(struct pwait *w, uint64_t n);
/* Close every TA-to-TA session the instance opened (it is gone or going). */
void ta2ta_close_all(struct pcall *pc, struct ta_inst *in);

/* The waiting context shared by ta_proc_call.c and ta_proc_ta2ta.c. */
struct pwait {
	struct pcall *pc;
	struct ta_inst *in;
	uint64_t cancel_at_ns;  /* when cancellation was forwarded; 0: not yet */
	uint64_t deadline_ns;   /* the answer must come before this (0: no deadline) ... */
	const char *deadline_why; /* ... or the instance is killed, for this reason */
	unsigned logs;          /* log lines this call */
	unsigned dropped_logs;
	const uint8_t *pre;     /* bytes read before the wait began: ta_call_recv() takes them first */
	size_t npre;
};

/* ---- what soft.c calls ---- */

int ta_proc_vm_new(struct ta_store *st, uint32_t vm_id, const char *name, struct ta_proc_vm **out);
/* Kill every instance of the VM: calls waiting on them end (TARGET_DEAD). Before soft_pool_stop(). */
void ta_proc_vm_kill(struct ta_proc_vm *pv);
/* After every session is closed. */
void ta_proc_vm_free(struct ta_proc_vm *pv);
/*
 * The backend op vm_storage (ta_storage.c) for the VM of pv (NULL: a soft back-end without TAs in
 * processes, where nothing could use it): opens the VM's store. Takes st's fds, wipes its key.
 */
int ta_st_attach(struct ta_proc_vm *pv, struct vtee_storage *st);
/* The VM's store's counters: 0, or -ENOENT when no store is served for it (pv NULL: no TAs run). */
int ta_st_stats(struct ta_proc_vm *pv, struct vtee_storage_stats *out);
/* A guest's OPEN of a TA that is none of the built-in ones; *out on TEE_SUCCESS. */
void ta_proc_open(struct ta_proc_vm *pv, struct ta_call *c, struct vtee_req *req, struct ta_proc_session **out);
/*
 * On the submitter's thread (c->on_submitter) it starts the call and waits
 * only briefly: a late answer leaves c->resume set, for a TEE thread to call
 * ta_proc_invoke_resume() (ta_proc_inline.c).
 */
void ta_proc_invoke(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s, struct vtee_req *req);
void ta_proc_invoke_inline(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s, struct vtee_req *req);
void ta_proc_invoke_resume(struct ta_proc_vm *pv, struct ta_call *c, struct vtee_req *req);
/* The session's last reference is gone: the TA closes it (unless dead), s is freed. */
void ta_proc_close(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s);

#endif
