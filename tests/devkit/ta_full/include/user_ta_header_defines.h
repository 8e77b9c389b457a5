#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <full_ta.h>

#define TA_UUID		FULL_TA_UUID
#define TA_FLAGS	TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT
#define TA_STACK_SIZE	(4 * 1024)
#define TA_DATA_SIZE	(64 * 1024)
#define TA_NO_SHARE_DATA_SIZE	(8 * 1024)
#define TA_VERSION	"1.2.3"
#define TA_DESCRIPTION	"vtee dev kit full tree"

#define TA_CURRENT_TA_EXT_PROPERTIES \
	{ "org.vtee.full.u64", USER_TA_PROP_TYPE_U64, \
	  &(const uint64_t){ 0x1122334455667788ULL } }, \
	{ "org.vtee.full.bool", USER_TA_PROP_TYPE_BOOL, &(const bool){ true } }, \
	{ "org.vtee.full.block", USER_TA_PROP_TYPE_BINARY_BLOCK, "AQID" },

#endif
