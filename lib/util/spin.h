/* SPDX-License-Identifier: MIT */
/*
 * An adaptive polling budget, for a thread that polls for a peer's answer
 * before it sleeps. On an idle host the answer comes within a microsecond
 * and polling saves the sleep and the wake-up; on a host with fewer cores
 * than busy threads the poller only keeps the peer off the core it needs.
 * So: a poll that saw its event lets the next one poll the full maximum
 * again; one that ran out halves the next one's budget; below a
 * microsecond polling stops, except for a full-length probe every
 * VTEE_SPIN_PROBE waits, which turns it back on once polling pays again.
 */
#ifndef VTEE_UTIL_SPIN_H
#define VTEE_UTIL_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#define VTEE_SPIN_MIN_NS   1000u /* shorter polls are not worth starting */
#define VTEE_SPIN_PROBE    16u   /* with polling off, every this many waits poll the maximum */

struct vtee_spin {
	uint64_t max_ns;  /* 0: never poll */
	uint64_t cur_ns;
	unsigned skipped;
};

static inline void vtee_spin_init(struct vtee_spin *s, uint64_t max_ns)
{
	s->max_ns = s->cur_ns = max_ns;
	s->skipped = 0;
}

/* How long to poll now (0: sleep at once). */
static inline uint64_t vtee_spin_budget(struct vtee_spin *s)
{
	if (s->cur_ns >= VTEE_SPIN_MIN_NS)
		return s->cur_ns;
	return ++s->skipped % VTEE_SPIN_PROBE == 0 ? s->max_ns : 0;
}

/* What the poll of budget_ns (> 0) gave: hit, the event came; else it ran out. */
static inline void vtee_spin_result(struct vtee_spin *s, bool hit)
{
	s->cur_ns = hit ? s->max_ns : s->cur_ns / 2;
}

#endif
