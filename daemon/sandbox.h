/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for vteed (docs/threat-model.md): give up root, then enter a
 * sandbox with no filesystem and a seccomp allowlist of the system calls
 * vteed needs once it has its control socket. Both are one-way.
 *
 *   vteed_drop_privileges(user or (root ? "nobody" : NULL), err, sizeof(err));
 *   vteed_sandbox_enter(err, sizeof(err));
 *   ...receive HELLO, map the RAM fds, serve...
 *
 * Functions returning int give 0, or -1 with a one-line reason in err.
 */
#ifndef VTEED_SANDBOX_H
#define VTEED_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * As root (euid 0): switch to user (required; resolved with getpwnam_r, so call
 * this before vteed_sandbox_enter()), with no supplementary groups, and check
 * that root cannot be regained. Not as root: nothing to do when user is NULL or
 * names the current user; any other user is refused (an unprivileged process
 * cannot switch users). Either way, then: no capabilities left and the process
 * is not dumpable (no core dumps holding guest memory; other processes of the
 * same uid can no longer ptrace it or read its /proc/<pid>/mem).
 */
int vteed_drop_privileges(const char *user, char *err, size_t errlen);

/*
 * After start-up (arguments, policy, log connection and control socket all set
 * up): chdir("/"), no core dumps (RLIMIT_CORE 0, not dumpable), no_new_privs,
 * then the seccomp allowlist in sandbox.c on every thread (TSYNC). Anything else kills the process
 * (SIGSYS), except clone3, which fails with ENOSYS so glibc falls back to clone.
 */
int vteed_sandbox_enter(char *err, size_t errlen);

/*
 * Build the allowlist for an architecture as libseccomp sees it (e.g.
 * SCMP_ARCH_AARCH64 on an x86-64 host) without loading it; 0 or -1 with err.
 * For tests: every rule must resolve on every architecture vteed supports.
 */
int vteed_sandbox_check_arch(uint32_t scmp_arch, char *err, size_t errlen);

/*
 * Test hook behind vteed's hidden --sandbox-probe option: the system calls it
 * knows ("getpid", "openat", "execve", "socket", "ptrace"), and making one
 * directly with syscall(2). vteed_sandbox_probe() returns the call's result,
 * so it returns at all only if the filter let the call through.
 */
bool vteed_sandbox_probe_known(const char *name);
long vteed_sandbox_probe(const char *name);

#endif
