/* SPDX-License-Identifier: MIT */
/*
 * The TEE back-end interface: what the core asks of a TEE, at the level of
 * GlobalPlatform semantics (sessions, commands, parameters, shared memory), so
 * that guest ABIs (OP-TEE SMC, later FF-A) and TEEs (built-in, /dev/tee, remote)
 * never see each other.
 *
 * Threading: submit() starts a request and returns; the back-end finishes it by
 * calling vtee_req_done() from any thread, possibly before submit() returns.
 * The core waits with vtee_req_wait() and bounds how long a vCPU waits.
 *
 * Identity: req->client.vm_id is set by the core from the VM's configuration,
 * never from guest input. A back-end must key everything it keeps per client
 * (instances, storage, sessions) by vm_id, and treat a guest's login, REE_KERNEL
 * included, as a claim made inside that VM only.
 */
#ifndef VTEE_BACKEND_H
#define VTEE_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's public ABI. */
#pragma GCC visibility push(default)

/* GlobalPlatform result codes and origins used across vtee. */
#define TEE_SUCCESS                 0x00000000u
#define TEE_ERROR_GENERIC           0xFFFF0000u
#define TEE_ERROR_ACCESS_DENIED     0xFFFF0001u
#define TEE_ERROR_CANCEL            0xFFFF0002u
#define TEE_ERROR_BAD_FORMAT        0xFFFF0005u
#define TEE_ERROR_BAD_PARAMETERS    0xFFFF0006u
#define TEE_ERROR_BAD_STATE         0xFFFF0007u
#define TEE_ERROR_ITEM_NOT_FOUND    0xFFFF0008u
#define TEE_ERROR_NOT_IMPLEMENTED   0xFFFF0009u
#define TEE_ERROR_NOT_SUPPORTED     0xFFFF000Au
#define TEE_ERROR_OUT_OF_MEMORY     0xFFFF000Cu
#define TEE_ERROR_BUSY              0xFFFF000Du
#define TEE_ERROR_COMMUNICATION     0xFFFF000Eu
#define TEE_ERROR_SHORT_BUFFER      0xFFFF0010u
#define TEE_ERROR_TARGET_DEAD       0xFFFF3024u

#define TEE_ORIGIN_API              1u
#define TEE_ORIGIN_COMMS            2u
#define TEE_ORIGIN_TEE              3u
#define TEE_ORIGIN_TRUSTED_APP      4u

/* Login methods (GlobalPlatform + the REE-kernel extension). */
#define TEE_LOGIN_PUBLIC            0x00000000u
#define TEE_LOGIN_USER              0x00000001u
#define TEE_LOGIN_GROUP             0x00000002u
#define TEE_LOGIN_APPLICATION       0x00000004u
#define TEE_LOGIN_APPLICATION_USER  0x00000005u
#define TEE_LOGIN_APPLICATION_GROUP 0x00000006u
#define TEE_LOGIN_REE_KERNEL        0x80000000u

/*
 * The GlobalPlatform result and origin vtee answers for a negative errno
 * (0: TEE_SUCCESS; origin TEE but for -ECOMM: COMMUNICATION, origin COMMS):
 * -EINVAL, -EEXIST, -EFAULT: BAD_PARAMETERS; -EACCES, -EPERM: ACCESS_DENIED;
 * -ENOMEM, -EDQUOT, -ENOSPC: OUT_OF_MEMORY; -ENOENT: ITEM_NOT_FOUND;
 * -EBUSY: BUSY; anything else: GENERIC.
 */
void vtee_tee_result(int err, uint32_t *ret, uint32_t *origin);

/* Parameter types; same numbers as GP TEE_PARAM_TYPE_* and the Linux uapi. */
enum vtee_param_type {
	VTEE_PARAM_NONE = 0,
	VTEE_PARAM_VALUE_IN = 1,
	VTEE_PARAM_VALUE_OUT = 2,
	VTEE_PARAM_VALUE_INOUT = 3,
	VTEE_PARAM_MEMREF_IN = 5,
	VTEE_PARAM_MEMREF_OUT = 6,
	VTEE_PARAM_MEMREF_INOUT = 7,
};
#define VTEE_MAX_PARAMS 4

static inline bool vtee_param_is_memref(uint32_t t) { return t >= 5 && t <= 7; }
static inline bool vtee_param_is_value(uint32_t t) { return t >= 1 && t <= 3; }
static inline bool vtee_param_is_input(uint32_t t) { return t & 1; }
static inline bool vtee_param_is_output(uint32_t t) { return t & 2; }

/* A buffer in guest memory (registered or temporary). Opaque; use the accessors. */
struct vtee_shm;

struct vtee_param {
	uint32_t type; /* enum vtee_param_type */
	union {
		struct { uint64_t a, b, c; } value;
		/* shm == NULL: a NULL memref of the given size (GP "null buffer"). */
		struct { struct vtee_shm *shm; uint64_t offs, size; } memref;
	} u;
};

/* 16 bytes in RFC 4122 (network) order. */
struct vtee_uuid { uint8_t b[16]; };

struct vtee_client {
	uint32_t vm_id;          /* set by the core, never by the guest */
	uint32_t login;          /* TEE_LOGIN_*, as the guest asked (already validated) */
	struct vtee_uuid uuid;   /* client UUID the guest sent for USER/GROUP/APPLICATION logins */
};

enum vtee_req_op { VTEE_REQ_OPEN, VTEE_REQ_INVOKE, VTEE_REQ_CLOSE };

/*
 * A service the TEE asks of the calling VM's normal world while serving a
 * request (OP-TEE: an RPC_CMD the guest kernel answers). Value parameters only.
 */
enum vtee_rpc_cmd {
	VTEE_RPC_REE_TIME = 1, /* out: [0] VALUE_OUT a = seconds, b = nanoseconds since the epoch */
};
#define VTEE_RPC_MAX_PARAMS 4
struct vtee_rpc {
	uint32_t cmd;          /* enum vtee_rpc_cmd */
	uint32_t num_params;
	struct vtee_param params[VTEE_RPC_MAX_PARAMS];
	uint32_t ret;          /* TEE result from the normal world; COMMUNICATION if it never answered */
};

struct vtee_req {
	/* in */
	enum vtee_req_op op;
	struct vtee_client client;
	struct vtee_uuid ta;        /* OPEN */
	uint32_t func;              /* INVOKE */
	void *session;              /* INVOKE, CLOSE: the back-end's session; OPEN: out */
	uint32_t num_params;        /* OPEN, INVOKE: <= VTEE_MAX_PARAMS */
	struct vtee_param params[VTEE_MAX_PARAMS];
	/* out: set before vtee_req_done(). Outputs: value a/b/c, memref size. */
	uint32_t ret;
	uint32_t ret_origin;
	/* free for the back-end while the request is in flight */
	void *be_priv;
	/* owned by the core: 0 pending, 1 done, 2 pending with a sleeping waiter, 3 RPC posted */
	_Atomic uint32_t state;
	struct vtee_rpc *rpc;         /* the RPC posted, while state is 3 */
	_Atomic uint32_t rpc_answered;
};

/* Back-end side: the request is finished; outputs are final. */
void vtee_req_done(struct vtee_req *req);
/*
 * Back-end side, from the thread serving req: ask the VM's normal world for a
 * service and block until it answered (or the VM went away). The answer is
 * in rpc: its TEE result in rpc->ret (COMMUNICATION if nobody answered).
 */
void vtee_req_rpc(struct vtee_req *req, struct vtee_rpc *rpc);
/* Core side (or whoever submitted req): has the back-end called vtee_req_done()? */
bool vtee_req_is_done(const struct vtee_req *req);
/* Core side: wait until done or timeout_us passed; true if done. RPCs are not answered here. */
bool vtee_req_wait(struct vtee_req *req, uint64_t timeout_us);
enum vtee_wait { VTEE_WAIT_TIMEOUT, VTEE_WAIT_DONE, VTEE_WAIT_RPC };
/* Core side: wait until done, an RPC is posted, or timeout_us passed. */
enum vtee_wait vtee_req_wait_event(struct vtee_req *req, uint64_t timeout_us);
/* Core side: the posted RPC has its answer in req->rpc; let the back-end go on. */
void vtee_req_rpc_answer(struct vtee_req *req);
/* Core side: arm a request before submit(). */
void vtee_req_arm(struct vtee_req *req);

/* Shared-memory accessors. Offsets/lengths are checked; -EFAULT when out of range. */
uint64_t vtee_shm_size(const struct vtee_shm *shm);
int vtee_shm_read(const struct vtee_shm *shm, uint64_t offs, void *dst, size_t len);
int vtee_shm_write(const struct vtee_shm *shm, uint64_t offs, const void *src, size_t len);
/* Zero-copy view: the buffer starts first_offset bytes into page 0. */
struct vtee_shm_page { void *hva; int fd; uint64_t fd_offset; };
size_t vtee_shm_num_pages(const struct vtee_shm *shm);
uint32_t vtee_shm_first_offset(const struct vtee_shm *shm);
void vtee_shm_page(const struct vtee_shm *shm, size_t index, struct vtee_shm_page *out);
/* One pointer of back-end state per buffer (e.g. a host registration). */
void *vtee_shm_get_priv(const struct vtee_shm *shm);
void vtee_shm_set_priv(struct vtee_shm *shm, void *priv);
/*
 * A buffer that is not guest memory, for a process that serves a back-end
 * with no VM (vtee-tee: memrefs that came over a link): a struct vtee_shm
 * over a private host buffer. buf: 4 KiB aligned, size rounded up to whole
 * pages, the caller's until vtee_host_shm_free(); size may be 0 (buf then
 * NULL). vtee_shm_page() gives fd = -1. 0, -EINVAL or -ENOMEM.
 */
int vtee_host_shm_new(void *buf, uint64_t size, struct vtee_shm **out);
void vtee_host_shm_free(struct vtee_shm *shm);

/*
 * A VM's secure storage as a sandboxed TEE process receives it (lib/store/vstore.h,
 * vtee_storage_prepare() in vtee.h): the state directory and the rollback anchor as open fds,
 * the VM's unwrapped key, and its quota. Plain data and two fds, so it can cross a socket.
 */
struct vtee_storage {
	int dir_fd;            /* the VM's state directory (O_RDONLY|O_DIRECTORY) */
	int anchor_fd;         /* its anchor file (O_RDWR), -1: none */
	uint8_t vm_key[32];
	uint8_t state_id[16];
	uint32_t max_objects;  /* 0: the default */
	uint64_t max_bytes;    /* 0: the default */
};

/*
 * A VM's secure storage as its TEE sees it now (docs/storage.md, "Integrity and rollback"):
 * for `vtee status` and the back-end op vm_storage_stats.
 */
#define VTEE_STORAGE_STATE_CORRUPT 0x1u /* the whole state failed its checks: every storage call fails */
struct vtee_storage_stats {
	uint64_t objects;         /* stored now (the TEE's own records, e.g. the persistent time, too) */
	uint64_t bytes;           /* their meta + data */
	uint64_t bytes_on_disk;   /* the files' sizes, the manifest included */
	uint64_t version;         /* the manifest's version */
	uint64_t commits;         /* changes committed since the TEE opened the state */
	uint64_t corrupt_objects; /* reads of an object that failed its checks, since then */
	uint32_t flags;           /* VTEE_STORAGE_* */
	uint32_t reserved;        /* 0 */
};

struct vtee_backend_ops {
	const char *name;
	const char *description; /* one line, for `vtee backends` */
	/* One back-end instance, shared by its VMs. */
	int (*open)(const char *options, void **tee);
	void (*close)(void *tee);
	/* A VM comes and goes; everything a VM owns in the TEE hangs off *vm. */
	int (*vm_created)(void *tee, uint32_t vm_id, const char *name, void **vm);
	void (*vm_destroyed)(void *vm);
	/* Open, invoke, close. Completion through vtee_req_done(). */
	void (*submit)(void *vm, struct vtee_req *req);
	/* Ask an in-flight OPEN/INVOKE to stop early (TEE_ERROR_CANCEL). May race with completion. */
	void (*cancel)(void *vm, struct vtee_req *req);
	/* Optional: learn of registered buffers (for back-ends that pre-register with their TEE). */
	int (*shm_register)(void *vm, struct vtee_shm *shm);
	void (*shm_unregister)(void *vm, struct vtee_shm *shm);
	/*
	 * Optional, for back-ends whose sessions live outside this process, so a
	 * restarted mediator can take them over (docs/recovery.md):
	 * session_export names a session with a stable non-zero handle;
	 * session_import gives the session back for a handle (NULL if the TEE no
	 * longer has it); vm_restored says every session the mediator still holds
	 * has been imported, so the TEE closes the VM's other sessions (the ones
	 * opened by calls whose answer never reached the guest). session_export
	 * is called with the VM's lock held: it must not block (a getter).
	 */
	/* Optional: sessions the TEE holds for this VM now (status, leak checks); negative errno if unknown. */
	long (*vm_session_count)(void *vm);
	uint64_t (*session_export)(void *vm, void *session);
	void *(*session_import)(void *vm, uint64_t handle);
	void (*vm_restored)(void *vm);
	/*
	 * Optional: the VM's secure storage (docs/storage.md), given once, before the VM's first
	 * call. The op owns st's fds from then on (also on failure) and wipes st->vm_key.
	 */
	int (*vm_storage)(void *vm, struct vtee_storage *st);
	/*
	 * Optional: the VM's storage counters (status). 0, -ENOENT (the VM has no storage served),
	 * -EOPNOTSUPP (the TEE behind cannot tell) or another -errno. Must not block for long.
	 */
	int (*vm_storage_stats)(void *vm, struct vtee_storage_stats *out);
};

/*
 * Open a back-end the embedder provides (its ops must outlive the instance);
 * vtee_tee_open() does the same for the registered ones by name. All ops but
 * shm_register/shm_unregister, the recovery, count and storage ops are required.
 */
struct vtee_tee;
struct vtee_vm;
int vtee_tee_open_ops(const struct vtee_backend_ops *ops, const char *options, struct vtee_tee **out);

/*
 * The registry of back-ends built into libvtee. Each registers itself beside
 * its ops with VTEE_BACKEND_REGISTER(ops): a pointer in the "vtee_backends"
 * section, which the linker gathers from every object (__start_/__stop_).
 * The core names no back-end. Only for back-ends built into libvtee: the
 * section is per linked module, so an embedder's own back-end goes through
 * vtee_tee_open_ops(). A program linking the static libvtee.a must link it
 * whole (--whole-archive, meson link_whole): nothing else references a
 * back-end's object, and the linker would drop it.
 */
#define VTEE_BACKEND_REGISTER(ops)                                                        \
	static const struct vtee_backend_ops *const vtee_backend_entry_##ops                 \
		__attribute__((used, section("vtee_backends"), aligned(sizeof(void *)))) = &(ops)

/* The registered back-end called name; NULL if there is none. */
const struct vtee_backend_ops *vtee_backend_find(const char *name);
/* Walk the registry: start with *pos = 0; NULL after the last back-end. */
const struct vtee_backend_ops *vtee_backend_next(size_t *pos);

/*
 * For a back-end's own extras on core objects (stats, channels): the state
 * its open() / vm_created() made for this instance / VM, if it is served by
 * ops; NULL if not.
 */
void *vtee_tee_backend_priv(const struct vtee_tee *tee, const struct vtee_backend_ops *ops);
void *vtee_vm_backend_priv(const struct vtee_vm *vm, const struct vtee_backend_ops *ops);

/* The built-in TEE (kept for embedders that name it; vtee_backend_find("soft") is the same). */
extern const struct vtee_backend_ops vtee_soft_backend;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
