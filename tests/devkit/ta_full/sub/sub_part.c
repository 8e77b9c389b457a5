#include <full_ta.h>
#include <sub_private.h>

#if !defined(SUB_CFLAG) || !defined(SUB_CFLAG_ONE)
#error "sub/sub.mk flags missing"
#endif
#ifdef FULL_CFLAG_ALL
#error "the top directory's cflags-y leaked into sub/"
#endif

int full_sub_part(void)
{
	return SUB_PRIVATE_VALUE;
}
