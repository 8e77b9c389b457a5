/* SPDX-License-Identifier: MIT */
/*
 * The wire between the soft back-end (ta_proc*.c, the TEE side) and
 * vtee-ta-host (ta-host/, the TA side): both ends include this header.
 *
 * Two conversations:
 *
 * 1. The control socket (SOCK_SEQPACKET, one struct tap_ctl per message)
 *    between the back-end and the fork server it started at soft_open():
 *      START   back-end -> server: start an instance of uuid for vm_id
 *      STARTED server -> back-end: pid (or err) and, with it (SCM_RIGHTS),
 *              the instance's channel memfd, shared memfd and set-up socket
 *      KILL    back-end -> server: SIGKILL instance id (ignored if gone)
 *      DIED    server -> back-end: instance id has ended (wait status)
 *    The back-end names instances (id, never reused), so a KILL can never
 *    reach a recycled pid. The server makes the memfds and the socketpair:
 *    vtee-tee's sandbox allows neither memfd_create nor socketpair.
 *
 * 2. The instance's channel (lib/util/chan.h: side A the back-end, side B
 *    the instance), a stream of messages, each a struct tap_hdr and len
 *    bytes. The back-end sends a call (OPEN, INVOKE, CLOSE, DESTROY) and
 *    reads until DONE; meanwhile the instance may send LOG lines and
 *    requests (REE_TIME, PTIME_*, TA_*, ST_*), each answered with one ANSWER
 *    before it goes on. At start the instance sends READY (or READY with a
 *    failure, then exits). One call at a time per channel.
 *
 * Memrefs of calls into a TA travel in the shared memfd: page 0 is struct
 * tap_shared (the cancel flag), the bulk area follows; the back-end copies
 * the client's input there, the TA works on it in place, the back-end
 * copies the output back to the client. TA-to-TA requests carry their
 * memrefs inline in the message instead (a TA's private memory).
 *
 * The instance is hostile: the back-end loads every field of every message
 * once, bounds every length, and ends the instance when it breaks a rule.
 */
#ifndef VTEE_SOFT_TA_PROTO_H
#define VTEE_SOFT_TA_PROTO_H

#include <stdint.h>

#define TAP_VERSION 1u

/* ---- control socket ---- */

enum tap_ctl_type {
	TAP_CTL_START = 1,
	TAP_CTL_STARTED = 2,
	TAP_CTL_KILL = 3,
	TAP_CTL_DIED = 4,
};

#define TAP_VM_NAME_MAX 32

struct tap_ctl {
	uint32_t type;       /* enum tap_ctl_type */
	uint32_t vm_id;      /* START */
	uint64_t id;         /* the instance, chosen by the back-end */
	int32_t err;         /* STARTED: 0 or -errno */
	int32_t status;      /* STARTED: pid; DIED: wait status */
	uint8_t uuid[16];    /* START: RFC 4122 byte order */
	uint8_t device_id[16]; /* START: gpd.tee.deviceID for this VM */
	char vm_name[TAP_VM_NAME_MAX]; /* START: for the TA's log lines, NUL-terminated */
	uint32_t ring_size;  /* START: bytes per channel ring */
	uint32_t bulk_size;  /* START: bytes of the bulk area */
};

/* STARTED's fds, in this order */
#define TAP_FD_CHAN   0
#define TAP_FD_SHARED 1
#define TAP_FD_HUP    2
#define TAP_NFDS      3

/* ---- shared memfd ---- */

#define TAP_SHARED_MAGIC 0x50415456u /* "VTAP" */
#define TAP_SHARED_HDR   4096u      /* the bulk area starts here */

struct tap_shared {
	uint32_t magic;
	uint32_t bulk_size;
	uint32_t cancel;     /* 1: the running call is cancelled; a futex word (shared) */
	uint32_t pad;
};

/* ---- channel messages ---- */

enum tap_msg_type {
	/* back-end -> instance */
	TAP_MSG_OPEN = 1,     /* struct tap_call: TA_CreateEntryPoint if not yet, then open */
	TAP_MSG_INVOKE = 2,   /* struct tap_call */
	TAP_MSG_CLOSE = 3,    /* struct tap_call (session) */
	TAP_MSG_DESTROY = 4,  /* none: TA_DestroyEntryPoint if created, DONE, exit */
	TAP_MSG_ANSWER = 5,   /* struct tap_answer [+ output data]: to the instance's request */
	/* instance -> back-end */
	TAP_MSG_READY = 16,   /* struct tap_ready */
	TAP_MSG_DONE = 17,    /* struct tap_done */
	TAP_MSG_LOG = 18,     /* text, at most TAP_LOG_MAX bytes */
	TAP_MSG_PANIC = 19,   /* uint32_t code; the instance exits after it */
	TAP_MSG_REE_TIME = 20,    /* none; ANSWER p[0].a = seconds, p[0].b = milliseconds */
	TAP_MSG_PTIME_LOAD = 21,  /* none; ANSWER ret (TIME_NOT_SET: never stored), p[0].a = the offset */
	TAP_MSG_PTIME_STORE = 22, /* struct tap_param: a = the offset (ms, int64_t) */
	TAP_MSG_TA_OPEN = 23,     /* struct tap_tareq + input data */
	TAP_MSG_TA_INVOKE = 24,   /* struct tap_tareq + input data */
	TAP_MSG_TA_CLOSE = 25,    /* struct tap_tareq (session) */
	/* persistent objects (below: struct tap_st and what follows it) */
	TAP_MSG_ST_OPEN = 32,
	TAP_MSG_ST_CREATE = 33,
	TAP_MSG_ST_READ = 34,
	TAP_MSG_ST_WRITE = 35,
	TAP_MSG_ST_TRUNCATE = 36,
	TAP_MSG_ST_SIZE = 37,
	TAP_MSG_ST_RESTRICT_USAGE = 38,
	TAP_MSG_ST_RENAME = 39,
	TAP_MSG_ST_CLOSE = 40,
	TAP_MSG_ST_NEXT = 41,
	TAP_MSG_ST_STAGE = 42,
};

struct tap_hdr {
	uint32_t type; /* enum tap_msg_type */
	uint32_t len;  /* bytes that follow */
};

/* Fixed part of every message but the bulk of TA-to-TA memrefs and log text. */
#define TAP_LOG_MAX 256u

/*
 * A parameter. Values: a, b (low 32 bits). Memrefs of a call into a TA:
 * a = offset in the bulk area (TAP_NULL_MEMREF: a NULL memref), b = size.
 * Memrefs of a TA-to-TA request: a = TAP_NULL_MEMREF or 0, b = size.
 */
struct tap_param {
	uint64_t a, b;
};
#define TAP_NULL_MEMREF UINT64_MAX

struct tap_call {
	uint32_t session;       /* the back-end's id of the session, never 0 */
	uint32_t cmd;           /* INVOKE */
	uint32_t types;         /* GP parameter types */
	uint32_t login;         /* OPEN: the client's identity */
	uint8_t client_uuid[16];
	uint64_t cancel_deadline_ns; /* CLOCK_MONOTONIC; UINT64_MAX: none */
	struct tap_param p[4];
};

struct tap_ready {
	uint32_t ret;        /* TEE_SUCCESS: loaded; else why not (ITEM_NOT_FOUND, BAD_FORMAT, ...) */
	uint32_t flags;      /* ta_head.flags */
	uint32_t stack_size; /* ta_head.stack_size */
	uint32_t pad;
	uint64_t heap_size;  /* ta_heap_size */
	uint8_t uuid[16];    /* ta_head.uuid, RFC 4122 byte order */
};

struct tap_done {
	uint32_t ret, origin;
	struct tap_param p[4]; /* values out; memrefs: b = the size the TA set */
};

struct tap_tareq {
	uint32_t session;        /* TA_INVOKE, TA_CLOSE */
	uint32_t cmd;            /* TA_INVOKE */
	uint32_t types;
	uint32_t cancel_timeout; /* ms, 0xFFFFFFFF: none */
	uint8_t uuid[16];        /* TA_OPEN: the callee */
	struct tap_param p[4];   /* memrefs: a = TAP_NULL_MEMREF or 0, b = size; input data follows */
};

struct tap_answer {
	uint32_t ret, origin;
	uint32_t session;      /* TA_OPEN */
	uint32_t pad;
	struct tap_param p[4]; /* values out; memrefs: b = the size the callee set; output data follows */
};

/*
 * Persistent objects (lib/tarun/tarun_host.h st_* ops; the back-end's side is
 * ta_storage.c). Every ST_ request is a struct tap_st, then id_len bytes of
 * object id, then meta_len bytes of meta, then data_len bytes of data; which
 * of them a type may carry is tap_st_len_ok()'s table (a field a type does
 * not use must be 0). Answered by ANSWER:
 * ret (a TEE result) and
 *   OPEN, CREATE  session = the handle (never 0)
 *   OPEN          p[0].a = data size, p[1].a = meta size; the meta follows if
 *                 it fits the room the request gave (meta_room), else
 *                 SHORT_BUFFER
 *   READ          p[0].a = bytes read; they follow
 *   SIZE          p[0].a = data size
 *   NEXT          p[0].a = data size, p[1].a = meta size, p[1].b = id length;
 *                 the id follows, then the meta if it fits meta_room; with
 *                 TAP_ST_ID_ONLY no meta (p[1].a = 0: no object is read); an
 *                 object that fails its checks is CORRUPT_OBJECT with its id
 *                 (p[0].b = 1, p[1].b = id length, the id follows) so that
 *                 the enumeration moves on
 * Data beyond one message (TAP_ST_CHUNK of the bulk size) goes ahead in STAGE
 * messages (data only, answered SUCCESS or OUT_OF_MEMORY): the instance's
 * staged bytes come first in the data of its next CREATE or WRITE, which
 * names how many it expects (staged), so the object changes once, whole.
 * A request naming a handle of another instance breaks the protocol.
 */
#define TAP_ST_ID_MAX 64u                /* TEE_OBJECT_ID_MAX_LEN */
#define TAP_ST_META_MAX (16u << 10)      /* TARUN_ST_META_MAX */
#define TAP_ST_META_USAGE_AT 20u         /* TARUN_ST_META_USAGE_AT: objectUsage, u32 LE, in the meta blob */
#define TAP_ST_STAGE_MAX (64ull << 20)   /* staged bytes of one instance (VSTORE_DATA_MAX) */
/* Data bytes in one message, for a channel of bulk_size (ta_memref_max=): the bulk size, at most 1 MiB. */
#define TAP_ST_CHUNK(bulk_size) ((bulk_size) < (1u << 20) ? (bulk_size) : (1u << 20))

#define TAP_ST_DELETE 1u      /* CLOSE: delete the object too */
#define TAP_ST_FROM_START 1u  /* NEXT: no "after" id: the first object */
#define TAP_ST_ID_ONLY 2u     /* NEXT: the id and data size only (an enumerator's start reads no object) */

struct tap_st {
	uint32_t obj;         /* the handle: READ, WRITE, TRUNCATE, SIZE, RESTRICT_USAGE, RENAME, CLOSE */
	uint32_t flags;       /* OPEN, CREATE: GP TEE_DATA_FLAG_*; CLOSE: TAP_ST_DELETE; NEXT: TAP_ST_FROM_START, TAP_ST_ID_ONLY;
			       RESTRICT_USAGE: the usage mask ANDed into the stored objectUsage */
	uint64_t pos;         /* READ, WRITE: data position; TRUNCATE: the new size */
	uint32_t id_len;      /* OPEN, CREATE, RENAME, NEXT (the "after" id) */
	uint32_t meta_len;    /* CREATE: meta bytes that follow the id */
	uint32_t meta_room;   /* OPEN, NEXT: the most meta bytes the answer may carry */
	uint32_t read_len;    /* READ: bytes wanted */
	uint64_t data_len;    /* CREATE, WRITE, STAGE: data bytes that follow the meta */
	uint64_t staged;      /* CREATE, WRITE: staged bytes that come before them (all the instance has) */
};

/* Is a request of type with fixed part q and len payload bytes well formed (lengths and bounds)? */
static inline int tap_st_len_ok(uint32_t type, const struct tap_st *q, uint64_t len, uint32_t bulk_size)
{
	/* which parts each type carries: id, meta, data */
	int id = type == TAP_MSG_ST_OPEN || type == TAP_MSG_ST_CREATE || type == TAP_MSG_ST_RENAME ||
		 type == TAP_MSG_ST_NEXT;
	int meta = type == TAP_MSG_ST_CREATE;
	int data = type == TAP_MSG_ST_CREATE || type == TAP_MSG_ST_WRITE || type == TAP_MSG_ST_STAGE;
	if (type < TAP_MSG_ST_OPEN || type > TAP_MSG_ST_STAGE)
		return 0;
	if ((!id && q->id_len) || q->id_len > TAP_ST_ID_MAX || (!meta && q->meta_len) || q->meta_len > TAP_ST_META_MAX)
		return 0;
	if ((!data && q->data_len) || q->data_len > TAP_ST_CHUNK(bulk_size) || q->staged > TAP_ST_STAGE_MAX)
		return 0;
	if (q->staged && type != TAP_MSG_ST_CREATE && type != TAP_MSG_ST_WRITE)
		return 0;
	if (q->read_len && (type != TAP_MSG_ST_READ || q->read_len > TAP_ST_CHUNK(bulk_size)))
		return 0;
	if (q->meta_room && type != TAP_MSG_ST_OPEN && type != TAP_MSG_ST_NEXT)
		return 0;
	return len == sizeof(*q) + q->id_len + q->meta_len + q->data_len;
}

/* How long the instance is given to load and say READY. */
#define TAP_READY_TIMEOUT_MS 10000u
/* How long TA_CloseSessionEntryPoint or TA_DestroyEntryPoint may take (nobody can cancel them). */
#define TAP_END_TIMEOUT_MS 10000u

#endif
