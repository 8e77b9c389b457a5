// SPDX-License-Identifier: MIT
/*
 * Conformance: several vCPUs at once. Thread limit (max_calls = 2, six
 * threads, with the guest throttling itself to GET_THREAD_COUNT like Linux
 * >= 6.8 and without, relying on ETHREAD_LIMIT), a long call released as
 * FOREIGN_INTR and cancelled from another vCPU, concurrent mixed traffic.
 */
#include <pthread.h>
#include <unistd.h>

#include "conf.h"

struct worker {
	struct guest *g;
	pthread_t th;
	int id;
	int rounds;
	uint32_t sleep_ms;
	uint32_t fails;
};

static void *sleeper(void *arg)
{
	struct worker *w = arg;
	uint32_t s = 0, origin = 0;
	uint32_t ret = guest_open_session(w->g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, &origin);
	if (ret != TEE_SUCCESS) {
		fprintf(stderr, "worker %d: open %#x\n", w->id, ret);
		w->fails++;
		return NULL;
	}
	for (int i = 0; i < w->rounds; i++) {
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, w->sleep_ms, 0, 0) };
		ret = guest_invoke(w->g, s, VTEE_TEST_CMD_SLEEP, p, 1, 0, &origin);
		if (ret != TEE_SUCCESS) {
			fprintf(stderr, "worker %d: sleep %#x origin %u\n", w->id, ret, origin);
			w->fails++;
		}
	}
	if (guest_close_session(w->g, s) != TEE_SUCCESS)
		w->fails++;
	return NULL;
}

static void test_thread_limit(struct vtee_tee *tee, bool rely_on_ethread_limit, bool no_rpc_arg)
{
	enum { THREADS = 6, ROUNDS = 3, SLEEP_MS = 30 };
	struct vtee_vm_config vc = { .vm_id = 200 + (rely_on_ethread_limit ? 1 : 0) + (no_rpc_arg ? 2 : 0),
				     .name = "limit", .quota = { .max_calls = 2 }, .no_rpc_arg = no_rpc_arg };
	struct guest_config gc = { .ignore_thread_count = rely_on_ethread_limit };
	struct guest *g = conf_guest(tee, &vc, &gc, false);
	CHECK_EQ(guest_probe_info(g)->thread_count, 2);
	/* In RPC_ARG mode, register the arg page before the race so that all threads share it. */
	CHECK_EQ(guest_invoke(g, 0xFFFFFFF0u, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS, 1);

	struct worker w[THREADS];
	uint64_t t0 = conf_now_ms();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .g = g, .id = i, .rounds = ROUNDS, .sleep_ms = SLEEP_MS };
		REQUIRE_EQ(pthread_create(&w[i].th, NULL, sleeper, &w[i]), 0);
	}
	/* Watch the library's own count of calls in flight meanwhile. */
	uint32_t max_calls_seen = 0;
	for (int i = 0; i < 200; i++) {
		struct vtee_vm_stats st;
		vtee_vm_get_stats(guest_vm(g), &st);
		if (st.calls > max_calls_seen)
			max_calls_seen = st.calls;
		usleep(1000);
	}
	uint32_t fails = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].th, NULL);
		fails += w[i].fails;
	}
	uint64_t elapsed = conf_now_ms() - t0;
	CHECK_EQ(fails, 0);
	CHECK_CMP(max_calls_seen, <=, 2);
	/* Two at a time: at least THREADS * ROUNDS * SLEEP_MS / 2 ms. */
	CHECK_CMP(elapsed, >=, THREADS * ROUNDS * SLEEP_MS / 2 - 10);
	CHECK_CMP(elapsed, <, 20000);

	struct guest_stats gs;
	guest_get_stats(g, &gs);
	if (rely_on_ethread_limit) {
		CHECK_CMP(gs.ethread_limit, >, 0);
		CHECK_CMP(gs.max_inflight, >, 2);
	} else {
		CHECK_EQ(gs.ethread_limit, 0);
		CHECK_CMP(gs.max_inflight, <=, 2);
	}
	CHECK_EQ(gs.ethread_limit_alone, 0);
	CHECK_EQ(gs.inflight, 0);
	printf("thread limit (%s, %s): %llu ms, ETHREAD_LIMIT %llu, FOREIGN_INTR %llu, max in flight %u\n",
	       rely_on_ethread_limit ? "ETHREAD_LIMIT" : "throttled", no_rpc_arg ? "CALL_WITH_ARG" : "REGD_ARG",
	       (unsigned long long)elapsed, (unsigned long long)gs.ethread_limit,
	       (unsigned long long)gs.foreign_intr, gs.max_inflight);

	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	guest_destroy(g);
}

/* ---- long call + cancel -------------------------------------------------- */

struct long_call {
	struct guest *g;
	uint32_t sess;
	uint32_t ret, origin;
	uint64_t ms;
};

static void *long_sleep(void *arg)
{
	struct long_call *c = arg;
	uint64_t t0 = conf_now_ms();
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 5000, 0, 0) };
	c->ret = guest_invoke(c->g, c->sess, VTEE_TEST_CMD_SLEEP, p, 1, 77, &c->origin);
	c->ms = conf_now_ms() - t0;
	return NULL;
}

static void test_cancel(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = 210 + (no_rpc_arg ? 1 : 0), .name = "cancel", .no_rpc_arg = no_rpc_arg };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	struct long_call c = { .g = g };
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &c.sess, NULL),
		   TEE_SUCCESS);
	struct guest_stats gs0;
	guest_get_stats(g, &gs0);
	struct vtee_vm_stats st0;
	vtee_vm_get_stats(guest_vm(g), &st0);

	pthread_t th;
	REQUIRE_EQ(pthread_create(&th, NULL, long_sleep, &c), 0);
	usleep(50 * 1000);
	struct vtee_vm_stats mid;
	vtee_vm_get_stats(guest_vm(g), &mid);
	CHECK_EQ(mid.calls, 1); /* the sleep is in flight (suspended or running) */
	uint32_t cret = guest_cancel(g, c.sess, 77);
	CHECK_EQ(cret, TEE_SUCCESS);
	pthread_join(th, NULL);

	CHECK_EQ(c.ret, TEE_ERROR_CANCEL);
	CHECK_CMP(c.ms, <, 2000);
	CHECK_CMP(c.ms, >=, 40);
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	uint64_t fi = gs.foreign_intr - gs0.foreign_intr;
	/* 50 ms with 1 ms slices: the vCPU came back to the guest many times */
	CHECK_CMP(fi, >=, 10);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.foreign_intr - st0.foreign_intr, fi);
	printf("cancel (%s): %llu ms, %llu FOREIGN_INTR\n", no_rpc_arg ? "CALL_WITH_ARG" : "REGD_ARG",
	       (unsigned long long)c.ms, (unsigned long long)fi);

	/* The session still works after a cancelled call, and a later call is not cancelled. */
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 20, 0, 0) };
	CHECK_EQ(guest_invoke(g, c.sess, VTEE_TEST_CMD_SLEEP, p, 1, 77, NULL), TEE_SUCCESS);
	/* Cancelling something not in flight is harmless. */
	CHECK_EQ(guest_cancel(g, c.sess, 12345), TEE_SUCCESS);
	CHECK_EQ(guest_invoke(g, c.sess, VTEE_TEST_CMD_SLEEP, p, 1, 12345, NULL), TEE_SUCCESS);

	CHECK_EQ(guest_close_session(g, c.sess), TEE_SUCCESS);
	guest_shutdown(g);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	guest_destroy(g);
}

/* ---- mixed concurrent traffic -------------------------------------------- */

static void *mixer(void *arg)
{
	struct worker *w = arg;
	struct guest *g = w->g;
	uint32_t s = 0;
	if (guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) != TEE_SUCCESS) {
		w->fails++;
		return NULL;
	}
	uint8_t data[3000], back[3000];
	for (int i = 0; i < w->rounds; i++) {
		struct guest_param v[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, (uint64_t)i, 0, 0) };
		if (guest_invoke(g, s, VTEE_TEST_CMD_INC, v, 1, 0, NULL) != TEE_SUCCESS || v[0].u.value.a != (uint64_t)i + 1)
			w->fails++;
		if (i % 5 == 0) {
			struct guest_param t[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
			if (guest_invoke(g, s, VTEE_TEST_CMD_REE_TIME, t, 1, 0, NULL) != TEE_SUCCESS || t[0].u.value.a == 0)
				w->fails++;
		}
		size_t n = 1 + (size_t)(i * 97 + w->id * 13) % sizeof(data);
		conf_pattern(data, n, (uint32_t)(i + 1000 * w->id));
		struct guest_buf *b;
		if (guest_buf_alloc(g, n, (uint32_t)(i * 61 % 4096), GUEST_BUF_SCATTER, &b)) {
			w->fails++;
			continue;
		}
		guest_buf_write(g, b, 0, data, n);
		struct guest_param h[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, true),
					    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		if (guest_invoke(g, s, VTEE_TEST_CMD_HASH, h, 2, 0, NULL) != TEE_SUCCESS ||
		    h[1].u.value.a != conf_fnv1a(data, n))
			w->fails++;
		if (i % 4 == 0) {
			struct guest_shm *shm = NULL;
			if (guest_shm_register(g, b, 0, n, &shm) != TEE_SUCCESS) {
				w->fails++;
			} else {
				struct guest_param r[1] = { guest_param_rmem(VTEE_PARAM_MEMREF_INOUT, shm, 0, n) };
				if (guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, r, 1, 0, NULL) != TEE_SUCCESS)
					w->fails++;
				guest_buf_read(g, b, 0, back, n);
				for (size_t k = 0; k < n; k++)
					if (back[k] != data[n - 1 - k]) {
						w->fails++;
						break;
					}
				if (guest_shm_unregister(g, shm) != TEE_SUCCESS)
					w->fails++;
			}
		}
		guest_buf_free(g, b);
	}
	if (guest_close_session(g, s) != TEE_SUCCESS)
		w->fails++;
	return NULL;
}

static void test_mixed(struct vtee_tee *tee, bool no_rpc_arg)
{
	enum { THREADS = 8 };
	struct vtee_vm_config vc = { .vm_id = 220 + (no_rpc_arg ? 1 : 0), .name = "mixed",
				     .quota = { .max_calls = 4 }, .no_rpc_arg = no_rpc_arg };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .g = g, .id = i, .rounds = 60 };
		REQUIRE_EQ(pthread_create(&w[i].th, NULL, mixer, &w[i]), 0);
	}
	uint32_t fails = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].th, NULL);
		fails += w[i].fails;
	}
	CHECK_EQ(fails, 0);
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	CHECK_EQ(gs.comm_errors, 0);
	CHECK_EQ(gs.ethread_limit_alone, 0);
	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	guest_destroy(g);
}

/* ---- one session used by several vCPUs; close while a call runs -------- */

struct shared {
	struct guest *g;
	uint32_t sess;
	pthread_t th;
	uint32_t fails;
	uint32_t ret;
};

static void *inc_loop(void *arg)
{
	struct shared *sh = arg;
	for (int i = 0; i < 100; i++) {
		struct guest_param v[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, (uint64_t)i * 3, 0, 0) };
		uint32_t ret = guest_invoke(sh->g, sh->sess, VTEE_TEST_CMD_INC, v, 1, 0, NULL);
		if (ret != TEE_SUCCESS || v[0].u.value.a != (uint64_t)i * 3 + 1) {
			if (!sh->fails)
				fprintf(stderr, "shared session: INC ret %#x\n", ret);
			sh->fails++;
		}
	}
	return NULL;
}

static void *sleep_300(void *arg)
{
	struct shared *sh = arg;
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 300, 0, 0) };
	sh->ret = guest_invoke(sh->g, sh->sess, VTEE_TEST_CMD_SLEEP, p, 1, 0, NULL);
	return NULL;
}

static void test_shared_session(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = 230 + (no_rpc_arg ? 1 : 0), .name = "shared", .no_rpc_arg = no_rpc_arg };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	struct shared sh[4];
	for (int i = 0; i < 4; i++) {
		sh[i] = (struct shared){ .g = g, .sess = sess };
		REQUIRE_EQ(pthread_create(&sh[i].th, NULL, inc_loop, &sh[i]), 0);
	}
	uint32_t fails = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(sh[i].th, NULL);
		fails += sh[i].fails;
	}
	CHECK_EQ(fails, 0);

	/* CLOSE_SESSION from one vCPU while another vCPU's call runs in that session */
	struct shared sl = { .g = g, .sess = sess };
	REQUIRE_EQ(pthread_create(&sl.th, NULL, sleep_300, &sl), 0);
	usleep(50 * 1000);
	uint64_t t0 = conf_now_ms();
	uint32_t cret = guest_close_session(g, sess);
	uint64_t close_ms = conf_now_ms() - t0;
	pthread_join(sl.th, NULL);
	CHECK_EQ(cret, TEE_SUCCESS);
	CHECK(sl.ret == TEE_SUCCESS || sl.ret == TEE_ERROR_CANCEL);
	printf("close during a call (%s): close took %llu ms, the call ended with %#x\n",
	       no_rpc_arg ? "CALL_WITH_ARG" : "REGD_ARG", (unsigned long long)close_ms, sl.ret);
	/* the session is gone for good */
	CHECK(guest_invoke(g, sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS);
	uint32_t s2 = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, NULL), TEE_SUCCESS);
	struct guest_param c[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s2, VTEE_TEST_CMD_SESSIONS, c, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(c[0].u.value.a, 1);
	CHECK_EQ(guest_close_session(g, s2), TEE_SUCCESS);

	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	guest_destroy(g);
}

/* ---- the time slice is configurable -------------------------------------- */

static void test_slice(struct vtee_tee *tee)
{
	struct vtee_vm_config vc = { .vm_id = 240, .name = "slice", .slice_us = 500000 };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	struct guest_stats g0, g1;
	guest_get_stats(g, &g0);
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 30, 0, 0) };
	CHECK_EQ(guest_invoke(g, sess, VTEE_TEST_CMD_SLEEP, p, 1, 0, NULL), TEE_SUCCESS);
	guest_get_stats(g, &g1);
	CHECK_EQ(g1.foreign_intr - g0.foreign_intr, 0); /* 30 ms < 500 ms: one SMC */
	/* a 1.2 s call with 0.5 s slices comes back to the guest 2 or 3 times */
	p[0].u.value.a = 1200;
	CHECK_EQ(guest_invoke(g, sess, VTEE_TEST_CMD_SLEEP, p, 1, 0, NULL), TEE_SUCCESS);
	guest_get_stats(g, &g0);
	CHECK_CMP(g0.foreign_intr - g1.foreign_intr, >=, 2);
	CHECK_CMP(g0.foreign_intr - g1.foreign_intr, <=, 3);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);
}

/* ---- cancel racing with completion --------------------------------------- */

struct racer {
	struct guest *g;
	uint32_t sess;
	_Atomic uint32_t cancel_id; /* id of the call in flight, 0 = none */
	_Atomic bool stop;
	uint32_t bad, cancelled, done;
};

static void *race_caller(void *arg)
{
	struct racer *r = arg;
	for (uint32_t i = 1; i <= 300; i++) {
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 1 + i % 3, 0, 0) };
		atomic_store(&r->cancel_id, i);
		uint32_t ret = guest_invoke(r->g, r->sess, VTEE_TEST_CMD_SLEEP, p, 1, i, NULL);
		atomic_store(&r->cancel_id, 0);
		if (ret == TEE_ERROR_CANCEL)
			r->cancelled++;
		else if (ret == TEE_SUCCESS)
			r->done++;
		else
			r->bad++;
	}
	atomic_store(&r->stop, true);
	return NULL;
}

static void *race_canceller(void *arg)
{
	struct racer *r = arg;
	uint32_t x = 12345;
	while (!atomic_load(&r->stop)) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		usleep(x % 2500);
		uint32_t id = atomic_load(&r->cancel_id);
		if (id && guest_cancel(r->g, r->sess, id) != TEE_SUCCESS)
			r->bad++;
	}
	return NULL;
}

static void test_cancel_race(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = 250 + (no_rpc_arg ? 1 : 0), .name = "race", .no_rpc_arg = no_rpc_arg };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	struct racer r = { .g = g };
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &r.sess, NULL), TEE_SUCCESS);
	pthread_t a, b;
	REQUIRE_EQ(pthread_create(&a, NULL, race_caller, &r), 0);
	REQUIRE_EQ(pthread_create(&b, NULL, race_canceller, &r), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ(r.bad, 0);
	CHECK_EQ(r.done + r.cancelled, 300);
	CHECK_CMP(r.cancelled, >, 0);
	printf("cancel race (%s): %u done, %u cancelled\n", no_rpc_arg ? "CALL_WITH_ARG" : "REGD_ARG", r.done,
	       r.cancelled);
	CHECK_EQ(guest_close_session(g, r.sess), TEE_SUCCESS);
	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	guest_destroy(g);
}

/* ---- several VMs busy at once: each sees only its own TA instance ------- */

struct vm_worker {
	struct guest *g;
	pthread_t th;
	uint32_t vm_id;
	uint32_t bad;
	bool per_vm; /* the back-end gives each VM its own TA instance and id (test_backend.h) */
};

static void *vm_store_load(void *arg)
{
	struct vm_worker *w = arg;
	uint32_t s = 0;
	if (guest_open_session(w->g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) != TEE_SUCCESS) {
		w->bad++;
		return NULL;
	}
	struct guest_buf *b;
	if (guest_buf_alloc(w->g, 64, 4090, GUEST_BUF_SCATTER, &b)) {
		w->bad++;
		return NULL;
	}
	for (uint32_t i = 0; i < 150; i++) {
		char msg[64], got[64];
		int n = snprintf(msg, sizeof(msg), "vm %u round %u", w->vm_id, i);
		guest_buf_write(w->g, b, 0, msg, (size_t)n);
		struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, (uint64_t)n, true) };
		if (guest_invoke(w->g, s, VTEE_TEST_CMD_STORE, p, 1, 0, NULL) != TEE_SUCCESS)
			w->bad++;
		guest_buf_fill(w->g, b, 0, 0, 64);
		struct guest_param l[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, 64, true) };
		if (guest_invoke(w->g, s, VTEE_TEST_CMD_LOAD, l, 1, 0, NULL) != TEE_SUCCESS ||
		    (w->per_vm && l[0].u.memref.size != (uint64_t)n))
			w->bad++;
		guest_buf_read(w->g, b, 0, got, (size_t)n);
		if (w->per_vm && memcmp(got, msg, (size_t)n) != 0)
			w->bad++;
		struct guest_param who[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		if (guest_invoke(w->g, s, VTEE_TEST_CMD_WHOAMI, who, 1, 0, NULL) != TEE_SUCCESS ||
		    (w->per_vm && who[0].u.value.a != w->vm_id))
			w->bad++;
	}
	guest_buf_free(w->g, b);
	if (guest_close_session(w->g, s) != TEE_SUCCESS)
		w->bad++;
	return NULL;
}

static void test_many_vms(struct vtee_tee *tee)
{
	enum { VMS = 4 };
	struct vm_worker w[VMS];
	bool per_vm = test_backend_has(TEST_CAP_PER_VM_IDENTITY,
				       "threads: many VMs: LOAD gives back each VM's own STORE, WHOAMI its own VM id");
	for (int i = 0; i < VMS; i++) {
		struct vtee_vm_config vc = { .vm_id = 260 + (uint32_t)i, .name = "many", .no_rpc_arg = i & 1,
					     .quota = { .max_calls = 2 } };
		w[i] = (struct vm_worker){ .g = conf_guest(tee, &vc, NULL, false), .vm_id = vc.vm_id,
					   .per_vm = per_vm };
	}
	for (int i = 0; i < VMS; i++)
		REQUIRE_EQ(pthread_create(&w[i].th, NULL, vm_store_load, &w[i]), 0);
	uint32_t bad = 0;
	for (int i = 0; i < VMS; i++) {
		pthread_join(w[i].th, NULL);
		bad += w[i].bad;
	}
	CHECK_EQ(bad, 0);
	for (int i = 0; i < VMS; i++) {
		guest_shutdown(w[i].g);
		struct vtee_vm_stats st;
		vtee_vm_get_stats(guest_vm(w[i].g), &st);
		CHECK_EQ(st.sessions, 0);
		CHECK_EQ(st.shm_buffers, 0);
		guest_destroy(w[i].g);
	}
}

int main(int argc, char **argv)
{
	conf_args(argc, argv);
	struct vtee_tee *tee = conf_tee();
	test_thread_limit(tee, false, false);
	test_thread_limit(tee, true, false);
	test_thread_limit(tee, true, true);
	test_cancel(tee, false);
	test_cancel(tee, true);
	test_mixed(tee, false);
	test_mixed(tee, true);
	test_shared_session(tee, false);
	test_shared_session(tee, true);
	test_slice(tee);
	test_cancel_race(tee, false);
	test_cancel_race(tee, true);
	test_many_vms(tee);
	vtee_tee_close(tee);
	return check_report();
}
