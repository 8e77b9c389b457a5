// SPDX-License-Identifier: MIT
/*
 * Hostile: where the message is. Arg addresses outside RAM, in the hole,
 * straddling region ends, unaligned, near 2^64; register upper halves;
 * num_params limits for every way of passing an arg; CALL_WITH_REGD_ARG
 * cookies and offsets; unknown commands; SMC64 and unknown function ids.
 */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define RAM0_SIZE (1u << 20)
#define RAM1_SIZE (256u << 10)
#define RAM0_END  (GUEST_RAM0_GPA + RAM0_SIZE)
#define RAM1_END  (GUEST_RAM1_GPA + RAM1_SIZE)

static struct guest *g;
static uint32_t sess;

/* An INC message at any gpa (any alignment): header + nparams params, param 0 = VALUE_INOUT v. */
static void put_inc(uint64_t gpa, uint32_t nparams, uint32_t v)
{
	struct {
		struct h_hdr h;
		struct optee_msg_param p[1];
	} m;
	memset(&m, 0, sizeof(m));
	m.h.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.h.func = VTEE_TEST_CMD_INC;
	m.h.session = sess;
	m.h.num_params = nparams;
	m.h.ret = H_SENTINEL;
	m.h.ret_origin = H_SENTINEL;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	m.p[0].u.value.a = v;
	memcpy(h_ptr(g, gpa, sizeof(m)), &m, sizeof(m));
}

static uint32_t rd32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, h_ptr(g, gpa, 4), 4);
	return v;
}

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, h_ptr(g, gpa, 8), 8);
	return v;
}

#define RET(gpa)    rd32((gpa) + OPTEE_MSG_OFF_RET)
#define ORIGIN(gpa) rd32((gpa) + OPTEE_MSG_OFF_RET_ORIGIN)
#define VAL_A(gpa)  rd64((gpa) + OPTEE_MSG_OFF_PARAM(0) + OPTEE_MSG_PARAM_OFF_A)

static void bad_addresses(uint64_t page)
{
	static const uint64_t bad[] = {
		0, 0x1000, GUEST_RAM0_GPA - 0x1000, RAM0_END, RAM0_END + 0x1000,
		0x80000000ull,                /* in the hole */
		0xFFFFF000ull,                /* last page below 4 GiB, in the hole */
		GUEST_RAM1_GPA - 0x1000, RAM1_END, RAM1_END + 0x1000,
		0xFFFFFFFFFFFFF000ull, 0xFFFFFFFF00000000ull, 0x8000000000000000ull,
		0x0000000140000000ull, /* RAM0 + 4 GiB: a truncation to 32 bits would land in RAM */
		0x0000010040000000ull,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t r[8];
		for (int k = 0; k < 2; k++) {
			uint32_t fid = k ? OPTEE_SMC_CALL_WITH_RPC_ARG : OPTEE_SMC_CALL_WITH_ARG;
			uint32_t a0 = h_yield(g, fid, bad[i] >> 32, bad[i] & 0xFFFFFFFFu, 0, r);
			CHECK_EQ(a0, OPTEE_SMC_RETURN_EBADADDR);
			CHECK_EQ(r[1] | r[2] | r[3], 0);
		}
	}
	/* unaligned args inside RAM: a valid message at the unaligned address must not run */
	static const uint64_t offs[] = { 8, 32, 0x800, 0xFF8, 1, 4 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint64_t at = page + offs[i];
		if (offs[i] + 64 <= GUEST_PAGE_SIZE) {
			memset(h_ptr(g, page, GUEST_PAGE_SIZE), 0, GUEST_PAGE_SIZE);
			put_inc(at, 1, 5);
		}
		CHECK_EQ(h_call_arg(g, at), OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(h_call_rpc_arg(g, at), OPTEE_SMC_RETURN_EBADADDR);
		if (offs[i] + 64 <= GUEST_PAGE_SIZE) {
			CHECK_EQ(RET(at), H_SENTINEL);
			CHECK_EQ(VAL_A(at), 5);
		}
	}
	/* straddling the end of RAM0 / the start of RAM1 / the end of RAM1 */
	CHECK_EQ(h_call_arg(g, RAM0_END - 0x800), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_EQ(h_call_arg(g, RAM0_END - 8), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_EQ(h_call_arg(g, GUEST_RAM1_GPA - 0x20), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_EQ(h_call_arg(g, RAM1_END - 0x40), OPTEE_SMC_RETURN_EBADADDR);
}

static void edge_pages(void)
{
	/* the very last page of each region and the first of RAM1 are good arg pages */
	const uint64_t at[] = { RAM0_END - GUEST_PAGE_SIZE, GUEST_RAM1_GPA, RAM1_END - GUEST_PAGE_SIZE };
	for (size_t i = 0; i < 3; i++) {
		if (!h_page_at(g, at[i])) {
			CHECK(!"edge page free in the guest model");
			continue;
		}
		put_inc(at[i], 1, 41);
		CHECK_EQ(h_call_arg(g, at[i]), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(RET(at[i]), TEE_SUCCESS);
		CHECK_EQ(VAL_A(at[i]), 42);
		put_inc(at[i], 1, 99);
		CHECK_EQ(h_call_rpc_arg(g, at[i]), OPTEE_SMC_RETURN_OK);
		CHECK_EQ(VAL_A(at[i]), 100);
		h_pages_free(g, at[i], 1);
	}
}

static void upper_halves(uint64_t page)
{
	/* SMC32: only w0..w3 count; junk in the upper halves changes nothing */
	put_inc(page, 1, 7);
	uint64_t r[8];
	uint32_t a0 = h_yield(g, 0xFFFFFFFF00000000ull | OPTEE_SMC_CALL_WITH_ARG,
			      0xDEAD000100000000ull | (page >> 32), 0xFFFFFFFF00000000ull | (page & 0xFFFFFFFFu),
			      0x123400000000ull, r);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	CHECK_EQ(RET(page), TEE_SUCCESS);
	CHECK_EQ(VAL_A(page), 8);
	a0 = h_smc(g, 0x5555555500000000ull | OPTEE_SMC_CALLS_UID, 0, 0, 0, r);
	CHECK_EQ(a0, OPTEE_MSG_UID_0);
	CHECK_EQ(r[1], OPTEE_MSG_UID_1);
	CHECK_EQ(r[3], OPTEE_MSG_UID_3);
}

static void num_params(uint64_t page)
{
	struct vtee_vm_stats before = h_stats(g);
	/* 7 params: a well-placed message the TEE refuses, nothing runs */
	put_inc(page, 7, 1);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(RET(page), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(ORIGIN(page), TEE_ORIGIN_TEE);
	CHECK_EQ(VAL_A(page), 1);
	/* 127 params fill the page exactly (CALL_WITH_ARG) but leave no room for an RPC arg */
	put_inc(page, 127, 1);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(RET(page), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(ORIGIN(page), TEE_ORIGIN_TEE);
	put_inc(page, 127, 1);
	CHECK_EQ(h_call_rpc_arg(g, page), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_EQ(RET(page), H_SENTINEL);
	/* 122 + 160-byte RPC arg = 4096: fits; 123: does not */
	put_inc(page, 122, 1);
	CHECK_EQ(h_call_rpc_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(RET(page), TEE_ERROR_BAD_PARAMETERS);
	put_inc(page, 123, 1);
	CHECK_EQ(h_call_rpc_arg(g, page), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_EQ(RET(page), H_SENTINEL);
	static const uint32_t huge[] = { 128, 129, 0x80000000u, 0x80000001u, 0xFFFFFFFFu, 0x08000000u };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		put_inc(page, huge[i], 1);
		CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(h_call_rpc_arg(g, page), OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(RET(page), H_SENTINEL);
		CHECK_EQ(VAL_A(page), 1);
	}
	/* other commands with too many params */
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_OPEN_SESSION, 0, 7);
	h_param(m, 0, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
	memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
	h_param(m, 1, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, TEE_LOGIN_PUBLIC);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(m->ret_origin, TEE_ORIGIN_TEE);
	CHECK_EQ(m->session, 0);
	m = h_msg(g, page, OPTEE_MSG_CMD_CLOSE_SESSION, sess, 1);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	m = h_msg(g, page, OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 2);
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 0, 1);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_NO_LEAK(&before, g);
	/* the session survived the CLOSE with a parameter */
	uint32_t v = 0;
	CHECK_EQ(h_inc(g, page, sess, 10, &v), TEE_SUCCESS);
	CHECK_EQ(v, 11);
}

static void unknown_cmds(uint64_t page)
{
	static const uint32_t cmds[] = { 6, 7, 8, 9, 10, 11, 12, 99, 0x80000000u, 0xFFFFFFFFu };
	struct vtee_vm_stats before = h_stats(g);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct optee_msg_arg *m = h_msg(g, page, cmds[i], sess, 0);
		uint64_t r[8];
		CHECK_EQ(h_yield(g, OPTEE_SMC_CALL_WITH_ARG, page >> 32, page & 0xFFFFFFFFu, 0, r),
			 OPTEE_SMC_RETURN_EBADCMD);
		CHECK_EQ(m->ret, H_SENTINEL); /* ret untouched, like OP-TEE */
		m = h_msg(g, page, cmds[i], sess, 1);
		CHECK_EQ(h_call_rpc_arg(g, page), OPTEE_SMC_RETURN_EBADCMD);
	}
	CHECK_NO_LEAK(&before, g);
}

static void regd_arg(uint64_t page)
{
	/* a registered buffer of two scattered pages */
	uint64_t list = h_pages(g, 1), d0 = h_pages(g, 1), gap = h_pages(g, 1), d1 = h_pages(g, 1);
	uint64_t data[2] = { d1, d0 }; /* out of order on purpose */
	h_list(g, list, data, 2, 0);
	const uint64_t cookie = 0x1234567800000042ull;
	struct vtee_vm_stats before = h_stats(g);
	CHECK_EQ(h_register(g, page, list, 2 * GUEST_PAGE_SIZE, cookie), TEE_SUCCESS);

	/* buffer offset X lives at: X < 4096 -> d1 + X, else d0 + X - 4096 */
	const uint64_t size = 2 * GUEST_PAGE_SIZE, need1 = OPTEE_MSG_GET_ARG_SIZE(1) + OPTEE_MSG_GET_ARG_SIZE(4);
	struct {
		struct h_hdr h;
		struct optee_msg_param p[1];
	} msg;
	memset(&msg, 0, sizeof(msg));
	msg.h.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	msg.h.func = VTEE_TEST_CMD_INC;
	msg.h.session = sess;
	msg.h.num_params = 1;
	msg.h.ret = H_SENTINEL;
	msg.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;

	/* good offsets: start, crossing the page seam, last place the arg + RPC area fit */
	const uint64_t good[] = { 0, GUEST_PAGE_SIZE - 32, GUEST_PAGE_SIZE - 8, size - need1 };
	uint8_t flat[2 * GUEST_PAGE_SIZE];
	for (size_t i = 0; i < 4; i++) {
		memset(flat, 0, sizeof(flat));
		msg.p[0].u.value.a = 1000 + i;
		memcpy(flat + good[i], &msg, sizeof(msg));
		memcpy(h_ptr(g, d1, GUEST_PAGE_SIZE), flat, GUEST_PAGE_SIZE);
		memcpy(h_ptr(g, d0, GUEST_PAGE_SIZE), flat + GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
		uint64_t r[8];
		/* upper half of a3 is junk: SMC32 */
		CHECK_EQ(h_yield(g, OPTEE_SMC_CALL_WITH_REGD_ARG, cookie >> 32, cookie & 0xFFFFFFFFu,
				 0xFFFF000000000000ull | good[i], r),
			 OPTEE_SMC_RETURN_OK);
		memcpy(flat, h_ptr(g, d1, GUEST_PAGE_SIZE), GUEST_PAGE_SIZE);
		memcpy(flat + GUEST_PAGE_SIZE, h_ptr(g, d0, GUEST_PAGE_SIZE), GUEST_PAGE_SIZE);
		struct optee_msg_arg h;
		uint64_t a;
		memcpy(&h, flat + good[i], sizeof(h));
		memcpy(&a, flat + good[i] + OPTEE_MSG_OFF_PARAM(0) + OPTEE_MSG_PARAM_OFF_A, 8);
		CHECK_EQ(h.ret, TEE_SUCCESS);
		CHECK_EQ(a, 1001 + i);
	}
	/* bad cookies and offsets */
	const uint64_t bad_off[] = { 4, 1, GUEST_PAGE_SIZE - 4, size - need1 + 8, size - 32, size, size + 8,
				     0xFFFFFFF8u };
	for (size_t i = 0; i < sizeof(bad_off) / sizeof(bad_off[0]); i++) {
		memset(flat, 0, sizeof(flat));
		uint64_t o = bad_off[i] & ~7ull;
		if (o + sizeof(msg) <= size)
			memcpy(flat + o, &msg, sizeof(msg));
		memcpy(h_ptr(g, d1, GUEST_PAGE_SIZE), flat, GUEST_PAGE_SIZE);
		memcpy(h_ptr(g, d0, GUEST_PAGE_SIZE), flat + GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
		CHECK_EQ(h_call_regd(g, cookie, bad_off[i]), OPTEE_SMC_RETURN_EBADADDR);
	}
	/* 127 params + RPC area fit in 8 KiB: a parameter error; 128 and more: a bad address */
	struct optee_msg_arg *m127 = h_ptr(g, d1, GUEST_PAGE_SIZE);
	memset(m127, 0, GUEST_PAGE_SIZE);
	memset(h_ptr(g, d0, GUEST_PAGE_SIZE), 0, GUEST_PAGE_SIZE);
	memcpy(m127, &msg.h, sizeof(msg.h));
	m127->num_params = 127;
	CHECK_EQ(h_call_regd(g, cookie, 0), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m127->ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(m127->ret_origin, TEE_ORIGIN_TEE);
	const uint32_t nbig[] = { 128, 0x80000000u, 0xFFFFFFFFu };
	for (size_t i = 0; i < 3; i++) {
		struct optee_msg_arg *m = h_ptr(g, d1, GUEST_PAGE_SIZE);
		memset(m, 0, GUEST_PAGE_SIZE);
		memcpy(m, &msg.h, sizeof(msg.h));
		m->num_params = nbig[i];
		CHECK_EQ(h_call_regd(g, cookie, 0), OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(m->ret, H_SENTINEL);
	}
	const uint64_t bad_cookie[] = { cookie + 1, cookie ^ (1ull << 63), 0, cookie & 0xFFFFFFFFu, cookie >> 32,
					UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad_cookie) / sizeof(bad_cookie[0]); i++)
		CHECK_EQ(h_call_regd(g, bad_cookie[i], 0), OPTEE_SMC_RETURN_EBADADDR);
	/* every reference taken above was dropped: unregister is not BUSY */
	CHECK_EQ(h_unregister(g, page, cookie), TEE_SUCCESS);
	CHECK_EQ(h_call_regd(g, cookie, 0), OPTEE_SMC_RETURN_EBADADDR);
	CHECK_NO_LEAK(&before, g);
	h_pages_free(g, list, 1);
	h_pages_free(g, d0, 1);
	h_pages_free(g, gap, 1);
	h_pages_free(g, d1, 1);
}

static bool served(uint32_t fid)
{
	static const uint32_t ids[] = {
		OPTEE_SMC_CALLS_COUNT, OPTEE_SMC_CALLS_UID, OPTEE_SMC_CALLS_REVISION, OPTEE_SMC_GET_OS_UUID,
		OPTEE_SMC_GET_OS_REVISION, OPTEE_SMC_GET_SHM_CONFIG, OPTEE_SMC_EXCHANGE_CAPABILITIES,
		OPTEE_SMC_DISABLE_SHM_CACHE, OPTEE_SMC_ENABLE_SHM_CACHE, OPTEE_SMC_GET_THREAD_COUNT,
		OPTEE_SMC_CALL_WITH_ARG, OPTEE_SMC_CALL_WITH_RPC_ARG, OPTEE_SMC_CALL_WITH_REGD_ARG,
		OPTEE_SMC_RETURN_FROM_RPC, OPTEE_SMC_VM_CREATED, OPTEE_SMC_VM_DESTROYED,
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == fid)
			return true;
	return false;
}

static void function_ids(uint64_t page)
{
	CHECK(vtee_handles_fid(OPTEE_SMC_CALL_WITH_ARG));
	CHECK(vtee_handles_fid(OPTEE_SMC_CALLS_UID));
	CHECK(vtee_handles_fid(0xBE000000u));
	CHECK(!vtee_handles_fid(OPTEE_SMC_CALL_WITH_ARG | SMCCC_64BIT));
	CHECK(!vtee_handles_fid(OPTEE_SMC_GET_OS_UUID | SMCCC_64BIT));
	CHECK(!vtee_handles_fid(0x84000000u)); /* PSCI */
	CHECK(vtee_handles_fid(0xB1000000u));  /* owner 49, trusted apps: vtee answers them */
	CHECK(vtee_handles_fid(0x30000000u));  /* owner 48 */
	CHECK(!vtee_handles_fid(0xAF000000u)); /* owner 47, reserved */
	CHECK(!vtee_handles_fid(0x86000000u)); /* vendor hypervisor service */

	struct vtee_vm_stats before = h_stats(g);
	uint64_t r[8];
	/* SMC64 variants of the served calls: unknown, and the message on the page is not run */
	static const uint32_t smc64[] = { 0x72000004u, 0x72000003u, 0x72000012u, 0x72000013u, 0xF2000000u,
					  0xF2000009u, 0xF200000Fu, 0xFF00FF01u, 0xFF00FF00u };
	for (size_t i = 0; i < sizeof(smc64) / sizeof(smc64[0]); i++) {
		put_inc(page, 1, 3);
		CHECK_EQ(h_smc(g, smc64[i], page >> 32, page & 0xFFFFFFFFu, 0, r), SMCCC_RET_UNKNOWN_FUNCTION);
		CHECK_EQ(RET(page), H_SENTINEL);
		CHECK_EQ(VAL_A(page), 3);
	}
	/* random ids in the Trusted-OS owner range, fast and yielding, SMC32 and SMC64 */
	uint64_t x = 0x9E3779B97F4A7C15ull;
	unsigned unknown = 0;
	put_inc(page, 1, 3);
	for (int i = 0; i < 4000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t owner = 50 + (uint32_t)(x % 14);
		uint32_t fid = (uint32_t)(x >> 32) & (SMCCC_FAST_CALL | SMCCC_64BIT);
		fid |= owner << 24 | (i & 1 ? (uint32_t)(x >> 8) & 0xFFFFu : (uint32_t)(x >> 8) & 0x1Fu);
		if (i % 5 == 0)
			fid |= 0xFF00u; /* generic queries' neighbourhood */
		if (served(fid))
			continue;
		uint32_t a0 = h_smc(g, fid, page >> 32, page & 0xFFFFFFFFu, 0, r);
		if (a0 != SMCCC_RET_UNKNOWN_FUNCTION)
			h_note("fid 0x%08x answered 0x%x", fid, a0);
		CHECK_EQ(a0, SMCCC_RET_UNKNOWN_FUNCTION);
		unknown++;
	}
	CHECK(unknown > 3000);
	CHECK_EQ(RET(page), H_SENTINEL);
	CHECK_EQ(VAL_A(page), 3);
	static const uint32_t unserved32[] = { 0x32000000u, 0x32000001u, 0x32000002u, 0x32000005u, 0x32000006u,
					       0x32000014u, 0xB2000002u, 0xB2000005u, 0xB2000006u, 0xB2000008u,
					       0xB200000Cu, 0xB2000010u, 0xB2000011u, 0xB2000014u, 0xBF00FF02u,
					       0xBF000002u, 0xBF00FFFFu };
	for (size_t i = 0; i < sizeof(unserved32) / sizeof(unserved32[0]); i++)
		CHECK_EQ(h_smc(g, unserved32[i], page >> 32, page & 0xFFFFFFFFu, 0, r), SMCCC_RET_UNKNOWN_FUNCTION);
	CHECK_EQ(RET(page), H_SENTINEL);

	/* fast calls with hostile arguments */
	CHECK_EQ(h_smc(g, OPTEE_SMC_EXCHANGE_CAPABILITIES, 2, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	CHECK_EQ(h_smc(g, OPTEE_SMC_EXCHANGE_CAPABILITIES, 0x80000000u, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	CHECK_EQ(h_smc(g, OPTEE_SMC_EXCHANGE_CAPABILITIES, 0xFFFFFFFF00000001ull, 0, 0, r), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(h_smc(g, OPTEE_SMC_VM_CREATED, 5, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	CHECK_EQ(h_smc(g, OPTEE_SMC_VM_DESTROYED, 100, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	CHECK_EQ(h_smc(g, OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, r), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], 3); /* the quota configured below */
	CHECK_EQ(h_smc(g, OPTEE_SMC_CALLS_COUNT, 0, 0, 0, r), 14);
	CHECK_EQ(h_smc(g, OPTEE_SMC_DISABLE_SHM_CACHE, 0, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	CHECK_EQ(h_smc(g, OPTEE_SMC_GET_SHM_CONFIG, 0, 0, 0, r), OPTEE_SMC_RETURN_ENOTAVAIL);
	/* RETURN_FROM_RPC with nothing suspended */
	CHECK_EQ(h_smc(g, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, 0, r), OPTEE_SMC_RETURN_ERESUME);
	CHECK_NO_LEAK(&before, g);
	struct vtee_vm_stats st = h_stats(g);
	CHECK(st.smc_count >= before.smc_count + 3000);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 100);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = 1, .ram0 = RAM0_SIZE, .ram1 = RAM1_SIZE,
					      .quota = { .max_calls = 3 } });
	struct vtee_vm_stats empty = h_stats(g);
	uint64_t page = h_pages(g, 1);
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &sess), TEE_SUCCESS);
	CHECK(sess != 0);
	struct vtee_vm_stats base = h_stats(g);
	CHECK_EQ(base.sessions, empty.sessions + 1);

	bad_addresses(page);
	CHECK_NO_LEAK(&base, g);
	edge_pages();
	upper_halves(page);
	num_params(page);
	unknown_cmds(page);
	regd_arg(page);
	function_ids(page);
	CHECK_NO_LEAK(&base, g);

	uint32_t v = 0;
	CHECK_EQ(h_inc(g, page, sess, 41, &v), TEE_SUCCESS);
	CHECK_EQ(v, 42);
	CHECK_EQ(h_close(g, page, sess), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	struct vtee_vm_stats st = h_stats(g);
	CHECK(st.bad_requests > 50);
	h_pages_free(g, page, 1);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
