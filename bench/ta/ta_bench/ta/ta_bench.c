// SPDX-License-Identifier: MIT
/*
 * The benchmark TA: a null command, and SHA-256 and AES-256-GCM over what the
 * client sends, through the GP API as any TA would use it.
 */
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <ta_bench.h>

#define AES_KEY_BITS 256
#define GCM_TAG_BITS 128

struct bench_session {
	TEE_OperationHandle digest;
	TEE_OperationHandle gcm;
	TEE_ObjectHandle key;
};

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[TEE_NUM_PARAMS], void **ctx)
{
	(void)types;
	(void)params;
	struct bench_session *s = TEE_Malloc(sizeof(*s), TEE_MALLOC_FILL_ZERO);
	if (!s)
		return TEE_ERROR_OUT_OF_MEMORY;
	TEE_Result res = TEE_AllocateOperation(&s->digest, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
	if (res != TEE_SUCCESS) {
		TEE_Free(s);
		return res;
	}
	*ctx = s;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *ctx)
{
	struct bench_session *s = ctx;
	TEE_FreeOperation(s->digest);
	if (s->gcm)
		TEE_FreeOperation(s->gcm);
	if (s->key)
		TEE_FreeTransientObject(s->key);
	TEE_Free(s);
}

static TEE_Result sha256(struct bench_session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	size_t out = p[1].memref.size;
	TEE_ResetOperation(s->digest);
	TEE_Result res = TEE_DigestDoFinal(s->digest, p[0].memref.buffer, p[0].memref.size,
					   p[1].memref.buffer, &out);
	p[1].memref.size = out;
	return res;
}

static TEE_Result set_key(struct bench_session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE) ||
	    p[0].memref.size != AES_KEY_BITS / 8 || s->key)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_Attribute attr;
	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, p[0].memref.buffer, p[0].memref.size);
	TEE_Result res = TEE_AllocateTransientObject(TEE_TYPE_AES, AES_KEY_BITS, &s->key);
	if (res == TEE_SUCCESS)
		res = TEE_PopulateTransientObject(s->key, &attr, 1);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateOperation(&s->gcm, TEE_ALG_AES_GCM, TEE_MODE_ENCRYPT, AES_KEY_BITS);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(s->gcm, s->key);
	return res;
}

static TEE_Result aes_gcm(struct bench_session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	static const uint8_t nonce[12] = { 0 };
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE) ||
	    !s->gcm)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_Result res = TEE_AEInit(s->gcm, nonce, sizeof(nonce), GCM_TAG_BITS, 0, 0);
	if (res != TEE_SUCCESS)
		return res;
	size_t out = p[1].memref.size, tag = p[2].memref.size;
	res = TEE_AEEncryptFinal(s->gcm, p[0].memref.buffer, p[0].memref.size, p[1].memref.buffer, &out,
				 p[2].memref.buffer, &tag);
	p[1].memref.size = out;
	p[2].memref.size = tag;
	return res;
}

TEE_Result TA_InvokeCommandEntryPoint(void *ctx, uint32_t cmd, uint32_t types, TEE_Param params[TEE_NUM_PARAMS])
{
	switch (cmd) {
	case TA_BENCH_CMD_NULL:
		return TEE_SUCCESS;
	case TA_BENCH_CMD_SHA256:
		return sha256(ctx, types, params);
	case TA_BENCH_CMD_SET_KEY:
		return set_key(ctx, types, params);
	case TA_BENCH_CMD_AES_GCM_ENC:
		return aes_gcm(ctx, types, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
