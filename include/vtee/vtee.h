/* SPDX-License-Identifier: MIT */
/*
 * libvtee: serve a virtual machine's TEE calls from the VMM's userspace.
 *
 * A VMM embeds libvtee like this:
 *
 *   struct vtee_tee *tee;   one per TEE back-end ("soft" = built-in userspace TEE)
 *   struct vtee_vm *vm;     one per virtual machine
 *
 *   vtee_tee_open("soft", NULL, &tee);
 *   vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "vm1" }, &vm);
 *   vtee_vm_add_ram(vm, 0x40000000, ram_size, ram_hva, ram_fd, 0);
 *   ...on every guest SMC/HVC whose function id satisfies vtee_handles_fid():
 *   vtee_vm_smc(vm, regs);        regs[0..7] = x0..x7 in, results out
 *   ...when the VM is gone (all vCPUs stopped):
 *   vtee_vm_destroy(vm);
 *
 * vtee_vm_smc() may be called from any number of vCPU threads at once. It never
 * blocks longer than the VM's time slice: a TEE call that takes longer is
 * returned to the guest as an OP-TEE "foreign interrupt" RPC and resumed later.
 *
 * Functions returning int give 0 on success or a negative errno.
 */
#ifndef VTEE_VTEE_H
#define VTEE_VTEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtee/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's public ABI. */
#pragma GCC visibility push(default)

struct vtee_tee;
struct vtee_vm;

/* Per-VM limits. A zero field means "use the default" (in brackets). */
struct vtee_quota {
	uint32_t max_calls;     /* yielding calls in flight, = thread count the guest sees [16] */
	uint32_t max_sessions;  /* open sessions [1024] */
	uint32_t max_shm;       /* registered shared-memory buffers [4096] */
	uint64_t max_shm_pages; /* 4 KiB pages registered or in temporary memrefs [262144 = 1 GiB] */
};

#define VTEE_DEFAULT_MAX_CALLS      16u
#define VTEE_DEFAULT_MAX_SESSIONS   1024u
#define VTEE_DEFAULT_MAX_SHM        4096u
#define VTEE_DEFAULT_MAX_SHM_PAGES  262144u
#define VTEE_DEFAULT_SLICE_US       1000u

/* Hard ceilings on configured quotas, so a policy typo cannot ask for the impossible. */
#define VTEE_LIMIT_MAX_CALLS        1024u
#define VTEE_LIMIT_MAX_SESSIONS     (1u << 20)
#define VTEE_LIMIT_MAX_SHM          (1u << 20)
#define VTEE_LIMIT_MAX_SHM_PAGES    (1ull << 26) /* 256 GiB */

/*
 * The VM's login policy: what the core does with the login a guest asks for
 * at OPEN_SESSION, per class, before any back-end sees the request. A
 * back-end may map further what its TEE can express (teedev: login=).
 * A login that is none of these (TRUSTED_APP, anything else) is refused.
 */
enum vtee_login_class {
	VTEE_LOGIN_CLASS_PUBLIC,      /* TEE_LOGIN_PUBLIC */
	VTEE_LOGIN_CLASS_USER,        /* TEE_LOGIN_USER */
	VTEE_LOGIN_CLASS_GROUP,       /* TEE_LOGIN_GROUP */
	VTEE_LOGIN_CLASS_APPLICATION, /* TEE_LOGIN_APPLICATION, _USER, _GROUP */
	VTEE_LOGIN_CLASS_REE_KERNEL,  /* TEE_LOGIN_REE_KERNEL: the guest's kernel */
	VTEE_LOGIN_CLASSES
};
enum vtee_login_action {
	VTEE_LOGIN_KEEP = 0,   /* pass it on as the guest asked (the default) */
	VTEE_LOGIN_AS_PUBLIC,  /* make it PUBLIC, with the nil client UUID */
	VTEE_LOGIN_DENY,       /* refuse: TEE_ERROR_ACCESS_DENIED, counted in access_denials */
};

struct vtee_vm_config {
	uint32_t vm_id;        /* client id the back-end sees; non-zero, unique per vtee_tee */
	const char *name;      /* for logs and status; copied */
	struct vtee_quota quota;
	uint32_t slice_us;     /* longest time vtee_vm_smc() waits for a TEE call [1000] */
	bool no_rpc_arg;       /* do not offer OP-TEE's RPC_ARG capability (guest then uses CALL_WITH_ARG) */
	/*
	 * OPEN_SESSION policy: called with the TA's UUID before the back-end sees
	 * the request; false answers TEE_ERROR_ACCESS_DENIED. NULL allows every TA.
	 */
	bool (*ta_allowed)(void *ctx, const struct vtee_uuid *ta);
	void *policy_ctx;
	/* enum vtee_login_action per enum vtee_login_class; zeroed: every login kept; unknown: denied */
	uint8_t logins[VTEE_LOGIN_CLASSES];
	/*
	 * Recovery (docs/recovery.md). journal: memory that outlives this process
	 * (a memfd the supervisor keeps), vtee_journal_size() bytes, zeroed for a
	 * new VM; NULL keeps no journal. epoch: how many times this VM's mediator
	 * was restarted; thread ids handed to the guest carry it, so a call
	 * suspended by an earlier incarnation cannot be resumed into a new one.
	 */
	void *journal;
	size_t journal_size;
	uint32_t epoch;
};

/* Open a TEE back-end by name ("soft"). options is back-end specific, may be NULL. */
int vtee_tee_open(const char *backend, const char *options, struct vtee_tee **out);
/* Close a back-end. All its VMs must have been destroyed. */
void vtee_tee_close(struct vtee_tee *tee);
/* Names of the registered back-ends (backend.h), NULL-terminated. */
const char *const *vtee_backend_names(void);

int vtee_vm_create(struct vtee_tee *tee, const struct vtee_vm_config *cfg, struct vtee_vm **out);

/*
 * Describe one region of guest RAM: guest-physical [gpa, gpa + size) is mapped
 * at hva in this process. fd/fd_offset name the same memory as a file (memfd,
 * memory-backend-file) for back-ends that map guest pages themselves; pass
 * fd = -1 if there is none. gpa, size, hva and fd_offset must be 4 KiB aligned;
 * regions must not overlap. Add all regions before the guest runs; at most
 * VTEE_MAX_RAM_REGIONS. libvtee never closes fd.
 */
#define VTEE_MAX_RAM_REGIONS 16
int vtee_vm_add_ram(struct vtee_vm *vm, uint64_t gpa, uint64_t size, void *hva, int fd,
		    uint64_t fd_offset);

/* True for the SMCCC function ids to hand to vtee: SMC32, Trusted-App and Trusted-OS owners 48..63. */
bool vtee_handles_fid(uint32_t fid);

/* Serve one guest SMC: regs[0..7] hold x0..x7 on entry and the result on return. */
void vtee_vm_smc(struct vtee_vm *vm, uint64_t regs[8]);
/*
 * The same, for a VM with a journal: tag names this SMC (non-zero, e.g. vCPU
 * and sequence number) so that after a restart the embedder can say whether
 * its answer reached the guest (see vtee_vm_restore()).
 */
void vtee_vm_smc_tagged(struct vtee_vm *vm, uint64_t regs[8], uint64_t tag);

/*
 * After a restart: serve an SMC the previous mediator received but never
 * answered (it died serving it). Calls that only remove state (close a
 * session, unregister shared memory, cancel) are carried out; every other
 * call fails cleanly (OP-TEE: TEE_ERROR_COMMUNICATION, origin COMMS), since
 * it may have half happened. Fast calls need no replay: serve them normally.
 */
void vtee_vm_smc_replay(struct vtee_vm *vm, uint64_t regs[8], uint64_t tag);

/* Bytes of journal a VM with these quotas needs (zero fields = defaults). */
size_t vtee_journal_size(const struct vtee_quota *quota);
/*
 * After a restart: rebuild the VM's sessions and registered shared memory
 * from cfg->journal. delivered(ctx, tag) says whether the answer to the SMC
 * tagged tag reached the guest; what such an SMC created is rolled back
 * otherwise (the guest saw the call fail). Call before the guest runs again.
 * Returns the number of entries restored or a negative errno (-EBADMSG: the
 * journal is not one of this VM's).
 */
int vtee_vm_restore(struct vtee_vm *vm, bool (*delivered)(void *ctx, uint64_t tag), void *ctx);

/*
 * Destroy a VM: end its calls, close its sessions, drop its shared memory and
 * tell the back-end the VM is gone. No vCPU may be inside vtee_vm_smc().
 */
void vtee_vm_destroy(struct vtee_vm *vm);

struct vtee_vm_stats {
	uint32_t sessions;        /* open now */
	uint32_t shm_buffers;     /* registered now */
	uint64_t shm_pages;       /* registered or temporary, now */
	uint32_t calls;           /* yielding calls in flight now */
	uint64_t smc_count;       /* SMCs served since creation */
	uint64_t quota_denials;   /* requests refused by a quota */
	uint64_t bad_requests;    /* malformed requests answered with an error */
	uint64_t foreign_intr;    /* time slices that expired (call returned to guest to resume later) */
	uint64_t access_denials;  /* OPEN_SESSIONs refused by the policy (TA or login) */
	int64_t tee_sessions;     /* sessions the back-end holds for the VM; -1 if it cannot tell */
	/*
	 * The VM's secure storage (docs/storage.md): storage_status 0: `storage` holds its counters;
	 * -ENOENT: the VM has no storage; -EOPNOTSUPP: its back-end (or the TEE behind it) cannot
	 * tell; another negative errno: asking failed. `storage` is all zero unless 0.
	 */
	int32_t storage_status;
	uint32_t reserved0;
	struct vtee_storage_stats storage;
};
void vtee_vm_get_stats(struct vtee_vm *vm, struct vtee_vm_stats *st);

/*
 * A VM's secure storage (docs/storage.md). The process that may read the host
 * key prepares it, the process serving the VM receives it:
 *
 *   vtee_storage_prepare(state_dir, anchor_dir, "vm1", key_path, 0, 0, &st, msg, sizeof(msg));
 *   vtee_vm_set_storage(vm, &st);      in process; or hand st to vtee-tee (libvteed does)
 *
 * prepare loads the host key (32 bytes, mode 0600; created when missing, with
 * its directory), creates or opens the state directory and the VM's rollback
 * anchor anchor_dir/<vm_name>.anchor (anchor_dir NULL: none), and fills *out
 * with two fds and the VM's unwrapped key; max_objects/max_bytes 0: the
 * defaults. -EKEYREJECTED: the state was made under another host key. The
 * caller owns *out until it hands it over: vtee_storage_release() closes its
 * fds and wipes its key (harmless on a released or zeroed-with-fds-at--1 one).
 */
int vtee_storage_prepare(const char *state_dir, const char *anchor_dir, const char *vm_name,
			 const char *host_key_path, uint32_t max_objects, uint64_t max_bytes,
			 struct vtee_storage *out, char *msg, size_t msglen);
void vtee_storage_release(struct vtee_storage *st);
/*
 * Give the VM its storage, once, before its first call. Takes st's fds and key
 * (released also on failure). -EOPNOTSUPP: the VM's back-end keeps no storage.
 * A VM never given storage answers persistent-object calls as OP-TEE without
 * storage does (TEE_ERROR_ITEM_NOT_FOUND).
 */
int vtee_vm_set_storage(struct vtee_vm *vm, struct vtee_storage *st);
/*
 * A VM's TEE state as one file (docs/storage.md, "Export format"), by the
 * paths of host key files. Export: consistent while the VM runs, its key
 * wrapped for to_key_path (NULL: the local key); refused (-EBADMSG) when the
 * state does not match the VM's anchor in anchor_dir (a rolled-back state;
 * anchor_dir NULL: not checked, vm_name unused). Import: the file must be
 * wrapped for from_key_path (NULL: the local key; -EKEYREJECTED otherwise),
 * -EBUSY while a process serves the VM; the state is replaced atomically and
 * rewrapped for the local key (created if missing). Reset: the state and its
 * anchor removed.
 */
int vtee_state_export(const char *state_dir, const char *anchor_dir, const char *vm_name,
		      const char *host_key_path, const char *to_key_path, int out_fd, char *msg,
		      size_t msglen);
int vtee_state_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		      const char *host_key_path, const char *from_key_path, int in_fd, char *msg,
		      size_t msglen);
int vtee_state_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		     size_t msglen);

/*
 * The library's log. Lines (no trailing newline, each whole) go to fn, from
 * any thread; with no function set (the default) they are dropped: libvtee
 * never writes to stderr itself. Levels are syslog's.
 */
enum vtee_log_level { VTEE_LOG_ERR = 3, VTEE_LOG_WARNING = 4, VTEE_LOG_INFO = 6, VTEE_LOG_DEBUG = 7 };
typedef void (*vtee_log_fn)(void *ctx, enum vtee_log_level level, const char *line);
void vtee_set_log(vtee_log_fn fn, void *ctx);
/* A ready-made fn: one write(2) of the line and a newline to the fd in (intptr_t)ctx. */
void vtee_log_to_fd(void *ctx, enum vtee_log_level level, const char *line);

/* The VM's id and name, as configured. */
uint32_t vtee_vm_id(const struct vtee_vm *vm);
const char *vtee_vm_name(const struct vtee_vm *vm);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
