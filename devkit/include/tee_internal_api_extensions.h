/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: OP-TEE's extensions to the GP Internal Core API. */
#ifndef TEE_INTERNAL_API_EXTENSIONS_H
#define TEE_INTERNAL_API_EXTENSIONS_H

#include <stdio.h>
#include <trace.h>
#include <tee_api_defines_extensions.h>
#include <tee_api_types.h>
#include <types_ext.h>

#ifdef __cplusplus
extern "C" {
#endif

/* heap leak checking (a no-op outside OP-TEE's debug heap) */
void tee_user_mem_mark_heap(void);
size_t tee_user_mem_check_heap(void);
/* TEE_Malloc hint: do not zero the buffer */
#define TEE_USER_MEM_HINT_NO_FILL_ZERO       0x80000000

/*
 * Data cache maintenance over [buf, buf + len). The TA needs
 * TA_FLAG_CACHE_MAINTENANCE, else TEE_ERROR_NOT_SUPPORTED.
 */
TEE_Result TEE_CacheClean(char *buf, size_t len);
TEE_Result TEE_CacheFlush(char *buf, size_t len);
TEE_Result TEE_CacheInvalidate(char *buf, size_t len);

/*
 * Zero-filled pages of len bytes (flags 0, or TEE_MEMORY_ACCESS_ANY_OWNER to
 * pass them to other TAs); NULL on failure. tee_unmap() takes back exactly
 * such a mapping.
 */
void *tee_map_zi(size_t len, uint32_t flags);
void *tee_map_zi_va(vaddr_t va, size_t len, uint32_t flags);
TEE_Result tee_unmap(void *buf, size_t len);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits) to a TEE_UUID */
TEE_Result tee_uuid_from_str(TEE_UUID *uuid, const char *s);

/*
 * Call command cmd/sub_cmd of a tee-supplicant plugin with buf (len bytes
 * in); *outlen, if given, receives the length of what came back in buf.
 */
TEE_Result tee_invoke_supp_plugin(const TEE_UUID *uuid, uint32_t cmd,
				  uint32_t sub_cmd, void *buf, size_t len,
				  size_t *outlen);

#ifdef __cplusplus
}
#endif

#endif /* TEE_INTERNAL_API_EXTENSIONS_H */
