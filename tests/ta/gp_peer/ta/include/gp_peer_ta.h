/* SPDX-License-Identifier: MIT */
/*
 * gp_peer: the callee of gp_core's TA-to-TA calls, written in the GP 1.1
 * dialect OP-TEE keeps for old TAs (CFG_TA_OPTEE_CORE_API_COMPAT_1_1=y:
 * uint32_t memref sizes). Also a plain second TA for the misbehave client.
 *
 * Open session: no parameters, or [0] VALUE_INOUT a -> a + 1.
 */
#ifndef GP_PEER_TA_H
#define GP_PEER_TA_H

/* 0b8e4f27-c6a1-4d93-b5f2-7e3a9d1c6048 */
#define TA_GP_PEER_UUID \
	{ 0x0b8e4f27, 0xc6a1, 0x4d93, \
		{ 0xb5, 0xf2, 0x7e, 0x3a, 0x9d, 0x1c, 0x60, 0x48 } }

/* [0] VALUE_OUTPUT a = the client's login; [1] MEMREF_OUTPUT 16 bytes: its TEE_UUID */
#define TA_GP_PEER_CMD_WHOAMI	0
/* [0] MEMREF_INOUT: the bytes reversed in place */
#define TA_GP_PEER_CMD_REVERSE	1
/*
 * [0] MEMREF_OUTPUT, [1] VALUE_INPUT a = byte, b = length: the first b bytes
 * of [0] set to a, [0].size = b; TEE_ERROR_SHORT_BUFFER with [0].size = b
 * if [0] is smaller.
 */
#define TA_GP_PEER_CMD_FILL	2
/* [0] VALUE_INOUT: a += b */
#define TA_GP_PEER_CMD_ADD	3
/* TEE_Panic */
#define TA_GP_PEER_CMD_PANIC	4

#endif
