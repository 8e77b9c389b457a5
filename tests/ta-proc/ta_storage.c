// SPDX-License-Identifier: MIT
/*
 * A test TA for persistent objects through the process model
 * (ta_proc_test.h, TST_CMD_*): each command is one GP storage call on a
 * handle slot of this instance, so the driver (test_ta_storage.c) can hold
 * handles in several instances at once and see every result as GP gives it.
 */
#include <string.h>

#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include "ta_proc_test.h"

#define SLOTS 8

static TEE_ObjectHandle slot[SLOTS]; /* per instance: this process's */

/*
 * Ids and data buffers in the TA's own memory: OP-TEE refuses (and the runtime panics on) an
 * object id, or a buffer to read into or write from, in the client's shared memory.
 */
static void *private_copy(const TEE_Param *p)
{
	void *b = TEE_Malloc(p->memref.size ? p->memref.size : 1, TEE_MALLOC_FILL_ZERO);
	if (b && p->memref.buffer)
		TEE_MemMove(b, p->memref.buffer, p->memref.size);
	return b;
}

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
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

static TEE_Result create(TEE_Param p[4])
{
	uint32_t s = p[0].value.a;
	TEE_ObjectHandle *out = s == TST_NO_SLOT ? NULL : &slot[s];
	void *id = private_copy(&p[1]), *data = private_copy(&p[2]);
	TEE_Result r = TEE_ERROR_OUT_OF_MEMORY;
	if (id && data)
		r = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, p[1].memref.size, p[0].value.b, TEE_HANDLE_NULL,
					       p[2].memref.buffer ? data : NULL, p[2].memref.size, out);
	TEE_Free(id);
	TEE_Free(data);
	return r;
}

static TEE_Result open_slot(TEE_Param p[4])
{
	void *id = private_copy(&p[1]);
	TEE_Result r = TEE_ERROR_OUT_OF_MEMORY;
	if (id)
		r = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, p[1].memref.size, p[0].value.b,
					     &slot[p[0].value.a]);
	TEE_Free(id);
	return r;
}

static TEE_Result rename_to(TEE_Param p[4])
{
	void *id = private_copy(&p[1]);
	TEE_Result r = TEE_ERROR_OUT_OF_MEMORY;
	if (id)
		r = TEE_RenamePersistentObject(slot[p[0].value.a], id, p[1].memref.size);
	TEE_Free(id);
	return r;
}

static TEE_Result read_at(TEE_Param p[4])
{
	TEE_ObjectHandle h = slot[p[0].value.a];
	size_t count = 0;
	void *b = TEE_Malloc(p[2].memref.size ? p[2].memref.size : 1, 0);
	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	TEE_Result r = TEE_SeekObjectData(h, (int32_t)p[0].value.b, TEE_DATA_SEEK_SET);
	if (r == TEE_SUCCESS)
		r = TEE_ReadObjectData(h, b, p[2].memref.size, &count);
	TEE_MemMove(p[2].memref.buffer, b, count);
	TEE_Free(b);
	p[2].memref.size = count;
	return r;
}

static TEE_Result write_at(TEE_Param p[4])
{
	TEE_ObjectHandle h = slot[p[0].value.a];
	void *b = private_copy(&p[2]);
	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	TEE_Result r = TEE_SeekObjectData(h, (int32_t)p[0].value.b, TEE_DATA_SEEK_SET);
	if (r == TEE_SUCCESS)
		r = TEE_WriteObjectData(h, b, p[2].memref.size);
	TEE_Free(b);
	return r;
}

static TEE_Result close_slot(TEE_Param p[4])
{
	uint32_t s = p[0].value.a;
	TEE_Result r = TEE_SUCCESS;
	if (p[0].value.b)
		r = TEE_CloseAndDeletePersistentObject1(slot[s]);
	else
		TEE_CloseObject(slot[s]);
	slot[s] = TEE_HANDLE_NULL;
	return r;
}

static TEE_Result info(TEE_Param p[4])
{
	TEE_ObjectInfo i;
	TEE_Result r = TEE_GetObjectInfo1(slot[p[0].value.a], &i);
	p[0].value.a = i.dataSize;
	p[0].value.b = i.handleFlags;
	return r;
}

static TEE_Result enumerate(TEE_Param p[4])
{
	TEE_ObjectEnumHandle e;
	TEE_Result r = TEE_AllocatePersistentObjectEnumerator(&e);
	if (r != TEE_SUCCESS)
		return r;
	uint8_t *out = p[2].memref.buffer;
	size_t used = 0;
	uint32_t n = 0;
	r = TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE);
	while (r == TEE_SUCCESS) {
		TEE_ObjectInfo i;
		uint8_t id[TEE_OBJECT_ID_MAX_LEN];
		size_t len = sizeof(id);
		r = TEE_GetNextPersistentObject(e, &i, id, &len);
		if (r != TEE_SUCCESS)
			break;
		if (used + 1 + len <= p[2].memref.size) {
			out[used] = (uint8_t)len;
			memcpy(out + used + 1, id, len);
			used += 1 + len;
		}
		n++;
	}
	TEE_FreePersistentObjectEnumerator(e);
	p[0].value.a = n;
	p[2].memref.size = used;
	return r == TEE_ERROR_ITEM_NOT_FOUND ? TEE_SUCCESS : r;
}

static TEE_Result ptime(uint32_t cmd, TEE_Param p[4])
{
	TEE_Time t = { .seconds = p[0].value.a };
	if (cmd == TST_CMD_PTIME_SET)
		return TEE_SetTAPersistentTime(&t);
	TEE_Result r = TEE_GetTAPersistentTime(&t);
	p[0].value.a = t.seconds;
	return r;
}

TEE_Result TA_InvokeCommandEntryPoint(void *ctx, uint32_t cmd, uint32_t types, TEE_Param p[4])
{
	(void)ctx;
	(void)types;
	if (cmd != TST_CMD_ENUM && cmd != TST_CMD_PANIC && cmd < TST_CMD_PTIME_SET && p[0].value.a >= SLOTS &&
	    !(cmd == TST_CMD_CREATE && p[0].value.a == TST_NO_SLOT))
		return TEE_ERROR_BAD_PARAMETERS;
	switch (cmd) {
	case TST_CMD_OPEN:
		return open_slot(p);
	case TST_CMD_CREATE:
		return create(p);
	case TST_CMD_READ:
		return read_at(p);
	case TST_CMD_WRITE:
		return write_at(p);
	case TST_CMD_TRUNCATE:
		return TEE_TruncateObjectData(slot[p[0].value.a], p[0].value.b);
	case TST_CMD_CLOSE:
		return close_slot(p);
	case TST_CMD_RENAME:
		return rename_to(p);
	case TST_CMD_INFO:
		return info(p);
	case TST_CMD_ENUM:
		return enumerate(p);
	case TST_CMD_PANIC:
		TEE_Panic(0x57);
		return TEE_ERROR_GENERIC;
	case TST_CMD_PTIME_SET:
	case TST_CMD_PTIME_GET:
		return ptime(cmd, p);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
