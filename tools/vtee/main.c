// SPDX-License-Identifier: MIT
/*
 * The vtee command.
 *
 *   vtee demo [--backend NAME] [--no-rpc-arg]
 *       Run a model of a Linux guest's OP-TEE driver against libvtee in this
 *       process: probe, device enumeration, the RNG TA, the test TA with
 *       every kind of parameter. Exits non-zero if anything is wrong.
 *   vtee run [options]
 *       Boot a Debian arm64 kernel on the emulated board (QEMU TCG + the EL3
 *       firmware) with the guest's OP-TEE calls served by a supervised vteed
 *       (or, with --in-process, by libvtee in this process).
 *       A shell in the guest, or --script FILE and exit with its status.
 *   vtee status        the running vteeds (one per VM): sessions, memory, calls, restarts
 *   vtee backends      list the registered TEE back-ends, a line each: name, description
 *   vtee version
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VTEE_HAVE_BOARD
#include "launch.h"
#endif
#include "guest.h"
#include "vtee_cmd.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"

static int failures;

#define STEP(ok, ...)                                                     \
	do {                                                              \
		bool ok_ = (ok);                                          \
		printf("  [%s] ", ok_ ? " ok " : "FAIL");                 \
		printf(__VA_ARGS__);                                      \
		printf("\n");                                             \
		failures += !ok_;                                         \
	} while (0)

static void usage(FILE *f)
{
	fprintf(f, "usage: vtee demo [--backend NAME] [--no-rpc-arg]\n"
		   "       vtee run [--script FILE] [--add HOSTFILE[:GUESTPATH]]... [--kernel FILE]\n"
		   "                [--smp N] [--mem MiB] [--no-virt] [--no-rpc-arg] [--timeout S]\n"
		   "                [--append ARGS] [--quiet] [--firmware FILE] [--cache DIR] [--expect-clean]\n"
		   "                [--policy FILE] [--in-process] [--export DIR]\n"
		   "       vtee status [--pid PID]\n"
		   "       vtee backends\n"
		   "       vtee version\n"
		   "\n"
		   "demo     run a modelled Linux guest's OP-TEE driver against libvtee: probe,\n"
		   "         device enumeration, the RNG TA and the test TA; non-zero exit on error\n"
		   "run      boot Debian's arm64 kernel under QEMU on the emulated board, its TEE\n"
		   "         served by vtee (packages are fetched with apt-get download and cached\n"
		   "         in $VTEE_CACHE or ~/.cache/vtee; scripts/install-deps --board sets up apt)\n"
		   "  --script FILE     run FILE (sh) in the guest after boot, exit with its status\n"
		   "                    (124 timeout, 125 board failure or no status, 128+N signal N)\n"
		   "  --add H[:G]       put host file or directory H at guest path G (default /root/NAME)\n"
		   "  --kernel FILE     an arm64 Image or a kernel .deb instead of the newest\n"
		   "                    linux-image-6.12.*-arm64-unsigned from bookworm-backports\n"
		   "  --smp N           CPUs, 1..8 [1]       --mem MiB     guest RAM, >= 256 [1024]\n"
		   "  --no-virt         no EL2 (virtualization=off)\n"
		   "  --no-rpc-arg      vtee does not offer OP-TEE's RPC_ARG capability\n"
		   "  --timeout S       stop the guest after S seconds [none]\n"
		   "  --append ARGS     extra kernel command-line arguments\n"
		   "  --quiet           kernel 'quiet', and fewer messages from vtee\n"
		   "  --firmware FILE   EL3 firmware [$VTEE_FIRMWARE or the one built with vtee]\n"
		   "  --cache DIR       package cache [$VTEE_CACHE or ~/.cache/vtee]\n"
		   "  --expect-clean    after the script, fail (126) if vtee still holds sessions,\n"
		   "                    shared memory or calls for the VM (unload the driver first)\n"
		   "  --policy FILE     the VM's policy file for its vteed (docs/policy.md)\n"
		   "  --in-process      serve the TEE with libvtee inside this process instead of\n"
		   "                    the default: a vteed (unprivileged, sandboxed, restarted if\n"
		   "                    it dies) with the built-in TEE in vtee-tee (docs/recovery.md)\n"
		   "  --vteed           the default, kept for scripts\n"
		   "  --export DIR      boot nothing: write the kernel (DIR/Image) and the initramfs\n"
		   "                    this run would boot (DIR/initrd.cpio) for another VMM\n"
		   "status   the running vteeds this user may ask: sessions (vteed / TEE), shared\n"
		   "         memory, calls, quota use, denials and restarts (vtee status --help)\n"
		   "backends list the TEE back-ends built in, with what each is\n");
}

static void print_uuid(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static int demo(const char *backend, bool no_rpc_arg)
{
	static const uint8_t test_ta[16] = VTEE_TEST_TA_UUID_BYTES;
	static const uint8_t rng_ta[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
					    0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };
	struct vtee_tee *tee;
	struct guest *g;
	int r = vtee_tee_open(backend, NULL, &tee);
	if (r) {
		fprintf(stderr, "vtee: cannot open back-end '%s': %s\n", backend, strerror(-r));
		return 1;
	}
	struct vtee_vm_config vc = { .vm_id = 1, .name = "demo", .no_rpc_arg = no_rpc_arg };
	r = guest_create_vm(tee, &vc, NULL, &g);
	if (r) {
		fprintf(stderr, "vtee: cannot create the demo VM: %s\n", strerror(-r));
		vtee_tee_close(tee);
		return 1;
	}
	printf("vtee demo: a modelled Linux guest driver (VM 'demo') on back-end '%s'\n", backend);

	r = guest_probe(g);
	const struct guest_probe_info *pi = guest_probe_info(g);
	STEP(r == 0, "probe: OP-TEE API %u.%u, OS revision %u.%u (build %08x), %u threads, caps %#x, %s",
	     pi->api_major, pi->api_minor, pi->os_major, pi->os_minor, pi->os_build, pi->thread_count,
	     pi->sec_caps, pi->mode == GUEST_MODE_REGD_ARG ? "CALL_WITH_REGD_ARG" : "CALL_WITH_ARG");
	if (r)
		goto out;

	struct vtee_uuid *devs = NULL;
	size_t ndev = 0;
	r = guest_enumerate_devices(g, GUEST_PTA_CMD_GET_DEVICES, &devs, &ndev);
	STEP(r == 0 && ndev == 1 && !memcmp(devs[0].b, rng_ta, 16), "device enumeration: %zu device(s)", ndev);
	for (size_t i = 0; i < ndev; i++) {
		printf("         optee-ta-");
		print_uuid(devs[i].b);
		printf("\n");
	}
	free(devs);

	uint32_t s;
	uint32_t ret = guest_open_session(g, rng_ta, TEE_LOGIN_REE_KERNEL, NULL, NULL, 0, 0, &s, NULL);
	struct guest_buf *b = guest_buf_alloc(g, 32, 0, GUEST_BUF_CONTIG);
	uint8_t rnd[32] = { 0 };
	if (ret == TEE_SUCCESS && b) {
		struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, 32, false);
		ret = guest_invoke(g, s, 0 /* GET_ENTROPY */, &p, 1, 0, NULL);
		guest_buf_read(g, b, 0, rnd, sizeof(rnd));
		guest_close_session(g, s);
	}
	STEP(ret == TEE_SUCCESS, "RNG TA: %s", "32 bytes of entropy");
	printf("         ");
	for (size_t i = 0; i < sizeof(rnd); i++)
		printf("%02x", rnd[i]);
	printf("\n");
	if (b)
		guest_buf_free(g, b);

	ret = guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL);
	STEP(ret == TEE_SUCCESS, "open session on the test TA (%s): id %u", VTEE_TEST_TA_UUID_STR, s);
	if (ret != TEE_SUCCESS)
		goto out;

	struct guest_param v = guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0);
	ret = guest_invoke(g, s, VTEE_TEST_CMD_INC, &v, 1, 0, NULL);
	STEP(ret == TEE_SUCCESS && v.u.value.a == 42, "value in/out: INC 41 -> %llu",
	     (unsigned long long)v.u.value.a);

	const char msg[] = "hello from the guest";
	struct guest_buf *tb = guest_buf_alloc(g, sizeof(msg) - 1, 100, GUEST_BUF_SCATTER);
	char back[sizeof(msg)] = { 0 };
	ret = TEE_ERROR_OUT_OF_MEMORY;
	if (tb) {
		guest_buf_write(g, tb, 0, msg, sizeof(msg) - 1);
		struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, tb, 0, sizeof(msg) - 1, true);
		ret = guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, &p, 1, 0, NULL);
		guest_buf_read(g, tb, 0, back, sizeof(msg) - 1);
		guest_buf_free(g, tb);
	}
	STEP(ret == TEE_SUCCESS, "temporary memref (page list): REVERSE -> \"%s\"", back);

	struct guest_shm *shm = NULL;
	const size_t big = 1u << 20;
	ret = guest_shm_alloc(g, big, GUEST_BUF_SCATTER, &shm);
	uint32_t want = 0x811c9dc5u;
	if (ret == TEE_SUCCESS) {
		guest_buf_fill(g, shm->buf, 0, 0xa5, big);
		for (size_t i = 0; i < big; i++)
			want = (want ^ 0xa5u) * 0x01000193u;
		struct guest_param p[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, big),
					    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		ret = guest_invoke(g, s, VTEE_TEST_CMD_HASH, p, 2, 0, NULL);
		STEP(ret == TEE_SUCCESS && p[1].u.value.a == want,
		     "registered shared memory (1 MiB, 256 scattered pages): HASH %08llx",
		     (unsigned long long)p[1].u.value.a);
		guest_shm_unregister(g, shm);
	} else {
		STEP(false, "REGISTER_SHM of 1 MiB: %#x", ret);
	}

	v = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	ret = guest_invoke(g, s, VTEE_TEST_CMD_REE_TIME, &v, 1, 0, NULL);
	STEP(ret == TEE_SUCCESS && v.u.value.a > 1700000000u,
	     "RPC to the guest kernel (GET_TIME): guest clock %llu.%09llu s",
	     (unsigned long long)v.u.value.a, (unsigned long long)v.u.value.b);

	v = guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	ret = guest_invoke(g, s, VTEE_TEST_CMD_WHOAMI, &v, 1, 0, NULL);
	STEP(ret == TEE_SUCCESS && v.u.value.a == vc.vm_id, "identity seen by the TA: VM %llu, login %#llx",
	     (unsigned long long)v.u.value.a, (unsigned long long)v.u.value.b);
	guest_close_session(g, s);

	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	STEP(st.sessions == 0 && st.calls == 0,
	     "VM state after the client closed: %u sessions, %u shm buffers (driver arg pages), %u calls, "
	     "%llu SMCs served", st.sessions, st.shm_buffers, st.calls, (unsigned long long)st.smc_count);
out:
	guest_shutdown(g);
	guest_destroy(g);
	vtee_tee_close(tee);
	printf("%s\n", failures ? "vtee demo: FAILED" : "vtee demo: all good");
	return failures ? 1 : 0;
}

#ifdef VTEE_HAVE_BOARD
/* HOST[:GUEST]: GUEST is what follows the last ':' that starts an absolute path. */
/* HOST[:GUEST]: GUEST is what follows the last ':' that starts an absolute path. a->guest is malloc'd. */
static bool parse_add(char *s, struct launch_add *a)
{
	char *sep = NULL;
	for (char *p = strchr(s, ':'); p; p = strchr(p + 1, ':'))
		if (p[1] == '/')
			sep = p;
	char *g;
	if (sep) {
		*sep = 0;
		g = strdup(sep + 1);
	} else {
		const char *base = strrchr(s, '/');
		base = base ? base + 1 : s;
		g = malloc(strlen(base) + 7);
		if (g)
			sprintf(g, "/root/%s", base);
	}
	a->host = s;
	a->guest = g;
	return g != NULL;
}

static bool parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffu)
		return false;
	*out = (unsigned)v;
	return true;
}

static int run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "script", required_argument, NULL, 's' },
		{ "add", required_argument, NULL, 'a' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "smp", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "no-virt", no_argument, NULL, 'V' },
		{ "no-rpc-arg", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "append", required_argument, NULL, 'A' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "firmware", required_argument, NULL, 'f' },
		{ "cache", required_argument, NULL, 'c' },
		{ "expect-clean", no_argument, NULL, 'E' },
		{ "vteed", no_argument, NULL, 'D' },
		{ "in-process", no_argument, NULL, 'I' },
		{ "policy", required_argument, NULL, 'P' },
		{ "export", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct launch_options o = { .smp = 1, .mem_mib = 1024, .vteed = true };
	struct launch_add *adds = calloc((size_t)argc, sizeof(*adds));
	int c, rc;
	optind = 2;
	while ((c = getopt_long(argc, argv, "s:a:k:p:m:Vnt:A:qf:c:Eh", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.script = optarg; break;
		case 'a':
			if (!parse_add(optarg, &adds[o.nadds++]))
				goto bad;
			break;
		case 'k': o.kernel = optarg; break;
		case 'p':
			if (!parse_uint(optarg, &o.smp))
				goto bad;
			break;
		case 'm':
			if (!parse_uint(optarg, &o.mem_mib))
				goto bad;
			break;
		case 'V': o.no_virt = true; break;
		case 'n': o.no_rpc_arg = true; break;
		case 't':
			if (!parse_uint(optarg, &o.timeout_s))
				goto bad;
			break;
		case 'A': o.append = optarg; break;
		case 'q': o.quiet = true; break;
		case 'f': o.firmware = optarg; break;
		case 'c': o.cache_dir = optarg; break;
		case 'E': o.expect_clean = true; break;
		case 'D': o.vteed = true; break;
		case 'I': o.vteed = false; break;
		case 'P': o.policy = optarg; break;
		case 'X': o.export_dir = optarg; break;
		case 'h': usage(stdout); free(adds); return 0;
		default: goto bad;
		}
	}
	if (optind != argc || (o.policy && !o.vteed))
		goto bad;
	o.adds = adds;
	rc = launch_run(&o);
	goto out;
bad:
	usage(stderr);
	rc = 2;
out:
	for (size_t i = 0; i < o.nadds; i++)
		free((char *)adds[i].guest);
	free(adds);
	return rc;
}
#endif

int main(int argc, char **argv)
{
	vtee_set_log(vtee_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* libvtee's lines on stderr */
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "version")) {
		printf("vtee %s\n", VTEE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "status"))
		return status_main(argc, argv);
	if (!strcmp(cmd, "backends")) {
		const struct vtee_backend_ops *ops;
		size_t pos = 0;
		while ((ops = vtee_backend_next(&pos)))
			printf("%-8s %s\n", ops->name, ops->description ? ops->description : "");
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "run")) {
#ifdef VTEE_HAVE_BOARD
		return run_main(argc, argv);
#else
		fprintf(stderr, "vtee: 'run' was not built (needs libfdt: scripts/install-deps --board)\n");
		return 2;
#endif
	}
	if (strcmp(cmd, "demo")) {
		fprintf(stderr, "vtee: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
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
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	return demo(backend, no_rpc_arg);
}
