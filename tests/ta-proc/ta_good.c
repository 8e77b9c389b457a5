// SPDX-License-Identifier: MIT
/*
 * A well-behaved test TA for the process model (ta_proc_test.h), built with
 * the dev kit's user_ta_header.c as several TAs that differ only in UUID and
 * flags (multi-instance, single-instance, keep-alive): its counter shows
 * which instance a session reached and what an instance keeps.
 */
#include <string.h>
#include <unistd.h>

#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include "ta_proc_test.h"

static uint32_t counter; /* per instance: this process's */

TEE_Result TA_CreateEntryPoint(void)
{
	IMSG("created in pid %d", (int)getpid());
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
	IMSG("destroyed");
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[4], void **ctx)
{
	(void)types;
	(void)params;
	*ctx = NULL;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *ctx)
{
	(void)ctx;
}

static TEE_Result reverse(uint32_t types, TEE_Param p[4])
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	size_t n = p[0].memref.size;
	if (p[1].memref.size < n) {
		p[1].memref.size = n;
		return TEE_ERROR_SHORT_BUFFER;
	}
	const uint8_t *in = p[0].memref.buffer;
	uint8_t *out = p[1].memref.buffer;
	for (size_t i = 0; i < n; i++)
		out[i] = in[n - 1 - i];
	p[1].memref.size = n;
	return TEE_SUCCESS;
}

static TEE_Result whoami(uint32_t types, TEE_Param p[4])
{
	TEE_Identity id;
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE) || p[1].memref.size < sizeof(id.uuid))
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_Result r = TEE_GetPropertyAsIdentity(TEE_PROPSET_CURRENT_CLIENT, "gpd.client.identity", &id);
	if (r)
		return r;
	p[0].value.a = id.login;
	memcpy(p[1].memref.buffer, &id.uuid, sizeof(id.uuid));
	p[1].memref.size = sizeof(id.uuid);
	return TEE_SUCCESS;
}

static TEE_Result ta2ta(uint32_t types, TEE_Param p[4])
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
				     TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE) ||
	    p[0].memref.size != sizeof(TEE_UUID) || p[2].memref.size < sizeof(TEE_UUID))
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_UUID dest;
	memcpy(&dest, p[0].memref.buffer, sizeof(dest));
	TEE_TASessionHandle s;
	uint32_t origin;
	TEE_Result r = TEE_OpenTASession(&dest, TEE_TIMEOUT_INFINITE, 0, NULL, &s, &origin);
	if (r)
		return r;
	uint8_t uuid[sizeof(TEE_UUID)];
	TEE_Param q[4] = { 0 };
	q[1].memref.buffer = uuid;
	q[1].memref.size = sizeof(uuid);
	r = TEE_InvokeTACommand(s, TEE_TIMEOUT_INFINITE, TPT_CMD_WHOAMI,
				TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
						TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE), q, &origin);
	TEE_CloseTASession(s);
	if (r)
		return r;
	p[1].value.a = q[0].value.a;
	memcpy(p[2].memref.buffer, uuid, sizeof(uuid));
	p[2].memref.size = q[1].memref.size;
	return TEE_SUCCESS;
}

static TEE_Result nullref(uint32_t types, TEE_Param p[4])
{
	if (TEE_PARAM_TYPE_GET(types, 0) != TEE_PARAM_TYPE_MEMREF_INOUT ||
	    TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_VALUE_OUTPUT)
		return TEE_ERROR_BAD_PARAMETERS;
	p[1].value.a = p[0].memref.buffer != NULL;
	p[1].value.b = (uint32_t)p[0].memref.size;
	p[0].memref.size = 77; /* the size a TA asks for comes back whatever the buffer */
	return TEE_ERROR_SHORT_BUFFER;
}

TEE_Result TA_InvokeCommandEntryPoint(void *ctx, uint32_t cmd, uint32_t types, TEE_Param p[4])
{
	(void)ctx;
	switch (cmd) {
	case TPT_CMD_ADD:
		p[1].value.a = p[0].value.a + p[0].value.b;
		return TEE_SUCCESS;
	case TPT_CMD_COUNTER:
		p[0].value.a = ++counter;
		p[0].value.b = (uint32_t)getpid();
		return TEE_SUCCESS;
	case TPT_CMD_REVERSE:
		return reverse(types, p);
	case TPT_CMD_WHOAMI:
		return whoami(types, p);
	case TPT_CMD_WAIT:
		TEE_UnmaskCancellation();
		return TEE_Wait(p[0].value.a);
	case TPT_CMD_TA2TA:
		return ta2ta(types, p);
	case TPT_CMD_REE_TIME: {
		TEE_Time t;
		TEE_GetREETime(&t);
		p[0].value.a = t.seconds;
		return TEE_SUCCESS;
	}
	case TPT_CMD_NULLREF:
		return nullref(types, p);
	case TPT_CMD_FILL: {
		uint8_t *b = p[0].memref.buffer;
		for (size_t i = 0; i < p[0].memref.size; i++)
			b[i]++;
		return TEE_SUCCESS;
	}
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
