/* SPDX-License-Identifier: MIT */
/*
 * The misbehaviours that go straight to the host's libc and kernel
 * (misbehave_host.c), apart from the GP-level ones of misbehave_ta.c.
 */
#ifndef MISBEHAVE_H
#define MISBEHAVE_H

#include <tee_internal_api.h>

TEE_Result misbehave_hog_malloc(TEE_Param params[4]);
TEE_Result misbehave_hog_mmap(TEE_Param params[4]);
TEE_Result misbehave_syscall(uint32_t which, TEE_Param params[4]);

#endif
