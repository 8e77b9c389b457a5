// SPDX-License-Identifier: MIT
/*
 * gp_peer: the callee of gp_core's TA-to-TA calls (include/gp_peer_ta.h),
 * written in the GP 1.1 dialect: TEE_Param memref sizes and the property
 * length are uint32_t, as CFG_TA_OPTEE_CORE_API_COMPAT_1_1 makes them.
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <gp_peer_ta.h>
#include "user_ta_header_defines.h"

#define NONE TEE_PARAM_TYPE_NONE

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

/* The 1.1 twin of TEE_GetPropertyAsString (uint32_t length) sees our version. */
static bool version_ok(void)
{
	char version[16] = "";
	uint32_t len = sizeof(version);

	return TEE_GetPropertyAsString(TEE_PROPSET_CURRENT_TA, "gpd.ta.version", version,
				       &len) == TEE_SUCCESS &&
	       len == sizeof(TA_VERSION) && !strcmp(version, TA_VERSION);
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types, TEE_Param params[4],
				    void __maybe_unused **sess_ctx)
{
	if (!version_ok()) {
		EMSG("gpd.ta.version does not read back as %s", TA_VERSION);
		return TEE_ERROR_GENERIC;
	}
	if (param_types == TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT, NONE, NONE, NONE))
		params[0].value.a++;
	else if (param_types != TEE_PARAM_TYPES(NONE, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
}

static TEE_Result whoami(uint32_t param_types, TEE_Param params[4])
{
	TEE_Identity id;
	TEE_Result res;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
					   TEE_PARAM_TYPE_MEMREF_OUTPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_GetPropertyAsIdentity(TEE_PROPSET_CURRENT_CLIENT, "gpd.client.identity", &id);
	if (res != TEE_SUCCESS)
		return res;
	params[0].value.a = id.login;
	if (params[1].memref.size < sizeof(id.uuid)) {
		params[1].memref.size = sizeof(id.uuid);
		return TEE_ERROR_SHORT_BUFFER;
	}
	TEE_MemMove(params[1].memref.buffer, &id.uuid, sizeof(id.uuid));
	params[1].memref.size = sizeof(id.uuid);
	return TEE_SUCCESS;
}

static TEE_Result reverse(uint32_t param_types, TEE_Param params[4])
{
	uint8_t *p = params[0].memref.buffer;
	uint32_t n = params[0].memref.size;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	for (uint32_t i = 0; i < n / 2; i++) {
		uint8_t t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
	return TEE_SUCCESS;
}

static TEE_Result fill(uint32_t param_types, TEE_Param params[4])
{
	uint32_t want = params[1].value.b;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_OUTPUT,
					   TEE_PARAM_TYPE_VALUE_INPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	if (params[0].memref.size < want) {
		params[0].memref.size = want;
		return TEE_ERROR_SHORT_BUFFER;
	}
	TEE_MemFill(params[0].memref.buffer, params[1].value.a, want);
	params[0].memref.size = want;
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx, uint32_t cmd_id,
				      uint32_t param_types, TEE_Param params[4])
{
	switch (cmd_id) {
	case TA_GP_PEER_CMD_WHOAMI:
		return whoami(param_types, params);
	case TA_GP_PEER_CMD_REVERSE:
		return reverse(param_types, params);
	case TA_GP_PEER_CMD_FILL:
		return fill(param_types, params);
	case TA_GP_PEER_CMD_ADD:
		if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		params[0].value.a += params[0].value.b;
		return TEE_SUCCESS;
	case TA_GP_PEER_CMD_PANIC:
		TEE_Panic(0x9ee7);
		return TEE_ERROR_GENERIC;	/* not reached */
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
