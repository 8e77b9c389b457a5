// SPDX-License-Identifier: MIT
/*
 * Hostile: answering the TEE's RPCs badly. The test TA's REE_TIME asks the
 * guest for the time (RPC_ALLOC, RPC_CMD GET_TIME, RPC_FREE; or one RPC_CMD
 * into the appended RPC arg). The guest lends pages outside RAM, unaligned or
 * the arg page itself, answers with malformed messages, the wrong thread, or
 * never: only its own call may fail, with the error the TEE reports.
 */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define VM_ID     7u
#define RAM0_SIZE (2u << 20)
#define RAM0_END  (GUEST_RAM0_GPA + RAM0_SIZE)
#define RPC(f)    (OPTEE_SMC_RPC_PREFIX | (f))
#define FOREIGN   RPC(OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)
#define ALLOC     RPC(OPTEE_SMC_RPC_FUNC_ALLOC)
#define FREE      RPC(OPTEE_SMC_RPC_FUNC_FREE)
#define CMD       RPC(OPTEE_SMC_RPC_FUNC_CMD)
#define GET_TIME  3u

static struct guest *g;
static uint32_t sess;

/* Issue regs; while the answer is FOREIGN_INTR, resume. Returns a0, regs = the answer. */
static uint32_t step(struct guest *gg, uint64_t r[8])
{
	guest_smc(gg, r);
	for (int i = 0; i < 100000 && (uint32_t)r[0] == FOREIGN; i++) {
		uint64_t t = r[3];
		memset(r, 0, 8 * sizeof(r[0]));
		r[0] = OPTEE_SMC_RETURN_FROM_RPC;
		r[3] = t;
		guest_smc(gg, r);
	}
	return (uint32_t)r[0];
}

static uint32_t rfr(struct guest *gg, uint64_t r[8], uint64_t thread, uint64_t a1, uint64_t a2, uint64_t a4,
		    uint64_t a5)
{
	uint64_t in[8] = { OPTEE_SMC_RETURN_FROM_RPC, a1, a2, thread, a4, a5, 0, 0 };
	memcpy(r, in, sizeof(in));
	return step(gg, r);
}

/* An INVOKE REE_TIME at gpa, sent with fid; returns the first answer that is not FOREIGN_INTR. */
static uint32_t start_time(struct guest *gg, uint32_t s, uint64_t gpa, uint32_t fid, uint64_t r[8])
{
	struct optee_msg_arg *m = h_msg(gg, gpa, OPTEE_MSG_CMD_INVOKE_COMMAND, s, 1);
	m->func = VTEE_TEST_CMD_REE_TIME;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0xAA, 0xBB, 0xCC);
	uint64_t in[8] = { fid, gpa >> 32, gpa & 0xFFFFFFFFu, 0, 0, 0, 0, 0 };
	memcpy(r, in, sizeof(in));
	return step(gg, r);
}

/* The GET_TIME request vtee wrote at p, as OP-TEE lays it out. */
static void check_request(const void *p)
{
	struct optee_msg_arg *q = (struct optee_msg_arg *)p;
	CHECK_EQ(q->cmd, GET_TIME);
	CHECK_EQ(q->ret, TEE_ERROR_GENERIC);
	CHECK_EQ(q->num_params, 1);
	CHECK_EQ(q->params[0].attr, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT);
}

static void answer(void *p, uint32_t ret, uint32_t nparams, uint64_t attr, uint64_t a, uint64_t b)
{
	struct optee_msg_arg *q = p;
	q->ret = ret;
	q->num_params = nparams;
	q->params[0].attr = attr;
	q->params[0].u.value.a = a;
	q->params[0].u.value.b = b;
}

static void check_result(uint64_t gpa, uint32_t ret, uint32_t origin, uint64_t a, uint64_t b)
{
	struct optee_msg_arg *m = h_ptr(g, gpa, GUEST_PAGE_SIZE);
	CHECK_EQ(m->ret, ret);
	CHECK_EQ(m->ret_origin, origin);
	if (ret == TEE_SUCCESS) {
		CHECK_EQ(m->params[0].u.value.a, a);
		CHECK_EQ(m->params[0].u.value.b, b);
		CHECK_EQ(m->params[0].u.value.c, 0);
	}
}

static void alloc_path(uint64_t page, uint64_t lent)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t r[8];
	void *lp = h_ptr(g, lent, GUEST_PAGE_SIZE);

	/* the good path, with junk in the upper halves of a1/a2 */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
	CHECK_EQ(r[1], OPTEE_MSG_GET_ARG_SIZE(4));
	uint64_t t = r[3];
	const uint64_t ck = 0x123456789ABCull;
	CHECK_EQ(rfr(g, r, t, 0xFFFF000000000000ull | (lent >> 32), 0xFFFF000000000000ull | (lent & 0xFFFFFFFFu),
		     ck >> 32, ck & 0xFFFFFFFFu),
		 CMD);
	CHECK_EQ(r[1], ck >> 32);
	CHECK_EQ(r[2], ck & 0xFFFFFFFFu);
	CHECK_EQ(r[3], t);
	check_request(lp);
	answer(lp, TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 1700000000, 999);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), FREE);
	CHECK_EQ(r[1], ck >> 32);
	CHECK_EQ(r[2], ck & 0xFFFFFFFFu);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP, 1700000000, 999);
	CHECK_NO_LEAK(&before, g);

	/* lent pages vtee must refuse: it frees the cookie and the call fails with OUT_OF_MEMORY */
	const uint64_t bad[] = { 0x1000, RAM0_END, RAM0_END - 0x800, lent + 8, lent | 0xFFF, 0xFFFFFFFFFFFFF000ull,
				 0x80000000ull, GUEST_RAM0_GPA + (1ull << 32) };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
		t = r[3];
		memset(lp, 0x6B, GUEST_PAGE_SIZE);
		CHECK_EQ(rfr(g, r, t, bad[i] >> 32, bad[i] & 0xFFFFFFFFu, 0, 0x77), FREE);
		CHECK_EQ(r[1], 0);
		CHECK_EQ(r[2], 0x77);
		CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
		check_result(page, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TRUSTED_APP, 0, 0);
		uint8_t *b = lp;
		CHECK(b[0] == 0x6B && b[GUEST_PAGE_SIZE - 1] == 0x6B); /* nothing written into guest RAM */
	}
	/* no buffer at all (0, cookie 0): no FREE */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
	CHECK_EQ(rfr(g, r, r[3], 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TRUSTED_APP, 0, 0);
	CHECK_NO_LEAK(&before, g);

	/* malformed answers to GET_TIME */
	struct {
		uint32_t ret, n;
		uint64_t attr;
		uint32_t want;
	} bads[] = {
		{ TEE_SUCCESS, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, TEE_ERROR_COMMUNICATION },
		{ TEE_SUCCESS, 2, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, TEE_ERROR_COMMUNICATION },
		{ TEE_SUCCESS, 0xFFFFFFFFu, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, TEE_ERROR_COMMUNICATION },
		{ TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, TEE_ERROR_COMMUNICATION },
		{ TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, TEE_ERROR_COMMUNICATION },
		{ TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT | OPTEE_MSG_ATTR_META, TEE_ERROR_COMMUNICATION },
		{ TEE_ERROR_ITEM_NOT_FOUND, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, TEE_ERROR_ITEM_NOT_FOUND },
	};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
		t = r[3];
		CHECK_EQ(rfr(g, r, t, lent >> 32, lent & 0xFFFFFFFFu, 0, 5), CMD);
		answer(lp, bads[i].ret, bads[i].n, bads[i].attr, 1, 2);
		CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), FREE);
		CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
		check_result(page, bads[i].want, TEE_ORIGIN_TRUSTED_APP, 0, 0);
	}
	/* left untouched: the preset GENERIC */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
	t = r[3];
	CHECK_EQ(rfr(g, r, t, lent >> 32, lent & 0xFFFFFFFFu, 0, 5), CMD);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), FREE);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_ERROR_GENERIC, TEE_ORIGIN_TRUSTED_APP, 0, 0);

	/* resuming an RPC with the wrong thread: refused; the right one still works */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
	t = r[3];
	CHECK_EQ(rfr(g, r, t + 1, lent >> 32, lent & 0xFFFFFFFFu, 0, 5), OPTEE_SMC_RETURN_ERESUME);
	CHECK_EQ(rfr(g, r, 0xFFFFFFFFu, lent >> 32, lent & 0xFFFFFFFFu, 0, 5), OPTEE_SMC_RETURN_ERESUME);
	CHECK_EQ(rfr(g, r, t, lent >> 32, lent & 0xFFFFFFFFu, 0, 5), CMD);
	CHECK_EQ(rfr(g, r, t + 1, 0, 0, 0, 0), OPTEE_SMC_RETURN_ERESUME);
	answer(lp, TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 7, 8);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), FREE);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP, 7, 8);

	/* the arg page itself lent as the RPC buffer: the request overwrites the message */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
	t = r[3];
	CHECK_EQ(rfr(g, r, t, page >> 32, page & 0xFFFFFFFFu, 0, 6), CMD);
	check_request(h_ptr(g, page, GUEST_PAGE_SIZE));
	answer(h_ptr(g, page, GUEST_PAGE_SIZE), TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 11, 12);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), FREE);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP, 11, 12);
	CHECK_NO_LEAK(&before, g);
}

static void rpc_arg_path(uint64_t page)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t r[8];
	uint8_t *pp = h_ptr(g, page, GUEST_PAGE_SIZE);
	uint8_t *rpc = pp + OPTEE_MSG_GET_ARG_SIZE(1);

	/* CALL_WITH_RPC_ARG: one RPC_CMD into the appended arg, no ALLOC/FREE */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_RPC_ARG, r), CMD);
	CHECK_EQ(r[1] | r[2], 0);
	uint64_t t = r[3];
	check_request(rpc);
	answer(rpc, TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 21, 22);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP, 21, 22);
	/* a malformed answer there */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_RPC_ARG, r), CMD);
	t = r[3];
	answer(rpc, TEE_SUCCESS, 127, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 1, 2);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_ERROR_COMMUNICATION, TEE_ORIGIN_TRUSTED_APP, 0, 0);
	/* the guest scribbles its own message meanwhile: results land where they belong */
	CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_RPC_ARG, r), CMD);
	t = r[3];
	memset(pp, 0xEE, OPTEE_MSG_GET_ARG_SIZE(1));
	answer(rpc, TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 31, 32);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	check_result(page, TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP, 31, 32);
	CHECK_EQ(((struct optee_msg_arg *)pp)->cmd, 0xEEEEEEEEu);

	/* CALL_WITH_REGD_ARG: the arg at offset 0x100 of a registered page, RPC arg right after */
	uint64_t list = h_pages(g, 1), d = h_pages(g, 1);
	h_list(g, list, &d, 1, 0);
	CHECK_EQ(h_register(g, page, list, GUEST_PAGE_SIZE, 0xA11), TEE_SUCCESS);
	uint8_t *dp = h_ptr(g, d, GUEST_PAGE_SIZE);
	memset(dp, 0, GUEST_PAGE_SIZE);
	struct optee_msg_arg *m = (struct optee_msg_arg *)(dp + 0x100);
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->func = VTEE_TEST_CMD_REE_TIME;
	m->session = sess;
	m->num_params = 1;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	uint64_t in[8] = { OPTEE_SMC_CALL_WITH_REGD_ARG, 0, 0xA11, 0x100, 0, 0, 0, 0 };
	memcpy(r, in, sizeof(in));
	CHECK_EQ(step(g, r), CMD);
	t = r[3];
	check_request(dp + 0x100 + OPTEE_MSG_GET_ARG_SIZE(1));
	/* the buffer is in use by the call */
	CHECK_EQ(h_unregister(g, page, 0xA11), TEE_ERROR_BUSY);
	answer(dp + 0x100 + OPTEE_MSG_GET_ARG_SIZE(1), TEE_SUCCESS, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 41, 42);
	CHECK_EQ(rfr(g, r, t, 0, 0, 0, 0), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[0].u.value.a, 41);
	CHECK_EQ(m->params[0].u.value.b, 42);
	CHECK_EQ(h_unregister(g, page, 0xA11), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, list, 1);
	h_pages_free(g, d, 1);
}

/* A guest that never answers: destroying its VM ends the calls, without hanging. */
static void never_answer(struct vtee_tee *tee)
{
	for (int phase = 0; phase < 3; phase++) {
		struct guest *v = h_guest(tee, &(struct h_vm_opts){ .vm_id = 70, .ram0 = 1u << 20 });
		uint64_t p = h_pages(v, 3);
		uint32_t s = 0;
		uint64_t r[8];
		CHECK_EQ(h_open(v, p, TEE_LOGIN_PUBLIC, &s), TEE_SUCCESS);
		if (phase == 2) {
			CHECK_EQ(start_time(v, s, p + GUEST_PAGE_SIZE, OPTEE_SMC_CALL_WITH_RPC_ARG, r), CMD);
		} else {
			CHECK_EQ(start_time(v, s, p + GUEST_PAGE_SIZE, OPTEE_SMC_CALL_WITH_ARG, r), ALLOC);
			if (phase == 1) {
				uint64_t lent = p + 2 * GUEST_PAGE_SIZE;
				CHECK_EQ(rfr(v, r, r[3], lent >> 32, lent & 0xFFFFFFFFu, 0, 9), CMD);
			}
		}
		CHECK_EQ(h_stats(v).calls, 1);
		uint64_t t0 = h_now_us();
		guest_destroy(v);
		CHECK(h_now_us() - t0 < 3000000u);
	}
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 700);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_ID, .ram0 = RAM0_SIZE, .slice_us = 1000 });
	struct vtee_vm_stats empty = h_stats(g);
	uint64_t page = h_pages(g, 1), lent = h_pages(g, 1);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);

	/* every check of these three is about RPCs the modelled driver answers (badly) */
	if (test_backend_has(TEST_CAP_RPC_TO_MODEL,
			     "rpc: REE_TIME's RPCs answered badly by the guest (ALLOC/CMD/FREE path)")) {
		alloc_path(page, lent);
	} else {
		/* the guest kernel answers them: the call just succeeds, no RPC reaches this guest */
		uint64_t r[8];
		CHECK_EQ(start_time(g, sess, page, OPTEE_SMC_CALL_WITH_ARG, r), OPTEE_SMC_RETURN_OK);
		struct optee_msg_arg *m = h_ptr(g, page, GUEST_PAGE_SIZE);
		CHECK_EQ(m->ret, TEE_SUCCESS);
		CHECK(m->params[0].u.value.a >= 1700000000u);
	}
	if (test_backend_has(TEST_CAP_RPC_TO_MODEL, "rpc: REE_TIME's RPC into the appended or registered RPC arg"))
		rpc_arg_path(page);
	if (test_backend_has(TEST_CAP_RPC_TO_MODEL, "rpc: a guest that never answers an RPC, then destroyed"))
		never_answer(tee);

	uint32_t v = 0;
	CHECK_EQ(h_inc(g, page, sess, 1, &v), TEE_SUCCESS);
	CHECK_EQ(v, 2);
	CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
