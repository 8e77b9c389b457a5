/* SPDX-License-Identifier: MIT */
/*
 * The TEE back-end a test program runs against, chosen in one place for the
 * conformance, hostile and fuzz-replay programs:
 *
 *   VTEE_TEST_BACKEND          back-end name for vtee_tee_open() [soft]
 *   VTEE_TEST_BACKEND_OPTIONS  its options string [none]
 *
 * The 'teedev' suite (tests/teedev) runs the same programs inside the
 * emulated board's arm64 guest with VTEE_TEST_BACKEND=teedev, so their TEE is
 * the guest's /dev/tee0, served by vtee's built-in TEE on the host.
 */
#ifndef VTEE_TESTS_TEST_BACKEND_H
#define VTEE_TESTS_TEST_BACKEND_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtee/vtee.h"

static inline const char *test_backend_name(void)
{
	const char *name = getenv("VTEE_TEST_BACKEND");
	return name && *name ? name : "soft";
}

/* vtee_tee_open() on the chosen back-end; on failure says why on stderr and returns -errno. */
static inline int test_tee_open(struct vtee_tee **out)
{
	const char *name = test_backend_name();
	const char *opt = getenv("VTEE_TEST_BACKEND_OPTIONS");
	if (opt && !*opt)
		opt = NULL;
	int r = vtee_tee_open(name, opt, out);
	if (!r)
		return 0;
	bool known = false;
	for (const char *const *n = vtee_backend_names(); *n; n++)
		known |= !strcmp(*n, name);
	if (!known) {
		fprintf(stderr, "VTEE_TEST_BACKEND=%s: unknown back-end; this libvtee has:", name);
		for (const char *const *n = vtee_backend_names(); *n; n++)
			fprintf(stderr, " %s", *n);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "vtee_tee_open(\"%s\", %s%s%s): %s\n", name, opt ? "\"" : "", opt ? opt : "NULL",
			opt ? "\"" : "", strerror(r < 0 ? -r : r));
	}
	return r < 0 ? r : -EIO;
}

/*
 * What the chosen back-end gives a simulated VM, for the checks that depend
 * on it. The built-in 'soft' back-end models each VM on its own; through
 * 'teedev' (the guest's /dev/tee0, served on the host) every simulated VM of
 * a program is ONE host TEE client (docs/teedev.md):
 *
 *   TEST_CAP_PER_VM_IDENTITY  each VM has its own TA instances and VM id
 *                             (WHOAMI a = the VM's id, STORE/LOAD and
 *                             SESSIONS are per VM)
 *   TEST_CAP_LOGINS_PASSED    the login and client UUID reach the TA as the
 *                             guest gave them (teedev maps them, default PUBLIC)
 *   TEST_CAP_RPC_TO_MODEL     TA RPCs (REE_TIME) go to the modelled guest
 *                             driver (teedev: answered by the guest kernel)
 *   TEST_CAP_FAST             calls take no real driver round trips (time-slice
 *                             and timing expectations hold; not so under TCG)
 *
 * Any back-end other than teedev is taken to be a modelled one (all bits).
 */
enum {
	TEST_CAP_PER_VM_IDENTITY = 1u << 0,
	TEST_CAP_LOGINS_PASSED = 1u << 1,
	TEST_CAP_RPC_TO_MODEL = 1u << 2,
	TEST_CAP_FAST = 1u << 3,
};

static inline unsigned test_backend_caps(void)
{
	if (!strcmp(test_backend_name(), "teedev"))
		return 0;
	return TEST_CAP_PER_VM_IDENTITY | TEST_CAP_LOGINS_PASSED | TEST_CAP_RPC_TO_MODEL | TEST_CAP_FAST;
}

static inline const char *test_cap_name(unsigned cap)
{
	switch (cap) {
	case TEST_CAP_PER_VM_IDENTITY: return "per-VM TA instances and VM ids";
	case TEST_CAP_LOGINS_PASSED: return "logins and client UUIDs passed to the TA";
	case TEST_CAP_RPC_TO_MODEL: return "TA RPCs answered by the modelled driver";
	case TEST_CAP_FAST: return "calls without real driver round trips";
	default: return "?";
	}
}

/*
 * Whether the back-end has every bit of CAP; if not, prints one line on
 * stdout saying which check (WHAT, printf-style) is skipped and why.
 * Use: if (test_backend_has(TEST_CAP_X, "what")) CHECK(...);
 */
__attribute__((format(printf, 2, 3))) static inline bool test_backend_has(unsigned cap, const char *what, ...)
{
	unsigned missing = cap & ~test_backend_caps();
	if (!missing)
		return true;
	va_list ap;
	va_start(ap, what);
	printf("skip (back-end %s, no ", test_backend_name());
	bool first = true;
	for (unsigned b = 1; b && b <= missing; b <<= 1)
		if (missing & b) {
			printf("%s%s", first ? "" : ", ", test_cap_name(b));
			first = false;
		}
	printf("): ");
	vprintf(what, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
	return false;
}

static inline bool test_backend_per_vm_identity(void) { return test_backend_caps() & TEST_CAP_PER_VM_IDENTITY; }
static inline bool test_backend_logins_passed(void) { return test_backend_caps() & TEST_CAP_LOGINS_PASSED; }
static inline bool test_backend_rpc_to_model(void) { return test_backend_caps() & TEST_CAP_RPC_TO_MODEL; }
static inline bool test_backend_fast(void) { return test_backend_caps() & TEST_CAP_FAST; }

#endif
