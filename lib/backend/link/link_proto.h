/* SPDX-License-Identifier: MIT */
/*
 * The TEE link protocol, versions 1 and 2 (docs/tee-link.md): a mediator (the "link"
 * back-end, in vteed) and a TEE process (vtee-tee) over one byte stream (a
 * stream socket, or a shared-memory channel: link_io.h).
 * Every message is a 24-byte header and a payload of `length` bytes; all
 * integers are little-endian on the wire (the link may cross machines), so
 * every field goes through tl_le*() / tl_h*() when it is written or read.
 * Structures are laid out with natural alignment and no implicit padding,
 * checked below.
 */
#ifndef VTEE_LINK_PROTO_H
#define VTEE_LINK_PROTO_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TL_MAGIC          0x4b4c5456u /* "VTLK" as little-endian bytes */
#define TL_VERSION_BASE   1u          /* HELLO and WELCOME always carry this header version */
#define TL_VERSION_MIN    1u          /* versions this build speaks */
#define TL_VERSION_MAX    2u
#define TL_VERSION_STORAGE 2u         /* the first with STORAGE_STATS */
#define TL_MAX_PARAMS     4u
/* Largest memref, and largest sum of memrefs of one request (the soft TEE's per-VM bounce budget). */
#define TL_MAX_MEMREF     (64ull << 20)
/* Largest payload: a request's structure plus TL_MAX_MEMREF bytes of data. */
#define TL_MAX_PAYLOAD    (TL_MAX_MEMREF + 4096u)
/* Requests one connection may have running in the TEE; more are answered TEE_ERROR_BUSY. */
#define TL_MAX_INFLIGHT   64u
#define TL_NAME_MAX       64u         /* ATTACH name, NUL included */
#define TL_ERROR_TEXT_MAX 256u

enum tl_type {
	TL_HELLO = 1,          /* M->T  tl_hello */
	TL_WELCOME = 2,        /* T->M  tl_welcome */
	TL_ATTACH = 3,         /* M->T  tl_attach; tag echoed */
	TL_ATTACHED = 4,       /* T->M  tl_attached */
	TL_DETACH_DESTROY = 5, /* M->T  empty; tag echoed */
	TL_DETACHED = 6,       /* T->M  tl_detached */
	TL_REQ = 7,            /* M->T  tl_req + input data; tag names the request */
	TL_RESP = 8,           /* T->M  tl_resp + output data; the request's tag */
	TL_CANCEL = 9,         /* M->T  empty; the request's tag; no answer */
	TL_RPC = 10,           /* T->M  tl_rpc; the request's tag */
	TL_RPC_ANSWER = 11,    /* M->T  tl_rpc; the request's tag */
	TL_IMPORT = 12,        /* M->T  tl_import; tag echoed */
	TL_IMPORTED = 13,      /* T->M  tl_imported */
	TL_RESTORED = 14,      /* M->T  empty; tag echoed */
	TL_RESTORED_ACK = 15,  /* T->M  tl_restored_ack */
	TL_STATS = 16,         /* M->T  empty; tag echoed */
	TL_STATS_ANSWER = 17,  /* T->M  tl_stats */
	TL_ERROR = 18,         /* either way, then the sender closes: tl_error + text */
	TL_STORAGE_STATS = 19, /* v2, M->T  empty; tag echoed */
	TL_STORAGE_STATS_ANSWER = 20, /* v2, T->M  tl_storage_stats */
	TL_TYPE_LAST = TL_STORAGE_STATS_ANSWER,
};

struct tl_hdr {
	uint32_t magic;    /* TL_MAGIC */
	uint16_t version;  /* TL_VERSION_BASE for HELLO/WELCOME, the negotiated version after */
	uint16_t type;     /* enum tl_type */
	uint32_t length;   /* payload bytes after the header, <= TL_MAX_PAYLOAD */
	uint32_t reserved; /* 0 */
	uint64_t tag;      /* see enum tl_type */
};

struct tl_hello {
	uint16_t version_min, version_max; /* the mediator speaks [min, max] */
	uint32_t reserved;                 /* 0 */
};

struct tl_welcome {
	uint16_t version;       /* chosen, or 0: no common version (the TEE then closes) */
	uint16_t reserved0;     /* 0 */
	uint32_t max_inflight;  /* TL_MAX_INFLIGHT */
	uint64_t max_payload;   /* TL_MAX_PAYLOAD */
};

#define TL_ATTACH_RESUME 0x1u
struct tl_attach {
	uint32_t vm_id;            /* non-zero */
	uint32_t flags;            /* TL_ATTACH_*; other bits 0 */
	char name[TL_NAME_MAX];    /* 1..63 printable bytes, NUL-terminated, rest zero */
};

#define TL_ATTACHED_RESUMED 0x1u /* the TEE still had this VM: its sessions are kept */
struct tl_attached {
	int32_t status;    /* 0 or a positive errno */
	uint32_t flags;    /* TL_ATTACHED_* */
	uint32_t sessions; /* sessions the VM has now */
	uint32_t reserved;
};

struct tl_detached {
	int32_t status;    /* 0 or a positive errno */
	uint32_t closed;   /* sessions that were closed */
};

#define TL_PARAM_NULL 0x1u /* memref: a NULL buffer (size only) */
#define TL_PARAM_DATA 0x2u /* RESP memref: size_out bytes of output data follow */
struct tl_param {
	uint32_t type;  /* enum vtee_param_type */
	uint32_t flags; /* memrefs: TL_PARAM_*; values: 0 */
	uint64_t a, b, c; /* values: a, b, c; memrefs: a = size, b = c = 0 */
};

enum tl_op { TL_OP_OPEN = 0, TL_OP_INVOKE = 1, TL_OP_CLOSE = 2 };

/*
 * Followed by the data of every non-NULL MEMREF_IN/MEMREF_INOUT, in parameter
 * order, `size` bytes each; length = sizeof(struct tl_req) + their sum.
 */
struct tl_req {
	uint32_t op;            /* enum tl_op */
	uint32_t func;          /* INVOKE */
	uint64_t session;       /* INVOKE, CLOSE: the TEE's handle; OPEN: 0 */
	uint32_t login;         /* OPEN: TEE_LOGIN_* */
	uint32_t num_params;    /* <= 4; CLOSE: 0 */
	uint8_t client_uuid[16];
	uint8_t ta_uuid[16];    /* OPEN */
	struct tl_param params[TL_MAX_PARAMS]; /* [num_params..3] all zero */
};

/*
 * Followed by the output data of every memref flagged TL_PARAM_DATA, in
 * parameter order, size_out (= a) bytes each. DATA is only allowed on a
 * non-NULL MEMREF_OUT/MEMREF_INOUT whose size_out fits the size sent
 * (size_out <= size_in); a larger size_out (SHORT_BUFFER) never carries
 * data, and the mediator's buffer is then left untouched.
 */
struct tl_resp {
	uint32_t ret, ret_origin;
	uint64_t session;       /* OPEN with ret = 0: the new session's handle (non-zero) */
	uint32_t num_params;    /* = the request's */
	uint32_t reserved;
	struct tl_param params[TL_MAX_PARAMS]; /* same types as the request; outputs set */
};

/* TL_RPC (cmd, params in) and TL_RPC_ANSWER (ret, params out). Value parameters only. */
struct tl_rpc {
	uint32_t cmd;          /* enum vtee_rpc_cmd */
	uint32_t num_params;   /* <= 4 */
	uint32_t ret;          /* ANSWER: the normal world's result */
	uint32_t reserved;
	struct tl_param params[TL_MAX_PARAMS];
};

struct tl_import {
	uint64_t handle;
};

struct tl_imported {
	uint32_t ok;           /* 1: the session is this connection's now; 0: no such session */
	uint32_t reserved;
};

struct tl_restored_ack {
	uint32_t closed;       /* sessions closed because nobody imported them */
	uint32_t sessions;     /* sessions the VM has now */
};

struct tl_stats {
	uint32_t sessions;     /* sessions of the attached VM */
	uint32_t inflight;     /* requests of this connection running in the TEE */
	uint32_t vm_inflight;  /* requests running on the VM, from any connection (old ones too) */
	uint32_t reserved;
};

#define TL_STORAGE_STATE_CORRUPT 0x1u /* the whole state failed its checks */
struct tl_storage_stats {
	int32_t status;        /* 0, or a positive errno: ENOENT the VM has no storage, EOPNOTSUPP ... */
	uint32_t flags;        /* TL_STORAGE_*; all fields below 0 unless status is 0 */
	uint64_t objects, bytes, bytes_on_disk, version, commits, corrupt_objects;
};

struct tl_error {
	uint32_t code;         /* a positive errno */
	uint32_t reserved;
	/* then 0..TL_ERROR_TEXT_MAX bytes of text, no NUL */
};

_Static_assert(sizeof(struct tl_hdr) == 24, "tl_hdr");
_Static_assert(offsetof(struct tl_hdr, tag) == 16, "tl_hdr.tag");
_Static_assert(sizeof(struct tl_hello) == 8, "tl_hello");
_Static_assert(sizeof(struct tl_welcome) == 16, "tl_welcome");
_Static_assert(sizeof(struct tl_attach) == 72, "tl_attach");
_Static_assert(sizeof(struct tl_attached) == 16, "tl_attached");
_Static_assert(sizeof(struct tl_detached) == 8, "tl_detached");
_Static_assert(sizeof(struct tl_param) == 32, "tl_param");
_Static_assert(offsetof(struct tl_req, client_uuid) == 24, "tl_req.client_uuid");
_Static_assert(offsetof(struct tl_req, params) == 56, "tl_req.params");
_Static_assert(sizeof(struct tl_req) == 184, "tl_req");
_Static_assert(offsetof(struct tl_resp, params) == 24, "tl_resp.params");
_Static_assert(sizeof(struct tl_resp) == 152, "tl_resp");
_Static_assert(sizeof(struct tl_rpc) == 144, "tl_rpc");
_Static_assert(sizeof(struct tl_import) == 8, "tl_import");
_Static_assert(sizeof(struct tl_imported) == 8, "tl_imported");
_Static_assert(sizeof(struct tl_restored_ack) == 8, "tl_restored_ack");
_Static_assert(sizeof(struct tl_stats) == 16, "tl_stats");
_Static_assert(sizeof(struct tl_storage_stats) == 56, "tl_storage_stats");
_Static_assert(sizeof(struct tl_error) == 8, "tl_error");

/* Host <-> wire. */
static inline uint16_t tl_le16(uint16_t v) { return htole16(v); }
static inline uint32_t tl_le32(uint32_t v) { return htole32(v); }
static inline uint64_t tl_le64(uint64_t v) { return htole64(v); }
static inline uint16_t tl_h16(uint16_t v) { return le16toh(v); }
static inline uint32_t tl_h32(uint32_t v) { return le32toh(v); }
static inline uint64_t tl_h64(uint64_t v) { return le64toh(v); }

static inline struct tl_hdr tl_hdr_make(uint16_t version, uint16_t type, uint32_t length, uint64_t tag)
{
	return (struct tl_hdr){ .magic = tl_le32(TL_MAGIC), .version = tl_le16(version),
				.type = tl_le16(type), .length = tl_le32(length), .tag = tl_le64(tag) };
}

/* Header fields in host order (after tl_hdr_host()). */
static inline void tl_hdr_host(struct tl_hdr *h)
{
	h->magic = tl_h32(h->magic);
	h->version = tl_h16(h->version);
	h->type = tl_h16(h->type);
	h->length = tl_h32(h->length);
	h->reserved = tl_h32(h->reserved);
	h->tag = tl_h64(h->tag);
}

/* Moving messages: over a stream socket or a channel (tl_writev_all, struct tl_rbuf, ...). */
#include "link_io.h"

static inline const char *tl_type_name(uint32_t t)
{
	static const char *const names[] = { "?", "HELLO", "WELCOME", "ATTACH", "ATTACHED",
		"DETACH_DESTROY", "DETACHED", "REQ", "RESP", "CANCEL", "RPC", "RPC_ANSWER", "IMPORT",
		"IMPORTED", "RESTORED", "RESTORED_ACK", "STATS", "STATS_ANSWER", "ERROR", "STORAGE_STATS",
		"STORAGE_STATS_ANSWER" };
	return t <= TL_TYPE_LAST ? names[t] : "unknown";
}

#endif
