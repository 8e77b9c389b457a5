// SPDX-License-Identifier: MIT
/*
 * vtee benchmarks. Each figure is printed as "BENCH <name> <value> <unit>",
 * and each comparison as "RATIO <name> <value>" with both sides measured in
 * this run, on this machine, so noise hits both alike.
 *
 *   null_invoke      guest SMC (CALL_WITH_ARG, INVOKE of the test TA's NULL
 *                    command) through the OP-TEE front-end and core, vs. the
 *                    same request submitted straight to the soft back-end.
 *   tmem4k_invoke    the same with a 4 KiB temporary memref (HASH command).
 *   shm_register_1g  REGISTER_SHM + UNREGISTER_SHM of a 1 GiB page list; the
 *                    data pages are never touched (RSS growth shows copies).
 *   null_invoke_vtee_only  the mediated call against a back-end that answers
 *                    at once on the vCPU thread: the front-end's and core's own cost.
 *   idle_vm          heap held by a VM that exists but has made no call.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "optee_abi.h"
#include "vtee/frontend.h"
#include "vtee/test_ta.h"

#define BENCH_NAME "vtee-bench"
#include "bench.h"

#define ITERS   20000
#define ROUNDS  15


/* ---- mediated path: a prepared message in guest RAM, one SMC per call ---- */

struct mediated {
	struct guest *g;
	uint64_t arg_gpa;
	struct optee_msg_arg *arg;
	uint32_t session;
	uint64_t data_gpa;
};

static void mediated_call(struct mediated *m, uint32_t func, bool with_tmem)
{
	struct optee_msg_arg *a = m->arg;
	/* what a guest driver writes for every call */
	memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(2));
	a->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->func = func;
	a->session = m->session;
	if (with_tmem) {
		a->num_params = 2;
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
		a->params[0].u.tmem.buf_ptr = m->data_gpa;
		a->params[0].u.tmem.size = 4096;
		a->params[1].attr = OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	}
	uint64_t r[8] = { OPTEE_SMC_CALL_WITH_ARG, m->arg_gpa >> 32, (uint32_t)m->arg_gpa };
	vtee_vm_smc(guest_vm(m->g), r);
	while (OPTEE_SMC_RETURN_IS_RPC((uint32_t)r[0])) {
		r[0] = OPTEE_SMC_RETURN_FROM_RPC;
		vtee_vm_smc(guest_vm(m->g), r);
	}
	if (r[0] != OPTEE_SMC_RETURN_OK || a->ret != TEE_SUCCESS)
		die("mediated call failed");
}

/* ---- direct path: the same request straight into the back-end ---- */

struct direct {
	void *tee, *vm;
	void *session;
	struct vtee_shm *shm;
};

static void direct_submit(struct direct *d, struct vtee_req *req)
{
	vtee_req_arm(req);
	vtee_soft_backend.submit(d->vm, req);
	vtee_req_wait(req, UINT64_MAX);
}

static void direct_call(struct direct *d, uint32_t func, bool with_tmem)
{
	struct vtee_req req = { .op = VTEE_REQ_INVOKE, .func = func, .session = d->session };
	req.client.vm_id = 99;
	if (with_tmem) {
		req.num_params = 2;
		req.params[0].type = VTEE_PARAM_MEMREF_IN;
		req.params[0].u.memref.shm = d->shm;
		req.params[0].u.memref.size = 4096;
		req.params[1].type = VTEE_PARAM_VALUE_OUT;
	}
	direct_submit(d, &req);
	if (req.ret != TEE_SUCCESS)
		die("direct call failed");
}

typedef void (*call_fn)(void *ctx, uint32_t func, bool tmem);

/*
 * Median per-call time of two paths over ROUNDS rounds of ITERS calls each,
 * alternating the paths round by round so drift and noise hit both alike.
 */
static double time_pair(call_fn fa, void *ca, call_fn fb, void *cb, uint32_t func, bool tmem,
			double *ta_med, double *tb_med)
{
	double ta[ROUNDS], tb[ROUNDS], ratio[ROUNDS];
	for (int i = 0; i < 1000; i++) {
		fa(ca, func, tmem);
		fb(cb, func, tmem);
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		for (int i = 0; i < ITERS; i++)
			fa(ca, func, tmem);
		double t1 = now_us();
		for (int i = 0; i < ITERS; i++)
			fb(cb, func, tmem);
		double t2 = now_us();
		ta[r] = (t1 - t0) / ITERS;
		tb[r] = (t2 - t1) / ITERS;
		ratio[r] = ta[r] / tb[r];
	}
	qsort(ta, ROUNDS, sizeof(ta[0]), cmp_double);
	qsort(tb, ROUNDS, sizeof(tb[0]), cmp_double);
	qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_double);
	*ta_med = ta[ROUNDS / 2];
	*tb_med = tb[ROUNDS / 2];
	/* the median of per-round ratios: each round's two sides ran back to back */
	return ratio[ROUNDS / 2];
}

static void med_fn(void *ctx, uint32_t func, bool tmem) { mediated_call(ctx, func, tmem); }
static void dir_fn(void *ctx, uint32_t func, bool tmem) { direct_call(ctx, func, tmem); }

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	if (f)
		fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static double bench_calls(struct vtee_tee *tee)
{
	struct mediated m = { 0 };
	struct guest_config gc = { .ram_size = 16u << 20, .quiet = true };
	if (guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "bench" }, &gc, &m.g) ||
	    guest_probe(m.g))
		die("guest set-up failed");
	if (guest_open_session(m.g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &m.session, NULL))
		die("open session failed");
	if (guest_pages_alloc(m.g, 1, &m.arg_gpa) || guest_pages_alloc(m.g, 1, &m.data_gpa))
		die("guest pages");
	m.arg = guest_gpa_ptr(m.g, m.arg_gpa, 4096);
	memset(guest_gpa_ptr(m.g, m.data_gpa, 4096), 0x5a, 4096);

	struct direct d = { 0 };
	if (vtee_soft_backend.open(NULL, &d.tee) || vtee_soft_backend.vm_created(d.tee, 99, "direct", &d.vm))
		die("soft back-end set-up failed");
	struct vtee_req open = { .op = VTEE_REQ_OPEN };
	memcpy(open.ta.b, test_uuid, 16);
	open.client.vm_id = 99;
	direct_submit(&d, &open);
	if (open.ret != TEE_SUCCESS)
		die("direct open failed");
	d.session = open.session;
	if (vtee_shm_new(guest_vm(m.g), 4096, 0, &d.shm) || vtee_shm_set_page(d.shm, 0, m.data_gpa))
		die("direct shm");

	double med, dir;
	double ratio = time_pair(med_fn, &m, dir_fn, &d, VTEE_TEST_CMD_NULL, false, &med, &dir);
	printf("BENCH null_invoke_mediated %.3f us\n", med);
	printf("BENCH null_invoke_direct %.3f us\n", dir);
	printf("RATIO null_invoke %.3f\n", ratio);
	double null_direct = dir;

	ratio = time_pair(med_fn, &m, dir_fn, &d, VTEE_TEST_CMD_HASH, true, &med, &dir);
	printf("BENCH tmem4k_invoke_mediated %.3f us\n", med);
	printf("BENCH tmem4k_invoke_direct %.3f us\n", dir);
	printf("RATIO tmem4k_invoke %.3f\n", ratio);

	vtee_shm_free(d.shm);
	struct vtee_req close = { .op = VTEE_REQ_CLOSE, .session = d.session };
	close.client.vm_id = 99;
	direct_submit(&d, &close);
	vtee_soft_backend.vm_destroyed(d.vm);
	vtee_soft_backend.close(d.tee);
	guest_close_session(m.g, m.session);
	guest_destroy(m.g);
	return null_direct;
}

/*
 * A back-end that answers INVOKE at once on the caller's thread: with it, a
 * mediated call costs only what the front-end and core do, vtee's own share.
 */
static int null_open(const char *o, void **t) { (void)o; *t = NULL; return 0; }
static void null_close(void *t) { (void)t; }
static int null_vm(void *t, uint32_t id, const char *n, void **vm) { (void)t; (void)id; (void)n; *vm = NULL; return 0; }
static void null_vm_gone(void *vm) { (void)vm; }
static void null_cancel(void *vm, struct vtee_req *r) { (void)vm; (void)r; }
static void null_submit(void *vm, struct vtee_req *r)
{
	(void)vm;
	r->session = r->op == VTEE_REQ_OPEN ? (void *)1 : r->session;
	r->ret = TEE_SUCCESS;
	r->ret_origin = TEE_ORIGIN_TRUSTED_APP;
	vtee_req_done(r);
}
static const struct vtee_backend_ops null_backend = {
	.name = "null", .open = null_open, .close = null_close, .vm_created = null_vm,
	.vm_destroyed = null_vm_gone, .submit = null_submit, .cancel = null_cancel,
};

static void bench_vtee_share(double direct_us)
{
	struct vtee_tee *tee;
	struct mediated m = { 0 };
	struct guest_config gc = { .ram_size = 16u << 20, .quiet = true };
	if (vtee_tee_open_ops(&null_backend, NULL, &tee) ||
	    guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 3, .name = "null" }, &gc, &m.g) ||
	    guest_probe(m.g) ||
	    guest_open_session(m.g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &m.session, NULL) ||
	    guest_pages_alloc(m.g, 1, &m.arg_gpa))
		die("null back-end set-up failed");
	m.arg = guest_gpa_ptr(m.g, m.arg_gpa, 4096);
	double t, unused;
	time_pair(med_fn, &m, med_fn, &m, VTEE_TEST_CMD_NULL, false, &t, &unused);
	printf("BENCH null_invoke_vtee_only %.3f us\n", t);
	printf("RATIO null_invoke_vtee_only_vs_direct %.3f\n", t / direct_us);
	guest_destroy(m.g);
	vtee_tee_close(tee);
}

/* REGISTER_SHM of 1 GiB described by a page list; returns ms for register + unregister. */
static void bench_register_1g(struct vtee_tee *tee)
{
	const uint64_t size = 1ull << 30, npages = size / 4096;
	const uint64_t list_pages = (npages + 510) / 511;
	struct guest *g;
	/* the RAM file is sparse: only the page-list pages and the arg page get touched */
	struct guest_config gc = { .ram_size = size + (64u << 20), .quiet = true };
	if (guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 2, .name = "bench1g" }, &gc, &g) ||
	    guest_probe(g))
		die("guest set-up failed (1 GiB)");
	uint64_t list_gpa, arg_gpa;
	if (guest_pages_alloc(g, list_pages, &list_gpa) || guest_pages_alloc(g, 1, &arg_gpa))
		die("guest pages (1 GiB)");
	uint64_t *list = guest_gpa_ptr(g, list_gpa, list_pages * 4096);
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t lp = i / 511, e = i % 511;
		list[lp * 512 + e] = GUEST_RAM0_GPA + i * 4096;
		if (e == 510 || i == npages - 1)
			list[lp * 512 + 511] = list_gpa + (lp + 1) * 4096;
	}
	struct optee_msg_arg *a = guest_gpa_ptr(g, arg_gpa, 4096);
	long rss0 = rss_kib();
	double t[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(1));
		a->cmd = OPTEE_MSG_CMD_REGISTER_SHM;
		a->num_params = 1;
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
		a->params[0].u.tmem.buf_ptr = list_gpa;
		a->params[0].u.tmem.size = size;
		a->params[0].u.tmem.shm_ref = 0xb16b00b5;
		uint64_t rg[8] = { OPTEE_SMC_CALL_WITH_ARG, arg_gpa >> 32, (uint32_t)arg_gpa };
		vtee_vm_smc(guest_vm(g), rg);
		if (rg[0] || a->ret)
			die("REGISTER_SHM 1 GiB failed");
		memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(1));
		a->cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
		a->num_params = 1;
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
		a->params[0].u.rmem.shm_ref = 0xb16b00b5;
		uint64_t ru[8] = { OPTEE_SMC_CALL_WITH_ARG, arg_gpa >> 32, (uint32_t)arg_gpa };
		vtee_vm_smc(guest_vm(g), ru);
		if (ru[0] || a->ret)
			die("UNREGISTER_SHM 1 GiB failed");
		t[r] = (now_us() - t0) / 1000;
	}
	long rss1 = rss_kib();
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	printf("BENCH shm_register_1g %.3f ms\n", t[ROUNDS / 2]);
	/* the growth is vtee's page table for the buffer (8 bytes a page); a data copy would be 1 GiB */
	printf("BENCH shm_register_1g_rss_growth %ld KiB\n", rss1 - rss0);
	printf("RATIO shm_register_1g_vs_50ms %.3f\n", t[ROUNDS / 2] / 50.0);
	guest_destroy(g);
}

static void bench_idle_vm(struct vtee_tee *tee)
{
	enum { N = 64 };
	struct vtee_vm *vms[N];
	static uint8_t ram[4096] __attribute__((aligned(4096)));
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < N; i++) {
		char name[16];
		snprintf(name, sizeof(name), "idle%d", i);
		if (vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 100 + i, .name = name }, &vms[i]) ||
		    vtee_vm_add_ram(vms[i], 0x40000000, sizeof(ram), ram, -1, 0))
			die("idle VM");
	}
	struct mallinfo2 after = mallinfo2();
	double per = (double)(after.uordblks - before.uordblks) / N;
	for (int i = 0; i < N; i++)
		vtee_vm_destroy(vms[i]);
	printf("BENCH idle_vm_memory %.0f bytes\n", per);
	printf("RATIO idle_vm_memory_vs_64k %.4f\n", per / 65536.0);
}

int main(void)
{
	struct vtee_tee *tee;
	if (vtee_tee_open("soft", NULL, &tee))
		die("cannot open the soft back-end");
	printf("# vtee-bench: %d rounds x %d calls, median per call; both sides of a RATIO measured now\n",
	       ROUNDS, ITERS);
	bench_vtee_share(bench_calls(tee));
	bench_register_1g(tee);
	bench_idle_vm(tee);
	vtee_tee_close(tee);
	return 0;
}
