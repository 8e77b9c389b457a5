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
 *    requests (REE_TIME, PTIME_*, TA_*), each answered with one ANSWER
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

/* How long the instance is given to load and say READY. */
#define TAP_READY_TIMEOUT_MS 10000u
/* How long TA_CloseSessionEntryPoint or TA_DestroyEntryPoint may take (nobody can cancel them). */
#define TAP_END_TIMEOUT_MS 10000u

#endif
