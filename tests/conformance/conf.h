/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the conformance programs: checks that count and print
 * file:line with the values, and helpers to bring up a probed guest on the
 * "soft" back-end (or $VTEE_TEST_BACKEND: test_backend.h).
 */
#ifndef VTEE_CONF_H
#define VTEE_CONF_H

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_delay.h"
#include "guest.h"
#include "../test_backend.h"
#include "vtee/test_ta.h"

#include "../check.h"

static const uint8_t conf_test_ta[16] = VTEE_TEST_TA_UUID_BYTES;
static const uint8_t conf_rng_ta[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
					 0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };
#define CONF_RNG_CMD_GET_ENTROPY  0u
#define CONF_RNG_CMD_GET_RNG_INFO 1u

/* "--late MIN-MAX" (or --late N): what $VTEE_TEST_DELAY_US says, from the command line. */
static const char *conf_late_arg;

static inline void conf_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--late") && i + 1 < argc) {
			conf_late_arg = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--late MICROSECONDS[-MICROSECONDS]]\n", argv[0]);
			exit(2);
		}
	}
}

/*
 * $VTEE_TEST_BACKEND (default soft); with --late or $VTEE_TEST_DELAY_US ("N"
 * or "MIN-MAX" microseconds) behind the completion delayer (conf_delay.h),
 * as on a loaded host or with a remote TEE.
 */
static inline struct vtee_tee *conf_tee(void)
{
	struct vtee_tee *tee = NULL;
	const char *delay = conf_late_arg ? conf_late_arg : getenv("VTEE_TEST_DELAY_US");
	uint32_t lo, hi;
	int r;
	if (delay && *delay) {
		REQUIRE_EQ(conf_delay_parse(delay, &lo, &hi), 0);
		conf_delay_set(lo, hi);
		const char *opt = getenv("VTEE_TEST_BACKEND_OPTIONS");
		r = conf_delay_open(test_backend_name(), opt && *opt ? opt : NULL, &tee);
	} else {
		r = test_tee_open(&tee);
	}
	REQUIRE_EQ(r, 0);
	REQUIRE(tee != NULL);
	return tee;
}

/* A VM + guest; probes unless no_probe. gcfg may be NULL. */
static inline struct guest *conf_guest(struct vtee_tee *tee, const struct vtee_vm_config *vcfg,
				       const struct guest_config *gcfg, bool no_probe)
{
	struct guest *g = NULL;
	int r = guest_create_vm(tee, vcfg, gcfg, &g);
	REQUIRE_EQ(r, 0);
	if (!no_probe) {
		r = guest_probe(g);
		if (r) {
			char msg[512];
			guest_error(g, msg, sizeof(msg));
			fprintf(stderr, "probe: %s\n", msg);
		}
		REQUIRE_EQ(r, 0);
	}
	return g;
}

static inline uint32_t conf_fnv1a(const uint8_t *b, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

/* Deterministic pseudo-random bytes (xorshift) for test data. */
static inline void conf_pattern(uint8_t *b, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x9e3779b9u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
}

static inline uint64_t conf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void *conf_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	REQUIRE(p != NULL);
	return p;
}

#endif
