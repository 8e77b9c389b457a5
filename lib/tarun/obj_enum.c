/* Persistent object enumerators. The TEE's enumeration is stateless (st_next: the first object
 * after a given id), so an enumerator is the id it returned last. Start answers
 * ITEM_NOT_FOUND when the TA has no object (as OP-TEE's REE FS opendir); next gives info + id
 * until ITEM_NOT_FOUND. An enumerator not started, or started on a storage id the host does
 * not serve, finds nothing. */
#include "obj_persistent.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct __TEE_ObjectEnumHandle {
	bool started;
	bool have_last;            /* last_id holds the id next returned last */
	uint8_t last_id[TEE_OBJECT_ID_MAX_LEN];
	size_t last_len;
};

static TEE_ObjectEnumHandle enum_checked(TEE_ObjectEnumHandle e)
{
	PANIC_UNLESS(handle_is(e, HANDLE_OBJ_ENUM), TEE_ERROR_BAD_PARAMETERS);
	return e;
}

TEE_Result TEE_AllocatePersistentObjectEnumerator(TEE_ObjectEnumHandle *objectEnumerator)
{
	TEE_ObjectEnumHandle e;

	tarun_check_out(objectEnumerator, sizeof(*objectEnumerator)); /* NULL panics */
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

static void rewind_enum(TEE_ObjectEnumHandle e)
{
	e->started = false;
	e->have_last = false;
	e->last_len = 0;
}

void TEE_ResetPersistentObjectEnumerator(TEE_ObjectEnumHandle objectEnumerator)
{
	if (objectEnumerator == TEE_HANDLE_NULL)
		return;
	rewind_enum(enum_checked(objectEnumerator));
}

/* The TEE's next object after the enumerator's last one: its id (up to 64 bytes), meta blob
 * (`meta`, TARUN_ST_META_MAX bytes; NULL: none, the TEE reads no object) and data size. On
 * CORRUPT_OBJECT *id_len is the bad object's id length when the TEE named it, else SIZE_MAX. */
static TEE_Result st_next_object(TEE_ObjectEnumHandle e, uint8_t *id, size_t *id_len,
				 uint8_t *meta, size_t *meta_len, uint64_t *data_size)
{
	TEE_Result ret = TEE_SUCCESS;
	int rc;

	*id_len = SIZE_MAX; /* the TEE sets it when it names an object */
	*meta_len = meta ? TARUN_ST_META_MAX : 0;
	rc = tarun_ops->st_next(e->have_last ? e->last_id : NULL, e->last_len, id, id_len, meta,
				meta_len, data_size, &ret);
	ret = st_result(rc, ret);
	if (ret == TEE_ERROR_SHORT_BUFFER) /* larger than any blob the TEE may store */
		ret = TEE_ERROR_CORRUPT_OBJECT;
	if (!ret && (*id_len > TEE_OBJECT_ID_MAX_LEN || *meta_len > TARUN_ST_META_MAX ||
		     *data_size > TEE_DATA_MAX_POSITION))
		ret = TEE_ERROR_CORRUPT_OBJECT;
	if (ret && ret != TEE_ERROR_CORRUPT_OBJECT)
		*id_len = SIZE_MAX;
	return ret;
}

TEE_Result TEE_StartPersistentObjectEnumerator(TEE_ObjectEnumHandle objectEnumerator,
					       uint32_t storageID)
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t id_len = 0, meta_len = 0;
	uint64_t data_size = 0;
	TEE_Result res;

	rewind_enum(enum_checked(objectEnumerator));
	if (!st_storage_served(storageID))
		return TEE_ERROR_ITEM_NOT_FOUND;
	/* is there any object: its id only, as OP-TEE's opendir reads none (a corrupt first one is
	 * the first Next's CORRUPT_OBJECT) */
	res = st_next_object(objectEnumerator, id, &id_len, NULL, &meta_len, &data_size);
	if (res == TEE_ERROR_CORRUPT_OBJECT && id_len <= TEE_OBJECT_ID_MAX_LEN)
		res = TEE_SUCCESS;
	ALLOW_ONLY(res, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	objectEnumerator->started = res == TEE_SUCCESS;
	return res;
}

/* The info of an enumerated object: what its blob says, as if opened with no flags. */
static TEE_Result enum_info(const uint8_t *meta, size_t meta_len, uint64_t data_size,
			    TEE_ObjectInfo *info)
{
	TEE_ObjectHandle o = NULL;
	TEE_Result res = meta_decode(meta, meta_len, &o);

	if (res)
		return res;
	*info = o->info;
	info->dataSize = data_size;
	info->dataPosition = 0;
	info->handleFlags = TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED;
	obj_destroy(o);
	return TEE_SUCCESS;
}

/* The next object into info and id; the enumerator moves past it (past one that fails the
 * TEE's checks or whose blob is bad, too: the TA sees CORRUPT_OBJECT for it once, as OP-TEE's
 * readdir has moved on). At the end it stays where it is. Results libutee does not let
 * through panic. */
static TEE_Result next_object(TEE_ObjectEnumHandle e, TEE_ObjectInfo *info, void *id,
			      size_t *id_len)
{
	uint8_t next_id[TEE_OBJECT_ID_MAX_LEN];
	size_t next_len = 0, meta_len = 0;
	uint64_t data_size = 0;
	uint8_t *meta;
	TEE_Result res;

	memset(info, 0, sizeof(*info));
	if (!e->started)
		return TEE_ERROR_ITEM_NOT_FOUND;
	meta = malloc(TARUN_ST_META_MAX);
	if (!meta)
		return TEE_ERROR_OUT_OF_MEMORY;
	res = st_next_object(e, next_id, &next_len, meta, &meta_len, &data_size);
	if (!res || (res == TEE_ERROR_CORRUPT_OBJECT && next_len <= TEE_OBJECT_ID_MAX_LEN)) {
		memcpy(e->last_id, next_id, next_len);
		e->last_len = next_len;
		e->have_last = true;
	}
	if (!res)
		res = enum_info(meta, meta_len, data_size, info);
	if (!res) {
		memcpy(id, next_id, next_len);
		*id_len = next_len;
	}
	free(meta);
	ALLOW_ONLY(res, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	return res;
}

/* libutee: the info (optional) and length annotations, an id buffer; the core wants
 * TEE_OBJECT_ID_MAX_LEN writable bytes whatever the length says, and checks the enumerator. */
static void check_next_args(TEE_ObjectEnumHandle e, void *info, size_t info_size, void *id,
			    void *id_len, size_t id_len_size)
{
	if (info)
		tarun_check_out(info, info_size);
	tarun_check_out(id_len, id_len_size);
	PANIC_UNLESS(id, TEE_ERROR_BAD_PARAMETERS);
	enum_checked(e);
	tarun_check_out(id, TEE_OBJECT_ID_MAX_LEN);
}

TEE_Result TEE_GetNextPersistentObject(TEE_ObjectEnumHandle objectEnumerator,
				       TEE_ObjectInfo *objectInfo, void *objectID,
				       size_t *objectIDLen)
{
	TEE_ObjectInfo info;
	TEE_Result res;

	check_next_args(objectEnumerator, objectInfo, sizeof(*objectInfo), objectID, objectIDLen,
			sizeof(*objectIDLen));
	res = next_object(objectEnumerator, &info, objectID, objectIDLen);
	if (objectInfo)
		*objectInfo = info;
	return res;
}

TEE_Result __GP11_TEE_GetNextPersistentObject(TEE_ObjectEnumHandle objectEnumerator,
					      __GP11_TEE_ObjectInfo *objectInfo,
					      void *objectID, uint32_t *objectIDLen)
{
	TEE_ObjectInfo info;
	size_t len;
	TEE_Result res;

	check_next_args(objectEnumerator, objectInfo, sizeof(*objectInfo), objectID, objectIDLen,
			sizeof(*objectIDLen));
	len = *objectIDLen;
	res = next_object(objectEnumerator, &info, objectID, &len);
	*objectIDLen = (uint32_t)len; /* at most TEE_OBJECT_ID_MAX_LEN */
	if (objectInfo)
		obj_info_to_gp11(&info, objectInfo);
	return res;
}
