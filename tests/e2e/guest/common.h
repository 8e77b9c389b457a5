/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the in-guest test clients (aarch64 Linux, real libteec,
 * real OP-TEE driver). Header-only so that each program is one compile.
 *
 * The checks and their report are report.h's.
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

#include "report.h"

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
