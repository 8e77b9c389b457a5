/*
 * vtee emulated board: the contract between the EL3 firmware (firmware.bin)
 * and the host process that serves its SMCs.  Included by the firmware's
 * assembly (__ASSEMBLER__ defined: constants only) and by host C code
 * (constants + struct views + static asserts that keep the two in step).
 *
 * All addresses are guest-physical.  QEMU `virt` puts guest RAM at
 * 0x40000000, so with a shared memory-backend-file the host finds a PA at
 * file offset PA - 0x40000000.  All fields are little-endian u64.
 */
#ifndef VTEE_BOARD_MAILBOX_H
#define VTEE_BOARD_MAILBOX_H

#ifdef __ASSEMBLER__
#define VTFW_U64(x) x
#else
#define VTFW_U64(x) x##ULL
#endif

/* ---- Boot info: written by the launcher before QEMU starts ------------- */

/* Fixed: the firmware knows nothing else about the machine's RAM layout. */
#define VTFW_BOOTINFO_ADDR      VTFW_U64(0x4FFFF000)
/* "VTEEBT01" read as a little-endian u64; the digits are the contract version. */
#define VTFW_BOOTINFO_MAGIC     VTFW_U64(0x3130544245455456)

#define VTFW_BI_MAGIC           0x00
#define VTFW_BI_KERNEL_ENTRY    0x08    /* PA the boot CPU ERETs to */
#define VTFW_BI_DTB             0x10    /* PA passed in x0 to the kernel */
#define VTFW_BI_MAILBOX         0x18    /* PA of CPU 0's page, 4 KiB aligned */
#define VTFW_BI_NCPUS           0x20    /* 1..VTFW_MAX_CPUS, equal to -smp */
#define VTFW_BI_FLAGS           0x28
#define VTFW_BI_SIZE            0x30

/* Enter the OS at EL1 even though EL2 exists (without EL2, EL1 is automatic). */
#define VTFW_BI_FLAG_EL1        VTFW_U64(0x1)

/*
 * Suggested layout (the launcher may move the mailbox, not the boot info):
 * one 64 KiB reserved-memory no-map region holds the 8 mailbox pages and,
 * in its last page, the boot info.  RAM must reach past it (-m >= 256M).
 */
#define VTFW_RESERVED_BASE      VTFW_U64(0x4FFF0000)
#define VTFW_RESERVED_SIZE      VTFW_U64(0x10000)
#define VTFW_MAILBOX_DEFAULT    VTFW_U64(0x4FFF0000)

/* ---- Mailbox: one 4 KiB page per CPU, CPU n at mailbox + n * 4 KiB ----- */

#define VTFW_MAX_CPUS           8
#define VTFW_PAGE_SIZE          0x1000
#define VTFW_MAILBOX_SIZE       (VTFW_MAX_CPUS * VTFW_PAGE_SIZE)

/* Request/response (who writes: FW = firmware, H = host) */
#define VTFW_PG_SEQ_REQ         0x000   /* FW: +1 per SMC, store-release after x_in */
#define VTFW_PG_SEQ_RESP        0x008   /* H: = seq_req, store-release after x_out/action */
#define VTFW_PG_ACTION          0x010   /* H: what to do with the answer (VTFW_ACTION_*) */
#define VTFW_PG_SMC_IMM         0x018   /* FW: the SMC's #imm16 (0 for SMCCC) */
#define VTFW_PG_X_IN            0x040   /* FW: x0..x7 at the SMC */
#define VTFW_PG_X_OUT           0x080   /* H: x0..x7 returned to the caller */
/* Fatal report (FW), valid once doorbell 0x80|cpu was sent */
#define VTFW_PG_ERR_VECTOR      0x100   /* offset in the EL3 vector table (0x000..0x780) */
#define VTFW_PG_ERR_ESR         0x108
#define VTFW_PG_ERR_ELR         0x110
#define VTFW_PG_ERR_FAR         0x118
#define VTFW_PG_ERR_SPSR        0x120
/* Pen: how PSCI CPU_ON is served (H writes entry, context, then go = 1) */
#define VTFW_PG_PEN_GO          0x140   /* H: 1 = leave the pen; FW clears it when taken */
#define VTFW_PG_PEN_ENTRY       0x148   /* H: PA to enter at */
#define VTFW_PG_PEN_CONTEXT     0x150   /* H: value for x0 */
#define VTFW_PG_PEN_STATE       0x180   /* FW: VTFW_PEN_* */
#define VTFW_PG_MPIDR           0x188   /* FW: this CPU's MPIDR_EL1 */

#define VTFW_ACTION_RETURN      0       /* ERET to the caller with x_out */
#define VTFW_ACTION_PARK        1       /* do not return: go to the pen (PSCI CPU_OFF) */

#define VTFW_PEN_NONE           0       /* firmware has not reached this CPU's pen yet */
#define VTFW_PEN_WAITING        1       /* spinning in the pen, polling pen_go */
#define VTFW_PEN_RUNNING        2       /* running the OS (boot CPU, or released) */
#define VTFW_PEN_DEAD           3       /* fatal exception, parked for good */

/* ---- Doorbell bytes on the secure PL011 (second -serial) ---------------- */
/* A doorbell is a hint: on any byte the host may scan every page for
 * seq_req != seq_resp, so a lost or coalesced byte costs nothing. */
#define VTFW_DOORBELL_SMC(cpu)   (cpu)           /* 0x00..0x07: SMC pending */
#define VTFW_DOORBELL_FATAL(cpu) (0x80 | (cpu))  /* fatal report in page cpu */
#define VTFW_DOORBELL_BADBOOT    0xFF            /* bad boot info / CPU out of range */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct vtfw_bootinfo {
	uint64_t magic;
	uint64_t kernel_entry;
	uint64_t dtb;
	uint64_t mailbox;
	uint64_t ncpus;
	uint64_t flags;
};

struct vtfw_cpu_page {
	uint64_t seq_req;
	uint64_t seq_resp;
	uint64_t action;
	uint64_t smc_imm;
	uint64_t reserved0[4];
	uint64_t x_in[8];
	uint64_t x_out[8];
	uint64_t reserved1[8];
	uint64_t err_vector;
	uint64_t err_esr;
	uint64_t err_elr;
	uint64_t err_far;
	uint64_t err_spsr;
	uint64_t reserved2[3];
	uint64_t pen_go;
	uint64_t pen_entry;
	uint64_t pen_context;
	uint64_t reserved3[5];
	uint64_t pen_state;
	uint64_t mpidr;
	uint64_t reserved4[(VTFW_PAGE_SIZE - 0x190) / 8];
};

#define VTFW_CHECK(field, off) \
	_Static_assert(offsetof(struct vtfw_cpu_page, field) == (off), #field)
VTFW_CHECK(seq_req, VTFW_PG_SEQ_REQ);
VTFW_CHECK(seq_resp, VTFW_PG_SEQ_RESP);
VTFW_CHECK(action, VTFW_PG_ACTION);
VTFW_CHECK(smc_imm, VTFW_PG_SMC_IMM);
VTFW_CHECK(x_in, VTFW_PG_X_IN);
VTFW_CHECK(x_out, VTFW_PG_X_OUT);
VTFW_CHECK(err_vector, VTFW_PG_ERR_VECTOR);
VTFW_CHECK(err_esr, VTFW_PG_ERR_ESR);
VTFW_CHECK(err_elr, VTFW_PG_ERR_ELR);
VTFW_CHECK(err_far, VTFW_PG_ERR_FAR);
VTFW_CHECK(err_spsr, VTFW_PG_ERR_SPSR);
VTFW_CHECK(pen_go, VTFW_PG_PEN_GO);
VTFW_CHECK(pen_entry, VTFW_PG_PEN_ENTRY);
VTFW_CHECK(pen_context, VTFW_PG_PEN_CONTEXT);
VTFW_CHECK(pen_state, VTFW_PG_PEN_STATE);
VTFW_CHECK(mpidr, VTFW_PG_MPIDR);
#undef VTFW_CHECK
_Static_assert(sizeof(struct vtfw_cpu_page) == VTFW_PAGE_SIZE, "page size");
_Static_assert(offsetof(struct vtfw_bootinfo, magic) == VTFW_BI_MAGIC, "bi magic");
_Static_assert(offsetof(struct vtfw_bootinfo, kernel_entry) == VTFW_BI_KERNEL_ENTRY, "bi entry");
_Static_assert(offsetof(struct vtfw_bootinfo, dtb) == VTFW_BI_DTB, "bi dtb");
_Static_assert(offsetof(struct vtfw_bootinfo, mailbox) == VTFW_BI_MAILBOX, "bi mailbox");
_Static_assert(offsetof(struct vtfw_bootinfo, ncpus) == VTFW_BI_NCPUS, "bi ncpus");
_Static_assert(offsetof(struct vtfw_bootinfo, flags) == VTFW_BI_FLAGS, "bi flags");
_Static_assert(sizeof(struct vtfw_bootinfo) == VTFW_BI_SIZE, "bi size");
#endif /* !__ASSEMBLER__ */

#endif /* VTEE_BOARD_MAILBOX_H */
