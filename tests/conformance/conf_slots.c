// SPDX-License-Identifier: MIT
/*
 * Conformance: a call's slot ("TEE thread") is free before the guest can see
 * that its call finished, whenever the back-end completes it. The back-end
 * chosen by $VTEE_TEST_BACKEND runs behind the completion delayer
 * (conf_delay.h), which completes each request at a chosen time after its
 * submission: inside submit(), during the core's spin, during its sleep,
 * around the end of the time slice, while the guest is away (FOREIGN_INTR).
 *
 * A guest never gets ETHREAD_LIMIT while fewer of its calls than the thread
 * count it was told are in flight (Linux would wait forever for one to end),
 * and a call that yielded holds its slot until the guest resumed it to the
 * end: a guest that stops resuming it keeps the slot busy, as with OP-TEE.
 */
#include <pthread.h>

#include "conf.h"

#define SLICE_US 1000u

static struct vtee_tee *delayed_tee(void)
{
	struct vtee_tee *tee = NULL;
	const char *opt = getenv("VTEE_TEST_BACKEND_OPTIONS");
	REQUIRE_EQ(conf_delay_open(test_backend_name(), opt && *opt ? opt : NULL, &tee), 0);
	return tee;
}

/* ---- one guest thread, max_calls 1: completions swept across the slice ---- */

static void test_sweep(struct vtee_tee *tee, bool no_rpc_arg)
{
	/* µs after submission: in submit(), spin, sleep, around the slice's end, guest away */
	static const uint32_t delays[] = { 0, 5, 30, 200, 700, 950, 990, 1000, 1010, 1050, 1500, 3000, 8000 };
	struct vtee_vm_config vc = { .vm_id = 300 + no_rpc_arg, .name = "sweep", .no_rpc_arg = no_rpc_arg,
				     .slice_us = SLICE_US, .quota = { .max_calls = 1 } };
	conf_delay_set(0, 0);
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	unsigned bad_calls = 0, busy_after = 0;
	for (size_t d = 0; d < sizeof(delays) / sizeof(delays[0]); d++) {
		conf_delay_set(delays[d], delays[d]);
		for (int i = 0; i < 20; i++) {
			/* a plain call, and one that asks the guest for its clock (an RPC) on the way */
			uint32_t cmd = i % 4 == 3 ? VTEE_TEST_CMD_REE_TIME : VTEE_TEST_CMD_NULL;
			struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
			bad_calls += guest_invoke(g, sess, cmd, p, cmd == VTEE_TEST_CMD_NULL ? 0 : 1, 0, NULL) !=
				     TEE_SUCCESS;
			/* the guest saw the call end: its slot is free already */
			struct vtee_vm_stats st;
			vtee_vm_get_stats(guest_vm(g), &st);
			busy_after += st.calls != 0;
		}
		/* and sessions come and go the same way */
		uint32_t s2 = 0;
		bad_calls += guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, NULL) !=
			     TEE_SUCCESS;
		bad_calls += guest_close_session(g, s2) != TEE_SUCCESS;
	}
	conf_delay_set(0, 0);
	CHECK_EQ(bad_calls, 0);
	CHECK_EQ(busy_after, 0);
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	CHECK_EQ(gs.ethread_limit, 0);
	CHECK_EQ(gs.ethread_limit_alone, 0);
	if (test_backend_has(TEST_CAP_FAST, "slots: completions 8 ms late come back to the guest after the slice"))
		CHECK_CMP(gs.foreign_intr, >, 0);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);
}

/* ---- the raw SMCs: a call that yielded holds its slot until resumed to the end ---- */

static uint64_t arg_page(struct guest *g, uint32_t cmd, uint32_t func, uint32_t session, struct optee_msg_arg **a)
{
	uint64_t pa = 0;
	REQUIRE_EQ(guest_pages_alloc(g, 1, &pa), 0);
	*a = guest_gpa_ptr(g, pa, GUEST_PAGE_SIZE);
	(*a)->cmd = cmd;
	(*a)->func = func;
	(*a)->session = session;
	return pa;
}

static void call_with_arg(struct guest *g, uint64_t r[8], uint64_t pa)
{
	memset(r, 0, 8 * sizeof(uint64_t));
	r[0] = OPTEE_SMC_CALL_WITH_ARG;
	r[1] = pa >> 32;
	r[2] = pa & 0xFFFFFFFFu;
	guest_smc(g, r);
}

static void test_raw(struct vtee_tee *tee)
{
	struct vtee_vm_config vc = { .vm_id = 310, .name = "raw-slot", .slice_us = SLICE_US,
				     .quota = { .max_calls = 1 } };
	conf_delay_set(0, 0);
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	struct optee_msg_arg *a, *b;
	uint64_t pa = arg_page(g, OPTEE_MSG_CMD_INVOKE_COMMAND, VTEE_TEST_CMD_NULL, sess, &a);
	uint64_t pb = arg_page(g, OPTEE_MSG_CMD_INVOKE_COMMAND, VTEE_TEST_CMD_NULL, sess, &b);
	uint64_t r[8];
	struct vtee_vm_stats st;

	for (int round = 0; round < 10; round++) {
		/* held back until released: the guest comes back at least once, on any host */
		conf_delay_gate(true);
		a->ret = 0x5555;
		call_with_arg(g, r, pa);
		CHECK_EQ(r[0], OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR);
		uint64_t resume[3] = { r[1], r[2], r[3] };
		/* not finished for the guest: the one slot is taken, another call waits its turn */
		vtee_vm_get_stats(guest_vm(g), &st);
		CHECK_EQ(st.calls, 1);
		call_with_arg(g, r, pb);
		CHECK_EQ(r[0], OPTEE_SMC_RETURN_ETHREAD_LIMIT);
		/* completed now, or while the guest comes back: either way before the answer */
		conf_delay_set(0, (uint32_t)round * SLICE_US / 3);
		conf_delay_gate(false);
		unsigned trips = 0;
		do {
			memset(r, 0, sizeof(r));
			r[0] = OPTEE_SMC_RETURN_FROM_RPC;
			r[1] = resume[0];
			r[2] = resume[1];
			r[3] = resume[2];
			guest_smc(g, r);
		} while (r[0] == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR) && ++trips < 100000);
		CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
		CHECK_EQ(a->ret, TEE_SUCCESS);
		/* the guest has its answer: the slot is free, the next call is taken at once */
		vtee_vm_get_stats(guest_vm(g), &st);
		CHECK_EQ(st.calls, 0);
		conf_delay_set(0, 0);
		call_with_arg(g, r, pb);
		CHECK(r[0] != OPTEE_SMC_RETURN_ETHREAD_LIMIT);
		while (r[0] == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)) {
			r[0] = OPTEE_SMC_RETURN_FROM_RPC;
			guest_smc(g, r);
		}
		CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
		CHECK_EQ(b->ret, TEE_SUCCESS);
	}
	guest_pages_free(g, pa, 1);
	guest_pages_free(g, pb, 1);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.calls, 0);
	guest_shutdown(g);
	guest_destroy(g);
}

/* ---- more guest threads than slots, the guest throttled to the thread count ---- */

struct hammer {
	struct guest *g;
	uint32_t sess;
	unsigned fails;
	pthread_t th;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	for (int i = 0; i < 150; i++)
		h->fails += guest_invoke(h->g, h->sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS;
	return NULL;
}

static void test_threads(struct vtee_tee *tee, bool no_rpc_arg)
{
	enum { THREADS = 5 };
	struct vtee_vm_config vc = { .vm_id = 320 + no_rpc_arg, .name = "slots", .no_rpc_arg = no_rpc_arg,
				     .slice_us = SLICE_US, .quota = { .max_calls = 2 } };
	conf_delay_set(0, 0);
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	conf_delay_set(0, 2500);
	struct hammer h[THREADS];
	for (int i = 0; i < THREADS; i++) {
		h[i] = (struct hammer){ .g = g, .sess = sess };
		REQUIRE_EQ(pthread_create(&h[i].th, NULL, hammer_main, &h[i]), 0);
	}
	unsigned fails = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(h[i].th, NULL);
		fails += h[i].fails;
	}
	conf_delay_set(0, 0);
	CHECK_EQ(fails, 0);
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	/* the guest keeps at most 2 calls in flight: the TEE never says all its threads are busy */
	CHECK_CMP(gs.max_inflight, <=, 2);
	CHECK_EQ(gs.ethread_limit, 0);
	CHECK_EQ(gs.ethread_limit_alone, 0);
	printf("slots (%s): %llu FOREIGN_INTR, %llu completions held back\n", no_rpc_arg ? "CALL_WITH_ARG" : "REGD_ARG",
	       (unsigned long long)gs.foreign_intr, (unsigned long long)conf_delay_held());
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.calls, 0);
	guest_destroy(g);
}

int main(void)
{
	struct vtee_tee *tee = delayed_tee();
	test_sweep(tee, false);
	test_sweep(tee, true);
	test_raw(tee);
	test_threads(tee, false);
	test_threads(tee, true);
	vtee_tee_close(tee);
	return check_report();
}
