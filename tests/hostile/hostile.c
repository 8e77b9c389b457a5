// SPDX-License-Identifier: MIT
/* Shared scaffolding of the hostile tests (see hostile.h). */
#include "hostile.h"
#include "../test_backend.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

atomic_uint h_passed, h_failed;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

const uint8_t h_test_ta_uuid[16] = VTEE_TEST_TA_UUID_BYTES;

void h_check_eq(const char *file, int line, const char *what, uint64_t actual, uint64_t expected)
{
	if (actual == expected) {
		atomic_fetch_add(&h_passed, 1);
		return;
	}
	atomic_fetch_add(&h_failed, 1);
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "%s:%d: FAIL %s: expected 0x%llx (%llu), actual 0x%llx (%llu)\n", file, line, what,
		(unsigned long long)expected, (unsigned long long)expected, (unsigned long long)actual,
		(unsigned long long)actual);
	pthread_mutex_unlock(&print_lock);
}

void h_check(const char *file, int line, const char *what, bool ok)
{
	if (ok) {
		atomic_fetch_add(&h_passed, 1);
		return;
	}
	atomic_fetch_add(&h_failed, 1);
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "%s:%d: FAIL %s: expected true, actual false\n", file, line, what);
	pthread_mutex_unlock(&print_lock);
}

void h_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&print_lock);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
	va_end(ap);
}

int h_finish(void)
{
	unsigned p = atomic_load(&h_passed), f = atomic_load(&h_failed);
	printf("%u passed, %u failed\n", p, f);
	fflush(stdout);
	return f ? 1 : 0;
}

uint64_t h_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what)
{
	fprintf(stderr, "hostile: setup failed: %s\n", what);
	exit(2);
}

struct vtee_tee *h_tee_open(void)
{
	struct vtee_tee *tee;
	if (test_tee_open(&tee)) /* $VTEE_TEST_BACKEND, default soft */
		die("vtee_tee_open");
	return tee;
}

struct guest *h_guest(struct vtee_tee *tee, const struct h_vm_opts *o)
{
	char name[32];
	snprintf(name, sizeof(name), "attacker%u", o->vm_id);
	struct vtee_vm_config vc = { .vm_id = o->vm_id, .name = name, .quota = o->quota,
				     .slice_us = o->slice_us, .no_rpc_arg = o->no_rpc_arg };
	struct guest_config gc = { .ram_size = o->ram0, .ram2_size = o->ram1, .quiet = true };
	struct guest *g;
	if (guest_create_vm(tee, &vc, &gc, &g))
		die("guest_create_vm");
	if (o->probe && guest_probe(g)) {
		char msg[512];
		guest_error(g, msg, sizeof(msg));
		die(msg);
	}
	return g;
}

struct vtee_vm_stats h_stats(struct guest *g)
{
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	return st;
}

void h_check_same(const char *file, int line, const struct vtee_vm_stats *b, struct guest *g)
{
	struct vtee_vm_stats now = h_stats(g);
	h_check_eq(file, line, "stats.sessions", now.sessions, b->sessions);
	h_check_eq(file, line, "stats.shm_buffers", now.shm_buffers, b->shm_buffers);
	h_check_eq(file, line, "stats.shm_pages", now.shm_pages, b->shm_pages);
	h_check_eq(file, line, "stats.calls", now.calls, b->calls);
}

uint32_t h_smc(struct guest *g, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8])
{
	uint64_t regs[8] = { a0, a1, a2, a3, 0, 0, 0, 0 };
	guest_smc(g, regs);
	if (r)
		memcpy(r, regs, sizeof(regs));
	return (uint32_t)regs[0];
}

uint32_t h_yield(struct guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8])
{
	uint64_t regs[8] = { fid, a1, a2, a3, 0, 0, 0, 0 };
	uint64_t start = h_now_us();
	guest_smc(g, regs);
	while ((uint32_t)regs[0] == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)) {
		if (h_now_us() - start > 30000000u) {
			h_check(__FILE__, __LINE__, "yielding call finished within 30 s", false);
			break;
		}
		uint64_t next[8] = { OPTEE_SMC_RETURN_FROM_RPC, regs[1], regs[2], regs[3], 0, 0, 0, 0 };
		memcpy(regs, next, sizeof(regs));
		guest_smc(g, regs);
	}
	if (r)
		memcpy(r, regs, sizeof(regs));
	return (uint32_t)regs[0];
}

uint32_t h_smc_suspend(struct guest *g, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8])
{
	uint32_t res = 0;
	for (int i = 0; i < 20; i++) {
		res = h_smc(g, a0, a1, a2, a3, r);
		if (res != OPTEE_SMC_RETURN_OK)
			break;
		h_note("note: a call meant to outlast its slice finished at once (preempted?), retrying");
	}
	return res;
}

uint32_t h_call_arg(struct guest *g, uint64_t gpa)
{
	return h_yield(g, OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, NULL);
}

uint32_t h_call_rpc_arg(struct guest *g, uint64_t gpa)
{
	return h_yield(g, OPTEE_SMC_CALL_WITH_RPC_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, NULL);
}

uint32_t h_call_regd(struct guest *g, uint64_t cookie, uint64_t offs)
{
	return h_yield(g, OPTEE_SMC_CALL_WITH_REGD_ARG, cookie >> 32, cookie & 0xFFFFFFFFu, offs, NULL);
}

uint64_t h_pages(struct guest *g, size_t n)
{
	uint64_t gpa;
	if (guest_pages_alloc(g, n, &gpa))
		die("guest_pages_alloc");
	return gpa;
}

void h_pages_free(struct guest *g, uint64_t gpa, size_t n)
{
	guest_pages_free(g, gpa, n);
}

void *h_ptr(struct guest *g, uint64_t gpa, size_t len)
{
	void *p = guest_gpa_ptr(g, gpa, len);
	if (!p)
		die("guest_gpa_ptr");
	return p;
}

bool h_page_at(struct guest *g, uint64_t want)
{
	size_t n = guest_pages_free_count(g), got = 0;
	uint64_t *taken = calloc(n + 1, sizeof(*taken));
	bool ok = false;
	if (!taken)
		die("calloc");
	while (got < n) {
		uint64_t gpa;
		if (guest_pages_alloc(g, 1, &gpa))
			break;
		if (gpa == want) {
			ok = true;
			break;
		}
		taken[got++] = gpa;
	}
	for (size_t i = 0; i < got; i++)
		guest_pages_free(g, taken[i], 1);
	free(taken);
	return ok;
}

struct optee_msg_arg *h_msg(struct guest *g, uint64_t gpa, uint32_t cmd, uint32_t session, uint32_t nparams)
{
	struct optee_msg_arg *m = h_ptr(g, gpa, GUEST_PAGE_SIZE);
	memset(m, 0, GUEST_PAGE_SIZE);
	m->cmd = cmd;
	m->session = session;
	m->num_params = nparams;
	m->ret = H_SENTINEL;
	m->ret_origin = H_SENTINEL;
	return m;
}

void h_param(struct optee_msg_arg *m, uint32_t i, uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	m->params[i].attr = attr;
	m->params[i].u.value.a = a;
	m->params[i].u.value.b = b;
	m->params[i].u.value.c = c;
}

static void meta(struct optee_msg_arg *m, uint32_t login)
{
	const uint64_t attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m->params[0].attr = attr;
	memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
	m->params[1].attr = attr;
	m->params[1].u.value.c = login;
}

uint32_t h_open(struct guest *g, uint64_t page, uint32_t login, uint32_t *sess)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_OPEN_SESSION, 0, 2);
	meta(m, login);
	uint32_t a0 = h_call_arg(g, page);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	if (sess)
		*sess = m->session;
	return m->ret;
}

uint32_t h_close(struct guest *g, uint64_t page, uint32_t sess)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_CLOSE_SESSION, sess, 0);
	uint32_t a0 = h_call_arg(g, page);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	return m->ret;
}

uint32_t h_inc(struct guest *g, uint64_t page, uint32_t sess, uint32_t v, uint32_t *out)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, sess, 1);
	m->func = VTEE_TEST_CMD_INC;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, v, 77, 0);
	uint32_t a0 = h_call_arg(g, page);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	if (out)
		*out = (uint32_t)m->params[0].u.value.a;
	return m->ret;
}

uint32_t h_register(struct guest *g, uint64_t page, uint64_t buf_ptr, uint64_t size, uint64_t cookie)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_REGISTER_SHM, 0, 1);
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, buf_ptr, size, cookie);
	uint32_t a0 = h_call_arg(g, page);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	return m->ret;
}

uint32_t h_unregister(struct guest *g, uint64_t page, uint64_t cookie)
{
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 1);
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 0, cookie);
	uint32_t a0 = h_call_arg(g, page);
	CHECK_EQ(a0, OPTEE_SMC_RETURN_OK);
	return m->ret;
}

void h_list(struct guest *g, uint64_t list_gpa, const uint64_t *pages, size_t n, uint64_t next)
{
	uint64_t *e = h_ptr(g, list_gpa, GUEST_PAGE_SIZE);
	memset(e, 0, GUEST_PAGE_SIZE);
	for (size_t i = 0; i < n && i < GUEST_PAGELIST_ENTRIES; i++)
		e[i] = pages[i];
	e[GUEST_PAGELIST_ENTRIES] = next;
}

uint32_t h_fnv(const uint8_t *b, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

/* ---- bystander ---- */

struct h_bystander {
	pthread_t thread;
	struct vtee_tee *tee;
	uint32_t vm_id;
	atomic_bool stop;
	atomic_ulong iterations, failures;
	bool setup_ok;
};

#define BY_FAIL(b, ...)                                                                     \
	do {                                                                                \
		if ((b)->failures++ < 10) {                                                 \
			pthread_mutex_lock(&print_lock);                                    \
			fprintf(stderr, "%s:%d: bystander vm %u: ", __FILE__, __LINE__, (b)->vm_id); \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			pthread_mutex_unlock(&print_lock);                                  \
		}                                                                           \
	} while (0)

static void *bystander_main(void *arg)
{
	struct h_bystander *b = arg;
	char name[32];
	snprintf(name, sizeof(name), "bystander%u", b->vm_id);
	struct vtee_vm_config vc = { .vm_id = b->vm_id, .name = name };
	struct guest_config gc = { .ram_size = 8u << 20, .ram2_size = 1u << 20 };
	struct guest *g;
	if (guest_create_vm(b->tee, &vc, &gc, &g)) {
		BY_FAIL(b, "guest_create_vm failed");
		return NULL;
	}
	char msg[512];
	if (guest_probe(g)) {
		guest_error(g, msg, sizeof(msg));
		BY_FAIL(b, "probe: %s", msg);
		guest_destroy(g);
		return NULL;
	}
	uint32_t sess = 0;
	uint32_t r = guest_open_session(g, h_test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL);
	struct guest_buf *in = NULL;
	(void)guest_buf_alloc(g, 6000, 100, GUEST_BUF_SCATTER, &in);
	struct guest_buf *out = NULL;
	(void)guest_buf_alloc(g, 6000, 7, GUEST_BUF_CONTIG, &out);
	struct guest_shm *shm = NULL;
	uint32_t rs = guest_shm_alloc(g, 3000, GUEST_BUF_SCATTER, &shm);
	if (r != TEE_SUCCESS || !in || !out || rs != TEE_SUCCESS) {
		guest_error(g, msg, sizeof(msg));
		BY_FAIL(b, "setup: open 0x%x shm 0x%x: %s", r, rs, msg);
		goto out;
	}
	b->setup_ok = true;
	uint8_t data[6000], got[6000];
	for (uint32_t i = 0; !atomic_load(&b->stop); i++) {
		/* INC */
		struct guest_param p[4] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, i, 0x5555, 0) };
		r = guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 1, 0, NULL);
		if (r != TEE_SUCCESS || p[0].u.value.a != (uint64_t)i + 1 || p[0].u.value.b != 0x5555)
			BY_FAIL(b, "INC %u: ret 0x%x a %llu b %llu", i, r, (unsigned long long)p[0].u.value.a,
				(unsigned long long)p[0].u.value.b);

		/* REVERSE: noncontig tmem in -> contig tmem out */
		size_t n = 1 + (i * 977u) % 5999u;
		for (size_t k = 0; k < n; k++)
			data[k] = (uint8_t)(k * 31u + i);
		guest_buf_write(g, in, 0, data, n);
		guest_buf_fill(g, out, 0, 0xEE, 6000);
		p[0] = guest_param_tmem(VTEE_PARAM_MEMREF_IN, in, 0, n, true);
		p[1] = guest_param_tmem(VTEE_PARAM_MEMREF_OUT, out, 0, 6000, false);
		r = guest_invoke(g, sess, VTEE_TEST_CMD_REVERSE, p, 2, 0, NULL);
		guest_buf_read(g, out, 0, got, n);
		bool ok = r == TEE_SUCCESS && p[1].u.memref.size == n;
		for (size_t k = 0; ok && k < n; k++)
			ok = got[k] == data[n - 1 - k];
		if (!ok)
			BY_FAIL(b, "REVERSE tmem %u: ret 0x%x size %llu (want %zu)", i, r,
				(unsigned long long)p[1].u.memref.size, n);

		/* REVERSE in place on registered memory */
		size_t m = 1 + (i * 131u) % 2999u;
		for (size_t k = 0; k < m; k++)
			data[k] = (uint8_t)(k ^ i);
		guest_buf_write(g, shm->buf, shm->offs + 1, data, m);
		p[0] = guest_param_rmem(VTEE_PARAM_MEMREF_INOUT, shm, 1, m);
		r = guest_invoke(g, sess, VTEE_TEST_CMD_REVERSE, p, 1, 0, NULL);
		guest_buf_read(g, shm->buf, shm->offs + 1, got, m);
		ok = r == TEE_SUCCESS && p[0].u.memref.size == m;
		for (size_t k = 0; ok && k < m; k++)
			ok = got[k] == data[m - 1 - k];
		if (!ok)
			BY_FAIL(b, "REVERSE rmem %u: ret 0x%x", i, r);

		/* HASH over the noncontig buffer */
		for (size_t k = 0; k < n; k++)
			data[k] = (uint8_t)(k * 7u + 3u * i);
		guest_buf_write(g, in, 0, data, n);
		p[0] = guest_param_tmem(VTEE_PARAM_MEMREF_IN, in, 0, n, true);
		p[1] = guest_param_value(VTEE_PARAM_VALUE_OUT, 1, 2, 3);
		r = guest_invoke(g, sess, VTEE_TEST_CMD_HASH, p, 2, 0, NULL);
		if (r != TEE_SUCCESS || p[1].u.value.a != h_fnv(data, n) || p[1].u.value.b != n)
			BY_FAIL(b, "HASH %u: ret 0x%x", i, r);
		b->iterations++;
	}
out:
	if (sess && guest_close_session(g, sess) != TEE_SUCCESS)
		BY_FAIL(b, "close");
	if (shm && guest_shm_unregister(g, shm) != TEE_SUCCESS)
		BY_FAIL(b, "unregister");
	if (in)
		guest_buf_free(g, in);
	if (out)
		guest_buf_free(g, out);
	guest_shutdown(g);
	struct vtee_vm_stats st = h_stats(g);
	if (st.sessions || st.shm_buffers || st.shm_pages || st.calls)
		BY_FAIL(b, "left over: %u sessions %u shm %llu pages %u calls", st.sessions, st.shm_buffers,
			(unsigned long long)st.shm_pages, st.calls);
	guest_destroy(g);
	return NULL;
}

struct h_bystander *h_bystander_start(struct vtee_tee *tee, uint32_t vm_id)
{
	struct h_bystander *b = calloc(1, sizeof(*b));
	if (!b)
		die("calloc");
	b->tee = tee;
	b->vm_id = vm_id;
	if (pthread_create(&b->thread, NULL, bystander_main, b))
		die("pthread_create");
	/* the attack starts once the bystander's traffic flows */
	for (int i = 0; i < 5000 && !atomic_load(&b->iterations) && !atomic_load(&b->failures); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return b;
}

void h_bystander_stop(struct h_bystander *b)
{
	/* let it do some work even if the attack was quick */
	for (int i = 0; i < 2000 && b->iterations < 20 && !b->failures; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	atomic_store(&b->stop, true);
	pthread_join(b->thread, NULL);
	h_note("bystander vm %u: %lu iterations, %lu failures", b->vm_id, atomic_load(&b->iterations),
	       atomic_load(&b->failures));
	CHECK(b->setup_ok);
	CHECK(atomic_load(&b->iterations) > 0);
	CHECK_EQ(atomic_load(&b->failures), 0);
	free(b);
}
