#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#define TA_UUID { 0x2c4e6a80, 0x1b3d, 0x4f5e, \
		{ 0x8a, 0x7b, 0x9c, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b } }
#define TA_FLAGS	(TA_FLAG_USER_MODE | TA_FLAG_EXEC_DDR | \
			 TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION)
#define TA_STACK_SIZE	(32 * 1024)
#define TA_DATA_SIZE	(900 * 1024)

#define TA_CURRENT_TA_EXT_PROPERTIES \
	{ "myprop.true", USER_TA_PROP_TYPE_BOOL, &(const bool){ true } }, \
	{ "myprop.42", USER_TA_PROP_TYPE_U32, &(const uint32_t){ 42 } }, \
	{ "myprop.123", USER_TA_PROP_TYPE_UUID, &(const TEE_UUID) { \
		1, 2, 3, { 4, 5, 6, 7, 8, 9, 10, 11 } } }, \
	{ "myprop.1234", USER_TA_PROP_TYPE_IDENTITY, &(const TEE_Identity) { \
		1, { 2, 3, 4, { 5, 6, 7, 8, 9, 10, 11, 12 } } } }, \
	{ "myprop.hello", USER_TA_PROP_TYPE_STRING, "hello property" }, \
	{ "myprop.binaryblock", USER_TA_PROP_TYPE_BINARY_BLOCK, \
		"SGVsbG8gd29ybGQh" }, \
	{ "myprop.invalid", USER_TA_PROP_TYPE_INVALID, "-%@&" }

#endif
