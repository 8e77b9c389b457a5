// SPDX-License-Identifier: MIT
/* Regressions for defects found in review: each test fails on the code before its fix. */
#include <string.h>
#include <time.h>

#include "../check.h"
#include "guest.h"
#include "vtee/test_ta.h"

static const uint8_t test_ta[16] = VTEE_TEST_TA_UUID_BYTES;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start SLEEP ms on session s with a raw CALL_WITH_ARG and leave it with the TEE; returns its thread. */
static uint32_t start_sleep(struct guest *g, uint32_t s, uint32_t ms)
{
	uint64_t gpa;
	CHECK_EQ(guest_pages_alloc(g, 1, &gpa), 0);
	struct optee_msg_arg *m = guest_gpa_ptr(g, gpa, GUEST_PAGE_SIZE);
	memset(m, 0, GUEST_PAGE_SIZE);
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->func = VTEE_TEST_CMD_SLEEP;
	m->session = s;
	m->num_params = 1;
	m->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m->params[0].u.value.a = ms;
	uint64_t r[8] = { OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, (uint32_t)gpa };
	guest_smc(g, r);
	CHECK_EQ((uint32_t)r[0], OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR);
	return (uint32_t)r[3];
}

/* Drive a suspended call to its end. */
static void finish(struct guest *g, uint32_t thread)
{
	uint64_t r[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, thread };
	guest_smc(g, r);
	while ((uint32_t)r[0] == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)) {
		uint64_t n[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, r[3] };
		memcpy(r, n, sizeof(r));
		guest_smc(g, r);
	}
	CHECK_EQ((uint32_t)r[0], OPTEE_SMC_RETURN_OK);
}

/*
 * Teardown must cancel every call before it waits for any: a call queued
 * behind a long one (more calls than TEE threads) must not make destroy wait
 * out the long one's sleep.
 */
static void test_destroy_cancels_all_first(void)
{
	struct vtee_tee *tee;
	struct guest *g;
	CHECK_EQ(vtee_tee_open("soft", "threads=1", &tee), 0);
	struct vtee_vm_config vc = { .vm_id = 1, .quota = { .max_calls = 2 } };
	CHECK_EQ(guest_create_vm(tee, &vc, &(struct guest_config){ .quiet = true }, &g), 0);
	CHECK_EQ(guest_probe(g), 0);
	uint32_t s;
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL), TEE_SUCCESS);

	uint32_t a = start_sleep(g, s, 30);   /* runs on the only TEE thread */
	(void)start_sleep(g, s, 5000);        /* queued, then runs when a ends */
	finish(g, a);                         /* a's slot is free again */
	(void)start_sleep(g, s, 5000);        /* takes a's lower slot, queued behind the 5 s one */

	double t0 = now_s();
	guest_destroy(g);
	double took = now_s() - t0;
	CHECK(took < 2.0); /* before the fix: 5 s, one sleep waited out */
	if (took >= 2.0)
		fprintf(stderr, "destroy took %.2f s\n", took);
	vtee_tee_close(tee);
}

/* Run one request on the soft back-end directly, as the core would. */
static void run(void *vm, struct vtee_req *r)
{
	vtee_req_arm(r);
	vtee_soft_backend.submit(vm, r);
	CHECK(vtee_req_wait(r, UINT64_MAX));
}

/*
 * A session handle must never come back to life. The core can hand the
 * back-end the handle of a session that another vCPU closes meanwhile; if a new
 * OPEN then got the same handle (as malloc tends to return the same memory),
 * the stale INVOKE would run in someone else's session, with their login.
 */
static void test_stale_session_handle(void)
{
	void *tee, *vm;
	CHECK_EQ(vtee_soft_backend.open(NULL, &tee), 0);
	CHECK_EQ(vtee_soft_backend.vm_created(tee, 3, "stale", &vm), 0);
	for (int round = 0; round < 50; round++) {
		struct vtee_req o = { .op = VTEE_REQ_OPEN, .client = { .vm_id = 3, .login = TEE_LOGIN_PUBLIC } };
		memcpy(o.ta.b, test_ta, 16);
		run(vm, &o);
		CHECK_EQ(o.ret, TEE_SUCCESS);
		void *old = o.session;
		struct vtee_req c = { .op = VTEE_REQ_CLOSE, .session = old };
		run(vm, &c);
		o.client.login = TEE_LOGIN_REE_KERNEL;
		run(vm, &o);
		CHECK_EQ(o.ret, TEE_SUCCESS);
		struct vtee_req i = { .op = VTEE_REQ_INVOKE, .func = VTEE_TEST_CMD_WHOAMI, .session = old,
				      .num_params = 1 };
		i.params[0].type = VTEE_PARAM_VALUE_OUT;
		run(vm, &i);
		CHECK_EQ(i.ret, TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(i.ret_origin, TEE_ORIGIN_TEE);
		c.session = o.session;
		run(vm, &c);
	}
	vtee_soft_backend.vm_destroyed(vm);
	vtee_soft_backend.close(tee);
}

int main(void)
{
	test_destroy_cancels_all_first();
	test_stale_session_handle();
	return check_report();
}
