/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <storage_ta.h>

/* The storage TA again, as another TA: GP keeps each TA's objects apart. */
#define TA_UUID			TA_STORAGE2_UUID

#define TA_FLAGS		0
#define TA_STACK_SIZE		(16 * 1024)
#define TA_DATA_SIZE		(4 * 1024 * 1024)

#define TA_VERSION		"1.0"
#define TA_DESCRIPTION		"vtee persistent objects test TA, a second one"

#endif
