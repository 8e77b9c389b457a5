/* SPDX-License-Identifier: MIT */
/*
 * The commands of the process-model test TAs (tests/ta-proc/): ta_good.c,
 * built as several TAs that differ only in UUID and flags, and ta_bad.c,
 * which misbehaves on request. Shared by the TAs and test_ta_proc.c.
 */
#ifndef TA_PROC_TEST_H
#define TA_PROC_TEST_H

/* ta_good.c */
#define TPT_CMD_ADD       1 /* VALUE_IN a, b -> VALUE_OUT a + b */
#define TPT_CMD_COUNTER   2 /* -> VALUE_OUT a = ++ a counter of the instance, b = getpid() */
#define TPT_CMD_REVERSE   3 /* MEMREF_IN -> MEMREF_OUT reversed; SHORT_BUFFER with the size needed */
#define TPT_CMD_WHOAMI    4 /* -> VALUE_OUT a = client login, MEMREF_OUT 16 bytes client UUID (GP layout) */
#define TPT_CMD_WAIT      5 /* VALUE_IN a = ms, b = 0: unmask cancellation; TEE_Wait(a) -> its result */
#define TPT_CMD_TA2TA     6 /* MEMREF_IN 16-byte TEE_UUID: open it, WHOAMI there, close;
                               -> VALUE_OUT a = callee's answer login, MEMREF_OUT its client UUID */
#define TPT_CMD_REE_TIME  7 /* -> VALUE_OUT a = seconds */
#define TPT_CMD_NULLREF   8 /* MEMREF_INOUT: VALUE_OUT [1] a = buffer != NULL, b = size seen */
#define TPT_CMD_FILL      9 /* MEMREF_INOUT: every byte + 1 (throughput) */

/* ta_bad.c */
#define TPT_CMD_PANIC    20 /* TEE_Panic(0xbad) */
#define TPT_CMD_SEGV     21 /* write through NULL */
#define TPT_CMD_STACK    22 /* unbounded recursion: the stack limit */
#define TPT_CMD_HOG      23 /* malloc 1 MiB blocks, touched, until NULL -> VALUE_OUT a = MiB got */
#define TPT_CMD_LOOP     24 /* spin for ever, cancellation masked */
#define TPT_CMD_OPEN     25 /* open("/etc/passwd") */
#define TPT_CMD_SOCKET   26 /* socket(AF_INET, SOCK_STREAM) */
#define TPT_CMD_EXEC     27 /* execve("/bin/true") */
#define TPT_CMD_FORK     28 /* fork() */
#define TPT_CMD_THREAD   29 /* clone a thread */
#define TPT_CMD_EXECMEM  30 /* mmap PROT_EXEC */

/*
 * ta_storage.c: persistent objects, one GP call per command. [0] VALUE_INOUT a = a handle slot
 * (0..7, per instance), b = flags / position / size; [1] MEMREF_INPUT an object id; [2] a
 * MEMREF data buffer. Results are the GP calls' own.
 */
#define TST_CMD_OPEN      40 /* TEE_OpenPersistentObject(id [1], flags b) into slot a */
#define TST_CMD_CREATE    41 /* TEE_CreatePersistentObject(id [1], flags b, data [2] IN) into slot a
                                (a = TST_NO_SLOT: no handle asked for) */
#define TST_CMD_READ      42 /* seek to b, read [2] OUT (its size: the bytes read) */
#define TST_CMD_WRITE     43 /* seek to b, write [2] IN */
#define TST_CMD_TRUNCATE  44 /* truncate to b */
#define TST_CMD_CLOSE     45 /* b = 0: TEE_CloseObject, 1: TEE_CloseAndDeletePersistentObject1 */
#define TST_CMD_RENAME    46 /* to id [1] */
#define TST_CMD_INFO      47 /* -> a = dataSize, b = handleFlags */
#define TST_CMD_ENUM      48 /* -> a = objects, [2] OUT: each id as a length byte and its bytes */
#define TST_CMD_PANIC     49
#define TST_CMD_PTIME_SET 50 /* TEE_SetTAPersistentTime(a seconds) */
#define TST_CMD_PTIME_GET 51 /* -> a = seconds of TEE_GetTAPersistentTime */
#define TST_NO_SLOT 0xFFu

#endif
