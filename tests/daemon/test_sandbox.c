// SPDX-License-Identifier: MIT
/*
 * vteed's sandbox (daemon/sandbox.c, docs/threat-model.md):
 *   - `--sandbox-probe getpid` returns (exit 0); openat, execve, socket and
 *     ptrace kill vteed with SIGSYS, and do not under --no-sandbox (so it is
 *     the filter that kills, not the probe);
 *   - the allowlist builds for x86-64 and aarch64;
 *   - a sandboxed vteed serves a VM with 16 busy vCPUs (threads, malloc
 *     arenas, futexes), runs with Seccomp: 2 and NoNewPrivs: 1, and exits 0;
 *   - as root, --user nobody (and the default) runs it as nobody, with no
 *     capabilities and no groups, and --user root is refused;
 *   - not as root, --user root is refused with status 2 and a clear message.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "client.h"
#include "guest.h"
#include "sandbox.h"
#include "vtee/test_ta.h"

static const char *vteed;
static char sock_path[108];

/* Wait for a child we started, at most secs; kill it (by its pid) if it hangs. Returns the wait status. */
static int wait_child(pid_t pid, double secs)
{
	int st = 0;
	for (int i = 0; i < (int)(secs * 100); i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	fprintf(stderr, "vteed %d hung: killing it\n", (int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/*
 * Connect to vteed's --socket once it exists (vteed acts after accepting).
 * If vteed exits first, *st gets its wait status and -1 is returned.
 */
static int connect_socket(const char *path, pid_t pid, int *st)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 1000; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -1;
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return s;
		close(s);
		if (waitpid(pid, st, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	return -1;
}

/*
 * Run `vteed --socket PATH args...`, connect, and return its wait status.
 * stderr_out (may be NULL) gets what vteed wrote on stderr. run_as: 0 = as we
 * are, else the child switches to that uid/gid before exec.
 */
static int run_vteed(const char *const *args, char *stderr_out, size_t outlen, uid_t run_as, gid_t run_gid)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	unlink(sock_path);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		if (run_as && (setgroups(0, NULL) < 0 || setresgid(run_gid, run_gid, run_gid) < 0 ||
			       setresuid(run_as, run_as, run_as) < 0))
			_exit(126);
		const char *argv[16] = { vteed, "--socket", sock_path };
		unsigned n = 3;
		for (unsigned i = 0; args[i] && n < 15; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(vteed, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	int st = -1;
	int s = pid > 0 ? connect_socket(sock_path, pid, &st) : -1;
	if (pid > 0 && st == -1)
		st = wait_child(pid, 20);
	if (s >= 0)
		close(s);
	size_t got = 0;
	ssize_t n;
	char buf[512];
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
		if (stderr_out && got + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
			memcpy(stderr_out + got, buf, k);
			got += k;
		}
		fwrite(buf, 1, (size_t)n, stderr); /* vteed's log, for the test log */
	}
	if (stderr_out && outlen)
		stderr_out[got] = 0;
	close(pipefd[0]);
	unlink(sock_path);
	return st;
}

static bool killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static bool exited_with(int st, int code)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static void test_probes(void)
{
	int st = run_vteed((const char *const[]){ "--sandbox-probe", "getpid", NULL }, NULL, 0, 0, 0);
	CHECK(exited_with(st, 0));

	static const char *const forbidden[] = { "openat", "execve", "socket", "ptrace" };
	for (unsigned i = 0; i < 4; i++) {
		st = run_vteed((const char *const[]){ "--sandbox-probe", forbidden[i], NULL }, NULL, 0, 0, 0);
		if (!killed_by_sigsys(st))
			fprintf(stderr, "probe %s: wait status %#x, expected death by SIGSYS\n", forbidden[i], st);
		CHECK(killed_by_sigsys(st));
	}
	/*
	 * Without the filter the same probes come back (vteed exits 0): it is the
	 * filter that kills. Not ptrace: attaching to this test would stop it.
	 */
	static const char *const unfiltered[] = { "openat", "execve", "socket" };
	for (unsigned i = 0; i < 3; i++) {
		st = run_vteed((const char *const[]){ "--no-sandbox", "--sandbox-probe", unfiltered[i], NULL }, NULL, 0,
			       0, 0);
		CHECK(exited_with(st, 0));
	}
	/* an unknown probe is a usage error */
	st = run_vteed((const char *const[]){ "--sandbox-probe", "reboot", NULL }, NULL, 0, 0, 0);
	CHECK(exited_with(st, 1));
}

static void test_arches(void)
{
	char err[256] = "";
	int r = vteed_sandbox_check_arch(SCMP_ARCH_X86_64, err, sizeof(err));
	if (r)
		fprintf(stderr, "x86-64: %s\n", err);
	CHECK_EQ(r, 0);
	r = vteed_sandbox_check_arch(SCMP_ARCH_AARCH64, err, sizeof(err));
	if (r)
		fprintf(stderr, "aarch64: %s\n", err);
	CHECK_EQ(r, 0);
	r = vteed_sandbox_check_arch(SCMP_ARCH_NATIVE, err, sizeof(err));
	CHECK_EQ(r, 0);
}

/* ---- a VM served by a sandboxed vteed ---------------------------------------- */

#define NVCPU 16u
#define ITERS 40u

struct vm {
	struct guest *g;
	struct vteed *v;
	pid_t pid;
};

static __thread unsigned cur_vcpu;

static void vm_smc(void *ctx, uint64_t regs[8])
{
	struct vm *vm = ctx;
	vteed_smc(vm->v, cur_vcpu, regs);
}


struct worker {
	struct vm *vm;
	unsigned idx;
	_Atomic unsigned *bad;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	cur_vcpu = w->idx;
	struct guest *g = w->vm->g;
	static const uint8_t uuid[16] = VTEE_TEST_TA_UUID_BYTES;
	uint32_t sess = 0;
	if (guest_open_session(g, uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS) {
		atomic_fetch_add(w->bad, 1000);
		return NULL;
	}
	struct guest_buf *b = guest_buf_alloc(g, 2000, 64 * w->idx, GUEST_BUF_SCATTER);
	for (unsigned it = 0; b && it < ITERS; it++) {
		uint64_t v = (uint64_t)w->idx * 100000u + it; /* value parameters are 32-bit */
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, v, it, 0) };
		if (guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 1, 0, NULL) != TEE_SUCCESS || p[0].u.value.a != v + 1)
			atomic_fetch_add(w->bad, 1);
		guest_buf_fill(g, b, 0, (uint8_t)it, 2000);
		struct guest_param q[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, 2000, true),
					    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		if (guest_invoke(g, sess, VTEE_TEST_CMD_HASH, q, 2, 0, NULL) != TEE_SUCCESS || q[1].u.value.b != 2000)
			atomic_fetch_add(w->bad, 1);
	}
	if (!b)
		atomic_fetch_add(w->bad, 1000);
	else
		guest_buf_free(g, b);
	if (guest_close_session(g, sess) != TEE_SUCCESS)
		atomic_fetch_add(w->bad, 1000);
	return NULL;
}

/* One value of /proc/PID/status ("Uid", "Seccomp", ...), "" if absent. */
static void proc_status(pid_t pid, const char *key, char *out, size_t outlen)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, outlen, "%s", v);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

/* Serve a VM through vteed with extra args; check what /proc says about it while it serves. */
static void serve_vm(const char *const *extra, bool sandboxed, const struct passwd *as)
{
	struct vm vm = { 0 };
	struct guest_config gc = { .ram_size = 32u << 20, .smc_fn = vm_smc, .smc_ctx = &vm };
	REQUIRE_EQ(guest_create(NULL, &gc, &vm.g), 0);
	int ram_fd = guest_ram_fd(vm.g);
	REQUIRE(ram_fd >= 0);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = gc.ram_size, .fd = ram_fd };
	struct vteed_config vc = { .vm_id = 31, .name = "sandboxed", .nvcpus = NVCPU, .vteed_path = vteed,
				   .extra_args = extra };
	char msg[96] = "";
	int err = vteed_spawn(&vc, &ram, 1, &vm.v, &vm.pid, msg);
	if (err)
		fprintf(stderr, "vteed handshake: %d (%s)\n", err, msg);
	CHECK_EQ(err, 0);
	if (err) {
		guest_destroy(vm.g);
		return;
	}
	cur_vcpu = 0;
	CHECK_EQ(guest_probe(vm.g), 0);

	char v[128];
	proc_status(vm.pid, "Seccomp", v, sizeof(v));
	CHECK_EQ(strcmp(v, sandboxed ? "2" : "0"), 0);
	proc_status(vm.pid, "NoNewPrivs", v, sizeof(v));
	CHECK_EQ(strcmp(v, sandboxed ? "1" : "0"), 0);
	proc_status(vm.pid, "CapEff", v, sizeof(v));
	CHECK_EQ(strtoull(v, NULL, 16), 0);
	proc_status(vm.pid, "CapPrm", v, sizeof(v));
	CHECK_EQ(strtoull(v, NULL, 16), 0);
	if (as) {
		char want[128];
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)as->pw_uid, (unsigned)as->pw_uid,
			 (unsigned)as->pw_uid, (unsigned)as->pw_uid);
		proc_status(vm.pid, "Uid", v, sizeof(v));
		if (strcmp(v, want))
			fprintf(stderr, "vteed Uid: \"%s\", expected \"%s\" (%s)\n", v, want, as->pw_name);
		CHECK_EQ(strcmp(v, want), 0);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)as->pw_gid, (unsigned)as->pw_gid,
			 (unsigned)as->pw_gid, (unsigned)as->pw_gid);
		proc_status(vm.pid, "Gid", v, sizeof(v));
		CHECK_EQ(strcmp(v, want), 0);
		proc_status(vm.pid, "Groups", v, sizeof(v));
		CHECK_EQ(strlen(v), 0);
	}

	/* 16 vCPUs at once: 16 slot servers, TEE threads, more malloc arenas than glibc starts with */
	_Atomic unsigned bad = 0;
	struct worker w[NVCPU];
	pthread_t th[NVCPU];
	for (unsigned i = 0; i < NVCPU; i++) {
		w[i] = (struct worker){ .vm = &vm, .idx = i, .bad = &bad };
		CHECK_EQ(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < NVCPU; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&bad), 0);

	/* stopped and continued (its timed waits come back through restart_syscall), it still serves */
	CHECK_EQ(kill(vm.pid, SIGSTOP), 0);
	usleep(150 * 1000);
	CHECK_EQ(kill(vm.pid, SIGCONT), 0);
	usleep(150 * 1000);
	for (unsigned i = 0; i < NVCPU; i++) {
		uint64_t regs[8] = { OPTEE_SMC_CALLS_UID };
		CHECK_EQ(vteed_smc(vm.v, i, regs), 0);
		CHECK_EQ(regs[0], OPTEE_MSG_UID_0);
	}
	cur_vcpu = 0;
	guest_shutdown(vm.g);
	CHECK(!vteed_dead(vm.v));
	vteed_close(vm.v);
	int st = wait_child(vm.pid, 20);
	if (!exited_with(st, 0))
		fprintf(stderr, "vteed wait status %#x, expected exit 0\n", st);
	CHECK(exited_with(st, 0));
	guest_destroy(vm.g);
}

/* Not root: only the current user; root is refused with status 2 and a reason. run_as: 0 = we are not root. */
static void test_user_refused(uid_t run_as, gid_t run_gid)
{
	char err[4096];
	int st = run_vteed((const char *const[]){ "--user", "root", NULL }, err, sizeof(err), run_as, run_gid);
	if (exited_with(st, 126) || exited_with(st, 127)) {
		printf("skipped: --user root as uid %u: could not start vteed as that user\n", (unsigned)run_as);
		return;
	}
	CHECK(exited_with(st, 2));
	CHECK(strstr(err, "cannot switch users") != NULL);
	CHECK(strstr(err, "--user root") != NULL);
}

int main(int argc, char **argv)
{
	vteed = argc > 1 ? argv[1] : getenv("VTEED");
	if (!vteed) {
		fprintf(stderr, "usage: %s PATH-TO-VTEED (or set VTEED)\n", argv[0]);
		return 2;
	}
	snprintf(sock_path, sizeof(sock_path), "/tmp/vteed-sandbox-test-%d.sock", (int)getpid());

	test_probes();
	test_arches();

	/* a sandboxed vteed serves a VM; --no-sandbox too (its at-exit leak check runs in sanitizer builds) */
	bool root = geteuid() == 0;
	struct passwd *nobody = root ? getpwnam("nobody") : NULL;
	struct passwd nb;
	if (nobody)
		nb = *nobody;
	serve_vm(NULL, true, nobody ? &nb : NULL); /* as root: nobody by default */
	serve_vm((const char *const[]){ "--no-sandbox", NULL }, false, nobody ? &nb : NULL);

	if (root) {
		REQUIRE(nobody != NULL);
		serve_vm((const char *const[]){ "--user", "nobody", NULL }, true, &nb);
		/* root itself is no user to serve a VM as */
		char err[4096];
		int st = run_vteed((const char *const[]){ "--user", "root", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "uid 0") != NULL);
		st = run_vteed((const char *const[]){ "--user", "no-such-user-vtee", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "no such user") != NULL);
		/* the non-root refusal, as nobody */
		test_user_refused(nb.pw_uid, nb.pw_gid);
	} else {
		printf("skipped: --user nobody (switching users needs root; this test runs as uid %u)\n",
		       (unsigned)geteuid());
		test_user_refused(0, 0);
	}
	return check_report();
}
