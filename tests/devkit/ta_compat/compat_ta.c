/*
 * A GP 1.1 style TA: TEE_Param is __GP11_TEE_Param here (uint32_t sizes),
 * the entry points are renamed to their __GP11_ names by the headers.
 */
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <compat_ta.h>

TEE_Result TA_CreateEntryPoint(void)
{
	DMSG("has been called");
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
	DMSG("has been called");
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types,
				    TEE_Param __maybe_unused params[4],
				    void __maybe_unused **sess_ctx)
{
	uint32_t exp_param_types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE);

	if (param_types != exp_param_types)
		return TEE_ERROR_BAD_PARAMETERS;
	IMSG("Hello World!\n");
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
	IMSG("Goodbye!\n");
}

static TEE_Result inc_value(uint32_t param_types, TEE_Param params[4])
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT,
					   TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	IMSG("Got value: %u from NW", params[0].value.a);
	params[0].value.a++;
	return TEE_SUCCESS;
}

static TEE_Result report_sizes(uint32_t param_types, TEE_Param params[4])
{
	uint32_t size = 0;
	char *buf = NULL;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT,
					   TEE_PARAM_TYPE_VALUE_OUTPUT,
					   TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	size = params[0].memref.size;
	params[1].value.a = sizeof(params[0].memref.size);
	params[1].value.b = size;
	if (size) {
		buf = TEE_Malloc(size, 0);
		if (!buf)
			return TEE_ERROR_OUT_OF_MEMORY;
		TEE_MemMove(buf, params[0].memref.buffer, size);
		buf[0]++;
		TEE_MemMove(params[0].memref.buffer, buf, size);
		TEE_Free(buf);
	}
	params[0].memref.size = size / 2;
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx,
				      uint32_t cmd_id,
				      uint32_t param_types, TEE_Param params[4])
{
	switch (cmd_id) {
	case COMPAT_CMD_INC:
		return inc_value(param_types, params);
	case COMPAT_CMD_SIZES:
		return report_sizes(param_types, params);
	default:
		return TEE_ERROR_BAD_PARAMETERS;
	}
}
