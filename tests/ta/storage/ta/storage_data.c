// SPDX-License-Identifier: MIT
/*
 * storage, report DATA: the data stream of persistent objects (xtest
 * 6001-6008, 6010 "SeekWriteRead", 6012): create and open with ids of 0, 1
 * and 64 bytes, read, write, seek from each origin, truncate and extend,
 * holes, rename (into a free id, onto a taken one, to an empty id), delete.
 */
#include <stdio.h>
#include <string.h>

#include "storage.h"

static const uint8_t pattern[32] = {
	0x00, 0x6e, 0x04, 0x57, 0x08, 0xfb, 0x71, 0x96, 0xf0, 0x2e, 0x55, 0x3d, 0x02, 0xc3,
	0xa6, 0x92, 0xe9, 0xc3, 0xef, 0x8a, 0xb2, 0x34, 0x53, 0xe6, 0xf0, 0x74, 0x9c, 0xd6,
	0x36, 0xe7, 0xa8, 0x8e,
};
static const uint8_t zeros[64];

/* Create, close, reopen, read back and delete one object with an id of id_len bytes. */
static void check_id(struct ta_report *r, uint32_t storage, const void *id, size_t id_len)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	char what[48];
	TEE_Result res;

	snprintf(what, sizeof(what), "create with a %zu-byte id%s", id_len, id ? "" : " (NULL)");
	res = TEE_CreatePersistentObject(storage, id, id_len, TEE_DATA_FLAG_ACCESS_WRITE |
					 TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_OVERWRITE,
					 TEE_HANDLE_NULL, pattern, sizeof(pattern), &h);
	if (!report_res(r, res, TEE_SUCCESS, what))
		return;
	TEE_CloseObject(h);
	res = TEE_OpenPersistentObject(storage, id, id_len, TEE_DATA_FLAG_ACCESS_READ |
				       TEE_DATA_FLAG_ACCESS_WRITE_META, &h);
	if (!report_res(r, res, TEE_SUCCESS, "reopen it"))
		return;
	storage_expect_at(r, h, 0, pattern, sizeof(pattern), "its data after reopening");
	report_res(r, TEE_CloseAndDeletePersistentObject1(h), TEE_SUCCESS, "close and delete it");
	res = TEE_OpenPersistentObject(storage, id, id_len, TEE_DATA_FLAG_ACCESS_READ, &h);
	report_res(r, res, TEE_ERROR_ITEM_NOT_FOUND, "open after delete");
}

static void check_ids(struct ta_report *r, uint32_t storage)
{
	uint8_t id64[TEE_OBJECT_ID_MAX_LEN];

	for (size_t i = 0; i < sizeof(id64); i++)
		id64[i] = (uint8_t)(0xff - i);
	check_id(r, storage, "a", 1);
	check_id(r, storage, "", 0);
	check_id(r, storage, NULL, 0);
	check_id(r, storage, id64, sizeof(id64));
	check_id(r, storage, "storage/with/slashes/../and.dots", 32);
}

/* Read in pieces, past the end, and after a write over the start. */
static void check_read_write(struct ta_report *r, uint32_t storage)
{
	bool ok;
	static const uint8_t head[5] = { 'v', 't', 'e', 'e', '!' };
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	uint8_t buf[64];
	size_t n = 0;

	if (!report_res(r, storage_make(storage, "rw", pattern, sizeof(pattern), &h),
			TEE_SUCCESS, "create rw with 32 bytes"))
		return;
	ok = TEE_ReadObjectData(h, buf, 10, &n) == TEE_SUCCESS;
	report_check(r, ok && n == 10 &&
		     !memcmp(buf, pattern, 10), "read 10 bytes from the start (%zu)", n);
	ok = TEE_ReadObjectData(h, buf, sizeof(buf), &n) == TEE_SUCCESS;
	report_check(r, ok && n == 22 &&
		     !memcmp(buf, pattern + 10, 22), "read past the end gives the 22 left (%zu)", n);
	ok = TEE_ReadObjectData(h, buf, sizeof(buf), &n) == TEE_SUCCESS;
	report_check(r, ok && n == 0,
		     "read at the end gives 0 bytes (%zu)", n);
	TEE_SeekObjectData(h, 0, TEE_DATA_SEEK_SET);
	report_res(r, TEE_WriteObjectData(h, head, sizeof(head)), TEE_SUCCESS,
		   "write 5 bytes over the start");
	TEE_CloseObject(h);
	if (!report_res(r, TEE_OpenPersistentObject(storage, "rw", 2, STORAGE_ALL_FLAGS, &h),
			TEE_SUCCESS, "reopen rw"))
		return;
	storage_expect_at(r, h, 0, head, sizeof(head), "the written head persisted");
	storage_expect_at(r, h, 5, pattern + 5, 27, "the rest is unchanged");
	TEE_CloseAndDeletePersistentObject1(h);
}

/* Seek from each origin; past the end reads nothing; writing there leaves a zero hole. */
static void check_seek(struct ta_report *r, uint32_t storage)
{
	bool ok;
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	uint8_t buf[16];
	size_t n = 1;

	if (!report_res(r, storage_make(storage, "seek", pattern, sizeof(pattern), &h),
			TEE_SUCCESS, "create seek with 32 bytes"))
		return;
	TEE_SeekObjectData(h, 10, TEE_DATA_SEEK_SET);
	report_res(r, TEE_SeekObjectData(h, 4, TEE_DATA_SEEK_CUR), TEE_SUCCESS, "SEEK_CUR +4");
	ok = TEE_ReadObjectData(h, buf, 4, &n) == TEE_SUCCESS;
	report_check(r, ok && n == 4 &&
		     !memcmp(buf, pattern + 14, 4), "SET 10, CUR +4 reads from 14");
	report_res(r, TEE_SeekObjectData(h, -8, TEE_DATA_SEEK_END), TEE_SUCCESS, "SEEK_END -8");
	ok = TEE_ReadObjectData(h, buf, sizeof(buf), &n) == TEE_SUCCESS;
	report_check(r, ok && n == 8 &&
		     !memcmp(buf, pattern + 24, 8), "END -8 reads the last 8 (%zu)", n);
	TEE_SeekObjectData(h, 10, TEE_DATA_SEEK_END);
	ok = TEE_ReadObjectData(h, buf, sizeof(buf), &n) == TEE_SUCCESS;
	report_check(r, ok && n == 0,
		     "END +10 reads nothing (%zu)", n);
	report_res(r, TEE_WriteObjectData(h, pattern, 4), TEE_SUCCESS, "write 4 bytes at 42");
	storage_expect_size(r, h, 46, 46, "after it");
	storage_expect_at(r, h, 32, zeros, 10, "the hole 32..41 reads as zeros");
	storage_expect_at(r, h, 42, pattern, 4, "the bytes written after the hole");
	report_res(r, TEE_SeekObjectData(h, INT32_MAX, TEE_DATA_SEEK_SET), TEE_SUCCESS,
		   "SEEK_SET INT32_MAX");
	report_res(r, TEE_SeekObjectData(h, INT32_MAX, TEE_DATA_SEEK_CUR), TEE_SUCCESS,
		   "SEEK_CUR +INT32_MAX to 0xfffffffe");
	report_res(r, TEE_SeekObjectData(h, 2, TEE_DATA_SEEK_CUR), TEE_ERROR_OVERFLOW,
		   "SEEK_CUR beyond TEE_DATA_MAX_POSITION");
	TEE_CloseAndDeletePersistentObject1(h);
}

/* Truncate shorter and longer (zero-filled); both persist. */
static void check_truncate(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;

	if (!report_res(r, storage_make(storage, "trunc", pattern, sizeof(pattern), &h),
			TEE_SUCCESS, "create trunc with 32 bytes"))
		return;
	report_res(r, TEE_TruncateObjectData(h, 10), TEE_SUCCESS, "truncate to 10");
	storage_expect_at(r, h, 5, pattern + 5, 5, "bytes 5..9 remain");
	report_res(r, TEE_TruncateObjectData(h, 40), TEE_SUCCESS, "extend to 40");
	storage_expect_at(r, h, 10, zeros, 30, "the extension reads as zeros");
	TEE_CloseObject(h);
	if (!report_res(r, TEE_OpenPersistentObject(storage, "trunc", 5, STORAGE_ALL_FLAGS, &h),
			TEE_SUCCESS, "reopen trunc"))
		return;
	storage_expect_size(r, h, 40, 0, "reopened");
	storage_expect_at(r, h, 0, pattern, 10, "reopened: the first 10 bytes kept");
	storage_expect_at(r, h, 10, zeros, 30, "reopened: then zeros");
	report_res(r, TEE_TruncateObjectData(h, 0), TEE_SUCCESS, "truncate to 0");
	storage_expect_size(r, h, 0, 40, "truncated to 0 (the position stays at 40)");
	TEE_CloseAndDeletePersistentObject1(h);
}

/* Rename to a free id keeps the data; onto a taken id is ACCESS_CONFLICT; to an empty id. */
static void check_rename(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectHandle a = TEE_HANDLE_NULL, b = TEE_HANDLE_NULL, h = TEE_HANDLE_NULL;

	storage_remove(storage, "renamed");
	if (!report_res(r, storage_make(storage, "ren-a", pattern, sizeof(pattern), &a),
			TEE_SUCCESS, "create ren-a") ||
	    !report_res(r, storage_make(storage, "ren-b", pattern, 8, &b), TEE_SUCCESS,
			"create ren-b"))
		goto out;
	report_res(r, TEE_RenamePersistentObject(b, "ren-a", 5), TEE_ERROR_ACCESS_CONFLICT,
		   "rename ren-b onto ren-a (open)");
	TEE_CloseObject(a);
	a = TEE_HANDLE_NULL;
	report_res(r, TEE_RenamePersistentObject(b, "ren-a", 5), TEE_ERROR_ACCESS_CONFLICT,
		   "rename ren-b onto ren-a (closed)");
	report_res(r, TEE_RenamePersistentObject(b, "renamed", 7), TEE_SUCCESS,
		   "rename ren-b to renamed");
	storage_expect_at(r, b, 0, pattern, 8, "the renamed handle still reads its data");
	report_res(r, TEE_OpenPersistentObject(storage, "ren-b", 5, TEE_DATA_FLAG_ACCESS_READ,
					       &h), TEE_ERROR_ITEM_NOT_FOUND, "the old id is gone");
	report_res(r, TEE_RenamePersistentObject(b, "", 0), TEE_SUCCESS, "rename to an empty id");
	TEE_CloseObject(b);
	b = TEE_HANDLE_NULL;
	if (report_res(r, TEE_OpenPersistentObject(storage, NULL, 0, STORAGE_ALL_FLAGS, &b),
		       TEE_SUCCESS, "open the empty id"))
		storage_expect_at(r, b, 0, pattern, 8, "the empty id holds the renamed data");
out:
	TEE_CloseAndDeletePersistentObject1(b);
	TEE_CloseObject(a);
	storage_remove(storage, "ren-a");
}

/* OVERWRITE replaces, its absence refuses and leaves the object as it was (xtest 6012). */
static void check_overwrite(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_Result res;

	storage_make(storage, "ow", pattern, sizeof(pattern), &h);
	TEE_CloseObject(h);
	report_res(r, storage_make(storage, "ow", pattern, 3, &h), TEE_SUCCESS,
		   "create with OVERWRITE over an existing object");
	TEE_CloseObject(h);
	res = TEE_CreatePersistentObject(storage, "ow", 2, TEE_DATA_FLAG_ACCESS_WRITE,
					 TEE_HANDLE_NULL, pattern, 20, &h);
	report_res(r, res, TEE_ERROR_ACCESS_CONFLICT, "create without OVERWRITE");
	report_check(r, h == TEE_HANDLE_NULL, "a refused create leaves the handle NULL");
	if (!report_res(r, TEE_OpenPersistentObject(storage, "ow", 2, STORAGE_ALL_FLAGS, &h),
			TEE_SUCCESS, "open ow"))
		return;
	storage_expect_size(r, h, 3, 0, "ow holds the overwriting 3 bytes");
	TEE_CloseAndDeletePersistentObject1(h);
}

void storage_data(struct ta_report *r, uint32_t storage)
{
	/* not NULL: the failed open must set it */
	TEE_ObjectHandle h = (TEE_ObjectHandle)(uintptr_t)1;

	report_res(r, TEE_OpenPersistentObject(storage, "never", 5, TEE_DATA_FLAG_ACCESS_READ,
					       &h), TEE_ERROR_ITEM_NOT_FOUND, "open a missing id");
	report_check(r, h == TEE_HANDLE_NULL, "a failed open leaves the handle NULL");
	report_res(r, TEE_CloseAndDeletePersistentObject1(TEE_HANDLE_NULL), TEE_SUCCESS,
		   "close and delete TEE_HANDLE_NULL");
	check_ids(r, storage);
	check_read_write(r, storage);
	check_seek(r, storage);
	check_truncate(r, storage);
	check_rename(r, storage);
	check_overwrite(r, storage);
}
