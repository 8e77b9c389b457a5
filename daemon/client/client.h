/* SPDX-License-Identifier: MIT */
/*
 * libvteed's insides (the public API is include/vtee/vteed.h), shared by its
 * files: client.c (the mailbox, the handshake, closing), supervisor.c
 * (vteed_start: restarts), tee_source.c (what holds the VM's TEE state for a
 * supervised vteed), remote_pool.c, status.c, log.c.
 */
#ifndef VTEED_CLIENT_H
#define VTEED_CLIENT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vtee/vteed.h"

#define VTEED_CLOSE_MS 5000 /* how long vteed_close() waits for each process to end */

struct vtee_tee;

/*
 * A supervised vteed's TEE source: what outlives each vteed and hands the
 * next one its TEE fd. Chosen once, in vteed_start(), by the back-end name.
 */
enum vteed_tee_source_kind {
	TEE_SOURCE_NONE,    /* vteed_spawn()/vteed_connect(): vteed holds its own TEE */
	TEE_SOURCE_PROCESS, /* "soft": the built-in TEE in vtee-tee, reached over the link */
	TEE_SOURCE_DEVICE,  /* "teedev": the host's /dev/teeN, one context for the VM */
	TEE_SOURCE_REMOTE,  /* "remote": a channel on this process's connections to vtee-served */
};

struct vteed_tee_source {
	enum vteed_tee_source_kind kind;
	char *path;              /* PROCESS: the program (NULL = "vtee-tee" in PATH) */
	int ctl;                 /* PROCESS: the control socket to vtee-tee, -1 none */
	pid_t pid;               /* PROCESS: vtee-tee */
	int dev_fd;              /* DEVICE: the VM's TEE context, -1 none */
	struct vtee_tee *remote; /* REMOTE: the shared connection pool */
};

struct vteed_vslot {
	pthread_mutex_t lock;
	uint32_t seq;
	_Atomic uint64_t fid; /* x0 of the request in flight: the supervisor answers it if vteed dies */
};

struct vteed {
	int sock;
	uint64_t spin_ns;
	unsigned nslots;
	struct vteed_mailbox *mb;
	_Atomic bool dead;
	struct vteed_vslot slot[VTEED_MAX_SLOTS];

	/* supervision (vteed_start): what outlives each vteed */
	bool supervised;
	struct vteed_config cfg;      /* strings point into the copies below */
	char name[VTEED_NAME_MAX];
	char *vteed_path, **extra_args;
	struct vteed_ram ram[VTEED_MAX_REGIONS];
	unsigned nram;
	int mb_fd, jn_fd;
	struct vteed_tee_source tee;
	pid_t pid;
	pthread_t monitor;
	int stop_pipe[2];
	_Atomic uint32_t restarts, lost;
	_Atomic uint64_t last_recovery_ns;
};

/* client.c */
uint64_t vteed_now_ns(void);
void vteed_set_msg(char *msg, size_t msglen, const char *text);
bool vteed_config_ok(const struct vteed_config *cfg, unsigned nram);
/* A client with its mailbox (kept open in mb_fd for restarts). */
int vteed_client_new(const struct vteed_config *cfg, struct vteed **out);
void vteed_client_free(struct vteed *v);
/*
 * HELLO on sock with the RAM fds, the mailbox and, when given (>= 0), the
 * journal and the TEE fd; then the reply. sock is not closed here.
 */
int vteed_handshake(struct vteed *v, int sock, const struct vteed_config *cfg, const struct vteed_ram *ram,
		    unsigned nram, uint32_t epoch, int jn_fd, int tee_fd, char *msg, size_t msglen);
/* waitpid with a deadline, then SIGKILL. */
void vteed_reap(pid_t pid, int ms);

/* supervisor.c: stop restarting (before the GOODBYE that ends the vteed for good) */
void vteed_supervisor_stop(struct vteed *v);

/* tee_source.c */
void vteed_tee_source_init(struct vteed_tee_source *ts);
/* Take cfg->backend's source ("soft" or NULL, "teedev", "remote"); -EINVAL for another back-end. */
int vteed_tee_source_open(struct vteed_tee_source *ts, const struct vteed_config *cfg, char *msg, size_t msglen);
/* A TEE fd for the next vteed of VM vm_id (the caller closes it once passed). */
int vteed_tee_source_connect(struct vteed_tee_source *ts, uint32_t vm_id, int *fd);
/* HELLO's back-end for a vteed given that fd: "teedev" for the device, "link" otherwise. */
const char *vteed_tee_source_backend(const struct vteed_tee_source *ts);
/* The remote pool's live connections (0 for another source). */
uint32_t vteed_tee_source_connections(const struct vteed_tee_source *ts);
/* Release it: vtee-tee ends with its control socket (reaped, at most wait_ms, then killed). */
void vteed_tee_source_close(struct vteed_tee_source *ts, int wait_ms);

/* remote_pool.c: the vteeds of this process with the same remote options share one back-end instance */
int vteed_remote_pool_get(const char *options, struct vtee_tee **out);
void vteed_remote_pool_put(struct vtee_tee *tee);

/* log.c: to the embedder's vteed_set_log() function, if any */
void vteed_client_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
