/* SPDX-License-Identifier: MIT */
/*
 * What the storage TA's files share: the report commands (each runs on the
 * storage id in [2].a and removes what it made), the one-operation commands,
 * and small helpers for the reports.
 */
#ifndef STORAGE_H
#define STORAGE_H

#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <ta_report.h>

void storage_data(struct ta_report *r, uint32_t storage);
void storage_access(struct ta_report *r, uint32_t storage);
void storage_info_enum(struct ta_report *r, uint32_t storage);
void storage_key(struct ta_report *r, uint32_t storage);

/* One session's state: a handle HOLD keeps open. */
struct storage_session {
	TEE_ObjectHandle held;
};

TEE_Result storage_put(uint32_t types, TEE_Param params[4]);
TEE_Result storage_get(uint32_t types, TEE_Param params[4]);
TEE_Result storage_delete(uint32_t types, TEE_Param params[4]);
TEE_Result storage_count(uint32_t types, TEE_Param params[4]);
TEE_Result storage_hold(struct storage_session *s, uint32_t types, TEE_Param params[4]);
TEE_Result storage_try_open(uint32_t types, TEE_Param params[4]);
TEE_Result storage_key_cmd(bool make, uint32_t types, TEE_Param params[4]);
TEE_Result storage_fill(uint32_t types, TEE_Param params[4]);
TEE_Result storage_id_too_long(uint32_t types, TEE_Param params[4]);
TEE_Result storage_id_in_shm(uint32_t types, TEE_Param params[4]);

/* AES-ECB (encrypt) of in, whole 16-byte blocks, into out (*out_len: room, then bytes). */
TEE_Result storage_ecb(TEE_ObjectHandle key, const void *in, size_t len, void *out,
		       size_t *out_len);

/* Every access and sharing flag (the flags a report's scratch objects are made with). */
#define STORAGE_ALL_FLAGS (TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE | \
			   TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_SHARE_READ | \
			   TEE_DATA_FLAG_SHARE_WRITE)

/* Creates (OVERWRITE) id with data and every flag; the handle in *h. */
TEE_Result storage_make(uint32_t storage, const char *id, const void *data, size_t len,
			TEE_ObjectHandle *h);
/* Opens id with WRITE_META and deletes it (cleanup; ITEM_NOT_FOUND is fine). */
void storage_remove(uint32_t storage, const char *id);
/* TEE_GetObjectInfo1: dataSize is size and dataPosition pos; names the check what. */
void storage_expect_size(struct ta_report *r, TEE_ObjectHandle h, size_t size, size_t pos,
			 const char *what);
/* Reads len bytes at pos (after a seek), checks they are want; names the check what. */
void storage_expect_at(struct ta_report *r, TEE_ObjectHandle h, int32_t pos,
		       const void *want, size_t len, const char *what);

#endif
