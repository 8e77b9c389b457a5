// SPDX-License-Identifier: MIT
/*
 * vtee-ta-gp-core: the gp_core TA's checks (properties with a PUBLIC and a
 * USER login, memory, time, TA-to-TA with gp_peer) and what only a client
 * can see: TEE_Wait cut short by TEEC_RequestCancellation (and not when the
 * TA keeps cancellation masked), a client memref that gp_core forwarded to
 * gp_peer, and instance data that outlives its sessions in a keep-alive TA.
 * Expects a VM where gp_core never ran (the TA persistent time is unset).
 * Exit status 0 only if every check passed.
 */
#include <gp_core_ta.h>

#include "ta_client.h"

static const TEEC_UUID core_uuid = TA_GP_CORE_UUID;

static bool open_core(TEEC_Context *ctx, TEEC_Session *sess, uint32_t login)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_OpenSession(ctx, sess, &core_uuid, login, NULL, NULL, &origin);

	return check(res == TEEC_SUCCESS, "open a session to gp_core with login %u (%s)",
		     (unsigned)login, RES(res, origin));
}

static void check_properties(TEEC_Context *ctx, TEEC_Session *sess)
{
	TEEC_Parameter login = { .value = { TEEC_LOGIN_PUBLIC, 0 } };
	TEEC_Session user;

	run_report(sess, "properties (PUBLIC login)", TA_GP_CORE_CMD_PROPERTIES,
		   TEEC_VALUE_INPUT, &login, NULL);
	if (!open_core(ctx, &user, TEEC_LOGIN_USER))
		return;
	login.value.a = TEEC_LOGIN_USER;
	run_report(&user, "properties (USER login)", TA_GP_CORE_CMD_PROPERTIES,
		   TEEC_VALUE_INPUT, &login, NULL);
	TEEC_CloseSession(&user);
}

/* [2] is a partial memref of allocated shared memory: client memory to the TA. */
static void check_memory(TEEC_Context *ctx, TEEC_Session *sess)
{
	TEEC_SharedMemory shm = { .size = 64, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	TEEC_Parameter p;
	TEEC_Result res = TEEC_AllocateSharedMemory(ctx, &shm);

	if (!check(res == TEEC_SUCCESS, "allocate 64 bytes of shared memory (%s)", RES(res, 0)))
		return;
	memset(&p, 0, sizeof(p));
	p.memref.parent = &shm;
	p.memref.offset = 16;
	p.memref.size = 32;
	run_report(sess, "memory", TA_GP_CORE_CMD_MEMORY, TEEC_MEMREF_PARTIAL_INOUT, &p, NULL);
	TEEC_ReleaseSharedMemory(&shm);
}

static void check_time(TEEC_Session *sess)
{
	TEEC_Parameter now = { .value = { (uint32_t)time(NULL), 1 } };

	run_report(sess, "time", TA_GP_CORE_CMD_TIME, TEEC_VALUE_INPUT, &now, NULL);
}

static void check_ta2ta(TEEC_Session *sess)
{
	uint8_t buf[24];
	TEEC_Parameter p = { .tmpref = { buf, sizeof(buf) } };
	bool reversed = true;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 7);
	if (run_report(sess, "TA-to-TA", TA_GP_CORE_CMD_TA2TA, TEEC_MEMREF_TEMP_INOUT, &p,
		       NULL) != TEEC_SUCCESS)
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		reversed = reversed && buf[i] == (uint8_t)((sizeof(buf) - 1 - i) * 13 + 7);
	check(p.tmpref.size == sizeof(buf) && reversed,
	      "TA-to-TA: our memref, forwarded by gp_core to gp_peer, came back reversed");
}

/* TEE_Wait(ms) in the TA, unmasked or not, with a canceller from cancel_after_ms (0: none). */
static TEEC_Result wait_in_ta(TEEC_Session *sess, uint32_t ms, bool unmask,
			      unsigned cancel_after_ms, uint32_t *waited, uint32_t *was_masked,
			      uint32_t *origin)
{
	struct canceller c;
	TEEC_Operation op;
	bool cancelling = false;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = ms;
	op.params[0].value.b = unmask;
	if (cancel_after_ms)
		cancelling = canceller_start(&c, &op, cancel_after_ms);
	res = TEEC_InvokeCommand(sess, TA_GP_CORE_CMD_WAIT, &op, origin);
	if (cancelling)
		canceller_stop(&c);
	*waited = op.params[1].value.a;
	*was_masked = op.params[1].value.b;
	return res;
}

static void check_wait(TEEC_Session *sess)
{
	uint32_t waited = 0, masked = 0, origin = 0;
	uint64_t t0 = mono_ns();
	TEEC_Result res = wait_in_ta(sess, 100, false, 0, &waited, &masked, &origin);

	check(res == TEEC_SUCCESS && waited >= 100 && masked == 1,
	      "TEE_Wait(100): 100 ms or more (%u), cancellation masked at entry (%u) (%s)",
	      (unsigned)waited, (unsigned)masked, RES(res, origin));
	t0 = mono_ns();
	res = wait_in_ta(sess, 20000, true, 300, &waited, &masked, &origin);
	check(res == TEEC_ERROR_CANCEL && origin == TEEC_ORIGIN_TRUSTED_APP && waited < 10000,
	      "TEE_Wait(20 s) unmasked, cancelled after 300 ms: CANCEL from the TA after %u ms "
	      "(%" PRIu64 " ms here) (%s)", (unsigned)waited, ms_since(t0), RES(res, origin));
	res = wait_in_ta(sess, 1500, false, 300, &waited, &masked, &origin);
	check(res == TEEC_SUCCESS && waited >= 1500,
	      "TEE_Wait(1.5 s) masked, cancel requested: waits it out (%u ms) (%s)",
	      (unsigned)waited, RES(res, origin));
}

static bool counts(TEEC_Session *sess, uint32_t *creates, uint32_t *open)
{
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	res = TEEC_InvokeCommand(sess, TA_GP_CORE_CMD_COUNTS, &op, &origin);
	*creates = op.params[0].value.a;
	*open = op.params[0].value.b;
	return check(res == TEEC_SUCCESS, "COUNTS (%s)", RES(res, origin));
}

/* Instance data set in one session is there in the next, the instance created once. */
static void check_instance(TEEC_Context *ctx)
{
	TEEC_Session a, b;
	TEEC_Operation op;
	uint32_t origin = 0, creates = 0, open = 0;
	TEEC_Result res;

	if (!open_core(ctx, &a, TEEC_LOGIN_PUBLIC))
		return;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 0xc0ffee;
	res = TEEC_InvokeCommand(&a, TA_GP_CORE_CMD_SET_INSTANCE, &op, &origin);
	check(res == TEEC_SUCCESS, "SET_INSTANCE 0xc0ffee (%s)", RES(res, origin));
	TEEC_CloseSession(&a);
	if (!open_core(ctx, &b, TEEC_LOGIN_PUBLIC))
		return;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	res = TEEC_InvokeCommand(&b, TA_GP_CORE_CMD_GET_INSTANCE, &op, &origin);
	check(res == TEEC_SUCCESS && op.params[0].value.b == 1 && op.params[0].value.a == 0xc0ffee,
	      "instance data outlives its session: 0x%x (%s)", op.params[0].value.a,
	      RES(res, origin));
	if (counts(&b, &creates, &open))
		check(creates == 1 && open == 1,
		      "one instance for every session: TA_CreateEntryPoint ran %u time(s), "
		      "%u session(s) open", (unsigned)creates, (unsigned)open);
	TEEC_CloseSession(&b);
}

int main(void)
{
	TEEC_Context ctx;
	TEEC_Session sess;
	TEEC_Result res = TEEC_InitializeContext(NULL, &ctx);

	if (!check(res == TEEC_SUCCESS, "TEEC_InitializeContext (%s)", RES(res, 0)))
		return finish();
	if (open_core(&ctx, &sess, TEEC_LOGIN_PUBLIC)) {
		check_properties(&ctx, &sess);
		check_memory(&ctx, &sess);
		check_time(&sess);
		check_ta2ta(&sess);
		check_wait(&sess);
		TEEC_CloseSession(&sess);
	}
	check_instance(&ctx);
	TEEC_FinalizeContext(&ctx);
	return finish();
}
