/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <misbehave_ta.h>

#define TA_UUID			TA_MISBEHAVE_UUID

#define TA_FLAGS		0
#define TA_STACK_SIZE		(8 * 1024)
#define TA_DATA_SIZE		TA_MISBEHAVE_DATA_SIZE

#define TA_VERSION		"1.0"
#define TA_DESCRIPTION		"vtee TA that misbehaves on request"

#endif
