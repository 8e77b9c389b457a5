/* Persistent objects: open, create, close, close-and-delete, rename, and what the generic
 * object functions do differently on a persistent handle (close, info, usage), on the host's
 * st_* ops. The checks and panics are libutee's, the refusals OP-TEE's core makes and libutee
 * turns into panics likewise (lib/libutee/tee_api_objects.c, core/tee/tee_svc_storage.c).
 * A host without st_* ops is a TEE without storage: open and create answer ITEM_NOT_FOUND. */
#include "obj_persistent.h"

#include <errno.h>
#include <stdlib.h>

bool st_storage_served(uint32_t storage_id)
{
	if (!tarun_ops || !tarun_ops->st_open)
		return false;
	return storage_id == TEE_STORAGE_PRIVATE || storage_id == TEE_STORAGE_PRIVATE_REE;
}

TEE_Result st_result(int rc, TEE_Result ret)
{
	if (rc == -ENOMEM)
		return TEE_ERROR_OUT_OF_MEMORY;
	return rc ? TEE_ERROR_COMMUNICATION : ret;
}

TEE_ObjectHandle pobj_checked(TEE_ObjectHandle o, TEE_Result code)
{
	PANIC_UNLESS(obj_is_persistent(obj_checked(o)), code);
	return o;
}

/* The TEE forgets the handle; a handle it does not know means the runtime lost track. */
static void st_forget(uint32_t st_obj)
{
	TEE_Result ret = TEE_SUCCESS;

	PANIC_UNLESS(tarun_ops->st_close(st_obj, false, &ret) == 0, TEE_ERROR_BAD_STATE);
}

void pobj_close(TEE_ObjectHandle o)
{
	st_forget(o->st_obj);
	obj_destroy(o);
}

void pobj_corrupt(TEE_ObjectHandle o)
{
	if (!(tarun_ta_flags() & TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT))
		pobj_close(o);
}

TEE_Result pobj_refresh_size(TEE_ObjectHandle o)
{
	TEE_Result ret = TEE_SUCCESS;
	uint64_t size = 0;
	int rc = tarun_ops->st_size(o->st_obj, &size, &ret);

	ret = st_result(rc, ret);
	if (!ret && size > TEE_DATA_MAX_POSITION)
		ret = TEE_ERROR_CORRUPT_OBJECT;
	if (!ret)
		o->info.dataSize = size;
	return ret;
}

TEE_Result pobj_restrict_usage(TEE_ObjectHandle o, uint32_t usage)
{
	uint32_t restricted = o->info.objectUsage & usage;
	TEE_Result ret = TEE_SUCCESS;
	int rc = tarun_ops->st_restrict_usage(o->st_obj, usage, &ret);

	ret = st_result(rc, ret);
	if (!ret)
		o->info.objectUsage = restricted;
	return ret;
}

TEE_Result pobj_from_meta(uint32_t st_obj, uint32_t flags, const void *meta, size_t meta_len,
			  uint64_t data_size, TEE_ObjectHandle *out)
{
	TEE_ObjectHandle o = NULL;
	TEE_Result res = data_size > TEE_DATA_MAX_POSITION ? TEE_ERROR_CORRUPT_OBJECT :
			 meta_decode(meta, meta_len, &o);

	if (!res && handle_register(o, HANDLE_OBJECT)) {
		obj_destroy(o);
		res = TEE_ERROR_OUT_OF_MEMORY;
	}
	if (res) {
		st_forget(st_obj);
		return res;
	}
	o->info.handleFlags = TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED | flags;
	o->info.dataSize = data_size;
	o->info.dataPosition = 0;
	o->st_obj = st_obj;
	*out = o;
	return TEE_SUCCESS;
}

/* An object id as the host gets it: an empty one is "", never NULL. */
static const void *host_id(const void *id, size_t id_len)
{
	return id_len ? id : "";
}

/* The core's checks of open and create, in its order: flags (panic), storage id, id length
 * (panic), id readable. false: the storage id is not served (ITEM_NOT_FOUND). */
static bool check_open_args(uint32_t storage_id, const void *id, size_t id_len, uint32_t flags,
			    uint32_t valid_flags)
{
	PANIC_UNLESS(!(flags & ~valid_flags), TEE_ERROR_BAD_PARAMETERS);
	if (!st_storage_served(storage_id))
		return false;
	PANIC_UNLESS(id_len <= TEE_OBJECT_ID_MAX_LEN, TEE_ERROR_BAD_PARAMETERS);
	tarun_check_in(id, id_len);
	return true;
}

static TEE_Result open_object(const void *id, size_t id_len, uint32_t flags,
			      TEE_ObjectHandle *object)
{
	size_t meta_len = TARUN_ST_META_MAX;
	uint8_t *meta = malloc(meta_len);
	TEE_Result ret = TEE_SUCCESS;
	uint64_t data_size = 0;
	uint32_t st_obj = 0;
	int rc;

	if (!meta)
		return TEE_ERROR_OUT_OF_MEMORY;
	rc = tarun_ops->st_open(id, id_len, flags, &st_obj, meta, &meta_len, &data_size, &ret);
	ret = st_result(rc, ret);
	if (ret == TEE_ERROR_SHORT_BUFFER) /* larger than any blob the TEE may store */
		ret = TEE_ERROR_CORRUPT_OBJECT;
	if (!ret) /* a length beyond the buffer fails the blob's bounds */
		ret = pobj_from_meta(st_obj, flags, meta, meta_len > TARUN_ST_META_MAX ?
				     TARUN_ST_META_MAX + 1 : meta_len, data_size, object);
	free(meta);
	return ret;
}

TEE_Result TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
				    size_t objectIDLen, uint32_t flags, TEE_ObjectHandle *object)
{
	TEE_Result res = TEE_ERROR_ITEM_NOT_FOUND;

	tarun_check_out(object, sizeof(*object)); /* NULL panics */
	if (check_open_args(storageID, objectID, objectIDLen, flags, ST_OPEN_FLAGS))
		res = open_object(host_id(objectID, objectIDLen), objectIDLen, flags, object);
	ALLOW_ONLY(res, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_ACCESS_CONFLICT,
		   TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	if (res)
		*object = TEE_HANDLE_NULL;
	return res;
}

TEE_Result __GP11_TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
					   uint32_t objectIDLen, uint32_t flags,
					   TEE_ObjectHandle *object)
{
	return TEE_OpenPersistentObject(storageID, objectID, objectIDLen, flags, object);
}

/* OP-TEE's create with no handle asked for and a transient attribute object: that object
 * becomes the handle of the new persistent one (the TA closes it with TEE_CloseObject). */
static void become_persistent(TEE_ObjectHandle o, uint32_t st_obj, uint32_t flags,
			      size_t data_len)
{
	o->info.handleFlags = TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED | flags;
	o->info.dataSize = data_len;
	o->info.dataPosition = 0;
	o->st_obj = st_obj;
}

/* The handle the TA gets (or not) once the TEE has created the object. */
static TEE_Result created(uint32_t st_obj, uint32_t flags, TEE_ObjectHandle attrs,
			  const uint8_t *meta, size_t meta_len, size_t data_len,
			  TEE_ObjectHandle *object)
{
	if (object)
		return pobj_from_meta(st_obj, flags, meta, meta_len, data_len, object);
	if (attrs && !obj_is_persistent(attrs))
		become_persistent(attrs, st_obj, flags, data_len);
	else
		st_forget(st_obj);
	return TEE_SUCCESS;
}

static TEE_Result create_object(const void *id, size_t id_len, uint32_t flags,
				TEE_ObjectHandle attrs, const void *data, size_t data_len,
				TEE_ObjectHandle *object)
{
	TEE_Result ret = TEE_SUCCESS;
	uint8_t *meta = NULL;
	size_t meta_len = 0;
	uint32_t st_obj = 0;
	int rc;

	if (attrs) { /* a live, initialised object: anything else panics */
		obj_checked(attrs);
		PANIC_UNLESS(attrs->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED,
			     TEE_ERROR_BAD_PARAMETERS);
	}
	ret = meta_encode(attrs && attrs->t ? attrs : NULL,
			  attrs ? attrs->info.objectUsage : USAGE_ALL, &meta, &meta_len);
	if (ret)
		return ret;
	rc = tarun_ops->st_create(id, id_len, flags, meta, meta_len, data, data_len, &st_obj,
				  &ret);
	ret = st_result(rc, ret);
	if (!ret)
		ret = created(st_obj, flags, attrs, meta, meta_len, data_len, object);
	free(meta);
	return ret;
}

TEE_Result TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
				      size_t objectIDLen, uint32_t flags,
				      TEE_ObjectHandle attributes, const void *initialData,
				      size_t initialDataLen, TEE_ObjectHandle *object)
{
	TEE_Result res = TEE_ERROR_ITEM_NOT_FOUND;

	if (object)
		tarun_check_out(object, sizeof(*object));
	if (check_open_args(storageID, objectID, objectIDLen, flags, ST_CREATE_FLAGS)) {
		PANIC_UNLESS(initialData || !initialDataLen, TEE_ERROR_BAD_PARAMETERS);
		tarun_check_in_any(initialData, initialDataLen);
		res = create_object(host_id(objectID, objectIDLen), objectIDLen, flags,
				    attributes, initialData, initialDataLen, object);
	}
	ALLOW_ONLY(res, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_ACCESS_CONFLICT,
		   TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_STORAGE_NO_SPACE, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	if (res && object)
		*object = TEE_HANDLE_NULL;
	return res;
}

TEE_Result __GP11_TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
					     uint32_t objectIDLen, uint32_t flags,
					     TEE_ObjectHandle attributes, const void *initialData,
					     uint32_t initialDataLen, TEE_ObjectHandle *object)
{
	tarun_check_out(object, sizeof(*object)); /* GP 1.1 wants a handle back: NULL panics */
	return TEE_CreatePersistentObject(storageID, objectID, objectIDLen, flags, attributes,
					  initialData, initialDataLen, object);
}

TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle object)
{
	TEE_Result ret = TEE_SUCCESS;
	int rc;

	if (object == TEE_HANDLE_NULL)
		return TEE_SUCCESS;
	/* a transient object has no data flags: it fails the same check */
	PANIC_UNLESS(obj_checked(object)->info.handleFlags & TEE_DATA_FLAG_ACCESS_WRITE_META,
		     TEE_ERROR_ACCESS_CONFLICT);
	pobj_checked(object, TEE_ERROR_BAD_STATE);
	rc = tarun_ops->st_close(object->st_obj, true, &ret);
	PANIC_UNLESS(rc != -ENOENT, TEE_ERROR_BAD_STATE);
	ret = st_result(rc, ret);
	ALLOW_ONLY(ret, TEE_ERROR_STORAGE_NOT_AVAILABLE);
	obj_destroy(object); /* the TEE has closed it, deleted or not */
	return ret;
}

void TEE_CloseAndDeletePersistentObject(TEE_ObjectHandle object)
{
	if (object == TEE_HANDLE_NULL)
		return;
	PANIC_UNLESS(TEE_CloseAndDeletePersistentObject1(object) == TEE_SUCCESS, 0);
}

TEE_Result TEE_RenamePersistentObject(TEE_ObjectHandle object, const void *newObjectID,
				      size_t newObjectIDLen)
{
	TEE_Result ret = TEE_SUCCESS;
	int rc;

	PANIC_UNLESS(object, TEE_ERROR_ITEM_NOT_FOUND);
	PANIC_UNLESS(newObjectIDLen <= TEE_OBJECT_ID_MAX_LEN, TEE_ERROR_BAD_PARAMETERS);
	pobj_checked(object, TEE_ERROR_BAD_STATE);
	PANIC_UNLESS(object->info.handleFlags & TEE_DATA_FLAG_ACCESS_WRITE_META,
		     TEE_ERROR_BAD_STATE);
	tarun_check_in(newObjectID, newObjectIDLen);
	rc = tarun_ops->st_rename(object->st_obj, host_id(newObjectID, newObjectIDLen),
				  newObjectIDLen, &ret);
	ret = st_result(rc, ret);
	ALLOW_ONLY(ret, TEE_ERROR_ACCESS_CONFLICT, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	return ret;
}

TEE_Result __GP11_TEE_RenamePersistentObject(TEE_ObjectHandle object, const void *newObjectID,
					     uint32_t newObjectIDLen)
{
	return TEE_RenamePersistentObject(object, newObjectID, newObjectIDLen);
}
