#include <trace.h>
#include <vtstat.h>

int vtstat_value(void)
{
	return 0x100;
}
