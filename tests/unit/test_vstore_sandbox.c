// SPDX-License-Identifier: MIT
/*
 * The storage engine once opened needs only the system calls listed here (the list vtee-tee's
 * seccomp allowlist gains for storage, plus what any program does: memory, threads' futexes,
 * randomness, exit). A child prepares a store (paths, the host key: before the sandbox, as the
 * supervisor does), enters a filter that traps everything else, then opens the store from the
 * handoff and puts, gets, renames, deletes, enumerates, reopens and closes. A trapped call
 * names itself on stderr and fails the test.
 */
#include <seccomp.h>
#include <signal.h>
#include <sys/wait.h>

#include "vstore_test_util.h"

static const int engine_calls[] = {
	/*
	 * The engine's own: *at() on its directory fd (openat O_NOFOLLOW, renameat; glibc's
	 * renameat is renameat2 on aarch64), the files it holds (read/write, pread64/pwrite64 and
	 * fdatasync on the anchor, fsync, flock on lock/owner), fstat (newfstatat with AT_EMPTY_PATH
	 * in glibc), the orphan scan (fdopendir: fcntl F_GETFL; readdir: getdents64).
	 */
	SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(unlinkat), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(flock), SCMP_SYS(getdents64), SCMP_SYS(fcntl),
	/* OpenSSL: getpid (its fork check around the DRBG), getrandom (reseeding) */
	/* what every program in a sandbox does (vtee-tee's common[]) */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(exit_group), SCMP_SYS(exit),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(clock_gettime),
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_getaffinity),
#endif
};

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[80];
	int n = snprintf(line, sizeof(line), "trapped system call %d\n", si->si_syscall);
	if (write(2, line, (size_t)n) < 0)
		_exit(8);
	_exit(9);
}

static int enter_sandbox(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigaction(SIGSYS, &sa, NULL);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -1;
	int r = 0;
	for (size_t i = 0; i < sizeof(engine_calls) / sizeof(engine_calls[0]) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, engine_calls[i], 0);
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* In the child: every failure is its exit status. */
static int serve(void)
{
	struct vstore_host_key hk;
	char sp[512], ap[512], msg[256];
	struct vstore_handoff h[2];
	vt_host_key("host.key", &hk);
	for (unsigned i = 0; i < 2; i++)
		if (vstore_prepare(vt_path(sp, sizeof(sp), "vm"), vt_path(ap, sizeof(ap), "anchors"), "vm",
				   &hk, NULL, &h[i], msg, sizeof(msg)))
			return 2;
	if (enter_sandbox())
		return 3;
	struct vstore *s;
	if (vstore_open(&h[0], NULL, NULL, &s))
		return 4;
	struct vstore_key a = vt_key(1, 0, "a"), b = vt_key(1, 0, "b"), n;
	uint64_t dl;
	if (vt_put(s, &a, 1, 5000, 0) || vt_put(s, &a, 2, 100, 0) || vt_check(s, &a, 2, 100) ||
	    vstore_rename(s, &a, b.id, b.id_len) || vstore_next(s, b.uuid, 0, NULL, &n, &dl) ||
	    vt_put(s, &a, 3, 1, 0) || vstore_delete(s, &a))
		return 5;
	vstore_close(s);
	/* a reopen: orphan clean-up, anchor check */
	if (vstore_open(&h[1], NULL, NULL, &s) || vt_check(s, &b, 2, 100))
		return 6;
	vstore_close(s);
	return 0;
}

int main(void)
{
	vt_setup("test-vstore-sandbox");
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (!pid)
		_exit(serve());
	int status;
	REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return check_report();
}
