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

/* Hands the report back: all of it, or SHORT_BUFFER with the size it needs. */
static TEE_Result answer(struct kat *k, uint32_t param_types, TEE_Param params[4])
{
	params[0].value.a = k->run;
	params[0].value.b = k->failed;
	if (TEE_PARAM_TYPE_GET(param_types, 1) != TEE_PARAM_TYPE_MEMREF_OUTPUT)
		return TEE_SUCCESS;
	if (params[1].memref.size < k->len) {
		params[1].memref.size = k->len;
		return TEE_ERROR_SHORT_BUFFER;
	}
	TEE_MemMove(params[1].memref.buffer, k->text, k->len);
	params[1].memref.size = k->len;
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx,
				      uint32_t cmd_id, uint32_t param_types,
				      TEE_Param params[4])
{
	const uint32_t with_report = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
						     TEE_PARAM_TYPE_MEMREF_OUTPUT,
						     TEE_PARAM_TYPE_NONE,
						     TEE_PARAM_TYPE_NONE);
	const uint32_t counts_only = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
						     TEE_PARAM_TYPE_NONE,
						     TEE_PARAM_TYPE_NONE,
						     TEE_PARAM_TYPE_NONE);
	struct kat k;
	TEE_Result res;

	if (cmd_id >= TA_CRYPTO_KAT_CMD_COUNT)
		return TEE_ERROR_NOT_SUPPORTED;
	if (param_types != with_report && param_types != counts_only)
		return TEE_ERROR_BAD_PARAMETERS;

	res = kat_begin(&k);
	if (res != TEE_SUCCESS)
		return res;
	families[cmd_id](&k);
	if (k.truncated)
		kat_check(&k, false, "report: lines left out, it outgrew %d bytes",
			  TA_CRYPTO_KAT_REPORT_MAX);
	DMSG("command %" PRIu32 ": %" PRIu32 " checks, %" PRIu32 " failed",
	     cmd_id, k.run, k.failed);
	res = answer(&k, param_types, params);
	kat_end(&k);
	return res;
}
