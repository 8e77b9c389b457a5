/* SPDX-License-Identifier: MIT */
/*
 * libvteed's insides (the public API is include/vtee/vteed.h), shared by its
 * files: client.c (the mailbox, the handshake, closing), supervisor.c
 * (vteed_start: restarts), tee_source.c (what holds the VM's TEE state for a
 * supervised vteed: tee_process.c, tee_device.c, tee_remote.c), status.c,
 * log.c.
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

/*
 * What a TEE source hands a new vteed: HELLO's TEE descriptor (the back-end
 * vteed opens, its options, the option key of each fd) and the fds
 * themselves (desc.nfds of them), which are the endpoint's until closed.
 */
struct vteed_tee_endpoint {
	char backend[VTEED_BACKEND_MAX];
	struct vteed_tee_desc desc;
	int fds[VTEED_MAX_TEE_FDS];
};

/*
 * A supervised vteed's TEE source: what holds the VM's TEE state across
 * vteed restarts, and how each new vteed reaches it. One per back-end
 * vteed_start() supervises; tee_source.c picks it once, by cfg->backend.
 */
struct vteed_tee_source_ops {
	const char *backend; /* the vteed_config.backend it serves */
	/* Start or open what holds the VM's TEE (it outlives every vteed). 0, or -errno and why in msg. */
	int (*open)(const struct vteed_config *cfg, void **state, char *msg, size_t msglen);
	/* The endpoint for VM vm_id's vteed of this epoch (0: the first). 0 or -errno. */
	int (*connect)(void *state, uint32_t vm_id, uint32_t epoch, struct vteed_tee_endpoint *ep);
	/* What it can tell vteed_get_info(): tee_pid, remote_connections. */
	void (*info)(void *state, struct vteed_info *info);
	/* Let it go; a process it started ends with it (reaped, at most wait_ms, then killed). */
	void (*close)(void *state, int wait_ms);
};

struct vteed_tee_source {
	const struct vteed_tee_source_ops *ops; /* NULL: none (vteed_spawn(), vteed_connect()) */
	void *state;
};

extern const struct vteed_tee_source_ops vteed_tee_process_source; /* "soft": vtee-tee */
extern const struct vteed_tee_source_ops vteed_tee_device_source;  /* "teedev": /dev/teeN */
extern const struct vteed_tee_source_ops vteed_tee_remote_source;  /* "remote": the pool's channels */

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
 * HELLO on sock with the RAM fds, the mailbox, when given the journal
 * (jn_fd >= 0) and the TEE endpoint's descriptor and fds (ep; NULL: vteed
 * opens cfg->backend itself, with cfg->backend_options); then the reply.
 * Neither sock nor ep's fds are closed here.
 */
int vteed_handshake(struct vteed *v, int sock, const struct vteed_config *cfg, const struct vteed_ram *ram,
		    unsigned nram, uint32_t epoch, int jn_fd, const struct vteed_tee_endpoint *ep, char *msg,
		    size_t msglen);
/* waitpid with a deadline, then SIGKILL. */
void vteed_reap(pid_t pid, int ms);

/* supervisor.c: stop restarting (before the GOODBYE that ends the vteed for good) */
void vteed_supervisor_stop(struct vteed *v);

/* tee_source.c */
/* Open cfg->backend's source (NULL: "soft"); -EINVAL for a back-end vteed_start() does not supervise. */
int vteed_tee_source_open(struct vteed_tee_source *ts, const struct vteed_config *cfg, char *msg, size_t msglen);
/* The endpoint for VM vm_id's vteed of this epoch; the caller closes it once HELLO has passed it. */
int vteed_tee_source_connect(struct vteed_tee_source *ts, uint32_t vm_id, uint32_t epoch,
			     struct vteed_tee_endpoint *ep);
void vteed_tee_source_info(const struct vteed_tee_source *ts, struct vteed_info *info);
/* Release it (nothing if none is open). */
void vteed_tee_source_close(struct vteed_tee_source *ts, int wait_ms);
/* An empty endpoint for backend, with options ("" none); -E2BIG if either does not fit. */
int vteed_tee_endpoint_init(struct vteed_tee_endpoint *ep, const char *backend, const char *options);
/* Hand fd (taken, even on failure) to the back-end as its option key; -E2BIG when full. */
int vteed_tee_endpoint_add_fd(struct vteed_tee_endpoint *ep, const char *key, int fd);
void vteed_tee_endpoint_close(struct vteed_tee_endpoint *ep);

/* log.c: to the embedder's vteed_set_log() function, if any */
void vteed_client_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
