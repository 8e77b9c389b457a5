/*
 * vtee emulated board: EL3 exception vectors and the SMC path.
 *
 * An SMC64 from the normal world becomes a mailbox request: x0..x7 go to
 * this CPU's page, seq_req is bumped (store-release), one doorbell byte
 * (the CPU index) goes out on the secure UART, and the CPU spins until the
 * host publishes seq_resp == seq_req (load-acquire).  The answer is x_out
 * in x0..x7; every other register is returned as the caller left it
 * (SMCCC 1.1+ lets x4..x17 be preserved, and the host can still answer
 * in x4..x7).  The host decides every function id, PSCI included.
 *
 * Anything else that reaches EL3 is a bug or an unsupported feature:
 * record it in the page, ring 0x80|cpu and park for good.
 */
#include "mailbox.h"
#include "platform.h"

	.text

/* Every non-SMC vector: remember which one and report it. */
.macro fatal_vector off
	.balign	0x80
	mov	x0, #\off
	b	fatal
.endm

	.balign	0x800
	.global	el3_vectors
el3_vectors:
	/* Current EL with SP_EL0: never used */
	fatal_vector 0x000
	fatal_vector 0x080
	fatal_vector 0x100
	fatal_vector 0x180
	/* Current EL with SP_EL3: a firmware bug */
	fatal_vector 0x200
	fatal_vector 0x280
	fatal_vector 0x300
	fatal_vector 0x380

	/* Lower EL, AArch64, synchronous: the SMC entry */
	.balign	0x80
	stp	x8, x9, [sp, #-32]!
	stp	x10, x11, [sp, #16]
	mrs	x8, esr_el3
	lsr	x9, x8, #26
	cmp	x9, #EC_SMC64
	b.eq	smc_forward
	mov	x0, #0x400
	b	fatal

	/* Lower EL, AArch64, IRQ/FIQ/SError: SCR_EL3 routes none here */
	fatal_vector 0x480
	fatal_vector 0x500
	fatal_vector 0x580
	/* Lower EL, AArch32: SCR_EL3.RW = 1, nothing AArch32 can SMC */
	fatal_vector 0x600
	fatal_vector 0x680
	fatal_vector 0x700
	fatal_vector 0x780

/* x8 = ESR_EL3; guest x8..x11 saved on the EL3 stack; x0..x7 are free once
 * stored in x_in (they are overwritten by x_out or never returned to). */
smc_forward:
	mrs	x9, tpidr_el3
	stp	x0, x1, [x9, #VTFW_PG_X_IN]
	stp	x2, x3, [x9, #VTFW_PG_X_IN + 16]
	stp	x4, x5, [x9, #VTFW_PG_X_IN + 32]
	stp	x6, x7, [x9, #VTFW_PG_X_IN + 48]
	and	x8, x8, #0xffff
	str	x8, [x9, #VTFW_PG_SMC_IMM]
	ldr	x10, [x9, #VTFW_PG_SEQ_REQ]
	add	x10, x10, #1
	add	x0, x9, #VTFW_PG_SEQ_REQ
	stlr	x10, [x0]		// publishes x_in and smc_imm

	mrs	x1, mpidr_el1
	and	x1, x1, #0xff
	doorbell w1, x11, w2

	add	x0, x9, #VTFW_PG_SEQ_RESP
1:	ldar	x1, [x0]		// acquire: x_out/action are valid after
	cmp	x1, x10
	b.ne	1b

	ldr	x0, [x9, #VTFW_PG_ACTION]
	cmp	x0, #VTFW_ACTION_PARK
	b.eq	pen			// CPU_OFF: resets SP, waits for CPU_ON

	ldp	x0, x1, [x9, #VTFW_PG_X_OUT]
	ldp	x2, x3, [x9, #VTFW_PG_X_OUT + 16]
	ldp	x4, x5, [x9, #VTFW_PG_X_OUT + 32]
	ldp	x6, x7, [x9, #VTFW_PG_X_OUT + 48]
	ldp	x10, x11, [sp, #16]
	ldp	x8, x9, [sp], #32
	eret				// ELR_EL3 already points past the SMC

/* x0 = vector offset.  Registers are not worth preserving: we never return. */
fatal:
	mrs	x1, tpidr_el3
	cbz	x1, bad_boot		// too early to have a page
	str	x0, [x1, #VTFW_PG_ERR_VECTOR]
	mrs	x0, esr_el3
	str	x0, [x1, #VTFW_PG_ERR_ESR]
	mrs	x0, elr_el3
	str	x0, [x1, #VTFW_PG_ERR_ELR]
	mrs	x0, far_el3
	str	x0, [x1, #VTFW_PG_ERR_FAR]
	mrs	x0, spsr_el3
	str	x0, [x1, #VTFW_PG_ERR_SPSR]
	mov	x0, #VTFW_PEN_DEAD
	add	x2, x1, #VTFW_PG_PEN_STATE
	stlr	x0, [x2]		// report complete before the doorbell
	mrs	x0, mpidr_el1
	and	x0, x0, #0xff
	orr	x0, x0, #0x80		// VTFW_DOORBELL_FATAL(cpu)
	doorbell w0, x1, w2
	b	park

	.ltorg
