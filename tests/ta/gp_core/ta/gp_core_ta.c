// SPDX-License-Identifier: MIT
/*
 * gp_core: entry points, instance bookkeeping (one instance serves every
 * session and outlives them: TA_FLAG_INSTANCE_KEEP_ALIVE), instance data,
 * TEE_Wait with and without cancellation, and the report commands.
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <gp_core_ta.h>
#include "gp_core.h"

/* Per instance: they must survive every session of it. */
static uint32_t create_calls;
static uint32_t open_sessions;

struct instance_data {
	uint32_t value;
};

TEE_Result TA_CreateEntryPoint(void)
{
	create_calls++;
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
	/* GP 1.3.1 hands instance data back const; it is ours to free */
	TEE_Free((void *)TEE_GetInstanceData());
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types,
				    TEE_Param __maybe_unused params[4],
				    void __maybe_unused **sess_ctx)
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	open_sessions++;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
	open_sessions--;
}

uint32_t gp_core_ms_between(const TEE_Time *a, const TEE_Time *b)
{
	int64_t ms = ((int64_t)b->seconds - (int64_t)a->seconds) * 1000 +
		     ((int64_t)b->millis - (int64_t)a->millis);

	return ms < 0 ? 0 : (uint32_t)ms;
}

static TEE_Result wait_cmd(uint32_t param_types, TEE_Param params[4])
{
	TEE_Time before, after;
	bool was_masked = false;
	TEE_Result res;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT,
					   TEE_PARAM_TYPE_VALUE_OUTPUT,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	if (params[0].value.b)
		was_masked = TEE_UnmaskCancellation();
	else
		was_masked = TEE_MaskCancellation();
	TEE_GetSystemTime(&before);
	res = TEE_Wait(params[0].value.a);
	TEE_GetSystemTime(&after);
	params[1].value.a = gp_core_ms_between(&before, &after);
	params[1].value.b = was_masked;
	DMSG("TEE_Wait(%" PRIu32 ") = 0x%" PRIx32 " after %" PRIu32 " ms",
	     params[0].value.a, res, params[1].value.a);
	return res;
}

static TEE_Result set_instance(uint32_t param_types, TEE_Param params[4])
{
	struct instance_data *d = (struct instance_data *)TEE_GetInstanceData();

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	if (!d) {
		d = TEE_Malloc(sizeof(*d), TEE_MALLOC_FILL_ZERO);
		if (!d)
			return TEE_ERROR_OUT_OF_MEMORY;
		TEE_SetInstanceData(d);
	}
	d->value = params[0].value.a;
	return TEE_SUCCESS;
}

static TEE_Result get_instance(uint32_t param_types, TEE_Param params[4])
{
	const struct instance_data *d = (struct instance_data *)TEE_GetInstanceData();

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	params[0].value.a = d ? d->value : 0;
	params[0].value.b = d != NULL;
	return TEE_SUCCESS;
}

static TEE_Result counts(uint32_t param_types, TEE_Param params[4])
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	params[0].value.a = create_calls;
	params[0].value.b = open_sessions;
	return TEE_SUCCESS;
}

static TEE_Result report(void (*run)(struct ta_report *r, uint32_t types, TEE_Param params[4]),
			 uint32_t param_types, TEE_Param params[4])
{
	struct ta_report r;
	TEE_Result res;

	if (!report_params_ok(param_types) ||
	    TEE_PARAM_TYPE_GET(param_types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;
	res = report_begin(&r);
	if (res != TEE_SUCCESS)
		return res;
	run(&r, param_types, params);
	res = report_answer(&r, param_types, params);
	report_end(&r);
	return res;
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx, uint32_t cmd_id,
				      uint32_t param_types, TEE_Param params[4])
{
	switch (cmd_id) {
	case TA_GP_CORE_CMD_PROPERTIES:
		return report(gp_core_properties, param_types, params);
	case TA_GP_CORE_CMD_MEMORY:
		return report(gp_core_memory, param_types, params);
	case TA_GP_CORE_CMD_TIME:
		return report(gp_core_time, param_types, params);
	case TA_GP_CORE_CMD_TA2TA:
		return report(gp_core_ta2ta, param_types, params);
	case TA_GP_CORE_CMD_WAIT:
		return wait_cmd(param_types, params);
	case TA_GP_CORE_CMD_SET_INSTANCE:
		return set_instance(param_types, params);
	case TA_GP_CORE_CMD_GET_INSTANCE:
		return get_instance(param_types, params);
	case TA_GP_CORE_CMD_COUNTS:
		return counts(param_types, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
