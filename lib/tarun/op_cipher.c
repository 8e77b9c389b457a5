/* Symmetric ciphers (AES ECB/CBC NOPAD, CTR, CTS, XTS): TEE_CipherInit, TEE_CipherUpdate and
 * TEE_CipherDoFinal, with libutee's checks, its block buffering (op_buffer.c) and its output
 * sizes: the size needed is written back with TEE_ERROR_SHORT_BUFFER before any data is
 * consumed, so the TA can retry. */
#include "crypto_int.h"
#include "op_cipher.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static struct cipher_eng *eng_of(TEE_OperationHandle op)
{
	return op->eng;
}

static void eng_release(struct cipher_eng *e)
{
	if (!e)
		return;
	EVP_CIPHER_CTX_free(e->ctx);
	EVP_CIPHER_CTX_free(e->ecb);
	OPENSSL_clear_free(e, sizeof(*e));
}

void cipher_free(TEE_OperationHandle op)
{
	if (op->info.operationClass != TEE_OPERATION_CIPHER)
		return;
	eng_release(op->eng);
	op->eng = NULL;
}

static EVP_CIPHER_CTX *ctx_dup(const EVP_CIPHER_CTX *src, bool *ok)
{
	EVP_CIPHER_CTX *c;

	if (!src)
		return NULL;
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_CIPHER_CTX_copy(c, src) != 1) {
		EVP_CIPHER_CTX_free(c);
		*ok = false;
		return NULL;
	}
	return c;
}

TEE_Result cipher_copy(TEE_OperationHandle dst, TEE_OperationHandle src)
{
	const struct cipher_eng *s = src->eng;
	struct cipher_eng *d = NULL;
	bool ok = true;

	cipher_free(dst);
	if (!s)
		return TEE_SUCCESS;
	d = calloc(1, sizeof(*d));
	if (!d)
		return TEE_ERROR_OUT_OF_MEMORY;
	*d = (struct cipher_eng){ .enc = s->enc };
	memcpy(d->tweak, s->tweak, sizeof(d->tweak));
	d->ctx = ctx_dup(s->ctx, &ok);
	d->ecb = ctx_dup(s->ecb, &ok);
	dst->eng = d;
	return ok ? TEE_SUCCESS : TEE_ERROR_OUT_OF_MEMORY;
}

/* OP-TEE's core cipher init: AES keys of 16/24/32 bytes, a 16-byte IV for all but ECB. */
static TEE_Result eng_init(TEE_OperationHandle op, const uint8_t *iv, size_t iv_len)
{
	const struct obj_attr *k1 = obj_attr_get(op->key1, TEE_ATTR_SECRET_VALUE);
	bool enc = op->info.mode == TEE_MODE_ENCRYPT;
	struct cipher_eng *e;
	TEE_Result res = TEE_SUCCESS;

	if (!k1 || !(op->key1->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED))
		return TEE_ERROR_BAD_PARAMETERS;
	if (op->ai->main != MAIN_ECB && (!iv || iv_len != TARUN_AES_BLOCK))
		return TEE_ERROR_BAD_PARAMETERS;
	cipher_free(op);
	e = calloc(1, sizeof(*e));
	if (!e)
		return TEE_ERROR_OUT_OF_MEMORY;
	op->eng = e;
	e->enc = enc;
	switch (op->ai->main) {
	case MAIN_ECB:
		e->ctx = aes_ctx_new("ECB", k1->buf, k1->len, NULL, enc);
		break;
	case MAIN_CBC:
		e->ctx = aes_ctx_new("CBC", k1->buf, k1->len, iv, enc);
		break;
	case MAIN_CTR:
		e->ctx = aes_ctx_new("CTR", k1->buf, k1->len, iv, true);
		break;
	case MAIN_CTS:
		e->ctx = aes_ctx_new("CBC", k1->buf, k1->len, iv, enc);
		e->ecb = aes_ctx_new("ECB", k1->buf, k1->len, NULL, enc);
		break;
	case MAIN_XTS: {
		const struct obj_attr *k2 = obj_attr_get(op->key2, TEE_ATTR_SECRET_VALUE);

		e->ctx = aes_ctx_new("ECB", k1->buf, k1->len, NULL, enc);
		res = k2 ? xts_start(e, k2->buf, k2->len, iv) : TEE_ERROR_BAD_PARAMETERS;
		break;
	}
	default:
		return TEE_ERROR_BAD_STATE;
	}
	if (!res && (!e->ctx || (op->ai->main == MAIN_CTS && !e->ecb)))
		res = TEE_ERROR_BAD_PARAMETERS;
	return res;
}

/* Whole blocks (any length for CTR) through the mode, as a non-final update. */
static TEE_Result eng_update(TEE_OperationHandle op, const uint8_t *in, size_t len,
			     uint8_t *out)
{
	struct cipher_eng *e = eng_of(op);

	if (op->ai->main == MAIN_XTS)
		return xts_blocks(e, in, len, out);
	return aes_run(e->ctx, in, len, out);
}

/* The last piece: CTS and XTS steal ciphertext, the others just run it. */
static TEE_Result eng_final(TEE_OperationHandle op, const uint8_t *in, size_t len,
			    uint8_t *out)
{
	struct cipher_eng *e = eng_of(op);

	if (op->ai->main == MAIN_CTS)
		return cts_final(e, in, len, out);
	if (op->ai->main == MAIN_XTS)
		return xts_final(e, in, len, out);
	return aes_run(e->ctx, in, len, out);
}

void TEE_CipherInit(TEE_OperationHandle operation, const void *IV, size_t IVLen)
{
	TEE_OperationHandle op = op_checked(operation);
	TEE_Result res;

	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_CIPHER, 0);
	PANIC_UNLESS((op->info.handleState & TEE_HANDLE_FLAG_KEY_SET) && op->key1, 0);
	if (op->state != TEE_OPERATION_STATE_INITIAL)
		TEE_ResetOperation(op);
	PANIC_UNLESS(!(IV && IVLen && op->ai->main == MAIN_ECB), 0);
	op->state = TEE_OPERATION_STATE_ACTIVE;
	res = eng_init(op, IV, IVLen);
	if (res)
		tarun_panic(res);
	op->buf_offs = 0;
	op->info.handleState |= TEE_HANDLE_FLAG_INITIALIZED;
}

/* The checks TEE_CipherUpdate and TEE_CipherDoFinal share: all panic. */
static TEE_OperationHandle active_cipher(TEE_OperationHandle operation, const void *src,
					 size_t len)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(src || !len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_CIPHER &&
		     (op->info.handleState & TEE_HANDLE_FLAG_INITIALIZED) &&
		     op->state == TEE_OPERATION_STATE_ACTIVE, TEE_ERROR_BAD_PARAMETERS);
	return op;
}

TEE_Result TEE_CipherUpdate(TEE_OperationHandle operation, const void *srcData, size_t srcLen,
			    void *destData, size_t *destLen)
{
	TEE_OperationHandle op = active_cipher(operation, srcData, srcLen);
	size_t need;

	PANIC_UNLESS(destLen, TEE_ERROR_BAD_PARAMETERS);
	if (!srcData && !srcLen) {
		*destLen = 0;
		return TEE_SUCCESS;
	}
	need = op_buffer_out_len(op, srcLen);
	if (*destLen < need) {
		*destLen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS(destData || !need, TEE_ERROR_BAD_PARAMETERS);
	if (op->ai->block_size > 1) {
		*destLen = op_buffer_feed(op, eng_update, srcData, srcLen, destData);
	} else {
		TEE_Result res = eng_update(op, srcData, srcLen, destData);

		if (res)
			tarun_panic(res);
		*destLen = srcLen;
	}
	return TEE_SUCCESS;
}

TEE_Result TEE_CipherDoFinal(TEE_OperationHandle operation, const void *srcData, size_t srcLen,
			     void *destData, size_t *destLen)
{
	TEE_OperationHandle op = active_cipher(operation, srcData, srcLen);
	size_t bs = op->ai->block_size;
	size_t need = bs > 1 ? op->buf_offs + srcLen : srcLen;
	size_t room = destLen ? *destLen : 0;
	uint8_t *dst = destData;
	size_t done = 0;
	TEE_Result res;

	/* NOPAD modes: the TA pads */
	if (op->ai->main == MAIN_ECB || op->ai->main == MAIN_CBC)
		PANIC_UNLESS((op->buf_offs + srcLen) % bs == 0, TEE_ERROR_BAD_PARAMETERS);
	if (room < need) {
		if (destLen)
			*destLen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS(dst || !need, TEE_ERROR_BAD_PARAMETERS);
	if (bs > 1) {
		if (srcLen)
			done = op_buffer_feed(op, eng_update, srcData, srcLen, dst);
		res = eng_final(op, op->buf, op->buf_offs, dst ? dst + done : NULL);
		done += op->buf_offs;
	} else {
		res = eng_final(op, srcData, srcLen, dst);
		done = srcLen;
	}
	if (res)
		tarun_panic(res);
	if (destLen)
		*destLen = done;
	op->buf_offs = 0;
	op->info.handleState &= ~TEE_HANDLE_FLAG_INITIALIZED;
	op->state = TEE_OPERATION_STATE_INITIAL;
	return TEE_SUCCESS;
}
