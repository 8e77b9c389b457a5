// SPDX-License-Identifier: MIT
/*
 * vtee TA dev kit: compiled into every TA with the TA's own flags. It turns
 * the TA's user_ta_header_defines.h into what the TA host process reads:
 * ta_head (section .ta_head, read with libelf before the TA is loaded),
 * the property table, the heap size and the trace level; in GP 1.1 mode it
 * also defines the real 1.3.1 entry points around the TA's __GP11_ ones.
 */
#include <compiler.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include <trace.h>
#include <user_ta_header.h>
#include <user_ta_header_defines.h>

/* the loader dlsym()s these: keep them visible whatever -fvisibility says */
#define TA_HEADER_EXPORT __attribute__((visibility("default")))

#ifndef TA_UUID
#error "user_ta_header_defines.h must define TA_UUID"
#endif
#ifndef TA_FLAGS
#error "user_ta_header_defines.h must define TA_FLAGS"
#endif
#ifndef TA_STACK_SIZE
#error "user_ta_header_defines.h must define TA_STACK_SIZE"
#endif
#ifndef TA_DATA_SIZE
#error "user_ta_header_defines.h must define TA_DATA_SIZE"
#endif

/* OP-TEE's smallest heap pool; a smaller TA_DATA_SIZE does not build there */
#define TA_HEAP_MIN_SIZE 1024
#if TA_DATA_SIZE < TA_HEAP_MIN_SIZE
#error TA_DATA_SIZE too small
#endif
#if defined(TA_NO_SHARE_DATA_SIZE) && TA_NO_SHARE_DATA_SIZE && \
	TA_NO_SHARE_DATA_SIZE < TA_HEAP_MIN_SIZE
#error TA_NO_SHARE_DATA_SIZE too small
#endif

#ifndef TA_VERSION
#define TA_VERSION "Undefined version"
#endif
#ifndef TA_DESCRIPTION
#define TA_DESCRIPTION "Undefined description"
#endif

/* GP's TA_STACK_SIZE is the TA's own use; the runtime needs this on top */
#define TA_FRAMEWORK_STACK_SIZE 2048

TA_HEADER_EXPORT int trace_level = TRACE_LEVEL;
TA_HEADER_EXPORT const char trace_ext_prefix[] = "TA";

TA_HEADER_EXPORT const struct ta_head ta_head __section(".ta_head") = {
	.uuid = TA_UUID,
	.stack_size = TA_STACK_SIZE + TA_FRAMEWORK_STACK_SIZE,
	.flags = TA_FLAGS,
	/* no entry goes through here; a fixed value marks a current TA */
	.depr_entry = UINT64_MAX,
};

TA_HEADER_EXPORT const size_t ta_heap_size = TA_DATA_SIZE;

/* the second heap, for TEE_Malloc(TEE_MALLOC_NO_SHARE); 0: none */
#ifndef TA_NO_SHARE_DATA_SIZE
#define TA_NO_SHARE_DATA_SIZE 0
#endif
TA_HEADER_EXPORT const size_t __ta_no_share_heap_size = TA_NO_SHARE_DATA_SIZE;

TA_HEADER_EXPORT const struct user_ta_property ta_props[] = {
	{ TA_PROP_STR_SINGLE_INSTANCE, USER_TA_PROP_TYPE_BOOL,
	  &(const bool){ (TA_FLAGS & TA_FLAG_SINGLE_INSTANCE) != 0 } },
	{ TA_PROP_STR_MULTI_SESSION, USER_TA_PROP_TYPE_BOOL,
	  &(const bool){ (TA_FLAGS & TA_FLAG_MULTI_SESSION) != 0 } },
	{ TA_PROP_STR_KEEP_ALIVE, USER_TA_PROP_TYPE_BOOL,
	  &(const bool){ (TA_FLAGS & TA_FLAG_INSTANCE_KEEP_ALIVE) != 0 } },
	{ TA_PROP_STR_KEEP_CRASHED, USER_TA_PROP_TYPE_BOOL,
	  &(const bool){ (TA_FLAGS & TA_FLAG_INSTANCE_KEEP_CRASHED) != 0 } },
	{ TA_PROP_STR_DATA_SIZE, USER_TA_PROP_TYPE_U32,
	  &(const uint32_t){ TA_DATA_SIZE } },
	{ TA_PROP_STR_STACK_SIZE, USER_TA_PROP_TYPE_U32,
	  &(const uint32_t){ TA_STACK_SIZE } },
	{ TA_PROP_STR_VERSION, USER_TA_PROP_TYPE_STRING, TA_VERSION },
	{ TA_PROP_STR_DESCRIPTION, USER_TA_PROP_TYPE_STRING, TA_DESCRIPTION },
	/* little-endian only */
	{ TA_PROP_STR_ENDIAN, USER_TA_PROP_TYPE_U32, &(const uint32_t){ 0 } },
	{ TA_PROP_STR_DOES_NOT_CLOSE_HANDLE_ON_CORRUPT_OBJECT,
	  USER_TA_PROP_TYPE_BOOL,
	  &(const bool){
		(TA_FLAGS & TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT) != 0 } },
	/* the TA's own properties; their names must not start with "gpd." */
#ifdef TA_CURRENT_TA_EXT_PROPERTIES
	TA_CURRENT_TA_EXT_PROPERTIES
#endif
};

TA_HEADER_EXPORT const size_t ta_num_props =
	sizeof(ta_props) / sizeof(ta_props[0]);

TA_HEADER_EXPORT int tahead_get_trace_level(void)
{
	return TRACE_LEVEL;
}

#if __OPTEE_CORE_API_COMPAT_1_1
/*
 * A GP 1.1 TA defined __GP11_TA_OpenSessionEntryPoint and
 * __GP11_TA_InvokeCommandEntryPoint (tee_api_compat.h renamed them); the
 * host calls the 1.3.1 names, so those are defined here. Memref sizes travel
 * through the TA as uint32_t, as they do on OP-TEE.
 */
#undef TA_OpenSessionEntryPoint
#undef TA_InvokeCommandEntryPoint
#undef TEE_Param

static bool param_is_value(uint32_t types, size_t n)
{
	uint32_t t = TEE_PARAM_TYPE_GET(types, n);

	return t == TEE_PARAM_TYPE_VALUE_INPUT ||
	       t == TEE_PARAM_TYPE_VALUE_OUTPUT ||
	       t == TEE_PARAM_TYPE_VALUE_INOUT;
}

static bool param_is_memref(uint32_t types, size_t n)
{
	uint32_t t = TEE_PARAM_TYPE_GET(types, n);

	return t == TEE_PARAM_TYPE_MEMREF_INPUT ||
	       t == TEE_PARAM_TYPE_MEMREF_OUTPUT ||
	       t == TEE_PARAM_TYPE_MEMREF_INOUT;
}

static void params_to_gp11(uint32_t types, const TEE_Param *p,
			   __GP11_TEE_Param *gp11)
{
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		if (param_is_value(types, n)) {
			gp11[n].value.a = p[n].value.a;
			gp11[n].value.b = p[n].value.b;
		} else if (param_is_memref(types, n)) {
			gp11[n].memref.buffer = p[n].memref.buffer;
			gp11[n].memref.size = (uint32_t)p[n].memref.size;
		}
	}
}

static void params_from_gp11(uint32_t types, const __GP11_TEE_Param *gp11,
			     TEE_Param *p)
{
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		if (param_is_value(types, n)) {
			p[n].value.a = gp11[n].value.a;
			p[n].value.b = gp11[n].value.b;
		} else if (param_is_memref(types, n)) {
			p[n].memref.buffer = gp11[n].memref.buffer;
			p[n].memref.size = gp11[n].memref.size;
		}
	}
}

TA_HEADER_EXPORT TEE_Result
TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[TEE_NUM_PARAMS],
			 void **sess_ctx)
{
	__GP11_TEE_Param gp11[TEE_NUM_PARAMS] = { 0 };
	TEE_Result res;

	params_to_gp11(types, params, gp11);
	res = __GP11_TA_OpenSessionEntryPoint(types, gp11, sess_ctx);
	params_from_gp11(types, gp11, params);
	return res;
}

TA_HEADER_EXPORT TEE_Result
TA_InvokeCommandEntryPoint(void *sess_ctx, uint32_t cmd, uint32_t types,
			   TEE_Param params[TEE_NUM_PARAMS])
{
	__GP11_TEE_Param gp11[TEE_NUM_PARAMS] = { 0 };
	TEE_Result res;

	params_to_gp11(types, params, gp11);
	res = __GP11_TA_InvokeCommandEntryPoint(sess_ctx, cmd, types, gp11);
	params_from_gp11(types, gp11, params);
	return res;
}
#endif /* __OPTEE_CORE_API_COMPAT_1_1 */
