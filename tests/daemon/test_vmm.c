// SPDX-License-Identifier: MIT
/*
 * A VMM simulator: guest RAM in a memfd, vteed_spawn(), and the modelled Linux
 * guest driver with every SMC routed through vteed_smc(): probe, device
 * enumeration, value/tmem/registered-memref calls, a cancelled long SLEEP,
 * 4 vCPUs of mixed traffic, then a clean exit of vteed.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

#define VM_ID 7u
#define NVCPU 4u
#define ITERS 150u

static struct dguest dg;

struct sleeper {
	uint32_t sess;
	uint32_t ret;
	double secs;
};

static void *sleep_thread(void *arg)
{
	struct sleeper *s = arg;
	cur_vcpu = 0;
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 10000, 0, 0) };
	double t0 = now_s();
	s->ret = guest_invoke(dg.g, s->sess, VTEE_TEST_CMD_SLEEP, p, 1, 77, NULL);
	s->secs = now_s() - t0;
	return NULL;
}

struct worker {
	unsigned idx;
	_Atomic unsigned *bad;
	unsigned ok;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	cur_vcpu = w->idx;
	struct guest *g = dg.g;
	uint32_t sess = 0;
	if (guest_open_session(g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS) {
		atomic_fetch_add(w->bad, 1000);
		return NULL;
	}
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(g, 3000, 100 * w->idx, GUEST_BUF_SCATTER, &b);
	struct guest_shm *shm = NULL;
	uint32_t r0 = guest_shm_alloc(g, 2 * GUEST_PAGE_SIZE + 77, GUEST_BUF_CONTIG, &shm);
	if (!b || r0 != TEE_SUCCESS) {
		atomic_fetch_add(w->bad, 1000);
		return NULL;
	}
	uint8_t data[3000];
	uint32_t seed = 0x1234567u * (w->idx + 1);
	for (unsigned it = 0; it < ITERS; it++) {
		bool good = true;
		switch (it % 4) {
		case 0: { /* value */
			uint64_t v = (uint64_t)w->idx * 1000000u + it;
			struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, v, it, 0) };
			good = guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 1, 0, NULL) == TEE_SUCCESS &&
			       p[0].u.value.a == v + 1 && p[0].u.value.b == it;
			break;
		}
		case 1: { /* non-contiguous temporary memref */
			size_t n = 1 + (seed % sizeof(data));
			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				data[i] = (uint8_t)(seed >> 16);
			}
			guest_buf_write(g, b, 0, data, n);
			struct guest_param p[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, true),
						    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
			good = guest_invoke(g, sess, VTEE_TEST_CMD_HASH, p, 2, 0, NULL) == TEE_SUCCESS &&
			       p[1].u.value.a == fnv1a(data, n) && p[1].u.value.b == n;
			break;
		}
		case 2: { /* registered memref */
			size_t n = shm->size - 5;
			guest_buf_fill(g, shm->buf, shm->offs, 0, shm->size);
			struct guest_param p[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 5, n),
						    guest_param_value(VTEE_PARAM_VALUE_IN, 0x40 + w->idx, 0, 0) };
			good = guest_invoke(g, sess, VTEE_TEST_CMD_FILL, p, 2, 0, NULL) == TEE_SUCCESS;
			uint8_t chk[2 * 4096 + 77];
			guest_buf_read(g, shm->buf, shm->offs, chk, shm->size);
			for (size_t i = 0; i < shm->size; i++)
				good = good && chk[i] == (i < 5 ? 0 : 0x40 + w->idx);
			break;
		}
		default: { /* who am I */
			struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
			good = guest_invoke(g, sess, VTEE_TEST_CMD_WHOAMI, p, 1, 0, NULL) == TEE_SUCCESS &&
			       p[0].u.value.a == VM_ID;
			break;
		}
		}
		if (good)
			w->ok++;
		else
			atomic_fetch_add(w->bad, 1);
	}
	if (guest_shm_unregister(g, shm) != TEE_SUCCESS || guest_close_session(g, sess) != TEE_SUCCESS)
		atomic_fetch_add(w->bad, 1000);
	guest_buf_free(g, b);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *vteed = vteed_path_arg(argc, argv);
	CHECK_EQ(dguest_start(vteed, NULL, VM_ID, "vmm-sim", NVCPU, 16u << 20, NULL, &dg), 0);
	if (!dg.v)
		return check_report();
	CHECK(dg.pid > 0);
	cur_vcpu = 0;

	/* an out-of-range vCPU index is refused */
	uint64_t regs[8] = { OPTEE_SMC_CALLS_UID };
	CHECK_EQ(vteed_smc(dg.v, NVCPU, regs), -EINVAL);

	/* probe, like the Linux driver */
	CHECK_EQ(guest_probe(dg.g), 0);
	const struct guest_probe_info *pi = guest_probe_info(dg.g);
	CHECK_EQ(pi->os_build, 0x76746565u);
	CHECK_EQ(pi->api_major, 2);
	CHECK(pi->thread_count > 0);

	/* device enumeration */
	struct vtee_uuid *uuids = NULL;
	size_t count = 0;
	CHECK_EQ(guest_enumerate_devices(dg.g, GUEST_PTA_CMD_GET_DEVICES, &uuids, &count), 0);
	CHECK(count >= 1);
	free(uuids);

	/* open / invoke / close with a value, a contiguous tmem and a registered memref */
	uint32_t sess = 0;
	CHECK_EQ(guest_open_session(dg.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL),
		 TEE_SUCCESS);
	struct guest_param pv[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 9, 0) };
	CHECK_EQ(guest_invoke(dg.g, sess, VTEE_TEST_CMD_INC, pv, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(pv[0].u.value.a, 42);
	CHECK_EQ(pv[0].u.value.b, 9);

	struct guest_buf *b = NULL; /* crosses a page */
	(void)guest_buf_alloc(dg.g, 64, 4000, GUEST_BUF_CONTIG, &b);
	CHECK(b != NULL);
	if (b) {
		const char *s = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?";
		guest_buf_write(dg.g, b, 0, s, 64);
		struct guest_param pt[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, 64, false) };
		CHECK_EQ(guest_invoke(dg.g, sess, VTEE_TEST_CMD_REVERSE, pt, 1, 0, NULL), TEE_SUCCESS);
		char out[64];
		guest_buf_read(dg.g, b, 0, out, 64);
		bool rev = true;
		for (int i = 0; i < 64; i++)
			rev = rev && out[i] == s[63 - i];
		CHECK(rev);
		guest_buf_free(dg.g, b);
	}

	struct guest_shm *shm = NULL;
	CHECK_EQ(guest_shm_alloc(dg.g, 10000, GUEST_BUF_SCATTER, &shm), TEE_SUCCESS);
	if (shm) {
		uint8_t data[10000];
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + 3);
		guest_buf_write(dg.g, shm->buf, shm->offs, data, sizeof(data));
		struct guest_param pr[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 100, 9000),
					     guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		CHECK_EQ(guest_invoke(dg.g, sess, VTEE_TEST_CMD_HASH, pr, 2, 0, NULL), TEE_SUCCESS);
		CHECK_EQ(pr[1].u.value.a, fnv1a(data + 100, 9000));
		CHECK_EQ(pr[1].u.value.b, 9000);
		CHECK_EQ(guest_shm_unregister(dg.g, shm), TEE_SUCCESS);
	}

	/* a long SLEEP on vCPU 0, cancelled from vCPU 1 */
	struct sleeper sl = { .sess = sess };
	pthread_t th;
	pthread_create(&th, NULL, sleep_thread, &sl);
	usleep(200 * 1000);
	cur_vcpu = 1;
	CHECK_EQ(guest_cancel(dg.g, sess, 77), TEE_SUCCESS);
	pthread_join(th, NULL);
	CHECK_EQ(sl.ret, TEE_ERROR_CANCEL);
	CHECK(sl.secs > 0.15 && sl.secs < 5.0);
	CHECK_EQ(guest_close_session(dg.g, sess), TEE_SUCCESS);

	/* 4 vCPUs of mixed traffic, exact results */
	_Atomic unsigned bad = 0;
	struct worker w[NVCPU];
	pthread_t wt[NVCPU];
	for (unsigned i = 0; i < NVCPU; i++) {
		w[i] = (struct worker){ .idx = i, .bad = &bad };
		pthread_create(&wt[i], NULL, worker, &w[i]);
	}
	unsigned ok = 0;
	for (unsigned i = 0; i < NVCPU; i++) {
		pthread_join(wt[i], NULL);
		ok += w[i].ok;
	}
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(ok, NVCPU * ITERS);
	struct guest_stats gs;
	guest_get_stats(dg.g, &gs);
	CHECK_EQ(gs.comm_errors, 0);
	CHECK(gs.max_inflight >= 2);

	cur_vcpu = 0;
	guest_shutdown(dg.g);
	CHECK(!vteed_dead(dg.v));
	CHECK_EQ(dguest_stop(&dg), 0);

	/* --help is complete and exits 0 */
	int s;
	pid_t p;
	CHECK_EQ(vteed_spawn_raw(vteed, (const char *const[]){ "--help", NULL }, &s, &p), 0);
	int st = -1;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(s);
	return check_report();
}
