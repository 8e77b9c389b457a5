// SPDX-License-Identifier: MIT
/*
 * The sandboxes of vteed and vtee-tee (daemon/sandbox.c, docs/threat-model.md):
 *   - `--sandbox-probe getpid` returns (exit 0); openat, execve, socket and
 *     ptrace kill the program with SIGSYS, and do not under --no-sandbox (so
 *     it is the filter that kills, not the probe); ftruncate, which only
 *     vteed's profile allows, returns in vteed and kills vtee-tee;
 *   - both profiles build for x86-64 and aarch64, and list what they should;
 *   - a sandboxed vteed serves a VM with 16 busy vCPUs (threads, malloc
 *     arenas, futexes), runs with Seccomp: 2 and NoNewPrivs: 1, and exits 0;
 *   - a sandboxed vtee-tee serves a VM over the link with 16 busy vCPUs
 *     (memrefs, the RNG TA's getrandom, SLEEP), stopped and continued, runs
 *     with Seccomp: 2 and NoNewPrivs: 1, and exits 0 when its last connection
 *     ends or on SIGTERM; so does the one vteed_start() spawns for vteed;
 *   - as root, --user nobody (and the default) runs either as nobody, with no
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
#include "vtee/vteed.h"
#include "guest.h"
#include "sandbox.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"

static const char *vteed, *vtee_tee;
static char sock_path[108];

static const uint8_t test_ta_uuid[16] = VTEE_TEST_TA_UUID_BYTES;
/* the soft back-end's RNG TA (OP-TEE's PTA_RNG): its entropy comes from getrandom() in the TEE process */
static const uint8_t rng_ta_uuid[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
					 0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };
#define RNG_CMD_GET_ENTROPY 0

/* Read a child's stderr to EOF: copy it to ours (the test log) and, if out, keep it there. Closes fd. */
static void collect_stderr(int fd, char *out, size_t outlen)
{
	size_t got = 0;
	ssize_t n;
	char buf[512];
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (out && got + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
			memcpy(out + got, buf, k);
			got += k;
		}
		fwrite(buf, 1, (size_t)n, stderr);
	}
	if (out && outlen)
		out[got] = 0;
	close(fd);
}

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
	fprintf(stderr, "child %d hung: killing it\n", (int)pid);
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
	collect_stderr(pipefd[0], stderr_out, outlen);
	unlink(sock_path);
	return st;
}

/*
 * Start `vtee-tee --fd 3 args...` with fd 3 one end of a new socketpair (the
 * other in *link, or closed at once if link is NULL: a vtee-tee that serves
 * then sees its only connection end and exits 0) and stderr a pipe (*err_rd).
 * run_as: as in run_vteed(). Returns the pid, or -1.
 */
static pid_t spawn_tee(const char *const *args, uid_t run_as, gid_t run_gid, int *link, int *err_rd)
{
	int sv[2], pipefd[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(pipefd[1], STDERR_FILENO) < 0 || (sv[1] == 3 ? fcntl(3, F_SETFD, 0) : dup2(sv[1], 3)) < 0)
			_exit(127);
		if (run_as && (setgroups(0, NULL) < 0 || setresgid(run_gid, run_gid, run_gid) < 0 ||
			       setresuid(run_as, run_as, run_as) < 0))
			_exit(126);
		const char *argv[16] = { vtee_tee, "--fd", "3" };
		unsigned n = 3;
		for (unsigned i = 0; args && args[i] && n < 15; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(vtee_tee, (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	close(pipefd[1]);
	if (link && pid > 0)
		*link = sv[0];
	else
		close(sv[0]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	*err_rd = pipefd[0];
	return pid;
}

/* Run `vtee-tee --fd 3 args...` to its end (it must not serve); its wait status, stderr in stderr_out. */
static int run_tee(const char *const *args, char *stderr_out, size_t outlen, uid_t run_as, gid_t run_gid)
{
	int err_rd = -1;
	pid_t pid = spawn_tee(args, run_as, run_gid, NULL, &err_rd);
	if (pid < 0)
		return -1;
	int st = wait_child(pid, 20);
	collect_stderr(err_rd, stderr_out, outlen);
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
	/* vteed's own table: sizing the journal memfd (ftruncate) is allowed, the call comes back */
	st = run_vteed((const char *const[]){ "--sandbox-probe", "ftruncate", NULL }, NULL, 0, 0, 0);
	CHECK(exited_with(st, 0));
	/* an unknown probe is a usage error */
	st = run_vteed((const char *const[]){ "--sandbox-probe", "reboot", NULL }, NULL, 0, 0, 0);
	CHECK(exited_with(st, 1));
}

/* The same for vtee-tee: its own profile, loaded before it reads anything. */
static void test_tee_probes(void)
{
	int st = run_tee((const char *const[]){ "--sandbox-probe", "getpid", NULL }, NULL, 0, 0, 0);
	if (!exited_with(st, 0))
		fprintf(stderr, "vtee-tee probe getpid: wait status %#x, expected exit 0\n", st);
	CHECK(exited_with(st, 0));

	/*
	 * openat by path (AT_FDCWD): storage opens files relative to its state directory's fd only;
	 * ftruncate: in vteed's table, not in vtee-tee's (the filter is the vtee-tee profile)
	 */
	static const char *const forbidden[] = { "openat", "execve", "socket", "ptrace", "ftruncate" };
	for (unsigned i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		st = run_tee((const char *const[]){ "--sandbox-probe", forbidden[i], NULL }, NULL, 0, 0, 0);
		if (!killed_by_sigsys(st))
			fprintf(stderr, "vtee-tee probe %s: wait status %#x, expected death by SIGSYS\n", forbidden[i],
				st);
		CHECK(killed_by_sigsys(st));
	}
	/* without the filter they come back: it is the filter that kills (not ptrace: it would stop us) */
	static const char *const unfiltered[] = { "openat", "execve", "socket", "ftruncate" };
	for (unsigned i = 0; i < 4; i++) {
		st = run_tee((const char *const[]){ "--no-sandbox", "--sandbox-probe", unfiltered[i], NULL }, NULL, 0,
			     0, 0);
		CHECK(exited_with(st, 0));
	}
	/* an unknown probe is a usage error (vtee-tee's status 2) */
	char err[4096];
	st = run_tee((const char *const[]){ "--sandbox-probe", "reboot", NULL }, err, sizeof(err), 0, 0);
	CHECK(exited_with(st, 2));
	CHECK(strstr(err, "unknown --sandbox-probe reboot") != NULL);
}

static void test_arches(void)
{
	static const struct {
		enum vteed_sandbox_profile p;
		const char *name;
	} profiles[] = { { SANDBOX_VTEED, "vteed" }, { SANDBOX_VTEE_TEE, "vtee-tee" },
			 { SANDBOX_VTEE_SERVED, "vtee-served" }, { SANDBOX_TA_LOAD, "ta-load" }, { SANDBOX_TA, "ta" } };
	static const struct {
		uint32_t arch;
		const char *name;
	} arches[] = { { SCMP_ARCH_X86_64, "x86-64" }, { SCMP_ARCH_AARCH64, "aarch64" }, { SCMP_ARCH_NATIVE, "native" } };
	for (unsigned i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		for (unsigned k = 0; k < 3; k++) {
			char err[256] = "";
			int r = vteed_sandbox_check_arch(profiles[i].p, arches[k].arch, err, sizeof(err));
			if (r)
				fprintf(stderr, "%s, %s: %s\n", profiles[i].name, arches[k].name, err);
			CHECK_EQ(r, 0);
		}
	}
	/* no such profile */
	char err[256] = "";
	CHECK_EQ(vteed_sandbox_check_arch((enum vteed_sandbox_profile)7, SCMP_ARCH_NATIVE, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "profile") != NULL);
}

/*
 * What each profile lists: the common rules in all, a channel's checks in
 * vteed's and vtee-tee's, vteed's own only in vteed's, vtee-served's own (its connections) only in its own, the
 * dangerous in none.
 */
static void test_profiles(void)
{
	static const char *const both[] = { "recvmsg", "recvfrom", "sendmsg", "shutdown", "getsockopt", "futex",
					    "clone", "clone3", "mmap", "getrandom", "nanosleep", "clock_nanosleep",
					    "restart_syscall", "exit_group" };
	for (unsigned i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
		CHECK(vteed_sandbox_lists(SANDBOX_VTEED, both[i]));
		if (!vteed_sandbox_lists(SANDBOX_VTEE_TEE, both[i]))
			fprintf(stderr, "vtee-tee's profile lacks %s\n", both[i]);
		CHECK(vteed_sandbox_lists(SANDBOX_VTEE_TEE, both[i]));
		CHECK(vteed_sandbox_lists(SANDBOX_VTEE_SERVED, both[i]));
	}
	/* checking a channel's memfd (fstat, fcntl F_GET_SEALS): vteed's link back-end and vtee-tee */
	static const char *const chan_check[] = { "fstat", "newfstatat", "fcntl" };
	for (unsigned i = 0; i < sizeof(chan_check) / sizeof(chan_check[0]); i++) {
		CHECK(vteed_sandbox_lists(SANDBOX_VTEED, chan_check[i]));
		CHECK(vteed_sandbox_lists(SANDBOX_VTEE_TEE, chan_check[i]));
	}
	static const char *const vteed_only[] = { "sendto", "accept4", "setsockopt", "fstatfs", "ftruncate" };
	for (unsigned i = 0; i < sizeof(vteed_only) / sizeof(vteed_only[0]); i++) {
		CHECK(vteed_sandbox_lists(SANDBOX_VTEED, vteed_only[i]));
		if (vteed_sandbox_lists(SANDBOX_VTEE_TEE, vteed_only[i]))
			fprintf(stderr, "vtee-tee's profile lists %s\n", vteed_only[i]);
		CHECK(!vteed_sandbox_lists(SANDBOX_VTEE_TEE, vteed_only[i]));
	}
	static const char *const neither[] = { "execve", "execveat", "socket", "socketpair", "connect", "bind",
					       "listen", "ptrace", "kill", "tkill", "fork", "vfork", "prctl",
					       "seccomp", "setuid", "setresuid", "capset", "memfd_create", "unshare",
					       "setns", "mount", "process_vm_readv", "pidfd_getfd", "bpf",
					       "io_uring_setup" };
	for (unsigned i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
		CHECK(!vteed_sandbox_lists(SANDBOX_VTEED, neither[i]));
		CHECK(!vteed_sandbox_lists(SANDBOX_VTEE_TEE, neither[i]));
		/* but for its socketpairs (AF_UNIX only: the rule checks the domain) */
		if (strcmp(neither[i], "socketpair"))
			CHECK(!vteed_sandbox_lists(SANDBOX_VTEE_SERVED, neither[i]));
	}
	/* vtee-served: TCP connections and channels, no files, no status socket, no journal */
	static const char *const served_own[] = { "accept4", "setsockopt", "socketpair", "pipe2" };
	for (unsigned i = 0; i < sizeof(served_own) / sizeof(served_own[0]); i++)
		CHECK(vteed_sandbox_lists(SANDBOX_VTEE_SERVED, served_own[i]));
	static const char *const not_served[] = { "ftruncate", "fstatfs", "fcntl" };
	for (unsigned i = 0; i < sizeof(not_served) / sizeof(not_served[0]); i++)
		CHECK(!vteed_sandbox_lists(SANDBOX_VTEE_SERVED, not_served[i]));
	CHECK(!vteed_sandbox_lists((enum vteed_sandbox_profile)7, "getpid"));
}

/*
 * A TA instance (ta-host/): not the common rules. Serving, it has memory,
 * futexes, time and randomness, and not even the socket I/O every daemon
 * has, nor a new thread; loading adds the loader's file reads, the thread
 * and the call that puts the final filter on, still no process, no exec,
 * no socket. tests/ta-proc proves the kills on a running instance.
 */
static void test_ta_profiles(void)
{
	static const char *const serve[] = { "futex", "mmap", "munmap", "brk", "mincore", "getrandom",
					     "clock_gettime", "clock_nanosleep", "exit_group", "write", "ppoll" };
	for (unsigned i = 0; i < sizeof(serve) / sizeof(serve[0]); i++) {
		CHECK(vteed_sandbox_lists(SANDBOX_TA, serve[i]));
		CHECK(vteed_sandbox_lists(SANDBOX_TA_LOAD, serve[i]));
	}
	/* (openat too, but for sanitizer builds, where a serving TA's report gets EACCES for it) */
	static const char *const load_only[] = { "read", "clone", "prctl", "seccomp", "close" };
	for (unsigned i = 0; i < sizeof(load_only) / sizeof(load_only[0]); i++) {
		CHECK(vteed_sandbox_lists(SANDBOX_TA_LOAD, load_only[i]));
		if (vteed_sandbox_lists(SANDBOX_TA, load_only[i]))
			fprintf(stderr, "a serving TA's profile lists %s\n", load_only[i]);
		CHECK(!vteed_sandbox_lists(SANDBOX_TA, load_only[i]));
	}
	CHECK(vteed_sandbox_lists(SANDBOX_TA_LOAD, "openat"));
	static const char *const never[] = { "execve", "execveat", "socket", "socketpair", "connect", "bind",
					     "listen", "ptrace", "kill", "tkill", "fork", "vfork", "setuid",
					     "capset", "memfd_create", "unshare", "setns", "mount", "process_vm_readv",
					     "pidfd_getfd", "bpf", "io_uring_setup", "recvmsg", "sendmsg",
					     "prlimit64", "userfaultfd", "perf_event_open", "keyctl" };
	for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		CHECK(!vteed_sandbox_lists(SANDBOX_TA, never[i]));
		CHECK(!vteed_sandbox_lists(SANDBOX_TA_LOAD, never[i]));
	}
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
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(g, 2000, 64 * w->idx, GUEST_BUF_SCATTER, &b);
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
	int err = vteed_spawn(&vc, &ram, 1, &vm.v, &vm.pid, msg, sizeof(msg));
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

/* ---- a VM served by a sandboxed vtee-tee ------------------------------------- */

/* /proc/PID/status of a served-by process: sandboxed or not, no capabilities, and as whom. */
static void check_process(const char *who, pid_t pid, bool sandboxed, uid_t uid, gid_t gid, bool check_groups)
{
	char v[128], want[128];
	proc_status(pid, "Seccomp", v, sizeof(v));
	if (strcmp(v, sandboxed ? "2" : "0"))
		fprintf(stderr, "%s Seccomp: \"%s\", expected %s\n", who, v, sandboxed ? "2" : "0");
	CHECK_EQ(strcmp(v, sandboxed ? "2" : "0"), 0);
	proc_status(pid, "NoNewPrivs", v, sizeof(v));
	CHECK_EQ(strcmp(v, sandboxed ? "1" : "0"), 0);
	proc_status(pid, "CapEff", v, sizeof(v));
	CHECK(v[0] && strtoull(v, NULL, 16) == 0);
	proc_status(pid, "CapPrm", v, sizeof(v));
	CHECK(v[0] && strtoull(v, NULL, 16) == 0);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)uid, (unsigned)uid, (unsigned)uid, (unsigned)uid);
	proc_status(pid, "Uid", v, sizeof(v));
	if (strcmp(v, want))
		fprintf(stderr, "%s Uid: \"%s\", expected \"%s\"\n", who, v, want);
	CHECK_EQ(strcmp(v, want), 0);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)gid, (unsigned)gid, (unsigned)gid, (unsigned)gid);
	proc_status(pid, "Gid", v, sizeof(v));
	CHECK_EQ(strcmp(v, want), 0);
	if (check_groups) {
		proc_status(pid, "Groups", v, sizeof(v));
		CHECK_EQ(strlen(v), 0);
	}
}

/* 64 bytes from the RNG TA (getrandom() in the TEE process): not all zero, not the last ones. */
static bool rng_ok(struct guest *g, uint32_t sess, struct guest_buf *b, uint8_t last[64])
{
	uint8_t got[64], zero[64] = { 0 };
	guest_buf_fill(g, b, 0, 0, 64);
	struct guest_param q[4] = { guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, 64, false) };
	if (guest_invoke(g, sess, RNG_CMD_GET_ENTROPY, q, 4, 0, NULL) != TEE_SUCCESS || q[0].u.memref.size != 64)
		return false;
	guest_buf_read(g, b, 0, got, 64);
	bool ok = memcmp(got, zero, 64) != 0 && memcmp(got, last, 64) != 0;
	memcpy(last, got, 64);
	return ok;
}

struct tworker {
	struct guest *g;
	unsigned idx;
	_Atomic unsigned *bad;
};

/* One vCPU's traffic through the link: values, memrefs (data both ways), RNG, SLEEP. */
static void *tee_worker(void *arg)
{
	struct tworker *w = arg;
	struct guest *g = w->g;
	uint32_t sess = 0, rng = 0;
	if (guest_open_session(g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS ||
	    guest_open_session(g, rng_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &rng, NULL) != TEE_SUCCESS) {
		atomic_fetch_add(w->bad, 1000);
		return NULL;
	}
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(g, 3000, 64 * w->idx, GUEST_BUF_SCATTER, &b);
	struct guest_buf *out = NULL;
	(void)guest_buf_alloc(g, 3000, 0, GUEST_BUF_CONTIG, &out);
	uint8_t last[64] = { 0 };
	for (unsigned it = 0; b && out && it < ITERS; it++) {
		uint64_t v = (uint64_t)w->idx * 100000u + it;
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, v, it, 0) };
		if (guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 1, 0, NULL) != TEE_SUCCESS || p[0].u.value.a != v + 1)
			atomic_fetch_add(w->bad, 1);
		/* REVERSE: 3000 bytes to the TEE process and back */
		guest_buf_fill(g, b, 0, (uint8_t)it, 3000);
		guest_buf_fill(g, b, 0, (uint8_t)(it + 1), 1);
		guest_buf_fill(g, out, 0, 0, 3000);
		struct guest_param q[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, 3000, true),
					    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, out, 0, 3000, false) };
		uint8_t tail[2] = { 0, 0 };
		if (guest_invoke(g, sess, VTEE_TEST_CMD_REVERSE, q, 2, 0, NULL) != TEE_SUCCESS ||
		    q[1].u.memref.size != 3000 || guest_buf_read(g, out, 2998, tail, 2) != 0 ||
		    tail[0] != (uint8_t)it || tail[1] != (uint8_t)(it + 1))
			atomic_fetch_add(w->bad, 1);
		if (it % 8 == 0 && !rng_ok(g, rng, out, last))
			atomic_fetch_add(w->bad, 1);
		if (it % 16 == 5) {
			struct guest_param s[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 3, 0, 0) };
			if (guest_invoke(g, sess, VTEE_TEST_CMD_SLEEP, s, 1, 0, NULL) != TEE_SUCCESS)
				atomic_fetch_add(w->bad, 1);
		}
	}
	if (!b || !out)
		atomic_fetch_add(w->bad, 1000);
	if (b)
		guest_buf_free(g, b);
	if (out)
		guest_buf_free(g, out);
	if (guest_close_session(g, sess) != TEE_SUCCESS || guest_close_session(g, rng) != TEE_SUCCESS)
		atomic_fetch_add(w->bad, 1000);
	return NULL;
}

/*
 * Serve a VM through `vtee-tee --fd 3 extra...` and the link back-end in this
 * process: 16 vCPUs at once, a stop and a continue, then the connection ends
 * and vtee-tee must exit 0 (under ASan with --no-sandbox: with no leak).
 */
static void serve_tee(const char *const *extra, bool sandboxed, uid_t uid, gid_t gid, bool check_groups)
{
	int link = -1, err_rd = -1;
	pid_t pid = spawn_tee(extra, 0, 0, &link, &err_rd);
	REQUIRE(pid > 0);
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", link);
	struct vtee_tee *tee = NULL;
	int r = vtee_tee_open("link", opt, &tee);
	CHECK_EQ(r, 0);
	struct guest *g = NULL;
	struct guest_config gc = { .ram_size = 32u << 20, .quiet = true };
	if (!r)
		r = guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 41, .name = "teebox" }, &gc, &g);
	CHECK_EQ(r, 0);
	if (!r) {
		CHECK_EQ(guest_probe(g), 0);
		check_process("vtee-tee", pid, sandboxed, uid, gid, check_groups);

		_Atomic unsigned bad = 0;
		struct tworker w[NVCPU];
		pthread_t th[NVCPU];
		for (unsigned i = 0; i < NVCPU; i++) {
			w[i] = (struct tworker){ .g = g, .idx = i, .bad = &bad };
			CHECK_EQ(pthread_create(&th[i], NULL, tee_worker, &w[i]), 0);
		}
		for (unsigned i = 0; i < NVCPU; i++)
			pthread_join(th[i], NULL);
		CHECK_EQ(atomic_load(&bad), 0);

		/* stopped and continued (its poll and timed waits resume through restart_syscall), it still serves */
		CHECK_EQ(kill(pid, SIGSTOP), 0);
		usleep(150 * 1000);
		CHECK_EQ(kill(pid, SIGCONT), 0);
		usleep(1200 * 1000); /* past the main loop's 1 s poll timeout */
		bad = 0;
		w[0] = (struct tworker){ .g = g, .idx = 0, .bad = &bad };
		tee_worker(&w[0]);
		CHECK_EQ(atomic_load(&bad), 0);
		guest_destroy(g); /* DETACH_DESTROY: the VM goes in vtee-tee too */
	}
	if (tee)
		vtee_tee_close(tee); /* closes the link: vtee-tee's last connection */
	else
		close(link);
	int st = wait_child(pid, 20);
	char log[8192];
	collect_stderr(err_rd, log, sizeof(log));
	if (!exited_with(st, 0))
		fprintf(stderr, "vtee-tee wait status %#x, expected exit 0\n", st);
	CHECK(exited_with(st, 0));
	CHECK(strstr(log, "vtee-tee[teebox]: conn 1: detached: vm 41 destroyed") != NULL);
	CHECK(strstr(log, "exiting: no connection left (0 VMs destroyed)") != NULL);
	CHECK_EQ(strstr(log, "--no-sandbox: no seccomp filter") != NULL, !sandboxed);
}

/* SIGTERM while serving: every VM destroyed (its sessions closed), exit 0, all under the filter. */
static void test_tee_sigterm(void)
{
	int link = -1, err_rd = -1;
	pid_t pid = spawn_tee(NULL, 0, 0, &link, &err_rd);
	REQUIRE(pid > 0);
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", link);
	struct vtee_tee *tee = NULL;
	REQUIRE_EQ(vtee_tee_open("link", opt, &tee), 0);
	struct guest *g = NULL;
	struct guest_config gc = { .quiet = true };
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 42, .name = "term" }, &gc, &g), 0);
	CHECK_EQ(guest_probe(g), 0);
	uint32_t s1 = 0, s2 = 0;
	CHECK_EQ(guest_open_session(g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s1, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, rng_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, NULL), TEE_SUCCESS);
	char v[16];
	proc_status(pid, "Seccomp", v, sizeof(v));
	CHECK_EQ(strcmp(v, "2"), 0);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	int st = wait_child(pid, 20);
	char log[8192];
	collect_stderr(err_rd, log, sizeof(log));
	if (!exited_with(st, 0))
		fprintf(stderr, "vtee-tee on SIGTERM: wait status %#x, expected exit 0\n", st);
	CHECK(exited_with(st, 0));
	CHECK(strstr(log, "vtee-tee[term]: vm 42 destroyed on exit (2 sessions closed)") != NULL);
	CHECK(strstr(log, "exiting: Terminated (1 VMs destroyed)") != NULL);
	guest_destroy(g); /* the TEE is gone: closes fail, nothing hangs */
	vtee_tee_close(tee);
}

/*
 * The production path: vteed_start() (what `vtee run` uses) spawns vtee-tee
 * with no option but --ctl-fd. It must be sandboxed (and, as root, nobody)
 * by default, like the vteed it serves.
 */
static void test_supervised(uid_t uid, gid_t gid, bool check_groups)
{
	struct vm vm = { 0 };
	struct guest_config gc = { .ram_size = 32u << 20, .smc_fn = vm_smc, .smc_ctx = &vm, .quiet = true };
	REQUIRE_EQ(guest_create(NULL, &gc, &vm.g), 0);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = gc.ram_size, .fd = guest_ram_fd(vm.g) };
	struct vteed_config vc = { .vm_id = 43, .name = "supervised", .nvcpus = 2, .vteed_path = vteed,
				   .tee_path = vtee_tee };
	char msg[96] = "";
	int err = vteed_start(&vc, &ram, 1, &vm.v, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "vteed_start: %d (%s)\n", err, msg);
	CHECK_EQ(err, 0);
	if (err) {
		guest_destroy(vm.g);
		return;
	}
	struct vteed_info info;
	vteed_get_info(vm.v, &info);
	CHECK(info.tee_pid > 0);
	cur_vcpu = 0;
	CHECK_EQ(guest_probe(vm.g), 0);
	check_process("vtee-tee (supervised)", info.tee_pid, true, uid, gid, check_groups);
	check_process("vteed (supervised)", info.pid, true, uid, gid, check_groups);

	uint32_t sess = 0, rng = 0;
	CHECK_EQ(guest_open_session(vm.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(vm.g, rng_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &rng, NULL), TEE_SUCCESS);
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 99, 0, 0) };
	CHECK_EQ(guest_invoke(vm.g, sess, VTEE_TEST_CMD_INC, p, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(p[0].u.value.a, 100);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(vm.g, 64, 0, GUEST_BUF_CONTIG, &b), 0);
	uint8_t last[64] = { 0 };
	CHECK(rng_ok(vm.g, rng, b, last));
	CHECK(rng_ok(vm.g, rng, b, last));
	guest_buf_free(vm.g, b);
	CHECK_EQ(guest_close_session(vm.g, sess), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(vm.g, rng), TEE_SUCCESS);
	/* the TEE process is still the same one, alive */
	CHECK_EQ(kill(info.tee_pid, 0), 0);
	vteed_get_info(vm.v, &info);
	CHECK_EQ(info.restarts, 0);
	guest_shutdown(vm.g);
	vteed_close(vm.v);
	guest_destroy(vm.g);
}

/* vtee-tee's --user, as vteed's: refused with status 2 and a reason. run_as: as in run_vteed(). */
static void test_tee_user_refused(uid_t run_as, gid_t run_gid)
{
	char err[4096];
	int st = run_tee((const char *const[]){ "--user", "root", NULL }, err, sizeof(err), run_as, run_gid);
	if (exited_with(st, 126) || exited_with(st, 127)) {
		printf("skipped: vtee-tee --user root as uid %u: could not start it as that user\n", (unsigned)run_as);
		return;
	}
	CHECK(exited_with(st, 2));
	CHECK(strstr(err, "cannot switch users") != NULL);
	CHECK(strstr(err, "--user root: vtee-tee runs as uid") != NULL);
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
	vtee_tee = argc > 2 ? argv[2] : getenv("VTEE_TEE");
	if (!vteed || !vtee_tee) {
		fprintf(stderr, "usage: %s PATH-TO-VTEED PATH-TO-VTEE-TEE (or set VTEED and VTEE_TEE)\n", argv[0]);
		return 2;
	}
	snprintf(sock_path, sizeof(sock_path), "/tmp/vteed-sandbox-test-%d.sock", (int)getpid());

	test_probes();
	test_tee_probes();
	test_arches();
	test_profiles();
	test_ta_profiles();

	/* a sandboxed vteed serves a VM; --no-sandbox too (its at-exit leak check runs in sanitizer builds) */
	bool root = geteuid() == 0;
	struct passwd *nobody = root ? getpwnam("nobody") : NULL;
	struct passwd nb;
	if (nobody)
		nb = *nobody;
	serve_vm(NULL, true, nobody ? &nb : NULL); /* as root: nobody by default */
	serve_vm((const char *const[]){ "--no-sandbox", NULL }, false, nobody ? &nb : NULL);

	/* the same for vtee-tee: as root nobody by default, else as we are */
	uid_t tuid = nobody ? nb.pw_uid : geteuid();
	gid_t tgid = nobody ? nb.pw_gid : getegid();
	serve_tee(NULL, true, tuid, tgid, root);
	serve_tee((const char *const[]){ "--no-sandbox", NULL }, false, tuid, tgid, root);
	test_tee_sigterm();
	test_supervised(tuid, tgid, root);

	if (root) {
		REQUIRE(nobody != NULL);
		serve_vm((const char *const[]){ "--user", "nobody", NULL }, true, &nb);
		serve_tee((const char *const[]){ "--user", "nobody", NULL }, true, nb.pw_uid, nb.pw_gid, true);
		/* root itself is no user to serve a VM as */
		char err[4096];
		int st = run_vteed((const char *const[]){ "--user", "root", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "uid 0") != NULL);
		st = run_vteed((const char *const[]){ "--user", "no-such-user-vtee", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "no such user") != NULL);
		st = run_tee((const char *const[]){ "--user", "root", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "refusing to run vtee-tee as uid 0") != NULL);
		st = run_tee((const char *const[]){ "--user", "no-such-user-vtee", NULL }, err, sizeof(err), 0, 0);
		CHECK(exited_with(st, 2));
		CHECK(strstr(err, "no such user") != NULL);
		/* the non-root refusal, as nobody */
		test_user_refused(nb.pw_uid, nb.pw_gid);
		test_tee_user_refused(nb.pw_uid, nb.pw_gid);
	} else {
		printf("skipped: --user nobody (switching users needs root; this test runs as uid %u)\n",
		       (unsigned)geteuid());
		test_user_refused(0, 0);
		test_tee_user_refused(0, 0);
	}
	return check_report();
}
