/* SPDX-License-Identifier: MIT */
/*
 * Checks shared by the test programs: every check counts, a failure prints
 * file:line with the values, check_report() prints "N passed, N failed" and
 * gives the exit status. Thread-safe.
 */
#ifndef VTEE_TESTS_CHECK_H
#define VTEE_TESTS_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic int check_passed, check_failed;

static inline int check_report(void)
{
	printf("%d passed, %d failed\n", atomic_load(&check_passed), atomic_load(&check_failed));
	fflush(stdout);
	return atomic_load(&check_failed) ? 1 : 0;
}

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (cond) {                                                                    \
			atomic_fetch_add(&check_passed, 1);                                     \
		} else {                                                                       \
			atomic_fetch_add(&check_failed, 1);                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                                         \
	do {                                                                                   \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);  \
		if (a_ == b_) {                                                                \
			atomic_fetch_add(&check_passed, 1);                                     \
		} else {                                                                       \
			atomic_fetch_add(&check_failed, 1);                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %#llx (%llu), %s = %#llx (%llu)\n", \
				__FILE__, __LINE__, #a, a_, a_, #b, b_, b_);                   \
		}                                                                              \
	} while (0)

/* a op b for ordering checks (op as a token: <, <=, >, >=, !=). */
#define CHECK_CMP(a, op, b)                                                                    \
	do {                                                                                   \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);  \
		if (a_ op b_) {                                                                \
			atomic_fetch_add(&check_passed, 1);                                     \
		} else {                                                                       \
			atomic_fetch_add(&check_failed, 1);                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s %s %s with %s = %llu, %s = %llu\n", \
				__FILE__, __LINE__, #a, #op, #b, #a, a_, #b, b_);              \
		}                                                                              \
	} while (0)

/* A check the rest of the program depends on: on failure report and exit. */
#define REQUIRE(cond)                                                                          \
	do {                                                                                   \
		if (cond) {                                                                    \
			atomic_fetch_add(&check_passed, 1);                                     \
		} else {                                                                       \
			atomic_fetch_add(&check_failed, 1);                                     \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(check_report() ? 1 : 1);                                           \
		}                                                                              \
	} while (0)

#define REQUIRE_EQ(a, b)                                                                       \
	do {                                                                                   \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);  \
		if (a_ == b_) {                                                                \
			atomic_fetch_add(&check_passed, 1);                                     \
		} else {                                                                       \
			atomic_fetch_add(&check_failed, 1);                                     \
			fprintf(stderr, "%s:%d: REQUIRE_EQ failed: %s = %#llx, %s = %#llx\n",  \
				__FILE__, __LINE__, #a, a_, #b, b_);                           \
			exit(check_report() ? 1 : 1);                                           \
		}                                                                              \
	} while (0)

#endif
