/* SPDX-License-Identifier: MIT */
/*
 * The TA side of the report protocol (report_proto.h): a report buffer,
 * one line per check, handed back to the client by report_answer().
 * Header-only so that each TA tree just adds this folder to its incdirs.
 */
#ifndef TA_REPORT_H
#define TA_REPORT_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "report_proto.h"

struct ta_report {
	char *text;		/* TA_REPORT_MAX bytes */
	size_t len;		/* bytes used */
	bool truncated;		/* a line did not fit */
	uint32_t run;
	uint32_t failed;
};

static inline TEE_Result report_begin(struct ta_report *r)
{
	memset(r, 0, sizeof(*r));
	r->text = TEE_Malloc(TA_REPORT_MAX, TEE_MALLOC_FILL_ZERO);
	return r->text ? TEE_SUCCESS : TEE_ERROR_OUT_OF_MEMORY;
}

static inline void report_end(struct ta_report *r)
{
	TEE_Free(r->text);
	r->text = NULL;
}

static inline bool report_vcheck(struct ta_report *r, bool ok, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static inline bool report_vcheck(struct ta_report *r, bool ok, const char *fmt, va_list ap)
{
	char line[256];
	size_t len;

	r->run++;
	if (!ok)
		r->failed++;
	snprintf(line, sizeof(line), "%s", ok ? "PASS " : "FAIL ");
	vsnprintf(line + 5, sizeof(line) - 5, fmt, ap);
	len = strnlen(line, sizeof(line) - 1);
	if (r->len + len + 1 >= TA_REPORT_MAX) {
		r->truncated = true;
		return ok;
	}
	memcpy(r->text + r->len, line, len);
	r->len += len;
	r->text[r->len++] = '\n';
	return ok;
}

/* One check: a "PASS what" or "FAIL what" line. Returns ok. */
static inline bool report_check(struct ta_report *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool report_check(struct ta_report *r, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vcheck(r, ok, fmt, ap);
	va_end(ap);
	return ok;
}

static inline const char *report_res_name(TEE_Result res)
{
	switch (res) {
	case TEE_SUCCESS: return "SUCCESS";
	case TEE_ERROR_GENERIC: return "GENERIC";
	case TEE_ERROR_ACCESS_DENIED: return "ACCESS_DENIED";
	case TEE_ERROR_CANCEL: return "CANCEL";
	case TEE_ERROR_BAD_FORMAT: return "BAD_FORMAT";
	case TEE_ERROR_BAD_PARAMETERS: return "BAD_PARAMETERS";
	case TEE_ERROR_BAD_STATE: return "BAD_STATE";
	case TEE_ERROR_ITEM_NOT_FOUND: return "ITEM_NOT_FOUND";
	case TEE_ERROR_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
	case TEE_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case TEE_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
	case TEE_ERROR_BUSY: return "BUSY";
	case TEE_ERROR_SHORT_BUFFER: return "SHORT_BUFFER";
	case TEE_ERROR_OVERFLOW: return "OVERFLOW";
	case TEE_ERROR_TARGET_DEAD: return "TARGET_DEAD";
	case TEE_ERROR_MAC_INVALID: return "MAC_INVALID";
	case TEE_ERROR_SIGNATURE_INVALID: return "SIGNATURE_INVALID";
	case TEE_ERROR_TIME_NOT_SET: return "TIME_NOT_SET";
	case TEE_ERROR_ACCESS_CONFLICT: return "ACCESS_CONFLICT";
	case TEE_ERROR_STORAGE_NO_SPACE: return "STORAGE_NO_SPACE";
	case TEE_ERROR_CORRUPT_OBJECT: return "CORRUPT_OBJECT";
	case TEE_ERROR_STORAGE_NOT_AVAILABLE: return "STORAGE_NOT_AVAILABLE";
	default: return "?";
	}
}

/* got == want, else a failure naming both codes. Returns got == want. */
static inline bool report_res(struct ta_report *r, TEE_Result got, TEE_Result want,
			      const char *what)
{
	if (got == want)
		return report_check(r, true, "%s", what);
	return report_check(r, false, "%s: got 0x%08" PRIx32 " %s, want 0x%08" PRIx32 " %s",
			    what, got, report_res_name(got), want, report_res_name(want));
}

/* The parameter types a report command accepts in [0] and [1]. */
static inline bool report_params_ok(uint32_t types)
{
	uint32_t t1 = TEE_PARAM_TYPE_GET(types, 1);

	return TEE_PARAM_TYPE_GET(types, 0) == TEE_PARAM_TYPE_VALUE_OUTPUT &&
	       (t1 == TEE_PARAM_TYPE_MEMREF_OUTPUT || t1 == TEE_PARAM_TYPE_NONE);
}

/* Hands the report back: all of it, or SHORT_BUFFER with the size it needs. */
static inline TEE_Result report_answer(struct ta_report *r, uint32_t types,
				       TEE_Param params[TEE_NUM_PARAMS])
{
	if (r->truncated)
		report_check(r, false, "report: lines left out, it outgrew %d bytes",
			     TA_REPORT_MAX);
	params[0].value.a = r->run;
	params[0].value.b = r->failed;
	if (TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_MEMREF_OUTPUT)
		return TEE_SUCCESS;
	if (params[1].memref.size < r->len) {
		params[1].memref.size = r->len;
		return TEE_ERROR_SHORT_BUFFER;
	}
	TEE_MemMove(params[1].memref.buffer, r->text, r->len);
	params[1].memref.size = r->len;
	return TEE_SUCCESS;
}

#endif
