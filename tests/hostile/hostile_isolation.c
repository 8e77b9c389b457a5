// SPDX-License-Identifier: MIT
/*
 * Hostile: one VM reaching for another's things. VM A (a well-behaved guest
 * model) opens sessions, registers buffers and leaves a call suspended; VM B
 * uses the very same session ids, cookies and thread ids in every command:
 * all must fail the way unknown ones do, and A's must keep working.
 */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define VM_A 10u
#define VM_B 11u
#define FOREIGN (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static struct guest *a, *b;

static uint32_t whoami(struct guest *g, uint64_t page, uint32_t sess, uint32_t *vm)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_WHOAMI;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	*vm = (uint32_t)m->params[0].u.value.a;
	return m->ret;
}

static uint32_t rmem_hash(struct guest *g, uint64_t page, uint32_t sess, uint64_t cookie, uint64_t size,
			  uint32_t *h)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, size, cookie);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0x11, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	*h = (uint32_t)m->params[1].u.value.a;
	return m->ret;
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 500);
	a = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_A, .ram0 = 4u << 20, .probe = true, .slice_us = 1000 });
	b = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_B, .ram0 = 4u << 20, .slice_us = 1000 });

	/* identities are unique per TEE and never 0 */
	struct vtee_vm *dup = NULL;
	CHECK(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = VM_A, .name = "dup" }, &dup) < 0);
	CHECK(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 0, .name = "zero" }, &dup) < 0);
	CHECK(dup == NULL);

	/* A: two sessions, a registered buffer (through the guest model), a STOREd secret */
	uint32_t s1 = 0, s2 = 0;
	CHECK_EQ(guest_open_session(a, h_test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s1, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(a, h_test_ta_uuid, TEE_LOGIN_USER, NULL, NULL, 0, 0, &s2, NULL), TEE_SUCCESS);
	struct guest_shm *shm = NULL;
	CHECK_EQ(guest_shm_alloc(a, 5000, GUEST_BUF_SCATTER, &shm), TEE_SUCCESS);
	if (!shm)
		return h_finish();
	uint8_t secret[64];
	for (int i = 0; i < 64; i++)
		secret[i] = (uint8_t)(0xC0 + i);
	guest_buf_write(a, shm->buf, shm->offs, secret, sizeof(secret));
	struct guest_param p[4] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, 64) };
	CHECK_EQ(guest_invoke(a, s1, VTEE_TEST_CMD_STORE, p, 1, 0, NULL), TEE_SUCCESS);
	uint64_t apage = h_pages(a, 1);
	uint32_t at = UINT32_MAX;
	{
		/* and a call left suspended, with cancel id 5 */
		struct optee_msg_arg *m = h_msg(a, apage, OPTEE_MSG_CMD_INVOKE_COMMAND, s1, 1);
		m->func = VTEE_TEST_CMD_SLEEP;
		m->cancel_id = 5;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 50, 0, 0);
		uint64_t r[8];
		CHECK_EQ(h_smc_suspend(a, OPTEE_SMC_CALL_WITH_ARG, apage >> 32, apage & 0xFFFFFFFFu, 0, r), FOREIGN);
		at = (uint32_t)r[3];
	}
	struct vtee_vm_stats a_before = h_stats(a), b_before = h_stats(b);
	CHECK_EQ(b_before.sessions, 0);
	h_note("A: sessions %u and %u, cookie 0x%llx, suspended thread %u", s1, s2, (unsigned long long)shm->cookie,
	       at);

	/* B uses A's numbers */
	uint64_t bp = h_pages(b, 1);
	const uint32_t ids[] = { s1, s2, 0, 1, 2, 3, 0xFFFFFFFFu };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint32_t v = 0;
		struct optee_msg_arg *m;
		CHECK_EQ(h_inc(b, bp, ids[i], 1, &v), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(v, 1);
		m = h_msg(b, bp, OPTEE_MSG_CMD_INVOKE_COMMAND, ids[i], 1);
		m->func = VTEE_TEST_CMD_LOAD;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, bp + 2048, 256, 0);
		CHECK_EQ(h_call_arg(b, bp), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
		CHECK_EQ(h_close(b, bp, ids[i]), TEE_ERROR_ITEM_NOT_FOUND);
		/* CANCEL of A's call by B: accepted (it is a hint) but must not reach A */
		m = h_msg(b, bp, OPTEE_MSG_CMD_CANCEL, ids[i], 0);
		m->cancel_id = 5;
		CHECK_EQ(h_call_arg(b, bp), OPTEE_SMC_RETURN_OK);
	}
	/* A's cookie in B: unregister, RMEM, arg buffer */
	CHECK_EQ(h_unregister(b, bp, shm->cookie), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(h_call_regd(b, shm->cookie, 0), OPTEE_SMC_RETURN_EBADADDR);
	/* A's suspended thread from B */
	uint64_t r[8];
	const uint64_t threads[] = { at, 0, 1, 15 };
	for (int i = 0; i < 4; i++)
		CHECK_EQ(h_smc(b, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, threads[i], r), OPTEE_SMC_RETURN_ERESUME);

	/* B's own session gets ids from its own space: maybe the same numbers as A's */
	uint32_t bs = 0, vm = 0;
	CHECK_EQ(h_open(b, bp, TEE_LOGIN_PUBLIC, &bs), TEE_SUCCESS);
	h_note("B: session %u", bs);
	CHECK_EQ(whoami(b, bp, bs, &vm), TEE_SUCCESS);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "isolation: WHOAMI in B reports B's VM id"))
		CHECK_EQ(vm, VM_B);
	uint32_t h = 0;
	CHECK_EQ(rmem_hash(b, bp, bs, shm->cookie, 64, &h), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h, 0x11);
	/* A's secret is not in B's instance of the TA */
	struct optee_msg_arg *m = h_msg(b, bp, OPTEE_MSG_CMD_INVOKE_COMMAND, bs, 1);
	m->func = VTEE_TEST_CMD_LOAD;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, bp + 2048, 256, 0);
	CHECK_EQ(h_call_arg(b, bp), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY,
			     "isolation: LOAD in B does not find A's secret (B's own TA instance)"))
		CHECK_EQ(m->params[0].u.tmem.size, 0);
	/* B's SESSIONS count is its own */
	m = h_msg(b, bp, OPTEE_MSG_CMD_INVOKE_COMMAND, bs, 1);
	m->func = VTEE_TEST_CMD_SESSIONS;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(b, bp), OPTEE_SMC_RETURN_OK);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "isolation: SESSIONS in B counts only B's session"))
		CHECK_EQ(m->params[0].u.value.a, 1);
	/* B registers the same cookie value over its own memory */
	uint64_t bl = h_pages(b, 1), bd = h_pages(b, 2);
	uint64_t bpg[2] = { bd, bd + GUEST_PAGE_SIZE };
	h_list(b, bl, bpg, 2, 0);
	memset(h_ptr(b, bd, 64), 0x42, 64);
	CHECK_EQ(h_register(b, bp, bl, 5000, shm->cookie), TEE_SUCCESS);
	CHECK_EQ(rmem_hash(b, bp, bs, shm->cookie, 64, &h), TEE_SUCCESS);
	uint8_t b42[64];
	memset(b42, 0x42, sizeof(b42));
	CHECK_EQ(h, h_fnv(b42, 64));
	/* session ids B might guess while it has one of its own */
	for (uint32_t id = 0; id < 8; id++)
		if (id != bs)
			CHECK_EQ(h_inc(b, bp, id, 1, NULL), TEE_ERROR_BAD_PARAMETERS);

	/* A is unaffected: the suspended call finishes normally (not cancelled by B) */
	uint32_t a0 = h_yield(a, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, at, r);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	CHECK_EQ(((struct optee_msg_arg *)h_ptr(a, apage, 64))->ret, TEE_SUCCESS);
	CHECK_EQ(whoami(a, apage, s1, &vm), TEE_SUCCESS);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "isolation: WHOAMI in A reports A's VM id"))
		CHECK_EQ(vm, VM_A);
	CHECK_EQ(rmem_hash(a, apage, s2, shm->cookie, 64, &h), TEE_SUCCESS);
	CHECK_EQ(h, h_fnv(secret, 64));
	p[0] = guest_param_value(VTEE_PARAM_VALUE_INOUT, 99, 0, 0);
	CHECK_EQ(guest_invoke(a, s2, VTEE_TEST_CMD_INC, p, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(p[0].u.value.a, 100);
	struct vtee_vm_stats a_after = h_stats(a);
	CHECK_EQ(a_after.sessions, a_before.sessions);
	CHECK_EQ(a_after.shm_buffers, a_before.shm_buffers);
	CHECK_EQ(a_after.shm_pages, a_before.shm_pages);
	CHECK_EQ(a_after.calls, 0);

	/* B unregisters its buffer: A's of the same cookie is still there */
	CHECK_EQ(h_unregister(b, bp, shm->cookie), TEE_SUCCESS);
	CHECK_EQ(h_unregister(b, bp, shm->cookie), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(rmem_hash(a, apage, s2, shm->cookie, 64, &h), TEE_SUCCESS);
	CHECK_EQ(h_close(b, bp, bs), TEE_SUCCESS);
	CHECK_NO_LEAK(&b_before, b);
	/* B closing "its" session did not close A's with the same number */
	CHECK_EQ(whoami(a, apage, s1, &vm), TEE_SUCCESS);
	CHECK_EQ(whoami(a, apage, s2, &vm), TEE_SUCCESS);

	/* B is destroyed while A goes on */
	guest_destroy(b);
	CHECK_EQ(rmem_hash(a, apage, s1, shm->cookie, 64, &h), TEE_SUCCESS);
	CHECK_EQ(guest_shm_unregister(a, shm), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(a, s1), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(a, s2), TEE_SUCCESS);
	h_pages_free(a, apage, 1);
	guest_shutdown(a);
	struct vtee_vm_stats st = h_stats(a);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	CHECK_EQ(st.calls, 0);
	guest_destroy(a);

	/* a VM id used again after its VM was destroyed starts from nothing */
	for (int round = 0; round < 2; round++) {
		struct guest *v = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_B, .ram0 = 1u << 20 });
		uint64_t vp = h_pages(v, 1);
		uint32_t vs = 0;
		CHECK_EQ(h_open(v, vp, TEE_LOGIN_PUBLIC, &vs), TEE_SUCCESS);
		m = h_msg(v, vp, OPTEE_MSG_CMD_INVOKE_COMMAND, vs, 1);
		m->func = VTEE_TEST_CMD_LOAD;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, vp + 2048, 256, 0);
		CHECK_EQ(h_call_arg(v, vp), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_SUCCESS);
		if (test_backend_has(TEST_CAP_PER_VM_IDENTITY,
				     "isolation: round %d: LOAD finds nothing STOREd by the previous VM of this id", round))
			CHECK_EQ(m->params[0].u.tmem.size, 0); /* nothing STOREd by the previous VM of this id */
		m = h_msg(v, vp, OPTEE_MSG_CMD_INVOKE_COMMAND, vs, 1);
		m->func = VTEE_TEST_CMD_SESSIONS;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
		CHECK_EQ(h_call_arg(v, vp), OPTEE_SMC_RETURN_OK);
		if (test_backend_has(TEST_CAP_PER_VM_IDENTITY,
				     "isolation: round %d: SESSIONS counts only the new VM's session", round))
			CHECK_EQ(m->params[0].u.value.a, 1);
		/* leave a secret, a second session and a registered buffer behind */
		memset(h_ptr(v, vp + 2048, 64), 0x99, 64);
		m = h_msg(v, vp, OPTEE_MSG_CMD_INVOKE_COMMAND, vs, 1);
		m->func = VTEE_TEST_CMD_STORE;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, vp + 2048, 64, 0);
		CHECK_EQ(h_call_arg(v, vp), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_SUCCESS);
		CHECK_EQ(h_open(v, vp, TEE_LOGIN_PUBLIC, NULL), TEE_SUCCESS);
		uint64_t vl = h_pages(v, 1);
		h_list(v, vl, &vp, 1, 0);
		CHECK_EQ(h_register(v, vp, vl, 100, 1), TEE_SUCCESS);
		guest_destroy(v);
	}
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
