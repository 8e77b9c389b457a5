/* SPDX-License-Identifier: MIT */
/*
 * storage: GP persistent objects seen from a TA (issue 14), the way OP-TEE's
 * xtest 6000 series exercises them. Shared by the TA, its guest client
 * (host/main.c) and the in-process driver (host/driver.c). A multi-instance
 * TA: every session is its own instance, its own vtee-ta-host process, so
 * two sessions that open one object are two processes sharing it through
 * the TEE.
 *
 * "Report" commands follow ../../../include/report_proto.h ([0] counts, [1]
 * the lines) and take [2] VALUE_INPUT a = the storage id to run on; they
 * leave no object behind. The other commands are one GP operation each, for
 * what only a client sees (other sessions, other runs, other VMs, quotas);
 * they return the GP result the TA got.
 */
#ifndef STORAGE_TA_H
#define STORAGE_TA_H

/* ee8e6364-9909-446b-9e13-69932b700d6c */
#define TA_STORAGE_UUID \
	{ 0xee8e6364, 0x9909, 0x446b, \
		{ 0x9e, 0x13, 0x69, 0x93, 0x2b, 0x70, 0x0d, 0x6c } }

/*
 * 703b8db7-1605-4b6a-9bc1-3976e8adcac2: the same TA built again under
 * another UUID (../../../storage2), whose objects are its own.
 */
#define TA_STORAGE2_UUID \
	{ 0x703b8db7, 0x1605, 0x4b6a, \
		{ 0x9b, 0xc1, 0x39, 0x76, 0xe8, 0xad, 0xca, 0xc2 } }

/* report: create, open, read, write, seek, truncate, holes, rename, delete, ids of 0..64 bytes */
#define TA_STORAGE_CMD_DATA		0
/* report: sharing and access flags, OVERWRITE, ACCESS_CONFLICT, handles of one instance */
#define TA_STORAGE_CMD_ACCESS		1
/* report: object info of data and key objects, enumerators (allocate, start, next, reset, free) */
#define TA_STORAGE_CMD_INFO_ENUM	2
/* report: a persistent AES key (attributes + data stream) used for encryption after reopen */
#define TA_STORAGE_CMD_KEY		3

/*
 * Creates (TEE_DATA_FLAG_OVERWRITE) the object [0] MEMREF_INPUT id with the
 * data [1] MEMREF_INPUT in storage [2] VALUE_INPUT a; [2].b = 1: without
 * OVERWRITE (an existing id is ACCESS_CONFLICT).
 */
#define TA_STORAGE_CMD_PUT		4
/*
 * Reads the object [0] MEMREF_INPUT id of storage [2] VALUE_INPUT a into
 * [1] MEMREF_OUTPUT (size set to the bytes read); [3] VALUE_OUTPUT a = its
 * data size. Opened ACCESS_READ | SHARE_READ.
 */
#define TA_STORAGE_CMD_GET		5
/* Deletes the object [0] MEMREF_INPUT id of storage [1] VALUE_INPUT a (b = 0). */
#define TA_STORAGE_CMD_DELETE		6
/*
 * [0] VALUE_OUTPUT a = objects the enumerator finds in storage [1]
 * VALUE_INPUT a (0 when TEE_StartPersistentObjectEnumerator says
 * ITEM_NOT_FOUND), b = the sum of their data sizes.
 */
#define TA_STORAGE_CMD_COUNT		7
/*
 * Opens the object [0] MEMREF_INPUT id of storage [1] VALUE_INPUT a with the
 * flags [1].b and keeps the handle in the session until RELEASE or its end.
 * One held handle per session.
 */
#define TA_STORAGE_CMD_HOLD		8
#define TA_STORAGE_CMD_RELEASE		9
/*
 * Opens and closes at once the object [0] MEMREF_INPUT id of storage [1]
 * VALUE_INPUT a with the flags [1].b: the result says whether another
 * handle's sharing allows it.
 */
#define TA_STORAGE_CMD_TRY_OPEN		10
/*
 * A persistent AES-256 key, object [0] MEMREF_INPUT id in storage
 * [3] VALUE_INPUT a: KEY_MAKE generates one and stores it (OVERWRITE) with
 * the data stream TA_STORAGE_KEY_DATA; KEY_USE opens it. Both encrypt
 * [1] MEMREF_INPUT (16-byte blocks, AES-ECB) into [2] MEMREF_OUTPUT with the
 * key as they have it.
 */
#define TA_STORAGE_CMD_KEY_MAKE		11
#define TA_STORAGE_CMD_KEY_USE		12
/*
 * For the benchmark: [0] VALUE_INPUT a = how many objects, b = bytes each,
 * [1] VALUE_INPUT a = the first index, b = storage id; object i is
 * "obj-<i>" (decimal), each made by create + write + close.
 * [2] VALUE_OUTPUT a = objects made. Stops at the first failure (returned).
 */
#define TA_STORAGE_CMD_FILL		13
/* Opens an object with a 65-byte id: OP-TEE's libutee panics the TA (BAD_PARAMETERS). */
#define TA_STORAGE_CMD_ID_TOO_LONG	14
/*
 * Opens the object [0] MEMREF_INPUT id of storage [1] VALUE_INPUT a naming
 * the id where the client's memref is: GP wants ids in the TA's own memory,
 * OP-TEE kills the TA (xtest 6020). The other commands copy the id first.
 */
#define TA_STORAGE_CMD_ID_IN_SHM	15

#define TA_STORAGE_KEY_DATA		"vtee persistent key"

#endif
