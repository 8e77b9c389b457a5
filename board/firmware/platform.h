/*
 * Firmware-internal constants: QEMU `virt` (secure=on, gic-version=3)
 * addresses and the architectural bits the firmware programs.  The host
 * never needs these; its contract is mailbox.h.
 */
#ifndef VTEE_BOARD_PLATFORM_H
#define VTEE_BOARD_PLATFORM_H

/* QEMU virt memory map (hw/arm/virt.c); secure-only devices need secure=on */
#define PL_GICD                 0x08000000
#define PL_GICR                 0x080A0000
#define PL_UART_SECURE          0x09040000
#define PL_SRAM_SECURE          0x0E000000      /* 16 MiB, secure-only */

/* Each CPU owns 4 KiB of secure SRAM: a small block at the bottom, its EL3
 * stack growing down from the top.  Nothing the OS or host can touch. */
#define PCPU_SIZE               0x1000
#define PCPU_ENTER_EL1          0x00            /* 1: hand the OS EL1, else EL2 */

/* PL011 */
#define UART_DR                 0x000
#define UART_FR                 0x018
#define UART_FR_TXFF            5               /* bit: TX FIFO full */
#define UART_IBRD               0x024
#define UART_FBRD               0x028
#define UART_LCRH               0x02C
#define UART_CR                 0x030
#define UART_IMSC               0x038

/* GICv3 distributor */
#define GICD_CTLR               0x0000
#define GICD_TYPER              0x0004
#define GICD_IGROUPR            0x0080
#define GICD_IGRPMODR           0x0D00
#define GICD_CTLR_RWP           31              /* bit */
#define GICD_CTLR_ENABLE_G1NS   (1 << 1)
#define GICD_CTLR_ARE_S         (1 << 4)
#define GICD_CTLR_ARE_NS        (1 << 5)

/* GICv3 redistributor: RD frame then SGI frame, 64 KiB each */
#define GICR_TYPER              0x0008
#define GICR_WAKER              0x0014
#define GICR_SGI_BASE           0x10000
#define GICR_IGROUPR0           0x0080          /* in the SGI frame */
#define GICR_IGRPMODR0          0x0D00          /* in the SGI frame */
#define GICR_TYPER_VLPIS        1               /* bit: two more frames (GICv4) */
#define GICR_TYPER_LAST         4               /* bit */
#define GICR_WAKER_PSLEEP       (1 << 1)
#define GICR_WAKER_CASLEEP      2               /* bit */

/* SCR_EL3 */
#define SCR_NS                  (1 << 0)
#define SCR_RES1                (3 << 4)
#define SCR_HCE                 (1 << 8)
#define SCR_RW                  (1 << 10)
#define SCR_APK                 (1 << 16)
#define SCR_API                 (1 << 17)
#define SCR_ENSCXT              (1 << 25)
#define SCR_ATA                 (1 << 26)
#define SCR_FGTEN               (1 << 27)
#define SCR_ECVEN               (1 << 28)
#define SCR_AMVOFFEN            (1 << 35)
#define SCR_HXEN                (1 << 38)
#define SCR_GCSEN               (1 << 39)
#define SCR_ENTP2               (1 << 41)
#define SCR_TCR2EN              (1 << 43)
#define SCR_SCTLR2EN            (1 << 44)
#define SCR_PIEN                (1 << 45)
#define SCR_AIEN                (1 << 46)
#define SCR_ENFPM               (1 << 50)
#define SCR_FGTEN2              (1 << 59)

/* CPTR_EL3 / MDCR_EL3 / SMCR_ELx */
#define CPTR_EL3_EZ             (1 << 8)
#define CPTR_EL3_ESM            (1 << 12)
#define MDCR_EL3_ENPM2          (1 << 7)
#define SMCR_FA64               (1 << 31)
#define SMCR_EZT0               (1 << 30)
#define VL_LEN_MAX              0xF             /* ZCR/SMCR LEN: largest the CPU has */

/* EL2 registers, only programmed when EL2 exists */
#define HCR_RW                  (1 << 31)
#define HCR_APK                 (1 << 40)
#define HCR_API                 (1 << 41)
#define HCR_ATA                 (1 << 56)
#define HCRX_MSCEN              (1 << 11)
#define HCRX_TCR2EN             (1 << 14)
#define HCRX_SCTLR2EN           (1 << 15)
#define CPTR_EL2_RES1           0x32FF          /* nVHE layout: TZ=TFP=0, TSM(bit 12)=1 */
#define CPTR_EL2_TSM            (1 << 12)
#define CNTHCTL_EL1PCTEN_PCEN   0x3

/* Reset-style SCTLRs: RES1 bits only (MMU, caches, alignment checks off, LE) */
#define SCTLR_EL3_INIT          0x30C50830
#define SCTLR_EL2_INIT          0x30C50830
#define SCTLR_EL1_INIT          0x30D00800

/* SPSR: D, A, I, F masked */
#define SPSR_EL2H               0x3C9
#define SPSR_EL1H               0x3C5

#define EC_SMC64                0x17

/* System registers binutils may not name (op0_op1_Cn_Cm_op2) */
#define ID_AA64PFR2_EL1         S3_0_C0_C4_2
#define ID_AA64SMFR0_EL1        S3_0_C0_C4_5
#define ID_AA64ISAR2_EL1        S3_0_C0_C6_2
#define ID_AA64MMFR3_EL1        S3_0_C0_C7_3
#define ZCR_EL3                 S3_6_C1_C2_0
#define SMCR_EL3                S3_6_C1_C2_6
#define ZCR_EL2                 S3_4_C1_C2_0
#define SMCR_EL2                S3_4_C1_C2_6
#define HCRX_EL2                S3_4_C1_C2_2
#define MPAM3_EL3               S3_6_C10_C5_0
#define ICC_SRE_EL3             S3_6_C12_C12_5
#define ICC_SRE_EL2             S3_4_C12_C9_5
#define ICH_HCR_EL2             S3_4_C12_C11_0
#define ICC_SRE_ALL             0xF             /* SRE | DFB | DIB | Enable */

#ifdef __ASSEMBLER__
/* \dst |= \bit when the 4-bit field at \lsb of ID register \id is >= \min */
.macro orr_if_id dst, id, lsb, min, bit, tmp=x9
	mrs	\tmp, \id
	ubfx	\tmp, \tmp, #\lsb, #4
	cmp	\tmp, #\min
	b.lo	.Lno\@
	orr	\dst, \dst, #(\bit)
.Lno\@:
.endm

/* Branch to \label when the 4-bit field at \lsb of \id is < \min */
.macro b_if_id_lt label, id, lsb, min, tmp=x9
	mrs	\tmp, \id
	ubfx	\tmp, \tmp, #\lsb, #4
	cmp	\tmp, #\min
	b.lo	\label
.endm

/* \xd = this CPU's secure SRAM block (CPU index = MPIDR.Aff0) */
.macro pcpu_block xd, tmp
	mrs	\tmp, mpidr_el1
	and	\tmp, \tmp, #0xff
	ldr	\xd, =PL_SRAM_SECURE
	add	\xd, \xd, \tmp, lsl #12
.endm

/* Send one byte (in \wbyte) on the secure UART: the doorbell.  Waits for
 * FIFO room: a dropped byte would only delay the host (it rescans pages),
 * but there is no reason to drop it. */
.macro doorbell wbyte, xbase, wtmp
	ldr	\xbase, =PL_UART_SECURE
.Lfull\@:
	ldr	\wtmp, [\xbase, #UART_FR]
	tbnz	\wtmp, #UART_FR_TXFF, .Lfull\@
	str	\wbyte, [\xbase, #UART_DR]
.endm
#endif

#endif /* VTEE_BOARD_PLATFORM_H */
