/* SPDX-License-Identifier: MIT */
/*
 * The storage TA's commands as client calls (storage_ta.h), for the guest
 * client (main.c, real libteec) and the in-process driver (driver.c,
 * teec_model). Each returns the TEE result; ids are C strings or
 * (pointer, length). Header-only: each client is one compile.
 */
#ifndef VTEE_STORAGE_CLIENT_H
#define VTEE_STORAGE_CLIENT_H

#include <storage_ta.h>

#include "ta_client.h"

/* TEE_STORAGE_* and TEE_DATA_FLAG_* (GP values; the client API has no names for them) */
#define ST_PRIVATE       0x00000001u
#define ST_PRIVATE_REE   0x80000000u
#define ST_PRIVATE_RPMB  0x80000100u
#define ST_READ          0x00000001u
#define ST_WRITE         0x00000002u
#define ST_WRITE_META    0x00000004u
#define ST_SHARE_READ    0x00000010u
#define ST_SHARE_WRITE   0x00000020u
#define ST_ERROR_CORRUPT_OBJECT   0xF0100001u
#define ST_ERROR_STORAGE_NO_SPACE 0xFFFF3041u

static const TEEC_UUID storage_uuid = TA_STORAGE_UUID;
static const TEEC_UUID storage2_uuid = TA_STORAGE2_UUID;

/* A session to the TA uuid (called name in the check's line). */
static inline bool st_open_ta(TEEC_Context *ctx, TEEC_Session *sess, const TEEC_UUID *uuid,
			      const char *name)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_OpenSession(ctx, sess, uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
					   &origin);

	return check(res == TEEC_SUCCESS, "open a session to the %s TA (%s)", name,
		     RES(res, origin));
}

static inline bool st_open(TEEC_Context *ctx, TEEC_Session *sess)
{
	return st_open_ta(ctx, sess, &storage_uuid, "storage");
}

static inline TEEC_Result st_invoke(TEEC_Session *sess, uint32_t cmd, TEEC_Operation *op)
{
	uint32_t origin = 0;

	return TEEC_InvokeCommand(sess, cmd, op, &origin);
}

static inline TEEC_Operation st_op(uint32_t types)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = types;
	return op;
}

static inline void st_tmp(TEEC_Operation *op, int i, const void *buf, size_t len)
{
	op->params[i].tmpref.buffer = (void *)buf;
	op->params[i].tmpref.size = len;
}

/* Creates id with data (OVERWRITE unless exclusive). */
static inline TEEC_Result st_put(TEEC_Session *s, const char *id, const void *data, size_t len,
				 uint32_t storage, bool exclusive)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_INPUT,
						   TEEC_VALUE_INPUT, TEEC_NONE));

	st_tmp(&op, 0, id, strlen(id));
	st_tmp(&op, 1, data, len);
	op.params[2].value.a = storage;
	op.params[2].value.b = exclusive;
	return st_invoke(s, TA_STORAGE_CMD_PUT, &op);
}

/* Reads id into buf (cap bytes): *got bytes read, *size its data size. */
static inline TEEC_Result st_get(TEEC_Session *s, const char *id, void *buf, size_t cap,
				 uint32_t storage, size_t *got, uint32_t *size)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						   TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT));
	TEEC_Result res;

	st_tmp(&op, 0, id, strlen(id));
	st_tmp(&op, 1, buf, cap);
	op.params[2].value.a = storage;
	res = st_invoke(s, TA_STORAGE_CMD_GET, &op);
	*got = res == TEEC_SUCCESS ? op.params[1].tmpref.size : 0;
	*size = op.params[3].value.a;
	return res;
}

/* Commands of the form [0] id, [1] VALUE_INPUT a = storage, b = flags. */
static inline TEEC_Result st_id_cmd(TEEC_Session *s, uint32_t cmd, const char *id,
				    uint32_t storage, uint32_t flags)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT,
						   TEEC_NONE, TEEC_NONE));

	st_tmp(&op, 0, id, strlen(id));
	op.params[1].value.a = storage;
	op.params[1].value.b = flags;
	return st_invoke(s, cmd, &op);
}

static inline TEEC_Result st_delete(TEEC_Session *s, const char *id, uint32_t storage)
{
	return st_id_cmd(s, TA_STORAGE_CMD_DELETE, id, storage, 0);
}

static inline TEEC_Result st_hold(TEEC_Session *s, const char *id, uint32_t flags)
{
	return st_id_cmd(s, TA_STORAGE_CMD_HOLD, id, ST_PRIVATE, flags);
}

static inline TEEC_Result st_try_open(TEEC_Session *s, const char *id, uint32_t flags)
{
	return st_id_cmd(s, TA_STORAGE_CMD_TRY_OPEN, id, ST_PRIVATE, flags);
}

static inline TEEC_Result st_release(TEEC_Session *s)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE));

	return st_invoke(s, TA_STORAGE_CMD_RELEASE, &op);
}

/* Objects in the TA's storage and the sum of their data sizes. */
static inline TEEC_Result st_count(TEEC_Session *s, uint32_t storage, uint32_t *objects,
				   uint32_t *bytes)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_INPUT,
						   TEEC_NONE, TEEC_NONE));
	TEEC_Result res;

	op.params[1].value.a = storage;
	res = st_invoke(s, TA_STORAGE_CMD_COUNT, &op);
	*objects = op.params[0].value.a;
	*bytes = op.params[0].value.b;
	return res;
}

/* KEY_MAKE (make) or KEY_USE of key id: the AES-ECB of one block, in ct. */
static inline TEEC_Result st_key(TEEC_Session *s, bool make, const char *id,
				 const uint8_t block[16], uint8_t ct[16])
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_INPUT,
						   TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_INPUT));

	st_tmp(&op, 0, id, strlen(id));
	st_tmp(&op, 1, block, 16);
	st_tmp(&op, 2, ct, 16);
	op.params[3].value.a = ST_PRIVATE;
	return st_invoke(s, make ? TA_STORAGE_CMD_KEY_MAKE : TA_STORAGE_CMD_KEY_USE, &op);
}

/* count objects of size bytes from first on ("obj-<i>"); *made how many were. */
static inline TEEC_Result st_fill(TEEC_Session *s, uint32_t count, uint32_t size,
				  uint32_t first, uint32_t *made)
{
	TEEC_Operation op = st_op(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_INPUT,
						   TEEC_VALUE_OUTPUT, TEEC_NONE));
	TEEC_Result res;

	op.params[0].value.a = count;
	op.params[0].value.b = size;
	op.params[1].value.a = first;
	op.params[1].value.b = ST_PRIVATE;
	res = st_invoke(s, TA_STORAGE_CMD_FILL, &op);
	*made = op.params[2].value.a;
	return res;
}

/* Runs report command cmd on storage; true if it ran. */
static inline bool st_report(TEEC_Session *s, const char *family, uint32_t cmd,
			     uint32_t storage)
{
	TEEC_Parameter p = { .value = { storage, 0 } };

	return run_report(s, family, cmd, TEEC_VALUE_INPUT, &p, NULL) == TEEC_SUCCESS;
}

/* Bytes that say which object and offset they belong to. */
static inline void st_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 2654435761u + seed * 40503u) >> 13);
}

#endif
