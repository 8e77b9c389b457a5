/* The GP 1.3.1 entry points of the full tree; compile-time checks of flags. */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <full_ta.h>
#include <vtutil.h>

#if !defined(FULL_CFLAG_ALL) || !defined(FULL_CFLAG_REMOVED)
#error "cflags-y did not reach full_ta.c"
#endif
#ifdef FULL_CFLAG_ONE
#error "cflags-removed_flag.c-y reached another file"
#endif
#if !defined(FULL_CPPFLAG) || !defined(FULL_CPPFLAG_ONE) || !defined(FULL_FLOAT)
#error "cppflags-y, cppflags-full_ta.c-y or cppflags-$(CFG_TA_FLOAT_SUPPORT) missing"
#endif
#if !defined(FROM_GLOBAL_CPPFLAGS) || FROM_GLOBAL_CPPFLAGS != 7
#error "global-cppflags-y of sub/sub.mk missing"
#endif
#if CFG_FULL_YES != 1 || CFG_FULL_NUMBER != 42 || defined(CFG_FULL_NO)
#error "CFG_* values were not passed as OP-TEE passes them"
#endif
#if TRACE_LEVEL != 3 || CFG_TEE_TA_LOG_LEVEL != 3
#error "CFG_TEE_TA_LOG_LEVEL did not become TRACE_LEVEL"
#endif
#if __OPTEE_CORE_API_COMPAT_1_1
#error "a GP 1.3.1 tree must not build in compat mode"
#endif
#if !defined(FULL_SM_ARM64) && !defined(FULL_SM_OTHER)
#error "ifeq ($(sm),...) in sub.mk did not work"
#endif

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types __unused,
				    TEE_Param params[TEE_NUM_PARAMS] __unused,
				    void **sess_ctx __unused)
{
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *sess_ctx __unused)
{
}

static TEE_Result probe(uint32_t types, TEE_Param params[TEE_NUM_PARAMS])
{
	size_t len = strlen(FULL_SM) + 1;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
				     TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	params[0].value.a = full_removed_flag_part() + full_enabled_part() +
			    full_float_part() + full_renamed_part() +
			    full_gen_value() + full_ext_part() +
			    full_extsub_part() + full_sub_part() + vtutil_value();
	params[0].value.b = CFG_FULL_NUMBER;
	if (params[1].memref.size < len) {
		params[1].memref.size = len;
		return TEE_ERROR_SHORT_BUFFER;
	}
	memcpy(params[1].memref.buffer, FULL_SM, len);
	params[1].memref.size = len;
	DMSG("probe: %" PRIu32 " %s", params[0].value.a, CFG_FULL_STRING);
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess_ctx __unused, uint32_t cmd,
				      uint32_t types,
				      TEE_Param params[TEE_NUM_PARAMS])
{
	switch (cmd) {
	case FULL_CMD_PROBE:
		return probe(types, params);
	case FULL_CMD_CXX:
		params[0].value.a = (uint32_t)full_cxx_part();
		return TEE_SUCCESS;
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
