/* SPDX-License-Identifier: MIT */
/*
 * A back-end that delays completions on purpose: it wraps another back-end
 * (by name) and hands each request to it as a private copy; when the inner
 * one is done, the real request is completed no earlier than its submission
 * time plus a chosen delay, from another thread (or inside submit() for a
 * delay of 0 when the inner back-end finished there). RPCs pass through.
 *
 * It puts completions where a loaded machine or a slow link would: before
 * the core waits, during its spin, during its sleep, at the end of the time
 * slice, while the guest is away. conf_tee() uses it when
 * VTEE_TEST_DELAY_US=MIN-MAX (or =N) is set, for every conformance program.
 */
#ifndef VTEE_CONF_DELAY_H
#define VTEE_CONF_DELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "vtee/vtee.h"

/* Open back-end `inner` (options as for vtee_tee_open) behind the delayer. 0 or -errno. */
int conf_delay_open(const char *inner, const char *options, struct vtee_tee **out);
/* Each completion from now on: no earlier than submission + a delay drawn from [min_us, max_us]. */
void conf_delay_set(uint32_t min_us, uint32_t max_us);
/* VTEE_TEST_DELAY_US: "N" or "MIN-MAX" microseconds. 0 and the range, or -EINVAL. */
int conf_delay_parse(const char *s, uint32_t *min_us, uint32_t *max_us);
/* Requests completed late (the delay outlasted the inner back-end) so far. */
uint64_t conf_delay_held(void);
/*
 * Hold every completion (on) until released (off), whatever the delay: a
 * call then outlasts any time slice, however slow the host is.
 */
void conf_delay_gate(bool closed);

#endif
