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

static TEE_Result prop_sized32(enum tarun_prop_op op, TEE_PropSetHandle h, const char *name,
				void *buf, uint32_t *len)
{
	TEE_Result res;
	size_t l;

	tarun_check_outbuf32(buf, len);
	l = *len;
	res = tarun_prop_sized(op, h, name, buf, &l);
	*len = to_u32(l);
	return res;
}

TEE_Result __GP11_TEE_GetPropertyAsString(TEE_PropSetHandle propsetOrEnumerator,
					  const char *name, char *valueBuffer,
					  uint32_t *valueBufferLen)
{
	return prop_sized32(TARUN_PROP_STRING, propsetOrEnumerator, name, valueBuffer,
			    valueBufferLen);
}

TEE_Result __GP11_TEE_GetPropertyAsBinaryBlock(TEE_PropSetHandle propsetOrEnumerator,
					       const char *name, void *valueBuffer,
					       uint32_t *valueBufferLen)
{
	return prop_sized32(TARUN_PROP_BINARY, propsetOrEnumerator, name, valueBuffer,
			    valueBufferLen);
}

TEE_Result __GP11_TEE_GetPropertyName(TEE_PropSetHandle enumerator, void *nameBuffer,
				      uint32_t *nameBufferLen)
{
	return prop_sized32(TARUN_PROP_NAME, enumerator, NULL, nameBuffer, nameBufferLen);
}

/* Which parameters a conversion carries: all of them on the way in, the OUTPUT and INOUT ones
 * on the way back (a memref's buffer does not change: carrying it again is harmless). */
static bool carried(uint32_t types, size_t n, bool back, bool *memref)
{
	uint32_t t = TEE_PARAM_TYPE_GET(types, n);
	uint32_t rights;

	*memref = tarun_memref_rights(types, n, &rights);
	if (back)
		return t == TEE_PARAM_TYPE_VALUE_OUTPUT || t == TEE_PARAM_TYPE_VALUE_INOUT ||
		       (*memref && t != TEE_PARAM_TYPE_MEMREF_INPUT);
	return t != TEE_PARAM_TYPE_NONE;
}

static void to_gp11(uint32_t types, const TEE_Param *in, __GP11_TEE_Param *out, bool back)
{
	bool memref;

	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		if (!carried(types, n, back, &memref))
			continue;
		if (memref) {
			out[n].memref.buffer = in[n].memref.buffer;
			out[n].memref.size = to_u32(in[n].memref.size);
		} else {
			out[n].value.a = in[n].value.a;
			out[n].value.b = in[n].value.b;
		}
	}
}

static void from_gp11(uint32_t types, const __GP11_TEE_Param *in, TEE_Param *out, bool back)
{
	bool memref;

	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		if (!carried(types, n, back, &memref))
			continue;
		if (memref) {
			out[n].memref.buffer = in[n].memref.buffer;
			out[n].memref.size = in[n].memref.size;
		} else {
			out[n].value.a = in[n].value.a;
			out[n].value.b = in[n].value.b;
		}
	}
}

/* A TA-to-TA call's parameters, checked as libutee's twin checks them. */
static void call_params_from_gp11(uint32_t types, const __GP11_TEE_Param *in, TEE_Param *out)
{
	memset(out, 0, sizeof(TEE_Param) * TEE_NUM_PARAMS);
	if (!types || !in)
		return;
	tarun_check_inout((void *)in, sizeof(__GP11_TEE_Param) * TEE_NUM_PARAMS);
	from_gp11(types, in, out, false);
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
	call_params_from_gp11(paramTypes, params, p);
	tarun_check_out(session, sizeof(*session));
	tarun_check_in(destination, sizeof(*destination));
	res = tarun_ta_open(destination, cancellationRequestTimeout, paramTypes, p, session,
			    returnOrigin);
	if (paramTypes && params)
		to_gp11(paramTypes, p, params, true);
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
	call_params_from_gp11(paramTypes, params, p);
	if (returnOrigin)
		tarun_check_out(returnOrigin, sizeof(*returnOrigin));
	res = tarun_ta_invoke(session, cancellationRequestTimeout, commandID, paramTypes, p,
			      returnOrigin);
	if (paramTypes && params)
		to_gp11(paramTypes, p, params, true);
	return res;
}

/* OP-TEE's libutee helpers that run a GP 1.1 TA's entry points on 1.3.1 parameters (vtee's
 * user_ta_header.c converts by itself; these serve TA sources that call them directly). */
TEE_Result __ta_open_sess(uint32_t pt, TEE_Param params[TEE_NUM_PARAMS], void **sess_ctx,
			  TEE_Result (*fp)(uint32_t, __GP11_TEE_Param[TEE_NUM_PARAMS], void **))
{
	__GP11_TEE_Param p[TEE_NUM_PARAMS];
	TEE_Result res;

	memset(p, 0, sizeof(p));
	to_gp11(pt, params, p, false);
	res = fp(pt, p, sess_ctx);
	from_gp11(pt, p, params, true);
	return res;
}

TEE_Result __ta_invoke_cmd(void *sess_ctx, uint32_t cmd_id, uint32_t pt,
			   TEE_Param params[TEE_NUM_PARAMS],
			   TEE_Result (*fp)(void *, uint32_t, uint32_t,
					    __GP11_TEE_Param[TEE_NUM_PARAMS]))
{
	__GP11_TEE_Param p[TEE_NUM_PARAMS];
	TEE_Result res;

	memset(p, 0, sizeof(p));
	to_gp11(pt, params, p, false);
	res = fp(sess_ctx, cmd_id, pt, p);
	from_gp11(pt, p, params, true);
	return res;
}
