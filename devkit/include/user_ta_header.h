/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: what user_ta_header.c (compiled into every TA) exports
 * for the loader: the TA flags, struct ta_head and the property table.
 */
#ifndef USER_TA_HEADER_H
#define USER_TA_HEADER_H

#include <tee_api_types.h>
#include <util.h>

#define TA_FLAG_USER_MODE		0	/* deprecated, was bit 0 */
#define TA_FLAG_EXEC_DDR		0	/* deprecated, was bit 1 */
#define TA_FLAG_SINGLE_INSTANCE		BIT32(2)
#define TA_FLAG_MULTI_SESSION		BIT32(3)
#define TA_FLAG_INSTANCE_KEEP_ALIVE	BIT32(4) /* kept after last close */
#define TA_FLAG_SECURE_DATA_PATH	BIT32(5)
#define TA_FLAG_REMAP_SUPPORT		0	/* deprecated, was bit 6 */
#define TA_FLAG_CACHE_MAINTENANCE	BIT32(7)
#define TA_FLAG_CONCURRENT		BIT32(8)
#define TA_FLAG_DEVICE_ENUM		BIT32(9)  /* listed before supplicant */
#define TA_FLAG_DEVICE_ENUM_SUPP	BIT32(10) /* listed after supplicant */
#define TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT BIT32(11)
#define TA_FLAG_DEVICE_ENUM_TEE_STORAGE_PRIVATE BIT32(12)
/* with SINGLE_INSTANCE|INSTANCE_KEEP_ALIVE: a panicked instance stays dead */
#define TA_FLAG_INSTANCE_KEEP_CRASHED	BIT32(13)

#define TA_FLAGS_MASK			GENMASK_32(13, 0)

/* in ELF section .ta_head; stack_size includes 2048 bytes for the runtime */
struct ta_head {
	TEE_UUID uuid;
	uint32_t stack_size;
	uint32_t flags;
	uint64_t depr_entry;
};

#define TA_PROP_STR_SINGLE_INSTANCE	"gpd.ta.singleInstance"
#define TA_PROP_STR_MULTI_SESSION	"gpd.ta.multiSession"
#define TA_PROP_STR_KEEP_ALIVE		"gpd.ta.instanceKeepAlive"
#define TA_PROP_STR_KEEP_CRASHED	"optee.ta.instanceKeepCrashed"
#define TA_PROP_STR_DATA_SIZE		"gpd.ta.dataSize"
#define TA_PROP_STR_STACK_SIZE		"gpd.ta.stackSize"
#define TA_PROP_STR_VERSION		"gpd.ta.version"
#define TA_PROP_STR_DESCRIPTION		"gpd.ta.description"
#define TA_PROP_STR_ENDIAN		"gpd.ta.endian"
#define TA_PROP_STR_DOES_NOT_CLOSE_HANDLE_ON_CORRUPT_OBJECT \
	"gpd.ta.doesNotCloseHandleOnCorruptObject"

enum user_ta_prop_type {
	USER_TA_PROP_TYPE_BOOL,		/* bool */
	USER_TA_PROP_TYPE_U32,		/* uint32_t */
	USER_TA_PROP_TYPE_UUID,		/* TEE_UUID */
	USER_TA_PROP_TYPE_IDENTITY,	/* TEE_Identity */
	USER_TA_PROP_TYPE_STRING,	/* NUL-terminated string */
	USER_TA_PROP_TYPE_BINARY_BLOCK,	/* NUL-terminated base64 text */
	USER_TA_PROP_TYPE_U64,		/* uint64_t */
	USER_TA_PROP_TYPE_INVALID,
};

struct user_ta_property {
	const char *name;
	enum user_ta_prop_type type;
	const void *value;
};

#ifdef __cplusplus
extern "C" {
#endif

extern const struct ta_head ta_head;
extern const struct user_ta_property ta_props[];
extern const size_t ta_num_props;
/* TA_DATA_SIZE: the bytes TEE_Malloc()/malloc() may hand out */
extern const size_t ta_heap_size;
/* TA_NO_SHARE_DATA_SIZE: the heap of TEE_MALLOC_NO_SHARE (0 when not set) */
extern const size_t __ta_no_share_heap_size;

int tahead_get_trace_level(void);

#ifdef __cplusplus
}
#endif

#endif /* USER_TA_HEADER_H */
