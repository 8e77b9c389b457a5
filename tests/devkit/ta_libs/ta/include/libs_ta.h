#ifndef LIBS_TA_H
#define LIBS_TA_H

#define LIBS_TA_UUID \
	{ 0xa1b2c3d4, 0xe5f6, 0x4a7b, \
		{ 0x8c, 0x9d, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d } }

/* value p0 OUTPUT: a = what the three libraries return, summed */
#define LIBS_CMD_SUM	0
#define LIBS_SUM	(0x100 + 0x20 + 0x3)

#endif
