// SPDX-License-Identifier: MIT
/*
 * The soft back-end driven directly through its ops table, the way the core
 * drives it: arm, submit, wait. Only value parameters and null memrefs, so no
 * shared memory is needed. Run under ASan: vm_destroyed must free everything.
 * Everything runs twice: with quick calls inline (the default) and "inline=0".
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vtee/backend.h"
#include "vtee/test_ta.h"

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

#define CHECK_EQ(got, want)                                                            \
	do {                                                                           \
		unsigned long long g_ = (unsigned long long)(got);                     \
		unsigned long long w_ = (unsigned long long)(want);                    \
		if (g_ != w_) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (0x%llx != 0x%llx)\n", \
				__FILE__, __LINE__, #got, #want, g_, w_);              \
			abort();                                                       \
		}                                                                      \
	} while (0)

static const struct vtee_backend_ops *const be = &vtee_soft_backend;

static const struct vtee_uuid test_uuid = { VTEE_TEST_TA_UUID_BYTES };
static const struct vtee_uuid device_uuid = { { 0x70, 0x11, 0xa6, 0x88, 0xdd, 0xde, 0x40, 0x53,
						0xa5, 0xa9, 0x7b, 0x3c, 0x4d, 0xdf, 0x13, 0xb8 } };
static const struct vtee_uuid rng_uuid = { { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
					     0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 } };

#define WAIT_US (10ull * 1000 * 1000)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void start(void *vm, struct vtee_req *r)
{
	vtee_req_arm(r);
	be->submit(vm, r);
}

static void run(void *vm, struct vtee_req *r)
{
	start(vm, r);
	CHECK(vtee_req_wait(r, WAIT_US));
}

static void set_val(struct vtee_req *r, unsigned i, uint32_t type, uint64_t a, uint64_t b)
{
	r->params[i].type = type;
	r->params[i].u.value.a = a;
	r->params[i].u.value.b = b;
	r->params[i].u.value.c = 0x5555; /* must come back 0 for outputs */
	if (r->num_params <= i)
		r->num_params = i + 1;
}

static void set_nullref(struct vtee_req *r, unsigned i, uint32_t type, uint64_t size)
{
	r->params[i].type = type;
	r->params[i].u.memref.shm = NULL;
	r->params[i].u.memref.offs = 0;
	r->params[i].u.memref.size = size;
	if (r->num_params <= i)
		r->num_params = i + 1;
}

static struct vtee_req open_req(const struct vtee_uuid *ta, uint32_t login)
{
	return (struct vtee_req){ .op = VTEE_REQ_OPEN, .ta = *ta,
				  .client = { .vm_id = 0xdead, .login = login } };
}

static void *open_ok(void *vm, const struct vtee_uuid *ta)
{
	struct vtee_req r = open_req(ta, TEE_LOGIN_PUBLIC);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK(r.session != NULL);
	return r.session;
}

static struct vtee_req invoke_req(void *sess, uint32_t func)
{
	return (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = sess, .func = func,
				  .client = { .vm_id = 0xdead } };
}

static uint32_t close_session(void *vm, void *sess)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = sess };
	run(vm, &r);
	return r.ret;
}

static uint32_t sessions_now(void *vm, void *sess)
{
	struct vtee_req r = invoke_req(sess, VTEE_TEST_CMD_SESSIONS);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	return (uint32_t)r.params[0].u.value.a;
}

static void *new_tee(const char *options)
{
	void *tee = NULL;
	CHECK_EQ(be->open(options, &tee), 0);
	CHECK(tee != NULL);
	return tee;
}

static void *new_vm(void *tee, uint32_t id)
{
	void *vm = NULL;
	CHECK_EQ(be->vm_created(tee, id, "vm", &vm), 0);
	CHECK(vm != NULL);
	return vm;
}

static void test_options(void)
{
	void *tee = (void *)1;
	CHECK_EQ(be->open("bogus", &tee), -EINVAL);
	CHECK_EQ(be->open("threads=0", &tee), -EINVAL);
	CHECK_EQ(be->open("threads=4x", &tee), -EINVAL);
	CHECK_EQ(be->open("threads=-1", &tee), -EINVAL);
	CHECK_EQ(be->open("threads=4,", &tee), 0);
	be->close(tee);
	CHECK_EQ(be->open("inline=2", &tee), -EINVAL);
	CHECK_EQ(be->open("inline=", &tee), -EINVAL);
	CHECK_EQ(be->open("inline=01", &tee), -EINVAL);
	CHECK_EQ(be->open("inline", &tee), -EINVAL);
	CHECK_EQ(be->open("threads=4,inline=0", &tee), 0);
	be->close(tee);
	CHECK_EQ(be->open("inline=1,threads=2", &tee), 0);
	be->close(tee);
	be->close(new_tee(""));
	be->close(new_tee(NULL));
	CHECK(strcmp(be->name, "soft") == 0);
}

static void test_basic(void *vm)
{
	void *s = open_ok(vm, &test_uuid);

	struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_INC);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 41, 7);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(r.params[0].u.value.a, 42);
	CHECK_EQ(r.params[0].u.value.b, 7);
	CHECK_EQ(r.params[0].u.value.c, 0);

	/* GP values are 32-bit: the upper half is dropped, the result wraps. */
	r = invoke_req(s, VTEE_TEST_CMD_INC);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 0x1ffffffffull, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 0);

	/* wrong types, unknown command, NULL with parameters */
	r = invoke_req(s, VTEE_TEST_CMD_INC);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 1, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	r = invoke_req(s, 0x1234);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	r = invoke_req(s, VTEE_TEST_CMD_NULL);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	set_val(&r, 2, VTEE_PARAM_VALUE_IN, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);

	/* a parameter type that does not exist is the framework's to refuse */
	r = invoke_req(s, VTEE_TEST_CMD_NULL);
	r.num_params = 1;
	r.params[0].type = 4;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
	r = invoke_req(s, VTEE_TEST_CMD_NULL);
	r.num_params = 5;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);

	/* null memrefs: HASH of nothing is the FNV offset basis; LOAD of nothing is empty */
	r = invoke_req(s, VTEE_TEST_CMD_HASH);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_IN, 0);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 9, 9);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, 0x811c9dc5u);
	CHECK_EQ(r.params[1].u.value.b, 0);
	r = invoke_req(s, VTEE_TEST_CMD_HASH);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_IN, 8);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke_req(s, VTEE_TEST_CMD_LOAD);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.memref.size, 0);

	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

static void *open_as(void *vm, uint32_t login)
{
	struct vtee_req r = open_req(&test_uuid, login);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	return r.session;
}

static void test_whoami(void *vm, uint32_t vm_id)
{
	/* identity is fixed at OPEN: what an INVOKE request claims does not count */
	void *s = open_as(vm, TEE_LOGIN_USER);
	struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_WHOAMI);
	r.client.vm_id = 4242; /* the back-end must use its own idea of the VM */
	r.client.login = TEE_LOGIN_REE_KERNEL;
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, vm_id);
	CHECK_EQ(r.params[0].u.value.b, TEE_LOGIN_USER);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);

	/* the optional UUID into a null memref: size query */
	s = open_as(vm, TEE_LOGIN_REE_KERNEL);
	r = invoke_req(s, VTEE_TEST_CMD_WHOAMI);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	set_nullref(&r, 1, VTEE_PARAM_MEMREF_OUT, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.params[1].u.memref.size, 16);
	CHECK_EQ(r.params[0].u.value.a, vm_id);
	CHECK_EQ(r.params[0].u.value.b, TEE_LOGIN_REE_KERNEL);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

static void test_sessions(void *vm, void *other_vm)
{
	void *a = open_ok(vm, &test_uuid);
	void *b = open_ok(vm, &test_uuid);
	void *c = open_ok(vm, &test_uuid);
	CHECK(a != b && b != c && a != c);
	CHECK_EQ(sessions_now(vm, a), 3);
	CHECK_EQ(close_session(vm, b), TEE_SUCCESS);
	CHECK_EQ(sessions_now(vm, c), 2);

	/* another VM has its own instance */
	void *x = open_ok(other_vm, &test_uuid);
	CHECK_EQ(sessions_now(other_vm, x), 1);
	CHECK_EQ(sessions_now(vm, a), 2);

	/* a closed session, a foreign VM's session and garbage are all refused */
	void *bogus[] = { b, x, (void *)&bogus, NULL, (void *)(uintptr_t)1 };
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		struct vtee_req r = invoke_req(bogus[i], VTEE_TEST_CMD_NULL);
		run(vm, &r);
		CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
		CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
		CHECK(close_session(vm, bogus[i]) == TEE_ERROR_BAD_PARAMETERS);
	}
	CHECK_EQ(sessions_now(other_vm, x), 1);
	CHECK_EQ(close_session(other_vm, x), TEE_SUCCESS);
	CHECK_EQ(close_session(vm, a), TEE_SUCCESS);
	CHECK_EQ(sessions_now(vm, c), 1);
	CHECK_EQ(close_session(vm, c), TEE_SUCCESS);
}

/* Many sessions opened and closed out of order: the live set must stay exact. */
static void test_many_sessions(void *vm)
{
	enum { N = 300 };
	void **s = calloc(N, sizeof(*s));
	CHECK(s);
	for (int i = 0; i < N; i++)
		s[i] = open_ok(vm, &test_uuid);
	for (int i = 0; i < N; i += 3)
		CHECK_EQ(close_session(vm, s[i]), TEE_SUCCESS);
	for (int i = 0; i < N; i++) {
		struct vtee_req r = invoke_req(s[i], VTEE_TEST_CMD_NULL);
		run(vm, &r);
		CHECK_EQ(r.ret, i % 3 ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS);
	}
	CHECK_EQ(sessions_now(vm, s[1]), N - (N + 2) / 3);
	for (int i = N - 1; i >= 0; i--)
		if (i % 3)
			CHECK_EQ(close_session(vm, s[i]), TEE_SUCCESS);
	free(s);
}

static void test_unknown_ta(void *vm)
{
	struct vtee_uuid u = test_uuid;
	u.b[15] ^= 1;
	struct vtee_req r = open_req(&u, TEE_LOGIN_PUBLIC);
	r.session = (void *)&r;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
	CHECK(r.session == NULL);
}

static void test_sleep_cancel(void *vm)
{
	void *s = open_ok(vm, &test_uuid);

	/* an uncancelled sleep sleeps */
	struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 30, 0);
	uint64_t t0 = now_ms();
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK(now_ms() - t0 >= 30);

	r = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	t0 = now_ms();
	start(vm, &r);
	CHECK(!vtee_req_wait(&r, 20 * 1000)); /* still sleeping after 20 ms */
	be->cancel(vm, &r);
	CHECK(vtee_req_wait(&r, WAIT_US));
	CHECK_EQ(r.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK(now_ms() - t0 < 1000);

	/* cancelling what has finished is harmless, and does not leak into the next call */
	be->cancel(vm, &r);
	r = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 10, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);

	/* cancel racing completion */
	for (int i = 0; i < 2000; i++) {
		r = invoke_req(s, VTEE_TEST_CMD_NULL);
		start(vm, &r);
		be->cancel(vm, &r);
		CHECK(vtee_req_wait(&r, WAIT_US));
		CHECK_EQ(r.ret, TEE_SUCCESS);
	}
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

/* CLOSE while an invoke runs: answered at once, the TA's close waits for the invoke. */
static void test_close_during_invoke(void *vm)
{
	void *s = open_ok(vm, &test_uuid);
	void *w = open_ok(vm, &test_uuid);
	struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	start(vm, &r);
	CHECK(!vtee_req_wait(&r, 10 * 1000));
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
	CHECK(!vtee_req_wait(&r, 0));
	CHECK_EQ(sessions_now(vm, w), 2); /* still held by the sleeping invoke */
	struct vtee_req again = invoke_req(s, VTEE_TEST_CMD_NULL);
	run(vm, &again);
	CHECK_EQ(again.ret, TEE_ERROR_BAD_PARAMETERS);
	be->cancel(vm, &r);
	CHECK(vtee_req_wait(&r, WAIT_US));
	CHECK_EQ(r.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(sessions_now(vm, w), 1); /* the invoke's end ran the TA's close */
	CHECK_EQ(close_session(vm, w), TEE_SUCCESS);
}

static void test_device_pta(void *vm)
{
	void *s = open_ok(vm, &device_uuid);
	struct vtee_req r = invoke_req(s, 0); /* GET_DEVICES: the RNG TA */
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	r.num_params = 4;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(r.params[0].u.memref.size, 16);
	for (uint32_t cmd = 1; cmd <= 2; cmd++) { /* SUPP, RPMB: none */
		r = invoke_req(s, cmd);
		set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 64);
		run(vm, &r);
		CHECK_EQ(r.ret, TEE_SUCCESS);
		CHECK_EQ(r.params[0].u.memref.size, 0);
	}
	r = invoke_req(s, 0);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_INOUT, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke_req(s, 0);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	set_val(&r, 1, VTEE_PARAM_VALUE_IN, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke_req(s, 3);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

static void test_rng(void *vm)
{
	void *s = open_ok(vm, &rng_uuid);
	struct vtee_req r = invoke_req(s, 1); /* GET_RNG_INFO */
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	r.num_params = 4;
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 1048576);
	CHECK_EQ(r.params[0].u.value.b, 1024);
	CHECK_EQ(r.params[0].u.value.c, 0);
	r = invoke_req(s, 1);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke_req(s, 0); /* GET_ENTROPY into nothing */
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_INOUT, 16);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

struct hammer {
	void *vm;
	int calls;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	void *s = open_ok(h->vm, &test_uuid);
	for (int i = 0; i < h->calls; i++) {
		struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_INC);
		set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, (uint64_t)i, (uint64_t)~i);
		run(h->vm, &r);
		CHECK_EQ(r.ret, TEE_SUCCESS);
		CHECK_EQ(r.params[0].u.value.a, (uint32_t)i + 1);
		CHECK_EQ(r.params[0].u.value.b, (uint32_t)~i);
	}
	CHECK_EQ(close_session(h->vm, s), TEE_SUCCESS);
	return NULL;
}

/* Several submitters at once: every answer goes to its own request. */
static void test_concurrent(void *vm)
{
	enum { T = 6 };
	pthread_t th[T];
	struct hammer h = { vm, 3000 };
	for (int i = 0; i < T; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, hammer_main, &h), 0);
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);

	/* round trip of an empty call, for the record */
	void *s = open_ok(vm, &test_uuid);
	struct timespec a, b;
	enum { N = 20000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < N; i++) {
		struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_NULL);
		run(vm, &r);
		CHECK_EQ(r.ret, TEE_SUCCESS);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
	printf("  null invoke round trip: %.0f ns\n", ns);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

/*
 * One TEE thread: requests queue, a queued request can be cancelled. c (INC)
 * is quick, but with the only TEE thread busy it waits its turn all the same.
 */
static void test_queue(const char *options)
{
	void *tee = new_tee(options);
	void *vm = new_vm(tee, 3);
	void *s = open_ok(vm, &test_uuid);
	struct vtee_req a = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&a, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	struct vtee_req b = a;
	struct vtee_req c = invoke_req(s, VTEE_TEST_CMD_INC);
	set_val(&c, 0, VTEE_PARAM_VALUE_INOUT, 1, 0);
	uint64_t t0 = now_ms();
	start(vm, &a);
	start(vm, &b);
	start(vm, &c);
	CHECK(!vtee_req_wait(&c, 20 * 1000));
	be->cancel(vm, &b); /* queued */
	be->cancel(vm, &a); /* running */
	CHECK(vtee_req_wait(&a, WAIT_US));
	CHECK(vtee_req_wait(&b, WAIT_US));
	CHECK(vtee_req_wait(&c, WAIT_US));
	CHECK(now_ms() - t0 < 1000);
	CHECK_EQ(a.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(b.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(c.ret, TEE_SUCCESS);
	CHECK_EQ(c.params[0].u.value.a, 2);
	be->vm_destroyed(vm);
	be->close(tee);
}

/* Destroying a VM closes what the guest left open and ends what still runs. */
static void test_destroy(void *tee)
{
	void *vm = new_vm(tee, 9);
	void *s1 = open_ok(vm, &test_uuid);
	open_ok(vm, &test_uuid);
	open_ok(vm, &rng_uuid);
	open_ok(vm, &device_uuid);
	CHECK_EQ(sessions_now(vm, s1), 2);

	struct vtee_req r = invoke_req(s1, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	start(vm, &r);
	CHECK(!vtee_req_wait(&r, 20 * 1000));
	be->cancel(vm, &r);
	CHECK(vtee_req_wait(&r, WAIT_US));
	CHECK_EQ(r.ret, TEE_ERROR_CANCEL);
	be->vm_destroyed(vm);

	/* and with the sleeper still asleep: vm_destroyed ends it before returning */
	vm = new_vm(tee, 10);
	s1 = open_ok(vm, &test_uuid);
	struct vtee_req r1 = invoke_req(s1, VTEE_TEST_CMD_SLEEP);
	set_val(&r1, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	struct vtee_req r2 = r1;
	uint64_t t0 = now_ms();
	start(vm, &r1);
	start(vm, &r2);
	CHECK(!vtee_req_wait(&r1, 20 * 1000));
	be->vm_destroyed(vm);
	CHECK(vtee_req_wait(&r1, 0));
	CHECK(vtee_req_wait(&r2, 0));
	CHECK_EQ(r1.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(r2.ret, TEE_ERROR_CANCEL);
	CHECK(now_ms() - t0 < 1000);
}

/* Threads of this process: TEE threads are made on demand and live until vm_destroyed. */
static unsigned count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	CHECK(d != NULL);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A joined thread may linger in /proc for a moment: wait until the count settles at want. */
static unsigned threads_settle(unsigned want)
{
	unsigned n = count_threads();
	for (int i = 0; i < 2000 && n != want; i++) {
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
		n = count_threads();
	}
	return n;
}

/* Submit and look at once: a quick call must be done when submit() returns. */
static void run_quick(void *vm, struct vtee_req *r)
{
	start(vm, r);
	CHECK(vtee_req_wait(r, 0));
}

/*
 * Quick calls run inside submit(), on this thread: each is done before submit()
 * returns, and a VM that makes only quick calls never gets a TEE thread.
 * Everything else goes to a TEE thread: a big memref makes one; a SLEEP leaves
 * submit() at once and is cancelled while we wait; a REE_TIME asks us for the
 * time (on this thread it could only fail). Thread counts, not timing, tell.
 */
static void test_inline(void)
{
	void *tee = new_tee(NULL);
	void *vm = new_vm(tee, 11);
	unsigned threads0 = count_threads();

	struct vtee_req r = open_req(&test_uuid, TEE_LOGIN_PUBLIC);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	void *s = r.session;

	r = invoke_req(s, VTEE_TEST_CMD_INC);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 1, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 2);
	r = invoke_req(s, VTEE_TEST_CMD_NULL);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	r = invoke_req(s, VTEE_TEST_CMD_WHOAMI);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 11);
	r = invoke_req(s, VTEE_TEST_CMD_SESSIONS);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.params[0].u.value.a, 1);
	r = invoke_req(s, VTEE_TEST_CMD_STORE);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_IN, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	r = invoke_req(s, VTEE_TEST_CMD_LOAD);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	r = invoke_req(s, VTEE_TEST_CMD_HASH); /* 64 KiB: still quick */
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_IN, 64 << 10);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS); /* a null memref has no bytes to hash */
	/* cancelling a call that finished inline is harmless */
	be->cancel(vm, &r);

	void *d = open_ok(vm, &device_uuid);
	r = invoke_req(d, 0);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_OUT, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	void *g = open_ok(vm, &rng_uuid);
	r = invoke_req(g, 1);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	r = (struct vtee_req){ .op = VTEE_REQ_CLOSE, .session = g };
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	r = (struct vtee_req){ .op = VTEE_REQ_CLOSE, .session = d };
	run_quick(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(count_threads(), threads0); /* all of it on this thread */

	/* over 64 KiB of memrefs: not quick, the VM's first TEE thread runs it */
	r = invoke_req(s, VTEE_TEST_CMD_HASH);
	set_nullref(&r, 0, VTEE_PARAM_MEMREF_IN, (64 << 10) + 1);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(count_threads(), threads0 + 1);

	/* SLEEP: submit() returns with it still running, and it is cancelled while we wait */
	r = invoke_req(s, VTEE_TEST_CMD_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, 5000, 0);
	uint64_t t0 = now_ms();
	start(vm, &r);
	CHECK(!vtee_req_wait(&r, 0));
	be->cancel(vm, &r);
	CHECK(vtee_req_wait(&r, WAIT_US));
	CHECK_EQ(r.ret, TEE_ERROR_CANCEL);
	CHECK(now_ms() - t0 < 1000);

	/* REE_TIME: the TEE thread asks this thread (the "guest") for the time */
	r = invoke_req(s, VTEE_TEST_CMD_REE_TIME);
	set_val(&r, 0, VTEE_PARAM_VALUE_OUT, 0, 0);
	start(vm, &r);
	CHECK_EQ(vtee_req_wait_event(&r, WAIT_US), VTEE_WAIT_RPC);
	CHECK_EQ(r.rpc->cmd, VTEE_RPC_REE_TIME);
	r.rpc->num_params = 1;
	r.rpc->params[0].type = VTEE_PARAM_VALUE_OUT;
	r.rpc->params[0].u.value.a = 1234;
	r.rpc->params[0].u.value.b = 5678;
	r.rpc->ret = TEE_SUCCESS;
	vtee_req_rpc_answer(&r);
	CHECK_EQ(vtee_req_wait_event(&r, WAIT_US), VTEE_WAIT_DONE);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 1234);
	CHECK_EQ(r.params[0].u.value.b, 5678);
	CHECK_EQ(count_threads(), threads0 + 1); /* the one TEE thread served both */

	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
	be->vm_destroyed(vm);
	CHECK_EQ(threads_settle(threads0), threads0);

	/* inline=0: as before, even a NULL invoke is handed to a TEE thread */
	be->close(tee);
	tee = new_tee("inline=0");
	vm = new_vm(tee, 12);
	s = open_ok(vm, &test_uuid);
	CHECK_EQ(count_threads(), threads0 + 1);
	r = invoke_req(s, VTEE_TEST_CMD_NULL);
	run(vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
	be->vm_destroyed(vm);
	be->close(tee);
}

struct canceller {
	void *vm;
	struct vtee_req *req;
	_Atomic int stop;
};

static void *cancel_main(void *arg)
{
	struct canceller *k = arg;
	while (!atomic_load(&k->stop))
		be->cancel(k->vm, k->req);
	return NULL;
}

/*
 * cancel() from another thread at any moment of an inline call: it may reach
 * the call's state on the submitter's stack only while the call runs (ASan
 * would see a stale one), and never changes a quick call's result.
 */
static void test_inline_cancel_race(void *vm)
{
	void *s = open_ok(vm, &test_uuid);
	struct vtee_req r = invoke_req(s, VTEE_TEST_CMD_INC);
	struct canceller k = { vm, &r, 0 };
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, cancel_main, &k), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		/* field by field: the canceller reads r.be_priv (under the back-end's lock) */
		r.num_params = 1;
		r.params[0].type = VTEE_PARAM_VALUE_INOUT;
		r.params[0].u.value.a = i;
		run(vm, &r);
		CHECK_EQ(r.ret, TEE_SUCCESS);
		CHECK_EQ(r.params[0].u.value.a, i + 1);
	}
	atomic_store(&k.stop, 1);
	pthread_join(th, NULL);
	CHECK_EQ(close_session(vm, s), TEE_SUCCESS);
}

static void run_all(const char *options)
{
	printf("== options \"%s\"\n", options ? options : "");
	void *tee = new_tee(options);
	void *vm = new_vm(tee, 7);
	void *vm2 = new_vm(tee, 8);

	struct { const char *name; void (*fn)(void *vm); } tests[] = {
		{ "basic", test_basic },
		{ "unknown_ta", test_unknown_ta },
		{ "sleep_cancel", test_sleep_cancel },
		{ "close_during_invoke", test_close_during_invoke },
		{ "device_pta", test_device_pta },
		{ "rng", test_rng },
		{ "many_sessions", test_many_sessions },
		{ "concurrent", test_concurrent },
		{ "inline_cancel_race", test_inline_cancel_race },
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		printf("%s\n", tests[i].name);
		tests[i].fn(vm);
	}
	printf("whoami\n");
	test_whoami(vm, 7);
	test_whoami(vm2, 8);
	printf("sessions\n");
	test_sessions(vm, vm2);
	printf("destroy\n");
	test_destroy(tee);

	be->vm_destroyed(vm);
	be->vm_destroyed(vm2);
	be->close(tee);
}

int main(void)
{
	test_options();
	run_all(NULL);
	run_all("inline=0");
	printf("queue\n");
	test_queue("threads=1");
	test_queue("threads=1,inline=0");
	printf("inline\n");
	test_inline();
	printf("test_soft: all passed\n");
	return 0;
}
