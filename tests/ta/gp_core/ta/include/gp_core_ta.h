/* SPDX-License-Identifier: MIT */
/*
 * gp_core: the non-crypto GP TEE Internal Core API seen from a TA (properties,
 * memory, instance data, time, cancellation, TA-to-TA calls). Shared by the
 * TA and its client (host/main.c). A SINGLE_INSTANCE | MULTI_SESSION |
 * INSTANCE_KEEP_ALIVE TA written against GP 1.3.1.
 *
 * "Report" commands follow ../../../include/report_proto.h ([0] counts,
 * [1] the lines); [2] is the command's own.
 */
#ifndef GP_CORE_TA_H
#define GP_CORE_TA_H

/* a3d2e9b4-51c7-4f08-8e6a-1b9c4d7f2e05 */
#define TA_GP_CORE_UUID \
	{ 0xa3d2e9b4, 0x51c7, 0x4f08, \
		{ 0x8e, 0x6a, 0x1b, 0x9c, 0x4d, 0x7f, 0x2e, 0x05 } }

/* report; [2] VALUE_INPUT a = the login the client opened the session with */
#define TA_GP_CORE_CMD_PROPERTIES	0
/* report; [2] MEMREF_INOUT a client buffer (at least 16 bytes) */
#define TA_GP_CORE_CMD_MEMORY		1
/*
 * report; [2] VALUE_INPUT a = the client's own clock, seconds since the
 * epoch (b = 1: the VM is fresh, the TA persistent time was never set)
 */
#define TA_GP_CORE_CMD_TIME		2
/* report; [2] MEMREF_INOUT a client buffer gp_core hands on to gp_peer to reverse */
#define TA_GP_CORE_CMD_TA2TA		3
/*
 * [0] VALUE_INPUT a = milliseconds to TEE_Wait, b = 1: unmask cancellation
 * first; [1] VALUE_OUTPUT a = milliseconds waited, b = 1 if cancellation was
 * masked when the command began. Returns what TEE_Wait returned.
 */
#define TA_GP_CORE_CMD_WAIT		4
/* [0] VALUE_INPUT a: kept as the instance data */
#define TA_GP_CORE_CMD_SET_INSTANCE	5
/* [0] VALUE_OUTPUT a = the instance data's value, b = 1 if there is instance data */
#define TA_GP_CORE_CMD_GET_INSTANCE	6
/* [0] VALUE_OUTPUT a = TA_CreateEntryPoint calls so far, b = sessions open now */
#define TA_GP_CORE_CMD_COUNTS		7

#endif
