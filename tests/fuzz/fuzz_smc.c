// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: one input = one VM's life. The input is a program of up
 * to MAX_OPS operations that write into guest RAM (raw bytes, structured
 * OPTEE_MSG messages, page lists) and issue SMCs (any register values, the
 * yielding calls with chosen addresses or cookies, RETURN_FROM_RPC). The VM
 * is created before and destroyed after every input, so whatever it leaks,
 * LeakSanitizer sees.
 *
 * Guest RAM is two memfd-backed regions with a hole between them, mapped in
 * the middle of a PROT_NONE reservation: any access by libvtee outside the
 * regions it was given faults at once.
 *
 * Input format (all integers little-endian; reads past the end give 0):
 *   op byte, then by op % 8:
 *   0 WRITE      u16 ram offset, u8 len, len bytes
 *   1 MSG        u16 addr-sel, u8 cmd, u8 func, u8 sess-sel, u8 cancel, u8 nparams,
 *                then min(nparams, 6) params: u8 attr-sel, 3 x value-sel (OPEN_SESSION:
 *                the high nibble of param 0's / 1's attr-sel picks the TA / the login)
 *   2 LIST       u16 addr-sel (list page), u8 n, n x u16 addr-sel (entries), u16 addr-sel (link)
 *   3 SMC        u8 fid-sel, 3 x u32 a1..a3, u8 upper (non-zero: junk in the upper halves)
 *   4 CALL       u8 kind (0 ARG, 1 RPC_ARG, 2 REGD_ARG), u16 addr-sel | (u8 cookie-sel, u16 offset),
 *                u8 follow (answer up to follow % 16 RPCs like a well-behaved guest)
 *   5 RESUME     u8 thread-sel, u8 mode: bit 0 u16 addr-sel into a1:a2 (an ALLOC answer),
 *                bit 1 cookie-sel into a4:a5, bit 2 u16 addr-sel where a GET_TIME answer is written
 *   6 FILL       u16 addr-sel, u8 byte, u16 len
 *   7 LOOPLIST   u16 addr-sel (list page), u16 addr-sel (data page): 511 x data, link = itself
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "optee_abi.h"
#include "vtee/backend.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"
#include "../test_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE     4096u
#define R0_GPA   0x40000000ull
#define R0_SIZE  (64u << 10)
#define R1_GPA   0x40020000ull /* 64 KiB hole after R0 */
#define R1_SIZE  (32u << 10)
#define R0_END   (R0_GPA + R0_SIZE)
#define R1_END   (R1_GPA + R1_SIZE)
#define NPAGES   ((R0_SIZE + R1_SIZE) / PAGE)
#define MAX_OPS  96
#define FOREIGN  (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static const struct vtee_quota quota = { .max_calls = 4, .max_sessions = 8, .max_shm = 8, .max_shm_pages = 64 };

static struct vtee_tee *tee;
static uint8_t *r0, *r1;
static int ram_fd = -1;

static void fatal(const char *what)
{
	fprintf(stderr, "fuzz_smc: %s\n", what);
	abort();
}

static void setup(void)
{
	if (test_tee_open(&tee)) /* $VTEE_TEST_BACKEND, default soft */
		fatal("vtee_tee_open");
	ram_fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
	if (ram_fd < 0 || ftruncate(ram_fd, R0_SIZE + R1_SIZE))
		fatal("memfd");
	/* guard | R0 | guard | R1 | guard */
	size_t span = PAGE + R0_SIZE + PAGE + R1_SIZE + PAGE;
	uint8_t *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		fatal("mmap reservation");
	r0 = mmap(res + PAGE, R0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ram_fd, 0);
	r1 = mmap(res + PAGE + R0_SIZE + PAGE, R1_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ram_fd,
		  R0_SIZE);
	if (r0 == MAP_FAILED || r1 == MAP_FAILED)
		fatal("mmap ram");
}

/* ---- input reader ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t rd(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint64_t b = 0;
		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}
#define RD8(in)  ((uint8_t)rd(in, 1))
#define RD16(in) ((uint16_t)rd(in, 2))
#define RD32(in) ((uint32_t)rd(in, 4))
#define RD64(in) rd(in, 8)

/* ---- guest RAM ---- */

static uint8_t *ram(uint64_t gpa, size_t len)
{
	if (gpa >= R0_GPA && gpa - R0_GPA <= R0_SIZE && len <= R0_SIZE - (gpa - R0_GPA))
		return r0 + (gpa - R0_GPA);
	if (gpa >= R1_GPA && gpa - R1_GPA <= R1_SIZE && len <= R1_SIZE - (gpa - R1_GPA))
		return r1 + (gpa - R1_GPA);
	return NULL;
}

static uint64_t page_gpa(unsigned i)
{
	i %= NPAGES;
	return i < R0_SIZE / PAGE ? R0_GPA + (uint64_t)i * PAGE : R1_GPA + (uint64_t)(i - R0_SIZE / PAGE) * PAGE;
}

static const uint64_t special[] = {
	0, 0x1000, R0_GPA - PAGE, R0_END, R0_END + 0x8000, R1_GPA - PAGE, R1_END, R1_END + PAGE,
	0xFFFFF000ull, 0x100000000ull, 0x100000000ull + R0_GPA, 0xFFFFFFFFFFFFF000ull, 0x8000000000000000ull,
	R0_END - 8, R1_END - 8, R0_END - 0x40,
};

/* An address chosen by a 16-bit selector: mostly pages of RAM, some at offsets, some nasty. */
static uint64_t addr(uint16_t s)
{
	unsigned idx = s >> 2;
	switch (s & 3) {
	case 0:
		return page_gpa(idx);
	case 1:
		return page_gpa(idx & 0x1F) + ((uint64_t)(idx >> 5) * 8 % PAGE);
	case 2:
		return special[idx % (sizeof(special) / sizeof(special[0]))] + ((idx >> 4) & 0x1F) * 8;
	default:
		return R0_GPA + (uint64_t)idx * 8; /* crosses into the hole and R1 */
	}
}

static uint64_t cookie(struct in *in)
{
	uint8_t c = RD8(in);
	return c < 0xF0 ? c & 7 : RD64(in);
}

static uint32_t sess_sel(struct in *in)
{
	uint8_t s = RD8(in);
	return s < 0xF0 ? s & 7 : RD32(in);
}

static uint64_t value(struct in *in)
{
	uint8_t s = RD8(in);
	switch (s & 7) {
	case 0: return RD8(in);
	case 1: return addr(RD16(in));
	case 2: return RD64(in);
	case 3: return cookie(in);
	case 4: return RD16(in);
	case 5: return RD32(in);
	case 6: return addr(RD16(in)) | (RD8(in) & 0xFFFu);
	default: return UINT64_MAX - RD8(in);
	}
}

static const uint64_t attrs[] = {
	OPTEE_MSG_ATTR_TYPE_NONE, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT,
	OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT,
	OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT,
	OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | OPTEE_MSG_ATTR_NONCONTIG,
	OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG,
	OPTEE_MSG_ATTR_TYPE_TMEM_INOUT | OPTEE_MSG_ATTR_NONCONTIG,
	OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT,
};

static const uint8_t uuids[][16] = {
	VTEE_TEST_TA_UUID_BYTES,
	{ 0x70, 0x11, 0xa6, 0x88, 0xdd, 0xde, 0x40, 0x53, 0xa5, 0xa9, 0x7b, 0x3c, 0x4d, 0xdf, 0x13, 0xb8 },
	{ 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f, 0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 },
};

static const uint32_t logins[] = { TEE_LOGIN_PUBLIC, TEE_LOGIN_USER, TEE_LOGIN_GROUP, TEE_LOGIN_REE_KERNEL,
				   TEE_LOGIN_APPLICATION, OPTEE_MSG_LOGIN_TRUSTED_APP, 3, 0xFFFFFFFFu };

static void op_msg(struct in *in)
{
	uint64_t at = addr(RD16(in));
	struct {
		struct {
			uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
		} h; /* struct optee_msg_arg without its flexible array */
		struct optee_msg_param p[6];
	} m;
	memset(&m, 0, sizeof(m));
	uint8_t cmd = RD8(in);
	m.h.cmd = cmd < 0xF0 ? cmd % 10u : RD32(in);
	m.h.func = RD8(in) % 12u;
	m.h.session = sess_sel(in);
	m.h.cancel_id = RD8(in);
	uint8_t np = RD8(in);
	m.h.num_params = np < 0xF0 ? np % 8u : RD32(in);
	unsigned n = m.h.num_params < 6 ? m.h.num_params : 6;
	for (unsigned i = 0; i < n; i++) {
		uint8_t a = RD8(in);
		m.p[i].attr = a < 0xF0 ? attrs[a % (sizeof(attrs) / sizeof(attrs[0]))] : RD64(in);
		m.p[i].u.value.a = value(in);
		m.p[i].u.value.b = value(in);
		m.p[i].u.value.c = value(in);
		if (m.h.cmd == OPTEE_MSG_CMD_OPEN_SESSION && i == 0 && a < 0xF0)
			memcpy(m.p[0].u.octets, uuids[(a >> 4) % 3], 16);
		if (m.h.cmd == OPTEE_MSG_CMD_OPEN_SESSION && i == 1 && a < 0xF0)
			m.p[1].u.value.c = logins[(a >> 4) % 8];
	}
	/* keep SLEEPs short; a long one is still fine (slices end, destroy cancels) */
	if (m.h.cmd == OPTEE_MSG_CMD_INVOKE_COMMAND && m.h.func == VTEE_TEST_CMD_SLEEP && n)
		m.p[0].u.value.a %= 6;
	size_t len = sizeof(m.h) + n * sizeof(m.p[0]);
	uint8_t *p = ram(at, len);
	if (p)
		memcpy(p, &m, len);
}

static void op_list(struct in *in)
{
	uint64_t at = addr(RD16(in)) & ~(uint64_t)(PAGE - 1);
	unsigned n = RD8(in) % 16u;
	uint64_t *e = (uint64_t *)ram(at, PAGE);
	uint64_t ent[16];
	for (unsigned i = 0; i < n; i++)
		ent[i] = addr(RD16(in));
	uint64_t link = addr(RD16(in));
	if (!e)
		return;
	memcpy(e, ent, n * sizeof(ent[0]));
	e[511] = link;
}

static void op_looplist(struct in *in)
{
	uint64_t at = addr(RD16(in)) & ~(uint64_t)(PAGE - 1);
	uint64_t d = addr(RD16(in)) & ~(uint64_t)(PAGE - 1);
	uint64_t *e = (uint64_t *)ram(at, PAGE);
	if (!e)
		return;
	for (unsigned i = 0; i < 511; i++)
		e[i] = d;
	e[511] = at;
}

#define LENT_GPA    (R1_END - PAGE) /* the page the well-behaved guest lends for RPC_ALLOC */
#define LENT_COOKIE 0x99u

/* What a guest kernel writes back for OPTEE_RPC_CMD_GET_TIME. */
static void answer_time(uint64_t where)
{
	uint8_t *p = ram(where, OPTEE_MSG_GET_ARG_SIZE(1));
	if (!p)
		return;
	struct {
		uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
		struct optee_msg_param p0;
	} m;
	memcpy(&m, p, sizeof(m));
	m.ret = TEE_SUCCESS;
	m.num_params = 1;
	m.p0.attr = OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	m.p0.u.value.a = 1700000000;
	m.p0.u.value.b = 123456789;
	memcpy(p, &m, sizeof(m));
}

static const uint32_t fids[] = {
	OPTEE_SMC_CALLS_COUNT, OPTEE_SMC_CALLS_UID, OPTEE_SMC_CALLS_REVISION, OPTEE_SMC_GET_OS_UUID,
	OPTEE_SMC_GET_OS_REVISION, OPTEE_SMC_RETURN_FROM_RPC, OPTEE_SMC_CALL_WITH_ARG, OPTEE_SMC_GET_SHM_CONFIG,
	OPTEE_SMC_L2CC_MUTEX, OPTEE_SMC_EXCHANGE_CAPABILITIES, OPTEE_SMC_DISABLE_SHM_CACHE,
	OPTEE_SMC_ENABLE_SHM_CACHE, OPTEE_SMC_BOOT_SECONDARY, OPTEE_SMC_VM_CREATED, OPTEE_SMC_VM_DESTROYED,
	OPTEE_SMC_GET_THREAD_COUNT, OPTEE_SMC_ENABLE_ASYNC_NOTIF, OPTEE_SMC_GET_ASYNC_NOTIF_VALUE,
	OPTEE_SMC_CALL_WITH_RPC_ARG, OPTEE_SMC_CALL_WITH_REGD_ARG, OPTEE_SMC_GET_PROTMEM_CONFIG,
};

struct run {
	struct vtee_vm *vm;
	uint32_t threads[8]; /* thread ids seen in FOREIGN_INTR */
	unsigned nthreads;
};

static bool trace; /* FUZZ_SMC_TRACE=1: print every SMC (for checking seeds) */

/* The RPCs vtee may ask of the guest: ALLOC, FREE, FOREIGN_INTR, CMD. */
static bool is_rpc(uint32_t a0)
{
	return a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_ALLOC) ||
	       a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FREE) || a0 == FOREIGN ||
	       a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_CMD);
}

static bool is_yielding(uint32_t fid)
{
	return fid == OPTEE_SMC_CALL_WITH_ARG || fid == OPTEE_SMC_CALL_WITH_RPC_ARG ||
	       fid == OPTEE_SMC_CALL_WITH_REGD_ARG;
}

/* One SMC plus the invariants every answer must keep. */
static void smc(struct run *rn, uint64_t r[8])
{
	uint32_t fid = (uint32_t)r[0];
	uint64_t in[4] = { r[0], r[1], r[2], r[3] };
	vtee_vm_smc(rn->vm, r);
	uint32_t a0 = (uint32_t)r[0];
	if (trace)
		fprintf(stderr, "smc %08llx %llx %llx %llx -> %x %llx %llx %llx\n", (unsigned long long)in[0],
			(unsigned long long)in[1], (unsigned long long)in[2], (unsigned long long)in[3], a0,
			(unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3]);
	bool rpc = is_rpc(a0);
	if (is_yielding(fid) && a0 != OPTEE_SMC_RETURN_OK && a0 != OPTEE_SMC_RETURN_ETHREAD_LIMIT &&
	    a0 != OPTEE_SMC_RETURN_EBADADDR && a0 != OPTEE_SMC_RETURN_EBADCMD && !rpc)
		fatal("yielding call answered with an unexpected a0");
	if (fid == OPTEE_SMC_RETURN_FROM_RPC && a0 != OPTEE_SMC_RETURN_OK && a0 != OPTEE_SMC_RETURN_ERESUME && !rpc)
		fatal("RETURN_FROM_RPC answered with an unexpected a0");
	if (rpc) {
		if (!is_yielding(fid) && fid != OPTEE_SMC_RETURN_FROM_RPC)
			fatal("an RPC in answer to a fast call");
		if ((uint32_t)r[3] >= quota.max_calls)
			fatal("RPC with a thread id beyond max_calls");
		if (a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_ALLOC) &&
		    (uint32_t)r[1] != OPTEE_MSG_GET_ARG_SIZE(OPTEE_RPC_MAX_NUM_PARAMS))
			fatal("RPC_ALLOC of an odd size");
		rn->threads[rn->nthreads++ % 8] = (uint32_t)r[3];
	}
	struct vtee_vm_stats st;
	vtee_vm_get_stats(rn->vm, &st);
	if (st.sessions > quota.max_sessions || st.shm_buffers > quota.max_shm ||
	    st.shm_pages > quota.max_shm_pages || st.calls > quota.max_calls)
		fatal("a quota was exceeded");
}

static void op_smc(struct run *rn, struct in *in)
{
	uint8_t f = RD8(in);
	uint64_t r[8] = { 0 };
	r[0] = f < 0xE0 ? fids[f % (sizeof(fids) / sizeof(fids[0]))] : RD32(in);
	r[1] = RD32(in);
	r[2] = RD32(in);
	r[3] = RD32(in);
	if (RD8(in))
		for (int i = 0; i < 4; i++)
			r[i] |= (uint64_t)0xA5A5A5A5u << 32;
	smc(rn, r);
}

static void op_call(struct run *rn, struct in *in)
{
	uint8_t kind = RD8(in) % 3u;
	uint64_t r[8] = { 0 };
	if (kind == 2) {
		uint64_t c = cookie(in);
		r[0] = OPTEE_SMC_CALL_WITH_REGD_ARG;
		r[1] = c >> 32;
		r[2] = c & 0xFFFFFFFFu;
		r[3] = RD16(in);
	} else {
		uint64_t a = addr(RD16(in));
		r[0] = kind ? OPTEE_SMC_CALL_WITH_RPC_ARG : OPTEE_SMC_CALL_WITH_ARG;
		r[1] = a >> 32;
		r[2] = a & 0xFFFFFFFFu;
	}
	unsigned follow = RD8(in) % 16u;
	uint64_t at = (r[1] << 32) | r[2];
	smc(rn, r);
	/* a well-behaved guest: lend a page for ALLOC, answer CMD (GET_TIME), resume the rest */
	while (follow-- && is_rpc((uint32_t)r[0])) {
		uint32_t a0 = (uint32_t)r[0];
		uint64_t t = r[3], cookie = ((r[1] & 0xFFFFFFFFu) << 32) | (r[2] & 0xFFFFFFFFu);
		memset(r, 0, sizeof(r));
		r[0] = OPTEE_SMC_RETURN_FROM_RPC;
		r[3] = t;
		if (a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_ALLOC)) {
			r[1] = LENT_GPA >> 32;
			r[2] = LENT_GPA & 0xFFFFFFFFu;
			r[5] = LENT_COOKIE;
		} else if (a0 == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_CMD)) {
			uint64_t where = UINT64_MAX;
			const uint32_t *h = kind == 1 ? (const uint32_t *)ram(at, 32) : NULL;
			if (cookie == LENT_COOKIE)
				where = LENT_GPA;
			else if (h && h[7] <= OPTEE_MSG_MAX_NUM_PARAMS)
				where = at + OPTEE_MSG_GET_ARG_SIZE(h[7]);
			answer_time(where);
		}
		smc(rn, r);
	}
	const uint32_t *m = kind == 2 ? NULL : (const uint32_t *)ram(at, 32);
	if (trace && m)
		fprintf(stderr, "  msg cmd %u session %u ret %x origin %u\n", m[0], m[2], m[5], m[6]);
}

static void op_resume(struct run *rn, struct in *in)
{
	uint8_t s = RD8(in), mode = RD8(in);
	uint64_t r[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 0, 0 };
	if (s < 0xF0)
		r[3] = rn->nthreads ? rn->threads[s % (rn->nthreads < 8 ? rn->nthreads : 8)] : s % 8u;
	else
		r[3] = RD32(in);
	if (mode & 1) { /* an RPC_ALLOC answer: a1:a2 = buffer */
		uint64_t a = addr(RD16(in));
		r[1] = a >> 32;
		r[2] = a & 0xFFFFFFFFu;
	}
	if (mode & 2) { /* a4:a5 = cookie */
		uint64_t c = cookie(in);
		r[4] = c >> 32;
		r[5] = c & 0xFFFFFFFFu;
	}
	if (mode & 4) /* answer a GET_TIME request somewhere */
		answer_time(addr(RD16(in)));
	smc(rn, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tee) {
		setup();
		trace = getenv("FUZZ_SMC_TRACE") != NULL;
	}
	memset(r0, 0, R0_SIZE);
	memset(r1, 0, R1_SIZE);

	struct run rn = { 0 };
	struct vtee_vm_config cfg = { .vm_id = 1, .name = "fuzz", .quota = quota, .slice_us = 200 };
	if (vtee_vm_create(tee, &cfg, &rn.vm))
		fatal("vtee_vm_create");
	if (vtee_vm_add_ram(rn.vm, R0_GPA, R0_SIZE, r0, ram_fd, 0) ||
	    vtee_vm_add_ram(rn.vm, R1_GPA, R1_SIZE, r1, ram_fd, R0_SIZE))
		fatal("vtee_vm_add_ram");

	struct in in = { data, size };
	for (int op = 0; op < MAX_OPS && in.n; op++) {
		switch (RD8(&in) % 8u) {
		case 0: {
			uint32_t off = RD16(&in) % (R0_SIZE + R1_SIZE);
			unsigned len = RD8(&in) % 65u;
			uint8_t *base = off < R0_SIZE ? r0 + off : r1 + (off - R0_SIZE);
			uint32_t room = off < R0_SIZE ? R0_SIZE - off : R0_SIZE + R1_SIZE - off;
			for (unsigned i = 0; i < len; i++) {
				uint8_t b = RD8(&in);
				if (i < room)
					base[i] = b;
			}
			break;
		}
		case 1:
			op_msg(&in);
			break;
		case 2:
			op_list(&in);
			break;
		case 3:
			op_smc(&rn, &in);
			break;
		case 4:
			op_call(&rn, &in);
			break;
		case 5:
			op_resume(&rn, &in);
			break;
		case 6: {
			uint64_t at = addr(RD16(&in));
			uint8_t b = RD8(&in);
			unsigned len = RD16(&in) % (2 * PAGE);
			uint8_t *p = ram(at, len);
			if (p)
				memset(p, b, len);
			break;
		}
		default:
			op_looplist(&in);
			break;
		}
	}
	vtee_vm_destroy(rn.vm);
	return 0;
}
