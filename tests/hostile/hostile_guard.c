// SPDX-License-Identifier: MIT
/*
 * Hostile: out-of-RAM accesses made visible. The VM's RAM is three memfd
 * regions, each mapped between PROT_NONE guard pages, so any access libvtee
 * makes outside a region it was given faults and fails the test. Regions 0
 * and 1 are adjacent in guest-physical space but not in the host's: buffers
 * that straddle them must be handled page by page. Also the VMM-facing
 * checks of vtee_vm_add_ram().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostile.h"

#define PAGE    4096u
#define R0_GPA  0x40000000ull
#define R0_SIZE (64u << 10)
#define R1_GPA  (R0_GPA + R0_SIZE) /* adjacent to R0 */
#define R1_SIZE (64u << 10)
#define R2_GPA  0x40030000ull      /* after a 64 KiB hole */
#define R2_SIZE (32u << 10)
#define FOREIGN (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static struct vtee_vm *vm;
static uint8_t *hva[3];
static const uint64_t rgpa[3] = { R0_GPA, R1_GPA, R2_GPA }, rsize[3] = { R0_SIZE, R1_SIZE, R2_SIZE };
static uint32_t sess;

static uint8_t *P(uint64_t gpa)
{
	for (int i = 0; i < 3; i++)
		if (gpa >= rgpa[i] && gpa < rgpa[i] + rsize[i])
			return hva[i] + (gpa - rgpa[i]);
	fprintf(stderr, "hostile_guard: test bug, 0x%llx is not RAM\n", (unsigned long long)gpa);
	exit(2);
}

static uint32_t smc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8])
{
	uint64_t regs[8] = { a0, a1, a2, a3, 0, 0, 0, 0 };
	vtee_vm_smc(vm, regs);
	for (int i = 0; i < 100000 && (uint32_t)regs[0] == FOREIGN; i++) {
		uint64_t t = regs[3];
		memset(regs, 0, sizeof(regs));
		regs[0] = OPTEE_SMC_RETURN_FROM_RPC;
		regs[3] = t;
		vtee_vm_smc(vm, regs);
	}
	if (r)
		memcpy(r, regs, sizeof(regs));
	return (uint32_t)regs[0];
}

static uint32_t call(uint64_t gpa)
{
	return smc(OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, NULL);
}

static struct optee_msg_arg *msg(uint64_t gpa, uint32_t cmd, uint32_t s, uint32_t n)
{
	struct optee_msg_arg *m = (struct optee_msg_arg *)P(gpa);
	memset(m, 0, OPTEE_MSG_GET_ARG_SIZE(n < 6 ? n : 6));
	m->cmd = cmd;
	m->session = s;
	m->num_params = n;
	m->ret = H_SENTINEL;
	return m;
}

static void param(struct optee_msg_arg *m, int i, uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	m->params[i].attr = attr;
	m->params[i].u.value.a = a;
	m->params[i].u.value.b = b;
	m->params[i].u.value.c = c;
}

/* HASH of [gpa, gpa + size) through a contiguous TMEM; the message lives at arg. */
static uint32_t hash(uint64_t arg, uint64_t attr, uint64_t gpa, uint64_t size, uint32_t *h)
{
	struct optee_msg_arg *m = msg(arg, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	param(m, 0, attr, gpa, size, 0);
	param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(call(arg), OPTEE_SMC_RETURN_OK);
	*h = (uint32_t)m->params[1].u.value.a;
	return m->ret;
}

static uint32_t expect(uint64_t gpa, uint64_t size)
{
	uint32_t h = 0x811c9dc5u;
	for (uint64_t k = 0; k < size; k++) {
		h ^= *P(gpa + k);
		h *= 0x01000193u;
	}
	return h;
}

static void add_ram_checks(struct vtee_tee *tee)
{
	struct vtee_vm *v;
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 81, .name = "ramcheck" }, &v), 0);
	uint8_t *p = hva[0];
	CHECK_EQ(vtee_vm_add_ram(v, R0_GPA, R0_SIZE, p, -1, 0), 0);
	CHECK_EQ(vtee_vm_add_ram(v, R0_GPA + PAGE, PAGE, p, -1, 0), -EEXIST);          /* overlaps */
	CHECK_EQ(vtee_vm_add_ram(v, R0_GPA - PAGE, 2 * PAGE, p, -1, 0), -EEXIST);
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000 + 8, PAGE, p, -1, 0), -EINVAL);         /* unaligned gpa */
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000, PAGE + 1, p, -1, 0), -EINVAL);         /* size */
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000, PAGE, p + 8, -1, 0), -EINVAL);         /* hva */
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000, PAGE, p, 3, 100), -EINVAL);            /* fd offset */
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000, 0, p, -1, 0), -EINVAL);                /* empty */
	CHECK_EQ(vtee_vm_add_ram(v, 0xFFFFFFFFFFFFF000ull, 2 * PAGE, p, -1, 0), -EINVAL); /* wraps */
	CHECK_EQ(vtee_vm_add_ram(v, 0x10000000, PAGE, NULL, -1, 0), -EINVAL);
	/* up to VTEE_MAX_RAM_REGIONS */
	int r = 0;
	for (unsigned i = 1; i < VTEE_MAX_RAM_REGIONS && !r; i++)
		r = vtee_vm_add_ram(v, 0x80000000ull + i * 0x100000ull, PAGE, p, -1, 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(vtee_vm_add_ram(v, 0x90000000ull, PAGE, p, -1, 0), -ENOSPC);
	vtee_vm_destroy(v);
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 800);

	/* RAM: guard | R0 | guard | R1 | guard | R2 | guard */
	int fd = memfd_create("hostile-guard", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, R0_SIZE + R1_SIZE + R2_SIZE))
		return 2;
	size_t span = PAGE + R0_SIZE + PAGE + R1_SIZE + PAGE + R2_SIZE + PAGE;
	uint8_t *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return 2;
	uint64_t off = 0;
	uint8_t *at = res + PAGE;
	for (int i = 0; i < 3; i++) {
		hva[i] = mmap(at, rsize[i], PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
		if (hva[i] == MAP_FAILED)
			return 2;
		off += rsize[i];
		at += rsize[i] + PAGE;
	}
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 80, .name = "guarded", .slice_us = 1000 },
				&vm),
		 0);
	off = 0;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(vtee_vm_add_ram(vm, rgpa[i], rsize[i], hva[i], fd, off), 0);
		off += rsize[i];
	}
	for (uint64_t k = 0; k < R0_SIZE + R1_SIZE + R2_SIZE; k++) {
		uint64_t gpa = k < R0_SIZE + R1_SIZE ? R0_GPA + k : R2_GPA + (k - R0_SIZE - R1_SIZE);
		*P(gpa) = (uint8_t)(k * 131u + (k >> 9));
	}

	/* the last page of every region as the arg page */
	const uint64_t argp[] = { R1_GPA - PAGE, R1_GPA + R1_SIZE - PAGE, R2_GPA + R2_SIZE - PAGE, R2_GPA };
	struct optee_msg_arg *m = msg(argp[0], OPTEE_MSG_CMD_OPEN_SESSION, 0, 2);
	param(m, 0, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
	memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
	param(m, 1, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, TEE_LOGIN_PUBLIC);
	CHECK_EQ(call(argp[0]), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	sess = m->session;
	struct vtee_vm_stats base;
	vtee_vm_get_stats(vm, &base);

	/* one contiguous TMEM across the R0/R1 seam (two host mappings with a guard between) */
	const uint64_t tin = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	uint32_t h = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t a = argp[i];
		CHECK_EQ(hash(a, tin, R1_GPA - 100, 200, &h), TEE_SUCCESS);
		CHECK_EQ(h, expect(R1_GPA - 100, 200));
		if (a >= R2_GPA) { /* (an arg page inside the hashed range would change under it) */
			CHECK_EQ(hash(a, tin, R0_GPA, R0_SIZE + R1_SIZE, &h), TEE_SUCCESS);
			CHECK_EQ(h, expect(R0_GPA, R0_SIZE + R1_SIZE));
		}
		/* into the hole, into the guard after R2, before R0 */
		CHECK_EQ(hash(a, tin, R1_GPA + R1_SIZE - 10, 11, &h), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(hash(a, tin, R2_GPA + R2_SIZE - 1, 2, &h), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(hash(a, tin, R0_GPA - 1, 2, &h), TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(hash(a, tin, R2_GPA - 1, 2, &h), TEE_ERROR_BAD_PARAMETERS);
		/* the last byte of each region */
		CHECK_EQ(hash(a, tin, R2_GPA + R2_SIZE - 1, 1, &h), TEE_SUCCESS);
		CHECK_EQ(h, expect(R2_GPA + R2_SIZE - 1, 1));
	}
	/* REVERSE in place across the seam */
	uint8_t before[512];
	for (int k = 0; k < 512; k++)
		before[k] = *P(R1_GPA - 256 + (uint64_t)k);
	m = msg(argp[2], OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_REVERSE;
	param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, R1_GPA - 256, 512, 0);
	CHECK_EQ(call(argp[2]), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	bool ok = true;
	for (int k = 0; k < 512; k++)
		ok &= *P(R1_GPA - 256 + (uint64_t)k) == before[511 - k];
	CHECK(ok);

	/* page lists whose list pages are the last page of a region; entries on both sides of the seam */
	uint64_t list = R2_GPA + R2_SIZE - PAGE, *e = (uint64_t *)P(list);
	memset(e, 0, PAGE);
	e[0] = R1_GPA - PAGE;
	e[1] = R1_GPA;
	e[2] = R2_GPA;
	e[511] = R0_GPA + R0_SIZE + R1_SIZE; /* the hole: never followed for 3 pages */
	CHECK_EQ(hash(argp[0], tin | OPTEE_MSG_ATTR_NONCONTIG, list | 0xF00, 3 * PAGE - 0xF00, &h), TEE_SUCCESS);
	uint32_t want = 0x811c9dc5u;
	for (uint64_t k = 0xF00; k < 3 * PAGE; k++) {
		uint64_t gpa = e[k / PAGE] + k % PAGE;
		want ^= *P(gpa);
		want *= 0x01000193u;
	}
	CHECK_EQ(h, want);
	/* ... and one that needs the link into the hole */
	for (int i = 0; i < 511; i++)
		e[i] = R2_GPA;
	CHECK_EQ(hash(argp[0], tin | OPTEE_MSG_ATTR_NONCONTIG, list, 600ull * PAGE, &h), TEE_ERROR_BAD_PARAMETERS);
	e[511] = list - 8; /* unaligned, inside RAM */
	CHECK_EQ(hash(argp[0], tin | OPTEE_MSG_ATTR_NONCONTIG, list, 600ull * PAGE, &h), TEE_ERROR_BAD_PARAMETERS);
	e[511] = list; /* a loop in the last page of a region */
	CHECK_EQ(hash(argp[0], tin | OPTEE_MSG_ATTR_NONCONTIG, list, 600ull * PAGE, &h), TEE_SUCCESS);

	/* a registered buffer over the seam pages; an arg inside it straddling the seam */
	e[0] = R1_GPA - PAGE;
	e[1] = R1_GPA;
	e[511] = 0;
	m = msg(argp[1], OPTEE_MSG_CMD_REGISTER_SHM, 0, 1);
	param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, list, 2 * PAGE, 0x5EA);
	CHECK_EQ(call(argp[1]), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	struct {
		struct h_hdr h;
		struct optee_msg_param p[1];
	} inc;
	memset(&inc, 0, sizeof(inc));
	inc.h.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	inc.h.func = VTEE_TEST_CMD_INC;
	inc.h.session = sess;
	inc.h.num_params = 1;
	inc.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	inc.p[0].u.value.a = 68;
	uint8_t flat[sizeof(inc)];
	memcpy(flat, &inc, sizeof(inc));
	for (size_t k = 0; k < sizeof(flat); k++) /* offset PAGE - 40: header split over the seam */
		*P(R1_GPA - 40 + k) = flat[k];
	CHECK_EQ(smc(OPTEE_SMC_CALL_WITH_REGD_ARG, 0, 0x5EA, PAGE - 40, NULL), OPTEE_SMC_RETURN_OK);
	for (size_t k = 0; k < sizeof(flat); k++)
		flat[k] = *P(R1_GPA - 40 + k);
	memcpy(&inc, flat, sizeof(inc));
	CHECK_EQ(inc.h.ret, TEE_SUCCESS);
	CHECK_EQ(inc.p[0].u.value.a, 69);
	/* RMEM over the whole buffer */
	m = msg(argp[3], OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 2);
	m->func = VTEE_TEST_CMD_HASH;
	param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 2 * PAGE, 0x5EA);
	param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(call(argp[3]), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);
	CHECK_EQ(m->params[1].u.value.a, expect(R1_GPA - PAGE, 2 * PAGE));
	m = msg(argp[3], OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 1);
	param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 0, 0x5EA);
	CHECK_EQ(call(argp[3]), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(m->ret, TEE_SUCCESS);

	/* bad arg addresses right next to the guards */
	const uint64_t bad[] = { R0_GPA - PAGE, R0_GPA + R0_SIZE + R1_SIZE, R2_GPA - PAGE, R2_GPA + R2_SIZE,
				 R1_GPA - 8, R2_GPA + R2_SIZE - 8 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(smc(OPTEE_SMC_CALL_WITH_ARG, bad[i] >> 32, bad[i] & 0xFFFFFFFFu, 0, NULL),
			 OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(smc(OPTEE_SMC_CALL_WITH_RPC_ARG, bad[i] >> 32, bad[i] & 0xFFFFFFFFu, 0, NULL),
			 OPTEE_SMC_RETURN_EBADADDR);
	}
	/* an RPC_ARG message whose RPC area would cross the end of R2 */
	m = msg(argp[2], OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 123);
	CHECK_EQ(smc(OPTEE_SMC_CALL_WITH_RPC_ARG, argp[2] >> 32, argp[2] & 0xFFFFFFFFu, 0, NULL),
		 OPTEE_SMC_RETURN_EBADADDR);

	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	CHECK_EQ(st.sessions, base.sessions);
	CHECK_EQ(st.shm_buffers, base.shm_buffers);
	CHECK_EQ(st.shm_pages, base.shm_pages);
	CHECK_EQ(st.calls, 0);

	add_ram_checks(tee);
	vtee_vm_destroy(vm);
	munmap(res, span);
	close(fd);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
