// SPDX-License-Identifier: MIT
/*
 * vtee-ta-misbehave: for each misbehaviour of the misbehave TA (panic, crash,
 * libc and mmap memory hogs, a loop that ignores cancellation, forbidden
 * system calls, a panic while opening), checks that its session gets
 * TEEC_ERROR_TARGET_DEAD from the TEE on that call and on the next one, that
 * a session to another TA (gp_peer) opened before still works, and that the
 * TEE still opens new sessions to the same TA. TEE_Malloc's budget is checked
 * to refuse gracefully, leaving the session alive.
 * Exit status 0 only if every check passed.
 */
#include <gp_peer_ta.h>
#include <misbehave_ta.h>
#include <unistd.h>

#include "ta_client.h"

static const TEEC_UUID misbehave_uuid = TA_MISBEHAVE_UUID;
static const TEEC_UUID peer_uuid = TA_GP_PEER_UUID;

/* Where the e2e test says the TEE runs its TAs without an address-space limit. */
#define NO_AS_LIMIT_FILE "/usr/local/etc/vtee-e2e/no-as-limit"

#ifndef __has_feature
#define __has_feature(x) 0
#endif

static TEEC_Context ctx;
static TEEC_Session bystander;	/* gp_peer, open all along */

static TEEC_Result open_misbehave(TEEC_Session *sess, bool panic_in_open, uint32_t *origin)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	if (panic_in_open) {
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = TA_MISBEHAVE_OPEN_PANIC;
	}
	return TEEC_OpenSession(&ctx, sess, &misbehave_uuid, TEEC_LOGIN_PUBLIC, NULL, &op,
				origin);
}

/* PING (a + 1) on sess. */
static TEEC_Result ping(TEEC_Session *sess, uint32_t *origin)
{
	TEEC_Operation op;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 41;
	res = TEEC_InvokeCommand(sess, TA_MISBEHAVE_CMD_PING, &op, origin);
	if (res == TEEC_SUCCESS && op.params[0].value.a != 42)
		res = TEEC_ERROR_GENERIC;
	return res;
}

static bool is_dead(TEEC_Result res, uint32_t origin)
{
	return res == TEEC_ERROR_TARGET_DEAD && origin == TEEC_ORIGIN_TEE;
}

/*
 * vtee-ta-host built with ASan sets no RLIMIT_AS (the shadow memory needs
 * terabytes of address space), so there a memory hog meets no limit. Built
 * natively, this client is built like the TEE; in the guest, the e2e test
 * adds NO_AS_LIMIT_FILE when the TEE is a sanitized build.
 */
static bool tee_without_as_limit(void)
{
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
	return true;
#else
	return access(NO_AS_LIMIT_FILE, F_OK) == 0;
#endif
}

/* After a misbehaviour: the bystander and a new session to misbehave both work. */
static void check_contained(const char *what)
{
	TEEC_Operation op;
	TEEC_Session fresh;
	uint32_t origin = 0;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 40;
	op.params[0].value.b = 2;
	res = TEEC_InvokeCommand(&bystander, TA_GP_PEER_CMD_ADD, &op, &origin);
	check(res == TEEC_SUCCESS && op.params[0].value.a == 42,
	      "%s: the session to gp_peer opened before still works (%s)", what,
	      RES(res, origin));
	res = open_misbehave(&fresh, false, &origin);
	if (check(res == TEEC_SUCCESS, "%s: a new session to misbehave opens (%s)", what,
		  RES(res, origin))) {
		res = ping(&fresh, &origin);
		check(res == TEEC_SUCCESS, "%s: and works (%s)", what, RES(res, origin));
		TEEC_CloseSession(&fresh);
	}
}

/*
 * Runs cmd (with op) on a new session; it must die there and on the next
 * call. cancel_after_ms: keep asking to cancel from then on (0: never).
 */
static void check_dies(const char *what, uint32_t cmd, TEEC_Operation *op,
		       unsigned cancel_after_ms)
{
	bool is_hog = cmd == TA_MISBEHAVE_CMD_HOG_MALLOC || cmd == TA_MISBEHAVE_CMD_HOG_MMAP;
	TEEC_Session sess;
	struct canceller c;
	bool cancelling = false;
	uint32_t origin = 0;
	uint64_t t0;
	TEEC_Result res = open_misbehave(&sess, false, &origin);

	if (!check(res == TEEC_SUCCESS, "%s: open a session (%s)", what, RES(res, origin)))
		return;
	if (cancel_after_ms)
		cancelling = canceller_start(&c, op, cancel_after_ms);
	t0 = mono_ns();
	res = TEEC_InvokeCommand(&sess, cmd, op, &origin);
	if (cancelling)
		canceller_stop(&c);
	if (is_hog && res == TEEC_ERROR_GENERIC && tee_without_as_limit()) {
		note("%s: skipped: the TEE runs TAs without RLIMIT_AS (ASan build); the TA held %u MiB",
		     what, op->params[0].value.a);
		TEEC_CloseSession(&sess);
		check_contained(what);
		return;
	}
	check(is_dead(res, origin), "%s: TARGET_DEAD from the TEE after %" PRIu64 " ms (%s)",
	      what, ms_since(t0), RES(res, origin));
	if (res == TEEC_ERROR_GENERIC && op->paramTypes)
		note("%s: the TA held %u MiB and met no limit", what, op->params[0].value.a);
	else if (res == TEEC_ERROR_ACCESS_DENIED)
		note("%s: the call failed (errno %u) but the TA lived on", what,
		     op->params[1].value.a);
	else if (res == TEEC_SUCCESS)
		note("%s: the call worked: nothing stopped the TA", what);
	res = ping(&sess, &origin);
	check(is_dead(res, origin), "%s: the next call on that session is TARGET_DEAD too (%s)",
	      what, RES(res, origin));
	TEEC_CloseSession(&sess);
	check_contained(what);
}

static void check_simple(const char *what, uint32_t cmd, uint32_t types, unsigned cancel_ms)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = types;
	check_dies(what, cmd, &op, cancel_ms);
}

static void check_syscall(const char *what, uint32_t which)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = which;
	check_dies(what, TA_MISBEHAVE_CMD_SYSCALL, &op, 0);
}

/* TEE_Malloc says no within TA_DATA_SIZE, and the session lives on. */
static void check_tee_malloc_budget(void)
{
	TEEC_Session sess;
	TEEC_Operation op;
	uint32_t origin = 0, kib;
	TEEC_Result res = open_misbehave(&sess, false, &origin);

	if (!check(res == TEEC_SUCCESS, "TEE_Malloc hog: open a session (%s)", RES(res, origin)))
		return;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	res = TEEC_InvokeCommand(&sess, TA_MISBEHAVE_CMD_HOG_TEE_MALLOC, &op, &origin);
	kib = op.params[0].value.a;
	check(res == TEEC_SUCCESS && kib * 1024u <= TA_MISBEHAVE_DATA_SIZE &&
	      kib * 1024u >= TA_MISBEHAVE_DATA_SIZE / 2,
	      "TEE_Malloc hog: refused within TA_DATA_SIZE (%u KiB of %u) (%s)", (unsigned)kib,
	      TA_MISBEHAVE_DATA_SIZE / 1024, RES(res, origin));
	res = ping(&sess, &origin);
	check(res == TEEC_SUCCESS, "TEE_Malloc hog: the session still works (%s)",
	      RES(res, origin));
	TEEC_CloseSession(&sess);
}

static void check_panic_in_open(void)
{
	TEEC_Session sess;
	uint32_t origin = 0;
	TEEC_Result res = open_misbehave(&sess, true, &origin);

	check(is_dead(res, origin), "TEE_Panic in TA_OpenSessionEntryPoint: TARGET_DEAD (%s)",
	      RES(res, origin));
	if (res == TEEC_SUCCESS)
		TEEC_CloseSession(&sess);
	check_contained("panic in open");
}

int main(void)
{
	const uint32_t value_out = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE,
						    TEEC_NONE);
	uint32_t origin = 0;
	TEEC_Result res = TEEC_InitializeContext(NULL, &ctx);

	if (!check(res == TEEC_SUCCESS, "TEEC_InitializeContext (%s)", RES(res, 0)))
		return finish();
	res = TEEC_OpenSession(&ctx, &bystander, &peer_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
			       &origin);
	if (check(res == TEEC_SUCCESS, "open the bystander session to gp_peer (%s)",
		  RES(res, origin))) {
		check_tee_malloc_budget();
		check_simple("TEE_Panic", TA_MISBEHAVE_CMD_PANIC, 0, 0);
		check_simple("NULL pointer store", TA_MISBEHAVE_CMD_SEGV, 0, 0);
		check_simple("malloc hog", TA_MISBEHAVE_CMD_HOG_MALLOC, value_out, 0);
		check_simple("mmap hog", TA_MISBEHAVE_CMD_HOG_MMAP, value_out, 0);
		check_simple("endless loop, cancel ignored", TA_MISBEHAVE_CMD_LOOP, 0, 500);
		check_syscall("open(/etc/passwd)", TA_MISBEHAVE_SYS_OPEN);
		check_syscall("socket(AF_INET)", TA_MISBEHAVE_SYS_SOCKET);
		check_syscall("execve", TA_MISBEHAVE_SYS_EXECVE);
		check_syscall("fork", TA_MISBEHAVE_SYS_FORK);
		check_panic_in_open();
		TEEC_CloseSession(&bystander);
	}
	TEEC_FinalizeContext(&ctx);
	return finish();
}
