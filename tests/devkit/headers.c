/* Every header of the kit with the host libc headers TAs include, in both orders (LIBC_FIRST). */
#ifdef LIBC_FIRST
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include <pthread.h>
#endif
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>
#include <tee_api_defines_extensions.h>
#include <tee_api.h>
#include <tee_ta_api.h>
#include <utee_defines.h>
#include <user_ta_header.h>
#include <trace.h>
#include <compiler.h>
#include <util.h>
#include <string_ext.h>
#include <types_ext.h>
#include <config.h>
#include <confine_array_index.h>
#include <printk.h>
#include <pta_system.h>
#include <stdlib_ext.h>
#include <sys/queue.h>
#include <tee_tcpsocket.h>
#include <tee_udpsocket.h>
#include <__tee_tcpsocket_defines_extensions.h>
#include <atomic.h>
#include <memtag.h>
#include <pta_attestation.h>
#include <pta_invoke_tests.h>
#ifndef LIBC_FIRST
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include <pthread.h>
#endif
int headers_check(void);

/* the dialect follows __OPTEE_CORE_API_COMPAT_1_1 / TEE_CORE_API_REQUIRED_* */
#ifdef __cplusplus
#define HEADERS_ASSERT static_assert
#else
#define HEADERS_ASSERT _Static_assert
#endif
#if __OPTEE_CORE_API_COMPAT_1_1
HEADERS_ASSERT(sizeof(((TEE_Param *)0)->memref.size) == sizeof(uint32_t), "GP 1.1 TEE_Param");
HEADERS_ASSERT(sizeof(((TEE_ObjectInfo *)0)->dataSize) == sizeof(uint32_t), "GP 1.1 ObjectInfo");
#else
HEADERS_ASSERT(sizeof(((TEE_Param *)0)->memref.size) == sizeof(size_t), "GP 1.3.1 TEE_Param");
HEADERS_ASSERT(sizeof(((TEE_Attribute *)0)->content.ref.length) == sizeof(size_t), "1.3.1 attr");
#endif
HEADERS_ASSERT(sizeof(struct ta_head) == 32, "struct ta_head");
HEADERS_ASSERT(TA_FLAGS_MASK == 0x3fff && TEE_CORE_API_VERSION == 0x01030100, "constants");

/* GP's spelling of an entry point definition */
TEE_Result TA_EXPORT TA_CreateEntryPoint(void)
{
	return IS_ENABLED(CFG_NOT_SET) ? TEE_ERROR_GENERIC : TEE_SUCCESS;
}

/* a few macros from each header, so that they are expanded at least once */
int headers_check(void)
{
	uint32_t r = 0;
	TEE_Param p = { .memref = { NULL, 0 } };

	return (int)ADD_OVERFLOW(1u, 2u, &r) + (int)BIT(3) + (int)MIN(1, 2) +
	       (int)TEE_ALG_GET_CLASS(TEE_ALG_SHA256) + ROUNDUP(3, 4) +
	       (int)TEE_PARAM_TYPE_GET(TEE_PARAM_TYPES(1, 2, 3, 5), 2) +
	       (int)sizeof(p) + (int)TA_FLAGS_MASK + (int)confine_array_index(1, 2) +
	       (int)memtag_get_tag(&r) + (int)atomic_inc32(&r);
}
