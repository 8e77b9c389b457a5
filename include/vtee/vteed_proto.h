/* SPDX-License-Identifier: MIT */
/*
 * The VMM <-> vteed wire protocol, versions 1 to 4 (docs/vteed-protocol.md).
 * Installed with libvteed (vtee/vteed.h includes it): for VMMs that speak it
 * themselves (vteed_spawn_raw()) and for `struct vteed_status`.
 *
 * Control: a Unix stream socket carrying fixed-size messages in host byte
 * order (both ends run on the same host). Data: a shared "SMC mailbox" memfd
 * with one slot per vCPU; each slot is served with futexes on its sequence
 * words (FUTEX_WAIT/WAKE without FUTEX_PRIVATE_FLAG, the memfd is shared).
 */
#ifndef VTEED_PROTO_H
#define VTEED_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VTEED_MAGIC        0x44455456u /* "VTED" in little-endian memory order */
#define VTEED_VERSION      4u          /* the newest version this build speaks */
#define VTEED_VERSION_MIN  1u          /* the oldest (1: no journal, no TEE link, epoch 0) */
#define VTEED_MAX_SLOTS    64u         /* vCPUs per VM */
#define VTEED_MAX_REGIONS  16u         /* = VTEE_MAX_RAM_REGIONS */
#define VTEED_NAME_MAX     32u         /* incl. the NUL */
#define VTEED_BACKEND_MAX  16u         /* incl. the NUL */
#define VTEED_MSG_MAX      96u         /* reply message text, incl. the NUL */
#define VTEED_MAX_TEE_FDS  4u          /* v3: fds a TEE descriptor passes */
#define VTEED_TEE_KEY_MAX  16u         /* v3: an fd's option key, incl. the NUL */
#define VTEED_TEE_OPTIONS_MAX 256u     /* v3: the back-end's options, incl. the NUL */
#define VTEED_PAGE         4096u

enum vteed_msg_type {
	VTEED_MSG_HELLO   = 1, /* VMM -> vteed, struct vteed_hello + SCM_RIGHTS fds */
	VTEED_MSG_WELCOME = 2, /* vteed -> VMM, struct vteed_reply, error = 0 */
	VTEED_MSG_ERROR   = 3, /* vteed -> VMM, struct vteed_reply, error = positive errno */
	VTEED_MSG_GOODBYE = 4, /* VMM -> vteed, header only: stop serving, clean up, exit 0 */
	VTEED_MSG_BYE     = 5, /* vteed -> VMM, header only: answer to GOODBYE, VM destroyed */
	VTEED_MSG_STOP    = 6, /* vteed -> VMM, header only: vteed stops (signal); no more SMCs */
	/* status socket only (docs/vteed-protocol.md, "Status"): */
	VTEED_MSG_STATUS  = 7, /* tool -> vteed, header only */
	VTEED_MSG_STATUS_REPLY = 8, /* vteed -> tool, struct vteed_status */
};

struct vteed_msg_hdr {
	uint32_t magic;   /* VTEED_MAGIC */
	uint16_t version; /* VTEED_VERSION */
	uint16_t type;    /* enum vteed_msg_type */
	uint32_t size;    /* whole message in bytes, header included */
	uint32_t reserved; /* 0 */
};

struct vteed_region {
	uint64_t gpa, size, fd_offset; /* all multiples of 4 KiB, size > 0 */
};

#define VTEED_HELLO_NO_RPC_ARG 0x1u
#define VTEED_HELLO_JOURNAL    0x2u /* v2: one more fd, the recovery journal memfd */
#define VTEED_HELLO_TEE_FD     0x4u /* v2 only: one more fd, the TEE socket or context (v3: tee.nfds) */
#define VTEED_HELLO_FLAGS_V1   VTEED_HELLO_NO_RPC_ARG
#define VTEED_HELLO_FLAGS_V2   (VTEED_HELLO_NO_RPC_ARG | VTEED_HELLO_JOURNAL | VTEED_HELLO_TEE_FD)
#define VTEED_HELLO_FLAGS      (VTEED_HELLO_NO_RPC_ARG | VTEED_HELLO_JOURNAL) /* v3 */
#define VTEED_MAX_FDS          (VTEED_MAX_REGIONS + 2 + VTEED_MAX_TEE_FDS)

/*
 * v3: how vteed reaches the VM's TEE, said without vteed knowing any back-end.
 * vteed opens the back-end HELLO names (backend) with the options
 *   options[,KEY0=N0][,KEY1=N1]...[,the policy's options]
 * where KEYi = fd_keys[i] and Ni is vteed's number of the i-th TEE fd: a
 * passed fd is given to the back-end as the option its key names (the TEE
 * process's socket or a /dev/teeN context as "fd", a channel's memfd as
 * "chan", ...). The policy's [tee] options are added only when the policy
 * names this very back-end.
 */
struct vteed_tee_desc {
	uint32_t nfds;                  /* TEE fds, after the journal's: 0..VTEED_MAX_TEE_FDS */
	uint32_t reserved;              /* 0 */
	char fd_keys[VTEED_MAX_TEE_FDS][VTEED_TEE_KEY_MAX]; /* [0, nfds): [a-z0-9_.]+, distinct; the rest zero */
	char options[VTEED_TEE_OPTIONS_MAX]; /* NUL-terminated, printable, no blank; "" none; zero after the NUL */
};

/*
 * fds (SCM_RIGHTS, same sendmsg as the first byte): nregions RAM fds in region
 * order, the mailbox memfd, then the journal memfd (flag JOURNAL), then the
 * TEE fds (v3: tee.nfds of them; v2: one, flag TEE_FD).
 *
 * Versions 1 and 2 end at tee (VTEED_HELLO_V2_SIZE bytes, hdr.size says so);
 * version 3 is the whole structure.
 */
struct vteed_hello {
	struct vteed_msg_hdr hdr;       /* type HELLO, size = sizeof(struct vteed_hello) */
	uint32_t vm_id;                 /* non-zero */
	uint32_t flags;                 /* VTEED_HELLO_* */
	uint32_t slice_us;              /* 0 = default */
	uint32_t nslots;                /* 1..VTEED_MAX_SLOTS */
	uint32_t nregions;              /* 1..VTEED_MAX_REGIONS */
	uint32_t epoch;                 /* v2: restarts of this VM's vteed so far (0 in v1) */
	uint32_t max_calls, max_sessions, max_shm, reserved1; /* quota, 0 = default */
	uint64_t max_shm_pages;
	char name[VTEED_NAME_MAX];      /* NUL-terminated, printable, non-empty */
	char backend[VTEED_BACKEND_MAX]; /* NUL-terminated; "" = "soft" */
	struct vteed_region regions[VTEED_MAX_REGIONS]; /* [0, nregions) used, rest zero */
	struct vteed_tee_desc tee;      /* v3 */
};

#define VTEED_HELLO_V2_SIZE offsetof(struct vteed_hello, tee) /* versions 1 and 2 */

struct vteed_reply {
	struct vteed_msg_hdr hdr;       /* type WELCOME or ERROR, size = sizeof(struct vteed_reply) */
	int32_t error;                  /* 0 (WELCOME) or a positive errno (ERROR) */
	uint32_t version_min, version_max; /* versions this vteed speaks */
	uint32_t nslots;                /* WELCOME: slots served */
	uint32_t pid;                   /* vteed's pid */
	uint32_t reserved;
	char message[VTEED_MSG_MAX];    /* NUL-terminated, human readable */
};

/*
 * ---- status: a separate Unix socket per vteed, in the abstract namespace at
 * "@" VTEED_STATUS_PREFIX "PID"; only vteed's own user and root get an answer.
 */

#define VTEED_STATUS_PREFIX "vtee-status/"

struct vteed_status {
	struct vteed_msg_hdr hdr;       /* type STATUS_REPLY, size = sizeof(struct vteed_status) */
	uint32_t vm_id, pid;
	uint32_t epoch;                 /* restarts of this VM's vteed before this one */
	uint32_t nslots;
	char name[VTEED_NAME_MAX];
	char backend[VTEED_BACKEND_MAX];
	uint32_t sessions, shm_buffers; /* in vteed's tables now */
	uint64_t shm_pages;
	uint32_t calls;                 /* yielding calls in flight */
	int32_t tee_sessions;           /* sessions the TEE holds for the VM; -1 unknown */
	uint64_t smc_count, quota_denials, access_denials, bad_requests, foreign_intr;
	uint32_t max_calls, max_sessions, max_shm, reserved;
	uint64_t max_shm_pages;
	uint64_t uptime_ms;
	/* v4: the VM's secure storage (docs/storage.md); the counters are 0 unless storage is SERVED */
	uint32_t storage;               /* VTEED_STORAGE_NONE, _SERVED or _UNKNOWN */
	uint32_t storage_flags;         /* VTEED_STORAGE_STATE_CORRUPT: the whole state failed its checks */
	uint64_t storage_objects, storage_bytes, storage_bytes_on_disk;
	uint64_t storage_version, storage_commits;
	uint64_t storage_corrupt_objects; /* reads of an object that failed its checks */
};

#define VTEED_STORAGE_NONE    0u /* the VM has no storage */
#define VTEED_STORAGE_SERVED  1u /* the counters are its store's */
#define VTEED_STORAGE_UNKNOWN 2u /* the TEE (or a vteed speaking version 3 or older) cannot tell */
#define VTEED_STORAGE_STATE_CORRUPT 0x1u
/* A STATUS_REPLY of versions 1..3 ends where v4's storage fields start. */
#define VTEED_STATUS_V3_SIZE offsetof(struct vteed_status, storage)

/* ---- the SMC mailbox (shared memfd) ----------------------------------- */

#define VTEED_MB_MAGIC  0x584F424Du /* "MBOX" */

struct vteed_slot {
	uint32_t req_seq;     /* VMM writes: bumped after regs hold a request; futex word */
	uint32_t srv_waiting; /* vteed writes: 1 while its server sleeps on req_seq */
	uint32_t rsp_seq;     /* vteed writes: = req_seq once regs hold the answer; futex word */
	uint32_t cli_waiting; /* VMM writes: 1 while the vCPU sleeps on rsp_seq */
	uint32_t lost_seq;    /* v2, VMM writes: the request a dead vteed left unanswered; the next one replays it */
	uint32_t reserved[3];
	uint64_t regs[8];     /* x0..x7: request, then answer */
	uint8_t pad[128 - 32 - 64];
};

struct vteed_mailbox {
	uint32_t magic;       /* VTEED_MB_MAGIC, written by the VMM */
	uint32_t version;     /* VTEED_VERSION */
	uint32_t nslots;      /* as in HELLO */
	uint32_t slot_size;   /* sizeof(struct vteed_slot) = 128 */
	uint8_t pad[128 - 16];
	struct vteed_slot slot[VTEED_MAX_SLOTS];
};

#define VTEED_MAILBOX_SIZE 12288u /* sizeof(struct vteed_mailbox) rounded up to 4 KiB */

_Static_assert(sizeof(struct vteed_msg_hdr) == 16, "hdr");
_Static_assert(VTEED_HELLO_V2_SIZE == 496, "hello v1, v2");
_Static_assert(sizeof(struct vteed_tee_desc) == 328, "tee descriptor");
_Static_assert(sizeof(struct vteed_hello) == 824, "hello v3");
_Static_assert(sizeof(struct vteed_reply) == 136, "reply");
_Static_assert(VTEED_STATUS_V3_SIZE == 176, "status v1..v3");
_Static_assert(sizeof(struct vteed_status) == 232, "status v4");
_Static_assert(sizeof(struct vteed_slot) == 128, "slot");
_Static_assert(offsetof(struct vteed_mailbox, slot) == 128, "mailbox");
_Static_assert(sizeof(struct vteed_mailbox) <= VTEED_MAILBOX_SIZE, "mailbox size");

#endif
