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

#endif
