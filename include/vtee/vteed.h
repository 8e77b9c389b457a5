/* SPDX-License-Identifier: MIT */
/*
 * libvteed: let a VMM hand one VM's TEE to a vteed process (docs/vteed-protocol.md),
 * and supervise it (docs/recovery.md). pkg-config: libvteed.
 *
 *   struct vteed_ram ram[] = { { .gpa = 0x40000000, .size = sz, .fd = memfd, .fd_offset = 0 } };
 *   struct vteed *v; char msg[128];
 *   vteed_start(&(struct vteed_config){ .vm_id = 1, .name = "vm1", .nvcpus = 4 }, ram, 1, &v,
 *               msg, sizeof(msg));
 *   ...vCPU thread i, on a TEE SMC:  vteed_smc(v, i, regs);
 *   vteed_close(v);
 *
 * Functions returning int give 0 or a negative errno. Messages for the caller
 * go to a caller's buffer (msg, msglen; msg may be NULL). The library never
 * writes to stderr: it logs through vteed_set_log().
 */
#ifndef VTEE_VTEED_H
#define VTEE_VTEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vtee/vteed_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's public ABI. */
#pragma GCC visibility push(default)

struct vteed;

struct vteed_config {
	uint32_t vm_id;        /* non-zero */
	const char *name;      /* 1..31 printable bytes */
	/*
	 * The back-end serving the VM: NULL = "soft". vteed_spawn()/vteed_connect():
	 * one built into vteed, which opens it itself (its policy must name it).
	 * vteed_start(): "soft", "teedev" or "remote", held by the supervisor.
	 */
	const char *backend;
	/*
	 * Its options (vtee_tee_open()'s; NULL = none, at most 255 bytes). With
	 * vteed_start(): for "soft", vtee-tee's (e.g. "threads=8"); for "teedev",
	 * vteed's teedev back-end's, besides the context (e.g. "inline=off"; the
	 * device is tee_dev); for "remote", the pool's (remote_options' newer name).
	 */
	const char *backend_options;
	unsigned nvcpus;       /* mailbox slots, 1..64 */
	uint32_t slice_us;     /* 0 = default (1000) */
	bool no_rpc_arg;
	uint32_t max_calls, max_sessions, max_shm; /* 0 = defaults */
	uint64_t max_shm_pages;
	/* vteed_spawn()/vteed_start(): executable (NULL = $VTEED, else "vteed" in PATH) and extra arguments. */
	const char *vteed_path;
	const char *const *extra_args; /* NULL-terminated, may be NULL */
	/* vteed_start(): the TEE process (NULL = $VTEE_TEE, else "vtee-tee" in PATH). */
	const char *tee_path;
	/* vteed_start() with "teedev": the host's TEE device (NULL = the first OP-TEE /dev/teeN). */
	const char *tee_dev;
	/*
	 * vteed_start() with "remote", if backend_options is NULL: the remote
	 * back-end's options (server=, ca=, cert=, key=, ...; docs/remote.md). This
	 * process holds the TLS connection and hands each vteed a channel on it
	 * (vteed itself may not connect).
	 */
	const char *remote_options;
	/*
	 * vteed_start() with "soft": the VM's secure storage (docs/storage.md).
	 * This process prepares it (vtee_storage_prepare(): reads the host key,
	 * opens the state directory and the anchor) and hands it to vtee-tee
	 * ('S' on its control socket); vteed never sees keys or state. NULL
	 * state_dir: no storage (persistent objects answer ITEM_NOT_FOUND).
	 */
	const char *state_dir;        /* the VM's state directory (created if missing) */
	const char *state_anchor_dir; /* where its rollback anchor lives; NULL: none */
	const char *host_key;         /* the host key file, created on first use (required with state_dir) */
	uint32_t state_max_objects;   /* 0: the default quota */
	uint64_t state_max_bytes;     /* 0: the default quota */
};

struct vteed_ram {
	uint64_t gpa, size; /* 4 KiB aligned */
	int fd;             /* memfd / tmpfs / hugetlbfs file holding the region; not closed */
	uint64_t fd_offset; /* 4 KiB aligned */
};

/*
 * Handshake on a connected Unix stream socket (taken over: vteed_close() closes it)
 * or on a socket path. On ERROR the daemon's message is in msg.
 */
int vteed_connect_fd(int sock, const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram,
		     struct vteed **out, char *msg, size_t msglen);
int vteed_connect(const char *socket_path, const struct vteed_config *cfg, const struct vteed_ram *ram,
		  unsigned nram, struct vteed **out, char *msg, size_t msglen);

/* Start vteed --fd on one end of a socketpair and do the handshake. *pid = the child (reap it). */
int vteed_spawn(const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram, struct vteed **out,
		pid_t *pid, char *msg, size_t msglen);

/*
 * Lower level: start `path --fd 3 extra_args...` with a connected socket, no handshake.
 * *sock is this side of the pair. For tests and for VMMs speaking the protocol themselves.
 * path NULL: $VTEED, else "vteed" in PATH. -ENOENT (or another -errno) if it cannot be run.
 */
int vteed_spawn_raw(const char *path, const char *const *extra_args, int *sock, pid_t *pid);

/*
 * Serve one guest SMC in vteed (same semantics as vtee_vm_smc(): regs[0..7] = x0..x7
 * in, results out). vcpu < nvcpus. Calls on different vCPU indexes run in parallel;
 * calls on the same index are serialized. Returns 0, or -EPIPE when vteed is gone
 * (regs[0] is then 0xFFFFFFFF, SMCCC "not supported"), -EINVAL for a bad index.
 */
int vteed_smc(struct vteed *v, unsigned vcpu, uint64_t regs[8]);

/* True once vteed is known to be gone for good (disconnected, STOP, an SMC found it dead, or restarts failed). */
bool vteed_dead(struct vteed *v);

/*
 * Supervised vteed (docs/recovery.md): start the TEE process (vtee-tee, serving
 * the built-in TEE) or, with backend "teedev", open the host's TEE device (one
 * context for the VM), or with "remote" join this process's connection pool to
 * the server; start vteed, keep what must outlive vteed here — the TEE process
 * or context, the journal memfd, the mailbox — and restart vteed whenever it
 * dies. The guest's sessions and registered shared memory stay valid across a
 * restart. An SMC in flight when vteed died completes once the new vteed runs:
 * a fast call is served again; a yielding call (SMCCC bit 31 clear) is
 * replayed, which carries out a close or an unregister and fails anything else
 * cleanly (OP-TEE: TEE_ERROR_COMMUNICATION). If vteed cannot be restarted (3
 * tries), vteed_dead() turns true and SMCs fail with -EPIPE (x0 = 0xFFFFFFFF).
 */
int vteed_start(const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram, struct vteed **out,
		char *msg, size_t msglen);

struct vteed_info {
	pid_t pid;                 /* the current vteed */
	pid_t tee_pid;             /* the TEE process, 0 if none */
	uint32_t restarts;         /* vteeds restarted so far */
	uint64_t last_recovery_ns; /* hang-up seen -> new vteed serving, for the last restart */
	uint32_t lost_calls;       /* yielding calls failed because vteed died under them */
	uint32_t remote_connections; /* backend "remote": live connections of the pool this vteed shares */
};
void vteed_get_info(struct vteed *v, struct vteed_info *info);

/*
 * Ask a vteed for its status over its status socket (VTEED_STATUS_PREFIX): by
 * pid, or for this client's current vteed. Only vteed's own user and root
 * get an answer. A vteed of protocol version 3 or older answers without the
 * storage fields: out->storage is then VTEED_STORAGE_UNKNOWN.
 */
int vteed_status_query(pid_t pid, struct vteed_status *out);
int vteed_status(struct vteed *v, struct vteed_status *out);

/*
 * GOODBYE, wait (up to 5 s) for BYE or disconnect, free. No vteed_smc() may be
 * running. A supervised vteed is reaped and its TEE process stopped too.
 */
void vteed_close(struct vteed *v);

/*
 * The library's log (a supervisor's restarts that fail, ...). Lines (no
 * trailing newline, each whole) go to fn, from any thread; with no function
 * set (the default) they are dropped. Set it before the library runs (before
 * vteed_start()). level: syslog's (LOG_ERR = 3 ... LOG_DEBUG = 7).
 */
typedef void (*vteed_log_fn)(void *ctx, int level, const char *line);
void vteed_set_log(vteed_log_fn fn, void *ctx);
/* A ready-made fn: one write(2) of the line and a newline to the fd in (intptr_t)ctx. */
void vteed_log_to_fd(void *ctx, int level, const char *line);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
