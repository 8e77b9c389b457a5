#include <full_ta.h>

#ifdef FULL_CFLAG_REMOVED
#error "cflags-remove-removed_flag.c-y did not take the flag away"
#endif
#if !defined(FULL_CFLAG_ONE) || !defined(FULL_CFLAG_ALL)
#error "cflags-removed_flag.c-y or cflags-y missing"
#endif

int full_removed_flag_part(void)
{
	return 0x1;
}
