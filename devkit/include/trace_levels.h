/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: the trace levels of OP-TEE's trace_levels.h. */
#ifndef TRACE_LEVELS_H
#define TRACE_LEVELS_H

#define TRACE_MIN       1
#define TRACE_ERROR     TRACE_MIN
#define TRACE_INFO      2
#define TRACE_DEBUG     3
#define TRACE_FLOW      4
#define TRACE_MAX       TRACE_FLOW

/* level of printf()-style output */
#define TRACE_PRINTF_LEVEL TRACE_ERROR

#endif /* TRACE_LEVELS_H */
