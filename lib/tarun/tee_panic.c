/* TEE_Panic, and the pointer checks libutee makes before it acts on a TA's arguments (OP-TEE
 * builds them strict by default, CFG_TA_STRICT_ANNOTATION_CHECKS=y): a failed check panics the
 * TA with code 0, as OP-TEE's does. */
#include "tarun_int.h"

#include <string.h>

#define ACCESS_R TEE_MEMORY_ACCESS_READ
#define ACCESS_W TEE_MEMORY_ACCESS_WRITE
#define ACCESS_RW (TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_WRITE)
#define ACCESS_W_ANY (TEE_MEMORY_ACCESS_WRITE | TEE_MEMORY_ACCESS_ANY_OWNER)
#define ACCESS_R_ANY (TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_ANY_OWNER)

void TEE_Panic(TEE_Result panicCode)
{
	tarun_panic(panicCode);
}

/* An empty range passes; NULL with a length, or a range without the access, panics. */
static void check_access(uint32_t flags, const void *buf, size_t len)
{
	if (!len)
		return;
	if (!buf || TEE_CheckMemoryAccessRights(flags, (void *)buf, len) != TEE_SUCCESS)
		tarun_panic(0);
}

void tarun_check_in(const void *buf, size_t len)
{
	check_access(ACCESS_R, buf, len);
}

void tarun_check_out(void *buf, size_t len)
{
	check_access(ACCESS_W, buf, len);
}

void tarun_check_inout(void *buf, size_t len)
{
	check_access(ACCESS_RW, buf, len);
}

void tarun_check_instring(const char *s)
{
	if (!s)
		tarun_panic(0);
	check_access(ACCESS_R, s, strlen(s) + 1);
}

void tarun_check_outbuf(void *buf, size_t *len)
{
	check_access(ACCESS_RW, len, sizeof(*len)); /* NULL panics */
	check_access(ACCESS_W_ANY, buf, *len);
}

void tarun_check_outbuf32(void *buf, uint32_t *len)
{
	check_access(ACCESS_RW, len, sizeof(*len)); /* NULL panics */
	check_access(ACCESS_W_ANY, buf, *len);
}

void tarun_check_in_any(const void *buf, size_t len)
{
	check_access(ACCESS_R_ANY, buf, len);
}

void tarun_check_out_any(void *buf, size_t len)
{
	check_access(ACCESS_W_ANY, buf, len);
}
