#include <vtshared_a.h>
#include <vtshared_b.h>

/* calls libvtshared_b without linking it: resolved when the TA is loaded */
int vtshared_a_value(void)
{
	return 0x20 + vtshared_b_value();
}
