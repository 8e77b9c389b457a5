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

#endif
