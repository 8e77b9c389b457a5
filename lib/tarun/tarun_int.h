/* Private to libvtee_ta (lib/tarun/*.c): what the runtime's files share.
 *
 * The library is compiled with hidden visibility; the GP headers and the host seam are included
 * here under a default-visibility pragma, so every function they declare and this library defines
 * is exported, and nothing else is. Every file of the library includes this header first. */
#ifndef TARUN_INT_H
#define TARUN_INT_H

#pragma GCC visibility push(default)
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include <trace.h>
#include "tarun_host.h"
#pragma GCC visibility pop

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Memory the runtime lent out (TEE_Malloc): is [p, p+len) inside one block, and was that block
 * allocated with TEE_MALLOC_NO_SHARE? (tee_mem.c) */
bool tarun_heap_owns(const void *p, size_t len, bool *no_share);

/* Does [p, p+len) overlap a memref parameter of the current call? Sets *rights to the access
 * the client granted for it (TEE_MEMORY_ACCESS_READ / _WRITE) when it lies inside one. */
bool tarun_param_overlap(const void *p, size_t len, uint32_t *rights, bool *inside);

#endif
