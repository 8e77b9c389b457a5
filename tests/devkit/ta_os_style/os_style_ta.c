/* Entry points of the os_test-style tree; its checks are compile-time. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdint.h>
#include <compiler.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#if !defined(CFG_TA_FLOAT_SUPPORT) || !defined(OS_STYLE_LATE_CFLAGS)
#error "cppflags-$(CFG_TA_FLOAT_SUPPORT) or CFLAGS set after the kit missing"
#endif

int os_style_cxx(void);

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t pt __unused,
				    TEE_Param params[4] __unused,
				    void **sess __unused)
{
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *sess __unused)
{
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess __unused, uint32_t cmd,
				      uint32_t pt __unused,
				      TEE_Param params[4])
{
	jmp_buf jb;

	/* the libc subset OP-TEE offers: setjmp/longjmp, dlopen */
	if (setjmp(jb))
		return TEE_SUCCESS;
	params[0].value.a = (uint32_t)os_style_cxx();
	params[0].value.b = dlopen(NULL, RTLD_NOW) != NULL;
	if (cmd == 1)
		longjmp(jb, 1);
	return TEE_ERROR_NOT_SUPPORTED;
}
