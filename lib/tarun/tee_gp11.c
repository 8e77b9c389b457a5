/* The GP 1.1 twins (__GP11_*) of the non-crypto API: the same functions with uint32_t lengths
 * and __GP11_TEE_Param, which TAs built with CFG_TA_OPTEE_CORE_API_COMPAT_1_1=y call through
 * tee_api_compat.h's renames. Each checks its own arguments as libutee's twin does, then runs
 * the 1.3.1 code. Lengths that come back larger than a uint32_t can hold are cut (they cannot
 * be: every size a GP 1.1 TA sees started as a uint32_t). */
#include "tarun_int.h"

#include <string.h>

static uint32_t to_u32(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void *__GP11_TEE_Malloc(uint32_t size, uint32_t hint)
{
	return TEE_Malloc(size, hint);
}

void *__GP11_TEE_Realloc(void *buffer, uint32_t newSize)
{
	return TEE_Realloc(buffer, newSize);
}

void *__GP11_TEE_MemMove(void *dest, const void *src, uint32_t size)
{
	return TEE_MemMove(dest, src, size);
}

int32_t __GP11_TEE_MemCompare(const void *buffer1, const void *buffer2, uint32_t size)
{
	return TEE_MemCompare(buffer1, buffer2, size);
}

void __GP11_TEE_MemFill(void *buff, uint32_t x, uint32_t size)
{
	TEE_MemFill(buff, x, size);
}

TEE_Result __GP11_TEE_CheckMemoryAccessRights(uint32_t accessFlags, void *buffer, uint32_t size)
{
	return TEE_CheckMemoryAccessRights(accessFlags, buffer, size);
}

TEE_Result __GP11_TEE_GetPropertyAsString(TEE_PropSetHandle propsetOrEnumerator,
					  const char *name, char *valueBuffer,
					  uint32_t *valueBufferLen)
{
	TEE_Result res;
	size_t len;

	if (tarun_propset_is_pseudo(propsetOrEnumerator))
		tarun_check_instring(name);
	tarun_check_outbuf32(valueBuffer, valueBufferLen);
	len = *valueBufferLen;
	res = tarun_prop_as_string(propsetOrEnumerator, name, valueBuffer, &len);
	*valueBufferLen = to_u32(len);
	return res;
}

TEE_Result __GP11_TEE_GetPropertyAsBinaryBlock(TEE_PropSetHandle propsetOrEnumerator,
					       const char *name, void *valueBuffer,
					       uint32_t *valueBufferLen)
{
	TEE_Result res;
	size_t len;

	if (tarun_propset_is_pseudo(propsetOrEnumerator))
		tarun_check_instring(name);
	tarun_check_outbuf32(valueBuffer, valueBufferLen);
	len = *valueBufferLen;
	res = tarun_prop_as_binary(propsetOrEnumerator, name, valueBuffer, &len);
	*valueBufferLen = to_u32(len);
	return res;
}

TEE_Result __GP11_TEE_GetPropertyName(TEE_PropSetHandle enumerator, void *nameBuffer,
				      uint32_t *nameBufferLen)
{
	TEE_Result res;
	size_t len;

	if (!enumerator)
		tarun_panic(0);
	tarun_check_outbuf32(nameBuffer, nameBufferLen);
	len = *nameBufferLen;
	res = tarun_prop_name(enumerator, nameBuffer, &len);
	*nameBufferLen = to_u32(len);
	return res;
}

/* __GP11_TEE_Param <-> TEE_Param around a TA-to-TA call. */
static void params_from_gp11(uint32_t types, const __GP11_TEE_Param *in, TEE_Param *out)
{
	memset(out, 0, sizeof(TEE_Param) * TEE_NUM_PARAMS);
	if (!types || !in)
		return;
	tarun_check_inout((void *)in, sizeof(__GP11_TEE_Param) * TEE_NUM_PARAMS);
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		switch (TEE_PARAM_TYPE_GET(types, n)) {
		case TEE_PARAM_TYPE_MEMREF_INPUT:
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			out[n].memref.buffer = in[n].memref.buffer;
			out[n].memref.size = in[n].memref.size;
			break;
		default:
			out[n].value.a = in[n].value.a;
			out[n].value.b = in[n].value.b;
			break;
		}
	}
}

static void params_to_gp11(uint32_t types, const TEE_Param *in, __GP11_TEE_Param *out)
{
	if (!types || !out)
		return;
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		switch (TEE_PARAM_TYPE_GET(types, n)) {
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			out[n].memref.size = to_u32(in[n].memref.size);
			break;
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			out[n].value.a = in[n].value.a;
			out[n].value.b = in[n].value.b;
			break;
		default:
			break;
		}
	}
}

TEE_Result __GP11_TEE_OpenTASession(const TEE_UUID *destination,
				    uint32_t cancellationRequestTimeout, uint32_t paramTypes,
				    __GP11_TEE_Param params[TEE_NUM_PARAMS],
				    TEE_TASessionHandle *session, uint32_t *returnOrigin)
{
	TEE_Param p[TEE_NUM_PARAMS];
	TEE_Result res;

	if (paramTypes && !params)
		tarun_panic(0);
	params_from_gp11(paramTypes, params, p);
	tarun_check_out(session, sizeof(*session));
	tarun_check_in(destination, sizeof(*destination));
	if (!session || !destination)
		tarun_panic(0);
	res = tarun_ta_open(destination, cancellationRequestTimeout, paramTypes, p, session,
			    returnOrigin);
	params_to_gp11(paramTypes, p, params);
	return res;
}

TEE_Result __GP11_TEE_InvokeTACommand(TEE_TASessionHandle session,
				      uint32_t cancellationRequestTimeout, uint32_t commandID,
				      uint32_t paramTypes, __GP11_TEE_Param params[TEE_NUM_PARAMS],
				      uint32_t *returnOrigin)
{
	TEE_Param p[TEE_NUM_PARAMS];
	TEE_Result res;

	if (paramTypes && !params)
		tarun_panic(0);
	params_from_gp11(paramTypes, params, p);
	if (returnOrigin)
		tarun_check_out(returnOrigin, sizeof(*returnOrigin));
	res = tarun_ta_invoke(session, cancellationRequestTimeout, commandID, paramTypes, p,
			      returnOrigin);
	params_to_gp11(paramTypes, p, params);
	return res;
}
