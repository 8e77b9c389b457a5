/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <gp_peer_ta.h>

#define TA_UUID			TA_GP_PEER_UUID

/* A new instance per session: a panic ends only that session's instance. */
#define TA_FLAGS		0
#define TA_STACK_SIZE		(4 * 1024)
#define TA_DATA_SIZE		(32 * 1024)

#define TA_VERSION		"1.1"
#define TA_DESCRIPTION		"vtee TA-to-TA callee (GP 1.1 dialect)"

#endif
