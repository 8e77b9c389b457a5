// SPDX-License-Identifier: MIT
/*
 * Least privilege for vteed, vtee-tee and vtee-served: drop root, then a
 * sandbox with no filesystem and a seccomp allowlist (see sandbox.h and
 * docs/threat-model.md).
 *
 * The allowlist is a common table plus one per program (profiles[]). vteed's
 * is what vteed, libvtee's soft back-end threads and glibc do once vteed holds
 * its control socket: receive HELLO and its fds (recvmsg), check and map them
 * (fstat, fcntl F_GET_SEALS, fstatfs, mmap), start threads (clone), serve SMCs
 * (futex on the shared mailbox, getrandom for the RNG TA), log (write to
 * stderr), and clean up. vtee-tee's is what the TEE process does once its
 * back-end is open: receive connections from the supervisor (recvmsg), read
 * and answer link messages (recv, sendmsg), run the soft back-end's threads
 * and TAs (clone, futex, getrandom), log, and clean up. vtee-served's is what
 * the server does once it listens: accept connections and set their TCP
 * options, TLS over them (read, write), a socketpair per channel passed to a
 * tenant's vtee-tee, its mux threads, a word to its spawner. Measured with
 * `strace -f` on the unit, daemon, e2e and remote tests (x86-64, glibc 2.36);
 * docs/threat-model.md lists the result.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <linux/tee.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Sanitizer builds (meson -Db_sanitize=...): the runtimes need a little more,
 * marked "sanitizer" below. GCC says so with __SANITIZE_ADDRESS__, clang with
 * __has_feature; daemon/meson.build adds VTEED_SANITIZER_BUILD for the rest.
 */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SB_ASAN 1 /* with LeakSanitizer */
#include <sanitizer/lsan_interface.h>
#else
#define SB_ASAN 0
#endif
#if SB_ASAN || defined(VTEED_SANITIZER_BUILD) || __has_feature(undefined_behavior_sanitizer)
#define SB_SANITIZER 1
#else
#define SB_SANITIZER 0
#endif

/* The reason in err, and e (a negative errno) back. */
static int fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

/* ---- privileges ---------------------------------------------------------- */

static int capget_raw(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	return (int)syscall(SYS_capget, &h, data);
}

static bool no_capabilities(void)
{
	struct __user_cap_data_struct c[2];
	if (capget_raw(c) < 0)
		return false;
	return !(c[0].effective | c[0].permitted | c[0].inheritable | c[1].effective | c[1].permitted |
		 c[1].inheritable);
}

/* Drop every capability a non-root process may still hold (file or ambient capabilities). */
static int drop_capabilities(char *err, size_t errlen)
{
	if (no_capabilities())
		return 0;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct c[2];
	memset(c, 0, sizeof(c));
	if (syscall(SYS_capset, &h, c) < 0 || !no_capabilities())
		return fail(err, errlen, -EPERM, "cannot drop capabilities: %s", strerror(errno));
	return 0;
}

/* "UID:GID" (both decimal): no user database needed (containers, an initramfs). */
static bool numeric_user(const char *user, struct passwd *pw)
{
	char *end;
	errno = 0;
	unsigned long u = strtoul(user, &end, 10);
	if (end == user || *end != ':' || errno || u >= UINT32_MAX)
		return false;
	const char *g = end + 1;
	unsigned long gid = strtoul(g, &end, 10);
	if (end == g || *end || errno || gid >= UINT32_MAX)
		return false;
	memset(pw, 0, sizeof(*pw));
	pw->pw_uid = (uid_t)u;
	pw->pw_gid = (gid_t)gid;
	return true;
}

int vteed_drop_privileges(const char *user, char *err, size_t errlen)
{
	uid_t euid = geteuid();
	if (euid == 0) {
		if (!user || !*user)
			return fail(err, errlen, -EINVAL, "running as root: a user to switch to is required (--user NAME)");
		/* before the sandbox: NSS may read /etc/passwd or ask a daemon over a socket */
		struct passwd pw, *res = NULL;
		char buf[4096];
		int e = 0;
		if (!numeric_user(user, &pw))
			e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
		else
			res = &pw;
		if (!res)
			return fail(err, errlen, e ? -e : -ENOENT, "--user %s: %s", user, e ? strerror(e) : "no such user");
		if (pw.pw_uid == 0)
			return fail(err, errlen, -EPERM, "--user %s: refusing to run %s as uid 0; name an unprivileged user",
				    user, program_invocation_short_name);
		uid_t uid = pw.pw_uid;
		gid_t gid = pw.pw_gid;
		if (setgroups(0, NULL) < 0)
			return fail(err, errlen, -errno, "setgroups: %s", strerror(errno));
		if (setresgid(gid, gid, gid) < 0)
			return fail(err, errlen, -errno, "setresgid(%u): %s", (unsigned)gid, strerror(errno));
		if (setresuid(uid, uid, uid) < 0)
			return fail(err, errlen, -errno, "setresuid(%u): %s", (unsigned)uid, strerror(errno));
		/* root must be gone for good: no uid, gid or group of it left, and no way back */
		uid_t r, ef, s;
		gid_t gr, ge, gs;
		if (getresuid(&r, &ef, &s) < 0 || r != uid || ef != uid || s != uid || getresgid(&gr, &ge, &gs) < 0 ||
		    gr != gid || ge != gid || gs != gid || getgroups(0, NULL) != 0)
			return fail(err, errlen, -EPERM, "switching to %s did not take", user);
		if (setuid(0) == 0 || seteuid(0) == 0)
			return fail(err, errlen, -EPERM, "switched to %s but could get root back", user);
	} else if (user && *user) {
		struct passwd pw, *res = NULL;
		char buf[4096];
		int e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
		if (!res)
			return fail(err, errlen, e ? -e : -ENOENT, "--user %s: %s", user, e ? strerror(e) : "no such user");
		if (pw.pw_uid != euid || getuid() != euid)
			return fail(err, errlen, -EPERM,
				    "--user %s: %s runs as uid %u and is not root: an unprivileged process cannot "
				    "switch users (start it as that user, or as root)",
				    user, program_invocation_short_name, (unsigned)euid);
	}
	int r = drop_capabilities(err, errlen);
	if (r)
		return r;
	/* after the uid change, which resets the flag: no core dumps, no ptrace by the same uid */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(err, errlen, -errno, "PR_SET_DUMPABLE: %s", strerror(errno));
	return 0;
}

/* ---- the allowlist ------------------------------------------------------- */

struct sb_cmp {
	unsigned arg;
	enum scmp_compare op;
	scmp_datum_t a, b; /* EQ: arg == a; MASKED_EQ: (arg & a) == b */
};

struct sb_rule {
	int nr;            /* SCMP_SYS(): a compile error for a misspelt name */
	const char *name;
	uint32_t action;
	bool arch_optional; /* not a system call on every architecture (poll: x86-64 only) */
	unsigned ncmp;
	struct sb_cmp cmp[2]; /* all must hold; several rows for one call: any row */
	const char *why;
};

#define SELF_PID ((scmp_datum_t)-1) /* replaced by getpid() when the filter is built */
#define EQ(i, v)        { (i), SCMP_CMP_EQ, (scmp_datum_t)(v), 0 }
#define MASKED(i, m, v) { (i), SCMP_CMP_MASKED_EQ, (scmp_datum_t)(m), (scmp_datum_t)(v) }
/*
 * A dirfd is an int: its register's upper half is whatever the caller left
 * (glibc zero-extends, the sanitizers sign-extend). IS_AT_FDCWD looks at the
 * lower half; NOT_AT_FDCWD (libseccomp takes one comparison per argument) is
 * glibc's form. Neither can see a path: an absolute one ignores the dirfd.
 */
#define AT_FDCWD_32 ((scmp_datum_t)(uint32_t)AT_FDCWD)
#define IS_AT_FDCWD(i)  { (i), SCMP_CMP_MASKED_EQ, 0xffffffffull, AT_FDCWD_32 }
#define NOT_AT_FDCWD(i) { (i), SCMP_CMP_NE, AT_FDCWD_32, 0 }
#define ALLOW(sys, why)                 { SCMP_SYS(sys), #sys, SCMP_ACT_ALLOW, false, 0, { { 0, 0, 0, 0 } }, why }
#define ALLOW_IF(sys, c0, why)          { SCMP_SYS(sys), #sys, SCMP_ACT_ALLOW, false, 1, { c0 }, why }
#define ALLOW_IF2(sys, c0, c1, why)     { SCMP_SYS(sys), #sys, SCMP_ACT_ALLOW, false, 2, { c0, c1 }, why }
#define ALLOW_WHERE_EXISTS(sys, why)    { SCMP_SYS(sys), #sys, SCMP_ACT_ALLOW, true, 0, { { 0, 0, 0, 0 } }, why }
#define ERRNO(sys, e, why)              { SCMP_SYS(sys), #sys, SCMP_ACT_ERRNO(e), false, 0, { { 0, 0, 0, 0 } }, why }
#define ERRNO_IF(sys, c0, e, why)       { SCMP_SYS(sys), #sys, SCMP_ACT_ERRNO(e), false, 1, { c0 }, why }
#define ERRNO_IF2(sys, c0, c1, e, why)  { SCMP_SYS(sys), #sys, SCMP_ACT_ERRNO(e), false, 2, { c0, c1 }, why }
#define ERRNO_WHERE_EXISTS(sys, e, why) { SCMP_SYS(sys), #sys, SCMP_ACT_ERRNO(e), true, 0, { { 0, 0, 0, 0 } }, why }

struct sb_table {
	const struct sb_rule *rules;
	size_t n;
};

#define TABLE(t) { (t), sizeof(t) / sizeof((t)[0]) }

/* clone: CLONE_THREAD set (a thread, not a process) and no new namespace. */
#define CLONE_CHECKED_MASK                                                                              \
	(CLONE_THREAD | CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |      \
	 CLONE_NEWUTS | CLONE_NEWCGROUP)

/*
 * Everything not listed: SCMP_ACT_KILL_PROCESS (SIGSYS, the whole process).
 *
 * common[] is what every program does once it serves: I/O on the sockets they
 * already hold, memory, threads (libvtee's soft back-end and their own), their
 * own signals, time and randomness. vteed_only[] adds what only the mediator
 * does (the status socket, timeouts, looking at and sizing the fds HELLO
 * brings). vtee-tee (strace -f over tests/unit/test_link.c, daemon-recovery and
 * an e2e boot) adds what checking a channel's memfd takes, and the VMs' secure
 * storage (lib/store: files under the state directory fd the supervisor hands
 * over, only by *at() calls relative to it; tee_only[]).
 * served_only[] adds vtee-served's connections (below).
 */
static const struct sb_rule common[] = {
	/* I/O on fds already held: stdio, control/link sockets, signalfd, eventfd */
	ALLOW(read, "signalfd (SIGTERM/SIGINT), stdio; vtee-tee: its wake-up eventfd"),
	ALLOW(write, "log lines to stderr; vtee-tee: its wake-up eventfd"),
	ALLOW(writev, "glibc's fatal messages (malloc corruption, assert) to stderr"),
	ALLOW(recvmsg, "vteed: HELLO and its SCM_RIGHTS fds; vtee-tee: connections from the supervisor (--ctl-fd)"),
	ALLOW(recvfrom, "recv(): vteed: control messages (GOODBYE); vtee-tee: link messages, the supervisor's vm_id"),
	ALLOW(sendmsg, "link messages, header + data in one call (vteed's link back-end, vtee-tee's answers)"),
	ALLOW(shutdown, "link: wake a receiver, tell the peer EOF (vtee-tee: drop a mediator)"),
	ALLOW_IF2(getsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_TYPE), "link: is a received fd a stream socket"),
	ALLOW_WHERE_EXISTS(poll, "main loops: sockets + signalfd (x86-64)"),
	ALLOW(ppoll, "main loops (aarch64: glibc's poll)"),
	ALLOW(close, "fds of a refused HELLO or connection, teardown"),
	/* memory: never executable (W^X; no code is loaded after start-up) */
	ALLOW_IF(mmap, MASKED(2, PROT_EXEC, 0), "guest RAM and mailbox fds, big request buffers, malloc, stacks"),
	ALLOW_IF(mprotect, MASKED(2, PROT_EXEC, 0), "thread stack guard pages, malloc arenas"),
	ALLOW(munmap, "teardown, malloc"),
	ALLOW(mremap, "realloc of large blocks"),
	ALLOW(madvise, "glibc frees thread stacks and malloc memory (MADV_DONTNEED)"),
	ALLOW(brk, "malloc"),
	/* threads: slot servers, link readers and handlers, the soft back-end's TEE threads */
	ALLOW_IF(clone, MASKED(0, CLONE_CHECKED_MASK, CLONE_THREAD), "pthread_create: a thread, no new process"),
	ERRNO(clone3, ENOSYS, "glibc then falls back to clone, whose flags the filter can see"),
	ALLOW(set_robust_list, "new thread start-up (glibc)"),
	ALLOW(rseq, "new thread start-up (glibc)"),
	ALLOW(futex, "mailbox slots (shared futex words), TEE thread hand-off and SLEEP, mutexes, pthread_join"),
	ALLOW(exit, "a thread ends"),
	ALLOW(exit_group, "the process ends"),
	/* signals: its own only */
	ALLOW(rt_sigprocmask, "TEE threads start with signals blocked"),
	ALLOW(rt_sigaction, "glibc's SIGCANCEL/SIGSETXID set-up at the first pthread_create; abort()"),
	ALLOW(rt_sigreturn, "return from a signal handler"),
	ALLOW(restart_syscall, "a sleep or wait resumed after SIGSTOP/SIGCONT"),
	ALLOW_IF(tgkill, EQ(0, SELF_PID), "abort(), raise(): only this process's threads"),
	ALLOW(getpid, "vteed: WELCOME carries its pid; raise()"),
	ALLOW(gettid, "raise(), pthread_kill() on itself"),
	/* time and randomness */
	ALLOW(clock_gettime, "now_ns(): normally the vDSO, this when the clock source has none"),
	ALLOW(getrandom, "the RNG TA, glibc malloc"),
	/* not used today, harmless: so a usleep() or sched_yield() in a spin loop is no crash */
	ALLOW(clock_nanosleep, "sleeps"),
	ALLOW(nanosleep, "sleeps"),
	ALLOW(sched_yield, "spin loops"),
	/*
	 * glibc's malloc, trimming a thread arena's heap, reads
	 * /proc/sys/vm/overcommit_memory once (arena.c, O_RDONLY | O_CLOEXEC): it
	 * fails here, and malloc only gives less memory back. Killing for it made
	 * vtee-tee die at random under load. Sanitizer reports open /proc/self/exe
	 * the same way. Any other open stays fatal (--sandbox-probe).
	 */
	ERRNO_IF2(openat, IS_AT_FDCWD(0), EQ(2, O_RDONLY | O_CLOEXEC), EACCES,
		  "glibc malloc: overcommit_memory; sanitizers: /proc/self/exe"),
};

#if SB_SANITIZER
/*
 * Sanitizer builds only (meson -Db_sanitize=...): the ASan/UBSan runtimes,
 * measured the same way. Added to every profile, but for the calls the
 * profile's own table rules on (vtee-served's pipe2).
 */
static const struct sb_rule sanitizer_rules[] = {
	ALLOW(sigaltstack, "sanitizer: each thread gets an alternate signal stack"),
	ALLOW(sched_getaffinity, "sanitizer: pthread_getattr_np() in each new thread"),
	/*
	 * A sanitizer report looks for the executable, /proc/self/maps and a
	 * symbolizer, and at the terminal for colours. These calls fail (they
	 * grant nothing) instead of killing the process mid-report: the report
	 * is printed whole, with frames as module+offset (addr2line them
	 * offline). The probes stay fatal: the runtime opens with O_CLOEXEC
	 * (x86-64: open(2) too), --sandbox-probe openat does not.
	 */
	ERRNO_WHERE_EXISTS(readlink, EACCES, "sanitizer report (x86-64): /proc/self/exe"),
	ERRNO(readlinkat, EACCES, "sanitizer report (aarch64): /proc/self/exe"),
	ERRNO_WHERE_EXISTS(open, EACCES, "sanitizer report (x86-64): /proc/self/maps, cmdline, environ"),
	ERRNO_WHERE_EXISTS(stat, EACCES, "sanitizer report (clang, x86-64): is there an llvm-symbolizer"),
	ERRNO_IF(newfstatat, EQ(3, 0), EACCES, "sanitizer report (clang, aarch64): is there an llvm-symbolizer"),
	ERRNO_IF(ioctl, EQ(1, TCGETS), ENOTTY, "sanitizer report: is stderr a terminal (colours)"),
	ERRNO(pipe2, EACCES, "sanitizer report: no external symbolizer"),
	ERRNO_IF(openat, EQ(2, O_RDONLY | O_CLOEXEC), EACCES,
		 "sanitizer report: /proc/self/maps (the TA profiles, which have no common[]; the daemons' has it)"),
};
#define SANITIZER_TABLE TABLE(sanitizer_rules)
#else
#define SANITIZER_TABLE { NULL, 0 }
#endif

/* vteed only: the VMM's control socket, the status socket, the fds HELLO brings. */
static const struct sb_rule vteed_only[] = {
	ALLOW(sendto, "send(): WELCOME/ERROR/BYE/STOP, status replies, log lines to /dev/log"),
	ALLOW(accept4, "the status socket (listening since start-up): `vtee status` connections"),
	ALLOW_IF2(setsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_RCVTIMEO), "the HELLO timeout on, then off"),
	ALLOW_IF2(setsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_SNDTIMEO), "link back-end: a send to a stuck TEE gives up"),
	ALLOW_IF2(getsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_PEERCRED), "status socket: answer only our uid and root"),
	/* looking at received fds: by fd only, never by path */
	ALLOW(fstat, "is a RAM/mailbox fd a regular file, how big"),
	ALLOW_IF(newfstatat, EQ(3, AT_EMPTY_PATH), "glibc's fstat() is newfstatat(fd, \"\", AT_EMPTY_PATH)"),
	ALLOW(fstatfs, "is a RAM fd on hugetlbfs"),
	ALLOW(ftruncate, "size a new journal memfd (its layout depends on HELLO's quotas)"),
	ALLOW_IF(fcntl, EQ(1, F_GET_SEALS), "is an fd a memfd/tmpfs file, is the mailbox sealed"),
	/* the teedev back-end, on the TEE context HELLO brought (an open /dev/teeN): these requests only */
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_VERSION), "teedev: is the context OP-TEE, its capabilities"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_OPEN_SESSION), "teedev: a guest's OPEN"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_INVOKE), "teedev: a guest's INVOKE"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_CANCEL), "teedev: a guest's CANCEL"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_CLOSE_SESSION), "teedev: a guest's CLOSE"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_SHM_REGISTER), "teedev: guest memory registered in place"),
	ALLOW_IF(ioctl, EQ(1, TEE_IOC_SHM_ALLOC), "teedev: a copy when it cannot be registered"),
	/* not used today, harmless on fds vteed holds anyway: close-on-exec, O_NONBLOCK, a copy */
	ALLOW_IF(fcntl, EQ(1, F_GETFD), "fd flags"),
	ALLOW_IF(fcntl, EQ(1, F_SETFD), "fd flags"),
	ALLOW_IF(fcntl, EQ(1, F_GETFL), "file status flags (O_NONBLOCK)"),
	ALLOW_IF(fcntl, EQ(1, F_SETFL), "file status flags (O_NONBLOCK)"),
	ALLOW_IF(fcntl, EQ(1, F_DUPFD_CLOEXEC), "a copy of a held fd"),
};

/* vtee-tee only: a connection's channel (lib/util/chan.c), checked before it is mapped. */
static const struct sb_rule tee_only[] = {
	ALLOW(fstat, "is a channel's memfd a regular file, how big; storage: a received fd's type, a file's size"),
	ALLOW_IF(newfstatat, EQ(3, AT_EMPTY_PATH), "glibc's fstat() is newfstatat(fd, \"\", AT_EMPTY_PATH)"),
	ALLOW_IF(fcntl, EQ(1, F_GET_SEALS), "is a channel's memfd sealed (it cannot shrink under the mapping)"),
	/*
	 * Secure storage (docs/storage.md, docs/threat-model.md): names relative to
	 * the state directory's fd, never the working directory. A filter cannot
	 * read paths: the engine names only its own files, and the process's user
	 * (not root) bounds what an absolute path could reach.
	 */
	ALLOW_IF(fcntl, EQ(1, F_GETFL), "storage: is a received fd open for the access it is for"),
	ALLOW_IF(fcntl, EQ(1, F_DUPFD_CLOEXEC), "storage: a VM made anew gets its anchor fd again"),
	ALLOW_IF(fcntl, EQ(1, F_SETFD), "storage: glibc's fdopendir() sets close-on-exec (the sweep of stray files)"),
	ALLOW_IF(openat, NOT_AT_FDCWD(0), "storage: objects, manifest, lock files relative to the state dir fd"),
	ALLOW_IF(newfstatat, NOT_AT_FDCWD(0), "storage: a file's size by name in the state dir"),
	ALLOW_IF(unlinkat, NOT_AT_FDCWD(0), "storage: an object replaced or deleted, a stale temporary file"),
	ALLOW_WHERE_EXISTS(renameat, "storage: manifest.tmp over manifest (x86-64)"),
	ALLOW(renameat2, "storage: manifest.tmp over manifest (aarch64: glibc's renameat)"),
	ALLOW(getdents64, "storage: object files the manifest does not name are removed at open"),
	ALLOW(fsync, "storage: a commit is durable (files, then the directory)"),
	ALLOW(fdatasync, "storage: a commit is durable"),
	ALLOW(flock, "storage: the owner lock (one process serves a VM), the commit lock"),
	ALLOW(pread64, "storage: reading an object, the manifest, the anchor"),
	ALLOW(pwrite64, "storage: writing the anchor"),
	ALLOW(lseek, "storage: rewinding a file"),
};

/*
 * vtee-served only: its accepted TLS connections (their TCP options and
 * handshake timeouts), a socketpair per channel to the tenant's vtee-tee
 * (passed with sendmsg), the mux's wake-up pipe, the spawner (send), its log.
 */
static const struct sb_rule served_only[] = {
	ALLOW(accept4, "the listening socket, bound before the sandbox: new connections"),
	ALLOW(sendto, "send(): a request to the spawner"),
	ALLOW_IF2(setsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_RCVTIMEO), "the TLS handshake's timeout, on then off"),
	ALLOW_IF2(setsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_SNDTIMEO), "the TLS handshake's timeout, on then off"),
	ALLOW_IF2(setsockopt, EQ(1, SOL_SOCKET), EQ(2, SO_KEEPALIVE), "a dead peer is found (vtee_tls_tcp_options)"),
	ALLOW_IF2(setsockopt, EQ(1, IPPROTO_TCP), EQ(2, TCP_NODELAY), "vtee_tls_tcp_options"),
	ALLOW_IF2(setsockopt, EQ(1, IPPROTO_TCP), EQ(2, TCP_KEEPIDLE), "vtee_tls_tcp_options"),
	ALLOW_IF2(setsockopt, EQ(1, IPPROTO_TCP), EQ(2, TCP_KEEPINTVL), "vtee_tls_tcp_options"),
	ALLOW_IF2(setsockopt, EQ(1, IPPROTO_TCP), EQ(2, TCP_KEEPCNT), "vtee_tls_tcp_options"),
	ALLOW_IF2(setsockopt, EQ(1, IPPROTO_TCP), EQ(2, TCP_USER_TIMEOUT), "vtee_tls_tcp_options"),
	ALLOW_IF(socketpair, EQ(0, AF_UNIX), "a channel's link stream to the tenant's vtee-tee (Unix only)"),
	ALLOW_IF(pipe2, EQ(1, O_CLOEXEC | O_NONBLOCK), "each connection's mux: its wake-up pipe"),
};

/*
 * A TA instance (vtee-ta-host's children, ta-host/): not the common rules
 * but a table of its own, narrower still: no socket I/O, no new thread (GP
 * TAs have none), no fd but stdout/stderr written, no path, no process, no
 * executable memory. What the GP runtime (lib/tarun/tarun_host.h lists its
 * calls), glibc's malloc and abort(), OpenSSL and the channel to the TEE
 * (futexes on shared memory, poll of the set-up socket) need, and no more.
 */
static const struct sb_rule ta_run[] = {
	ALLOW_IF(write, EQ(0, STDERR_FILENO), "glibc's fatal messages; a TA's stray output"),
	ALLOW_IF(write, EQ(0, STDOUT_FILENO), "a TA's printf (stdout is the TEE's stderr)"),
	ALLOW_IF(writev, EQ(0, STDERR_FILENO), "glibc's fatal messages (malloc corruption, assert)"),
	ALLOW_WHERE_EXISTS(poll, "the channel: has the TEE hung up (x86-64)"),
	ALLOW(ppoll, "the channel: has the TEE hung up (aarch64: glibc's poll)"),
	ALLOW_IF(mmap, MASKED(2, PROT_EXEC, 0), "malloc, OpenSSL: never executable after load"),
	ALLOW_IF(mprotect, MASKED(2, PROT_EXEC, 0), "malloc"),
	ALLOW(munmap, "free"),
	ALLOW(mremap, "realloc of large blocks"),
	ALLOW(madvise, "free"),
	ALLOW(brk, "malloc's main arena (the only one: M_ARENA_MAX 1)"),
	ALLOW(mincore, "the runtime: TEE_CheckMemoryAccessRights"),
	ALLOW(futex, "the channel's doorbells and the cancel word (shared), TEE_Wait, locks"),
	ALLOW(exit, "the TA thread ends"),
	ALLOW(exit_group, "the instance ends"),
	ALLOW(rt_sigprocmask, "abort()"),
	ALLOW(rt_sigaction, "abort()"),
	ALLOW(rt_sigreturn, "return from a signal handler"),
	ALLOW(restart_syscall, "a wait resumed after SIGSTOP/SIGCONT"),
	ALLOW_IF(tgkill, EQ(0, SELF_PID), "abort(), raise(): only this process"),
	ALLOW(getpid, "raise()"),
	ALLOW(gettid, "raise()"),
	ALLOW(clock_gettime, "TEE_GetSystemTime, cancellation deadlines (normally the vDSO)"),
	ALLOW(clock_nanosleep, "TEE_Wait without a cancel word to wait on"),
	ALLOW(nanosleep, "sleeps"),
	ALLOW(sched_yield, "the channel's polls"),
	ALLOW(getrandom, "TEE_GenerateRandom, OpenSSL's DRBG"),
};

/*
 * While the TA is loaded (dlopen runs its constructors already under this),
 * stacked under ta_run[] a moment later: reading the checked file through
 * /proc/self/fd and any library it needs, mapping its code, starting the
 * one thread entry points run on.
 */
static const struct sb_rule ta_load[] = {
	ALLOW_IF(openat, EQ(2, O_RDONLY | O_CLOEXEC), "dlopen: /proc/self/fd/N, ld.so.cache, a library the TA needs"),
	ALLOW(read, "the dynamic loader reads ELF headers"),
	ALLOW(pread64, "the dynamic loader reads ELF headers"),
	ALLOW(fstat, "the dynamic loader"),
	ALLOW_IF(newfstatat, EQ(3, AT_EMPTY_PATH), "the dynamic loader: glibc's fstat()"),
	ALLOW(close, "the dynamic loader"),
	ALLOW(mmap, "the TA's code (executable)"),
	ALLOW(mprotect, "relocations, RELRO, the thread's stack guard"),
	ALLOW_IF(clone, MASKED(0, CLONE_CHECKED_MASK, CLONE_THREAD), "the thread entry points run on"),
	ERRNO(clone3, ENOSYS, "glibc then falls back to clone, whose flags the filter can see"),
	ALLOW(set_robust_list, "the new thread's start-up"),
	ALLOW(rseq, "the new thread's start-up"),
	ALLOW_IF(prctl, EQ(0, PR_SET_NO_NEW_PRIVS), "loading the final filter (already set: no change)"),
	ALLOW_IF(seccomp, EQ(0, SECCOMP_SET_MODE_FILTER), "loading the final filter: filters only ever narrow"),
};

/* Each profile: the common rules (unless it is a TA's), then its own and its extra ones. */
static const struct sb_profile {
	const char *name;
	bool without_common;
	struct sb_table own, extra;
} profiles[] = {
	[SANDBOX_VTEED] = { "vteed", false, TABLE(vteed_only), { NULL, 0 } },
	[SANDBOX_VTEE_TEE] = { "vtee-tee", false, TABLE(tee_only), { NULL, 0 } },
	[SANDBOX_VTEE_SERVED] = { "vtee-served", false, TABLE(served_only), { NULL, 0 } },
	[SANDBOX_TA_LOAD] = { "ta-load", true, TABLE(ta_run), TABLE(ta_load) },
	[SANDBOX_TA] = { "ta", true, TABLE(ta_run), { NULL, 0 } },
};
static const struct sb_table sanitizer_table = SANITIZER_TABLE;

static const struct sb_profile *profile_of(enum vteed_sandbox_profile p)
{
	return (unsigned)p < sizeof(profiles) / sizeof(profiles[0]) ? &profiles[p] : NULL;
}

/* Add one rule; 1 when the architecture has no such call and the rule may be skipped. */
static int add_rule(scmp_filter_ctx ctx, uint32_t arch, const struct sb_rule *r, pid_t self, char *err,
		    size_t errlen)
{
	if (seccomp_syscall_resolve_name_arch(arch, r->name) < 0) {
		if (r->arch_optional)
			return 1;
		return fail(err, errlen, -ENOSYS, "seccomp: %s is not a system call on this architecture", r->name);
	}
	struct scmp_arg_cmp c[2];
	for (unsigned i = 0; i < r->ncmp; i++) {
		c[i] = (struct scmp_arg_cmp){ r->cmp[i].arg, r->cmp[i].op, r->cmp[i].a, r->cmp[i].b };
		if (c[i].op == SCMP_CMP_EQ && c[i].datum_a == SELF_PID)
			c[i].datum_a = (scmp_datum_t)self;
	}
	/* the native number, translated by name for another architecture's filter */
	int rc = seccomp_rule_add_array(ctx, r->action, r->nr, r->ncmp, r->ncmp ? c : NULL);
	if (rc < 0)
		return fail(err, errlen, rc, "seccomp rule for %s: %s", r->name, strerror(-rc));
	return 0;
}

static bool table_lists(const struct sb_rule *rules, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].name, name) == 0)
			return true;
	return false;
}

/* A table's rules, but for the calls the profile `except` rules on itself (NULL: none). */
static int add_table(scmp_filter_ctx ctx, uint32_t arch, const struct sb_table *t, const struct sb_profile *except,
		     pid_t self, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *name = t->rules[i].name;
		if (except && (table_lists(except->own.rules, except->own.n, name) ||
			       (except->extra.n && table_lists(except->extra.rules, except->extra.n, name)) ||
			       (!except->without_common && table_lists(common, sizeof(common) / sizeof(common[0]), name))))
			continue;
		int rc = add_rule(ctx, arch, &t->rules[i], self, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The profile's filter for an architecture, not loaded: common rules, its own, the sanitizers'. */
static int build(enum vteed_sandbox_profile profile, uint32_t arch, scmp_filter_ctx *out, char *err,
		 size_t errlen)
{
	const struct sb_profile *prof = profile_of(profile);
	if (!prof)
		return fail(err, errlen, -EINVAL, "no sandbox profile %d", (int)profile);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return fail(err, errlen, -ENOMEM, "seccomp_init failed");
	int rc = 0;
	if (arch != SCMP_ARCH_NATIVE && arch != seccomp_arch_native()) {
		rc = seccomp_arch_add(ctx, arch);
		if (rc == 0)
			rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (rc < 0)
			fail(err, errlen, rc, "seccomp architecture %#x: %s", arch, strerror(-rc));
	}
	pid_t self = getpid();
	const struct sb_table common_table = TABLE(common);
	if (!rc && !prof->without_common)
		rc = add_table(ctx, arch, &common_table, NULL, self, err, errlen);
	if (!rc)
		rc = add_table(ctx, arch, &prof->own, NULL, self, err, errlen);
	if (!rc && prof->extra.n)
		rc = add_table(ctx, arch, &prof->extra, NULL, self, err, errlen);
	if (!rc)
		rc = add_table(ctx, arch, &sanitizer_table, prof, self, err, errlen);
	if (rc) {
		seccomp_release(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

int vteed_sandbox_check_arch(enum vteed_sandbox_profile profile, uint32_t scmp_arch, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = NULL;
	int rc = build(profile, scmp_arch, &ctx, err, errlen);
	if (rc)
		return rc;
	/* generate the BPF program, as load would */
	int fd = memfd_create("vteed-bpf", MFD_CLOEXEC);
	rc = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (rc < 0)
		return fail(err, errlen, rc, "seccomp BPF for architecture %#x: %s", scmp_arch, strerror(-rc));
	return 0;
}

bool vteed_sandbox_lists(enum vteed_sandbox_profile profile, const char *syscall_name)
{
	const struct sb_profile *prof = profile_of(profile);
	return prof && syscall_name &&
	       ((!prof->without_common && table_lists(common, sizeof(common) / sizeof(common[0]), syscall_name)) ||
		table_lists(prof->own.rules, prof->own.n, syscall_name) ||
		(prof->extra.n && table_lists(prof->extra.rules, prof->extra.n, syscall_name)) ||
		table_lists(sanitizer_table.rules, sanitizer_table.n, syscall_name));
}

/* ---- the sandbox --------------------------------------------------------- */

static pid_t probe_parent; /* for the ptrace probe: getppid() is not allowed afterwards */

int vteed_sandbox_enter_as(enum vteed_sandbox_profile profile, char *err, size_t errlen)
{
	if (!profile_of(profile))
		return fail(err, errlen, -EINVAL, "no sandbox profile %d", (int)profile);
	probe_parent = getppid();
	if (chdir("/") < 0)
		return fail(err, errlen, -errno, "chdir /: %s", strerror(errno));
	struct rlimit no_core = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		return fail(err, errlen, -errno, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
	/*
	 * Not used: RLIMIT_FSIZE 0 (no write(2) to, and no growing of, regular
	 * files) would stop vteed from sizing the journal memfd with ftruncate
	 * after HELLO (up to ~0.9 GB at vtee's hard quota limits, so a limit that
	 * allows it guards nothing); growing a held memfd is charged to vteed's
	 * memory cgroup. For vtee-tee it would kill the log when stderr is a
	 * file. RLIMIT_NPROC: it counts every thread of the uid (64 slot servers
	 * + TEE threads per VM, one vteed per VM, all as one user), and the
	 * filter already allows no new process.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(err, errlen, -errno, "PR_SET_DUMPABLE: %s", strerror(errno));
	/*
	 * glibc's malloc reads /sys/devices/system/cpu/online the first time
	 * threads contend for more arenas than it starts with (8 on 64-bit): fix
	 * the limit it would compute from that now, while files can be read.
	 */
	mallopt(M_ARENA_MAX, 8 * (get_nprocs() > 0 ? get_nprocs() : 1));
#if SB_ASAN
	/*
	 * LeakSanitizer's check at exit needs what the filter forbids (a
	 * non-thread clone, ptrace of its own threads, /proc/self/task and maps).
	 * Run it now instead, which also disables the one at exit: leaks of the
	 * start-up code are still reported; --no-sandbox runs are checked at exit.
	 */
	__lsan_do_leak_check();
#endif
	return vteed_sandbox_filter(profile, err, errlen);
}

int vteed_sandbox_filter(enum vteed_sandbox_profile profile, char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, errlen, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	scmp_filter_ctx ctx = NULL;
	int rc = build(profile, SCMP_ARCH_NATIVE, &ctx, err, errlen);
	if (rc)
		return rc;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return fail(err, errlen, rc, "loading the seccomp filter: %s", strerror(-rc));
	return 0;
}

int vteed_sandbox_enter(char *err, size_t errlen)
{
	return vteed_sandbox_enter_as(SANDBOX_VTEED, err, errlen);
}

/* ---- --sandbox-probe ------------------------------------------------------ */

static const char *const probe_names[] = { "getpid", "openat", "execve", "socket", "ptrace", "ftruncate" };

bool vteed_sandbox_probe_known(const char *name)
{
	for (size_t i = 0; i < sizeof(probe_names) / sizeof(probe_names[0]); i++)
		if (name && strcmp(name, probe_names[i]) == 0)
			return true;
	return false;
}

long vteed_sandbox_probe(const char *name)
{
	extern char **environ;
	if (strcmp(name, "getpid") == 0)
		return syscall(SYS_getpid);
	if (strcmp(name, "openat") == 0)
		return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	if (strcmp(name, "execve") == 0) {
		char *const argv[] = { (char *)"true", NULL };
		return syscall(SYS_execve, "/bin/true", argv, environ);
	}
	if (strcmp(name, "socket") == 0)
		return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	if (strcmp(name, "ptrace") == 0)
		return syscall(SYS_ptrace, PTRACE_ATTACH, probe_parent, NULL, NULL);
	if (strcmp(name, "ftruncate") == 0)
		return syscall(SYS_ftruncate, -1, 0); /* EBADF where allowed (vteed), SIGSYS where not (vtee-tee) */
	errno = EINVAL;
	return -1;
}

int vteed_sandbox_option(struct vteed_sandbox_opts *o, int opt, const char *arg, const char *prog)
{
	switch (opt) {
	case 'u':
		o->user = arg;
		return 0;
	case 'N':
		o->no_sandbox = true;
		return 0;
	case 'P':
		if (!vteed_sandbox_probe_known(arg)) {
			fprintf(stderr, "%s: unknown --sandbox-probe %s\n", prog, arg);
			return -EINVAL;
		}
		o->probe = arg;
		return 0;
	default:
		return -ENOENT;
	}
}
