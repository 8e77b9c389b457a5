#include <full_ta.h>

int full_enabled_part(void)
{
	return 0x2;
}
