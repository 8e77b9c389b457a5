/* The TA's log (trace.h: EMSG, IMSG, DMSG, FMSG, MSG, DHEXDUMP ...), formatted as OP-TEE's
 * libutils formats a TA's lines and handed to the host one line at a time:
 *   "<U|E|I|D|F|M>/TA:" then, for error, debug and flow messages (OP-TEE's default
 *   CFG_MSG_LONG_PREFIX_MASK 0x1a), "  <func>:<line> " (a TA has no thread id: a blank), else " ";
 *   then the message, cut to MAX_PRINT_SIZE (256) with its trailing newlines dropped.
 * A message is dropped when its level is above the TA's trace_level (TRACE_LEVEL unless the TA
 * changes it). */
#include "tarun_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_SIZE 256 /* OP-TEE's MAX_PRINT_SIZE */
#define LONG_PREFIX_LEVELS ((1u << TRACE_ERROR) | (1u << TRACE_DEBUG) | (1u << TRACE_FLOW))

static int fallback_level = TRACE_ERROR;

static int *level_var(void)
{
	if (tarun_ta_info && tarun_ta_info->trace_level)
		return tarun_ta_info->trace_level;
	return &fallback_level;
}

TARUN_EXPORT void trace_set_level(int level)
{
	*level_var() = level >= TRACE_MIN && level <= TRACE_MAX ? level : TRACE_MAX;
}

TARUN_EXPORT int trace_get_level(void)
{
	return *level_var();
}

TARUN_EXPORT int trace_ext_get_thread_id(void)
{
	return -1;
}

/* Hands text to the host one line at a time (embedded newlines split it). */
TARUN_EXPORT void trace_ext_puts(const char *str)
{
	while (str && *str) {
		size_t n = strcspn(str, "\n");

		if (n)
			tarun_log_line(str, n);
		str += n;
		if (*str == '\n')
			str++;
	}
}

static char level_letter(int level, bool level_ok)
{
	static const char letters[] = { 'U', 'E', 'I', 'D', 'F' };

	if (!level_ok)
		return 'M';
	return letters[level >= TRACE_MIN && level <= TRACE_MAX ? level : 0];
}

static size_t advance(size_t used, int res, size_t size)
{
	if (res < 0)
		return used;
	return used + (size_t)res < size ? used + (size_t)res : size - 1;
}

TARUN_EXPORT void trace_vprintf(const char *func, int line, int level, bool level_ok,
				const char *fmt, va_list ap)
{
	char buf[LINE_MAX_SIZE];
	size_t used;

	if (level_ok && level > trace_get_level())
		return;
	used = advance(0, snprintf(buf, sizeof(buf), "%c/TA:", level_letter(level, level_ok)),
		       sizeof(buf));
	if (level_ok && level >= 0 && level < 32 && ((1u << level) & LONG_PREFIX_LEVELS)) {
		used = advance(used, snprintf(buf + used, sizeof(buf) - used, "  "), sizeof(buf));
		if (func)
			used = advance(used, snprintf(buf + used, sizeof(buf) - used, "%s:%d ",
						      func, line), sizeof(buf));
	} else {
		used = advance(used, snprintf(buf + used, sizeof(buf) - used, " "), sizeof(buf));
	}
	used = advance(used, vsnprintf(buf + used, sizeof(buf) - used, fmt, ap), sizeof(buf));
	if (used > sizeof(buf) - 2) /* OP-TEE keeps room for its newline */
		used = sizeof(buf) - 2;
	while (used && buf[used - 1] == '\n')
		used--;
	buf[used] = '\0';
	trace_ext_puts(buf);
}

TARUN_EXPORT void trace_printf(const char *func, int line, int level, bool level_ok,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vprintf(func, line, level, level_ok, fmt, ap);
	va_end(ap);
}

/* 16 bytes a line: "<address>  xx xx xx xx xx xx xx xx  xx ...", at `level`. */
TARUN_EXPORT void dhex_dump(const char *function, int line, int level, const void *buf, int len)
{
	const unsigned char *in = buf;
	char text[LINE_MAX_SIZE];
	size_t used = 0;

	if (level > trace_get_level())
		return;
	for (int i = 0; i < len; i++) {
		if (i % 16 == 0)
			used = advance(0, snprintf(text, sizeof(text), "%016lx  ",
						   (unsigned long)(uintptr_t)(in + i)), sizeof(text));
		used = advance(used, snprintf(text + used, sizeof(text) - used, "%02x ", in[i]),
			       sizeof(text));
		if (i % 16 == 7)
			used = advance(used, snprintf(text + used, sizeof(text) - used, " "),
				       sizeof(text));
		if (i % 16 == 15 || i == len - 1)
			trace_printf(function, line, level, true, "%s", text);
	}
}

TARUN_EXPORT int trace_ext_get_core_id(void)
{
	return -1;
}
