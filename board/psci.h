/* SPDX-License-Identifier: MIT */
/*
 * SMCCC and PSCI numbers the emulated board answers (Arm DEN0028 SMCCC,
 * DEN0022 PSCI). Values only; board/host.c serves them.
 */
#ifndef VTEE_BOARD_PSCI_H
#define VTEE_BOARD_PSCI_H

/* Function-id fields */
#define SMCCC_FAST_FLAG            0x80000000u
#define SMCCC_64BIT_FLAG           0x40000000u
#define SMCCC_OWNER_OF(fid)        (((fid) >> 24) & 0x3Fu)
#define SMCCC_OWNER_ARCH           0u
#define SMCCC_OWNER_PSCI_STD       4u   /* standard secure services: PSCI is 0x00..0x1F */

/* Arm architecture calls (owner 0) */
#define SMCCC_FN_VERSION           0x80000000u
#define SMCCC_FN_ARCH_FEATURES     0x80000001u
#define SMCCC_VERSION_1_1          0x10001

/* PSCI function ids (32-bit ids 0x84.., 64-bit variants 0xC4..) */
#define PSCI_0_2_FN_PSCI_VERSION      0x84000000u
#define PSCI_0_2_FN_CPU_SUSPEND       0x84000001u
#define PSCI_0_2_FN_CPU_OFF           0x84000002u
#define PSCI_0_2_FN_CPU_ON            0x84000003u
#define PSCI_0_2_FN_AFFINITY_INFO     0x84000004u
#define PSCI_0_2_FN_MIGRATE           0x84000005u
#define PSCI_0_2_FN_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_0_2_FN_SYSTEM_OFF        0x84000008u
#define PSCI_0_2_FN_SYSTEM_RESET      0x84000009u
#define PSCI_1_0_FN_PSCI_FEATURES     0x8400000Au
#define PSCI_0_2_FN64_CPU_SUSPEND     0xC4000001u
#define PSCI_0_2_FN64_CPU_ON          0xC4000003u
#define PSCI_0_2_FN64_AFFINITY_INFO   0xC4000004u
#define PSCI_FN_LAST                  0x1Fu  /* function numbers 0x00..0x1F belong to PSCI */

#define PSCI_VERSION_1_0           0x10000
/* MIGRATE_INFO_TYPE: a Trusted OS is not present or needs no migration */
#define PSCI_TOS_NOT_PRESENT_MP    2

/* Return codes (sign-extended into x0) */
#define PSCI_RET_SUCCESS           0
#define PSCI_RET_NOT_SUPPORTED     (-1)
#define PSCI_RET_INVALID_PARAMS    (-2)
#define PSCI_RET_DENIED            (-3)
#define PSCI_RET_ALREADY_ON        (-4)
#define PSCI_RET_ON_PENDING        (-5)
#define PSCI_RET_INTERNAL_FAILURE  (-6)

/* AFFINITY_INFO answers */
#define PSCI_AFFINITY_ON           0
#define PSCI_AFFINITY_OFF          1
#define PSCI_AFFINITY_ON_PENDING   2

#endif
