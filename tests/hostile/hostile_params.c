// SPDX-License-Identifier: MIT
/*
 * Hostile: what the message says. Temporary memrefs near 2^32 and 2^64 and
 * wrapping, page lists that loop, leave RAM or are misaligned, the pages
 * quota, unknown attribute bits and types, OPEN_SESSION meta params and
 * logins, memrefs that overlap the arg page itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define RAM0_SIZE (4u << 20)
#define RAM1_SIZE (1u << 20)
#define RAM0_END  (GUEST_RAM0_GPA + RAM0_SIZE)
#define RAM1_END  (GUEST_RAM1_GPA + RAM1_SIZE)
#define MAX_PAGES 2048u
#define VM_ID     2u

static struct guest *g;
static uint32_t sess;
static uint64_t page; /* the arg page */

struct hres {
	uint32_t ret, origin, hash, len;
};

static struct hres hash(uint64_t attr, uint64_t buf_ptr, uint64_t size)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, attr, buf_ptr, size, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0x11, 0x22, 0x33);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	struct hres r = { m->ret, m->ret_origin, (uint32_t)m->params[1].u.value.a,
			  (uint32_t)m->params[1].u.value.b };
	return r;
}

#define CHECK_REFUSED(r, err)                             \
	do {                                              \
		struct hres r_ = (r);                     \
		CHECK_EQ(r_.ret, (err));                  \
		CHECK_EQ(r_.origin, TEE_ORIGIN_TEE);      \
		CHECK_EQ(r_.hash, 0x11); /* untouched */  \
		CHECK_EQ(r_.len, 0x22);                   \
	} while (0)

static void tmem_edges(void)
{
	const uint64_t tmem = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, nc = tmem | OPTEE_MSG_ATTR_NONCONTIG;
	struct vtee_vm_stats before = h_stats(g);
	uint64_t base_denials = before.quota_denials;

	/* near 2^64 */
	CHECK_REFUSED(hash(tmem, 0xFFFFFFFFFFFFF000ull, 0x1000), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0xFFFFFFFFFFFFF000ull, 0xFFF), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0xFFFFFFFFFFFFFFFFull, 1), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA, UINT64_MAX), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 1, UINT64_MAX), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0x1000, 0xFFFFFFFFFFFFF000ull), TEE_ERROR_BAD_PARAMETERS);
	/* buf_ptr + size wraps around to low RAM: must not map RAM0 */
	CHECK_REFUSED(hash(tmem, 0xFFFFFFFFFFFFF000ull, 0x1000 + GUEST_RAM0_GPA + 0x2000), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0xFFFFFFFFC0000000ull, 0x80001000ull), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0x8000000040000000ull, 0x1000), TEE_ERROR_BAD_PARAMETERS);
	/* near 2^32: the hole below RAM1, straddling into RAM1, truncation tricks */
	CHECK_REFUSED(hash(tmem, 0xFFFFF000ull, 0x2000), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, GUEST_RAM1_GPA - 0x10, 0x20), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, RAM0_END - 0x10, 0x20), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, RAM1_END - 0x10, 0x11), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA + 0x100, RAM0_SIZE), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA + (1ull << 32), 0x100), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(tmem, 0x10, 0x10), TEE_ERROR_BAD_PARAMETERS);
	/* sizes of 4 GiB and more are over the pages quota whatever the address */
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA, 0x100000000ull), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA, 0xFFFFFFFFull), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(tmem, GUEST_RAM0_GPA, (uint64_t)(MAX_PAGES + 1) * GUEST_PAGE_SIZE),
		      TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(nc, page, UINT64_MAX), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(nc, page, 0x100000000ull), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(nc, 0xFFFFFFFFFFFFFFFFull, 1), TEE_ERROR_BAD_PARAMETERS);
	CHECK_REFUSED(hash(nc, 0xFFFFFFFFFFFFF000ull, 1), TEE_ERROR_BAD_PARAMETERS);
	struct vtee_vm_stats st = h_stats(g);
	CHECK(st.quota_denials >= base_denials + 4); /* 4 quota refusals, + maybe the hard limit */

	/* a NULL memref claiming 2^64-1 bytes: the TA refuses it, nothing is mapped */
	struct hres r = hash(tmem, 0, UINT64_MAX);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(r.origin, TEE_ORIGIN_TRUSTED_APP);
	/* NULL memref of size 0 and an empty buffer: the hash of nothing */
	r = hash(tmem, 0, 0);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.hash, 0x811c9dc5u);
	CHECK_EQ(r.len, 0);
	r = hash(tmem, 0xFFFFFFFFFFFFF000ull, 0);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.len, 0);

	/* the last bytes of a region are fine */
	const uint64_t last[] = { RAM0_END - GUEST_PAGE_SIZE, RAM1_END - GUEST_PAGE_SIZE };
	for (int i = 0; i < 2; i++) {
		if (!h_page_at(g, last[i])) {
			CHECK(!"last page of a region free in the model");
			continue;
		}
		uint8_t *p = h_ptr(g, last[i], GUEST_PAGE_SIZE);
		for (unsigned k = 0; k < GUEST_PAGE_SIZE; k++)
			p[k] = (uint8_t)(k * 13u + 1u);
		r = hash(tmem, last[i] + GUEST_PAGE_SIZE - 0x10, 0x10);
		CHECK_EQ(r.ret, TEE_SUCCESS);
		CHECK_EQ(r.hash, h_fnv(p + GUEST_PAGE_SIZE - 0x10, 0x10));
		CHECK_EQ(r.len, 0x10);
		h_pages_free(g, last[i], 1);
	}
	CHECK_NO_LEAK(&before, g);
}

/* expected HASH of size bytes starting first_off into a page whose content repeats */
static uint32_t hash_repeat(const uint8_t *pg, uint32_t first_off, uint64_t size)
{
	uint32_t h = 0x811c9dc5u;
	for (uint64_t k = 0; k < size; k++) {
		h ^= pg[(k + first_off) % GUEST_PAGE_SIZE];
		h *= 0x01000193u;
	}
	return h;
}

static void page_lists(void)
{
	const uint64_t nc = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG;
	uint64_t l1 = h_pages(g, 1), l2 = h_pages(g, 1), d = h_pages(g, 1), d2 = h_pages(g, 1);
	uint8_t *dp = h_ptr(g, d, GUEST_PAGE_SIZE);
	for (unsigned k = 0; k < GUEST_PAGE_SIZE; k++)
		dp[k] = (uint8_t)(k * 7u + (k >> 8));
	uint64_t *ents = calloc(GUEST_PAGELIST_ENTRIES, sizeof(*ents));
	for (unsigned i = 0; i < GUEST_PAGELIST_ENTRIES; i++)
		ents[i] = d;
	struct vtee_vm_stats before = h_stats(g);

	/* entry 511 points to its own page: the walk repeats it, bounded by the size */
	h_list(g, l1, ents, GUEST_PAGELIST_ENTRIES, l1);
	uint64_t size = 1500ull * GUEST_PAGE_SIZE + 123;
	struct hres r = hash(nc, l1 | 5, size);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.hash, hash_repeat(dp, 5, size));
	CHECK_EQ(r.len, (uint32_t)size);
	/* ... and the same as a registered buffer */
	const uint64_t cookie = 0xC00C1E;
	CHECK_EQ(h_register(g, page, l1 | 5, size, cookie), TEE_SUCCESS);
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 4000, 10000, cookie);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[1].u.value.a, hash_repeat(dp, (5 + 4000) % GUEST_PAGE_SIZE, 10000));
	CHECK_EQ(h_stats(g).shm_pages, before.shm_pages + 1501);
	CHECK_EQ(h_unregister(g, page, cookie), TEE_SUCCESS);
	/* a loop whose size is over the quota is refused before any walking */
	CHECK_REFUSED(hash(nc, l1, (uint64_t)(MAX_PAGES + 1) * GUEST_PAGE_SIZE), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_register(g, page, l1, 1ull << 40, cookie), TEE_ERROR_OUT_OF_MEMORY);
	/* two list pages pointing at each other */
	h_list(g, l2, ents, GUEST_PAGELIST_ENTRIES, l1 + 0); /* l2 -> l1 */
	h_list(g, l1, ents, GUEST_PAGELIST_ENTRIES, l2);     /* l1 -> l2 */
	r = hash(nc, l1, 2000ull * GUEST_PAGE_SIZE);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.hash, hash_repeat(dp, 0, 2000ull * GUEST_PAGE_SIZE));
	CHECK_NO_LEAK(&before, g);

	/* unused entries are never looked at */
	for (unsigned i = 3; i < GUEST_PAGELIST_ENTRIES; i++)
		ents[i] = 0xFFFFFFFFFFFFFFFFull;
	h_list(g, l1, ents, GUEST_PAGELIST_ENTRIES, 0xFFFFFFFFFFFFFFFFull);
	r = hash(nc, l1, 3 * GUEST_PAGE_SIZE);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.hash, hash_repeat(dp, 0, 3 * GUEST_PAGE_SIZE));

	/* entries outside RAM or unaligned */
	const uint64_t bad_ent[] = { 0, 0x1000, GUEST_RAM0_GPA - 0x1000, RAM0_END, 0x80000000ull, 0xFFFFF000ull,
				     RAM1_END, 0xFFFFFFFFFFFFF000ull, GUEST_RAM0_GPA + (1ull << 32),
				     d + 8, d | 1, d + 0x800, d2 | 0xFFF };
	for (size_t i = 0; i < sizeof(bad_ent) / sizeof(bad_ent[0]); i++) {
		for (unsigned k = 0; k < 3; k++)
			ents[k] = d;
		ents[i % 3] = bad_ent[i];
		h_list(g, l1, ents, 3, 0);
		CHECK_REFUSED(hash(nc, l1, 3 * GUEST_PAGE_SIZE), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(h_register(g, page, l1, 3 * GUEST_PAGE_SIZE, cookie), TEE_ERROR_BAD_PARAMETERS);
	}
	/* links outside RAM, unaligned, to nowhere */
	for (unsigned i = 0; i < GUEST_PAGELIST_ENTRIES; i++)
		ents[i] = d;
	const uint64_t bad_link[] = { 0, 0x80000000ull, RAM0_END, RAM1_END, l2 + 0x10, l2 | 0xFF8,
				      0xFFFFFFFFFFFFF000ull };
	for (size_t i = 0; i < sizeof(bad_link) / sizeof(bad_link[0]); i++) {
		h_list(g, l1, ents, GUEST_PAGELIST_ENTRIES, bad_link[i]);
		CHECK_REFUSED(hash(nc, l1, 600ull * GUEST_PAGE_SIZE), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(h_register(g, page, l1, 600ull * GUEST_PAGE_SIZE, cookie), TEE_ERROR_BAD_PARAMETERS);
	}
	/* the list page itself outside RAM or straddling */
	/* (buf_ptr 0 is a NULL memref for a TMEM param, but REGISTER_SHM must refuse it) */
	CHECK_EQ(h_register(g, page, 0, 100, cookie), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(h_register(g, page, 0x10, 100, cookie), TEE_ERROR_BAD_PARAMETERS);
	const uint64_t bad_list[] = { 0x10, 0x80000000ull, RAM0_END, RAM0_END | 0x10, GUEST_RAM1_GPA - 0x1000,
				      RAM1_END, 0xFFFFFFFFFFFFF000ull | 0x20 };
	for (size_t i = 0; i < sizeof(bad_list) / sizeof(bad_list[0]); i++) {
		CHECK_REFUSED(hash(nc, bad_list[i], 100), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(h_register(g, page, bad_list[i], 100, cookie), TEE_ERROR_BAD_PARAMETERS);
	}
	/* the arg page as the page list: its words are not page addresses */
	CHECK_REFUSED(hash(nc, page, 100), TEE_ERROR_BAD_PARAMETERS);
	CHECK_NO_LEAK(&before, g);

	/* the pages quota, exactly at the edge */
	struct vtee_vm_stats now = h_stats(g);
	uint64_t room = MAX_PAGES - now.shm_pages;
	h_list(g, l1, ents, GUEST_PAGELIST_ENTRIES, l1);
	r = hash(nc, l1, room * GUEST_PAGE_SIZE);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_REFUSED(hash(nc, l1, room * GUEST_PAGE_SIZE + 1), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(nc, l1 | 1, room * GUEST_PAGE_SIZE), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_register(g, page, l1, room * GUEST_PAGE_SIZE, cookie), TEE_SUCCESS);
	CHECK_EQ(h_register(g, page, l1, 1, cookie + 1), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_REFUSED(hash(OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, d, 1), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(h_unregister(g, page, cookie), TEE_SUCCESS);
	CHECK_EQ(h_unregister(g, page, cookie + 1), TEE_ERROR_ITEM_NOT_FOUND);
	r = hash(OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, d, 1);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.hash, h_fnv(dp, 1));
	CHECK_NO_LEAK(&before, g);
	free(ents);
	h_pages_free(g, l1, 1);
	h_pages_free(g, l2, 1);
	h_pages_free(g, d, 1);
	h_pages_free(g, d2, 1);
}

static void attrs(void)
{
	struct vtee_vm_stats before = h_stats(g);
	static const uint64_t bad[] = {
		OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		OPTEE_MSG_ATTR_NONCONTIG | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		(1u << OPTEE_MSG_ATTR_CACHE_SHIFT) | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		(7u << OPTEE_MSG_ATTR_CACHE_SHIFT) | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		0x4, 0x8, 0xC, 0xD, 0xE, 0xF, 0x10, 0x83, 0xFF,
		(1u << 10) | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		(1ull << 32) | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		(1ull << 63) | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
		0xFFFFFFFFFFFFFF03ull,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
		m->func = VTEE_TEST_CMD_INC;
		h_param(m, 0, bad[i], 5, 6, 7);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
		CHECK_EQ(m->params[0].u.value.a, 5);
	}
	/* memref attrs with cache bits, NONCONTIG on RMEM, META on a memref */
	uint64_t d = h_pages(g, 1);
	static const uint64_t badmem[] = {
		(1u << OPTEE_MSG_ATTR_CACHE_SHIFT) | OPTEE_MSG_ATTR_TYPE_TMEM_INPUT,
		(2u << OPTEE_MSG_ATTR_CACHE_SHIFT) | OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG,
		OPTEE_MSG_ATTR_NONCONTIG | OPTEE_MSG_ATTR_TYPE_RMEM_INPUT,
		OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_TMEM_INPUT,
	};
	for (size_t i = 0; i < sizeof(badmem) / sizeof(badmem[0]); i++)
		CHECK_REFUSED(hash(badmem[i], d, 16), TEE_ERROR_BAD_PARAMETERS);
	/* a good temporary memref followed by a bad param: the memref is released */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 3);
	m->func = VTEE_TEST_CMD_HASH;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, d, 3 * GUEST_PAGE_SIZE - 5, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	h_param(m, 2, 0xC, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
	h_pages_free(g, d, 1);
	CHECK_NO_LEAK(&before, g);
}

static void open_checks(void)
{
	struct vtee_vm_stats before = h_stats(g);
	const uint64_t meta = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct {
		uint32_t n;
		uint64_t attr0, attr1, attr2;
		uint64_t login;
		uint32_t ret;
	} cases[] = {
		{ 0, 0, 0, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 1, meta, 0, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 2, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, meta, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 2, meta, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 2, meta | OPTEE_MSG_ATTR_NONCONTIG, meta, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 2, meta, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 2, meta, meta | (1u << OPTEE_MSG_ATTR_CACHE_SHIFT), 0, 0, TEE_ERROR_BAD_PARAMETERS },
		{ 3, meta, meta, meta, 0, TEE_ERROR_BAD_PARAMETERS }, /* a third meta param as a TA param */
		{ 2, meta, meta, 0, OPTEE_MSG_LOGIN_TRUSTED_APP, TEE_ERROR_ACCESS_DENIED },
		{ 2, meta, meta, 0, 0x80000001u, TEE_ERROR_ACCESS_DENIED },
		{ 2, meta, meta, 0, 3, TEE_ERROR_ACCESS_DENIED },
		{ 2, meta, meta, 0, 7, TEE_ERROR_ACCESS_DENIED },
		{ 2, meta, meta, 0, 0xFFFFFFFFu, TEE_ERROR_ACCESS_DENIED },
		{ 2, meta, meta, 0, 0x100000000ull, TEE_ERROR_ACCESS_DENIED }, /* PUBLIC in the low half only */
		{ 2, meta, meta, 0, 0xF000000080000000ull, TEE_ERROR_ACCESS_DENIED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_OPEN_SESSION, 0x5A5A, cases[i].n);
		h_param(m, 0, cases[i].attr0, 0, 0, 0);
		memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
		h_param(m, 1, cases[i].attr1, 0, 0, cases[i].login);
		h_param(m, 2, cases[i].attr2, 0, 0, 0);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
		if (m->ret != cases[i].ret)
			h_note("open case %zu", i);
		CHECK_EQ(m->ret, cases[i].ret);
		CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
		CHECK_EQ(m->session, 0x5A5A); /* not written on failure */
	}
	/* an unknown TA */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_OPEN_SESSION, 0, 2);
	h_param(m, 0, meta, 0x1111, 0x2222, 0);
	h_param(m, 1, meta, 0, 0, TEE_LOGIN_PUBLIC);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_NO_LEAK(&before, g);

	/* REE_KERNEL is accepted, but the TA still sees this VM's id */
	uint32_t s2 = 0;
	CHECK_EQ(h_open(g, page, TEE_LOGIN_REE_KERNEL, &s2), TEE_SUCCESS);
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, s2, 1);
	m->func = VTEE_TEST_CMD_WHOAMI;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0xAAAA, 0xBBBB, 0xCCCC);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "params: WHOAMI under REE_KERNEL reports this VM's id"))
		CHECK_EQ(m->params[0].u.value.a, VM_ID);
	if (test_backend_has(TEST_CAP_LOGINS_PASSED, "params: WHOAMI reports the REE_KERNEL login"))
		CHECK_EQ(m->params[0].u.value.b, TEE_LOGIN_REE_KERNEL);
	CHECK_EQ(h_close(g, page, s2), TEE_SUCCESS);
	CHECK_EQ(h_close(g, page, s2), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_NO_LEAK(&before, g);
}

static void overlap_arg_page(void)
{
	struct vtee_vm_stats before = h_stats(g);
	uint8_t orig[GUEST_PAGE_SIZE], want[GUEST_PAGE_SIZE];
	uint8_t *pp = h_ptr(g, page, GUEST_PAGE_SIZE);

	/* REVERSE in place over [1024, 2048) of the arg page */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_REVERSE;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, page + 1024, 1024, 0);
	for (unsigned k = 1024; k < 2048; k++)
		pp[k] = (uint8_t)(k * 3u);
	memcpy(orig, pp, sizeof(orig));
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[0].u.tmem.size, 1024);
	bool ok = true;
	for (unsigned k = 0; k < 1024; k++)
		ok &= pp[1024 + k] == orig[2047 - k];
	CHECK(ok);

	/* REVERSE in place over the whole arg page: the header is data to the TA */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_REVERSE;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, page, GUEST_PAGE_SIZE, 0);
	for (unsigned k = 64; k < GUEST_PAGE_SIZE; k++)
		pp[k] = (uint8_t)(k ^ 0x5C);
	memcpy(orig, pp, sizeof(orig));
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	for (unsigned k = 0; k < GUEST_PAGE_SIZE; k++)
		want[k] = orig[GUEST_PAGE_SIZE - 1 - k];
	/* then vtee wrote its results, and only those: ret, ret_origin, param 0's size */
	const uint32_t ret_pair[2] = { TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP };
	const uint64_t sz = GUEST_PAGE_SIZE;
	memcpy(want + OPTEE_MSG_OFF_RET, ret_pair, 8);
	memcpy(want + OPTEE_MSG_OFF_PARAM(0) + OPTEE_MSG_PARAM_OFF_B, &sz, 8);
	CHECK_EQ(memcmp(pp, want, GUEST_PAGE_SIZE), 0);

	/* FILL the whole arg page: every byte but the results is the fill byte */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_FILL;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, page, GUEST_PAGE_SIZE, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0x5A, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	memset(want, 0x5A, sizeof(want));
	memcpy(want + OPTEE_MSG_OFF_RET, ret_pair, 8);
	memcpy(want + OPTEE_MSG_OFF_PARAM(0) + OPTEE_MSG_PARAM_OFF_B, &sz, 8);
	CHECK_EQ(memcmp(pp, want, GUEST_PAGE_SIZE), 0);

	/* REVERSE from the arg page into the arg page (IN and OUT overlapping it) */
	m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_REVERSE;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, page, 2048, 0);
	h_param(m, 1, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, page + 2048, 2048, 0);
	memcpy(orig, pp, sizeof(orig));
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[1].u.tmem.size, 2048);
	ok = true;
	for (unsigned k = 0; k < 2048; k++)
		ok &= pp[2048 + k] == orig[2047 - k];
	CHECK(ok);
	CHECK_NO_LEAK(&before, g);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 200);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_ID, .ram0 = RAM0_SIZE, .ram1 = RAM1_SIZE,
					      .quota = { .max_shm_pages = MAX_PAGES } });
	struct vtee_vm_stats empty = h_stats(g);
	page = h_pages(g, 1);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);

	tmem_edges();
	page_lists();
	attrs();
	open_checks();
	overlap_arg_page();

	uint32_t v = 0;
	CHECK_EQ(h_inc(g, page, sess, 1, &v), TEE_SUCCESS);
	CHECK_EQ(v, 2);
	CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	h_pages_free(g, page, 1);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
