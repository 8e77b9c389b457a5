// SPDX-License-Identifier: MIT
/*
 * storage: the one-operation commands, for what a client checks across
 * sessions, runs, VMs and quotas (storage_ta.h). Each returns the GP result
 * the operation gave, so the client sees ITEM_NOT_FOUND, ACCESS_CONFLICT or
 * STORAGE_NO_SPACE exactly as the TA did.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <storage_ta.h>
#include "storage.h"

#define P(a, b, c, d) TEE_PARAM_TYPES(TEE_PARAM_TYPE_##a, TEE_PARAM_TYPE_##b, \
				      TEE_PARAM_TYPE_##c, TEE_PARAM_TYPE_##d)

/* An object id as GP wants it: in the TA's own memory, never the client's (xtest 6020). */
struct obj_id {
	uint8_t bytes[TEE_OBJECT_ID_MAX_LEN];
	size_t len;
};

static TEE_Result copy_id(const TEE_Param *p, struct obj_id *id)
{
	if (p->memref.size > sizeof(id->bytes))
		return TEE_ERROR_BAD_PARAMETERS;
	id->len = p->memref.size;
	TEE_MemMove(id->bytes, p->memref.buffer, id->len);
	return TEE_SUCCESS;
}

TEE_Result storage_put(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	uint32_t flags = STORAGE_ALL_FLAGS;
	struct obj_id id;
	TEE_Result res;

	if (types != P(MEMREF_INPUT, MEMREF_INPUT, VALUE_INPUT, NONE) ||
	    copy_id(&params[0], &id) != TEE_SUCCESS)
		return TEE_ERROR_BAD_PARAMETERS;
	if (params[2].value.b != 1)
		flags |= TEE_DATA_FLAG_OVERWRITE;
	res = TEE_CreatePersistentObject(params[2].value.a, id.bytes, id.len, flags,
					 TEE_HANDLE_NULL, params[1].memref.buffer,
					 params[1].memref.size, &h);
	if (res == TEE_SUCCESS)
		TEE_CloseObject(h);
	return res;
}

TEE_Result storage_get(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_ObjectInfo info = { 0 };
	struct obj_id id;
	size_t n = 0;
	TEE_Result res;

	if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, VALUE_INPUT, VALUE_OUTPUT) ||
	    copy_id(&params[0], &id) != TEE_SUCCESS)
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_OpenPersistentObject(params[2].value.a, id.bytes, id.len,
				       TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &h);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_GetObjectInfo1(h, &info);
	if (res == TEE_SUCCESS)
		res = TEE_ReadObjectData(h, params[1].memref.buffer, params[1].memref.size, &n);
	TEE_CloseObject(h);
	params[1].memref.size = n;
	params[3].value.a = info.dataSize;
	return res;
}

/*
 * The commands of the form [0] MEMREF_INPUT id, [1] VALUE_INPUT a = storage,
 * b = flags: opens the object with b | more_flags.
 */
static TEE_Result open_by_params(uint32_t types, TEE_Param params[4], uint32_t more_flags,
				 TEE_ObjectHandle *h)
{
	struct obj_id id;

	if (types != P(MEMREF_INPUT, VALUE_INPUT, NONE, NONE) ||
	    copy_id(&params[0], &id) != TEE_SUCCESS)
		return TEE_ERROR_BAD_PARAMETERS;
	return TEE_OpenPersistentObject(params[1].value.a, id.bytes, id.len,
					params[1].value.b | more_flags, h);
}

TEE_Result storage_delete(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_Result res = open_by_params(types, params, TEE_DATA_FLAG_ACCESS_WRITE_META, &h);

	if (res != TEE_SUCCESS)
		return res;
	return TEE_CloseAndDeletePersistentObject1(h);
}

TEE_Result storage_count(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	uint32_t count = 0, bytes = 0;
	TEE_ObjectInfo info;
	size_t id_len;
	TEE_Result res;

	if (types != P(VALUE_OUTPUT, VALUE_INPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocatePersistentObjectEnumerator(&e);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_StartPersistentObjectEnumerator(e, params[1].value.a);
	while (res == TEE_SUCCESS) {
		id_len = sizeof(id);
		res = TEE_GetNextPersistentObject(e, &info, id, &id_len);
		if (res == TEE_SUCCESS) {
			count++;
			bytes += info.dataSize;
		}
	}
	TEE_FreePersistentObjectEnumerator(e);
	params[0].value.a = count;
	params[0].value.b = bytes;
	return res == TEE_ERROR_ITEM_NOT_FOUND ? TEE_SUCCESS : res;
}

TEE_Result storage_hold(struct storage_session *s, uint32_t types, TEE_Param params[4])
{
	if (s->held != TEE_HANDLE_NULL)
		return TEE_ERROR_BAD_STATE;
	return open_by_params(types, params, 0, &s->held);
}

TEE_Result storage_try_open(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_Result res = open_by_params(types, params, 0, &h);

	TEE_CloseObject(h);
	return res;
}

TEE_Result storage_ecb(TEE_ObjectHandle key, const void *in, size_t len, void *out,
		       size_t *out_len)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res;

	if (len % 16 || *out_len < len)
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocateOperation(&op, TEE_ALG_AES_ECB_NOPAD, TEE_MODE_ENCRYPT, 256);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, key);
	if (res == TEE_SUCCESS) {
		TEE_CipherInit(op, NULL, 0);
		res = TEE_CipherDoFinal(op, in, len, out, out_len);
	}
	TEE_FreeOperation(op);
	return res;
}

/* Generates an AES-256 key and stores it (OVERWRITE) with TA_STORAGE_KEY_DATA; *h open. */
static TEE_Result make_key(uint32_t storage, const struct obj_id *id, TEE_ObjectHandle *h)
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateTransientObject(TEE_TYPE_AES, 256, &key);

	if (res == TEE_SUCCESS)
		res = TEE_GenerateKey(key, 256, NULL, 0);
	if (res == TEE_SUCCESS)
		res = TEE_CreatePersistentObject(storage, id->bytes, id->len,
						 STORAGE_ALL_FLAGS | TEE_DATA_FLAG_OVERWRITE, key,
						 TA_STORAGE_KEY_DATA, strlen(TA_STORAGE_KEY_DATA),
						 h);
	TEE_FreeTransientObject(key);
	return res;
}

TEE_Result storage_key_cmd(bool make, uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	struct obj_id id;
	size_t out_len;
	TEE_Result res;

	if (types != P(MEMREF_INPUT, MEMREF_INPUT, MEMREF_OUTPUT, VALUE_INPUT) ||
	    copy_id(&params[0], &id) != TEE_SUCCESS)
		return TEE_ERROR_BAD_PARAMETERS;
	if (make)
		res = make_key(params[3].value.a, &id, &h);
	else
		res = TEE_OpenPersistentObject(params[3].value.a, id.bytes, id.len,
					       TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ,
					       &h);
	if (res != TEE_SUCCESS)
		return res;
	out_len = params[2].memref.size;
	res = storage_ecb(h, params[1].memref.buffer, params[1].memref.size,
			  params[2].memref.buffer, &out_len);
	params[2].memref.size = out_len;
	TEE_CloseObject(h);
	return res;
}

/* Object index's data: bytes that differ between objects, for spotting mix-ups. */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t index)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(index * 131 + i * 7);
}

TEE_Result storage_fill(uint32_t types, TEE_Param params[4])
{
	uint32_t count = params[0].value.a, size = params[0].value.b;
	TEE_Result res = TEE_SUCCESS;
	uint8_t *buf;
	char id[24];

	if (types != P(VALUE_INPUT, VALUE_INPUT, VALUE_OUTPUT, NONE) || size > (1u << 20))
		return TEE_ERROR_BAD_PARAMETERS;
	buf = TEE_Malloc(size ? size : 1, TEE_MALLOC_FILL_ZERO);
	if (!buf)
		return TEE_ERROR_OUT_OF_MEMORY;
	params[2].value.a = 0;
	for (uint32_t i = 0; i < count && res == TEE_SUCCESS; i++) {
		TEE_ObjectHandle h = TEE_HANDLE_NULL;
		uint32_t index = params[1].value.a + i;

		snprintf(id, sizeof(id), "obj-%" PRIu32, index);
		fill_pattern(buf, size, index);
		res = TEE_CreatePersistentObject(params[1].value.b, id, strlen(id),
						 STORAGE_ALL_FLAGS | TEE_DATA_FLAG_OVERWRITE,
						 TEE_HANDLE_NULL, NULL, 0, &h);
		if (res == TEE_SUCCESS && size)
			res = TEE_WriteObjectData(h, buf, size);
		TEE_CloseObject(h);
		if (res == TEE_SUCCESS)
			params[2].value.a++;
	}
	TEE_Free(buf);
	return res;
}

TEE_Result storage_id_too_long(uint32_t types, TEE_Param params[4])
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN + 1];
	TEE_ObjectHandle h = TEE_HANDLE_NULL;

	if (types != P(VALUE_INPUT, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	memset(id, 'x', sizeof(id));
	/* does not return: the core's BAD_PARAMETERS is not one open may give */
	return TEE_OpenPersistentObject(params[0].value.a, id, sizeof(id),
					TEE_DATA_FLAG_ACCESS_READ, &h);
}

TEE_Result storage_id_in_shm(uint32_t types, TEE_Param params[4])
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;

	if (types != P(MEMREF_INPUT, VALUE_INPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	/* does not return: the id is the client's memory, which the core refuses to read */
	return TEE_OpenPersistentObject(params[1].value.a, params[0].memref.buffer,
					params[0].memref.size, TEE_DATA_FLAG_ACCESS_READ, &h);
}
