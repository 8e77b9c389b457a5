// SPDX-License-Identifier: MIT
/*
 * `vtee demo`: a model of a Linux guest's OP-TEE driver (model/guest.h)
 * against libvtee in this process: probe, device enumeration, the RNG TA,
 * the test TA with every kind of parameter, and what the VM holds after.
 * Each step prints a line, [ ok ] or [FAIL]; any failure makes the exit
 * status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "vtee_cmd.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"

struct demo {
	struct guest *g;
	uint32_t vm_id;
	int failures;
};

#define STEP(d, ok, ...)                                                  \
	do {                                                              \
		bool ok_ = (ok);                                          \
		printf("  [%s] ", ok_ ? " ok " : "FAIL");                 \
		printf(__VA_ARGS__);                                      \
		printf("\n");                                             \
		(d)->failures += !ok_;                                    \
	} while (0)

static const uint8_t rng_ta[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
				    0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };

static void print_uuid(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

/* The driver's probe; nothing else can run without it. */
static int demo_probe(struct demo *d)
{
	int r = guest_probe(d->g);
	const struct guest_probe_info *pi = guest_probe_info(d->g);
	STEP(d, r == 0, "probe: OP-TEE API %u.%u, OS revision %u.%u (build %08x), %u threads, caps %#x, %s",
	     pi->api_major, pi->api_minor, pi->os_major, pi->os_minor, pi->os_build, pi->thread_count,
	     pi->sec_caps, pi->mode == GUEST_MODE_REGD_ARG ? "CALL_WITH_REGD_ARG" : "CALL_WITH_ARG");
	return r;
}

static void demo_devices(struct demo *d)
{
	struct vtee_uuid *devs = NULL;
	size_t ndev = 0;
	int r = guest_enumerate_devices(d->g, GUEST_PTA_CMD_GET_DEVICES, &devs, &ndev);
	STEP(d, r == 0 && ndev == 1 && !memcmp(devs[0].b, rng_ta, 16), "device enumeration: %zu device(s)", ndev);
	for (size_t i = 0; i < ndev; i++) {
		printf("         optee-ta-");
		print_uuid(devs[i].b);
		printf("\n");
	}
	free(devs);
}

static void demo_rng(struct demo *d)
{
	uint32_t s;
	uint8_t rnd[32] = { 0 };
	uint32_t ret = guest_open_session(d->g, rng_ta, TEE_LOGIN_REE_KERNEL, NULL, NULL, 0, 0, &s, NULL);
	if (ret == TEE_SUCCESS) {
		struct guest_buf *b;
		ret = TEE_ERROR_OUT_OF_MEMORY;
		if (guest_buf_alloc(d->g, 32, 0, GUEST_BUF_CONTIG, &b) == 0) {
			struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, 32, false);
			ret = guest_invoke(d->g, s, 0 /* GET_ENTROPY */, &p, 1, 0, NULL);
			guest_buf_read(d->g, b, 0, rnd, sizeof(rnd));
			guest_buf_free(d->g, b);
		}
		guest_close_session(d->g, s);
	}
	STEP(d, ret == TEE_SUCCESS, "RNG TA: %s", "32 bytes of entropy");
	printf("         ");
	for (size_t i = 0; i < sizeof(rnd); i++)
		printf("%02x", rnd[i]);
	printf("\n");
}

static void demo_value(struct demo *d, uint32_t s)
{
	struct guest_param v = guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0);
	uint32_t ret = guest_invoke(d->g, s, VTEE_TEST_CMD_INC, &v, 1, 0, NULL);
	STEP(d, ret == TEE_SUCCESS && v.u.value.a == 42, "value in/out: INC 41 -> %llu",
	     (unsigned long long)v.u.value.a);
}

static void demo_tmem(struct demo *d, uint32_t s)
{
	const char msg[] = "hello from the guest";
	struct guest_buf *tb;
	char back[sizeof(msg)] = { 0 };
	uint32_t ret = TEE_ERROR_OUT_OF_MEMORY;
	if (guest_buf_alloc(d->g, sizeof(msg) - 1, 100, GUEST_BUF_SCATTER, &tb) == 0) {
		guest_buf_write(d->g, tb, 0, msg, sizeof(msg) - 1);
		struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, tb, 0, sizeof(msg) - 1, true);
		ret = guest_invoke(d->g, s, VTEE_TEST_CMD_REVERSE, &p, 1, 0, NULL);
		guest_buf_read(d->g, tb, 0, back, sizeof(msg) - 1);
		guest_buf_free(d->g, tb);
	}
	STEP(d, ret == TEE_SUCCESS, "temporary memref (page list): REVERSE -> \"%s\"", back);
}

static void demo_shm(struct demo *d, uint32_t s)
{
	struct guest_shm *shm = NULL;
	const size_t big = 1u << 20;
	uint32_t ret = guest_shm_alloc(d->g, big, GUEST_BUF_SCATTER, &shm);
	if (ret != TEE_SUCCESS) {
		STEP(d, false, "REGISTER_SHM of 1 MiB: %#x", ret);
		return;
	}
	uint32_t want = 0x811c9dc5u;
	guest_buf_fill(d->g, shm->buf, 0, 0xa5, big);
	for (size_t i = 0; i < big; i++)
		want = (want ^ 0xa5u) * 0x01000193u;
	struct guest_param p[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, big),
				    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	ret = guest_invoke(d->g, s, VTEE_TEST_CMD_HASH, p, 2, 0, NULL);
	STEP(d, ret == TEE_SUCCESS && p[1].u.value.a == want,
	     "registered shared memory (1 MiB, 256 scattered pages): HASH %08llx", (unsigned long long)p[1].u.value.a);
	guest_shm_unregister(d->g, shm);
}

/* An RPC to the guest kernel (GET_TIME), and the identity the TA sees. */
static void demo_rpc_and_identity(struct demo *d, uint32_t s)
{
	struct guest_param v = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	uint32_t ret = guest_invoke(d->g, s, VTEE_TEST_CMD_REE_TIME, &v, 1, 0, NULL);
	STEP(d, ret == TEE_SUCCESS && v.u.value.a > 1700000000u,
	     "RPC to the guest kernel (GET_TIME): guest clock %llu.%09llu s", (unsigned long long)v.u.value.a,
	     (unsigned long long)v.u.value.b);

	v = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	ret = guest_invoke(d->g, s, VTEE_TEST_CMD_WHOAMI, &v, 1, 0, NULL);
	STEP(d, ret == TEE_SUCCESS && v.u.value.a == d->vm_id, "identity seen by the TA: VM %llu, login %#llx",
	     (unsigned long long)v.u.value.a, (unsigned long long)v.u.value.b);
}

/* The test TA with every kind of parameter; 0, or -EIO if no session could be opened. */
static int demo_test_ta(struct demo *d)
{
	static const uint8_t test_ta[16] = VTEE_TEST_TA_UUID_BYTES;
	uint32_t s;
	uint32_t ret = guest_open_session(d->g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL);
	STEP(d, ret == TEE_SUCCESS, "open session on the test TA (%s): id %u", VTEE_TEST_TA_UUID_STR, s);
	if (ret != TEE_SUCCESS)
		return -EIO;
	demo_value(d, s);
	demo_tmem(d, s);
	demo_shm(d, s);
	demo_rpc_and_identity(d, s);
	guest_close_session(d->g, s);
	return 0;
}

/* With the client gone, the VM holds only the driver's own arg pages. */
static void demo_vm_state(struct demo *d)
{
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(d->g), &st);
	STEP(d, st.sessions == 0 && st.calls == 0,
	     "VM state after the client closed: %u sessions, %u shm buffers (driver arg pages), %u calls, "
	     "%llu SMCs served", st.sessions, st.shm_buffers, st.calls, (unsigned long long)st.smc_count);
}

static int demo(const char *backend, bool no_rpc_arg)
{
	struct vtee_tee *tee;
	struct demo d = { .vm_id = 1 };
	int r = vtee_tee_open(backend, NULL, &tee);
	if (r) {
		cmd_log("vtee", "cannot open back-end '%s': %s", backend, strerror(-r));
		return 1;
	}
	struct vtee_vm_config vc = { .vm_id = d.vm_id, .name = "demo", .no_rpc_arg = no_rpc_arg };
	r = guest_create_vm(tee, &vc, NULL, &d.g);
	if (r) {
		cmd_log("vtee", "cannot create the demo VM: %s", strerror(-r));
		vtee_tee_close(tee);
		return 1;
	}
	printf("vtee demo: a modelled Linux guest driver (VM 'demo') on back-end '%s'\n", backend);
	if (demo_probe(&d) == 0) {
		demo_devices(&d);
		demo_rng(&d);
		if (demo_test_ta(&d) == 0)
			demo_vm_state(&d);
	}
	guest_shutdown(d.g);
	guest_destroy(d.g);
	vtee_tee_close(tee);
	printf("%s\n", d.failures ? "vtee demo: FAILED" : "vtee demo: all good");
	return d.failures ? 1 : 0;
}

int demo_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "no-rpc-arg", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *backend = "soft";
	bool no_rpc_arg = false;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "b:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': backend = optarg; break;
		case 'n': no_rpc_arg = true; break;
		case 'h': vtee_usage(stdout); return 0;
		default: vtee_usage(stderr); return 2;
		}
	}
	return demo(backend, no_rpc_arg);
}
