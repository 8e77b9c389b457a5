/*
 * vtee emulated board: EL3 firmware, reset path and the OS hand-off.
 *
 * QEMU virt with secure=on and -bios starts every CPU here (0x0, secure
 * flash) at EL3 with the MMU off.  Every CPU sets up its own EL3 state and
 * redistributor; CPU 0 also owns the distributor and the secure UART, then
 * enters the kernel.  The others wait in their mailbox pen until the host
 * serves a PSCI CPU_ON for them.  Contract: mailbox.h and README.md.
 *
 * Nothing here is writable: the image runs from flash, per-CPU state lives
 * in secure SRAM (stack) and in the mailbox page (TPIDR_EL3 points at it).
 */
#include "mailbox.h"
#include "platform.h"

	.section .text.reset, "ax"
	.global	_start
_start:
	msr	daifset, #0xf
	adr	x0, el3_vectors
	msr	vbar_el3, x0
	msr	tpidr_el3, xzr		// no mailbox page yet: faults send 0xFF
	ldr	x0, =SCTLR_EL3_INIT
	msr	sctlr_el3, x0
	isb

	/* CPU index = Aff0.  virt numbers CPUs 0..n-1 in Aff0 for n <= 8;
	 * anything else cannot have a mailbox page. */
	mrs	x19, mpidr_el1
	and	x20, x19, #0xff
	ubfx	x0, x19, #8, #16
	cbnz	x0, bad_boot
	ubfx	x0, x19, #32, #8
	cbnz	x0, bad_boot
	cmp	x20, #VTFW_MAX_CPUS
	b.hs	bad_boot

	pcpu_block x21, x0
	add	x0, x21, #PCPU_SIZE
	mov	sp, x0

	/* Boot info, written by the launcher before QEMU started */
	ldr	x22, =VTFW_BOOTINFO_ADDR
	ldr	x0, [x22, #VTFW_BI_MAGIC]
	ldr	x1, =VTFW_BOOTINFO_MAGIC
	cmp	x0, x1
	b.ne	bad_boot
	ldr	x0, [x22, #VTFW_BI_NCPUS]
	cmp	x0, #VTFW_MAX_CPUS
	b.hi	bad_boot
	cmp	x20, x0
	b.hs	bad_boot
	ldr	x23, [x22, #VTFW_BI_MAILBOX]
	cbz	x23, bad_boot
	tst	x23, #(VTFW_PAGE_SIZE - 1)
	b.ne	bad_boot
	add	x23, x23, x20, lsl #12
	msr	tpidr_el3, x23
	str	x19, [x23, #VTFW_PG_MPIDR]

	bl	el3_arch_init

	/* The OS gets EL1 when EL2 is absent (virtualization=off) or asked for */
	ldr	x0, [x22, #VTFW_BI_FLAGS]
	and	x0, x0, #VTFW_BI_FLAG_EL1
	mrs	x1, id_aa64pfr0_el1
	ubfx	x1, x1, #8, #4		// EL2
	cmp	x1, #0
	cset	x1, eq
	orr	x0, x0, x1
	str	x0, [x21, #PCPU_ENTER_EL1]

	cbnz	x20, 1f
	bl	uart_init
	bl	gicd_init
1:	bl	gicr_init
	cbnz	x20, pen

	/* CPU 0: straight into the kernel (booting.rst: x0 = DTB, x1..x3 = 0) */
	mov	x0, #VTFW_PEN_RUNNING
	add	x1, x23, #VTFW_PG_PEN_STATE
	stlr	x0, [x1]
	ldr	x0, [x22, #VTFW_BI_KERNEL_ENTRY]
	ldr	x1, [x22, #VTFW_BI_DTB]
	b	enter_os

/*
 * The pen: how PSCI CPU_ON is served.  Reached by secondaries after reset
 * and by any CPU whose SMC the host answered with VTFW_ACTION_PARK
 * (CPU_OFF).  Spins on pen_go: the host cannot send an event or interrupt
 * we could sleep on, so the delay loop only keeps the polling polite.
 */
	.global	pen
pen:
	pcpu_block x0, x1
	add	x0, x0, #PCPU_SIZE
	mov	sp, x0			// an SMC that parks never unwinds its frame
	mrs	x23, tpidr_el3
	mov	x0, #VTFW_PEN_WAITING
	add	x1, x23, #VTFW_PG_PEN_STATE
	stlr	x0, [x1]
	add	x2, x23, #VTFW_PG_PEN_GO
2:	ldar	x0, [x2]		// acquire: entry/context written before go
	cbnz	x0, 3f
	mov	x3, #64
4:	subs	x3, x3, #1
	b.ne	4b
	b	2b
3:	ldr	x0, [x23, #VTFW_PG_PEN_ENTRY]
	ldr	x1, [x23, #VTFW_PG_PEN_CONTEXT]
	// RUNNING before go is cleared: the host must never see WAITING with go == 0
	// while we leave, or it would accept a second CPU_ON and leave go latched
	mov	x3, #VTFW_PEN_RUNNING
	add	x4, x23, #VTFW_PG_PEN_STATE
	stlr	x3, [x4]
	stlr	xzr, [x2]		// consumed: the next CPU_ON needs a new go
	b	enter_os

/*
 * enter_os: ERET to x0 at EL2h (EL1h if PCPU_ENTER_EL1) with x0 = x1,
 * interrupts masked, MMU off.  Rewrites the EL2/EL1 state every time so a
 * CPU that comes back through CPU_OFF/CPU_ON starts as clean as at reset.
 */
enter_os:
	mov	x19, x0
	mov	x20, x1
	pcpu_block x21, x0
	ldr	x22, [x21, #PCPU_ENTER_EL1]

	bl	scr_common		// x2 = SCR_EL3 without HCE/FGTEn
	b_if_id_lt 1f, id_aa64pfr0_el1, 8, 1	// no EL2 at all
	bl	el2_init
1:	cbnz	x22, 2f

	/* EL2: HVC must work (booting.rst), and fine-grained traps are
	 * the kernel's to program */
	orr	x2, x2, #SCR_HCE
	orr_if_id x2, id_aa64mmfr0_el1, 56, 1, SCR_FGTEN
	orr_if_id x2, id_aa64mmfr0_el1, 56, 2, SCR_FGTEN2
	mov	x3, #SPSR_EL2H
	b	3f

	/* EL1: FGTEn stays 0, which switches every EL2 fine-grained trap off
	 * (nobody at EL2 would program them) */
2:	ldr	x3, =SCTLR_EL1_INIT
	msr	sctlr_el1, x3
	mov	x3, #SPSR_EL1H

3:	msr	scr_el3, x2
	msr	spsr_el3, x3
	msr	elr_el3, x19
	isb
	mov	x0, x20
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	eret

/*
 * SCR_EL3 for the normal world: NS, AArch64 below, SMC enabled (SMD = 0),
 * no IRQ/FIQ/SError routing to EL3, and every "enable" bit whose feature
 * the CPU reports, so Linux's accesses to those registers do not trap here
 * (booting.rst's EL3 list).  TRNDR, TWE/TWI, TERR, FIEN stay 0.
 * Returns x2; clobbers x9, x10.
 */
scr_common:
	ldr	x2, =(SCR_RES1 | SCR_NS | SCR_RW)

	/* Pointer authentication: any of APA/API/GPA/GPI, APA3/GPA3 */
	mrs	x9, id_aa64isar1_el1
	ldr	x10, =0xFF000FF0
	tst	x9, x10
	b.ne	1f
	mrs	x9, ID_AA64ISAR2_EL1
	tst	x9, #0xFF00
	b.eq	2f
1:	orr	x2, x2, #(SCR_APK | SCR_API)
2:
	orr_if_id x2, id_aa64pfr1_el1, 8, 2, SCR_ATA		// MTE2
	orr_if_id x2, id_aa64mmfr0_el1, 60, 2, SCR_ECVEN	// CNTPOFF
	orr_if_id x2, id_aa64mmfr1_el1, 40, 1, SCR_HXEN	// HCRX_EL2
	orr_if_id x2, id_aa64pfr1_el1, 24, 1, SCR_ENTP2	// SME: TPIDR2_EL0
	orr_if_id x2, id_aa64pfr1_el1, 44, 1, SCR_GCSEN
	orr_if_id x2, id_aa64pfr0_el1, 56, 2, SCR_ENSCXT	// CSV2_2: SCXTNUM
	orr_if_id x2, id_aa64pfr0_el1, 44, 2, SCR_AMVOFFEN	// AMUv1p1
	orr_if_id x2, ID_AA64PFR2_EL1, 32, 1, SCR_ENFPM
	orr_if_id x2, ID_AA64MMFR3_EL1, 0, 1, SCR_TCR2EN
	orr_if_id x2, ID_AA64MMFR3_EL1, 4, 1, SCR_SCTLR2EN
	orr_if_id x2, ID_AA64MMFR3_EL1, 8, 1, SCR_PIEN	// S1PIE
	orr_if_id x2, ID_AA64MMFR3_EL1, 16, 1, SCR_PIEN	// S1POE
	orr_if_id x2, ID_AA64MMFR3_EL1, 24, 1, SCR_AIEN
	ret

/*
 * EL3-only state, once per CPU at reset: no FP/SVE/SME/AMU/trace traps,
 * largest vector lengths (booting.rst: same LEN on all CPUs), no PMU or
 * debug traps, MPAM not trapped, and GIC system registers usable below.
 * Clobbers x0, x1, x9.
 */
el3_arch_init:
	mov	x0, xzr
	orr_if_id x0, id_aa64pfr0_el1, 32, 1, CPTR_EL3_EZ
	orr_if_id x0, id_aa64pfr1_el1, 24, 1, CPTR_EL3_ESM
	msr	cptr_el3, x0
	isb

	b_if_id_lt 1f, id_aa64pfr0_el1, 32, 1
	mov	x0, #VL_LEN_MAX
	msr	ZCR_EL3, x0
1:	b_if_id_lt 2f, id_aa64pfr1_el1, 24, 1
	mov	x0, #VL_LEN_MAX
	orr_if_id x0, id_aa64pfr1_el1, 24, 2, SMCR_EZT0	// SME2: ZT0
	mrs	x1, ID_AA64SMFR0_EL1
	tbz	x1, #63, 3f
	orr	x0, x0, #SMCR_FA64
3:	msr	SMCR_EL3, x0

	/* PMUv3p9 registers need EnPM2 (PMUVer 0xF is IMPDEF, not v3p9) */
2:	mov	x0, xzr
	mrs	x1, id_aa64dfr0_el1
	ubfx	x1, x1, #8, #4
	cmp	x1, #9
	b.lo	4f
	cmp	x1, #0xF
	b.eq	4f
	orr	x0, x0, #MDCR_EL3_ENPM2
4:	msr	mdcr_el3, x0

	/* MPAM3_EL3.TRAPLOWER resets to 1 */
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #40, #4
	mrs	x1, id_aa64pfr1_el1
	ubfx	x1, x1, #16, #4
	orr	x0, x0, x1
	cbz	x0, 5f
	msr	MPAM3_EL3, xzr
5:
	mov	x0, #ICC_SRE_ALL
	msr	ICC_SRE_EL3, x0
	isb
	ret

/*
 * EL2 state for whoever runs below: a Linux entered at EL2 rewrites all of
 * it, a kernel entered at EL1 relies on it (booting.rst's "kernel entered
 * at EL1 and EL2 is present" items).  Clobbers x0, x1, x9.
 */
el2_init:
	ldr	x0, =HCR_RW
	mrs	x9, id_aa64isar1_el1	// PAuth at EL1 must not trap to EL2
	ldr	x1, =0xFF000FF0
	tst	x9, x1
	b.eq	1f
	orr	x0, x0, #(HCR_APK | HCR_API)
1:	orr_if_id x0, id_aa64pfr1_el1, 8, 2, HCR_ATA
	msr	hcr_el2, x0
	ldr	x0, =SCTLR_EL2_INIT
	msr	sctlr_el2, x0
	mov	x0, #CNTHCTL_EL1PCTEN_PCEN
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr	// same virtual counter on every CPU
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	msr	vttbr_el2, xzr
	msr	hstr_el2, xzr
	mov	x0, #ICC_SRE_ALL
	msr	ICC_SRE_EL2, x0
	isb
	msr	ICH_HCR_EL2, xzr

	ldr	x0, =CPTR_EL2_RES1
	b_if_id_lt 2f, id_aa64pfr1_el1, 24, 1
	bic	x0, x0, #CPTR_EL2_TSM
2:	msr	cptr_el2, x0
	isb

	/* All PMU counters to EL1: MDCR_EL2.HPMN = PMCR_EL0.N */
	mov	x0, xzr
	mrs	x1, id_aa64dfr0_el1
	ubfx	x1, x1, #8, #4
	cbz	x1, 3f
	cmp	x1, #0xF
	b.eq	3f
	mrs	x1, pmcr_el0
	ubfx	x0, x1, #11, #5
3:	msr	mdcr_el2, x0

	b_if_id_lt 4f, id_aa64pfr0_el1, 32, 1
	mov	x0, #VL_LEN_MAX
	msr	ZCR_EL2, x0
4:	b_if_id_lt 5f, id_aa64pfr1_el1, 24, 1
	mrs	x0, SMCR_EL3		// same FA64/EZT0/LEN as EL3 allows
	msr	SMCR_EL2, x0
5:	b_if_id_lt 6f, id_aa64mmfr1_el1, 40, 1
	mov	x0, xzr
	orr_if_id x0, ID_AA64ISAR2_EL1, 16, 1, HCRX_MSCEN	// MOPS
	orr_if_id x0, ID_AA64MMFR3_EL1, 0, 1, HCRX_TCR2EN
	orr_if_id x0, ID_AA64MMFR3_EL1, 4, 1, HCRX_SCTLR2EN
	msr	HCRX_EL2, x0
6:	isb
	ret

/* Fatal before a mailbox page is known: one 0xFF doorbell, then park. */
	.global	bad_boot
bad_boot:
	mov	w0, #VTFW_DOORBELL_BADBOOT
	doorbell w0, x1, w2
	.global	park
park:
	wfe
	b	park

	.ltorg
