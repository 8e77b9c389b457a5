/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs: a clock, a sort order, a fatal
 * exit. A benchmark's set-up either works or ends the program: its helpers
 * die() (the program's one way to stderr) rather than return an error.
 */
#ifndef VTEE_BENCH_H
#define VTEE_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vtee/test_ta.h"
#include "vtee/vtee.h"

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

/* "BENCH_NAME: what failed" on stderr, in one write (vtee_log_to_fd), and exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void die(const char *fmt, ...)
{
	char what[400], line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", BENCH_NAME, what);
	vtee_log_to_fd((void *)(intptr_t)STDERR_FILENO, VTEE_LOG_ERR, line);
	exit(1);
}

#endif
