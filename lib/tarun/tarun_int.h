/* Private to libvtee_ta (the .c files of lib/tarun): what the runtime's files share.
 *
 * The library is compiled with hidden visibility. The GP headers and the host seam are included
 * here under a default-visibility pragma, so every function they declare and this library
 * defines is exported; TARUN_EXPORT marks the few OP-TEE extras a kit header might not declare.
 * Every file of the library includes this header first. */
#ifndef TARUN_INT_H
#define TARUN_INT_H

#pragma GCC visibility push(default)
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include <trace.h>
#include <user_ta_header.h>
#include "tarun_host.h"
#pragma GCC visibility pop

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARUN_EXPORT __attribute__((visibility("default")))

/* gpd.tee.arith.maxBigIntSize, OP-TEE's CFG_TA_BIGNUM_MAX_BITS (tee_propset.c, bigint.c). */
#define TARUN_BIGNUM_MAX_BITS 2048

/* The host's services and the TA's header data (tarun_start); NULL before it. */
extern const struct tarun_host_ops *tarun_ops;
extern const struct tarun_ta *tarun_ta_info;

/* The entry call running on this thread (tarun_entry_begin .. tarun_entry_end). */
struct tarun_call {
	bool active;
	bool cancel_masked;
	uint32_t session;
	uint32_t param_types;
	TEE_Param *params;
	uint64_t cancel_deadline_ns;
	TEE_Identity client;
};
struct tarun_call *tarun_current_call(void);

/* Ends the instance through the host; never returns (abort() if the host does). */
_Noreturn void tarun_panic(uint32_t code);

/* One log line through the host (cut at TARUN_LOG_LINE_MAX); dropped before tarun_start. */
void tarun_log_line(const char *line, size_t len);

/* CLOCK_MONOTONIC in ns: the system time of TEE_GetSystemTime and of cancellation deadlines. */
uint64_t tarun_monotonic_ns(void);

/* The TA's flags (ta_head.flags), 0 before tarun_start. */
uint32_t tarun_ta_flags(void);

/* Is cancellation of the current call effective now: unmasked, and the TEE's flag raised or the
 * call's deadline passed (tee_cancel.c)? */
bool tarun_cancel_pending(const struct tarun_call *c, uint64_t now_ns);

/* The checks libutee makes on the pointers an API function receives (its parameter
 * annotations, CFG_TA_STRICT_ANNOTATION_CHECKS=y): a non-empty range that is NULL or lacks the
 * access panics the TA with TEE_Panic(0). "private": TA memory, not a memref parameter of the
 * current call. (tee_panic.c) */
void tarun_check_in(const void *buf, size_t len);         /* READ, private */
void tarun_check_out(void *buf, size_t len);              /* WRITE, private */
void tarun_check_inout(void *buf, size_t len);            /* READ|WRITE, private */
void tarun_check_instring(const char *s);                 /* READ, private, NUL included */
void tarun_check_outbuf(void *buf, size_t *len);          /* *len RW private; buf WRITE, any owner */
void tarun_check_outbuf32(void *buf, uint32_t *len);      /* the same with a uint32_t length */
void tarun_check_in_any(const void *buf, size_t len);     /* READ, any owner (memrefs too) */
void tarun_check_out_any(void *buf, size_t len);          /* WRITE, any owner */

/* Is parameter n of `types` a memref, and which access does it grant (READ, +WRITE for
 * OUTPUT/INOUT, always ANY_OWNER)? (tee_memcheck.c) */
bool tarun_memref_rights(uint32_t types, size_t n, uint32_t *rights);

/* Memory of TEE_MALLOC_NO_SHARE blocks (tee_mem.c): does [p, p+len) overlap one? */
bool tarun_heap_overlaps_no_share(const void *p, size_t len);

/* TEE_CheckMemoryAccessRights' parameter rule (tee_memcheck.c): does every memref parameter of
 * the current call that [buf, buf+len) intersects grant `flags` (READ/WRITE/ANY_OWNER)? */
bool tarun_params_allow(uint32_t flags, const void *buf, size_t len);
/* Is [buf, buf+len) entirely inside one memref parameter of the current call? */
bool tarun_inside_param(const void *buf, size_t len);

/* The three property sets (tee_propset.c): is h one of the TEE_PROPSET_* pseudo handles; the
 * idx-th property of a set (false past its end, or for a handle that is not a set); the
 * property of a set by name (false: none). */
bool tarun_propset_is_pseudo(TEE_PropSetHandle h);
bool tarun_propset_at(TEE_PropSetHandle h, size_t idx, struct user_ta_property *out);
bool tarun_propset_find(TEE_PropSetHandle h, const char *name, struct user_ta_property *out);

/* The getters that fill a buffer of a given length (tee_prop.c), after the length's annotation
 * check, which each dialect makes on its own length type (tee_gp11.c: uint32_t). */
enum tarun_prop_op { TARUN_PROP_STRING, TARUN_PROP_BINARY, TARUN_PROP_NAME };
TEE_Result tarun_prop_sized(enum tarun_prop_op op, TEE_PropSetHandle h, const char *name,
			    void *buf, size_t *len);

/* TA-to-TA calls on TEE_Param arrays after the annotation checks (tee_ta2ta.c). */
TEE_Result tarun_ta_open(const TEE_UUID *dest, uint32_t timeout, uint32_t types,
			 TEE_Param params[TEE_NUM_PARAMS], TEE_TASessionHandle *session,
			 uint32_t *origin);
TEE_Result tarun_ta_invoke(TEE_TASessionHandle session, uint32_t timeout, uint32_t cmd,
			   uint32_t types, TEE_Param params[TEE_NUM_PARAMS], uint32_t *origin);

/* OP-TEE's canonical UUID text, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x"; returns
 * what snprintf returns (36). */
int tarun_uuid_format(char *out, size_t size, const TEE_UUID *uuid);

/* base64 as OP-TEE's libutee reads and writes property values (tee_base64.c). decode: skips
 * characters outside the alphabet, stops at '=' or NUL; returns the decoded length, writing at
 * most `size` bytes to `out` (NULL: count only). encode_len includes the NUL. */
size_t tarun_base64_decode(const char *in, void *out, size_t size);
size_t tarun_base64_encode_len(size_t n);
void tarun_base64_encode(const void *in, size_t n, char *out);

#endif
