// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: a PL031 real-time clock at VMM_RTC_BASE, so the guest starts
 * with the host's time (a TA's REE time comes from the host too). Read-only
 * in effect: a time the guest loads only moves its own offset.
 */
#include <time.h>

#include "vmm.h"

enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14, MIS = 0x18, ICR = 0x1c };

/* AMBA PrimeCell ids at 0xfe0..0xffc: part 0x031, designer ARM (0x41), revision 1 */
static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* vCPUs may touch it at once */
static int64_t offset; /* guest time - host time, s */
static uint32_t match;

static uint32_t now(void)
{
	return (uint32_t)((int64_t)time(NULL) + offset);
}

void rtc_mmio(struct vmm *vm, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	(void)vm;
	uint32_t v = 0;
	pthread_mutex_lock(&lock);
	if (is_write) {
		for (uint32_t i = 0; i < len && i < 4; i++)
			v |= (uint32_t)data[i] << (8 * i);
		if (off == LR)
			offset = (int64_t)v - (int64_t)time(NULL);
		else if (off == MR)
			match = v;
		pthread_mutex_unlock(&lock); /* CR, IMSC, ICR: always enabled, never interrupts */
		return;
	}
	if (off == DR)
		v = now();
	else if (off == MR)
		v = match;
	else if (off == LR)
		v = now();
	else if (off == CR)
		v = 1;
	else if (off >= 0xfe0 && off < 0x1000 && !(off & 3))
		v = ids[(off - 0xfe0) / 4];
	pthread_mutex_unlock(&lock);
	for (uint32_t i = 0; i < len && i < 8; i++)
		data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0;
}
