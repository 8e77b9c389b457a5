/* Message digests (SHA-1/224/256/384/512): update, final with SHORT_BUFFER and the size
 * written back, and extraction in pieces (the whole digest is kept in the operation's buffer,
 * as libutee keeps it). */
#include "crypto_int.h"

#include <string.h>

TEE_Result digest_setup(TEE_OperationHandle op)
{
	const EVP_MD *md = evp_md_for(op->ai->hash);

	op->md = EVP_MD_CTX_new();
	if (!op->md)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (!md || EVP_DigestInit_ex(op->md, md, NULL) != 1)
		return TEE_ERROR_NOT_SUPPORTED;
	return TEE_SUCCESS;
}

static TEE_OperationHandle digest_op(TEE_OperationHandle op)
{
	op_checked(op);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_DIGEST, TEE_ERROR_BAD_PARAMETERS);
	return op;
}

static void digest_feed(TEE_OperationHandle op, const void *chunk, size_t len)
{
	PANIC_UNLESS(chunk || !len, TEE_ERROR_BAD_PARAMETERS);
	if (len)
		PANIC_UNLESS(EVP_DigestUpdate(op->md, chunk, len) == 1, TEE_ERROR_GENERIC);
}

void TEE_DigestUpdate(TEE_OperationHandle operation, const void *chunk, size_t chunkSize)
{
	TEE_OperationHandle op = digest_op(operation);

	/* the digest was already finalised for extraction */
	PANIC_UNLESS(op->state != TEE_OPERATION_STATE_EXTRACTING, TEE_ERROR_BAD_STATE);
	op->state = TEE_OPERATION_STATE_ACTIVE;
	digest_feed(op, chunk, chunkSize);
}

/* Back to a fresh digest, as after a final. */
static void digest_rearm(TEE_OperationHandle op)
{
	PANIC_UNLESS(EVP_DigestInit_ex(op->md, NULL, NULL) == 1, TEE_ERROR_GENERIC);
	op->buf_offs = 0;
	op->info.handleState |= TEE_HANDLE_FLAG_INITIALIZED;
	op->state = TEE_OPERATION_STATE_INITIAL;
}

TEE_Result TEE_DigestDoFinal(TEE_OperationHandle operation, const void *chunk, size_t chunkLen,
			     void *hash, size_t *hashLen)
{
	TEE_OperationHandle op = digest_op(operation);
	size_t need = op->info.digestLength;
	unsigned int out = 0;

	PANIC_UNLESS(chunk || !chunkLen, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(hashLen, TEE_ERROR_BAD_PARAMETERS);
	if (op->state == TEE_OPERATION_STATE_EXTRACTING) {
		size_t len = need - op->buf_offs;

		PANIC_UNLESS(!chunkLen, TEE_ERROR_BAD_PARAMETERS);
		if (len > *hashLen)
			len = *hashLen;
		PANIC_UNLESS(hash || !len, TEE_ERROR_BAD_PARAMETERS);
		if (len)
			memcpy(hash, op->buf + op->buf_offs, len);
		*hashLen = len;
		digest_rearm(op);
		return TEE_SUCCESS;
	}
	if (*hashLen < need) {
		*hashLen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS(hash, TEE_ERROR_BAD_PARAMETERS);
	digest_feed(op, chunk, chunkLen);
	PANIC_UNLESS(EVP_DigestFinal_ex(op->md, hash, &out) == 1 && out == need,
		     TEE_ERROR_GENERIC);
	*hashLen = need;
	digest_rearm(op);
	return TEE_SUCCESS;
}

TEE_Result TEE_DigestExtract(TEE_OperationHandle operation, void *hash, size_t *hashLen)
{
	TEE_OperationHandle op = digest_op(operation);
	size_t need = op->info.digestLength;
	unsigned int out = 0;
	size_t len;

	PANIC_UNLESS(hashLen, TEE_ERROR_BAD_PARAMETERS);
	if (op->state != TEE_OPERATION_STATE_EXTRACTING) {
		PANIC_UNLESS(EVP_DigestFinal_ex(op->md, op->buf, &out) == 1 && out == need, 0);
		op->buf_offs = 0;
		op->info.handleState |= TEE_HANDLE_FLAG_EXTRACTING;
		op->state = TEE_OPERATION_STATE_EXTRACTING;
	}
	len = need - op->buf_offs;
	if (len > *hashLen)
		len = *hashLen;
	PANIC_UNLESS(hash || !len, TEE_ERROR_BAD_PARAMETERS);
	if (len)
		memcpy(hash, op->buf + op->buf_offs, len);
	*hashLen = len;
	op->buf_offs += len;
	return TEE_SUCCESS;
}
