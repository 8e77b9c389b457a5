/* SPDX-License-Identifier: MIT */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <gp_core_ta.h>

#define TA_UUID			TA_GP_CORE_UUID

/* One instance for every session, kept after the last one closes (instance data). */
#define TA_FLAGS		(TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION | \
				 TA_FLAG_INSTANCE_KEEP_ALIVE)
#define TA_STACK_SIZE		(8 * 1024)
#define TA_DATA_SIZE		(256 * 1024)

#define TA_VERSION		"1.3"
#define TA_DESCRIPTION		"vtee GP core API test TA"

/* One property of every type; gp_core_props.c reads them back. */
#define TA_CURRENT_TA_EXT_PROPERTIES \
	{ "vtee.test.bool", USER_TA_PROP_TYPE_BOOL, &(const bool){ true } }, \
	{ "vtee.test.u32", USER_TA_PROP_TYPE_U32, &(const uint32_t){ 0x12345678 } }, \
	{ "vtee.test.u64", USER_TA_PROP_TYPE_U64, \
	  &(const uint64_t){ 0x0123456789abcdefULL } }, \
	{ "vtee.test.uuid", USER_TA_PROP_TYPE_UUID, \
	  &(const TEE_UUID){ 0x01020304, 0x0506, 0x0708, \
			     { 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 } } }, \
	{ "vtee.test.identity", USER_TA_PROP_TYPE_IDENTITY, \
	  &(const TEE_Identity){ TEE_LOGIN_USER, \
				 { 0x11223344, 0x5566, 0x7788, \
				   { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 } } } }, \
	{ "vtee.test.string", USER_TA_PROP_TYPE_STRING, "hello from gp_core" }, \
	{ "vtee.test.binary", USER_TA_PROP_TYPE_BINARY_BLOCK, "dnRlZQ==" }

#endif
