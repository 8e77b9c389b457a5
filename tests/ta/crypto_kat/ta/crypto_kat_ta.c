// SPDX-License-Identifier: MIT
/*
 * crypto_kat: the entry points, and one command per known-answer family
 * (include/crypto_kat_ta.h says what a command answers).
 */
#include <inttypes.h>
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <crypto_kat_ta.h>
#include "kat.h"

static void (*const families[TA_CRYPTO_KAT_CMD_COUNT])(struct kat *k) = {
	[TA_CRYPTO_KAT_CMD_DIGEST] = kat_run_digest,
	[TA_CRYPTO_KAT_CMD_HMAC] = kat_run_hmac,
	[TA_CRYPTO_KAT_CMD_CMAC] = kat_run_cmac,
	[TA_CRYPTO_KAT_CMD_CBC_MAC] = kat_run_cbc_mac,
	[TA_CRYPTO_KAT_CMD_AES] = kat_run_aes,
	[TA_CRYPTO_KAT_CMD_AES_CTS] = kat_run_aes_cts,
	[TA_CRYPTO_KAT_CMD_AES_XTS] = kat_run_aes_xts,
	[TA_CRYPTO_KAT_CMD_AES_GCM] = kat_run_aes_gcm,
	[TA_CRYPTO_KAT_CMD_AES_CCM] = kat_run_aes_ccm,
	[TA_CRYPTO_KAT_CMD_RSA_SIGN] = kat_run_rsa_sign,
	[TA_CRYPTO_KAT_CMD_RSA_CIPHER] = kat_run_rsa_cipher,
	[TA_CRYPTO_KAT_CMD_ECDSA] = kat_run_ecdsa,
	[TA_CRYPTO_KAT_CMD_ED25519] = kat_run_ed25519,
	[TA_CRYPTO_KAT_CMD_ECDH] = kat_run_ecdh,
	[TA_CRYPTO_KAT_CMD_X25519] = kat_run_x25519,
	[TA_CRYPTO_KAT_CMD_KEYGEN] = kat_run_keygen,
	[TA_CRYPTO_KAT_CMD_RANDOM] = kat_run_random,
	[TA_CRYPTO_KAT_CMD_ERRORS] = kat_run_errors,
};

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types,
				    TEE_Param __maybe_unused params[4],
				    void __maybe_unused **sess_ctx)
{
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx,
				      uint32_t cmd_id, uint32_t param_types,
				      TEE_Param params[4])
{
	struct kat k;
	TEE_Result res;

	if (cmd_id >= TA_CRYPTO_KAT_CMD_COUNT)
		return TEE_ERROR_NOT_SUPPORTED;
	if (!report_params_ok(param_types) ||
	    TEE_PARAM_TYPE_GET(param_types, 2) != TEE_PARAM_TYPE_NONE ||
	    TEE_PARAM_TYPE_GET(param_types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;

	res = kat_begin(&k);
	if (res != TEE_SUCCESS)
		return res;
	families[cmd_id](&k);
	DMSG("command %" PRIu32 ": %" PRIu32 " checks, %" PRIu32 " failed",
	     cmd_id, k.r.run, k.r.failed);
	res = report_answer(&k.r, param_types, params);
	kat_end(&k);
	return res;
}
