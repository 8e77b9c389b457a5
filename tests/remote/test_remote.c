// SPDX-License-Identifier: MIT
/*
 * The remote TEE end to end, from the mediator's side (run by run-remote, with
 * vtee-served in another network namespace behind a veth pair). The back-end
 * option strings and the fault commands come from the environment:
 *
 *   REMOTE_ALICE, REMOTE_BOB   tenants' options (server=...,ca=...,cert=...,key=...,timeout_ms=...)
 *   REMOTE_STRANGER            a certificate of the right CA that is no tenant's
 *   REMOTE_ROGUE               a certificate of another CA
 *   REMOTE_WRONG_NAME          alice's, expecting another name on the server's certificate
 *   REMOTE_WRONG_CA            alice's, trusting another CA for the server
 *   REMOTE_CUT, REMOTE_RESTORE the link down, and up again (shell commands)
 *   REMOTE_KILL, REMOTE_START  the server killed, and started again
 *
 * Checks: tenants see nothing of each other (same VM id, different TEEs); a
 * tenant's policy holds in the server; wrong certificates are refused;
 * calls in flight when the link is cut or the server dies fail with
 * TEE_ERROR_COMMUNICATION within a bound (the timeout plus slack, not a
 * speed target), nothing hangs, old sessions are reported dead and a new
 * connection works.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>

#include "vtee/vteed.h"
#include "guest.h"
#include "vtee/remote.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"

static int passed, failed;
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (c)                                                                        \
			passed++;                                                             \
		else {                                                                        \
			failed++;                                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
		}                                                                             \
	} while (0)

static const uint8_t test_uuid[16] = VTEE_TEST_TA_UUID_BYTES;
static const uint8_t rng_uuid[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
				      0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "test_remote: %s is not set (run through tests/remote/run-remote)\n", name);
		exit(2);
	}
	return v;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct remote_vm {
	struct vtee_tee *tee;
	struct guest *g;
};

/* A modelled VM on the remote back-end with these options; 0 or the error. */
static int vm_up(const char *opts, uint32_t vm_id, struct remote_vm *v)
{
	memset(v, 0, sizeof(*v));
	int r = vtee_tee_open("remote", opts, &v->tee);
	if (r)
		return r;
	r = guest_create_vm(v->tee, &(struct vtee_vm_config){ .vm_id = vm_id, .name = "remote" },
			    &(struct guest_config){ .ram_size = 16ull << 20, .quiet = true }, &v->g);
	if (!r)
		r = guest_probe(v->g);
	if (r) {
		if (v->g)
			guest_destroy(v->g);
		vtee_tee_close(v->tee);
		memset(v, 0, sizeof(*v));
	}
	return r;
}

static void vm_down(struct remote_vm *v)
{
	if (v->g) {
		guest_shutdown(v->g);
		guest_destroy(v->g);
	}
	if (v->tee)
		vtee_tee_close(v->tee);
	memset(v, 0, sizeof(*v));
}

static uint32_t open_test(struct remote_vm *v, uint32_t *s)
{
	return guest_open_session(v->g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, s, NULL);
}

static uint32_t store(struct remote_vm *v, uint32_t s, const char *text)
{
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(v->g, strlen(text), 0, GUEST_BUF_CONTIG, &b);
	guest_buf_write(v->g, b, 0, text, strlen(text));
	struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, strlen(text), false);
	uint32_t r = guest_invoke(v->g, s, VTEE_TEST_CMD_STORE, &p, 1, 0, NULL);
	guest_buf_free(v->g, b);
	return r;
}

/* LOAD into out (NUL-terminated); the TA's result. */
static uint32_t load(struct remote_vm *v, uint32_t s, char *out, size_t cap)
{
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(v->g, cap - 1, 0, GUEST_BUF_CONTIG, &b);
	struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, cap - 1, false);
	uint32_t r = guest_invoke(v->g, s, VTEE_TEST_CMD_LOAD, &p, 1, 0, NULL);
	size_t n = r == TEE_SUCCESS && p.u.memref.size < cap ? (size_t)p.u.memref.size : 0;
	guest_buf_read(v->g, b, 0, out, n);
	out[n] = 0;
	guest_buf_free(v->g, b);
	return r;
}

static long sessions(struct remote_vm *v, uint32_t s)
{
	struct guest_param p = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	return guest_invoke(v->g, s, VTEE_TEST_CMD_SESSIONS, &p, 1, 0, NULL) == TEE_SUCCESS ? (long)p.u.value.a : -1;
}

static void test_tenants(void)
{
	struct remote_vm a, b;
	uint32_t sa = 0, sb = 0;
	CHECK(vm_up(env("REMOTE_ALICE"), 5, &a) == 0);
	CHECK(vm_up(env("REMOTE_BOB"), 5, &b) == 0); /* the same VM id, another tenant */
	if (!a.g || !b.g)
		return;
	CHECK(open_test(&a, &sa) == TEE_SUCCESS);
	CHECK(store(&a, sa, "alice's secret") == TEE_SUCCESS);
	CHECK(open_test(&b, &sb) == TEE_SUCCESS);
	char got[64];
	CHECK(load(&b, sb, got, sizeof(got)) == TEE_SUCCESS);
	CHECK(strcmp(got, "alice's secret") != 0);
	CHECK(got[0] == 0); /* bob's VM 5 stored nothing: a TEE of its own */
	CHECK(sessions(&a, sa) == 1);
	CHECK(sessions(&b, sb) == 1);
	CHECK(load(&a, sa, got, sizeof(got)) == TEE_SUCCESS);
	CHECK(!strcmp(got, "alice's secret"));

	/* bob's policy, enforced by the server: no RNG TA, at most 4 sessions */
	uint32_t s;
	CHECK(guest_open_session(b.g, rng_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) ==
	      TEE_ERROR_ACCESS_DENIED);
	uint32_t extra[3];
	for (int i = 0; i < 3; i++)
		CHECK(open_test(&b, &extra[i]) == TEE_SUCCESS);
	CHECK(open_test(&b, &s) == TEE_ERROR_OUT_OF_MEMORY);
	/* alice has no such limits */
	CHECK(guest_open_session(a.g, rng_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) == TEE_SUCCESS);
	CHECK(guest_close_session(a.g, s) == TEE_SUCCESS);
	for (int i = 0; i < 3; i++)
		CHECK(guest_close_session(b.g, extra[i]) == TEE_SUCCESS);
	CHECK(guest_close_session(a.g, sa) == TEE_SUCCESS);
	CHECK(guest_close_session(b.g, sb) == TEE_SUCCESS);
	/* bob may hold 2 connections at once (tenants.ini): one is b's, a second tee gets the other */
	struct remote_vm b2, b3;
	CHECK(vm_up(env("REMOTE_BOB"), 6, &b2) == 0);
	int r3 = vm_up(env("REMOTE_BOB"), 7, &b3);
	CHECK(r3 != 0);
	if (!r3)
		vm_down(&b3);
	vm_down(&b2);
	vm_down(&a);
	vm_down(&b);
	printf("tenants: isolated, bob's policy held in the server, his third connection refused\n");
}

/* Many VMs share one back-end instance's connection pool (pool=2): all work at once. */
static void test_pool(void)
{
	char opts[1200];
	snprintf(opts, sizeof(opts), "%s,pool=2", env("REMOTE_ALICE"));
	struct vtee_tee *tee;
	CHECK(vtee_tee_open("remote", opts, &tee) == 0);
	if (!tee)
		return;
	enum { N = 6 };
	struct guest *g[N] = { 0 };
	uint32_t s[N];
	for (int i = 0; i < N; i++) {
		CHECK(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 30 + (uint32_t)i, .name = "pooled" },
				      &(struct guest_config){ .ram_size = 8ull << 20, .quiet = true }, &g[i]) == 0);
		CHECK(g[i] && guest_probe(g[i]) == 0);
		CHECK(g[i] && guest_open_session(g[i], test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[i], NULL) ==
				      TEE_SUCCESS);
	}
	unsigned conns = 0;
	CHECK(vtee_remote_pool_connections(tee, &conns) == 0);
	CHECK(conns == 2);
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < N; i++)
			if (g[i])
				CHECK(guest_invoke(g[i], s[i], VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) == TEE_SUCCESS);
	/* each VM's TEE state is its own, though they share connections */
	for (int i = 0; i < N; i++) {
		struct guest_param p = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
		if (g[i])
			CHECK(guest_invoke(g[i], s[i], VTEE_TEST_CMD_SESSIONS, &p, 1, 0, NULL) == TEE_SUCCESS &&
			      p.u.value.a == 1);
	}
	for (int i = 0; i < N; i++)
		if (g[i]) {
			CHECK(guest_close_session(g[i], s[i]) == TEE_SUCCESS);
			guest_shutdown(g[i]);
			guest_destroy(g[i]);
		}
	vtee_tee_close(tee);
	printf("pool: %d VMs over %u connections\n", N, conns);
}

static void test_certificates(void)
{
	static const char *const bad[] = { "REMOTE_STRANGER", "REMOTE_ROGUE", "REMOTE_WRONG_NAME", "REMOTE_WRONG_CA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct remote_vm v;
		int r = vm_up(env(bad[i]), 9, &v);
		CHECK(r != 0);
		printf("certificates: %s refused (%s)\n", bad[i], strerror(r < 0 ? -r : r));
		if (!r)
			vm_down(&v);
	}
}

/* ---- faults ---- */

struct traffic {
	struct remote_vm *v;
	uint32_t session;
	_Atomic bool stop;
	_Atomic unsigned ok, comms, other;
	_Atomic double first_comms;
};

static void *traffic_main(void *arg)
{
	struct traffic *t = arg;
	while (!t->stop) {
		uint32_t r = guest_invoke(t->v->g, t->session, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL);
		if (r == TEE_SUCCESS) {
			t->ok++;
		} else if (r == TEE_ERROR_COMMUNICATION) {
			if (!t->comms++)
				t->first_comms = now_s();
			usleep(10000);
		} else {
			t->other++;
		}
	}
	return NULL;
}

/* Cut (or kill) under traffic and a long call in flight: both end cleanly, within bound s. */
static void fault(const char *what, const char *cmd, const char *undo, double bound)
{
	struct remote_vm v;
	uint32_t s = 0, slow = 0;
	CHECK(vm_up(env("REMOTE_ALICE"), 11, &v) == 0);
	if (!v.g)
		return;
	CHECK(open_test(&v, &s) == TEE_SUCCESS);
	CHECK(open_test(&v, &slow) == TEE_SUCCESS);
	struct traffic t = { .v = &v, .session = s };
	pthread_t th;
	pthread_create(&th, NULL, traffic_main, &t);
	usleep(300000);
	unsigned before = t.ok;
	double t0 = now_s();
	CHECK(system(cmd) == 0);
	/* a call that would take 60 s, in flight through the fault */
	struct guest_param p = guest_param_value(VTEE_PARAM_VALUE_IN, 60000, 0, 0);
	uint32_t r = guest_invoke(v.g, slow, VTEE_TEST_CMD_SLEEP, &p, 1, 0, NULL);
	double slow_s = now_s() - t0;
	CHECK(r == TEE_ERROR_COMMUNICATION);
	while (!t.comms && now_s() - t0 < 2 * bound)
		usleep(10000);
	t.stop = true;
	pthread_join(th, NULL);
	double first = t.comms ? t.first_comms - t0 : -1;
	printf("%s: %u calls before, the long call failed after %.1f s, traffic's first COMMUNICATION after %.1f s "
	       "(bound %.0f s), %u other errors\n",
	       what, before, slow_s, first, bound, t.other);
	CHECK(before > 0);
	CHECK(slow_s < bound);
	CHECK(t.comms > 0 && first < bound);
	CHECK(t.other == 0);
	/* the old sessions are reported dead; nothing waits */
	CHECK(guest_invoke(v.g, s, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) == TEE_ERROR_COMMUNICATION);
	CHECK(system(undo) == 0);
	/* a new connection works (the old VM is gone on the server: ephemeral) */
	struct remote_vm w;
	int up = -1;
	for (int i = 0; i < 50 && up; i++) { /* the server may still be starting */
		up = vm_up(env("REMOTE_ALICE"), 12, &w);
		if (up)
			usleep(200000);
	}
	CHECK(up == 0);
	if (!up) {
		uint32_t s2;
		CHECK(open_test(&w, &s2) == TEE_SUCCESS);
		CHECK(guest_invoke(w.g, s2, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) == TEE_SUCCESS);
		CHECK(sessions(&w, s2) == 1);
		CHECK(guest_close_session(w.g, s2) == TEE_SUCCESS);
		vm_down(&w);
	}
	vm_down(&v);
}

/* ---- a sandboxed vteed on the remote back-end: its supervisor holds the connection ---- */

static struct vteed *vt, *vt2;

static void vteed_serve(void *ctx, uint64_t regs[8])
{
	vteed_smc(*(struct vteed **)ctx, 0, regs);
}

static void test_vteed(void)
{
	const char *vteed = env("REMOTE_VTEED");
	struct guest *g;
	CHECK(guest_create(NULL, &(struct guest_config){ .ram_size = 16ull << 20, .smc_fn = vteed_serve, .smc_ctx = &vt,
							 .quiet = true },
			   &g) == 0);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = 16ull << 20, .fd = guest_ram_fd(g) };
	const char *const root_args[] = { "--user", "65534:65534", NULL };
	struct vteed_config vc = { .vm_id = 21, .name = "remote-vteed", .backend = "remote", .nvcpus = 1,
				   .vteed_path = vteed, .remote_options = env("REMOTE_ALICE"),
				   .extra_args = geteuid() == 0 ? root_args : NULL };
	char msg[VTEED_MSG_MAX];
	int r = vteed_start(&vc, &ram, 1, &vt, msg, sizeof(msg));
	CHECK(r == 0);
	if (r) {
		fprintf(stderr, "vteed_start: %d (%s)\n", r, msg);
		guest_destroy(g);
		return;
	}
	CHECK(guest_probe(g) == 0);
	uint32_t s = 0;
	CHECK(guest_open_session(g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) == TEE_SUCCESS);
	struct guest_param p = guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0);
	CHECK(guest_invoke(g, s, VTEE_TEST_CMD_INC, &p, 1, 0, NULL) == TEE_SUCCESS && p.u.value.a == 42);
	/* a second VM's vteed with the same options: the same pool, one connection for both */
	struct guest *g2;
	CHECK(guest_create(NULL, &(struct guest_config){ .ram_size = 16ull << 20, .smc_fn = vteed_serve, .smc_ctx = &vt2,
							 .quiet = true },
			   &g2) == 0);
	struct vteed_ram ram2 = { .gpa = GUEST_RAM0_GPA, .size = 16ull << 20, .fd = guest_ram_fd(g2) };
	struct vteed_config vc2 = vc;
	vc2.vm_id = 22;
	vc2.name = "remote-vteed-2";
	CHECK(vteed_start(&vc2, &ram2, 1, &vt2, msg, sizeof(msg)) == 0);
	uint32_t s3 = 0;
	CHECK(guest_probe(g2) == 0);
	CHECK(guest_open_session(g2, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s3, NULL) == TEE_SUCCESS);
	struct vteed_info i1, i2;
	vteed_get_info(vt, &i1);
	vteed_get_info(vt2, &i2);
	CHECK(i1.remote_connections == 1 && i2.remote_connections == 1);
	printf("vteed: two vteeds (two VMs) share %u connection\n", i1.remote_connections);
	guest_close_session(g2, s3);
	vteed_close(vt2);
	guest_destroy(g2);

	/* vteed dies: the supervisor starts another on a new channel; the server ended the old VM */
	struct vteed_info info;
	vteed_get_info(vt, &info);
	CHECK(kill(info.pid, SIGKILL) == 0);
	for (int i = 0; i < 500 && info.restarts < 1; i++) {
		usleep(10000);
		vteed_get_info(vt, &info);
	}
	CHECK(info.restarts == 1);
	uint32_t dead = guest_invoke(g, s, VTEE_TEST_CMD_INC, &p, 1, 0, NULL);
	CHECK(dead != TEE_SUCCESS); /* reported dead, not silently working on nothing */
	uint32_t s2 = 0;
	CHECK(guest_open_session(g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, NULL) == TEE_SUCCESS);
	p = guest_param_value(VTEE_PARAM_VALUE_INOUT, 1, 0, 0);
	CHECK(guest_invoke(g, s2, VTEE_TEST_CMD_INC, &p, 1, 0, NULL) == TEE_SUCCESS && p.u.value.a == 2);
	guest_close_session(g, s2);
	guest_close_session(g, s);
	vteed_close(vt);
	guest_destroy(g);
	printf("vteed: a sandboxed vteed served through its supervisor's connection; after its restart the old "
	       "session reported dead (%#x), a new one works\n", dead);
}

static bool want(int argc, char **argv, const char *mode)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], mode))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned timeout_ms = 2000;
	const char *tm = strstr(env("REMOTE_ALICE"), "timeout_ms=");
	if (tm)
		timeout_ms = (unsigned)atoi(tm + 11);
	/* TCP's own timers on top of ours: keepalive probes, retransmissions; generous, still a bound */
	double bound = 3.0 * timeout_ms / 1000.0 + 10.0;
	if (want(argc, argv, "tenants"))
		test_tenants();
	if (want(argc, argv, "pool"))
		test_pool();
	if (want(argc, argv, "vteed"))
		test_vteed();
	if (want(argc, argv, "certificates"))
		test_certificates();
	if (want(argc, argv, "cut"))
		fault("link cut", env("REMOTE_CUT"), env("REMOTE_RESTORE"), bound);
	if (want(argc, argv, "kill"))
		fault("server killed", env("REMOTE_KILL"), env("REMOTE_START"), bound);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
