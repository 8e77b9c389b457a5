// SPDX-License-Identifier: MIT
/*
 * Hostile: calls in flight. Rewriting the whole message while a call is
 * suspended, RETURN_FROM_RPC with bogus and stolen thread ids, one thread
 * resumed from two vCPUs at once, all call slots busy (ETHREAD_LIMIT) and
 * recovery, CLOSE and CANCEL against running calls, destroy with calls
 * suspended.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define RAM0_SIZE (2u << 20)
#define VM_ID     4u
#define MAX_CALLS 4u
#define FOREIGN   (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static struct guest *g;
static uint32_t sess;
static uint64_t page;

static void put_sleep(struct optee_msg_arg *m, uint32_t s, uint32_t ms, uint32_t cancel_id)
{
	memset(m, 0, sizeof(*m) + sizeof(m->params[0]));
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->func = VTEE_TEST_CMD_SLEEP;
	m->session = s;
	m->cancel_id = cancel_id;
	m->num_params = 1;
	m->ret = H_SENTINEL;
	m->ret_origin = H_SENTINEL;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, ms, 0, 0);
}

/* Start a SLEEP by CALL_WITH_ARG at gpa; returns the thread it was suspended on (UINT32_MAX if not). */
static uint32_t start_sleep(struct guest *gg, uint64_t gpa, uint32_t s, uint32_t ms, uint32_t cancel_id)
{
	put_sleep(h_ptr(gg, gpa, GUEST_PAGE_SIZE), s, ms, cancel_id);
	uint64_t r[8];
	uint32_t a0 = h_smc_suspend(gg, OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, r);
	CHECK_EQ(a0, FOREIGN);
	return a0 == FOREIGN ? (uint32_t)r[3] : UINT32_MAX;
}

static uint32_t finish(struct guest *gg, uint32_t thread)
{
	return h_yield(gg, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, thread, NULL);
}

static void rewrite(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint8_t snap[GUEST_PAGE_SIZE];
	uint64_t p = h_pages(g, 1), list = h_pages(g, 1), d = h_pages(g, 1);
	uint8_t *pp = h_ptr(g, p, GUEST_PAGE_SIZE);
	const uint32_t ok_pair[2] = { TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP };
	h_list(g, list, &d, 1, 0);

	for (int variant = 0; variant < 4; variant++) {
		uint32_t t = start_sleep(g, p, sess, 30, 0);
		/* scribble over everything, then plant a different, valid-looking message */
		memset(pp, 0xA5, GUEST_PAGE_SIZE);
		struct optee_msg_arg *m = (struct optee_msg_arg *)pp;
		switch (variant) {
		case 0: /* CLOSE our session */
			m->cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
			m->session = sess;
			m->num_params = 0;
			break;
		case 1: /* REGISTER a buffer */
			m->cmd = OPTEE_MSG_CMD_REGISTER_SHM;
			m->num_params = 1;
			h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, list, 4096, 0x5C);
			break;
		case 2: /* OPEN a session */
			m->cmd = OPTEE_MSG_CMD_OPEN_SESSION;
			m->num_params = 2;
			h_param(m, 0, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
			memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
			h_param(m, 1, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
			break;
		case 3: /* an INC with an output value, 0xFFFFFFFF params */
			m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
			m->func = VTEE_TEST_CMD_INC;
			m->session = sess;
			m->num_params = 0xFFFFFFFFu;
			h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 1, 2, 3);
			break;
		}
		memcpy(snap, pp, sizeof(snap));
		uint32_t a0 = finish(g, t);
		CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
		/* the original SLEEP's result, and nothing but ret/ret_origin written */
		memcpy(snap + OPTEE_MSG_OFF_RET, ok_pair, sizeof(ok_pair));
		CHECK_EQ(memcmp(pp, snap, GUEST_PAGE_SIZE), 0);
		if (memcmp(pp, snap, GUEST_PAGE_SIZE))
			h_note("variant %d: ret 0x%x origin 0x%x", variant, m->ret, m->ret_origin);
		/* nothing else was done */
		CHECK_NO_LEAK(&before, g);
		uint32_t v = 0;
		CHECK_EQ(h_inc(g, page, sess, 500, &v), TEE_SUCCESS);
		CHECK_EQ(v, 501);
	}
	CHECK_EQ(h_unregister(g, page, 0x5C), TEE_ERROR_ITEM_NOT_FOUND);

	/* the same through CALL_WITH_REGD_ARG: scribble the registered buffer */
	const uint64_t c = 0x4E6D;
	CHECK_EQ(h_register(g, page, list, GUEST_PAGE_SIZE, c), TEE_SUCCESS);
	uint8_t *dp = h_ptr(g, d, GUEST_PAGE_SIZE);
	memset(dp, 0, GUEST_PAGE_SIZE);
	put_sleep((struct optee_msg_arg *)(dp + 64), sess, 30, 0);
	uint64_t r[8];
	uint32_t a0 = h_smc_suspend(g, OPTEE_SMC_CALL_WITH_REGD_ARG, c >> 32, c & 0xFFFFFFFFu, 64, r);
	CHECK_EQ(a0, FOREIGN);
	memset(dp, 0x3C, GUEST_PAGE_SIZE);
	((struct optee_msg_arg *)(dp + 64))->cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
	memcpy(snap, dp, GUEST_PAGE_SIZE);
	if (a0 == FOREIGN)
		a0 = finish(g, (uint32_t)r[3]);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	memcpy(snap + 64 + OPTEE_MSG_OFF_RET, ok_pair, sizeof(ok_pair));
	CHECK_EQ(memcmp(dp, snap, GUEST_PAGE_SIZE), 0);
	CHECK_EQ(h_unregister(g, page, c), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, p, 1);
	h_pages_free(g, list, 1);
	h_pages_free(g, d, 1);
}

static void bogus_resume(void)
{
	struct vtee_vm_stats before = h_stats(g);
	const uint64_t bogus[] = { 0, 1, 2, 3, MAX_CALLS, MAX_CALLS + 1, 1024, 0x80000000u, 0xFFFFFFFFu,
				   0xFFFFFFFFFFFFFFFFull };
	uint64_t r[8];
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		CHECK_EQ(h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 1, 2, bogus[i], r), OPTEE_SMC_RETURN_ERESUME);
		CHECK_EQ(r[1] | r[2] | r[3], 0);
	}
	uint64_t p = h_pages(g, 1);
	uint32_t t = start_sleep(g, p, sess, 40, 0);
	CHECK(t < MAX_CALLS);
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		if ((uint32_t)bogus[i] == t)
			continue;
		CHECK_EQ(h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, bogus[i], r), OPTEE_SMC_RETURN_ERESUME);
	}
	/* the upper half of a3 is not part of the thread id (SMC32) */
	uint32_t a0 = h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, 0xFFFFFFFF00000000ull | t, r);
	CHECK(a0 == FOREIGN || a0 == OPTEE_SMC_RETURN_OK);
	if (a0 == FOREIGN)
		a0 = finish(g, (uint32_t)r[3]);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	CHECK_EQ(((struct optee_msg_arg *)h_ptr(g, p, 64))->ret, TEE_SUCCESS);
	/* done: the thread is not suspended any more */
	CHECK_EQ(h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, t, r), OPTEE_SMC_RETURN_ERESUME);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, p, 1);
}

struct racer {
	uint32_t thread;
	atomic_int *done;
	unsigned oks, eresume, intr, other;
};

static void *race(void *arg)
{
	struct racer *rc = arg;
	uint64_t start = h_now_us();
	while (!atomic_load(rc->done) && h_now_us() - start < 10000000u) {
		uint64_t r[8];
		uint32_t a0 = h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, rc->thread, r);
		if (a0 == OPTEE_SMC_RETURN_OK) {
			rc->oks++;
			atomic_store(rc->done, 1);
		} else if (a0 == OPTEE_SMC_RETURN_ERESUME) {
			rc->eresume++;
			sched_yield();
		} else if (a0 == FOREIGN && (uint32_t)r[3] == rc->thread) {
			rc->intr++;
		} else {
			rc->other++;
		}
	}
	return NULL;
}

static void double_resume(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t p = h_pages(g, 1);
	unsigned refused = 0;
	/* at least 3 rounds; more (up to 20) until the race was seen, so a loaded machine cannot hide it */
	for (int round = 0; round < 20 && (round < 3 || !refused); round++) {
		uint32_t t = start_sleep(g, p, sess, 60, 0);
		atomic_int done = 0;
		struct racer a = { .thread = t, .done = &done }, b = a;
		pthread_t ta, tb;
		pthread_create(&ta, NULL, race, &a);
		pthread_create(&tb, NULL, race, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		h_note("double resume round %d: oks %u+%u eresume %u+%u intr %u+%u", round, a.oks, b.oks, a.eresume,
		       b.eresume, a.intr, b.intr);
		CHECK_EQ(a.oks + b.oks, 1);          /* the call completes exactly once */
		CHECK_EQ(a.other + b.other, 0);
		refused += a.eresume + b.eresume;
		CHECK_EQ(((struct optee_msg_arg *)h_ptr(g, p, 64))->ret, TEE_SUCCESS);
		CHECK_NO_LEAK(&before, g);
	}
	CHECK(refused > 0); /* a vCPU resuming a thread another one runs was refused */
	h_pages_free(g, p, 1);
}

static void thread_limit(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t p[MAX_CALLS];
	uint32_t t[MAX_CALLS];
	unsigned seen = 0;
	for (unsigned i = 0; i < MAX_CALLS; i++) {
		p[i] = h_pages(g, 1);
		t[i] = start_sleep(g, p[i], sess, 80, 0);
		if (t[i] < MAX_CALLS)
			seen |= 1u << t[i];
	}
	CHECK_EQ(seen, (1u << MAX_CALLS) - 1); /* distinct thread ids 0..max_calls-1 */
	CHECK_EQ(h_stats(g).calls, before.calls + MAX_CALLS);

	/* every yielding call is now refused with ETHREAD_LIMIT, a1..a7 preserved */
	uint64_t q = h_pages(g, 1);
	uint32_t v = 0;
	struct optee_msg_arg *m = h_msg(g, q, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_INC;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 9, 0, 0);
	uint64_t regs[8] = { OPTEE_SMC_CALL_WITH_ARG, q >> 32, q & 0xFFFFFFFFu, 0x33, 0x44, 0x55, 0x66, 0x77 };
	uint64_t want[8];
	memcpy(want, regs, sizeof(want));
	guest_smc(g, regs);
	CHECK_EQ(regs[0], OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	for (int i = 1; i < 8; i++)
		CHECK_EQ(regs[i], want[i]);
	CHECK_EQ(m->ret, H_SENTINEL);
	CHECK_EQ(m->params[0].u.value.a, 9);
	/* CLOSE and OPEN are refused too (and the session is not closed) */
	m = h_msg(g, q, OPTEE_MSG_CMD_CLOSE_SESSION, sess, 0);
	CHECK_EQ(h_smc(g, OPTEE_SMC_CALL_WITH_ARG, q >> 32, q & 0xFFFFFFFFu, 0, NULL), OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	CHECK_EQ(h_smc(g, OPTEE_SMC_CALL_WITH_RPC_ARG, q >> 32, q & 0xFFFFFFFFu, 0, NULL),
		 OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	/* through a registered arg buffer: refused, and the buffer's reference is dropped */
	uint64_t list = h_pages(g, 1), d = h_pages(g, 1);
	h_list(g, list, &d, 1, 0);
	CHECK_EQ(h_register(g, q, list, GUEST_PAGE_SIZE, 0xE7), TEE_SUCCESS);
	m = h_ptr(g, d, GUEST_PAGE_SIZE);
	memset(m, 0, GUEST_PAGE_SIZE);
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->session = sess;
	CHECK_EQ(h_smc(g, OPTEE_SMC_CALL_WITH_REGD_ARG, 0, 0xE7, 0, NULL), OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	CHECK_EQ(h_unregister(g, q, 0xE7), TEE_SUCCESS);
	CHECK_EQ(h_stats(g).calls, before.calls + MAX_CALLS);
	CHECK_EQ(h_stats(g).sessions, before.sessions);

	/* recovery: finish them all, then calls work again */
	for (unsigned i = 0; i < MAX_CALLS; i++) {
		CHECK_EQ(finish(g, t[i]), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(((struct optee_msg_arg *)h_ptr(g, p[i], 64))->ret, TEE_SUCCESS);
		h_pages_free(g, p[i], 1);
	}
	CHECK_EQ(h_inc(g, q, sess, 9, &v), TEE_SUCCESS);
	CHECK_EQ(v, 10);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, q, 1);
	h_pages_free(g, list, 1);
	h_pages_free(g, d, 1);
}

static uint32_t ta_sessions(void)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_SESSIONS;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	return (uint32_t)m->params[0].u.value.a;
}

/* the TA's count of this VM's sessions; through teedev it counts every client's (the bystander's too) */
static void check_ta_sessions(uint32_t want, int line)
{
	uint32_t n = ta_sessions();
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "inflight:%d: SESSIONS == %u (this VM's sessions only)", line,
			     want))
		h_check_eq(__FILE__, line, "ta_sessions()", n, want);
}

static void close_and_cancel(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t p = h_pages(g, 1), q = h_pages(g, 1);
	check_ta_sessions(1, __LINE__);

	/* CLOSE a session while a call on it sleeps */
	uint32_t s2 = 0;
	CHECK_EQ(h_open(g, q, TEE_LOGIN_PUBLIC, &s2), TEE_SUCCESS);
	check_ta_sessions(2, __LINE__);
	uint32_t t = start_sleep(g, p, s2, 40, 0);
	CHECK_EQ(h_close(g, q, s2), TEE_SUCCESS);
	CHECK_EQ(h_stats(g).sessions, before.sessions);
	uint32_t v;
	CHECK_EQ(h_inc(g, q, s2, 1, &v), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_close(g, q, s2), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(finish(g, t), OPTEE_SMC_RETURN_OK);
	uint32_t ret = ((struct optee_msg_arg *)h_ptr(g, p, 64))->ret;
	CHECK(ret == TEE_SUCCESS || ret == TEE_ERROR_CANCEL);
	check_ta_sessions(1, __LINE__); /* the TA's close ran once the call was over */
	CHECK_NO_LEAK(&before, g);

	/* CANCEL: only the matching session + cancel id stops a call */
	uint64_t t0 = h_now_us();
	t = start_sleep(g, p, sess, 600000, 77);
	struct optee_msg_arg *m;
	const uint32_t wrong[][2] = { { sess, 78 }, { sess + 1000, 77 }, { 0, 0 } };
	for (int i = 0; i < 3; i++) {
		m = h_msg(g, q, OPTEE_MSG_CMD_CANCEL, wrong[i][0], 0);
		m->cancel_id = wrong[i][1];
		CHECK_EQ(h_call_arg(g, q), OPTEE_SMC_RETURN_OK);
		uint64_t r[8];
		CHECK_EQ(h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, t, r), FOREIGN);
	}
	m = h_msg(g, q, OPTEE_MSG_CMD_CANCEL, sess, 0);
	m->cancel_id = 77;
	CHECK_EQ(h_call_arg(g, q), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(finish(g, t), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(((struct optee_msg_arg *)h_ptr(g, p, 64))->ret, TEE_ERROR_CANCEL);
	CHECK(h_now_us() - t0 < 5000000u);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, p, 1);
	h_pages_free(g, q, 1);
}

static void destroy_with_calls(struct vtee_tee *tee)
{
	struct guest *v = h_guest(tee, &(struct h_vm_opts){ .vm_id = 40, .ram0 = 1u << 20, .slice_us = 200 });
	uint64_t p = h_pages(v, 4);
	uint32_t s = 0;
	CHECK_EQ(h_open(v, p, TEE_LOGIN_PUBLIC, &s), TEE_SUCCESS);
	for (int i = 1; i < 4; i++)
		start_sleep(v, p + (uint64_t)i * GUEST_PAGE_SIZE, s, 600000, 0);
	CHECK_EQ(h_stats(v).calls, 3);
	uint64_t t0 = h_now_us();
	guest_destroy(v); /* with 3 calls sleeping for 10 minutes and a session open */
	CHECK(h_now_us() - t0 < 3000000u);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 400);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_ID, .ram0 = RAM0_SIZE, .slice_us = 1000,
					      .quota = { .max_calls = MAX_CALLS } });
	struct vtee_vm_stats empty = h_stats(g);
	page = h_pages(g, 1);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);

	rewrite();
	bogus_resume();
	double_resume();
	thread_limit();
	close_and_cancel();
	destroy_with_calls(tee);

	CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
