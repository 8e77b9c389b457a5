#include <vtutil.h>

#if !defined(VTUTIL_LIB_CFLAG) || !defined(VTUTIL_LIB_CPPFLAG)
#error "cflags-lib-y / cppflags-lib-y did not reach a LIBNAME build"
#endif

int vtutil_value(void)
{
	return 0x40;
}
