/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: the TA entry points; kept for TAs that include it. */
#ifndef TEE_TA_API_H
#define TEE_TA_API_H

#include <tee_internal_api.h>

#endif /* TEE_TA_API_H */
