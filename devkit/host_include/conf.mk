# vtee TA dev kit: the TEE's configuration for normal-world builds that
# include it (optee_test's xtest: `include $(TA_DEV_KIT_DIR)/host_include/conf.mk`).
# The values describe vtee's built-in TEE; conf.h holds the same as C macros.
CFG_VTEE_TA_DEV_KIT := y
CFG_TEE_TA_LOG_LEVEL ?= 1
CFG_TA_FLOAT_SUPPORT := y
CFG_CACHE_API := y
CFG_SECURE_DATA_PATH := n
CFG_TA_MBEDTLS := n
CFG_TA_MBEDTLS_MPI := n
CFG_SYSTEM_PTA := n
CFG_ATTESTATION_PTA := n
CFG_FTRACE_SUPPORT := n
CFG_TA_MCOUNT := n
CFG_TA_BTI := n
CFG_TA_PAUTH := n
CFG_MEMTAG := n
CFG_CORE_TPM_EVENT_LOG := n
CFG_TA_BGET_TEST := n
CFG_TA_DYNLINK := n
CFG_REE_FS := n
CFG_RPMB_FS := n
CFG_PKCS11_TA := n
CFG_CRYPTO_SE05X := n
CFG_TEE_BENCHMARK := n
