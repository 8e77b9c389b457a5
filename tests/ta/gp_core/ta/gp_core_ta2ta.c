// SPDX-License-Identifier: MIT
/*
 * TA-to-TA: gp_core opens sessions to gp_peer and checks what comes back:
 * open parameters, the callee seeing TEE_LOGIN_TRUSTED_APP and our UUID,
 * memrefs in our heap and stack copied back, SHORT_BUFFER with the size the
 * callee wants, a client memref forwarded as it is, an unknown UUID, and a
 * callee that panics (TARGET_DEAD from the TEE, then on every later call).
 */
#include <string.h>
#include <tee_internal_api.h>

#include <gp_core_ta.h>
#include <gp_peer_ta.h>
#include "gp_core.h"

#define NONE TEE_PARAM_TYPE_NONE
#define ONE(t) TEE_PARAM_TYPES(t, NONE, NONE, NONE)

static const TEE_UUID peer_uuid = TA_GP_PEER_UUID;

static TEE_Result invoke(TEE_TASessionHandle s, uint32_t cmd, uint32_t types,
			 TEE_Param p[4], uint32_t *origin)
{
	return TEE_InvokeTACommand(s, TEE_TIMEOUT_INFINITE, cmd, types, p, origin);
}

static bool result_is(struct ta_report *r, TEE_Result res, uint32_t origin,
		      TEE_Result want, uint32_t want_origin, const char *what)
{
	return report_check(r, res == want && origin == want_origin,
			    "%s: %s origin %" PRIu32 " (%s origin %" PRIu32 ")", what,
			    report_res_name(want), want_origin, report_res_name(res), origin);
}

static TEE_TASessionHandle open_peer(struct ta_report *r)
{
	TEE_TASessionHandle s = TEE_HANDLE_NULL;
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	memset(p, 0, sizeof(p));
	p[0].value.a = 41;
	res = TEE_OpenTASession(&peer_uuid, TEE_TIMEOUT_INFINITE, ONE(TEE_PARAM_TYPE_VALUE_INOUT),
				p, &s, &origin);
	report_check(r, res == TEE_SUCCESS && p[0].value.a == 42,
		     "TEE_OpenTASession to gp_peer, open parameter 41 -> %" PRIu32 " (%s)",
		     p[0].value.a, report_res_name(res));
	return res == TEE_SUCCESS ? s : TEE_HANDLE_NULL;
}

static void check_identity(struct ta_report *r, TEE_TASessionHandle s)
{
	static const TEE_UUID self = TA_GP_CORE_UUID;
	TEE_UUID *uuid = TEE_Malloc(sizeof(*uuid), TEE_MALLOC_FILL_ZERO);
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	if (!uuid)
		return;
	memset(p, 0, sizeof(p));
	p[1].memref.buffer = uuid;
	p[1].memref.size = sizeof(*uuid);
	res = invoke(s, TA_GP_PEER_CMD_WHOAMI,
		     TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     NONE, NONE), p, &origin);
	report_check(r, res == TEE_SUCCESS && p[0].value.a == TEE_LOGIN_TRUSTED_APP,
		     "the callee sees TEE_LOGIN_TRUSTED_APP (0x%" PRIx32 ", %s)", p[0].value.a,
		     report_res_name(res));
	report_check(r, res == TEE_SUCCESS && p[1].memref.size == sizeof(*uuid) &&
		     !memcmp(uuid, &self, sizeof(self)),
		     "the callee sees gp_core's UUID as the client's (%08" PRIx32 ")",
		     uuid->timeLow);
	TEE_Free(uuid);
}

/* REVERSE of buf (len bytes) through the peer; true if it came back reversed. */
static bool reversed_by_peer(TEE_TASessionHandle s, uint8_t *buf, size_t len)
{
	uint8_t want[64];
	TEE_Param p[4];
	uint32_t origin = 0;

	if (len > sizeof(want))
		return false;
	for (size_t i = 0; i < len; i++)
		want[i] = buf[len - 1 - i];
	memset(p, 0, sizeof(p));
	p[0].memref.buffer = buf;
	p[0].memref.size = len;
	return invoke(s, TA_GP_PEER_CMD_REVERSE, ONE(TEE_PARAM_TYPE_MEMREF_INOUT), p,
		      &origin) == TEE_SUCCESS &&
	       p[0].memref.size == len && !memcmp(buf, want, len);
}

static void check_memrefs(struct ta_report *r, TEE_TASessionHandle s)
{
	uint8_t *heap = TEE_Malloc(64, 0);
	uint8_t stack[20];
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	for (size_t i = 0; i < sizeof(stack); i++)
		stack[i] = (uint8_t)(i * 7);
	report_check(r, reversed_by_peer(s, stack, sizeof(stack)),
		     "a memref on our stack comes back reversed");
	if (!heap)
		return;
	for (size_t i = 0; i < 64; i++)
		heap[i] = (uint8_t)(i ^ 0x5a);
	report_check(r, reversed_by_peer(s, heap, 64), "a memref in our heap comes back reversed");
	TEE_MemFill(heap, 0xee, 64);
	memset(p, 0, sizeof(p));
	p[0].memref.buffer = heap;
	p[0].memref.size = 8;
	p[1].value.a = 0x3c;
	p[1].value.b = 32;
	res = invoke(s, TA_GP_PEER_CMD_FILL, TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_OUTPUT,
							     TEE_PARAM_TYPE_VALUE_INPUT, NONE, NONE),
		     p, &origin);
	report_check(r, res == TEE_ERROR_SHORT_BUFFER && origin == TEE_ORIGIN_TRUSTED_APP &&
		     p[0].memref.size == 32,
		     "FILL 32 into 8 bytes: SHORT_BUFFER from the callee with size 32 (%s, %zu)",
		     report_res_name(res), (size_t)p[0].memref.size);
	p[0].memref.size = 64;
	res = invoke(s, TA_GP_PEER_CMD_FILL, TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_OUTPUT,
							     TEE_PARAM_TYPE_VALUE_INPUT, NONE, NONE),
		     p, &origin);
	report_check(r, res == TEE_SUCCESS && p[0].memref.size == 32 && heap[0] == 0x3c &&
		     heap[31] == 0x3c && heap[32] == 0xee,
		     "FILL 32 into 64 bytes: 32 filled, size 32, the rest untouched (%s)",
		     report_res_name(res));
	TEE_Free(heap);
}

static void check_values(struct ta_report *r, TEE_TASessionHandle s)
{
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	memset(p, 0, sizeof(p));
	p[0].value.a = 40;
	p[0].value.b = 2;
	res = invoke(s, TA_GP_PEER_CMD_ADD, ONE(TEE_PARAM_TYPE_VALUE_INOUT), p, &origin);
	report_check(r, res == TEE_SUCCESS && p[0].value.a == 42 && p[0].value.b == 2,
		     "ADD 40 + 2 = %" PRIu32 " (%s)", p[0].value.a, report_res_name(res));
	res = invoke(s, 0x7777, ONE(NONE), p, &origin);
	report_check(r, res != TEE_SUCCESS && origin == TEE_ORIGIN_TRUSTED_APP,
		     "an unknown command is refused by the callee (%s origin %" PRIu32 ")",
		     report_res_name(res), origin);
}

/* The client's own memref handed on: the client sees it reversed when we return. */
static void check_forward(struct ta_report *r, TEE_TASessionHandle s, TEE_Param *client)
{
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	memset(p, 0, sizeof(p));
	p[0] = *client;
	res = invoke(s, TA_GP_PEER_CMD_REVERSE, ONE(TEE_PARAM_TYPE_MEMREF_INOUT), p, &origin);
	report_check(r, res == TEE_SUCCESS && p[0].memref.size == client->memref.size,
		     "the client's INOUT memref forwarded to the callee (%s)",
		     report_res_name(res));
}

static void check_dead_peer(struct ta_report *r)
{
	TEE_TASessionHandle s = open_peer(r);
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	if (s == TEE_HANDLE_NULL)
		return;
	memset(p, 0, sizeof(p));
	res = invoke(s, TA_GP_PEER_CMD_PANIC, ONE(NONE), p, &origin);
	result_is(r, res, origin, TEE_ERROR_TARGET_DEAD, TEE_ORIGIN_TEE, "a callee that panics");
	res = invoke(s, TA_GP_PEER_CMD_ADD, ONE(TEE_PARAM_TYPE_VALUE_INOUT), p, &origin);
	result_is(r, res, origin, TEE_ERROR_TARGET_DEAD, TEE_ORIGIN_TEE,
		  "the next call on the panicked callee's session");
	TEE_CloseTASession(s);
	s = open_peer(r);
	if (s != TEE_HANDLE_NULL)
		check_values(r, s);
	TEE_CloseTASession(s);
}

void gp_core_ta2ta(struct ta_report *r, uint32_t types, TEE_Param params[4])
{
	static const TEE_UUID nobody = { 0x0badc0de, 0x0bad, 0x4bad,
					 { 0xba, 0xad, 0xc0, 0xde, 0xba, 0xad, 0xc0, 0xde } };
	TEE_TASessionHandle s;
	TEE_Param p[4];
	uint32_t origin = 0;
	TEE_Result res;

	s = open_peer(r);
	if (s != TEE_HANDLE_NULL) {
		check_identity(r, s);
		check_memrefs(r, s);
		check_values(r, s);
		if (TEE_PARAM_TYPE_GET(types, 2) == TEE_PARAM_TYPE_MEMREF_INOUT)
			check_forward(r, s, &params[2]);
		else
			report_check(r, false, "ta2ta: [2] must be a MEMREF_INOUT to forward");
		TEE_CloseTASession(s);
	}
	memset(p, 0, sizeof(p));
	res = TEE_OpenTASession(&nobody, TEE_TIMEOUT_INFINITE, ONE(NONE), p, &s, &origin);
	result_is(r, res, origin, TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE,
		  "TEE_OpenTASession to a UUID no TA has");
	check_dead_peer(r);
}
