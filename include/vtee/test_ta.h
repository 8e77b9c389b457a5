/* SPDX-License-Identifier: MIT */
/*
 * The built-in test TA of the "soft" back-end: what a client may ask of it.
 * UUID 5ce0c432-0ab0-40e5-a056-782ca0e6aba2.
 */
#ifndef VTEE_TEST_TA_H
#define VTEE_TEST_TA_H

#define VTEE_TEST_TA_UUID_STR "5ce0c432-0ab0-40e5-a056-782ca0e6aba2"
#define VTEE_TEST_TA_UUID_BYTES \
	{ 0x5c, 0xe0, 0xc4, 0x32, 0x0a, 0xb0, 0x40, 0xe5, \
	  0xa0, 0x56, 0x78, 0x2c, 0xa0, 0xe6, 0xab, 0xa2 }

/* [0] VALUE_INOUT: a += 1, b unchanged. */
#define VTEE_TEST_CMD_INC       0
/*
 * Either [0] MEMREF_INOUT: reverse the bytes in place;
 * or [0] MEMREF_IN, [1] MEMREF_OUT: [1] = reverse of [0], size set to [0]'s size
 * (SHORT_BUFFER with the needed size if [1] is too small).
 */
#define VTEE_TEST_CMD_REVERSE   1
/* [0] MEMREF_OUT, [1] VALUE_IN a = byte: fill all of [0] with the byte. */
#define VTEE_TEST_CMD_FILL      2
/* [0] VALUE_IN a = milliseconds: sleep; TEE_ERROR_CANCEL if cancelled first. */
#define VTEE_TEST_CMD_SLEEP     3
/* [0] VALUE_OUT a = VM id, b = login; [1] MEMREF_OUT (optional, 16 bytes) = client UUID. */
#define VTEE_TEST_CMD_WHOAMI    4
/* No parameters; does nothing (for round-trip measurements). */
#define VTEE_TEST_CMD_NULL      5
/* [0] MEMREF_IN up to 256 bytes: keep it in this VM's instance of the TA. */
#define VTEE_TEST_CMD_STORE     6
/* [0] MEMREF_OUT: what STORE kept in this VM (size 0 if nothing); SHORT_BUFFER if too small. */
#define VTEE_TEST_CMD_LOAD      7
/* [0] MEMREF_IN, [1] VALUE_OUT a = FNV-1a 32-bit hash of the bytes, b = length (low 32 bits). */
#define VTEE_TEST_CMD_HASH      8
/* [0] VALUE_OUT a = sessions this VM has open on the test TA now. */
#define VTEE_TEST_CMD_SESSIONS  9

/*
 * [0] VALUE_OUT a = seconds, b = nanoseconds: the guest's own clock, asked of
 * the guest kernel through an RPC (OP-TEE RPC_CMD GET_TIME), like GP's TEE_GetREETime.
 */
#define VTEE_TEST_CMD_REE_TIME  10

#define VTEE_TEST_STORE_MAX     256u

#endif
