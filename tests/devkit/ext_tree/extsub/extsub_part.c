#include <full_ta.h>

int full_extsub_part(void)
{
	return 0x20;
}
