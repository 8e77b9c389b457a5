// SPDX-License-Identifier: MIT
/*
 * The remote back-end's figures (make bench; tests/remote/run-remote --bench puts
 * vtee-served in a network namespace behind a veth pair, as the remote suite
 * does, and passes the options in REMOTE_OPTS). All in the same run:
 *
 *   local_null_invoke        a modelled VM's NULL invoke on the built-in TEE in process
 *   remote_null_invoke       the same through the remote back-end (TLS, veth, vtee-served, vtee-tee)
 *   remote_round_trip        one link STATS round trip: the network, TLS and the mux threads, no TEE work
 *   RATIO remote_vs_local_null_invoke
 *   remote_16vm_throughput   NULL invokes per second, 16 VMs at once sharing one connection,
 *                            and over a pool of 16, against
 *   local_16vm_throughput    the same on the built-in TEE in process
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "vtee/remote.h"
#include "vtee/test_ta.h"

#define BENCH_NAME "remote-bench"
#include "bench.h"

#define ITERS  2000
#define ROUNDS 7
#define NVM    16
#define TPUT_S 2.0


struct one {
	struct vtee_tee *tee;
	struct guest *g;
	uint32_t sess;
};

static void up(const char *backend, const char *opts, uint32_t vm_id, struct one *o)
{
	if (vtee_tee_open(backend, opts, &o->tee) ||
	    guest_create_vm(o->tee, &(struct vtee_vm_config){ .vm_id = vm_id, .name = "bench" },
			    &(struct guest_config){ .ram_size = 8ull << 20, .quiet = true }, &o->g) ||
	    guest_probe(o->g) ||
	    guest_open_session(o->g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &o->sess, NULL) != TEE_SUCCESS)
		die("%s", backend);
}

static void down(struct one *o)
{
	guest_close_session(o->g, o->sess);
	guest_shutdown(o->g);
	guest_destroy(o->g);
	vtee_tee_close(o->tee);
}

static double null_us(struct one *o, int n)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++)
		if (guest_invoke(o->g, o->sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
			die("NULL");
	return (now_us() - t0) / n;
}

struct worker {
	struct one *o;
	_Atomic bool *stop;
	unsigned long calls;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(w->stop)) {
		if (guest_invoke(w->o->g, w->o->sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
			die("NULL (throughput)");
		w->calls++;
	}
	return NULL;
}

/* NULL invokes per second with NVM VMs busy at once */
static double throughput(const char *backend, const char *opts)
{
	struct one o[NVM];
	struct worker w[NVM];
	pthread_t t[NVM];
	_Atomic bool stop = false;
	for (int i = 0; i < NVM; i++)
		up(backend, opts, 100 + (uint32_t)i, &o[i]);
	double t0 = now_us();
	for (int i = 0; i < NVM; i++) {
		w[i] = (struct worker){ .o = &o[i], .stop = &stop };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	while (now_us() - t0 < TPUT_S * 1e6)
		usleep(10000);
	atomic_store(&stop, true);
	unsigned long calls = 0;
	for (int i = 0; i < NVM; i++) {
		pthread_join(t[i], NULL);
		calls += w[i].calls;
	}
	double s = (now_us() - t0) / 1e6;
	for (int i = 0; i < NVM; i++)
		down(&o[i]);
	return (double)calls / s;
}

int main(void)
{
	const char *opts = getenv("REMOTE_OPTS");
	if (!opts || !*opts)
		die("REMOTE_OPTS (run tests/remote/run-remote --bench)");
	struct one local, remote;
	up("soft", NULL, 1, &local);
	up("remote", opts, 2, &remote);
	double lv[ROUNDS], rv[ROUNDS], rt[ROUNDS], ratio[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		lv[r] = null_us(&local, ITERS);
		rv[r] = null_us(&remote, ITERS / 4);
		double sum = 0;
		for (int i = 0; i < ITERS / 4; i++) {
			uint64_t ns;
			if (vtee_remote_round_trip(guest_vm(remote.g), &ns))
				die("round trip");
			sum += (double)ns / 1e3;
		}
		rt[r] = sum / (ITERS / 4);
		ratio[r] = rv[r] / lv[r];
	}
	qsort(lv, ROUNDS, sizeof(double), cmp_double);
	qsort(rv, ROUNDS, sizeof(double), cmp_double);
	qsort(rt, ROUNDS, sizeof(double), cmp_double);
	qsort(ratio, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH local_null_invoke %.2f us (built-in TEE in process)\n", lv[ROUNDS / 2]);
	printf("BENCH remote_null_invoke %.2f us (TLS 1.3 over a veth pair to vtee-served)\n", rv[ROUNDS / 2]);
	printf("BENCH remote_round_trip %.2f us (network + TLS + mux threads, no TEE work: STATS)\n", rt[ROUNDS / 2]);
	printf("RATIO remote_vs_local_null_invoke %.2f\n", ratio[ROUNDS / 2]);
	printf("BENCH remote_null_invoke_minus_round_trip %.2f us (what the far side adds beyond the network)\n",
	       rv[ROUNDS / 2] - rt[ROUNDS / 2]);
	down(&local);
	down(&remote);
	char opts16[1200];
	snprintf(opts16, sizeof(opts16), "%s,pool=16", opts);
	double lt = throughput("soft", NULL), rtp = throughput("remote", opts), rtp16 = throughput("remote", opts16);
	printf("BENCH local_16vm_throughput %.0f calls/s\n", lt);
	printf("BENCH remote_16vm_throughput %.0f calls/s (16 VMs sharing one connection, pool=1)\n", rtp);
	printf("BENCH remote_16vm_pool16_throughput %.0f calls/s (16 VMs over 16 connections, pool=16)\n", rtp16);
	printf("RATIO remote_vs_local_16vm_throughput %.4f\n", rtp / lt);
	return 0;
}
