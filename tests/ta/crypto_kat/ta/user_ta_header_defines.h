/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <crypto_kat_ta.h>

#define TA_UUID			TA_CRYPTO_KAT_UUID

#define TA_FLAGS		0
/* RSA-2048 private operations and the report buffer want room. */
#define TA_STACK_SIZE		(32 * 1024)
#define TA_DATA_SIZE		(512 * 1024)

#define TA_VERSION		"1.0"
#define TA_DESCRIPTION		"vtee known-answer tests of the GP crypto API"

#endif
