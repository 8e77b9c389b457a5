#ifndef COMPAT_TA_H
#define COMPAT_TA_H

#define COMPAT_TA_UUID \
	{ 0x5c1a7c38, 0x0a8e, 0x4b51, \
		{ 0x9d, 0x52, 0x7a, 0x6f, 0x3c, 0x2e, 0x9b, 0x01 } }

/* value p0 INOUT: a += 1 */
#define COMPAT_CMD_INC		0
/*
 * memref p0 INOUT, value p1 OUTPUT: p1.a = sizeof(memref.size) as the TA
 * sees it, p1.b = the size it received; p0's size becomes size / 2 and the
 * first byte is incremented
 */
#define COMPAT_CMD_SIZES	1

#endif
