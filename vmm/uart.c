// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: the console, an output-only 16550 at VMM_UART_BASE (byte
 * registers) on SPI VMM_UART_SPI. What the guest writes goes to our stdout at
 * once, so the transmitter is always empty: "THR empty" is pending, and the
 * line is high, whenever the guest enables that interrupt. It never has
 * anything to read.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

enum { THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB      0x80
#define LSR_THRE_TEMT 0x60 /* transmitter empty, always: every byte leaves at once */
#define MSR_DCD_DSR_CTS 0xb0
#define IER_THRI      0x02
#define IIR_THRI      0x02
#define IIR_NONE      0x01

static uint8_t regs[8], dll = 12, dlm;
static int line = -1; /* the level last set on the GIC */

/* vm->uart_lock held */
static void update_irq(struct vmm *vm)
{
	int level = (regs[IER] & IER_THRI) != 0;
	if (level == line)
		return;
	struct kvm_irq_level l = { .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + VMM_UART_SPI),
				   .level = (uint32_t)level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		vmm_log("console interrupt: KVM_IRQ_LINE: %s", strerror(errno));
	line = level;
}

void uart_mmio(struct vmm *vm, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (len != 1 || off >= 8) { /* the 8250 driver makes byte accesses; others read 0 */
		if (!is_write)
			for (uint32_t i = 0; i < len && i < 8; i++)
				data[i] = 0;
		return;
	}
	pthread_mutex_lock(&vm->uart_lock);
	bool dlab = regs[LCR] & LCR_DLAB;
	if (is_write) {
		uint8_t v = data[0];
		if (off == THR && !dlab) {
			ssize_t n = write(STDOUT_FILENO, &v, 1);
			(void)n; /* a console that cannot write loses bytes, never the guest */
		} else if (off == THR) {
			dll = v;
		} else if (off == IER && dlab) {
			dlm = v;
		} else {
			regs[off] = v;
		}
		update_irq(vm);
	} else {
		uint8_t v = 0;
		switch (off) {
		case THR:
			v = dlab ? dll : 0; /* nothing to read */
			break;
		case IER:
			v = dlab ? dlm : regs[IER];
			break;
		case IIR_FCR:
			/* the transmitter is always empty: "THR empty" pends while enabled */
			v = (regs[IIR_FCR] & 1 ? 0xc0 : 0) | (regs[IER] & IER_THRI ? IIR_THRI : IIR_NONE);
			break;
		case LSR:
			v = LSR_THRE_TEMT;
			break;
		case MSR:
			v = MSR_DCD_DSR_CTS;
			break;
		default:
			v = regs[off];
			break;
		}
		data[0] = v;
	}
	pthread_mutex_unlock(&vm->uart_lock);
}
