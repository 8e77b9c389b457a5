/* Persistent objects, until vtee has a trusted storage: every function answers as OP-TEE
 * built without secure storage does (no file operations for any storage id):
 *  - open and create: invalid flags panic the TA, otherwise TEE_ERROR_ITEM_NOT_FOUND;
 *  - enumerators: allocate, reset and free work, start and next answer ITEM_NOT_FOUND;
 *  - the data stream functions and delete/rename only ever see transient objects (or bad
 *    handles), which OP-TEE's core refuses (BAD_STATE, ACCESS_CONFLICT) and libutee turns into a
 *    panic; libutee's own early answers stay (TEE_ERROR_OVERFLOW for a write larger than
 *    TEE_DATA_MAX_POSITION or a seek beyond it). */
#include "crypto_int.h"

#include <stdlib.h>
#include <string.h>

#define OPEN_FLAGS (TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE |                \
		    TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_SHARE_READ |               \
		    TEE_DATA_FLAG_SHARE_WRITE)
#define CREATE_FLAGS (OPEN_FLAGS | TEE_DATA_FLAG_OVERWRITE)

struct __TEE_ObjectEnumHandle {
	bool started;
};

TEE_Result TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
				    size_t objectIDLen, uint32_t flags, TEE_ObjectHandle *object)
{
	(void)storageID;
	(void)objectID;
	(void)objectIDLen;
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(!(flags & ~OPEN_FLAGS), TEE_ERROR_BAD_PARAMETERS);
	*object = TEE_HANDLE_NULL;
	return TEE_ERROR_ITEM_NOT_FOUND;
}

TEE_Result __GP11_TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
					   uint32_t objectIDLen, uint32_t flags,
					   TEE_ObjectHandle *object)
{
	return TEE_OpenPersistentObject(storageID, objectID, objectIDLen, flags, object);
}

TEE_Result TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
				      size_t objectIDLen, uint32_t flags,
				      TEE_ObjectHandle attributes, const void *initialData,
				      size_t initialDataLen, TEE_ObjectHandle *object)
{
	(void)storageID;
	(void)objectID;
	(void)objectIDLen;
	(void)attributes;
	(void)initialData;
	(void)initialDataLen;
	PANIC_UNLESS(!(flags & ~CREATE_FLAGS), TEE_ERROR_BAD_PARAMETERS);
	if (object)
		*object = TEE_HANDLE_NULL;
	return TEE_ERROR_ITEM_NOT_FOUND;
}

TEE_Result __GP11_TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
					     uint32_t objectIDLen, uint32_t flags,
					     TEE_ObjectHandle attributes, const void *initialData,
					     uint32_t initialDataLen, TEE_ObjectHandle *object)
{
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	return TEE_CreatePersistentObject(storageID, objectID, objectIDLen, flags, attributes,
					  initialData, initialDataLen, object);
}

/* Any live handle is a transient object here, which these functions refuse. */
static _Noreturn void refuse_transient(TEE_ObjectHandle object, TEE_Result code)
{
	obj_checked(object);
	tarun_panic(code);
}

TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle object)
{
	if (object == TEE_HANDLE_NULL)
		return TEE_SUCCESS;
	refuse_transient(object, TEE_ERROR_ACCESS_CONFLICT); /* no ACCESS_WRITE_META */
}

void TEE_CloseAndDeletePersistentObject(TEE_ObjectHandle object)
{
	(void)TEE_CloseAndDeletePersistentObject1(object);
}

TEE_Result TEE_RenamePersistentObject(TEE_ObjectHandle object, const void *newObjectID,
				      size_t newObjectIDLen)
{
	(void)newObjectID;
	PANIC_UNLESS(object, TEE_ERROR_ITEM_NOT_FOUND);
	PANIC_UNLESS(newObjectIDLen <= TEE_OBJECT_ID_MAX_LEN, TEE_ERROR_BAD_PARAMETERS);
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result __GP11_TEE_RenamePersistentObject(TEE_ObjectHandle object, const void *newObjectID,
					     uint32_t newObjectIDLen)
{
	return TEE_RenamePersistentObject(object, newObjectID, newObjectIDLen);
}

static TEE_ObjectEnumHandle enum_checked(TEE_ObjectEnumHandle e)
{
	PANIC_UNLESS(handle_is(e, HANDLE_OBJ_ENUM), TEE_ERROR_BAD_PARAMETERS);
	return e;
}

TEE_Result TEE_AllocatePersistentObjectEnumerator(TEE_ObjectEnumHandle *objectEnumerator)
{
	TEE_ObjectEnumHandle e;

	PANIC_UNLESS(objectEnumerator, TEE_ERROR_BAD_PARAMETERS);
	e = calloc(1, sizeof(*e));
	PANIC_UNLESS(e, TEE_ERROR_OUT_OF_MEMORY);
	if (handle_register(e, HANDLE_OBJ_ENUM)) {
		free(e);
		tarun_panic(TEE_ERROR_OUT_OF_MEMORY);
	}
	*objectEnumerator = e;
	return TEE_SUCCESS;
}

void TEE_FreePersistentObjectEnumerator(TEE_ObjectEnumHandle objectEnumerator)
{
	if (objectEnumerator == TEE_HANDLE_NULL)
		return;
	handle_unregister(enum_checked(objectEnumerator));
	free(objectEnumerator);
}

void TEE_ResetPersistentObjectEnumerator(TEE_ObjectEnumHandle objectEnumerator)
{
	if (objectEnumerator == TEE_HANDLE_NULL)
		return;
	enum_checked(objectEnumerator)->started = false;
}

TEE_Result TEE_StartPersistentObjectEnumerator(TEE_ObjectEnumHandle objectEnumerator,
					       uint32_t storageID)
{
	(void)storageID;
	enum_checked(objectEnumerator)->started = true;
	return TEE_ERROR_ITEM_NOT_FOUND; /* no storage, so no objects */
}

/* No objects to enumerate; the info the TA gave is zeroed, its id length left as it was. */
static TEE_Result next_object(TEE_ObjectEnumHandle e, void *info, size_t info_size,
			      const void *id, const void *id_len)
{
	PANIC_UNLESS(id_len && id, TEE_ERROR_BAD_PARAMETERS);
	enum_checked(e);
	if (info)
		memset(info, 0, info_size);
	return TEE_ERROR_ITEM_NOT_FOUND;
}

TEE_Result TEE_GetNextPersistentObject(TEE_ObjectEnumHandle objectEnumerator,
				       TEE_ObjectInfo *objectInfo, void *objectID,
				       size_t *objectIDLen)
{
	return next_object(objectEnumerator, objectInfo, sizeof(*objectInfo), objectID,
			   objectIDLen);
}

TEE_Result __GP11_TEE_GetNextPersistentObject(TEE_ObjectEnumHandle objectEnumerator,
					      __GP11_TEE_ObjectInfo *objectInfo,
					      void *objectID, uint32_t *objectIDLen)
{
	return next_object(objectEnumerator, objectInfo, sizeof(*objectInfo), objectID,
			   objectIDLen);
}

TEE_Result TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer, size_t size,
			      size_t *count)
{
	(void)buffer;
	(void)size;
	PANIC_UNLESS(object && count, TEE_ERROR_BAD_PARAMETERS);
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result __GP11_TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer, uint32_t size,
				     uint32_t *count)
{
	(void)buffer;
	(void)size;
	PANIC_UNLESS(object && count, TEE_ERROR_BAD_PARAMETERS);
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer, size_t size)
{
	(void)buffer;
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	if (size > TEE_DATA_MAX_POSITION)
		return TEE_ERROR_OVERFLOW;
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result __GP11_TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer,
				      uint32_t size)
{
	return TEE_WriteObjectData(object, buffer, size);
}

TEE_Result TEE_TruncateObjectData(TEE_ObjectHandle object, size_t size)
{
	(void)size;
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result __GP11_TEE_TruncateObjectData(TEE_ObjectHandle object, uint32_t size)
{
	return TEE_TruncateObjectData(object, size);
}

/* libutee checks the new position against TEE_DATA_MAX_POSITION before asking the core. */
static TEE_Result seek(TEE_ObjectHandle object, intmax_t offset, TEE_Whence whence)
{
	intmax_t base;

	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	obj_checked(object);
	switch (whence) {
	case TEE_DATA_SEEK_SET:
		base = 0;
		break;
	case TEE_DATA_SEEK_CUR:
		base = (intmax_t)object->info.dataPosition;
		break;
	case TEE_DATA_SEEK_END:
		base = (intmax_t)object->info.dataSize;
		break;
	default:
		tarun_panic(TEE_ERROR_ITEM_NOT_FOUND);
	}
	if (offset > 0 && offset > (intmax_t)TEE_DATA_MAX_POSITION - base)
		return TEE_ERROR_OVERFLOW;
	refuse_transient(object, TEE_ERROR_BAD_STATE);
}

TEE_Result TEE_SeekObjectData(TEE_ObjectHandle object, intmax_t offset, TEE_Whence whence)
{
	return seek(object, offset, whence);
}

TEE_Result __GP11_TEE_SeekObjectData(TEE_ObjectHandle object, int32_t offset,
				     TEE_Whence whence)
{
	return seek(object, offset, whence);
}
