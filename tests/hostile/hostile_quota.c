// SPDX-License-Identifier: MIT
/*
 * Hostile: exhausting every per-VM quota (sessions, shm buffers, shm pages,
 * call slots), then giving back and checking the VM recovers, many times
 * over so a slow leak shows. Also the hard ceilings on configured quotas.
 */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define VM_ID        20u
#define MAX_CALLS    2u
#define MAX_SESSIONS 4u
#define MAX_SHM      3u
#define MAX_PAGES    32u
#define FOREIGN      (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static struct guest *g;
static uint64_t page;

static void sessions_quota(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint32_t s[MAX_SESSIONS], extra = 0x1234;
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &s[i]), TEE_SUCCESS);
	struct optee_msg_arg *m = (struct optee_msg_arg *)h_ptr(g, page, 64);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &extra), TEE_ERROR_OUT_OF_MEMORY);
		CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
		CHECK_EQ(extra, 0);
	}
	CHECK_EQ(h_stats(g).sessions, MAX_SESSIONS);
	CHECK_EQ(h_stats(g).quota_denials, before.quota_denials + 3);
	/* all still work */
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		uint32_t v = 0;
		CHECK_EQ(h_inc(g, page, s[i], i, &v), TEE_SUCCESS);
		CHECK_EQ(v, i + 1);
	}
	/* give one back: one more open fits, then refused again */
	CHECK_EQ(h_close(g, page, s[1]), TEE_SUCCESS);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &s[1]), TEE_SUCCESS);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &extra), TEE_ERROR_OUT_OF_MEMORY);
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		CHECK_EQ(h_close(g, page, s[i]), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
}

static void shm_quota(uint64_t list)
{
	struct vtee_vm_stats before = h_stats(g);
	for (unsigned i = 0; i < MAX_SHM; i++)
		CHECK_EQ(h_register(g, page, list, 100, 0x100 + i), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, list, 100, 0x200), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(((struct optee_msg_arg *)h_ptr(g, page, 64))->ret_origin, TEE_ORIGIN_TEE);
	CHECK_EQ(h_register(g, page, list, 100, 0x200), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_stats(g).shm_buffers, MAX_SHM);
	CHECK_EQ(h_stats(g).shm_pages, MAX_SHM); /* the refused ones gave their pages back */
	CHECK_EQ(h_unregister(g, page, 0x200), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(h_unregister(g, page, 0x101), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, list, 100, 0x200), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, list, 100, 0x201), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_unregister(g, page, 0x100), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, 0x102), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, 0x200), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
}

static void pages_quota(uint64_t list, uint64_t data, uint32_t sess)
{
	struct vtee_vm_stats before = h_stats(g);
	/* 20 + 12 = 32 pages: the quota exactly */
	CHECK_EQ(h_register(g, page, list, 20 * GUEST_PAGE_SIZE, 0x300), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, list, 12 * GUEST_PAGE_SIZE + 1, 0x301), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_register(g, page, list | 1, 12 * GUEST_PAGE_SIZE, 0x301), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_register(g, page, list, 12 * GUEST_PAGE_SIZE, 0x301), TEE_SUCCESS);
	CHECK_EQ(h_stats(g).shm_pages, MAX_PAGES);
	/* no room for a temporary memref either */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, data, 1, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
	/* but registered memory still works */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 5, 0x301);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, 0x301), TEE_SUCCESS);
	/* 12 pages free again: a 12-page temporary memref fits, 13 do not */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG, list, 12 * GUEST_PAGE_SIZE, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	m->params[0].u.tmem.size = 13 * GUEST_PAGE_SIZE;
	m->ret = H_SENTINEL;
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_unregister(g, page, 0x300), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
}

static void calls_quota(uint32_t sess)
{
	struct vtee_vm_stats before = h_stats(g);
	uint64_t p = h_pages(g, MAX_CALLS + 1);
	uint32_t t[MAX_CALLS];
	for (unsigned i = 0; i < MAX_CALLS; i++) {
		uint64_t at = p + (uint64_t)i * GUEST_PAGE_SIZE;
		struct optee_msg_arg *m = h_msg(g, at, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
		m->func = VTEE_TEST_CMD_SLEEP;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 20, 0, 0);
		uint64_t r[8];
		CHECK_EQ(h_smc_suspend(g, OPTEE_SMC_CALL_WITH_ARG, at >> 32, at & 0xFFFFFFFFu, 0, r), FOREIGN);
		t[i] = (uint32_t)r[3];
	}
	uint64_t q = p + (uint64_t)MAX_CALLS * GUEST_PAGE_SIZE;
	struct optee_msg_arg *m = h_msg(g, q, OPTEE_MSG_CMD_OPEN_SESSION, 0, 2);
	CHECK_EQ(h_smc(g, OPTEE_SMC_CALL_WITH_ARG, q >> 32, q & 0xFFFFFFFFu, 0, NULL), OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	CHECK_EQ(m->ret, H_SENTINEL);
	CHECK_EQ(h_stats(g).calls, MAX_CALLS);
	for (unsigned i = 0; i < MAX_CALLS; i++)
		CHECK_EQ(h_yield(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, t[i], NULL), OPTEE_SMC_RETURN_OK);
	uint32_t v = 0;
	CHECK_EQ(h_inc(g, q, sess, 5, &v), TEE_SUCCESS);
	CHECK_EQ(v, 6);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, p, MAX_CALLS + 1);
}

static void ceilings(struct vtee_tee *tee)
{
	struct guest *v = h_guest(tee, &(struct h_vm_opts){
		.vm_id = 21, .ram0 = 1u << 20,
		.quota = { .max_calls = 0xFFFFFFFFu, .max_sessions = 0xFFFFFFFFu, .max_shm = 0xFFFFFFFFu,
			   .max_shm_pages = UINT64_MAX } });
	uint64_t r[8];
	CHECK_EQ(h_smc(v, OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, r), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], VTEE_LIMIT_MAX_CALLS);
	/* a page quota of 2^64 is clamped: a 2^40-byte list is refused, not walked */
	uint64_t p = h_pages(v, 2);
	uint64_t d = p + GUEST_PAGE_SIZE;
	h_list(v, p + GUEST_PAGE_SIZE, &d, 1, p + GUEST_PAGE_SIZE); /* a loop */
	CHECK_EQ(h_register(v, p, p + GUEST_PAGE_SIZE, VTEE_LIMIT_MAX_SHM_PAGES * GUEST_PAGE_SIZE + 1, 1),
		 TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_stats(v).shm_pages, 0);
	guest_destroy(v);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 600);
	g = h_guest(tee, &(struct h_vm_opts){
		.vm_id = VM_ID, .ram0 = 2u << 20, .slice_us = 1000,
		.quota = { .max_calls = MAX_CALLS, .max_sessions = MAX_SESSIONS, .max_shm = MAX_SHM,
			   .max_shm_pages = MAX_PAGES } });
	struct vtee_vm_stats empty = h_stats(g);
	page = h_pages(g, 1);
	/* a self-looping page list over one data page: any size, one list page */
	uint64_t list = h_pages(g, 1), data = h_pages(g, 1);
	uint64_t ents[GUEST_PAGELIST_ENTRIES];
	for (unsigned i = 0; i < GUEST_PAGELIST_ENTRIES; i++)
		ents[i] = data;
	h_list(g, list, ents, GUEST_PAGELIST_ENTRIES, list);

	for (int round = 0; round < 25; round++) {
		sessions_quota();
		shm_quota(list);
		uint32_t sess = 0;
		CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);
		pages_quota(list, data, sess);
		calls_quota(sess);
		CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
		CHECK_NO_LEAK(&empty, g);
	}
	ceilings(tee);

	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
