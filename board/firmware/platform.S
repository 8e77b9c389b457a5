/*
 * vtee emulated board: the two devices the firmware owns.
 *   - GICv3: with secure=on QEMU's GIC has two security states and resets
 *     every interrupt to Group 0 (secure).  Linux only drives Group 1
 *     non-secure, so everything is handed to it here.
 *   - Secure PL011: the doorbell line to the host (second -serial).
 * Callers keep x19..x23 live; these clobber only x0..x4.
 */
#include "mailbox.h"
#include "platform.h"

	.text

	.global	uart_init
uart_init:
	ldr	x0, =PL_UART_SECURE
	str	wzr, [x0, #UART_CR]
	mov	w1, #13			// 115200 at 24 MHz: QEMU ignores it
	str	w1, [x0, #UART_IBRD]
	mov	w1, #1
	str	w1, [x0, #UART_FBRD]
	mov	w1, #0x70		// 8N1, FIFOs on
	str	w1, [x0, #UART_LCRH]
	str	wzr, [x0, #UART_IMSC]	// no interrupts: nothing listens at EL3
	mov	w1, #0x301		// UARTEN | TXE | RXE
	str	w1, [x0, #UART_CR]
	ret

/* Wait until a GICD_CTLR write has taken effect (RWP clear) */
gicd_wait_rwp:
	ldr	w2, [x0, #GICD_CTLR]
	tbnz	w2, #GICD_CTLR_RWP, gicd_wait_rwp
	ret

	.global	gicd_init
gicd_init:
	mov	x4, lr
	ldr	x0, =PL_GICD
	/* Affinity routing may only change with the groups disabled */
	str	wzr, [x0, #GICD_CTLR]
	bl	gicd_wait_rwp
	mov	w1, #(GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS)
	str	w1, [x0, #GICD_CTLR]
	bl	gicd_wait_rwp

	/* SPIs: IGROUPR<n>/IGRPMODR<n> for n = 1..ITLinesNumber (n = 0 is
	 * the SGIs/PPIs, banked in each redistributor with ARE set) */
	ldr	w1, [x0, #GICD_TYPER]
	and	w1, w1, #0x1f
	mov	w2, #-1
	add	x3, x0, #4
1:	cbz	w1, 2f
	str	w2, [x3, #GICD_IGROUPR]
	str	wzr, [x3, #GICD_IGRPMODR]
	add	x3, x3, #4
	sub	w1, w1, #1
	b	1b
2:	mov	w1, #(GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1NS)
	str	w1, [x0, #GICD_CTLR]
	bl	gicd_wait_rwp
	mov	lr, x4
	ret

/* Find this CPU's redistributor by affinity (not by index: robust to any
 * numbering), wake it, and make its SGIs/PPIs Group 1 non-secure. */
	.global	gicr_init
gicr_init:
	mrs	x0, mpidr_el1
	and	x1, x0, #0xffffff	// Aff2.Aff1.Aff0
	ubfx	x0, x0, #32, #8		// Aff3
	orr	x1, x1, x0, lsl #24
	ldr	x0, =PL_GICR
1:	ldr	x2, [x0, #GICR_TYPER]
	cmp	x1, x2, lsr #32
	b.eq	2f
	tbnz	x2, #GICR_TYPER_LAST, bad_boot
	add	x0, x0, #0x20000
	tbz	x2, #GICR_TYPER_VLPIS, 1b
	add	x0, x0, #0x20000
	b	1b

2:	ldr	w2, [x0, #GICR_WAKER]
	bic	w2, w2, #GICR_WAKER_PSLEEP
	str	w2, [x0, #GICR_WAKER]
3:	ldr	w2, [x0, #GICR_WAKER]
	tbnz	w2, #GICR_WAKER_CASLEEP, 3b

	add	x0, x0, #GICR_SGI_BASE
	mov	w2, #-1
	str	w2, [x0, #GICR_IGROUPR0]
	str	wzr, [x0, #GICR_IGRPMODR0]
	ret

	.ltorg
