#include <vtshared_b.h>

int vtshared_b_value(void)
{
	return 0x3;
}
