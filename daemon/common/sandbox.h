/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for vteed, vtee-tee and vtee-served (docs/threat-model.md): give up root,
 * then enter a sandbox with no filesystem and a seccomp allowlist of the
 * system calls the program needs once start-up is over. Both are one-way.
 *
 *   vteed_drop_privileges(user or (root ? "nobody" : NULL), err, sizeof(err));
 *   vteed_sandbox_enter(err, sizeof(err));                        (vteed)
 *   vteed_sandbox_enter_as(SANDBOX_VTEE_TEE, err, sizeof(err));   (vtee-tee)
 *   vteed_sandbox_enter_as(SANDBOX_VTEE_SERVED, err, sizeof(err)); (vtee-served)
 *   ...only now read from the sockets, serve...
 *
 * One allowlist machinery, several programs: the filter is the common rules
 * (sandbox.c) plus the program's own, chosen by its profile.
 *
 * Functions returning int give 0, or a negative errno with a one-line reason in err.
 */
#ifndef VTEED_SANDBOX_H
#define VTEED_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whose allowlist: the common rules plus these programs' own ones (sandbox.c). */
enum vteed_sandbox_profile {
	SANDBOX_VTEED,       /* the per-VM mediator (daemon/mediator/) */
	SANDBOX_VTEE_TEE,    /* the built-in TEE process (daemon/tee/) */
	SANDBOX_VTEE_SERVED, /* the remote TEE server (daemon/server/) */
	SANDBOX_TA_LOAD,     /* a TA instance while its TA is loaded (ta-host/): SANDBOX_TA + the loader's */
	SANDBOX_TA,          /* a TA instance serving (ta-host/): no common rules, a table of its own */
};

/*
 * As root (euid 0): switch to user (required; resolved with getpwnam_r, so call
 * this before the sandbox), with no supplementary groups, and check that root
 * cannot be regained. Not as root: nothing to do when user is NULL or names
 * the current user; any other user is refused (an unprivileged process cannot
 * switch users). Either way, then: no capabilities left and the process is not
 * dumpable (no core dumps holding guest memory or TEE state; other processes
 * of the same uid can no longer ptrace it or read its /proc/<pid>/mem).
 * Messages name the program (program_invocation_short_name).
 */
int vteed_drop_privileges(const char *user, char *err, size_t errlen);

/*
 * After start-up (everything that needs the file system or a new socket done,
 * before anything is read from a peer): chdir("/"), no core dumps (RLIMIT_CORE
 * 0, not dumpable), no_new_privs, then the profile's seccomp allowlist on every
 * thread (TSYNC). Anything else kills the process (SIGSYS), except clone3,
 * which fails with ENOSYS so glibc falls back to clone.
 * vteed_sandbox_enter() is vteed_sandbox_enter_as(SANDBOX_VTEED, ...).
 */
int vteed_sandbox_enter_as(enum vteed_sandbox_profile profile, char *err, size_t errlen);
int vteed_sandbox_enter(char *err, size_t errlen);

/*
 * Only the filter step: no_new_privs, then the profile's allowlist on every
 * thread (TSYNC), stacked on any filter already there (the stricter wins).
 * For a process that prepares the rest itself (a TA instance: its second
 * filter comes on top of its first).
 */
int vteed_sandbox_filter(enum vteed_sandbox_profile profile, char *err, size_t errlen);

/*
 * Build a profile's allowlist for an architecture as libseccomp sees it (e.g.
 * SCMP_ARCH_AARCH64 on an x86-64 host) without loading it; 0 or -errno with err.
 * For tests: every rule must resolve on every architecture vtee supports.
 */
int vteed_sandbox_check_arch(enum vteed_sandbox_profile profile, uint32_t scmp_arch, char *err, size_t errlen);

/*
 * Does the profile's allowlist name this system call (any rule, whatever its
 * action or argument checks)? For tests: what one program may do and the
 * other may not.
 */
bool vteed_sandbox_lists(enum vteed_sandbox_profile profile, const char *syscall_name);

/*
 * Test hook behind the hidden --sandbox-probe option of vteed, vtee-tee and vtee-served:
 * the system calls it knows ("getpid", "openat", "execve", "socket", "ptrace",
 * "ftruncate"), and making one directly with syscall(2). vteed_sandbox_probe()
 * returns the call's result, so it returns at all only if the filter let the
 * call through.
 */
bool vteed_sandbox_probe_known(const char *name);
long vteed_sandbox_probe(const char *name);

/* The sandbox options of vtee-tee and vtee-served: --user NAME, --no-sandbox, --sandbox-probe NAME (hidden). */
struct vteed_sandbox_opts {
	const char *user, *probe;
	bool no_sandbox;
};
/*
 * Take getopt's 'u', 'N' or 'P' with its argument: 0; -ENOENT for any other
 * option; -EINVAL for an unknown probe (said on stderr, prefixed with prog).
 */
int vteed_sandbox_option(struct vteed_sandbox_opts *o, int opt, const char *arg, const char *prog);

#endif
