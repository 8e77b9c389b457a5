/* SPDX-License-Identifier: MIT */
/* The process-model test TAs' header: UUID and flags come from the build (tests/ta-proc/meson.build). */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#define TA_UUID TPT_UUID
#define TA_FLAGS TPT_FLAGS
#define TA_STACK_SIZE (8 * 1024)
#ifdef TPT_DATA_SIZE
#define TA_DATA_SIZE TPT_DATA_SIZE
#else
#define TA_DATA_SIZE (256 * 1024)
#endif
#define TA_VERSION "1.0"
#define TA_DESCRIPTION "vtee process-model test TA"

#endif
