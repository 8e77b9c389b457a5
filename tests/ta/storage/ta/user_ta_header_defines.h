/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <storage_ta.h>

#define TA_UUID			TA_STORAGE_UUID

/*
 * Multi-instance: each session is an instance of its own (its own process),
 * so sharing rules are checked across instances, as the TEE must.
 */
#define TA_FLAGS		0
#define TA_STACK_SIZE		(16 * 1024)
#define TA_DATA_SIZE		(4 * 1024 * 1024)

#define TA_VERSION		"1.0"
#define TA_DESCRIPTION		"vtee persistent objects test TA"

#endif
