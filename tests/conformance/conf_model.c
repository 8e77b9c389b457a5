// SPDX-License-Identifier: MIT
/*
 * Self-test of the guest model the other suites rely on: its page allocator
 * and page lists, and that its driver really makes Linux's checks (a TEE that
 * answers wrongly fails the probe or the call instead of passing silently).
 * Wrong answers are injected by a transport wrapper around vtee_vm_smc().
 */
#include <errno.h>

#include "conf.h"

struct tamper {
	struct vtee_vm *vm;
	uint32_t fid;        /* SMC to tamper with (0 = none) */
	int what;
	unsigned count;      /* how many times it was tampered */
	unsigned limit;      /* stop tampering after this many (0 = never stop) */
};

enum { T_XOR_A0 = 1, T_SET_A0, T_CLEAR_CAPS, T_COOKIES };

static uint64_t tamper_a0;

static void tamper_smc(void *ctx, uint64_t r[8])
{
	struct tamper *t = ctx;
	uint32_t fid = (uint32_t)r[0];
	if (!t->fid || fid != t->fid || (t->limit && t->count >= t->limit)) {
		vtee_vm_smc(t->vm, r);
		return;
	}
	t->count++;
	switch (t->what) {
	case T_XOR_A0:
		vtee_vm_smc(t->vm, r);
		r[0] ^= 1;
		break;
	case T_SET_A0: /* answer without reaching the TEE */
		r[0] = tamper_a0;
		break;
	case T_CLEAR_CAPS:
		vtee_vm_smc(t->vm, r);
		r[1] &= ~(uint64_t)OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
		break;
	case T_COOKIES: /* DISABLE_SHM_CACHE hands back a cookie a few times */
		r[0] = OPTEE_SMC_RETURN_OK;
		r[1] = 0;
		r[2] = 0x1000 + t->count;
		break;
	}
}

static struct guest *tampered(struct vtee_tee *tee, struct tamper *t, uint32_t vm_id, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = vm_id, .name = "tamper", .no_rpc_arg = no_rpc_arg };
	struct guest_config gc = { .smc_fn = tamper_smc, .smc_ctx = t, .quiet = true };
	struct guest *g = conf_guest(tee, &vc, &gc, true);
	t->vm = guest_vm(g);
	return g;
}

static void test_probe_checks(struct vtee_tee *tee)
{
	struct {
		uint32_t fid;
		int what;
		uint64_t a0;
		int want;
		const char *msg;
	} cases[] = {
		{ OPTEE_SMC_CALLS_UID, T_XOR_A0, 0, -EINVAL, "api uid mismatch" },
		{ OPTEE_SMC_CALLS_REVISION, T_SET_A0, 3, -EINVAL, "api revision mismatch" },
		{ OPTEE_SMC_EXCHANGE_CAPABILITIES, T_SET_A0, OPTEE_SMC_RETURN_ENOTAVAIL, -EINVAL, "capabilities" },
		{ OPTEE_SMC_EXCHANGE_CAPABILITIES, T_CLEAR_CAPS, 0, -EINVAL, "DYNAMIC_SHM" },
		{ OPTEE_SMC_DISABLE_SHM_CACHE, T_SET_A0, OPTEE_SMC_RETURN_EBUSY, -ETIMEDOUT, "would hang" },
		{ OPTEE_SMC_DISABLE_SHM_CACHE, T_SET_A0, OPTEE_SMC_RETURN_UNKNOWN_FUNCTION, -ETIMEDOUT, "would hang" },
		{ OPTEE_SMC_ENABLE_SHM_CACHE, T_SET_A0, OPTEE_SMC_RETURN_EBUSY, -ETIMEDOUT, "would hang" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tamper t = { .fid = cases[i].fid, .what = cases[i].what };
		tamper_a0 = cases[i].a0;
		struct guest *g = tampered(tee, &t, 70 + (uint32_t)i, true);
		uint64_t t0 = conf_now_ms();
		int r = guest_probe(g);
		CHECK_EQ(r, cases[i].want);
		char msg[512];
		guest_error(g, msg, sizeof(msg));
		CHECK(strstr(msg, cases[i].msg) != NULL);
		CHECK_CMP(conf_now_ms() - t0, <, 2000);
		CHECK_CMP(t.count, >=, 1);
		guest_destroy(g);
	}

	/* GET_THREAD_COUNT unknown (old TEE): 0 = rely on ETHREAD_LIMIT, probe still fine */
	struct tamper t = { .fid = OPTEE_SMC_GET_THREAD_COUNT, .what = T_SET_A0 };
	tamper_a0 = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
	struct guest *g = tampered(tee, &t, 80, false);
	CHECK_EQ(guest_probe(g), 0);
	CHECK_EQ(guest_probe_info(g)->thread_count, 0);
	guest_destroy(g);

	/* DISABLE_SHM_CACHE handing back cookies before ENOTAVAIL */
	t = (struct tamper){ .fid = OPTEE_SMC_DISABLE_SHM_CACHE, .what = T_COOKIES, .limit = 5 };
	g = tampered(tee, &t, 81, true);
	CHECK_EQ(guest_probe(g), 0);
	CHECK_EQ(guest_probe_info(g)->shm_cache_disable_ok, 5);
	guest_destroy(g);
}

static void test_call_checks(struct vtee_tee *tee)
{
	/* ETHREAD_LIMIT while nothing else of ours runs: Linux would hang; the model fails the call */
	struct tamper t = { .fid = OPTEE_SMC_CALL_WITH_ARG, .what = T_SET_A0 };
	tamper_a0 = OPTEE_SMC_RETURN_ETHREAD_LIMIT;
	struct guest *g = tampered(tee, &t, 90, true);
	REQUIRE_EQ(guest_probe(g), 0);
	uint32_t s = 0, origin = 0;
	uint64_t t0 = conf_now_ms();
	uint32_t ret = guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, &origin);
	CHECK_EQ(ret, TEE_ERROR_COMMUNICATION);
	CHECK_EQ(origin, TEE_ORIGIN_COMMS);
	CHECK_CMP(conf_now_ms() - t0, <, 5000);
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	CHECK_EQ(gs.ethread_limit_alone, 1);
	CHECK_EQ(gs.comm_errors, 1);
	CHECK_EQ(gs.inflight, 0);

	/* Any other non-OK a0 ends the call as COMMUNICATION/COMMS */
	t.fid = OPTEE_SMC_CALL_WITH_ARG;
	tamper_a0 = OPTEE_SMC_RETURN_EBADCMD;
	ret = guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, &origin);
	CHECK_EQ(ret, TEE_ERROR_COMMUNICATION);
	CHECK_EQ(origin, TEE_ORIGIN_COMMS);
	guest_destroy(g);

	/* An abandoned call (max_rpcs_per_call): the VM teardown ends it */
	struct vtee_vm_config vc = { .vm_id = 91, .name = "abandon" };
	if (!test_backend_fast()) {
		/* 5 slices of 1 ms: an OPEN through a real driver (under TCG) may need more; the SLEEP still does */
		vc.slice_us = 200000;
		printf("model: back-end %s: no %s: abandoned call with 200 ms time slices instead of %u us\n",
		       test_backend_name(), test_cap_name(TEST_CAP_FAST), VTEE_DEFAULT_SLICE_US);
	}
	struct guest_config gc = { .max_rpcs_per_call = 5, .quiet = true };
	g = conf_guest(tee, &vc, &gc, false);
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL), TEE_SUCCESS);
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 3000, 0, 0) };
	struct guest_stats gs0;
	guest_get_stats(g, &gs0);
	ret = guest_invoke(g, s, VTEE_TEST_CMD_SLEEP, p, 1, 0, &origin);
	CHECK_EQ(ret, TEE_ERROR_COMMUNICATION);
	guest_get_stats(g, &gs);
	CHECK_EQ(gs.foreign_intr - gs0.foreign_intr, 5);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.calls, 1);
	guest_destroy(g); /* destroys the VM with the call suspended */
}

static void test_pages(void)
{
	struct guest *g = NULL;
	struct guest_config gc = { .ram_size = 1u << 20, .ram2_size = 1u << 20 };
	REQUIRE_EQ(guest_create(NULL, &gc, &g), 0);
	size_t total = guest_pages_free_count(g);
	CHECK_EQ(total, 512);
	CHECK(guest_gpa_ptr(g, GUEST_RAM0_GPA, 4096) != NULL);
	CHECK(guest_gpa_ptr(g, GUEST_RAM0_GPA + (1u << 20), 1) == NULL); /* the hole */
	CHECK(guest_gpa_ptr(g, GUEST_RAM0_GPA + (1u << 20) - 8, 16) == NULL); /* straddles the end */
	CHECK(guest_gpa_ptr(g, GUEST_RAM1_GPA + (1u << 20) - 8, 8) != NULL);
	void *p = guest_gpa_ptr(g, GUEST_RAM1_GPA + 12345, 1);
	CHECK_EQ(guest_ptr_gpa(g, p), GUEST_RAM1_GPA + 12345);

	uint64_t c;
	CHECK_EQ(guest_pages_alloc(g, 10, &c), 0);
	CHECK_EQ(guest_pages_free_count(g), total - 10);
	uint64_t none;
	CHECK_EQ(guest_pages_alloc(g, 300, &none), -ENOMEM); /* no 300-page run in either region */
	uint64_t big;
	CHECK_EQ(guest_pages_alloc(g, 256, &big), 0); /* region 1 is whole */
	CHECK_EQ(big, GUEST_RAM1_GPA);
	guest_pages_free(g, big, 256);

	uint64_t sc[40];
	CHECK_EQ(guest_pages_alloc_scattered(g, 40, sc, false), 0);
	size_t adjacent = 0;
	bool sorted = true;
	for (int i = 0; i + 1 < 40; i++) {
		adjacent += sc[i + 1] == sc[i] + 4096 || sc[i] == sc[i + 1] + 4096;
		sorted &= sc[i + 1] > sc[i];
	}
	CHECK_EQ(adjacent, 0);
	CHECK(!sorted);
	guest_pages_free_list(g, sc, 40);
	CHECK_EQ(guest_pages_alloc_scattered(g, 40, sc, true), 0);
	size_t in1 = 0;
	for (int i = 0; i < 40; i++)
		in1 += sc[i] >= GUEST_RAM1_GPA;
	CHECK_EQ(in1, 20);
	guest_pages_free_list(g, sc, 40);
	guest_pages_free(g, GUEST_RAM0_GPA, 10);
	CHECK_EQ(guest_pages_free_count(g), total);

	/* A 1100-page buffer: 3 list pages, entry 511 links, buf_ptr carries the offset */
	guest_destroy(g);
	gc = (struct guest_config){ .ram_size = 16u << 20, .ram2_size = 16u << 20 };
	REQUIRE_EQ(guest_create(NULL, &gc, &g), 0);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, 1100 * 4096 - 0x234 - 1, 0x234, GUEST_BUF_SCATTER_REGIONS, &b), 0);
	CHECK_EQ(b->npages, 1100);
	uint64_t bp, lg;
	size_t lp;
	REQUIRE_EQ(guest_pagelist_build(g, b, 0, b->size, &bp, &lg, &lp), 0);
	CHECK_EQ(lp, 3);
	CHECK_EQ(bp, lg | 0x234);
	size_t wrong = 0;
	uint64_t page = lg;
	for (size_t i = 0; i < 1100; i++) {
		if (i && i % 511 == 0) {
			uint64_t next;
			memcpy(&next, guest_gpa_ptr(g, page + 511 * 8, 8), 8);
			wrong += next != page + 4096;
			page = next;
		}
		uint64_t e;
		memcpy(&e, guest_gpa_ptr(g, page + (i % 511) * 8, 8), 8);
		wrong += e != b->gpa[i];
	}
	CHECK_EQ(wrong, 0);
	guest_pages_free(g, lg, lp);
	/* a window: starts in page 600 at offset 0x10 */
	REQUIRE_EQ(guest_pagelist_build(g, b, 600 * 4096 - 0x234 + 0x10, 5000, &bp, &lg, &lp), 0);
	CHECK_EQ(lp, 1);
	CHECK_EQ(bp & 0xFFF, 0x10);
	uint64_t e0, e1;
	memcpy(&e0, guest_gpa_ptr(g, lg, 8), 8);
	memcpy(&e1, guest_gpa_ptr(g, lg + 8, 8), 8);
	CHECK_EQ(e0, b->gpa[600]);
	CHECK_EQ(e1, b->gpa[601]);
	guest_pages_free(g, lg, lp);

	/* buffer copies across scattered pages */
	uint8_t *d = conf_malloc(b->size), *e = conf_malloc(b->size);
	conf_pattern(d, b->size, 3);
	CHECK_EQ(guest_buf_write(g, b, 0, d, b->size), 0);
	CHECK_EQ(guest_buf_read(g, b, 0, e, b->size), 0);
	CHECK(memcmp(d, e, b->size) == 0);
	CHECK_EQ(guest_buf_read(g, b, 1, e, b->size), -EFAULT);
	uint8_t x;
	memcpy(&x, guest_gpa_ptr(g, guest_buf_gpa(b, 4096 * 7 + 5), 1), 1);
	CHECK_EQ(x, d[4096 * 7 + 5]);
	free(d);
	free(e);
	guest_buf_free(g, b);
	guest_destroy(g);
}

int main(int argc, char **argv)
{
	conf_args(argc, argv);
	test_pages();
	struct vtee_tee *tee = conf_tee();
	test_probe_checks(tee);
	test_call_checks(tee);
	vtee_tee_close(tee);
	return check_report();
}
