/* Private to the persistent-object files of libvtee_ta (obj_persistent.c, obj_data.c,
 * obj_enum.c, obj_meta.c): the calls to the host's st_* ops and the meta blob.
 *
 * The TEE (the host's st_* ops) keeps each object's data stream and an opaque meta blob; the
 * runtime owns the blob's format (obj_meta.c) and every argument check libutee makes, and
 * keeps each handle's data position. */
#ifndef OBJ_PERSISTENT_H
#define OBJ_PERSISTENT_H

#include "crypto_int.h"

/* The flags open and create accept (create also TEE_DATA_FLAG_OVERWRITE). */
#define ST_OPEN_FLAGS (TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE |              \
		       TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_SHARE_READ |             \
		       TEE_DATA_FLAG_SHARE_WRITE)
#define ST_CREATE_FLAGS (ST_OPEN_FLAGS | TEE_DATA_FLAG_OVERWRITE)

/* Does the host serve this storage id? TEE_STORAGE_PRIVATE and its REE alias go to the host's
 * one store (when it has st_* ops at all); RPMB and the rest answer ITEM_NOT_FOUND, as OP-TEE
 * built without them. */
bool st_storage_served(uint32_t storage_id);

/* The TEE result of an st_* op: *ret, or for a request that could not be made (rc -errno)
 * OUT_OF_MEMORY (-ENOMEM) or COMMUNICATION, as for TA-to-TA calls. */
TEE_Result st_result(int rc, TEE_Result ret);

/* Panics with `code` unless `o` is a live persistent handle; returns it. */
TEE_ObjectHandle pobj_checked(TEE_ObjectHandle o, TEE_Result code);

/* After CORRUPT_OBJECT from the TEE: the handle is closed and freed, as OP-TEE's core does,
 * unless the TA has TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT. */
void pobj_corrupt(TEE_ObjectHandle o);

/* A new registered persistent handle for the TEE's `st_obj`, from its meta blob: flags are
 * the open/create flags, data_size the stream's. CORRUPT_OBJECT (bad blob, size beyond
 * TEE_DATA_MAX_POSITION) or OUT_OF_MEMORY; the TEE's handle is closed then. */
TEE_Result pobj_from_meta(uint32_t st_obj, uint32_t flags, const void *meta, size_t meta_len,
			  uint64_t data_size, TEE_ObjectHandle *out);

/* ---- the meta blob (obj_meta.c) ---- */

/* The blob of an object's type, sizes, `usage` and attributes; `src` NULL: a data-only object
 * (TEE_TYPE_DATA, no attributes, every usage). *out is malloc'd. SUCCESS or OUT_OF_MEMORY. */
TEE_Result meta_encode(TEE_ObjectHandle src, uint32_t usage, uint8_t **out, size_t *len);
/* An unregistered object (type, sizes, usage, attributes; handle flags 0) from a blob read
 * back from the TEE, checked as hostile input. CORRUPT_OBJECT or OUT_OF_MEMORY. */
TEE_Result meta_decode(const void *meta, size_t len, TEE_ObjectHandle *out);

#endif
