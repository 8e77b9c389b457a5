// SPDX-License-Identifier: MIT
/*
 * Hostile: registered shared memory. REGISTER_SHM with wrong attributes and
 * sizes, duplicate cookies, double unregister, unregister while a call uses
 * the buffer (BUSY), two registrations over the same pages, RMEM offsets and
 * sizes that overflow.
 */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define RAM0_SIZE (2u << 20)
#define VM_ID     3u

static struct guest *g;
static uint32_t sess;
static uint64_t page;

/* a buffer of n scattered data pages described by one list page */
struct buf {
	uint64_t list, pages[8];
	size_t n;
};

static struct buf mkbuf(size_t n, uint8_t seed)
{
	struct buf b = { .list = h_pages(g, 1), .n = n };
	for (size_t i = 0; i < n; i++) {
		b.pages[i] = h_pages(g, 1);
		(void)h_pages(g, 1); /* a gap, so the data pages are not adjacent (leaked on purpose: RAM is plenty) */
		uint8_t *p = h_ptr(g, b.pages[i], GUEST_PAGE_SIZE);
		for (unsigned k = 0; k < GUEST_PAGE_SIZE; k++)
			p[k] = (uint8_t)(seed + k * 11u + i * 5u);
	}
	h_list(g, b.list, b.pages, n, 0);
	return b;
}

/* byte `off` of the buffer (first_off 0) */
static uint8_t at(const struct buf *b, uint64_t off)
{
	return ((uint8_t *)h_ptr(g, b->pages[off / GUEST_PAGE_SIZE], GUEST_PAGE_SIZE))[off % GUEST_PAGE_SIZE];
}

static uint32_t expect_hash(const struct buf *b, uint64_t off, uint64_t size)
{
	uint32_t h = 0x811c9dc5u;
	for (uint64_t k = 0; k < size; k++) {
		h ^= at(b, off + k);
		h *= 0x01000193u;
	}
	return h;
}

static uint32_t rmem_hash(uint64_t cookie, uint64_t offs, uint64_t size, uint32_t *h, uint32_t *origin)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, offs, size, cookie);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0x11, 0x22, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	*h = (uint32_t)m->params[1].u.value.a;
	if (origin)
		*origin = m->ret_origin;
	return m->ret;
}

static void register_attrs(void)
{
	struct buf b = mkbuf(2, 1);
	struct vtee_vm_stats before = h_stats(g);
	static const uint64_t bad[] = {
		OPTEE_MSG_ATTR_TYPE_TMEM_INOUT | OPTEE_MSG_ATTR_NONCONTIG,
		OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG,
		OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, /* contiguous */
		OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG | (1u << OPTEE_MSG_ATTR_CACHE_SHIFT),
		OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG | OPTEE_MSG_ATTR_META,
		OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG,
		OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT,
		0,
		(1ull << 40) | OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_REGISTER_SHM, 0, 1);
		h_param(m, 0, bad[i], b.list, 2 * GUEST_PAGE_SIZE, 0x77);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
	}
	/* wrong param counts, zero size */
	const uint32_t counts[] = { 0, 2, 6, 7 };
	for (size_t i = 0; i < 4; i++) {
		struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_REGISTER_SHM, 0, counts[i]);
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, b.list, 4096, 0x77);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	}
	CHECK_EQ(h_register(g, page, b.list, 0, 0x77), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_unregister(g, page, 0x77), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_NO_LEAK(&before, g);

	/* the last byte of page 0 plus one byte: two pages; cookies 0 and ~0 are just cookies */
	CHECK_EQ(h_register(g, page, b.list | 0xFFF, 2, 0), TEE_SUCCESS);
	CHECK_EQ(h_stats(g).shm_pages, before.shm_pages + 2);
	CHECK_EQ(h_register(g, page, b.list, 1, UINT64_MAX), TEE_SUCCESS);
	uint32_t h = 0;
	CHECK_EQ(rmem_hash(0, 0, 2, &h, NULL), TEE_SUCCESS);
	uint8_t two[2] = { at(&b, 0xFFF), at(&b, 0x1000) };
	CHECK_EQ(h, h_fnv(two, 2));
	CHECK_EQ(rmem_hash(UINT64_MAX, 0, 1, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h, expect_hash(&b, 0, 1));
	CHECK_EQ(h_unregister(g, page, 0), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, UINT64_MAX), TEE_SUCCESS);

	/* UNREGISTER with the wrong shape */
	CHECK_EQ(h_register(g, page, b.list, 100, 0x99), TEE_SUCCESS);
	static const uint64_t ubad[] = { OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, OPTEE_MSG_ATTR_TYPE_RMEM_INOUT,
					 OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT,
					 OPTEE_MSG_ATTR_TYPE_RMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG,
					 OPTEE_MSG_ATTR_TYPE_RMEM_INPUT | (1u << OPTEE_MSG_ATTR_CACHE_SHIFT) };
	for (size_t i = 0; i < sizeof(ubad) / sizeof(ubad[0]); i++) {
		struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 1);
		h_param(m, 0, ubad[i], 0, 0, 0x99);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	}
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_stats(g).shm_buffers, before.shm_buffers + 1);
	/* double unregister */
	CHECK_EQ(h_unregister(g, page, 0x99), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, 0x99), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(h_unregister(g, page, 0x99), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_NO_LEAK(&before, g);
}

static void duplicates_and_overlap(void)
{
	struct buf a = mkbuf(2, 10), b = mkbuf(3, 99);
	struct vtee_vm_stats before = h_stats(g);
	const uint64_t c = 0xABCDEF0123456789ull;

	CHECK_EQ(h_register(g, page, a.list, 2 * GUEST_PAGE_SIZE, c), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, b.list, 3 * GUEST_PAGE_SIZE, c), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_stats(g).shm_buffers, before.shm_buffers + 1);
	CHECK_EQ(h_stats(g).shm_pages, before.shm_pages + 2);
	/* the cookie still names the first buffer */
	uint32_t h = 0;
	CHECK_EQ(rmem_hash(c, 100, 5000, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h, expect_hash(&a, 100, 5000));
	/* a second registration of the same pages under another cookie */
	CHECK_EQ(h_register(g, page, a.list, 2 * GUEST_PAGE_SIZE, c + 1), TEE_SUCCESS);
	CHECK_EQ(h_stats(g).shm_pages, before.shm_pages + 4);
	/* reverse through one, see it through the other */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_REVERSE;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 0, 2 * GUEST_PAGE_SIZE, c);
	uint32_t before_rev = expect_hash(&a, 0, 2 * GUEST_PAGE_SIZE);
	uint8_t first = at(&a, 0), last = at(&a, 2 * GUEST_PAGE_SIZE - 1);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(at(&a, 0), last);
	CHECK_EQ(at(&a, 2 * GUEST_PAGE_SIZE - 1), first);
	CHECK_EQ(rmem_hash(c + 1, 0, 2 * GUEST_PAGE_SIZE, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h, expect_hash(&a, 0, 2 * GUEST_PAGE_SIZE));
	CHECK(h != before_rev);
	/* two registered memrefs over the same pages in one call: REVERSE in -> out */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_REVERSE;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 100, c);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, 50, 100, c + 1);
	uint8_t in[100];
	for (int k = 0; k < 100; k++)
		in[k] = at(&a, (uint64_t)k);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[1].u.rmem.size, 100);
	bool ok = true;
	for (int k = 0; k < 100; k++)
		ok &= at(&a, 50 + (uint64_t)k) == in[99 - k];
	CHECK(ok);
	/* drop one: the other still works */
	CHECK_EQ(h_unregister(g, page, c), TEE_SUCCESS);
	CHECK_EQ(rmem_hash(c, 0, 1, &h, NULL), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(rmem_hash(c + 1, 0, 1, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, c + 1), TEE_SUCCESS);
	/* now the cookie is free for the other buffer */
	CHECK_EQ(h_register(g, page, b.list, 3 * GUEST_PAGE_SIZE, c), TEE_SUCCESS);
	CHECK_EQ(rmem_hash(c, 0, 3 * GUEST_PAGE_SIZE, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h, expect_hash(&b, 0, 3 * GUEST_PAGE_SIZE));
	CHECK_EQ(h_unregister(g, page, c), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
}

static void rmem_bounds(void)
{
	struct buf b = mkbuf(2, 7);
	const uint64_t c = 0x5000, size = 5000;
	struct vtee_vm_stats before = h_stats(g);
	CHECK_EQ(h_register(g, page, b.list | 96, size, c), TEE_SUCCESS);
	struct {
		uint64_t offs, size;
		uint32_t ret;
	} cases[] = {
		{ 0, size, TEE_SUCCESS },
		{ size, 0, TEE_SUCCESS },
		{ 4000, 1000, TEE_SUCCESS },
		{ size + 1, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 0, size + 1, TEE_ERROR_BAD_PARAMETERS },
		{ 1, size, TEE_ERROR_BAD_PARAMETERS },
		{ 1, UINT64_MAX, TEE_ERROR_BAD_PARAMETERS },
		{ UINT64_MAX, 1, TEE_ERROR_BAD_PARAMETERS },
		{ UINT64_MAX, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 0x8000000000000000ull, 0x8000000000000000ull, TEE_ERROR_BAD_PARAMETERS },
		{ 4999, 0xFFFFFFFFFFFFFFF0ull, TEE_ERROR_BAD_PARAMETERS },
		{ 1ull << 32, 10, TEE_ERROR_BAD_PARAMETERS },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t h = 0, origin = 0;
		uint32_t r = rmem_hash(c, cases[i].offs, cases[i].size, &h, &origin);
		if (r != cases[i].ret)
			h_note("rmem case %zu", i);
		CHECK_EQ(r, cases[i].ret);
		if (r == TEE_SUCCESS) {
			CHECK_EQ(h, expect_hash(&b, 96 + cases[i].offs, cases[i].size));
		} else {
			CHECK_EQ(origin, TEE_ORIGIN_TEE);
			CHECK_EQ(h, 0x11);
		}
	}
	/* unknown cookies */
	uint32_t h;
	CHECK_EQ(rmem_hash(c + 1, 0, 1, &h, NULL), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(rmem_hash(0, 0, 0, &h, NULL), TEE_ERROR_BAD_PARAMETERS);
	/* an output larger than the buffer allows */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_FILL;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, 10, size, c);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 1, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_unregister(g, page, c), TEE_SUCCESS);
	CHECK_NO_LEAK(&before, g);
}

static void busy(void)
{
	struct buf b = mkbuf(1, 3);
	const uint64_t c = 0xB05E;
	struct vtee_vm_stats before = h_stats(g);
	CHECK_EQ(h_register(g, page, b.list, GUEST_PAGE_SIZE, c), TEE_SUCCESS);
	/* a SLEEP whose arg lives in the registered buffer */
	struct optee_msg_arg *m = h_ptr(g, b.pages[0], GUEST_PAGE_SIZE);
	memset(m, 0, GUEST_PAGE_SIZE);
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->func = VTEE_TEST_CMD_SLEEP;
	m->session = sess;
	m->num_params = 1;
	m->ret = H_SENTINEL;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 60, 0, 0);
	uint64_t r[8];
	uint32_t a0 = h_smc_suspend(g, OPTEE_SMC_CALL_WITH_REGD_ARG, c >> 32, c & 0xFFFFFFFFu, 0, r);
	CHECK_EQ(a0, OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR);
	uint32_t thread = (uint32_t)r[3];
	CHECK_EQ(h_stats(g).calls, before.calls + 1);
	/* the buffer is in use: unregister is refused, and it stays registered and usable */
	CHECK_EQ(h_unregister(g, page, c), TEE_ERROR_BUSY);
	CHECK_EQ(h_unregister(g, page, c), TEE_ERROR_BUSY);
	CHECK_EQ(h_stats(g).shm_buffers, before.shm_buffers + 1);
	uint32_t h;
	CHECK_EQ(rmem_hash(c, 200, 100, &h, NULL), TEE_SUCCESS);
	CHECK_EQ(h, expect_hash(&b, 200, 100));
	/* finish the call */
	if (a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR))
		a0 = h_yield(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, thread, r);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(h_unregister(g, page, c), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, c), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_NO_LEAK(&before, g);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 300);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_ID, .ram0 = RAM0_SIZE, .slice_us = 1000 });
	struct vtee_vm_stats empty = h_stats(g);
	page = h_pages(g, 1);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);

	register_attrs();
	duplicates_and_overlap();
	rmem_bounds();
	busy();

	CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
