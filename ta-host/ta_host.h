/* SPDX-License-Identifier: MIT */
/*
 * vtee-ta-host: the fork server the soft back-end starts (server.c), and
 * the TA instance each of its children becomes (instance.c: load and
 * sandbox; serve.c: the calls; host_ops.c: what libvtee_ta asks of us).
 * The wire is lib/backend/soft/ta_proto.h; the runtime seam is
 * lib/tarun/tarun_host.h.
 *
 * An instance process holds one TA instance of one VM. Its state is process
 * wide (struct ta_instance, below): one instance per process.
 */
#ifndef VTEE_TA_HOST_H
#define VTEE_TA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ta_proto.h"
#include "tarun_host.h"
#include <tee_api_defines.h>

#define HOST_MAX_DIRS 16

struct host_cfg {
	const char *dirs[HOST_MAX_DIRS];
	unsigned ndirs;
	bool no_sandbox; /* debugging only: no seccomp filter, no rlimits */
};

/* server.c: serve the back-end on ctl until it hangs up; the exit status. */
int server_run(int ctl, const struct host_cfg *cfg);

/* instance.c: what a child of the server becomes; never returns. */
_Noreturn void instance_main(const struct host_cfg *cfg, const struct tap_ctl *start, pid_t server, int chan_fd,
			     int shared_fd, int hup_fd);

/* What the instance process knows (one per process). */
struct ta_entry_points {
	TEE_Result (*create)(void);
	void (*destroy)(void);
	TEE_Result (*open)(uint32_t types, TEE_Param params[4], void **ctx);
	void (*close)(void *ctx);
	TEE_Result (*invoke)(void *ctx, uint32_t cmd, uint32_t types, TEE_Param params[4]);
};

struct ta_instance {
	struct vtee_chan *chan;
	struct tap_shared *shared;
	uint8_t *bulk;
	uint32_t bulk_size;
	struct ta_entry_points ep;
	struct tarun_ta ta;        /* for tarun_start() */
	TEE_UUID uuid;
	bool created;              /* TA_CreateEntryPoint succeeded */
};
extern struct ta_instance ti;

/* Exit statuses of an instance (the back-end logs them). */
#define TI_EXIT_OK       0
#define TI_EXIT_PANIC    3   /* TEE_Panic: the back-end had PANIC first */
#define TI_EXIT_CHANNEL  4   /* the back-end hung up or broke the channel */
#define TI_EXIT_SETUP    5   /* could not set itself up */

/* A TA file found and checked, not loaded yet. */
struct ta_file {
	int fd;
	char path[4096];              /* <dir>/<uuid>.ta, where fd was opened */
	struct ta_head head;          /* its .ta_head section */
	uint64_t heap_size;           /* its ta_heap_size (TA_DATA_SIZE), 0 if libelf found none */
	uint64_t no_share_heap_size;  /* its __ta_no_share_heap_size, 0 if none */
	uint64_t file_size;
};

/* load.c: is there a file to try for uuid (RFC 4122 bytes)? The fork server's check before it forks. */
bool ta_file_exists(const struct host_cfg *cfg, const uint8_t uuid[16]);
/* load.c: find <uuid>.ta in the directories, check its .ta_head: TEE_SUCCESS, or the result why not. */
uint32_t ta_file_open(const struct host_cfg *cfg, const TEE_UUID *uuid, struct ta_file *f);
/* dlopen the checked file and find what the runtime needs: TEE_SUCCESS or BAD_FORMAT. */
uint32_t ta_file_load(const struct ta_file *f);

/* serve.c: the calls, until DESTROY or the back-end hangs up; never returns. */
_Noreturn void serve_calls(void);
/* One message to the back-end (header + fixed part + more). 0 or -errno. */
int ti_send(uint32_t type, const void *fixed, size_t flen, const void *more, size_t mlen);
/* Read exactly len bytes; on failure the instance ends (the back-end is gone). */
void ti_recv(void *buf, size_t len);
/* A log line to the TEE's log (prefixed there with the VM and the TA's UUID). */
void ti_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Leave now: _exit(status) (no atexit handlers: the sandbox would kill them). */
_Noreturn void ti_exit(int status);

/* host_ops.c */
extern const struct tarun_host_ops ti_host_ops;
/* The fixed part of the ANSWER to the request just sent; how many bytes follow it. */
uint32_t ti_read_answer(struct tap_answer *a);

/* host_storage.c: the st_* ops (tarun_host.h), as TAP_MSG_ST_* requests */
int host_st_open(const void *id, size_t id_len, uint32_t flags, uint32_t *obj, void *meta, size_t *meta_len,
		 uint64_t *data_size, TEE_Result *ret);
int host_st_create(const void *id, size_t id_len, uint32_t flags, const void *meta, size_t meta_len,
		   const void *data, size_t data_len, uint32_t *obj, TEE_Result *ret);
int host_st_read(uint32_t obj, uint64_t pos, void *buf, size_t len, size_t *got, TEE_Result *ret);
int host_st_write(uint32_t obj, uint64_t pos, const void *buf, size_t len, TEE_Result *ret);
int host_st_truncate(uint32_t obj, uint64_t size, TEE_Result *ret);
int host_st_size(uint32_t obj, uint64_t *data_size, TEE_Result *ret);
int host_st_restrict_usage(uint32_t obj, uint32_t usage, TEE_Result *ret);
int host_st_rename(uint32_t obj, const void *id, size_t id_len, TEE_Result *ret);
int host_st_close(uint32_t obj, bool delete_object, TEE_Result *ret);
int host_st_next(const void *after, size_t after_len, void *id, size_t *id_len, void *meta, size_t *meta_len,
		 uint64_t *data_size, TEE_Result *ret);

/* UUID conversions: RFC 4122 bytes <-> TEE_UUID. */
void uuid_from_bytes(const uint8_t b[16], TEE_UUID *u);
void uuid_to_bytes(const TEE_UUID *u, uint8_t b[16]);

#endif
