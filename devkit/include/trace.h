/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: OP-TEE's TA logging macros. A macro below the build's
 * TRACE_LEVEL (the TA's CFG_TEE_TA_LOG_LEVEL) compiles to nothing; the others
 * call trace_printf(), which the TA runtime (libvtee_ta) implements and which
 * also filters on the run-time variable trace_level.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <compiler.h>
#include <trace_levels.h>

#define MAX_PRINT_SIZE      256
#define MAX_FUNC_PRINT_SIZE 32

#ifndef TRACE_LEVEL
#define TRACE_LEVEL TRACE_MAX
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* defined by every TA (user_ta_header.c) */
extern int trace_level;
extern const char trace_ext_prefix[];

/* provided by the runtime */
void trace_ext_puts(const char *str);
int trace_ext_get_thread_id(void);
int trace_ext_get_core_id(void);
void trace_set_level(int level);
int trace_get_level(void);
void trace_vprintf(const char *func, int line, int level, bool level_ok,
		   const char *fmt, va_list args) __printf(5, 0);
void trace_printf(const char *func, int line, int level, bool level_ok,
		  const char *fmt, ...) __printf(5, 6);
void dhex_dump(const char *function, int line, int level,
	       const void *buf, int len);

#ifdef __cplusplus
}
#endif

#define trace_printf_helper(level, level_ok, ...) \
	trace_printf(__func__, __LINE__, (level), (level_ok), __VA_ARGS__)
#define trace_printf_helper_raw(level, level_ok, ...) \
	trace_printf(NULL, 0, (level), (level_ok), __VA_ARGS__)

#if (TRACE_LEVEL <= 0)
#define MSG(...)	(void)0
#define MSG_RAW(...)	(void)0
#define SMSG(...)	(void)0
#else
#define MSG(...)	trace_printf_helper(0, false, __VA_ARGS__)
#define MSG_RAW(...)	trace_printf_helper_raw(0, false, __VA_ARGS__)
/* "synchronised" messages are plain errors outside OP-TEE's core */
#define SMSG(...) \
	trace_printf(__func__, __LINE__, TRACE_ERROR, true, __VA_ARGS__)
#endif

#if (TRACE_LEVEL < TRACE_ERROR)
#define EMSG(...)	(void)0
#define EMSG_RAW(...)	(void)0
#else
#define EMSG(...)	trace_printf_helper(TRACE_ERROR, true, __VA_ARGS__)
#define EMSG_RAW(...)	trace_printf_helper_raw(TRACE_ERROR, true, __VA_ARGS__)
#endif

#if (TRACE_LEVEL < TRACE_INFO)
#define IMSG(...)	(void)0
#define IMSG_RAW(...)	(void)0
#else
#define IMSG(...)	trace_printf_helper(TRACE_INFO, true, __VA_ARGS__)
#define IMSG_RAW(...)	trace_printf_helper_raw(TRACE_INFO, true, __VA_ARGS__)
#endif

#if (TRACE_LEVEL < TRACE_DEBUG)
#define DMSG(...)	(void)0
#define DMSG_RAW(...)	(void)0
#define DHEXDUMP(buf, len) (void)0
#else
#define DMSG(...)	trace_printf_helper(TRACE_DEBUG, true, __VA_ARGS__)
#define DMSG_RAW(...)	trace_printf_helper_raw(TRACE_DEBUG, true, __VA_ARGS__)
#define DHEXDUMP(buf, len) \
	dhex_dump(__func__, __LINE__, TRACE_DEBUG, (buf), (len))
#endif

#if (TRACE_LEVEL < TRACE_FLOW)
#define FMSG(...)	(void)0
#define FMSG_RAW(...)	(void)0
#else
#define FMSG(...)	trace_printf_helper(TRACE_FLOW, true, __VA_ARGS__)
#define FMSG_RAW(...)	trace_printf_helper_raw(TRACE_FLOW, true, __VA_ARGS__)
#endif

/* flow traces of function entry and exit */
#define INMSG(...)	FMSG("> " __VA_ARGS__)
#define OUTMSG(...)	FMSG("< " __VA_ARGS__)
#define OUTRMSG(r) \
	do { \
		OUTMSG("r=[%x]", r); \
		return r; \
	} while (0)

#endif /* TRACE_H */
