#ifndef FULL_TA_H
#define FULL_TA_H

#define FULL_TA_UUID \
	{ 0x0f3e8a52, 0x6c1d, 0x4e07, \
		{ 0xb8, 0xa9, 0x2d, 0x4c, 0x5e, 0x6f, 0x7a, 0x80 } }

/*
 * FULL_CMD_PROBE: value p0 OUTPUT, memref p1 OUTPUT. p0.a is the sum of
 * what every part returns (FULL_PROBE_SUM if all were built as asked),
 * p0.b the config number; p1 receives the "sm" string.
 */
#define FULL_CMD_PROBE		0
/* FULL_CMD_CXX: value p0 OUTPUT: a = the C++ part's result (FULL_CXX_OK) */
#define FULL_CMD_CXX		1

#define FULL_CXX_OK		1234

int full_removed_flag_part(void);
int full_enabled_part(void);
int full_float_part(void);
int full_renamed_part(void);
int full_gen_value(void);
int full_ext_part(void);
int full_extsub_part(void);
int full_sub_part(void);
int full_cxx_part(void);

/* each part returns its own bit; full_gen_value() returns 7 */
#define FULL_PROBE_SUM	(0x1 + 0x2 + 0x4 + 0x8 + 7 + 0x10 + 0x20 + 0x40 + \
			 0x80)

#endif
