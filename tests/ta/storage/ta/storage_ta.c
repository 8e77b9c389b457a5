// SPDX-License-Identifier: MIT
/*
 * storage: entry points, the command table, the report wrapper, and the
 * helpers the reports share.
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <storage_ta.h>
#include "storage.h"

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types,
				    TEE_Param __maybe_unused params[4], void **sess_ctx)
{
	struct storage_session *s;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	s = TEE_Malloc(sizeof(*s), TEE_MALLOC_FILL_ZERO);
	if (!s)
		return TEE_ERROR_OUT_OF_MEMORY;
	*sess_ctx = s;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *sess_ctx)
{
	struct storage_session *s = sess_ctx;

	TEE_CloseObject(s->held);
	TEE_Free(s);
}

static TEE_Result report(void (*run)(struct ta_report *r, uint32_t storage),
			 uint32_t param_types, TEE_Param params[4])
{
	struct ta_report r;
	TEE_Result res;

	if (!report_params_ok(param_types) ||
	    TEE_PARAM_TYPE_GET(param_types, 2) != TEE_PARAM_TYPE_VALUE_INPUT ||
	    TEE_PARAM_TYPE_GET(param_types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;
	res = report_begin(&r);
	if (res != TEE_SUCCESS)
		return res;
	run(&r, params[2].value.a);
	res = report_answer(&r, param_types, params);
	report_end(&r);
	return res;
}

static TEE_Result release(struct storage_session *s, uint32_t param_types)
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_CloseObject(s->held);
	s->held = TEE_HANDLE_NULL;
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess_ctx, uint32_t cmd_id,
				      uint32_t param_types, TEE_Param params[4])
{
	struct storage_session *s = sess_ctx;

	switch (cmd_id) {
	case TA_STORAGE_CMD_DATA:
		return report(storage_data, param_types, params);
	case TA_STORAGE_CMD_ACCESS:
		return report(storage_access, param_types, params);
	case TA_STORAGE_CMD_INFO_ENUM:
		return report(storage_info_enum, param_types, params);
	case TA_STORAGE_CMD_KEY:
		return report(storage_key, param_types, params);
	case TA_STORAGE_CMD_PUT:
		return storage_put(param_types, params);
	case TA_STORAGE_CMD_GET:
		return storage_get(param_types, params);
	case TA_STORAGE_CMD_DELETE:
		return storage_delete(param_types, params);
	case TA_STORAGE_CMD_COUNT:
		return storage_count(param_types, params);
	case TA_STORAGE_CMD_HOLD:
		return storage_hold(s, param_types, params);
	case TA_STORAGE_CMD_RELEASE:
		return release(s, param_types);
	case TA_STORAGE_CMD_TRY_OPEN:
		return storage_try_open(param_types, params);
	case TA_STORAGE_CMD_KEY_MAKE:
		return storage_key_cmd(true, param_types, params);
	case TA_STORAGE_CMD_KEY_USE:
		return storage_key_cmd(false, param_types, params);
	case TA_STORAGE_CMD_FILL:
		return storage_fill(param_types, params);
	case TA_STORAGE_CMD_ID_TOO_LONG:
		return storage_id_too_long(param_types, params);
	case TA_STORAGE_CMD_ID_IN_SHM:
		return storage_id_in_shm(param_types, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

TEE_Result storage_make(uint32_t storage, const char *id, const void *data, size_t len,
			TEE_ObjectHandle *h)
{
	return TEE_CreatePersistentObject(storage, id, strlen(id),
					  STORAGE_ALL_FLAGS | TEE_DATA_FLAG_OVERWRITE,
					  TEE_HANDLE_NULL, data, len, h);
}

void storage_remove(uint32_t storage, const char *id)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;

	if (TEE_OpenPersistentObject(storage, id, strlen(id), TEE_DATA_FLAG_ACCESS_WRITE_META,
				     &h) == TEE_SUCCESS)
		TEE_CloseAndDeletePersistentObject1(h);
}

void storage_expect_size(struct ta_report *r, TEE_ObjectHandle h, size_t size, size_t pos,
			 const char *what)
{
	TEE_ObjectInfo info = { 0 };
	TEE_Result res = TEE_GetObjectInfo1(h, &info);

	report_check(r, res == TEE_SUCCESS && info.dataSize == size && info.dataPosition == pos,
		     "%s: size %zu at position %zu (want %zu at %zu) (0x%08" PRIx32 ")", what,
		     info.dataSize, info.dataPosition, size, pos, res);
}

void storage_expect_at(struct ta_report *r, TEE_ObjectHandle h, int32_t pos,
		       const void *want, size_t len, const char *what)
{
	uint8_t got[64];
	size_t n = sizeof(got);
	TEE_Result res;

	if (len > sizeof(got))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	memset(got, 0xa5, sizeof(got));
	res = TEE_SeekObjectData(h, pos, TEE_DATA_SEEK_SET);
	if (res == TEE_SUCCESS)
		res = TEE_ReadObjectData(h, got, len, &n);
	if (!report_res(r, res, TEE_SUCCESS, what))
		return;
	report_check(r, n == len && !memcmp(got, want, len),
		     "%s: %zu bytes at %" PRId32 " as expected (read %zu)", what, len, pos, n);
}
