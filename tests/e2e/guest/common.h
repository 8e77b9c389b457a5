/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the in-guest test clients (aarch64 Linux, real libteec,
 * real OP-TEE driver). Header-only so that each program is one compile.
 *
 * Every check prints one line, "PASS <what>" or "FAIL <what>", and bumps a
 * counter; finish() prints "N passed, N failed" and gives the exit status.
 */
#ifndef VTEE_E2E_GUEST_COMMON_H
#define VTEE_E2E_GUEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tee_client_api.h>

/* The contract of include/vtee/test_ta.h, restated for the guest side. */
#define TA_CMD_INC       0
#define TA_CMD_REVERSE   1
#define TA_CMD_FILL      2
#define TA_CMD_SLEEP     3
#define TA_CMD_WHOAMI    4
#define TA_CMD_NULL      5
#define TA_CMD_STORE     6
#define TA_CMD_LOAD      7
#define TA_CMD_HASH      8
#define TA_CMD_SESSIONS  9
#define TA_CMD_REE_TIME  10
#define TA_STORE_MAX     256u

/* 5ce0c432-0ab0-40e5-a056-782ca0e6aba2 */
static const TEEC_UUID test_ta_uuid = {
	0x5ce0c432, 0x0ab0, 0x40e5,
	{ 0xa0, 0x56, 0x78, 0x2c, 0xa0, 0xe6, 0xab, 0xa2 }
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned n_pass, n_fail;

__attribute__((format(printf, 2, 3)))
static inline bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	fputs(ok ? "PASS " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
	pthread_mutex_unlock(&report_lock);
	return ok;
}

/* An informational line that is not a check. */
__attribute__((format(printf, 1, 2)))
static inline void note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	fputs("INFO ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
}

static inline int finish(void)
{
	pthread_mutex_lock(&report_lock);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
	return (n_fail == 0 && n_pass > 0) ? 0 : 1;
}

static inline const char *res_name(TEEC_Result r)
{
	switch (r) {
	case TEEC_SUCCESS: return "SUCCESS";
	case TEEC_ERROR_GENERIC: return "GENERIC";
	case TEEC_ERROR_ACCESS_DENIED: return "ACCESS_DENIED";
	case TEEC_ERROR_CANCEL: return "CANCEL";
	case TEEC_ERROR_ACCESS_CONFLICT: return "ACCESS_CONFLICT";
	case TEEC_ERROR_EXCESS_DATA: return "EXCESS_DATA";
	case TEEC_ERROR_BAD_FORMAT: return "BAD_FORMAT";
	case TEEC_ERROR_BAD_PARAMETERS: return "BAD_PARAMETERS";
	case TEEC_ERROR_BAD_STATE: return "BAD_STATE";
	case TEEC_ERROR_ITEM_NOT_FOUND: return "ITEM_NOT_FOUND";
	case TEEC_ERROR_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
	case TEEC_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case TEEC_ERROR_NO_DATA: return "NO_DATA";
	case TEEC_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
	case TEEC_ERROR_BUSY: return "BUSY";
	case TEEC_ERROR_COMMUNICATION: return "COMMUNICATION";
	case TEEC_ERROR_SECURITY: return "SECURITY";
	case TEEC_ERROR_SHORT_BUFFER: return "SHORT_BUFFER";
	case TEEC_ERROR_EXTERNAL_CANCEL: return "EXTERNAL_CANCEL";
	case TEEC_ERROR_TARGET_DEAD: return "TARGET_DEAD";
	default: return "?";
	}
}

static inline const char *origin_name(uint32_t o)
{
	switch (o) {
	case TEEC_ORIGIN_API: return "API";
	case TEEC_ORIGIN_COMMS: return "COMMS";
	case TEEC_ORIGIN_TEE: return "TEE";
	case TEEC_ORIGIN_TRUSTED_APP: return "TA";
	default: return "?";
	}
}

/* Formats "0x%08x NAME/origin" into a caller buffer (for check lines). */
static inline const char *res_str(char *buf, size_t len, TEEC_Result r,
				  uint32_t origin)
{
	snprintf(buf, len, "0x%08" PRIx32 " %s origin %s", r, res_name(r),
		 origin_name(origin));
	return buf;
}
#define RES(r, o) res_str((char[96]){ 0 }, 96, (r), (o))

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* FNV-1a, 32 bits. */
static inline uint32_t fnv1a32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* A deterministic byte pattern that differs with the seed and position. */
static inline void pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 7);
	}
}

/* True if dst is the byte-reverse of src. */
static inline bool is_reverse(const uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (dst[i] != src[len - 1 - i])
			return false;
	return true;
}

static inline bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static inline uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static inline TEEC_Result open_ta(TEEC_Context *ctx, TEEC_Session *sess,
				  uint32_t *origin)
{
	uint32_t o = 0;
	TEEC_Result r = TEEC_OpenSession(ctx, sess, &test_ta_uuid,
					 TEEC_LOGIN_PUBLIC, NULL, NULL, &o);

	if (origin)
		*origin = o;
	return r;
}

/* SESSIONS: how many sessions this VM has open on the test TA (-1 on error). */
static inline long ta_sessions(TEEC_Session *sess)
{
	TEEC_Operation op;
	uint32_t o = 0;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 0xdeadbeef;
	if (TEEC_InvokeCommand(sess, TA_CMD_SESSIONS, &op, &o) != TEEC_SUCCESS)
		return -1;
	return (long)op.params[0].value.a;
}

/* INC on a value; true if a came back as a + 1 and b unchanged. */
static inline TEEC_Result ta_inc(TEEC_Session *sess, uint32_t a, uint32_t b,
				 uint32_t *out_a, uint32_t *out_b, uint32_t *origin)
{
	TEEC_Operation op;
	uint32_t o = 0;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = a;
	op.params[0].value.b = b;
	r = TEEC_InvokeCommand(sess, TA_CMD_INC, &op, &o);
	if (out_a)
		*out_a = op.params[0].value.a;
	if (out_b)
		*out_b = op.params[0].value.b;
	if (origin)
		*origin = o;
	return r;
}

#endif
