// SPDX-License-Identifier: MIT
/*
 * storage, reports INFO_ENUM and KEY: TEE_GetObjectInfo1 of persistent data
 * and key objects, the enumerator functions (xtest 6009, 6010), and a
 * persistent AES key made from a generated transient one, used after reopen
 * (xtest 6013) with its usage restriction kept.
 */
#include <stdio.h>
#include <string.h>

#include <storage_ta.h>
#include "storage.h"

#define ENUM_OBJECTS 3

static void check_data_info(struct ta_report *r, uint32_t storage)
{
	bool ok;
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	uint8_t buf[7];
	size_t n;

	if (!report_res(r, storage_make(storage, "info", "0123456789", 10, &h), TEE_SUCCESS,
			"create info with 10 bytes"))
		return;
	TEE_ReadObjectData(h, buf, sizeof(buf), &n);
	if (report_res(r, TEE_GetObjectInfo1(h, &info), TEE_SUCCESS, "TEE_GetObjectInfo1")) {
		report_check(r, info.objectType == TEE_TYPE_DATA, "a data object is TEE_TYPE_DATA "
			     "(0x%" PRIx32 ")", info.objectType);
		report_check(r, info.dataSize == 10 && info.dataPosition == 7,
			     "dataSize 10, dataPosition 7 after a read (%zu, %zu)",
			     info.dataSize, info.dataPosition);
		report_check(r, (info.handleFlags & (TEE_HANDLE_FLAG_PERSISTENT |
						     TEE_HANDLE_FLAG_INITIALIZED)) ==
			     (TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED) &&
			     (info.handleFlags & STORAGE_ALL_FLAGS) == STORAGE_ALL_FLAGS,
			     "handleFlags: PERSISTENT, INITIALIZED and the open flags (0x%" PRIx32 ")",
			     info.handleFlags);
		report_check(r, info.objectSize == 0, "a data object has objectSize 0 (%" PRIu32 ")",
			     info.objectSize);
		report_check(r, info.objectUsage == 0xffffffff, "its usage is all bits (0x%" PRIx32
			     ")", info.objectUsage);
	}
	/* xtest 6021: a restricted usage is kept in the object */
	report_res(r, TEE_RestrictObjectUsage1(h, ~(uint32_t)TEE_USAGE_EXTRACTABLE), TEE_SUCCESS,
		   "restrict its usage to all but EXTRACTABLE");
	TEE_CloseObject(h);
	if (!report_res(r, TEE_OpenPersistentObject(storage, "info", 4, STORAGE_ALL_FLAGS, &h),
			TEE_SUCCESS, "reopen info"))
		return;
	ok = TEE_GetObjectInfo1(h, &info) == TEE_SUCCESS;
	report_check(r, ok &&
		     info.objectUsage == ~(uint32_t)TEE_USAGE_EXTRACTABLE,
		     "the restricted usage persisted (0x%" PRIx32 ")", info.objectUsage);
	TEE_CloseAndDeletePersistentObject1(h);
}

static bool enum_id(const uint8_t *id, size_t len, uint32_t *which)
{
	if (len != 6 || memcmp(id, "enum-", 5) || id[5] < '0' || id[5] >= '0' + ENUM_OBJECTS)
		return false;
	*which = id[5] - '0';
	return true;
}

/* Walks the enumerator; counts how often each enum-<i> is seen with its right size. */
static TEE_Result walk(TEE_ObjectEnumHandle e, uint32_t seen[ENUM_OBJECTS], uint32_t *bad)
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	TEE_ObjectInfo info;
	uint32_t which;
	TEE_Result res;
	size_t len;

	memset(seen, 0, ENUM_OBJECTS * sizeof(seen[0]));
	*bad = 0;
	for (;;) {
		len = sizeof(id);
		res = TEE_GetNextPersistentObject(e, &info, id, &len);
		if (res != TEE_SUCCESS)
			return res;
		if (!enum_id(id, len, &which))
			continue;
		seen[which]++;
		if (info.dataSize != 10 * which || info.objectType != TEE_TYPE_DATA)
			(*bad)++;
	}
}

static void check_walk(struct ta_report *r, TEE_ObjectEnumHandle e, const char *when)
{
	uint32_t seen[ENUM_OBJECTS], bad = 0;
	TEE_Result res = walk(e, seen, &bad);

	report_res(r, res, TEE_ERROR_ITEM_NOT_FOUND, "the enumeration ends with ITEM_NOT_FOUND");
	report_check(r, seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && !bad,
		     "%s: each object once (%" PRIu32 " %" PRIu32 " %" PRIu32 "), sizes and types "
		     "right (%" PRIu32 " wrong)", when, seen[0], seen[1], seen[2], bad);
}

static void check_enum(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN], zeros[30] = { 0 };
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	char name[8];
	size_t len = sizeof(id);

	for (int i = 0; i < ENUM_OBJECTS; i++) {
		snprintf(name, sizeof(name), "enum-%d", i);
		storage_make(storage, name, zeros, 10 * (size_t)i, &h);
		TEE_CloseObject(h);
	}
	if (!report_res(r, TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS,
			"allocate an enumerator"))
		goto out;
	report_res(r, TEE_GetNextPersistentObject(e, &info, id, &len), TEE_ERROR_ITEM_NOT_FOUND,
		   "next before start");
	report_res(r, TEE_StartPersistentObjectEnumerator(e, storage), TEE_SUCCESS, "start");
	check_walk(r, e, "first walk");
	TEE_ResetPersistentObjectEnumerator(e);
	report_res(r, TEE_StartPersistentObjectEnumerator(e, storage), TEE_SUCCESS,
		   "start again after a reset");
	check_walk(r, e, "after reset");
	report_res(r, TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE_RPMB),
		   TEE_ERROR_ITEM_NOT_FOUND, "start on RPMB storage (there is none)");
	TEE_FreePersistentObjectEnumerator(e);
	report_check(r, true, "free the enumerator");
out:
	for (int i = 0; i < ENUM_OBJECTS; i++) {
		snprintf(name, sizeof(name), "enum-%d", i);
		storage_remove(storage, name);
	}
}

void storage_info_enum(struct ta_report *r, uint32_t storage)
{
	check_data_info(r, storage);
	check_enum(r, storage);
}

/* AES-ECB of one block under key; false if any step fails. */
static bool ecb(TEE_ObjectHandle key, const uint8_t in[16], uint8_t out[16])
{
	size_t len = 16;

	return storage_ecb(key, in, 16, out, &len) == TEE_SUCCESS && len == 16;
}

/* Reopens "key", checks what it kept: info, key bytes, cipher, data stream, usage. */
static void check_reopened_key(struct ta_report *r, uint32_t storage, TEE_ObjectHandle t,
			       const uint8_t want_ct[16], uint32_t usage)
{
	bool ok;
	static const uint8_t block[16] = "sixteen byte blk";
	uint8_t ct[16], a[32], b[32], data[32];
	size_t alen = sizeof(a), blen = sizeof(b), n = 0;
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;

	if (!report_res(r, TEE_OpenPersistentObject(storage, "key", 3, STORAGE_ALL_FLAGS, &h),
			TEE_SUCCESS, "reopen the persistent key"))
		return;
	ok = TEE_GetObjectInfo1(h, &info) == TEE_SUCCESS;
	report_check(r, ok &&
		     info.objectType == TEE_TYPE_AES && info.objectSize == 256 &&
		     info.maxObjectSize == 256 && info.dataSize == strlen(TA_STORAGE_KEY_DATA),
		     "key info: AES, 256 of 256 bits, %zu data bytes (0x%" PRIx32 " %" PRIu32
		     " %" PRIu32 " %zu)", strlen(TA_STORAGE_KEY_DATA), info.objectType,
		     info.objectSize, info.maxObjectSize, info.dataSize);
	report_check(r, info.objectUsage == usage, "usage kept: 0x%" PRIx32 " (want 0x%" PRIx32
		     ")", info.objectUsage, usage);
	if (usage & TEE_USAGE_EXTRACTABLE)
		report_check(r, TEE_GetObjectBufferAttribute(t, TEE_ATTR_SECRET_VALUE, a, &alen) ==
			     TEE_SUCCESS && TEE_GetObjectBufferAttribute(h, TEE_ATTR_SECRET_VALUE,
			     b, &blen) == TEE_SUCCESS && alen == 32 && blen == 32 &&
			     !memcmp(a, b, 32), "the stored key bytes are the generated ones");
	report_check(r, ecb(h, block, ct) && !memcmp(ct, want_ct, 16),
		     "the reopened key encrypts as the generated one");
	ok = TEE_ReadObjectData(h, data, sizeof(data), &n) == TEE_SUCCESS;
	report_check(r, ok &&
		     n == strlen(TA_STORAGE_KEY_DATA) && !memcmp(data, TA_STORAGE_KEY_DATA, n),
		     "the key object's data stream reads back (%zu bytes)", n);
	if (usage & TEE_USAGE_EXTRACTABLE)
		report_res(r, TEE_RestrictObjectUsage1(h, TEE_USAGE_ENCRYPT), TEE_SUCCESS,
			   "restrict the persistent key to ENCRYPT");
	TEE_CloseObject(h);
}

void storage_key(struct ta_report *r, uint32_t storage)
{
	static const uint8_t block[16] = "sixteen byte blk";
	TEE_ObjectHandle t = TEE_HANDLE_NULL, h = TEE_HANDLE_NULL;
	TEE_ObjectInfo tinfo;
	uint8_t ct[16];
	TEE_Result res;

	if (TEE_AllocateTransientObject(TEE_TYPE_AES, 256, &t) != TEE_SUCCESS ||
	    TEE_GenerateKey(t, 256, NULL, 0) != TEE_SUCCESS || !ecb(t, block, ct) ||
	    TEE_GetObjectInfo1(t, &tinfo) != TEE_SUCCESS) {
		report_check(r, false, "generate an AES-256 key and encrypt a block with it");
		goto out;
	}
	res = TEE_CreatePersistentObject(storage, "key", 3, STORAGE_ALL_FLAGS |
					 TEE_DATA_FLAG_OVERWRITE, t, TA_STORAGE_KEY_DATA,
					 strlen(TA_STORAGE_KEY_DATA), &h);
	if (!report_res(r, res, TEE_SUCCESS, "store it with a data stream"))
		goto out;
	TEE_CloseObject(h);
	check_reopened_key(r, storage, t, ct, tinfo.objectUsage);
	check_reopened_key(r, storage, t, ct, TEE_USAGE_ENCRYPT);
out:
	TEE_FreeTransientObject(t);
	storage_remove(storage, "key");
}
