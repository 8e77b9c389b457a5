/* SPDX-License-Identifier: MIT */
/* Helpers shared by the benchmark programs: a clock, a sort order, a fatal exit. */
#ifndef VTEE_BENCH_H
#define VTEE_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vtee/test_ta.h"

static const uint8_t test_uuid[16] = VTEE_TEST_TA_UUID_BYTES;

static inline double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* BENCH_NAME is the program's name, for messages. */
__attribute__((noreturn)) static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", BENCH_NAME, what);
	exit(1);
}

#endif
