/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: the old name of the Internal Core API header. */
#ifndef TEE_API_H
#define TEE_API_H

#include <tee_internal_api.h>

#endif /* TEE_API_H */
