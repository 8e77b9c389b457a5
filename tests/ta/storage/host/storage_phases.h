/* SPDX-License-Identifier: MIT */
/*
 * What the storage clients check, phase by phase, shared by the guest client
 * (main.c: one or more phases per boot) and the in-process driver (driver.c:
 * every phase, with TEE restarts, other VMs and quotas in between):
 *
 *   semantics  the TA's reports on TEE_STORAGE_PRIVATE and its REE alias, and
 *              what takes two sessions (two instances, two processes): an
 *              object written in one read in another, the sharing rules
 *              across instances, a persistent key used in another session,
 *              a 65-byte id or one in shared memory killing the TA, a
 *              second TA (storage2) with objects of its own. Leaves nothing
 *              behind.
 *   fill       on a fresh state: stores the persistent set (below)
 *   verify     the persistent set is there, whole, and nothing else
 *   empty      the TA's storage holds nothing (another VM's state)
 *   clean      removes the persistent set
 *   nostorage  no storage configured: ITEM_NOT_FOUND as OP-TEE without one
 */
#ifndef VTEE_STORAGE_PHASES_H
#define VTEE_STORAGE_PHASES_H

#include "storage_client.h"

#define PERSIST_BIG (100u * 1024)
#define PERSIST_OBJECTS 5u
/* 64 bytes: the longest id GP allows */
#define PERSIST_ID64 "persist-id64-0123456789abcdef0123456789abcdef0123456789abcdef012"
_Static_assert(sizeof(PERSIST_ID64) == 64 + 1, "PERSIST_ID64 is 64 bytes");

static const uint8_t persist_block[16] = "persist: a block";

static inline void phase_reports(TEEC_Session *s)
{
	st_report(s, "data (PRIVATE)", TA_STORAGE_CMD_DATA, ST_PRIVATE);
	st_report(s, "data (PRIVATE_REE)", TA_STORAGE_CMD_DATA, ST_PRIVATE_REE);
	st_report(s, "access", TA_STORAGE_CMD_ACCESS, ST_PRIVATE);
	st_report(s, "info and enumerators", TA_STORAGE_CMD_INFO_ENUM, ST_PRIVATE);
	st_report(s, "persistent key", TA_STORAGE_CMD_KEY, ST_PRIVATE);
}

/* Written in session a, read in session b; PRIVATE_REE is PRIVATE's alias, RPMB has nothing. */
static inline void phase_two_sessions(TEEC_Session *a, TEEC_Session *b)
{
	uint8_t data[300], got[400];
	uint32_t size = 0;
	size_t n = 0;
	TEEC_Result res;

	st_pattern(data, sizeof(data), 1);
	res = st_put(a, "two-sessions", data, sizeof(data), ST_PRIVATE, false);
	check(res == TEEC_SUCCESS, "session A stores two-sessions (%s)", RES(res, 0));
	res = st_get(b, "two-sessions", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_SUCCESS && n == sizeof(data) && size == sizeof(data) &&
	      !memcmp(got, data, n), "session B reads it whole (%zu of %u bytes) (%s)", n,
	      (unsigned)size, RES(res, 0));
	res = st_get(b, "two-sessions", got, sizeof(got), ST_PRIVATE_REE, &n, &size);
	check(res == TEEC_SUCCESS && n == sizeof(data),
	      "TEE_STORAGE_PRIVATE_REE names the same storage (%s)", RES(res, 0));
	res = st_get(b, "two-sessions", got, sizeof(got), ST_PRIVATE_RPMB, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "TEE_STORAGE_PRIVATE_RPMB: ITEM_NOT_FOUND (%s)",
	      RES(res, 0));
	res = st_put(b, "two-sessions", data, 10, ST_PRIVATE, true);
	check(res == TEEC_ERROR_ACCESS_CONFLICT,
	      "session B creating it without OVERWRITE: ACCESS_CONFLICT (%s)", RES(res, 0));
	res = st_delete(b, "two-sessions", ST_PRIVATE);
	check(res == TEEC_SUCCESS, "session B deletes it (%s)", RES(res, 0));
	res = st_get(a, "two-sessions", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "session A no longer finds it (%s)", RES(res, 0));
}

struct st_conflict {
	uint32_t held, tried;
	TEEC_Result want;
	const char *what;
};

/* The sharing rules between handles of two instances (two processes). */
static inline void phase_cross_instance(TEEC_Session *a, TEEC_Session *b)
{
	static const struct st_conflict cases[] = {
		{ ST_READ, ST_READ, TEEC_ERROR_ACCESS_CONFLICT, "READ held, READ tried" },
		{ ST_READ | ST_SHARE_READ, ST_READ | ST_SHARE_READ, TEEC_SUCCESS,
		  "READ|SHARE_READ held and tried" },
		{ ST_READ | ST_SHARE_READ, ST_WRITE_META, TEEC_ERROR_ACCESS_CONFLICT,
		  "READ|SHARE_READ held, WRITE_META tried" },
		{ ST_READ | ST_WRITE | ST_SHARE_READ | ST_SHARE_WRITE,
		  ST_WRITE | ST_SHARE_READ | ST_SHARE_WRITE, TEEC_SUCCESS,
		  "read-write sharing both, held and tried" },
		{ ST_WRITE, ST_WRITE | ST_SHARE_WRITE, TEEC_ERROR_ACCESS_CONFLICT,
		  "WRITE held without sharing, WRITE tried" },
		{ ST_WRITE_META, 0, TEEC_ERROR_ACCESS_CONFLICT, "WRITE_META held, anything tried" },
	};
	uint8_t data[8] = "abcdefgh", got[8];
	uint32_t size;
	size_t n;
	TEEC_Result res;

	if (!check(st_put(a, "cross", data, sizeof(data), ST_PRIVATE, false) == TEEC_SUCCESS,
		   "store cross"))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		res = st_hold(a, "cross", cases[i].held);
		if (!check(res == TEEC_SUCCESS, "%s: held in session A (%s)", cases[i].what,
			   RES(res, 0)))
			continue;
		res = st_try_open(b, "cross", cases[i].tried);
		check(res == cases[i].want, "%s: session B gets %s (%s)", cases[i].what,
		      res_name(cases[i].want), RES(res, 0));
		st_release(a);
	}
	st_hold(a, "cross", ST_READ);
	res = st_get(b, "cross", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ACCESS_CONFLICT, "held exclusively by A: B cannot read (%s)",
	      RES(res, 0));
	res = st_put(b, "cross", data, 4, ST_PRIVATE, false);
	check(res == TEEC_ERROR_ACCESS_CONFLICT,
	      "held by A: B's create with OVERWRITE is ACCESS_CONFLICT (%s)", RES(res, 0));
	res = st_delete(b, "cross", ST_PRIVATE);
	check(res == TEEC_ERROR_ACCESS_CONFLICT, "held by A: B cannot delete (%s)", RES(res, 0));
	st_release(a);
	res = st_delete(b, "cross", ST_PRIVATE);
	check(res == TEEC_SUCCESS, "released by A: B deletes it (%s)", RES(res, 0));
}

/* A key made in one session encrypts the same in another. */
static inline void phase_key_sessions(TEEC_Session *a, TEEC_Session *b)
{
	uint8_t ct_a[16], ct_b[16];
	TEEC_Result res = st_key(a, true, "session-key", persist_block, ct_a);

	if (!check(res == TEEC_SUCCESS, "session A makes a persistent AES key (%s)", RES(res, 0)))
		return;
	res = st_key(b, false, "session-key", persist_block, ct_b);
	check(res == TEEC_SUCCESS && !memcmp(ct_a, ct_b, 16),
	      "session B's encryption with it matches A's (%s)", RES(res, 0));
	st_delete(a, "session-key", ST_PRIVATE);
}

/* Two TAs, one id: each has its own object (xtest 6015, 6019). */
static inline void phase_two_tas(TEEC_Context *ctx, TEEC_Session *a)
{
	uint8_t got[8];
	uint32_t size = 0;
	TEEC_Session t2;
	size_t n = 0;
	TEEC_Result res;

	if (st_put(a, "two-tas", "first", 5, ST_PRIVATE, false) != TEEC_SUCCESS ||
	    !st_open_ta(ctx, &t2, &storage2_uuid, "storage2"))
		return;
	res = st_get(&t2, "two-tas", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "another TA does not see the object (%s)",
	      RES(res, 0));
	res = st_put(&t2, "two-tas", "second", 6, ST_PRIVATE, true);
	check(res == TEEC_SUCCESS, "another TA creates the same id, exclusively (%s)", RES(res, 0));
	res = st_get(a, "two-tas", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_SUCCESS && n == 5 && !memcmp(got, "first", 5),
	      "the first TA's object is still its own (%zu bytes) (%s)", n, RES(res, 0));
	res = st_get(&t2, "two-tas", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_SUCCESS && n == 6 && !memcmp(got, "second", 6),
	      "and the other TA reads its own (%zu bytes) (%s)", n, RES(res, 0));
	check(st_delete(&t2, "two-tas", ST_PRIVATE) == TEEC_SUCCESS &&
	      st_delete(a, "two-tas", ST_PRIVATE) == TEEC_SUCCESS, "each deletes its own");
	TEEC_CloseSession(&t2);
}

/* An id in the client's memory, not the TA's: the TA is killed (xtest 6020). */
static inline void phase_id_in_shm(TEEC_Context *ctx, TEEC_Session *a)
{
	TEEC_Session c;
	TEEC_Result res;

	if (st_put(a, "in-shm", "x", 1, ST_PRIVATE, false) != TEEC_SUCCESS || !st_open(ctx, &c))
		return;
	res = st_id_cmd(&c, TA_STORAGE_CMD_ID_IN_SHM, "in-shm", ST_PRIVATE, 0);
	check(res == TEEC_ERROR_TARGET_DEAD, "an id in shared memory kills the TA (%s)",
	      RES(res, 0));
	TEEC_CloseSession(&c);
	st_delete(a, "in-shm", ST_PRIVATE);
}

static inline void phase_semantics(TEEC_Context *ctx)
{
	TEEC_Session a, b;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res;

	if (!st_open(ctx, &a))
		return;
	phase_reports(&a);
	if (st_open(ctx, &b)) {
		phase_two_sessions(&a, &b);
		phase_cross_instance(&a, &b);
		phase_key_sessions(&a, &b);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = ST_PRIVATE;
		res = TEEC_InvokeCommand(&b, TA_STORAGE_CMD_ID_TOO_LONG, &op, &origin);
		check(res == TEEC_ERROR_TARGET_DEAD && origin == TEEC_ORIGIN_TEE,
		      "a 65-byte id panics the TA (%s)", RES(res, origin));
		TEEC_CloseSession(&b);
	}
	phase_two_tas(ctx, &a);
	phase_id_in_shm(ctx, &a);
	TEEC_CloseSession(&a);
}

/* ---- the persistent set: what one run stores and the next finds ---- */

static inline void phase_fill(TEEC_Context *ctx)
{
	static uint8_t big[PERSIST_BIG];
	uint8_t small[40], ct[16];
	uint32_t objects = 1, bytes = 1;
	TEEC_Session s;
	TEEC_Result res;

	if (!st_open(ctx, &s))
		return;
	res = st_count(&s, ST_PRIVATE, &objects, &bytes);
	check(res == TEEC_SUCCESS && objects == 0, "fill: the state starts empty (%u objects) (%s)",
	      (unsigned)objects, RES(res, 0));
	st_pattern(small, sizeof(small), 2);
	st_pattern(big, sizeof(big), 3);
	check(st_put(&s, "persist-small", small, sizeof(small), ST_PRIVATE, true) == TEEC_SUCCESS,
	      "fill: persist-small");
	check(st_put(&s, PERSIST_ID64, small, 7, ST_PRIVATE, true) == TEEC_SUCCESS,
	      "fill: an object with a 64-byte id");
	check(st_put(&s, "persist-big", big, sizeof(big), ST_PRIVATE, true) == TEEC_SUCCESS,
	      "fill: persist-big, %u bytes", PERSIST_BIG);
	res = st_key(&s, true, "persist-key", persist_block, ct);
	check(res == TEEC_SUCCESS, "fill: persist-key, an AES key (%s)", RES(res, 0));
	check(st_put(&s, "persist-key-ct", ct, sizeof(ct), ST_PRIVATE, true) == TEEC_SUCCESS,
	      "fill: what persist-key made of a block, for the next run to compare");
	check(st_put(&s, "persist-gone", small, 3, ST_PRIVATE, true) == TEEC_SUCCESS &&
	      st_delete(&s, "persist-gone", ST_PRIVATE) == TEEC_SUCCESS,
	      "fill: persist-gone stored and deleted");
	TEEC_CloseSession(&s);
}

static inline void verify_object(TEEC_Session *s, const char *id, const uint8_t *want, size_t len)
{
	static uint8_t got[PERSIST_BIG + 16];
	uint32_t size = 0;
	size_t n = 0;
	TEEC_Result res = st_get(s, id, got, sizeof(got), ST_PRIVATE, &n, &size);

	check(res == TEEC_SUCCESS && n == len && size == len && !memcmp(got, want, len),
	      "verify: %.20s... is back whole (%zu of %zu bytes) (%s)", id, n, len, RES(res, 0));
}

static inline void phase_verify(TEEC_Context *ctx)
{
	static uint8_t big[PERSIST_BIG];
	uint8_t small[40], ct[16], ct_then[16];
	uint32_t objects = 0, bytes = 0, size = 0;
	TEEC_Session s;
	size_t n = 0;
	TEEC_Result res;

	if (!st_open(ctx, &s))
		return;
	st_pattern(small, sizeof(small), 2);
	st_pattern(big, sizeof(big), 3);
	verify_object(&s, "persist-small", small, sizeof(small));
	verify_object(&s, PERSIST_ID64, small, 7);
	verify_object(&s, "persist-big", big, sizeof(big));
	res = st_get(&s, "persist-key-ct", ct_then, sizeof(ct_then), ST_PRIVATE, &n, &size);
	if (check(res == TEEC_SUCCESS && n == 16, "verify: the block as the last run encrypted it"))
		check(st_key(&s, false, "persist-key", persist_block, ct) == TEEC_SUCCESS &&
		      !memcmp(ct, ct_then, 16), "verify: persist-key encrypts it the same");
	res = st_get(&s, "persist-gone", ct, sizeof(ct), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "verify: the deleted object stays deleted (%s)",
	      RES(res, 0));
	res = st_count(&s, ST_PRIVATE, &objects, &bytes);
	check(res == TEEC_SUCCESS && objects == PERSIST_OBJECTS,
	      "verify: the enumerator finds the %u objects, no more (%u, %u bytes)",
	      PERSIST_OBJECTS, (unsigned)objects, (unsigned)bytes);
	TEEC_CloseSession(&s);
}

static inline void phase_empty(TEEC_Context *ctx)
{
	uint32_t objects = 1, bytes = 1, size = 0;
	uint8_t buf[64];
	TEEC_Session s;
	size_t n = 0;
	TEEC_Result res;

	if (!st_open(ctx, &s))
		return;
	res = st_count(&s, ST_PRIVATE, &objects, &bytes);
	check(res == TEEC_SUCCESS && objects == 0, "empty: the enumerator finds nothing (%u) (%s)",
	      (unsigned)objects, RES(res, 0));
	res = st_get(&s, "persist-small", buf, sizeof(buf), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "empty: persist-small is not here (%s)",
	      RES(res, 0));
	TEEC_CloseSession(&s);
}

static inline void phase_clean(TEEC_Context *ctx)
{
	static const char *const ids[] = { "persist-small", PERSIST_ID64, "persist-big",
					   "persist-key", "persist-key-ct" };
	TEEC_Session s;
	unsigned deleted = 0;

	if (!st_open(ctx, &s))
		return;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		deleted += st_delete(&s, ids[i], ST_PRIVATE) == TEEC_SUCCESS;
	check(deleted == PERSIST_OBJECTS, "clean: deleted %u of the %u objects", deleted,
	      PERSIST_OBJECTS);
	TEEC_CloseSession(&s);
}

static inline void phase_nostorage(TEEC_Context *ctx)
{
	uint32_t objects = 1, bytes = 1, size = 0;
	uint8_t buf[8] = { 0 };
	TEEC_Session s;
	size_t n = 0;
	TEEC_Result res;

	if (!st_open(ctx, &s))
		return;
	res = st_put(&s, "nostorage", buf, sizeof(buf), ST_PRIVATE, false);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "no storage: create is ITEM_NOT_FOUND (%s)",
	      RES(res, 0));
	res = st_get(&s, "nostorage", buf, sizeof(buf), ST_PRIVATE, &n, &size);
	check(res == TEEC_ERROR_ITEM_NOT_FOUND, "no storage: open is ITEM_NOT_FOUND (%s)",
	      RES(res, 0));
	res = st_count(&s, ST_PRIVATE, &objects, &bytes);
	check(res == TEEC_SUCCESS && objects == 0, "no storage: the enumerator finds nothing (%s)",
	      RES(res, 0));
	TEEC_CloseSession(&s);
}

#endif
