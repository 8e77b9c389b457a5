// SPDX-License-Identifier: MIT
/*
 * Out-of-process vtee (vteed) benchmarks: one SMC round trip VMM -> vteed -> VMM.
 *
 *   oop_pingpong     the mailbox floor: a vteed started with --echo answers each
 *                    SMC with its own registers (no TEE)
 *   oop_fast_call    CALLS_UID served by libvtee inside vteed
 *   oop_null_invoke  INVOKE of the test TA's NULL command (guest model driver)
 *   vteed_idle_rss   VmRSS of a vteed serving an idle 4-vCPU VM
 *   oop_supervised_null_invoke  the same NULL invoke with the recoverable set-up
 *                    (vteed_start: the built-in TEE in vtee-tee, reached through
 *                    the link back-end; the journal in the supervisor)
 *   vteed_recovery   SIGKILL of a supervised vteed -> the next SMC answered
 *   vteed_idle_rss_supervised, vtee_tee_idle_rss   the recoverable set-up, idle
 *
 * All three round trips are measured round by round in the same run; medians.
 * Usage: daemon-bench [PATH-TO-VTEED]   (default $VTEED, else ../daemon/vteed next to this program)
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vtee/vteed.h"
#include "guest.h"
#include "optee_abi.h"
#include "vtee/test_ta.h"

#define BENCH_NAME "daemon-bench"
#include "bench.h"

#define ITERS  20000
#define ROUNDS 7


static struct vteed *cur_v, *sup_v;
static void smc_fn(void *ctx, uint64_t regs[8])
{
	(void)ctx;
	vteed_smc(cur_v, 0, regs);
}

static void sup_smc_fn(void *ctx, uint64_t regs[8])
{
	(void)ctx;
	vteed_smc(sup_v, 0, regs);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long rss = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &rss) == 1)
			break;
	if (f)
		fclose(f);
	return rss;
}


static struct vteed *start(const char *vteed, uint32_t id, const char *name, unsigned nvcpus, int fd,
			   uint64_t size, const char *const *extra, pid_t *pid)
{
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = size, .fd = fd, .fd_offset = 0 };
	struct vteed *v;
	char msg[96];
	int err = vteed_spawn(&(struct vteed_config){ .vm_id = id, .name = name, .nvcpus = nvcpus,
						       .vteed_path = vteed, .extra_args = extra },
			      &ram, 1, &v, pid, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "daemon-bench: vteed_spawn: %d %s\n", err, msg);
		exit(1);
	}
	return v;
}

static void stop(struct vteed *v, pid_t pid)
{
	vteed_close(v);
	int st;
	waitpid(pid, &st, 0);
}

int main(int argc, char **argv)
{
	char defpath[PATH_MAX];
	const char *vteed = argc > 1 ? argv[1] : getenv("VTEED");
	if (!vteed) {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			die("cannot find vteed; pass its path");
		self[n] = 0;
		snprintf(defpath, sizeof(defpath), "%s/../daemon/vteed", dirname(self));
		vteed = defpath;
	}

	/* the real VM: guest model routed through vteed */
	struct guest *g;
	const uint64_t ram_size = 16u << 20;
	if (guest_create(NULL, &(struct guest_config){ .ram_size = ram_size, .smc_fn = smc_fn }, &g))
		die("guest_create");
	int ram_fd = guest_ram_fd(g);
	if (ram_fd < 0)
		die("guest RAM fd not found");
	pid_t pid_vm, pid_echo;
	struct vteed *vm = start(vteed, 1, "bench-vm", 1, ram_fd, ram_size, NULL, &pid_vm);
	cur_v = vm;
	if (guest_probe(g))
		die("guest_probe");
	uint32_t sess;
	if (guest_open_session(g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS)
		die("open session");

	/* the echo daemon: its own small RAM, never touched */
	int echo_fd = memfd_create("echo-ram", MFD_CLOEXEC);
	if (echo_fd < 0 || ftruncate(echo_fd, 1u << 20))
		die("memfd");
	struct vteed *echo = start(vteed, 2, "bench-echo", 1, echo_fd, 1u << 20,
				   (const char *const[]){ "--echo", NULL }, &pid_echo);

	/* the recoverable set-up: vteed_start() with vtee-tee beside vteed */
	char tee_path[PATH_MAX];
	snprintf(tee_path, sizeof(tee_path), "%s", vteed);
	char *slash = strrchr(tee_path, '/');
	size_t dirlen = slash ? (size_t)(slash + 1 - tee_path) : 0;
	snprintf(tee_path + dirlen, sizeof(tee_path) - dirlen, "vtee-tee");
	struct guest *g2;
	if (guest_create(NULL, &(struct guest_config){ .ram_size = ram_size, .smc_fn = sup_smc_fn }, &g2))
		die("guest_create");
	int ram2_fd = guest_ram_fd(g2);
	if (ram2_fd < 0)
		die("guest RAM fd not found");
	char msg[96];
	struct vteed_ram ram2 = { .gpa = GUEST_RAM0_GPA, .size = ram_size, .fd = ram2_fd };
	if (vteed_start(&(struct vteed_config){ .vm_id = 4, .name = "bench-sup", .nvcpus = 1, .vteed_path = vteed,
						.tee_path = tee_path },
			&ram2, 1, &sup_v, msg, sizeof(msg)))
		die("vteed_start");
	if (guest_probe(g2))
		die("guest_probe (supervised)");
	uint32_t sess2;
	if (guest_open_session(g2, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess2, NULL) != TEE_SUCCESS)
		die("open session (supervised)");

	/* the same guest driver against libvtee in this process: the work a null invoke is made of */
	struct vtee_tee *itee;
	struct guest *g3 = NULL;
	if (vtee_tee_open("soft", NULL, &itee) ||
	    guest_create_vm(itee, &(struct vtee_vm_config){ .vm_id = 5, .name = "bench-inproc" },
			    &(struct guest_config){ .ram_size = ram_size }, &g3) ||
	    guest_probe(g3))
		die("in-process guest");
	uint32_t sess3;
	if (guest_open_session(g3, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess3, NULL) != TEE_SUCCESS)
		die("open session (in-process)");

	double pp[ROUNDS], fc[ROUNDS], ni[ROUNDS], sni[ROUNDS], ipi[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		for (int i = 0; i < ITERS; i++) {
			uint64_t regs[8] = { OPTEE_SMC_CALLS_UID, (uint64_t)i };
			vteed_smc(echo, 0, regs);
			if (regs[1] != (uint64_t)i)
				die("echo mismatch");
		}
		pp[r] = (now_us() - t0) / ITERS;
		t0 = now_us();
		for (int i = 0; i < ITERS; i++) {
			uint64_t regs[8] = { OPTEE_SMC_CALLS_UID };
			vteed_smc(vm, 0, regs);
			if (regs[0] != OPTEE_MSG_UID_0)
				die("CALLS_UID mismatch");
		}
		fc[r] = (now_us() - t0) / ITERS;
		t0 = now_us();
		for (int i = 0; i < ITERS / 4; i++)
			if (guest_invoke(g, sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
				die("null invoke");
		ni[r] = (now_us() - t0) / (ITERS / 4);
		t0 = now_us();
		for (int i = 0; i < ITERS / 8; i++)
			if (guest_invoke(g2, sess2, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
				die("null invoke (supervised)");
		sni[r] = (now_us() - t0) / (ITERS / 8);
		t0 = now_us();
		for (int i = 0; i < ITERS / 4; i++)
			if (guest_invoke(g3, sess3, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
				die("null invoke (in-process)");
		ipi[r] = (now_us() - t0) / (ITERS / 4);
	}
	qsort(pp, ROUNDS, sizeof(double), cmp_double);
	qsort(fc, ROUNDS, sizeof(double), cmp_double);
	qsort(ni, ROUNDS, sizeof(double), cmp_double);
	qsort(sni, ROUNDS, sizeof(double), cmp_double);
	qsort(ipi, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH oop_fast_call %.3f us\n", fc[ROUNDS / 2]);
	printf("BENCH oop_null_invoke %.3f us\n", ni[ROUNDS / 2]);
	printf("BENCH oop_pingpong %.3f us\n", pp[ROUNDS / 2]);
	printf("RATIO oop_null_invoke_vs_pingpong %.3f\n", ni[ROUNDS / 2] / pp[ROUNDS / 2]);
	printf("BENCH oop_supervised_null_invoke %.3f us\n", sni[ROUNDS / 2]);
	printf("RATIO oop_supervised_null_invoke_vs_pingpong %.3f\n", sni[ROUNDS / 2] / pp[ROUNDS / 2]);
	/*
	 * What a null invoke is made of, same run: the guest driver's and vtee's own
	 * work (in one process, hot caches) plus one mailbox round trip. The rest of
	 * oop_null_invoke is the message's cache lines crossing cores.
	 */
	printf("BENCH inproc_null_invoke %.3f us (the same guest driver, libvtee in this process)\n", ipi[ROUNDS / 2]);
	printf("RATIO oop_null_invoke_vs_pingpong_plus_inproc %.3f\n",
	       ni[ROUNDS / 2] / (pp[ROUNDS / 2] + ipi[ROUNDS / 2]));

	/* recovery: kill the supervised vteed, time until an SMC is answered again */
	enum { KILLS = 15 };
	double rec[KILLS];
	for (int k = 0; k < KILLS; k++) {
		struct vteed_info info;
		vteed_get_info(sup_v, &info);
		double t0 = now_us();
		kill(info.pid, SIGKILL);
		uint64_t regs[8];
		do {
			memset(regs, 0, sizeof(regs));
			regs[0] = OPTEE_SMC_CALLS_UID;
			vteed_smc(sup_v, 0, regs); /* served by the next vteed once it is up */
			vteed_get_info(sup_v, &info);
		} while (info.restarts != (uint32_t)k + 1);
		rec[k] = (now_us() - t0) / 1000.0;
		if (regs[0] != OPTEE_MSG_UID_0)
			die("CALLS_UID after a restart");
		if (guest_invoke(g2, sess2, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
			die("the session did not survive a restart");
	}
	qsort(rec, KILLS, sizeof(double), cmp_double);
	printf("BENCH vteed_recovery %.1f ms median, %.1f ms max of %d kills (target <= 100 ms)\n", rec[KILLS / 2],
	       rec[KILLS - 1], KILLS);
	usleep(300 * 1000);
	struct vteed_info sinfo;
	vteed_get_info(sup_v, &sinfo);
	printf("BENCH vteed_idle_rss_supervised %ld KiB (journal + link back-end; target <= 4096)\n",
	       rss_kib(sinfo.pid));
	printf("BENCH vtee_tee_idle_rss %ld KiB (the built-in TEE, one session open)\n", rss_kib(sinfo.tee_pid));
	guest_close_session(g3, sess3);
	guest_shutdown(g3);
	guest_destroy(g3);
	vtee_tee_close(itee);
	guest_close_session(g2, sess2);
	guest_shutdown(g2);
	vteed_close(sup_v);
	guest_destroy(g2);

	guest_close_session(g, sess);
	guest_shutdown(g);
	stop(echo, pid_echo);
	close(echo_fd);
	stop(vm, pid_vm);
	guest_destroy(g);

	/* idle RSS: a fresh vteed serving a 4-vCPU VM with 64 MiB RAM that makes no call */
	int idle_fd = memfd_create("idle-ram", MFD_CLOEXEC);
	if (idle_fd < 0 || ftruncate(idle_fd, 64u << 20))
		die("memfd");
	pid_t pid_idle;
	struct vteed *idle = start(vteed, 3, "bench-idle", 4, idle_fd, 64u << 20, NULL, &pid_idle);
	usleep(300 * 1000);
	printf("BENCH vteed_idle_rss %ld KiB (target <= 4096)\n", rss_kib(pid_idle));
	stop(idle, pid_idle);
	close(idle_fd);
	return 0;
}
