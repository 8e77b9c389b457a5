// SPDX-License-Identifier: MIT
/*
 * misbehave: entry points and the misbehaviours at the GP level (panic, a
 * crash, the TEE_Malloc budget, a loop that ignores cancellation).
 * include/misbehave_ta.h says what each command does.
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <misbehave_ta.h>
#include "misbehave.h"

#define NONE TEE_PARAM_TYPE_NONE
#define ONE(t) TEE_PARAM_TYPES(t, NONE, NONE, NONE)
#define HOG_BLOCK (16 * 1024)
/* four times the budget: more blocks than this means TEE_Malloc never said no */
#define HOG_BLOCKS_MAX (4 * TA_MISBEHAVE_DATA_SIZE / HOG_BLOCK)

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types, TEE_Param params[4],
				    void __maybe_unused **sess_ctx)
{
	if (param_types == ONE(TEE_PARAM_TYPE_VALUE_INPUT) &&
	    params[0].value.a == TA_MISBEHAVE_OPEN_PANIC)
		TEE_Panic(TA_MISBEHAVE_PANIC_CODE);
	if (param_types != ONE(NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
}

static void crash(void)
{
	/* volatile: the compiler may not know the pointer is NULL */
	volatile int *volatile p = NULL;

	*p = 42;
}

/* TEE_Malloc until refused, chaining the blocks through their first bytes. */
static TEE_Result hog_tee_malloc(uint32_t param_types, TEE_Param params[4])
{
	void *head = NULL;
	uint32_t blocks = 0;

	if (param_types != ONE(TEE_PARAM_TYPE_VALUE_OUTPUT))
		return TEE_ERROR_BAD_PARAMETERS;
	while (blocks < HOG_BLOCKS_MAX) {
		void **b = TEE_Malloc(HOG_BLOCK, TEE_MALLOC_FILL_ZERO);

		if (!b)
			break;
		*b = head;
		head = b;
		blocks++;
	}
	while (head) {
		void *next = *(void **)head;

		TEE_Free(head);
		head = next;
	}
	params[0].value.a = blocks * (HOG_BLOCK / 1024);
	return TEE_SUCCESS;
}

static void loop_forever(void)
{
	volatile uint64_t spins = 0;

	TEE_MaskCancellation();
	for (;;)
		spins++;
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx, uint32_t cmd_id,
				      uint32_t param_types, TEE_Param params[4])
{
	switch (cmd_id) {
	case TA_MISBEHAVE_CMD_PING:
		if (param_types != ONE(TEE_PARAM_TYPE_VALUE_INOUT))
			return TEE_ERROR_BAD_PARAMETERS;
		params[0].value.a++;
		return TEE_SUCCESS;
	case TA_MISBEHAVE_CMD_PANIC:
		TEE_Panic(TA_MISBEHAVE_PANIC_CODE);
		break;
	case TA_MISBEHAVE_CMD_SEGV:
		crash();
		break;
	case TA_MISBEHAVE_CMD_HOG_TEE_MALLOC:
		return hog_tee_malloc(param_types, params);
	case TA_MISBEHAVE_CMD_HOG_MALLOC:
		if (param_types != ONE(TEE_PARAM_TYPE_VALUE_OUTPUT))
			return TEE_ERROR_BAD_PARAMETERS;
		return misbehave_hog_malloc(params);
	case TA_MISBEHAVE_CMD_HOG_MMAP:
		if (param_types != ONE(TEE_PARAM_TYPE_VALUE_OUTPUT))
			return TEE_ERROR_BAD_PARAMETERS;
		return misbehave_hog_mmap(params);
	case TA_MISBEHAVE_CMD_LOOP:
		loop_forever();
		break;
	case TA_MISBEHAVE_CMD_SYSCALL:
		if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT,
						   TEE_PARAM_TYPE_VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return misbehave_syscall(params[0].value.a, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
	/* the misbehaviour did not end the instance */
	return TEE_ERROR_GENERIC;
}
