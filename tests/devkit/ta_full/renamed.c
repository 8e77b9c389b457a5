#include <full_ta.h>

int full_renamed_part(void)
{
	return 0x8;
}
