/* The seam between libvtee_ta (the GP TEE Internal Core API runtime: the TA's GP calls resolve to
 * it) and the TA instance process that loads it and the TA (vtee-ta-host, ta-host/).
 *
 * The runtime never talks to the TEE itself. The host hands it a table of services
 * (struct tarun_host_ops) and the loaded TA's header data once, with tarun_start(), and brackets
 * every call into the TA (the five TA_*EntryPoint functions) with tarun_entry_begin() /
 * tarun_entry_end(). A table rather than plain extern functions: libvtee_ta.so is linked with
 * -Wl,--no-undefined, and a test can serve it with a fake host.
 *
 * Threads: the per-call state (client, parameters, cancellation mask) is per thread, so a host may
 * run entries of a TA_FLAG_CONCURRENT instance on several threads; ops may be called from any
 * thread that is inside an entry. Process-wide state (heap accounting, instance data) is shared.
 *
 * System calls the runtime makes itself (the host's seccomp allowlist must keep them):
 * clock_gettime (CLOCK_MONOTONIC), clock_nanosleep, mincore (memory access
 * rights), mmap/munmap (tee_map_zi), and whatever glibc's malloc/free need (brk, mmap, munmap,
 * mremap, madvise).
 * Everything that reaches the TEE or the log goes through the ops below.
 *
 * Error convention: ops that can fail return 0 or -errno; TEE results travel in out-fields.
 */
#ifndef TARUN_HOST_H
#define TARUN_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tee_api_types.h>
#include <user_ta_header.h>

#define TARUN_HOST_VERSION 2

/* What the host read from the loaded TA (dlsym of ta_head, ta_props, ta_num_props, ta_heap_size,
 * trace_level). The pointers must stay valid until the process ends. */
struct tarun_ta {
	const struct ta_head *head;           /* required: uuid (gpd.ta.appID), flags */
	const struct user_ta_property *props; /* ta_props; may be NULL when num_props is 0 */
	size_t num_props;                     /* ta_num_props */
	size_t heap_size;                     /* ta_heap_size (TA_DATA_SIZE): TEE_Malloc's budget */
	size_t no_share_heap_size;            /* __ta_no_share_heap_size (TA_NO_SHARE_DATA_SIZE) if the
					 TA has one, else 0: TEE_MALLOC_NO_SHARE then gets NULL */
	int *trace_level;                     /* the TA's trace_level (trace_set_level writes it);
					 NULL: TRACE_ERROR */
	TEE_UUID tee_device_id;               /* gpd.tee.deviceID of this TEE (per VM if the TEE wants) */
};

/* Services of the host. Every op is required unless marked optional. */
struct tarun_host_ops {
	/* Ends the instance: reports `code` to the TEE (the current call and every later call of the
	 * instance's sessions get TEE_ERROR_TARGET_DEAD, origin TEE) and exits. Must not return; the
	 * runtime calls abort() if it does. */
	void (*panic)(uint32_t code);

	/* One formatted log line of the TA (trace.h's EMSG/IMSG/DMSG..., trace_ext_puts), `len`
	 * bytes, not NUL-terminated, no newline, at most TARUN_LOG_LINE_MAX. The host writes it
	 * whole (one write). A TA's printf() goes to the process's stdout, not here. */
	void (*log_line)(const char *line, size_t len);

	/* Cancellation of the call `session` (struct tarun_entry.session) is requested: the TEE raised
	 * the session's flag (a client's cancel request). The runtime applies the mask and the call's
	 * deadline itself. */
	bool (*cancel_requested)(uint32_t session);
	/* Sleeps until CLOCK_MONOTONIC reaches `until_ns` or a cancel request for `session` arrives,
	 * whichever is first: 1 = cancel requested, 0 = time reached, -errno on failure (the runtime
	 * panics, as libutee does when the wait syscall fails). */
	int (*wait_cancel)(uint32_t session, uint64_t until_ns);

	/* REE time (gpd: TEE_GetREETime), from the TEE. 0 or -errno (the runtime then panics). */
	int (*ree_time)(TEE_Time *t);

	/* The TA persistent time, kept by the TEE per VM and per TA UUID (this process may die),
	 * as OP-TEE keeps it: an offset, here in milliseconds, `ta_time - system_time`, system time
	 * being CLOCK_MONOTONIC. The TEE stores the number and gives it back; the runtime does the
	 * arithmetic (TIME_NOT_SET, OVERFLOW). load: 0 with *offset_ms, -ENOENT when never set,
	 * other -errno on failure (the runtime panics). store: 0 or -errno (-ENOMEM and -ENOSPC
	 * become TEE_ERROR_OUT_OF_MEMORY / TEE_ERROR_STORAGE_NO_SPACE, others panic). */
	int (*ptime_load)(int64_t *offset_ms);
	int (*ptime_store)(int64_t offset_ms);

	/* TA-to-TA sessions within the VM (the TEE opens them as TEE_LOGIN_TRUSTED_APP + this TA's
	 * UUID). Session ids are never 0 (0 is TEE_HANDLE_NULL). `params` (always 4 entries) hold only the runtime's own temporary buffers or the
	 * current call's client buffers, already checked. The host copies INPUT/INOUT memrefs
	 * (buffer, size) to the callee; on return it copies OUTPUT/INOUT data back into `buffer`,
	 * at most the size it was given, sets memref.size to the size the callee returned (larger
	 * than the buffer is the SHORT_BUFFER convention, whatever the result) and the OUTPUT/INOUT
	 * values. A memref with buffer NULL (size 0) is a NULL memref. `cancel_timeout` is the GP
	 * cancellationRequestTimeout in ms (TEE_TIMEOUT_INFINITE = none).
	 * Return 0 with *ret (TEE result) and *origin set, or -errno when the request could not be
	 * made at all (the runtime answers TEE_ERROR_OUT_OF_MEMORY for -ENOMEM, else
	 * TEE_ERROR_COMMUNICATION, origin TEE_ORIGIN_COMMS). */
	int (*ta_open)(const TEE_UUID *dest, uint32_t cancel_timeout, uint32_t param_types,
		       TEE_Param params[4], uint32_t *session, TEE_Result *ret, uint32_t *origin);
	int (*ta_invoke)(uint32_t session, uint32_t cancel_timeout, uint32_t cmd,
			 uint32_t param_types, TEE_Param params[4], TEE_Result *ret, uint32_t *origin);
	/* 0, -ENOENT for a session this instance does not hold (the runtime panics, as libutee does
	 * when the close syscall fails), other -errno likewise. */
	int (*ta_close)(uint32_t session);

	/*
	 * Persistent objects (GP TEE_STORAGE_PRIVATE; the runtime maps TEE_STORAGE_PRIVATE_REE to it
	 * and answers TEE_STORAGE_PRIVATE_RPMB itself). The TEE keeps them per VM and per this TA's
	 * UUID and enforces GP's access and sharing rules across every handle of the VM's instances of
	 * the TA; the runtime checks arguments, keeps each handle's data position and turns the
	 * object's info and attributes into `meta`, an opaque blob the TEE stores beside the data.
	 * Handles (`obj`) are the TEE's, never 0. Every op returns 0 with the TEE result in *ret, or
	 * -errno when the request could not be made (the runtime then answers as for ta_open).
	 * Results: ITEM_NOT_FOUND, ACCESS_CONFLICT, STORAGE_NO_SPACE, CORRUPT_OBJECT, OUT_OF_MEMORY,
	 * STORAGE_NOT_AVAILABLE, SHORT_BUFFER (meta larger than *meta_len: *meta_len set), as OP-TEE.
	 */
	/* Open: flags are the GP TEE_DATA_FLAG_* ones the runtime checked. On success *meta_len is
	 * the blob's size (copied into meta, at most the size given) and *data_size the stream's. */
	int (*st_open)(const void *id, size_t id_len, uint32_t flags, uint32_t *obj, void *meta,
		       size_t *meta_len, uint64_t *data_size, TEE_Result *ret);
	/* Create (TEE_DATA_FLAG_OVERWRITE in flags replaces an existing object that no handle has
	 * open), atomically with its meta and initial data. */
	int (*st_create)(const void *id, size_t id_len, uint32_t flags, const void *meta,
			 size_t meta_len, const void *data, size_t data_len, uint32_t *obj,
			 TEE_Result *ret);
	/* Data stream of an open object: read up to len bytes at pos (*got: bytes read, 0 at or past
	 * the end), write len bytes at pos (a gap is zero-filled), truncate or extend to size. The
	 * TEE checks the handle's access rights (ACCESS_CONFLICT on a handle without READ/WRITE, as
	 * OP-TEE's core). */
	int (*st_read)(uint32_t obj, uint64_t pos, void *buf, size_t len, size_t *got,
		       TEE_Result *ret);
	int (*st_write)(uint32_t obj, uint64_t pos, const void *buf, size_t len, TEE_Result *ret);
	int (*st_truncate)(uint32_t obj, uint64_t size, TEE_Result *ret);
	/* The current data size (another handle may have changed it). */
	int (*st_size)(uint32_t obj, uint64_t *data_size, TEE_Result *ret);
	/* TEE_RestrictObjectUsage1 on a persistent object: the TEE ANDs usage into the object's
	 * stored objectUsage (the u32 at TARUN_ST_META_USAGE_AT of its meta blob) and changes
	 * nothing else; any handle may (OP-TEE writes the usage word whatever the handle's flags). */
	int (*st_restrict_usage)(uint32_t obj, uint32_t usage, TEE_Result *ret);
	/* Rename (the handle needs ACCESS_WRITE_META: else ACCESS_CONFLICT; an existing new id:
	 * ACCESS_CONFLICT). */
	int (*st_rename)(uint32_t obj, const void *id, size_t id_len, TEE_Result *ret);
	/* Close the handle; with delete, also delete the object (needs ACCESS_WRITE_META). The handle
	 * is gone afterwards whatever *ret says, except ACCESS_CONFLICT for delete. -ENOENT: no such
	 * handle (the runtime panics). */
	int (*st_close)(uint32_t obj, bool delete_object, TEE_Result *ret);
	/* Enumeration, stateless: the first object whose id comes after `after` (after_len bytes;
	 * after NULL: from the start) in the TEE's order; id (up to 64 bytes) and *id_len, the meta
	 * blob as st_open gives it, *data_size. ITEM_NOT_FOUND at the end. meta NULL: the id and
	 * data size only (*meta_len 0; the TEE reads no object). An object that fails its checks:
	 * CORRUPT_OBJECT with its id in id and *id_len (left as it was when the TEE names none), so
	 * that the enumeration can move past it. */
	int (*st_next)(const void *after, size_t after_len, void *id, size_t *id_len, void *meta,
		       size_t *meta_len, uint64_t *data_size, TEE_Result *ret);
};

/* The largest meta blob the TEE stores for an object (vstore's VSTORE_META_MAX). */
#define TARUN_ST_META_MAX (16u << 10)
/* Where the meta blob (obj_meta.c) keeps objectUsage, little-endian: the TEE restricts it there. */
#define TARUN_ST_META_USAGE_AT 20u

/* Longest log line handed to log_line (OP-TEE's MAX_PRINT_SIZE is 256; longer lines are cut). */
#define TARUN_LOG_LINE_MAX 256

/* The call the host is about to make into the TA. The runtime copies the client identity;
 * params must stay valid until tarun_entry_end. */
struct tarun_entry {
	uint32_t session;          /* the host's id of the session, passed back to cancel ops;
				      0 for TA_CreateEntryPoint / TA_DestroyEntryPoint */
	const TEE_Identity *client; /* gpd.client.identity: the REE login + UUID from the guest, or
				      TEE_LOGIN_TRUSTED_APP + the calling TA's UUID. For
				      TA_CreateEntryPoint, the client opening the first session.
				      NULL for TA_DestroyEntryPoint (reads as PUBLIC, nil UUID). */
	uint32_t param_types;      /* TEE_PARAM_TYPES of the call; 0 when there are none */
	TEE_Param *params;         /* the array the entry point receives (TEE_NUM_PARAMS); NULL when
				      none. Its memrefs are buffers the host owns (the copies of the
				      client's memory): TEE_CheckMemoryAccessRights treats them as
				      client memory (ANY_OWNER) and TA-to-TA calls may forward them. */
	uint64_t cancel_deadline_ns; /* CLOCK_MONOTONIC time from which the call counts as
					cancelled (the caller's cancellationRequestTimeout);
					UINT64_MAX: none */
};

/* Exported by libvtee_ta for the host. */

/* Once, after dlopen of the TA and before its first entry: 0, or -EINVAL (NULL or incomplete
 * ops/ta, or TARUN_HOST_VERSION mismatch), -EALREADY (a second call). `ops` and `ta` must stay
 * valid until the process ends. */
int tarun_start(unsigned int version, const struct tarun_host_ops *ops, const struct tarun_ta *ta);

/* Around each entry point call, on the thread that makes it. Begin records the call (client,
 * parameters, deadline) and masks cancellation (GP: masked at entry); end forgets the call's
 * parameters and re-masks. OP-TEE also clears the session's cancel flag when an entry returns:
 * that flag lives in the TEE, so the host clears it. */
void tarun_entry_begin(const struct tarun_entry *e);
void tarun_entry_end(void);

#endif
