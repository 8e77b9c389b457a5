/* SPDX-License-Identifier: MIT */
/*
 * How the in-guest test clients report (also the clients of tests/ta, which
 * are built natively too, against the guest model's libteec stand-in):
 * every check prints one line, "PASS <what>" or "FAIL <what>", and bumps a
 * counter; finish() prints "N passed, N failed" and gives the exit status.
 * Result and origin names, and small clock helpers. Header-only.
 */
#ifndef VTEE_E2E_GUEST_REPORT_H
#define VTEE_E2E_GUEST_REPORT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tee_client_api.h>

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned n_pass, n_fail;

__attribute__((format(printf, 2, 3)))
static inline bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	fputs(ok ? "PASS " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
	pthread_mutex_unlock(&report_lock);
	return ok;
}

/* An informational line that is not a check. */
__attribute__((format(printf, 1, 2)))
static inline void note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	fputs("INFO ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
}

static inline int finish(void)
{
	pthread_mutex_lock(&report_lock);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
	return (n_fail == 0 && n_pass > 0) ? 0 : 1;
}

static inline const char *res_name(TEEC_Result r)
{
	switch (r) {
	case TEEC_SUCCESS: return "SUCCESS";
	case TEEC_ERROR_GENERIC: return "GENERIC";
	case TEEC_ERROR_ACCESS_DENIED: return "ACCESS_DENIED";
	case TEEC_ERROR_CANCEL: return "CANCEL";
	case TEEC_ERROR_ACCESS_CONFLICT: return "ACCESS_CONFLICT";
	case TEEC_ERROR_EXCESS_DATA: return "EXCESS_DATA";
	case TEEC_ERROR_BAD_FORMAT: return "BAD_FORMAT";
	case TEEC_ERROR_BAD_PARAMETERS: return "BAD_PARAMETERS";
	case TEEC_ERROR_BAD_STATE: return "BAD_STATE";
	case TEEC_ERROR_ITEM_NOT_FOUND: return "ITEM_NOT_FOUND";
	case TEEC_ERROR_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
	case TEEC_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case TEEC_ERROR_NO_DATA: return "NO_DATA";
	case TEEC_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
	case TEEC_ERROR_BUSY: return "BUSY";
	case TEEC_ERROR_COMMUNICATION: return "COMMUNICATION";
	case TEEC_ERROR_SECURITY: return "SECURITY";
	case TEEC_ERROR_SHORT_BUFFER: return "SHORT_BUFFER";
	case TEEC_ERROR_EXTERNAL_CANCEL: return "EXTERNAL_CANCEL";
	case TEEC_ERROR_TARGET_DEAD: return "TARGET_DEAD";
	default: return "?";
	}
}

static inline const char *origin_name(uint32_t o)
{
	switch (o) {
	case TEEC_ORIGIN_API: return "API";
	case TEEC_ORIGIN_COMMS: return "COMMS";
	case TEEC_ORIGIN_TEE: return "TEE";
	case TEEC_ORIGIN_TRUSTED_APP: return "TA";
	default: return "?";
	}
}

/* Formats "0x%08x NAME/origin" into a caller buffer (for check lines). */
static inline const char *res_str(char *buf, size_t len, TEEC_Result r,
				  uint32_t origin)
{
	snprintf(buf, len, "0x%08" PRIx32 " %s origin %s", r, res_name(r),
		 origin_name(origin));
	return buf;
}
#define RES(r, o) res_str((char[96]){ 0 }, 96, (r), (o))

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#endif
