/* The data stream of a persistent object: read, write, truncate and seek at the handle's data
 * position, which the runtime keeps (the TEE is told where to read or write). libutee's checks
 * and early answers come first (TEE_ERROR_OVERFLOW for a write larger than
 * TEE_DATA_MAX_POSITION or a seek beyond it), then the core's refusals, which libutee turns
 * into panics: a transient object (BAD_STATE), a handle without the access (ACCESS_CONFLICT).
 * A transient handle gets here only to be refused. */
#include "obj_persistent.h"

#include <stdint.h>

/* A result the TEE gave for the handle: CORRUPT_OBJECT closes it first (pobj_corrupt). */
static TEE_Result after_op(TEE_ObjectHandle o, int rc, TEE_Result ret)
{
	ret = st_result(rc, ret);
	if (ret == TEE_ERROR_CORRUPT_OBJECT)
		pobj_corrupt(o);
	return ret;
}

static TEE_ObjectHandle with_access(TEE_ObjectHandle o, uint32_t access)
{
	PANIC_UNLESS(o, TEE_ERROR_BAD_PARAMETERS);
	pobj_checked(o, TEE_ERROR_BAD_STATE);
	PANIC_UNLESS(o->info.handleFlags & access, TEE_ERROR_ACCESS_CONFLICT);
	return o;
}

/* After the count's annotation check, which each dialect makes on its own type. */
static TEE_Result read_data(TEE_ObjectHandle o, void *buf, size_t size, size_t *count)
{
	TEE_Result ret = TEE_SUCCESS;
	size_t got = 0;
	int rc;

	with_access(o, TEE_DATA_FLAG_ACCESS_READ);
	PANIC_UNLESS(size <= SIZE_MAX - o->info.dataPosition, TEE_ERROR_OVERFLOW);
	tarun_check_out_any(buf, size);
	rc = tarun_ops->st_read(o->st_obj, o->info.dataPosition, buf, size, &got, &ret);
	if (!rc && !ret && got > size) /* the TEE cannot have read more than asked */
		ret = TEE_ERROR_COMMUNICATION;
	ret = after_op(o, rc, ret);
	ALLOW_ONLY(ret, TEE_ERROR_CORRUPT_OBJECT, TEE_ERROR_STORAGE_NOT_AVAILABLE);
	if (!ret) {
		o->info.dataPosition += got;
		*count = got;
	}
	return ret;
}

TEE_Result TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer, size_t size,
			      size_t *count)
{
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	tarun_check_out(count, sizeof(*count));
	return read_data(object, buffer, size, count);
}

TEE_Result __GP11_TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer, uint32_t size,
				     uint32_t *count)
{
	size_t n;
	TEE_Result res;

	tarun_check_out(count, sizeof(*count));
	n = *count;
	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	res = read_data(object, buffer, size, &n);
	*count = (uint32_t)n; /* at most size */
	return res;
}

TEE_Result TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer, size_t size)
{
	TEE_Result ret = TEE_SUCCESS;
	int rc;

	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	if (size > TEE_DATA_MAX_POSITION)
		return TEE_ERROR_OVERFLOW;
	with_access(object, TEE_DATA_FLAG_ACCESS_WRITE);
	/* GP: the position after the write may not pass TEE_DATA_MAX_POSITION */
	if (size > TEE_DATA_MAX_POSITION - object->info.dataPosition)
		return TEE_ERROR_OVERFLOW;
	tarun_check_in_any(buffer, size);
	rc = tarun_ops->st_write(object->st_obj, object->info.dataPosition, buffer, size, &ret);
	ret = after_op(object, rc, ret);
	ALLOW_ONLY(ret, TEE_ERROR_STORAGE_NO_SPACE, TEE_ERROR_OVERFLOW, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	if (!ret) {
		object->info.dataPosition += size;
		if (object->info.dataPosition > object->info.dataSize)
			object->info.dataSize = object->info.dataPosition;
	}
	return ret;
}

TEE_Result __GP11_TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer,
				      uint32_t size)
{
	return TEE_WriteObjectData(object, buffer, size);
}

TEE_Result TEE_TruncateObjectData(TEE_ObjectHandle object, size_t size)
{
	TEE_Result ret = TEE_SUCCESS;
	int rc;

	with_access(object, TEE_DATA_FLAG_ACCESS_WRITE);
	if (size > TEE_DATA_MAX_POSITION) /* no stream holds more */
		return TEE_ERROR_STORAGE_NO_SPACE;
	rc = tarun_ops->st_truncate(object->st_obj, size, &ret);
	ret = after_op(object, rc, ret);
	ALLOW_ONLY(ret, TEE_ERROR_STORAGE_NO_SPACE, TEE_ERROR_CORRUPT_OBJECT,
		   TEE_ERROR_STORAGE_NOT_AVAILABLE);
	if (!ret)
		object->info.dataSize = size; /* the position stays where it is */
	return ret;
}

TEE_Result __GP11_TEE_TruncateObjectData(TEE_ObjectHandle object, uint32_t size)
{
	return TEE_TruncateObjectData(object, size);
}

/* The size SEEK_END counts from: the TEE's current one for a persistent object. */
static TEE_Result seek_end_base(TEE_ObjectHandle o, intmax_t *base)
{
	TEE_Result ret = TEE_SUCCESS;

	if (obj_is_persistent(o)) {
		ret = pobj_refresh_size(o);
		if (ret == TEE_ERROR_CORRUPT_OBJECT)
			pobj_corrupt(o);
		ALLOW_ONLY(ret, TEE_ERROR_CORRUPT_OBJECT, TEE_ERROR_STORAGE_NOT_AVAILABLE);
	}
	if (!ret)
		*base = (intmax_t)o->info.dataSize;
	return ret;
}

/* libutee checks the new position against TEE_DATA_MAX_POSITION (OVERFLOW) before the core
 * refuses a transient object; the core puts a position before the start at 0. */
static TEE_Result seek(TEE_ObjectHandle object, intmax_t offset, TEE_Whence whence)
{
	intmax_t base = 0;
	TEE_Result ret;

	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	obj_checked(object);
	switch (whence) {
	case TEE_DATA_SEEK_SET:
		break;
	case TEE_DATA_SEEK_CUR:
		base = (intmax_t)object->info.dataPosition;
		break;
	case TEE_DATA_SEEK_END:
		ret = seek_end_base(object, &base);
		if (ret)
			return ret;
		break;
	default:
		tarun_panic(TEE_ERROR_ITEM_NOT_FOUND);
	}
	if (offset > 0 && offset > (intmax_t)TEE_DATA_MAX_POSITION - base)
		return TEE_ERROR_OVERFLOW;
	pobj_checked(object, TEE_ERROR_BAD_STATE);
	object->info.dataPosition = offset < -base ? 0 : (size_t)(base + offset);
	return TEE_SUCCESS;
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
