/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's guest-facing SMC ABI and OPTEE_MSG message format: the numbers a
 * Linux guest's drivers/tee/optee/smc_abi.c uses. All calls are SMC32: only the
 * low 32 bits of each register count.
 */
#ifndef VTEE_OPTEE_ABI_H
#define VTEE_OPTEE_ABI_H

#include <stdint.h>

/* SMCCC function-id fields */
#define SMCCC_FAST_CALL            0x80000000u
#define SMCCC_64BIT                0x40000000u
#define SMCCC_OWNER(fid)           (((fid) >> 24) & 0x3Fu)
#define SMCCC_OWNER_TRUSTED_APP    48u
#define SMCCC_OWNER_TRUSTED_OS     50u
#define SMCCC_OWNER_TRUSTED_OS_END 63u
#define SMCCC_RET_UNKNOWN_FUNCTION 0xFFFFFFFFu

/* Function ids */
#define OPTEE_SMC_CALLS_COUNT           0xBF00FF00u
#define OPTEE_SMC_CALLS_UID             0xBF00FF01u
#define OPTEE_SMC_CALLS_REVISION        0xBF00FF03u
#define OPTEE_SMC_GET_OS_UUID           0xB2000000u
#define OPTEE_SMC_GET_OS_REVISION       0xB2000001u
#define OPTEE_SMC_RETURN_FROM_RPC       0x32000003u
#define OPTEE_SMC_CALL_WITH_ARG         0x32000004u
#define OPTEE_SMC_GET_SHM_CONFIG        0xB2000007u
#define OPTEE_SMC_L2CC_MUTEX            0xB2000008u
#define OPTEE_SMC_EXCHANGE_CAPABILITIES 0xB2000009u
#define OPTEE_SMC_DISABLE_SHM_CACHE     0xB200000Au
#define OPTEE_SMC_ENABLE_SHM_CACHE      0xB200000Bu
#define OPTEE_SMC_BOOT_SECONDARY        0xB200000Cu
#define OPTEE_SMC_VM_CREATED            0xB200000Du
#define OPTEE_SMC_VM_DESTROYED          0xB200000Eu
#define OPTEE_SMC_GET_THREAD_COUNT      0xB200000Fu
#define OPTEE_SMC_ENABLE_ASYNC_NOTIF    0xB2000010u
#define OPTEE_SMC_GET_ASYNC_NOTIF_VALUE 0xB2000011u
#define OPTEE_SMC_CALL_WITH_RPC_ARG     0x32000012u
#define OPTEE_SMC_CALL_WITH_REGD_ARG    0x32000013u
#define OPTEE_SMC_GET_PROTMEM_CONFIG    0xB2000014u

/* API UID 384fb3e0-e7f8-11e3-af63-0002a5d5c51b, as four register words */
#define OPTEE_MSG_UID_0 0x384FB3E0u
#define OPTEE_MSG_UID_1 0xE7F811E3u
#define OPTEE_MSG_UID_2 0xAF630002u
#define OPTEE_MSG_UID_3 0xA5D5C51Bu
/* OS UUID 486178e0-e7f8-11e3-bc5e-0002a5d5c51b */
#define OPTEE_MSG_OS_UUID_0 0x486178E0u
#define OPTEE_MSG_OS_UUID_1 0xE7F811E3u
#define OPTEE_MSG_OS_UUID_2 0xBC5E0002u
#define OPTEE_MSG_OS_UUID_3 0xA5D5C51Bu
#define OPTEE_MSG_REVISION_MAJOR 2u
#define OPTEE_MSG_REVISION_MINOR 0u

/* Capabilities */
#define OPTEE_SMC_NSEC_CAP_UNIPROCESSOR   (1u << 0)
#define OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM (1u << 0)
#define OPTEE_SMC_SEC_CAP_UNREGISTERED_SHM  (1u << 1)
#define OPTEE_SMC_SEC_CAP_DYNAMIC_SHM       (1u << 2)
#define OPTEE_SMC_SEC_CAP_VIRTUALIZATION    (1u << 3)
#define OPTEE_SMC_SEC_CAP_MEMREF_NULL       (1u << 4)
#define OPTEE_SMC_SEC_CAP_ASYNC_NOTIF       (1u << 5)
#define OPTEE_SMC_SEC_CAP_RPC_ARG           (1u << 6)

/* a0 return codes */
#define OPTEE_SMC_RETURN_OK             0x0u
#define OPTEE_SMC_RETURN_ETHREAD_LIMIT  0x1u
#define OPTEE_SMC_RETURN_EBUSY          0x2u
#define OPTEE_SMC_RETURN_ERESUME        0x3u
#define OPTEE_SMC_RETURN_EBADADDR       0x4u
#define OPTEE_SMC_RETURN_EBADCMD        0x5u
#define OPTEE_SMC_RETURN_ENOMEM         0x6u
#define OPTEE_SMC_RETURN_ENOTAVAIL      0x7u
#define OPTEE_SMC_RETURN_UNKNOWN_FUNCTION 0xFFFFFFFFu

/* RPC requests returned in a0 */
#define OPTEE_SMC_RPC_PREFIX         0xFFFF0000u
#define OPTEE_SMC_RPC_FUNC_ALLOC     0u
#define OPTEE_SMC_RPC_FUNC_FREE      2u
#define OPTEE_SMC_RPC_FUNC_FOREIGN_INTR 4u
#define OPTEE_SMC_RPC_FUNC_CMD       5u
#define OPTEE_SMC_RETURN_IS_RPC(a0) \
	((a0) != OPTEE_SMC_RETURN_UNKNOWN_FUNCTION && ((a0) & 0xFFFF0000u) == OPTEE_SMC_RPC_PREFIX)

/* struct optee_msg_arg: 32-byte header + num_params 32-byte params */
struct optee_msg_param {
	uint64_t attr;
	union {
		struct { uint64_t buf_ptr, size, shm_ref; } tmem;
		struct { uint64_t offs, size, shm_ref; } rmem;
		struct { uint64_t a, b, c; } value;
		uint8_t octets[24];
	} u;
};

/* The 32-byte header; struct optee_msg_hdr is the same without the parameter array, for embedding. */
#define OPTEE_MSG_HDR_FIELDS \
	uint32_t cmd;        \
	uint32_t func;       \
	uint32_t session;    \
	uint32_t cancel_id;  \
	uint32_t pad;        \
	uint32_t ret;        \
	uint32_t ret_origin; \
	uint32_t num_params;

struct optee_msg_hdr {
	OPTEE_MSG_HDR_FIELDS
};

struct optee_msg_arg {
	OPTEE_MSG_HDR_FIELDS
	struct optee_msg_param params[];
};

#define OPTEE_MSG_GET_ARG_SIZE(n) (sizeof(struct optee_msg_arg) + (size_t)(n) * sizeof(struct optee_msg_param))
#define OPTEE_MSG_MAX_NUM_PARAMS  127u
#define OPTEE_MSG_NONCONTIG_PAGE_SIZE 4096u
#define OPTEE_RPC_MAX_NUM_PARAMS  4u   /* room we ask for in a trailing RPC arg */

/* Offsets of the fields vtee writes back (results only). */
#define OPTEE_MSG_OFF_SESSION     8u
#define OPTEE_MSG_OFF_RET         20u
#define OPTEE_MSG_OFF_RET_ORIGIN  24u
#define OPTEE_MSG_OFF_PARAM(i)    (32u + 32u * (uint32_t)(i))
#define OPTEE_MSG_PARAM_OFF_A     8u   /* value.a / tmem.buf_ptr / rmem.offs */
#define OPTEE_MSG_PARAM_OFF_B     16u  /* value.b / memref size */
#define OPTEE_MSG_PARAM_OFF_C     24u  /* value.c */

/* Commands */
#define OPTEE_MSG_CMD_OPEN_SESSION     0u
#define OPTEE_MSG_CMD_INVOKE_COMMAND   1u
#define OPTEE_MSG_CMD_CLOSE_SESSION    2u
#define OPTEE_MSG_CMD_CANCEL           3u
#define OPTEE_MSG_CMD_REGISTER_SHM     4u
#define OPTEE_MSG_CMD_UNREGISTER_SHM   5u
#define OPTEE_MSG_CMD_DO_BOTTOM_HALF   6u
#define OPTEE_MSG_CMD_STOP_ASYNC_NOTIF 7u

/* Parameter attributes */
#define OPTEE_MSG_ATTR_TYPE_NONE         0x0u
#define OPTEE_MSG_ATTR_TYPE_VALUE_INPUT  0x1u
#define OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT 0x2u
#define OPTEE_MSG_ATTR_TYPE_VALUE_INOUT  0x3u
#define OPTEE_MSG_ATTR_TYPE_RMEM_INPUT   0x5u
#define OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT  0x6u
#define OPTEE_MSG_ATTR_TYPE_RMEM_INOUT   0x7u
#define OPTEE_MSG_ATTR_TYPE_TMEM_INPUT   0x9u
#define OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT  0xAu
#define OPTEE_MSG_ATTR_TYPE_TMEM_INOUT   0xBu
#define OPTEE_MSG_ATTR_TYPE_MASK         0xFFu
#define OPTEE_MSG_ATTR_META              (1u << 8)
#define OPTEE_MSG_ATTR_NONCONTIG         (1u << 9)
#define OPTEE_MSG_ATTR_CACHE_SHIFT       16
#define OPTEE_MSG_ATTR_CACHE_MASK        0x7u

#define OPTEE_MSG_LOGIN_TRUSTED_APP      0xF0000000u

#endif
