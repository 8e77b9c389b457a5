/* A fake TA host for the libvtee_ta unit tests (test_tarun_*.c): it implements tarun_host.h's
 * ops in the test process, records what the runtime asked of it, and runs code that should
 * panic in a forked child, reporting the code the runtime passed to ops->panic. */
#ifndef TARUN_FAKE_HOST_H
#define TARUN_FAKE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include <trace.h>
#include <user_ta_header.h>

#include "tarun_host.h"

#define FAKE_LOG_LINES 64
#define FAKE_MAX_SESSIONS 8

struct fake_call {             /* what ta_open / ta_invoke received */
	uint32_t cmd;
	uint32_t types;
	TEE_Param params[TEE_NUM_PARAMS];
	unsigned char in_copy[TEE_NUM_PARAMS][64]; /* the first bytes of each memref as received */
};

struct fake_host {
	/* log */
	char lines[FAKE_LOG_LINES][TARUN_LOG_LINE_MAX + 1];
	size_t nlines;
	/* cancellation: the TEE's flag, or a cancel that arrives at a given monotonic time */
	bool cancel;
	uint64_t cancel_at_ns;    /* 0: none */
	int wait_error;           /* returned by wait_cancel when non-zero */
	/* persistent time */
	bool ptime_set;
	int64_t ptime_offset_ms;
	int ptime_load_error, ptime_store_error;
	/* TA-to-TA: what the callee answers */
	TEE_Result callee_res;
	uint32_t callee_origin;
	int callee_host_error;    /* returned by ta_open/ta_invoke when non-zero */
	size_t callee_out_size;   /* size set on OUTPUT/INOUT memrefs */
	unsigned char callee_fill;/* written into OUTPUT/INOUT memrefs, at most their size */
	struct fake_call last;
	uint32_t sessions[FAKE_MAX_SESSIONS];
	uint32_t next_session;
	/* persistent objects: false answers as a TEE without storage (ITEM_NOT_FOUND) */
	bool storage;
};

extern struct fake_host fake;
extern const struct tarun_host_ops fake_ops;

/* The TA the tests pretend to be (mutable, so a test can change its flags or no-share heap). */
extern struct ta_head fake_head;
extern struct tarun_ta fake_ta;
extern int fake_trace_level;

/* tarun_start with fake_ops and fake_ta; exits the test on failure. */
void fake_start(void);

/* Begins an entry call as the host would (client identity, params, deadline). */
void fake_entry(uint32_t login, uint32_t types, TEE_Param *params, uint64_t deadline_ns);

/* Runs fn(arg) in a forked child; true when it ended through ops->panic, with *code. */
bool fake_panics(void (*fn)(void *), void *arg, uint32_t *code);

/* Is there a logged line equal to `s` (exact) / containing `s`? */
bool fake_logged(const char *s);
bool fake_logged_part(const char *s);

uint64_t fake_now_ns(void);

/* ---- persistent objects (tarun_fake_storage.c): the st_* ops on an in-memory table ---- */

#define FAKE_ST_OBJECTS 32
#define FAKE_ST_HANDLES 32

struct fake_object {
	bool used;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t id_len;
	uint8_t *meta;   /* the runtime's blob, as stored */
	size_t meta_len;
	uint8_t *data;
	size_t size;
	bool corrupt;    /* fails the TEE's checks: next names it with CORRUPT_OBJECT */
};

struct fake_st_handle {
	struct fake_object *object; /* NULL: free */
	uint32_t flags;
};

struct fake_st {
	struct fake_object objects[FAKE_ST_OBJECTS];
	struct fake_st_handle handles[FAKE_ST_HANDLES];
	size_t quota;          /* largest data stream, 0: no limit (STORAGE_NO_SPACE beyond) */
	TEE_Result force;      /* when set, the next st_* op answers it (once) */
	int host_error;        /* when set, every st_* op fails with it (-errno) */
	unsigned int calls;    /* st_* ops made */
	unsigned int closed;   /* handles closed */
};

extern struct fake_st fake_st;

/* Forgets every object and handle (and the knobs above). */
void fake_st_reset(void);
struct fake_object *fake_st_find(const void *id, size_t id_len);
size_t fake_st_open_handles(void);

int fake_st_open(const void *id, size_t id_len, uint32_t flags, uint32_t *obj, void *meta,
		 size_t *meta_len, uint64_t *data_size, TEE_Result *ret);
int fake_st_create(const void *id, size_t id_len, uint32_t flags, const void *meta,
		   size_t meta_len, const void *data, size_t data_len, uint32_t *obj,
		   TEE_Result *ret);
int fake_st_read(uint32_t obj, uint64_t pos, void *buf, size_t len, size_t *got,
		 TEE_Result *ret);
int fake_st_write(uint32_t obj, uint64_t pos, const void *buf, size_t len, TEE_Result *ret);
int fake_st_truncate(uint32_t obj, uint64_t size, TEE_Result *ret);
int fake_st_size(uint32_t obj, uint64_t *data_size, TEE_Result *ret);
int fake_st_restrict_usage(uint32_t obj, uint32_t usage, TEE_Result *ret);
int fake_st_rename(uint32_t obj, const void *id, size_t id_len, TEE_Result *ret);
int fake_st_close(uint32_t obj, bool delete_object, TEE_Result *ret);
int fake_st_next(const void *after, size_t after_len, void *id, size_t *id_len, void *meta,
		 size_t *meta_len, uint64_t *data_size, TEE_Result *ret);

#endif
