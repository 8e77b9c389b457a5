#include <math.h>
#include <full_ta.h>

/* needs -lm from LDADD */
int full_float_part(void)
{
	volatile double four = 16.0;

	return (int)sqrt(four);
}
