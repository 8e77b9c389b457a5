// SPDX-License-Identifier: MIT
/*
 * TAs in processes of their own (lib/backend/soft/ta_proc*.c, ta-host/),
 * driven through the soft back-end's ops as the core drives them, with the
 * test TAs of this folder (ta_proc_test.h) copied into a TA directory of
 * this run's own:
 *
 *   - open, invoke (values, memrefs both ways, SHORT_BUFFER sizes, NULL and
 *     empty memrefs, the client's identity), close
 *   - flags: SINGLE_INSTANCE (BUSY), KEEP_ALIVE (state kept across
 *     sessions), multi-instance (state apart), KEEP_CRASHED, VMs apart
 *   - misbehaviour (panic, SIGSEGV, stack, forbidden system calls, an
 *     ignored cancel): TARGET_DEAD on that session and after, everything
 *     else goes on; the forbidden calls end in SIGSYS (seccomp); the
 *     instance runs with Seccomp 2 and NoNewPrivs; memory is bounded
 *   - where TAs come from: the wrong UUID inside, a symlink, another
 *     directory, no TA directory
 *   - TA-to-TA identity, REE time, cancellation of TEE_Wait
 *   - a destroyed VM leaves no process, a closed back-end no fork server
 *
 *   - --daemon: the same TAs behind vtee-tee in its sandbox (the supervised
 *     path), through the link back-end
 *
 * argv: [--daemon VTEE-TEE] vtee-ta-host, then the test TAs' files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "link.h"
#include "ta_proc_test.h"
#include "vtee/backend.h"
#include "vtee/vtee.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

#define WAIT_US (20ull * 1000 * 1000)
#define LOGIN_TRUSTED_APP 0xF0000000u

/* the soft back-end here; "link" to a vtee-tee serving it in --daemon mode */
static const struct vtee_backend_ops *be = &vtee_soft_backend;
static const char *host_path;
static char ta_dir[64], other_dir[64];

enum { TA_MULTI = 0x01, TA_SINGLE = 0x02, TA_KEEP = 0x03, TA_BAD = 0x10, TA_BADKEEP = 0x11, TA_CRASHKEEP = 0x12 };

static struct vtee_uuid uuid_of(uint8_t last)
{
	struct vtee_uuid u = { { 0x5c, 0xe0, 0xc7, 0xa1, 0x00, 0x01, 0x40, 0x00, 0x80, 0, 0, 0, 0, 0, 0, last } };
	return u;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the log ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logbuf[1 << 18];
static size_t loglen;

static void collect(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	pthread_mutex_lock(&log_lock);
	size_t n = strlen(line);
	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = 0;
	}
	pthread_mutex_unlock(&log_lock);
	if (getenv("TA_PROC_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	loglen = 0;
	logbuf[0] = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Does a line with text appear within ms? */
static bool log_has(const char *text, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	do {
		pthread_mutex_lock(&log_lock);
		bool found = strstr(logbuf, text) != NULL;
		pthread_mutex_unlock(&log_lock);
		if (found)
			return true;
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

/* ---- requests ---- */

static void run(void *vm, struct vtee_req *r)
{
	vtee_req_arm(r);
	be->submit(vm, r);
	for (;;) {
		enum vtee_wait w = vtee_req_wait_event(r, WAIT_US);
		if (w == VTEE_WAIT_RPC) { /* REE time: what a guest kernel answers */
			r->rpc->num_params = 1;
			r->rpc->params[0].type = VTEE_PARAM_VALUE_OUT;
			r->rpc->params[0].u.value.a = 1234567;
			r->rpc->params[0].u.value.b = 0;
			r->rpc->ret = TEE_SUCCESS;
			vtee_req_rpc_answer(r);
			continue;
		}
		REQUIRE(w == VTEE_WAIT_DONE);
		return;
	}
}

static void *open_as(void *vm, uint8_t ta, uint32_t login, uint32_t *ret)
{
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = uuid_of(ta), .client = { .login = login } };
	memset(r.client.uuid.b, 0x42, sizeof(r.client.uuid.b));
	run(vm, &r);
	*ret = r.ret;
	if (r.ret != TEE_SUCCESS) {
		CHECK(r.session == NULL);
		CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
	}
	return r.session;
}

static void *open_ok(void *vm, uint8_t ta)
{
	uint32_t ret;
	void *s = open_as(vm, ta, TEE_LOGIN_PUBLIC, &ret);
	CHECK_EQ(ret, TEE_SUCCESS);
	return s;
}

static uint32_t close_s(void *vm, void *s)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = s };
	run(vm, &r);
	return r.ret;
}

/* A command with [0] VALUE_INOUT a, b: the result, origin and a, b out. */
static uint32_t cmd(void *vm, void *s, uint32_t func, uint32_t *a, uint32_t *b, uint32_t *origin)
{
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = s, .func = func, .num_params = 1 };
	r.params[0].type = VTEE_PARAM_VALUE_INOUT;
	r.params[0].u.value.a = a ? *a : 0;
	r.params[0].u.value.b = b ? *b : 0;
	run(vm, &r);
	if (a)
		*a = (uint32_t)r.params[0].u.value.a;
	if (b)
		*b = (uint32_t)r.params[0].u.value.b;
	if (origin)
		*origin = r.ret_origin;
	return r.ret;
}

static uint32_t add(void *vm, void *s, uint32_t x, uint32_t y)
{
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_ADD, .num_params = 2 };
	r.params[0].type = VTEE_PARAM_VALUE_IN;
	r.params[0].u.value.a = x;
	r.params[0].u.value.b = y;
	r.params[1].type = VTEE_PARAM_VALUE_OUT;
	run(vm, &r);
	return r.ret == TEE_SUCCESS ? (uint32_t)r.params[1].u.value.a : 0xffffffffu;
}

/* COUNTER: the instance's count after this call, and its pid. */
static uint32_t counter(void *vm, void *s, pid_t *pid)
{
	uint32_t a = 0, b = 0;
	CHECK_EQ(cmd(vm, s, TPT_CMD_COUNTER, &a, &b, NULL), TEE_SUCCESS);
	if (pid)
		*pid = (pid_t)b;
	return a;
}

/* A host buffer as guest shared memory: 4 KiB aligned, whole pages. */
struct hbuf {
	uint8_t *p;
	struct vtee_shm *shm;
};

static struct hbuf hbuf_new(size_t size)
{
	struct hbuf h = { NULL, NULL };
	size_t len = (size + 4095) & ~(size_t)4095;
	REQUIRE(posix_memalign((void **)&h.p, 4096, len ? len : 4096) == 0);
	memset(h.p, 0, len ? len : 4096);
	REQUIRE(vtee_host_shm_new(h.p, len, &h.shm) == 0);
	return h;
}

static void hbuf_free(struct hbuf *h)
{
	vtee_host_shm_free(h->shm);
	free(h->p);
}

static void set_memref(struct vtee_req *r, unsigned i, uint32_t type, struct vtee_shm *shm, uint64_t size)
{
	r->params[i].type = type;
	r->params[i].u.memref.shm = shm;
	r->params[i].u.memref.offs = 0;
	r->params[i].u.memref.size = size;
	if (r->num_params <= i)
		r->num_params = i + 1;
}

/* ---- set-up ---- */

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	REQUIRE(in >= 0 && out >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
}

static const char *ta_file(uint8_t ta, char *buf, size_t len)
{
	const uint8_t *b = uuid_of(ta).b;
	snprintf(buf, len, "%s/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x.ta", ta_dir, b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return buf;
}

static void *tee_with(const char *dirs_opt)
{
	char opts[512];
	snprintf(opts, sizeof(opts), "%sta_host=%s,ta_cancel_grace_ms=300", dirs_opt, host_path);
	void *tee = NULL;
	int r = be->open(opts, &tee);
	CHECK_EQ(r, 0);
	return tee;
}

static void *vm_new(void *tee, uint32_t id, const char *name)
{
	void *vm = NULL;
	REQUIRE(be->vm_created(tee, id, name, &vm) == 0);
	return vm;
}

static bool pid_gone(pid_t pid, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	do {
		char path[64], state = 0;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "re");
		if (!f)
			return true;
		if (fscanf(f, "%*d %*s %c", &state) != 1)
			state = 'Z';
		fclose(f);
		if (state == 'Z' || state == 'X')
			return true;
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

/* A line of /proc/PID/status ("Seccomp:"), its value as a number; -1 if absent. */
static long proc_status(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static pid_t parent_of(pid_t pid)
{
	char path[64];
	int ppid = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%*d %*s %*c %d", &ppid) != 1)
			ppid = -1;
		fclose(f);
	}
	return (pid_t)ppid;
}

/* ---- cases ---- */

static void basics(void *vm)
{
	void *s = open_ok(vm, TA_MULTI);
	CHECK_EQ(add(vm, s, 2, 3), 5);
	/* 1 MiB in, reversed out; then an output too small: SHORT_BUFFER with the size needed */
	size_t n = 1u << 20;
	struct hbuf in = hbuf_new(n), out = hbuf_new(n);
	for (size_t i = 0; i < n; i++)
		in.p[i] = (uint8_t)(i * 7 + 1);
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_REVERSE };
	set_memref(&r, 0, VTEE_PARAM_MEMREF_IN, in.shm, n);
	set_memref(&r, 1, VTEE_PARAM_MEMREF_OUT, out.shm, n);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.memref.size, n);
	CHECK(out.p[0] == in.p[n - 1] && out.p[n - 1] == in.p[0] && out.p[n / 2] == in.p[n - 1 - n / 2]);
	memset(out.p, 0xee, 16);
	r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_REVERSE };
	set_memref(&r, 0, VTEE_PARAM_MEMREF_IN, in.shm, 64);
	set_memref(&r, 1, VTEE_PARAM_MEMREF_OUT, out.shm, 16);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(r.params[1].u.memref.size, 64);
	CHECK_EQ(out.p[0], 0xee); /* nothing written beyond what fits */
	/* a NULL memref reaches the TA as NULL, size 0; an empty one as a buffer of size 0; sizes come back */
	r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_NULLREF, .num_params = 2 };
	set_memref(&r, 0, VTEE_PARAM_MEMREF_INOUT, NULL, 100);
	r.params[1].type = VTEE_PARAM_VALUE_OUT;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.params[1].u.value.a, 0);
	CHECK_EQ(r.params[1].u.value.b, 0);
	CHECK_EQ(r.params[0].u.memref.size, 77);
	set_memref(&r, 0, VTEE_PARAM_MEMREF_INOUT, out.shm, 0);
	run(vm, &r);
	CHECK_EQ(r.params[1].u.value.a, 1);
	CHECK_EQ(r.params[1].u.value.b, 0);
	/* more memref bytes than a call may carry: refused before the TA */
	struct hbuf big = hbuf_new(5u << 20);
	r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_FILL };
	set_memref(&r, 0, VTEE_PARAM_MEMREF_INOUT, big.shm, 5u << 20);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
	hbuf_free(&big);
	hbuf_free(&in);
	hbuf_free(&out);
	CHECK_EQ(close_s(vm, s), TEE_SUCCESS);
}

/* The client identity the TA sees: the guest's login and UUID; TA-to-TA: TRUSTED_APP + the caller's UUID. */
static void identities(void *vm)
{
	uint32_t ret;
	void *s = open_as(vm, TA_MULTI, TEE_LOGIN_USER, &ret);
	CHECK_EQ(ret, TEE_SUCCESS);
	struct hbuf id = hbuf_new(16);
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_WHOAMI, .num_params = 1 };
	r.params[0].type = VTEE_PARAM_VALUE_OUT;
	set_memref(&r, 1, VTEE_PARAM_MEMREF_OUT, id.shm, 16);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, TEE_LOGIN_USER);
	CHECK_EQ(id.p[0], 0x42);
	/* TA-to-TA: the multi-instance TA opens the keep-alive one; the callee sees the caller */
	struct hbuf dest = hbuf_new(16);
	const uint8_t want[16] = { 0xa1, 0xc7, 0xe0, 0x5c, 0x01, 0x00, 0x00, 0x40, 0x80, 0, 0, 0, 0, 0, 0, TA_MULTI };
	const uint8_t keep[16] = { 0xa1, 0xc7, 0xe0, 0x5c, 0x01, 0x00, 0x00, 0x40, 0x80, 0, 0, 0, 0, 0, 0, TA_KEEP };
	memcpy(dest.p, keep, 16); /* a TEE_UUID as the TA lays it out (little-endian fields) */
	memset(id.p, 0, 16);
	r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = TPT_CMD_TA2TA };
	set_memref(&r, 0, VTEE_PARAM_MEMREF_IN, dest.shm, 16);
	r.params[1].type = VTEE_PARAM_VALUE_OUT;
	set_memref(&r, 2, VTEE_PARAM_MEMREF_OUT, id.shm, 16);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, LOGIN_TRUSTED_APP);
	CHECK(!memcmp(id.p, want, 16));
	/* REE time: an RPC to the guest (answered by run()) */
	uint32_t a = 0;
	CHECK_EQ(cmd(vm, s, TPT_CMD_REE_TIME, &a, NULL, NULL), TEE_SUCCESS);
	CHECK_EQ(a, 1234567);
	hbuf_free(&id);
	hbuf_free(&dest);
	CHECK_EQ(close_s(vm, s), TEE_SUCCESS);
}

static void flags(void *vm1, void *vm2)
{
	uint32_t ret;
	/* single instance: a second session is BUSY until the first is closed */
	void *s1 = open_ok(vm1, TA_SINGLE);
	CHECK(open_as(vm1, TA_SINGLE, TEE_LOGIN_PUBLIC, &ret) == NULL);
	CHECK_EQ(ret, TEE_ERROR_BUSY);
	CHECK_EQ(close_s(vm1, s1), TEE_SUCCESS);
	s1 = open_ok(vm1, TA_SINGLE);
	CHECK_EQ(counter(vm1, s1, NULL), 1); /* a new instance: the last one ended with its session */
	CHECK_EQ(close_s(vm1, s1), TEE_SUCCESS);
	/* keep-alive: the instance and its state outlive the session */
	pid_t p1, p2, p3;
	s1 = open_ok(vm1, TA_KEEP);
	void *s2 = open_ok(vm1, TA_KEEP); /* multi-session */
	CHECK_EQ(counter(vm1, s1, &p1), 1);
	CHECK_EQ(counter(vm1, s2, &p2), 2);
	CHECK_EQ(p1, p2);
	CHECK_EQ(close_s(vm1, s1), TEE_SUCCESS);
	CHECK_EQ(close_s(vm1, s2), TEE_SUCCESS);
	s1 = open_ok(vm1, TA_KEEP);
	CHECK_EQ(counter(vm1, s1, &p2), 3);
	CHECK_EQ(p1, p2);
	/* never shared between VMs */
	s2 = open_ok(vm2, TA_KEEP);
	CHECK_EQ(counter(vm2, s2, &p3), 1);
	CHECK(p3 != p1);
	CHECK_EQ(close_s(vm2, s2), TEE_SUCCESS);
	CHECK_EQ(close_s(vm1, s1), TEE_SUCCESS);
	/* multi-instance: every session its own process and state */
	s1 = open_ok(vm1, TA_MULTI);
	s2 = open_ok(vm1, TA_MULTI);
	CHECK_EQ(counter(vm1, s1, &p1), 1);
	CHECK_EQ(counter(vm1, s1, NULL), 2);
	CHECK_EQ(counter(vm1, s2, &p2), 1);
	CHECK(p1 != p2);
	CHECK_EQ(close_s(vm1, s1), TEE_SUCCESS);
	CHECK(pid_gone(p1, 3000)); /* its last session closed: the instance ended */
	CHECK_EQ(close_s(vm1, s2), TEE_SUCCESS);
}

struct bad_case {
	uint32_t cmd;
	const char *log; /* what the TEE's log must say about the death */
};

static void one_misbehaviour(void *vm1, void *vm2, void *good1, void *good2, const struct bad_case *bc)
{
	log_clear();
	void *s = open_ok(vm1, TA_BAD);
	uint32_t origin = 0, a = 0;
	uint32_t ret = cmd(vm1, s, bc->cmd, &a, NULL, &origin);
	CHECK_EQ(ret, TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	if (ret != TEE_ERROR_TARGET_DEAD)
		fprintf(stderr, "  command %u was let through\n", bc->cmd);
	/* the session stays dead; closing it succeeds without the TA */
	CHECK_EQ(cmd(vm1, s, TPT_CMD_PANIC, NULL, NULL, &origin), TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	CHECK_EQ(close_s(vm1, s), TEE_SUCCESS);
	if (bc->log && !log_has(bc->log, 3000))
		fprintf(stderr, "  command %u: no \"%s\" in the log:\n%s", bc->cmd, bc->log, logbuf);
	CHECK(!bc->log || log_has(bc->log, 0));
	/* another TA in the same VM, and another VM, go on */
	CHECK_EQ(add(vm1, good1, 40, 2), 42);
	CHECK_EQ(add(vm2, good2, 40, 2), 42);
}

static void misbehaviour(void *vm1, void *vm2)
{
	static const struct bad_case cases[] = {
		{ TPT_CMD_PANIC, "panicked (code 0xbad)" },
		/* ASan takes the SIGSEGV itself, reports and exits with 1 */
		{ TPT_CMD_SEGV, UNDER_ASAN ? "exited with status 1" : "signal 11" },
		{ TPT_CMD_STACK, UNDER_ASAN ? "exited with status 1" : "signal 11" },
		{ TPT_CMD_OPEN, "signal 31" }, /* SIGSYS: the seccomp filter killed it */
		{ TPT_CMD_SOCKET, "signal 31" },
		{ TPT_CMD_EXEC, "signal 31" },
		{ TPT_CMD_FORK, "signal 31" },
		{ TPT_CMD_THREAD, "signal 31" },
		{ TPT_CMD_EXECMEM, "signal 31" },
	};
	void *good1 = open_ok(vm1, TA_KEEP), *good2 = open_ok(vm2, TA_MULTI);
	pid_t inst;
	counter(vm1, good1, &inst);
	CHECK_EQ(proc_status(inst, "Seccomp:"), 2);
	CHECK_EQ(proc_status(inst, "NoNewPrivs:"), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		one_misbehaviour(vm1, vm2, good1, good2, &cases[i]);
	if (!UNDER_ASAN) { /* ASan's shadow needs terabytes of address space: no RLIMIT_AS there */
		void *s = open_ok(vm1, TA_BAD);
		uint32_t mib = 0;
		CHECK_EQ(cmd(vm1, s, TPT_CMD_HOG, &mib, NULL, NULL), TEE_SUCCESS);
		CHECK_CMP(mib, >=, 8);    /* it did get memory ... */
		CHECK_CMP(mib, <=, 160);  /* ... bounded by TA_DATA_SIZE + the allowance, nowhere near the host's */
		CHECK_EQ(close_s(vm1, s), TEE_SUCCESS);
	}
	CHECK_EQ(close_s(vm1, good1), TEE_SUCCESS);
	CHECK_EQ(close_s(vm2, good2), TEE_SUCCESS);
}

struct async_call {
	void *vm;
	struct vtee_req r;
	pthread_t t;
};

static void *async_run(void *arg)
{
	struct async_call *ac = arg;
	run(ac->vm, &ac->r);
	return NULL;
}

static void start_cmd(struct async_call *ac, void *vm, void *s, uint32_t func, uint32_t a)
{
	ac->vm = vm;
	ac->r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = func, .num_params = 1 };
	ac->r.params[0].type = VTEE_PARAM_VALUE_INOUT;
	ac->r.params[0].u.value.a = a;
	REQUIRE(pthread_create(&ac->t, NULL, async_run, ac) == 0);
}

static void cancellation(void *vm1)
{
	/* TEE_Wait with cancellation unmasked: a cancel ends it at once, the instance lives on */
	void *s = open_ok(vm1, TA_MULTI);
	struct async_call ac;
	uint64_t t0 = now_ms();
	start_cmd(&ac, vm1, s, TPT_CMD_WAIT, 20000);
	usleep(200000);
	be->cancel(vm1, &ac.r);
	pthread_join(ac.t, NULL);
	CHECK_EQ(ac.r.ret, TEE_ERROR_CANCEL);
	CHECK_CMP(now_ms() - t0, <, 5000);
	CHECK_EQ(add(vm1, s, 1, 1), 2);
	CHECK_EQ(close_s(vm1, s), TEE_SUCCESS);
	/* a TA that ignores the cancel is killed after the grace time (300 ms here) */
	s = open_ok(vm1, TA_BAD);
	t0 = now_ms();
	start_cmd(&ac, vm1, s, TPT_CMD_LOOP, 0);
	usleep(200000);
	be->cancel(vm1, &ac.r);
	pthread_join(ac.t, NULL);
	CHECK_EQ(ac.r.ret, TEE_ERROR_TARGET_DEAD);
	CHECK_CMP(now_ms() - t0, >=, 450);
	CHECK_CMP(now_ms() - t0, <, 5000);
	CHECK(log_has("ignored a cancel", 1000));
	CHECK_EQ(close_s(vm1, s), TEE_SUCCESS);
}

static void keep_crashed(void *vm)
{
	uint32_t ret;
	/* KEEP_CRASHED: the dead instance stays, every open after gets TARGET_DEAD */
	void *s = open_ok(vm, TA_CRASHKEEP);
	CHECK_EQ(cmd(vm, s, TPT_CMD_PANIC, NULL, NULL, NULL), TEE_ERROR_TARGET_DEAD);
	CHECK(open_as(vm, TA_CRASHKEEP, TEE_LOGIN_PUBLIC, &ret) == NULL);
	CHECK_EQ(ret, TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(close_s(vm, s), TEE_SUCCESS);
	/* without it, a keep-alive instance that died is replaced by a new one */
	s = open_ok(vm, TA_BADKEEP);
	CHECK_EQ(cmd(vm, s, TPT_CMD_SEGV, NULL, NULL, NULL), TEE_ERROR_TARGET_DEAD);
	void *s2 = open_ok(vm, TA_BADKEEP);
	CHECK(s2 != NULL);
	CHECK_EQ(close_s(vm, s), TEE_SUCCESS);
	if (s2)
		CHECK_EQ(close_s(vm, s2), TEE_SUCCESS);
}

static void not_found(void *vm, uint8_t ta, const char *why)
{
	uint32_t ret;
	void *s = open_as(vm, ta, TEE_LOGIN_PUBLIC, &ret);
	CHECK(s == NULL);
	CHECK_EQ(ret, TEE_ERROR_ITEM_NOT_FOUND);
	if (ret != TEE_ERROR_ITEM_NOT_FOUND)
		fprintf(stderr, "  %s: opened\n", why);
}

/* Only <dir>/<uuid>.ta of a configured directory, a regular file whose .ta_head names that UUID. */
static void sources(void *vm)
{
	char from[256], to[256];
	/* the multi-instance TA's file under another UUID's name */
	ta_file(TA_MULTI, from, sizeof(from));
	ta_file(0x99, to, sizeof(to));
	copy_file(from, to);
	not_found(vm, 0x99, "a TA whose .ta_head names another UUID");
	/* a symlink with that name, to a real TA */
	ta_file(0x98, to, sizeof(to));
	REQUIRE(symlink(from, to) == 0);
	not_found(vm, 0x98, "a symlink");
	/* not an ELF file at all */
	ta_file(0x97, to, sizeof(to));
	FILE *f = fopen(to, "w");
	REQUIRE(f && fputs("not a TA\n", f) >= 0 && fclose(f) == 0);
	not_found(vm, 0x97, "a text file");
	not_found(vm, 0x96, "no such file");
	/* a back-end with another directory, holding a symlink to a real TA under its right name */
	snprintf(to, sizeof(to), "%s/%s", other_dir, strrchr(from, '/') + 1);
	REQUIRE(symlink(from, to) == 0);
	char opt[320];
	snprintf(opt, sizeof(opt), "ta_dir=%s,", other_dir);
	void *tee = tee_with(opt);
	void *vm2 = vm_new(tee, 77, "other");
	not_found(vm2, TA_MULTI, "a TA outside the configured directories, or a symlink to it");
	be->vm_destroyed(vm2);
	be->close(tee);
	/* no TA directory at all: nothing but the built-in TAs, as before */
	void *plain = NULL;
	REQUIRE(be->open(NULL, &plain) == 0);
	vm2 = vm_new(plain, 78, "plain");
	not_found(vm2, TA_MULTI, "no ta_dir");
	be->vm_destroyed(vm2);
	be->close(plain);
}

/* A destroyed VM leaves no TA process behind, even with a call in flight; a closed back-end no fork server. */
static void teardown(void *tee)
{
	void *vm = vm_new(tee, 99, "doomed");
	pid_t pids[4];
	void *s[4] = { open_ok(vm, TA_MULTI), open_ok(vm, TA_MULTI), open_ok(vm, TA_KEEP), open_ok(vm, TA_BAD) };
	for (int i = 0; i < 3; i++)
		counter(vm, s[i], &pids[i]);
	pids[3] = -1;
	struct async_call ac;
	start_cmd(&ac, vm, s[3], TPT_CMD_LOOP, 0); /* spinning, never cancelled */
	usleep(200000);
	pid_t server = parent_of(pids[0]);
	CHECK(server > 1);
	uint64_t t0 = now_ms();
	be->vm_destroyed(vm);
	pthread_join(ac.t, NULL);
	CHECK_CMP(now_ms() - t0, <, 3000);
	CHECK_EQ(ac.r.ret, TEE_ERROR_TARGET_DEAD);
	for (int i = 0; i < 3; i++)
		CHECK(pid_gone(pids[i], 3000));
	be->close(tee);
	CHECK(server > 1 && pid_gone(server, 3000));
}

static void run_cases(void)
{
	char opt[320];
	/* a directory that does not exist is skipped; other_dir is for sources() only */
	snprintf(opt, sizeof(opt), "ta_dir=%s/none,ta_dir=%s,", other_dir, ta_dir);
	void *tee = tee_with(opt);
	REQUIRE(tee != NULL);
	void *vm1 = vm_new(tee, 1, "vm-one"), *vm2 = vm_new(tee, 2, "vm-two");
	basics(vm1);
	identities(vm1);
	flags(vm1, vm2);
	misbehaviour(vm1, vm2);
	cancellation(vm1);
	keep_crashed(vm1);
	sources(vm1);
	CHECK(log_has("ta[vm-one 5ce0c7a1-0001-4000-8000-000000000001]: ", 0)); /* the TA's own log lines */
	be->vm_destroyed(vm1);
	be->vm_destroyed(vm2);
	teardown(tee);
}

/*
 * vtee-tee, sandboxed as it runs behind vteed; the TA directories through
 * its --ta-dir (one that does not exist) and its policy's [ta] dirs; this
 * process is its mediator (the link back-end).
 */
static pid_t daemon_start(const char *tee_path, void **tee)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	char opts[512], link_opt[32], policy[128], missing[128];
	snprintf(opts, sizeof(opts), "ta_host=%s,ta_cancel_grace_ms=300", host_path);
	snprintf(policy, sizeof(policy), "%s/policy.ini", other_dir);
	snprintf(missing, sizeof(missing), "%s/none", other_dir);
	FILE *f = fopen(policy, "w");
	REQUIRE(f && fprintf(f, "[ta]\ndirs = %s\n", ta_dir) > 0 && fclose(f) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 100);
	char *argv[] = { (char *)tee_path, "--fd", "100", "--options", opts, "--ta-dir", missing, "--policy", policy, NULL };
	extern char **environ;
	pid_t pid;
	REQUIRE(posix_spawn(&pid, tee_path, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	be = &vtee_link_backend;
	snprintf(link_opt, sizeof(link_opt), "fd=%d", sv[0]);
	REQUIRE(be->open(link_opt, tee) == 0);
	return pid;
}

static void daemon_path(const char *tee_path)
{
	void *tee;
	pid_t tee_pid = daemon_start(tee_path, &tee);
	void *vm = vm_new(tee, 7, "linked");
	basics(vm);
	void *good = open_ok(vm, TA_KEEP), *bad = open_ok(vm, TA_BAD);
	pid_t inst;
	counter(vm, good, &inst);
	CHECK_EQ(proc_status(tee_pid, "Seccomp:"), 2); /* vtee-tee serves TAs from inside its sandbox */
	CHECK_EQ(proc_status(inst, "Seccomp:"), 2);
	CHECK_EQ(cmd(vm, bad, TPT_CMD_SOCKET, NULL, NULL, NULL), TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(add(vm, good, 20, 22), 42);
	CHECK_EQ(close_s(vm, bad), TEE_SUCCESS);
	be->vm_destroyed(vm);
	be->close(tee); /* its last connection: vtee-tee destroys the VM and exits */
	int st = -1;
	CHECK(waitpid(tee_pid, &st, 0) == tee_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(pid_gone(inst, 3000));
}

int main(int argc, char **argv)
{
	const char *daemon = NULL;
	if (argc >= 3 && !strcmp(argv[1], "--daemon")) {
		daemon = argv[2];
		argv += 2;
		argc -= 2;
	}
	REQUIRE(argc >= 2);
	host_path = argv[1];
	snprintf(ta_dir, sizeof(ta_dir), "/tmp/vtee-ta-proc-XXXXXX");
	snprintf(other_dir, sizeof(other_dir), "/tmp/vtee-ta-other-XXXXXX");
	REQUIRE(mkdtemp(ta_dir) && mkdtemp(other_dir));
	chmod(ta_dir, 0755); /* the TA host may run as nobody */
	chmod(other_dir, 0755);
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		char to[256];
		snprintf(to, sizeof(to), "%s/%s", ta_dir, base ? base + 1 : argv[i]);
		copy_file(argv[i], to);
	}
	vtee_set_log(collect, NULL);
	if (daemon)
		daemon_path(daemon);
	else
		run_cases();
	char cmdline[256];
	snprintf(cmdline, sizeof(cmdline), "rm -rf %s %s", ta_dir, other_dir);
	if (system(cmdline) != 0)
		fprintf(stderr, "could not remove %s\n", ta_dir);
	return check_report();
}
