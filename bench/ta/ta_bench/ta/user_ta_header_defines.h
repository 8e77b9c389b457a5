/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <ta_bench.h>

#define TA_UUID        TA_BENCH_UUID
#define TA_FLAGS       0 /* one instance per session: a session open starts a process */
#define TA_STACK_SIZE  (8 * 1024)
#define TA_DATA_SIZE   (64 * 1024)
#define TA_VERSION     "1.0"
#define TA_DESCRIPTION "vtee benchmark TA"

#endif
