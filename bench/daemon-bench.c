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
#include <sched.h>
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

#define ITERS    20000
#define ROUNDS   7
#define RAM_SIZE (16u << 20)


/* The set-ups measured side by side. */
struct oop {
	const char *vteed, *tee;
	struct guest *g, *g2, *g3;  /* through vteed; through the supervised vteed; libvtee in process */
	uint32_t sess, sess2, sess3;
	struct vteed *vm, *echo;
	pid_t pid_vm, pid_echo;
	int echo_fd;
	struct vtee_tee *itee;
};

/* The guest models' SMC transports: the vteed of the VM, and the supervised one. */
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
	if (err)
		die("vteed_spawn: %d %s", err, msg);
	return v;
}

static void stop(struct vteed *v, pid_t pid)
{
	vteed_close(v);
	int st;
	waitpid(pid, &st, 0);
}

/* Probe the guest model and open a session to the test TA. */
static void session_up(struct guest *g, const char *what, uint32_t *sess)
{
	if (guest_probe(g))
		die("guest_probe (%s)", what);
	if (guest_open_session(g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, sess, NULL) != TEE_SUCCESS)
		die("open session (%s)", what);
}

/* A guest model whose SMCs go to smc (a vteed), its RAM shared by memfd. */
static struct guest *guest_for_vteed(void (*smc)(void *ctx, uint64_t regs[8]))
{
	struct guest *g;
	if (guest_create(NULL, &(struct guest_config){ .ram_size = RAM_SIZE, .smc_fn = smc }, &g))
		die("guest_create");
	if (guest_ram_fd(g) < 0)
		die("guest RAM fd not found");
	return g;
}

/* PATH-TO-VTEED, else $VTEED, else ../daemon/vteed next to this program; vtee-tee beside it. */
static void find_daemons(int argc, char **argv, char vteed[PATH_MAX], char tee[PATH_MAX])
{
	const char *given = argc > 1 ? argv[1] : getenv("VTEED");
	if (given) {
		snprintf(vteed, PATH_MAX, "%s", given);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			die("cannot find vteed; pass its path");
		self[n] = 0;
		snprintf(vteed, PATH_MAX, "%s/../daemon/vteed", dirname(self));
	}
	snprintf(tee, PATH_MAX, "%s", vteed);
	char *slash = strrchr(tee, '/');
	size_t dirlen = slash ? (size_t)(slash + 1 - tee) : 0;
	snprintf(tee + dirlen, PATH_MAX - dirlen, "vtee-tee");
}

/* The VM served by a vteed, an echo vteed (its own small RAM, never touched), the supervised set-up. */
static void oop_up(struct oop *b)
{
	b->g = guest_for_vteed(smc_fn);
	b->vm = cur_v = start(b->vteed, 1, "bench-vm", 1, guest_ram_fd(b->g), RAM_SIZE, NULL, &b->pid_vm);
	session_up(b->g, "vteed", &b->sess);

	b->echo_fd = memfd_create("echo-ram", MFD_CLOEXEC);
	if (b->echo_fd < 0 || ftruncate(b->echo_fd, 1u << 20))
		die("memfd");
	b->echo = start(b->vteed, 2, "bench-echo", 1, b->echo_fd, 1u << 20, (const char *const[]){ "--echo", NULL },
			&b->pid_echo);

	/* the recoverable set-up: vteed_start() with vtee-tee beside vteed */
	b->g2 = guest_for_vteed(sup_smc_fn);
	char msg[96];
	struct vteed_ram ram2 = { .gpa = GUEST_RAM0_GPA, .size = RAM_SIZE, .fd = guest_ram_fd(b->g2) };
	if (vteed_start(&(struct vteed_config){ .vm_id = 4, .name = "bench-sup", .nvcpus = 1, .vteed_path = b->vteed,
						.tee_path = b->tee },
			&ram2, 1, &sup_v, msg, sizeof(msg)))
		die("vteed_start: %s", msg);
	session_up(b->g2, "supervised", &b->sess2);

	/* the same guest driver against libvtee in this process: the work a null invoke is made of */
	if (vtee_tee_open("soft", NULL, &b->itee) ||
	    guest_create_vm(b->itee, &(struct vtee_vm_config){ .vm_id = 5, .name = "bench-inproc" },
			    &(struct guest_config){ .ram_size = RAM_SIZE }, &b->g3))
		die("in-process guest");
	session_up(b->g3, "in-process", &b->sess3);
}

static void oop_down(struct oop *b)
{
	guest_close_session(b->g3, b->sess3);
	guest_shutdown(b->g3);
	guest_destroy(b->g3);
	vtee_tee_close(b->itee);
	guest_close_session(b->g2, b->sess2);
	guest_shutdown(b->g2);
	vteed_close(sup_v);
	guest_destroy(b->g2);

	guest_close_session(b->g, b->sess);
	guest_shutdown(b->g);
	stop(b->echo, b->pid_echo);
	close(b->echo_fd);
	stop(b->vm, b->pid_vm);
	guest_destroy(b->g);
}

/* ---- one round of each path ---- */

static double echo_us(struct vteed *echo)
{
	double t0 = now_us();
	for (int i = 0; i < ITERS; i++) {
		uint64_t regs[8] = { OPTEE_SMC_CALLS_UID, (uint64_t)i };
		vteed_smc(echo, 0, regs);
		if (regs[1] != (uint64_t)i)
			die("echo mismatch");
	}
	return (now_us() - t0) / ITERS;
}

static double fast_call_us(struct vteed *vm)
{
	double t0 = now_us();
	for (int i = 0; i < ITERS; i++) {
		uint64_t regs[8] = { OPTEE_SMC_CALLS_UID };
		vteed_smc(vm, 0, regs);
		if (regs[0] != OPTEE_MSG_UID_0)
			die("CALLS_UID mismatch");
	}
	return (now_us() - t0) / ITERS;
}

static double null_invoke_us(struct guest *g, uint32_t sess, int n, const char *what)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++)
		if (guest_invoke(g, sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
			die("null invoke%s", what);
	return (now_us() - t0) / n;
}

/*
 * The floor of a path with more busy threads than free cores: two processes
 * on one core hand a word back and forth with sched_yield(), so each round
 * trip is two context switches between processes.
 */
static double switch_round_trip_us(void)
{
	enum { N = 20000 };
	_Atomic uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED)
		die("mmap");
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	cpu_set_t saved;
	sched_getaffinity(0, sizeof(saved), &saved);
	sched_setaffinity(0, sizeof(one), &one); /* inherited by the child */
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	uint32_t mine = pid ? 0 : 1;
	double t0 = now_us();
	for (uint32_t i = 0; i < 2 * N; i += 2) {
		while (*word != i + mine)
			sched_yield();
		*word = i + mine + 1;
	}
	if (!pid)
		_exit(0);
	double us = (now_us() - t0) / N;
	waitpid(pid, NULL, 0);
	sched_setaffinity(0, sizeof(saved), &saved);
	munmap((void *)word, 4096);
	return us;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(double), cmp_double);
	return v[ROUNDS / 2];
}

/* All round trips, round by round in this run; their medians. */
static void bench_round_trips(struct oop *b)
{
	double pp[ROUNDS], fc[ROUNDS], ni[ROUNDS], sni[ROUNDS], ipi[ROUNDS], sw[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		sw[r] = switch_round_trip_us();
		pp[r] = echo_us(b->echo);
		fc[r] = fast_call_us(b->vm);
		ni[r] = null_invoke_us(b->g, b->sess, ITERS / 4, "");
		sni[r] = null_invoke_us(b->g2, b->sess2, ITERS / 8, " (supervised)");
		ipi[r] = null_invoke_us(b->g3, b->sess3, ITERS / 4, " (in-process)");
	}
	double mpp = median(pp), mni = median(ni), msni = median(sni), mipi = median(ipi);
	printf("BENCH oop_fast_call %.3f us\n", median(fc));
	printf("BENCH oop_null_invoke %.3f us\n", mni);
	printf("BENCH oop_pingpong %.3f us\n", mpp);
	printf("RATIO oop_null_invoke_vs_pingpong %.3f\n", mni / mpp);
	printf("BENCH oop_supervised_null_invoke %.3f us\n", msni);
	printf("RATIO oop_supervised_null_invoke_vs_pingpong %.3f\n", msni / mpp);
	/*
	 * The supervised path has three busy threads (this vCPU, vteed, vtee-tee).
	 * With at least three free cores each polls on its own and the target is
	 * <= 2x the unsupervised call; with fewer, two of them share a core and
	 * every call pays at least one switch round trip between processes.
	 */
	double msw = median(sw);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("BENCH switch_round_trip %.3f us (two processes on one core, sched_yield; %ld cores online)\n", msw,
	       cores);
	printf("RATIO oop_supervised_vs_unsupervised_null_invoke %.3f (target <= 2 with >= 3 free cores)\n",
	       msni / mni);
	printf("RATIO oop_supervised_vs_unsupervised_plus_switch %.3f (the floor with < 3 cores: 1)\n",
	       msni / (mni + msw));
	/*
	 * What a null invoke is made of, same run: the guest driver's and vtee's own
	 * work (in one process, hot caches) plus one mailbox round trip. The rest of
	 * oop_null_invoke is the message's cache lines crossing cores.
	 */
	printf("BENCH inproc_null_invoke %.3f us (the same guest driver, libvtee in this process)\n", mipi);
	printf("RATIO oop_null_invoke_vs_pingpong_plus_inproc %.3f\n", mni / (mpp + mipi));
}

/* Kill the supervised vteed, time until an SMC is answered again; its session must survive. */
static void bench_recovery(struct oop *b)
{
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
		if (guest_invoke(b->g2, b->sess2, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
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
}

/* A fresh vteed serving a 4-vCPU VM with 64 MiB RAM that makes no call. */
static void bench_idle_rss(const char *vteed)
{
	int idle_fd = memfd_create("idle-ram", MFD_CLOEXEC);
	if (idle_fd < 0 || ftruncate(idle_fd, 64u << 20))
		die("memfd");
	pid_t pid_idle;
	struct vteed *idle = start(vteed, 3, "bench-idle", 4, idle_fd, 64u << 20, NULL, &pid_idle);
	usleep(300 * 1000);
	printf("BENCH vteed_idle_rss %ld KiB (target <= 4096)\n", rss_kib(pid_idle));
	stop(idle, pid_idle);
	close(idle_fd);
}

int main(int argc, char **argv)
{
	char vteed[PATH_MAX], tee[PATH_MAX];
	find_daemons(argc, argv, vteed, tee);
	struct oop b = { .vteed = vteed, .tee = tee };
	oop_up(&b);
	bench_round_trips(&b);
	bench_recovery(&b);
	oop_down(&b);
	bench_idle_rss(vteed);
	return 0;
}
