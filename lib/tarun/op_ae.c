/* Authenticated encryption (AES-GCM, AES-CCM): TEE_AEInit (tag, nonce and length rules),
 * TEE_AEUpdateAAD, TEE_AEUpdate, TEE_AEEncryptFinal, TEE_AEDecryptFinal (MAC_INVALID), with
 * libutee's checks, states and output sizes. GCM streams through OpenSSL; CCM, which libutee
 * buffers by blocks, runs on op_ccm.c. */
#include "crypto_int.h"
#include "op_ae.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct ae_eng {
	EVP_CIPHER_CTX *gcm;
	struct ccm_state *ccm;
	size_t tag_len;
	bool enc;
};

static void eng_release(struct ae_eng *e)
{
	if (!e)
		return;
	EVP_CIPHER_CTX_free(e->gcm);
	ccm_release(e->ccm);
	free(e);
}

void ae_free(TEE_OperationHandle op)
{
	if (op->info.operationClass != TEE_OPERATION_AE)
		return;
	eng_release(op->eng);
	op->eng = NULL;
}

TEE_Result ae_copy(TEE_OperationHandle dst, TEE_OperationHandle src)
{
	const struct ae_eng *s = src->eng;
	struct ae_eng *d;
	TEE_Result res = TEE_SUCCESS;

	ae_free(dst);
	if (!s)
		return TEE_SUCCESS;
	d = calloc(1, sizeof(*d));
	if (!d)
		return TEE_ERROR_OUT_OF_MEMORY;
	d->tag_len = s->tag_len;
	d->enc = s->enc;
	dst->eng = d;
	if (s->ccm)
		res = ccm_dup(&d->ccm, s->ccm);
	if (s->gcm && (!(d->gcm = EVP_CIPHER_CTX_new()) ||
		       EVP_CIPHER_CTX_copy(d->gcm, s->gcm) != 1))
		res = TEE_ERROR_OUT_OF_MEMORY;
	return res;
}

static TEE_Result gcm_start(struct ae_eng *e, const struct obj_attr *key, const void *nonce,
			    size_t nonce_len)
{
	const char *name = aes_cipher_name("GCM", key->len);
	EVP_CIPHER *c;
	bool ok;

	if (!name || !nonce_len || nonce_len > INT32_MAX)
		return TEE_ERROR_BAD_STATE;
	c = evp_cipher_fetch(name);
	e->gcm = EVP_CIPHER_CTX_new();
	ok = c && e->gcm && EVP_CipherInit_ex2(e->gcm, c, NULL, NULL, e->enc, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(e->gcm, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) == 1 &&
	     EVP_CipherInit_ex2(e->gcm, NULL, key->buf, nonce, e->enc, NULL) == 1;
	EVP_CIPHER_free(c);
	return ok ? TEE_SUCCESS : TEE_ERROR_BAD_STATE;
}

/* OP-TEE's core init: the key must be set; CCM checks its tag and nonce lengths. */
static TEE_Result eng_init(TEE_OperationHandle op, const void *nonce, size_t nonce_len,
			   size_t tag_len, size_t aad_len, size_t payload_len)
{
	const struct obj_attr *key = obj_attr_get(op->key1, TEE_ATTR_SECRET_VALUE);
	struct ae_eng *e;

	if (!key || !(op->key1->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED))
		return TEE_ERROR_BAD_PARAMETERS;
	ae_free(op);
	e = calloc(1, sizeof(*e));
	if (!e)
		return TEE_ERROR_OUT_OF_MEMORY;
	op->eng = e;
	e->enc = op->info.mode == TEE_MODE_ENCRYPT;
	e->tag_len = tag_len;
	if (op->ai->main == MAIN_GCM)
		return gcm_start(e, key, nonce, nonce_len);
	return ccm_start(&e->ccm, key->buf, key->len, nonce, nonce_len, tag_len, aad_len,
			 payload_len, e->enc);
}

static TEE_Result eng_payload(TEE_OperationHandle op, const uint8_t *in, size_t len,
			      uint8_t *out)
{
	struct ae_eng *e = op->eng;

	if (e->ccm)
		return ccm_payload(e->ccm, in, len, out);
	while (len) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;
		int outl = 0;

		if (EVP_CipherUpdate(e->gcm, out, &outl, in, n) != 1 || outl != n)
			return TEE_ERROR_BAD_STATE;
		in += n;
		out += n;
		len -= (size_t)n;
	}
	return TEE_SUCCESS;
}

static TEE_Result eng_aad(TEE_OperationHandle op, const uint8_t *aad, size_t len)
{
	struct ae_eng *e = op->eng;
	int outl = 0;

	if (e->ccm)
		return ccm_aad(e->ccm, aad, len);
	if (len > INT32_MAX)
		return TEE_ERROR_BAD_STATE;
	return !len || EVP_CipherUpdate(e->gcm, NULL, &outl, aad, (int)len) == 1 ?
		       TEE_SUCCESS : TEE_ERROR_BAD_STATE;
}

/* The tag of everything so far (encryption), tag_len bytes. */
static TEE_Result eng_tag(struct ae_eng *e, uint8_t *tag)
{
	uint8_t tmp[16];
	size_t tl = 0;
	int outl = 0;

	if (e->ccm)
		return ccm_tag(e->ccm, tag, &tl);
	if (EVP_CipherFinal_ex(e->gcm, tmp, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(e->gcm, EVP_CTRL_GCM_GET_TAG, (int)e->tag_len, tag) != 1)
		return TEE_ERROR_BAD_STATE;
	return TEE_SUCCESS;
}

/* Compares tag_len bytes of the computed tag with the TA's, as OP-TEE's core does. */
static TEE_Result eng_check_tag(struct ae_eng *e, const uint8_t *tag, size_t tag_len)
{
	uint8_t mine[16], tmp[16];
	size_t tl = 0;
	int outl = 0;
	TEE_Result res;

	if (!tag_len)
		return TEE_ERROR_SHORT_BUFFER;
	if (tag_len > 16)
		return TEE_ERROR_BAD_STATE;
	if (e->gcm) {
		memcpy(tmp, tag, tag_len);
		if (EVP_CIPHER_CTX_ctrl(e->gcm, EVP_CTRL_GCM_SET_TAG, (int)tag_len, tmp) != 1)
			return TEE_ERROR_BAD_STATE;
		return EVP_CipherFinal_ex(e->gcm, tmp, &outl) == 1 ? TEE_SUCCESS :
								     TEE_ERROR_MAC_INVALID;
	}
	memset(mine, 0, sizeof(mine));
	res = ccm_tag(e->ccm, mine, &tl);
	if (!res && ct_compare(mine, tag, tag_len))
		res = TEE_ERROR_MAC_INVALID;
	OPENSSL_cleanse(mine, sizeof(mine));
	return res;
}

TEE_Result TEE_AEInit(TEE_OperationHandle operation, const void *nonce, size_t nonceLen,
		      uint32_t tagLen, size_t AADLen, size_t payloadLen)
{
	TEE_OperationHandle op = op_checked(operation);
	TEE_Result res;

	PANIC_UNLESS(nonce, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_AE &&
		     op->state == TEE_OPERATION_STATE_INITIAL, TEE_ERROR_BAD_PARAMETERS);
	/* GP: a GCM tag is 96, 104, 112, 120 or 128 bits */
	if (op->ai->main == MAIN_GCM && (tagLen < 96 || tagLen > 128 || tagLen % 8))
		return TEE_ERROR_NOT_SUPPORTED;
	res = eng_init(op, nonce, nonceLen, tagLen / 8, AADLen, payloadLen);
	if (res) {
		ae_free(op);
		ALLOW_ONLY(res, TEE_ERROR_NOT_SUPPORTED);
		return res;
	}
	op->info.digestLength = tagLen / 8;
	op->buf_offs = 0;
	op->info.handleState |= TEE_HANDLE_FLAG_INITIALIZED;
	return TEE_SUCCESS;
}

static TEE_OperationHandle ae_op(TEE_OperationHandle operation, const void *data, size_t len)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(data || !len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_AE &&
		     (op->info.handleState & TEE_HANDLE_FLAG_INITIALIZED),
		     TEE_ERROR_BAD_PARAMETERS);
	return op;
}

void ae_update_aad(TEE_OperationHandle op, const void *data, size_t len)
{
	TEE_Result res = eng_aad(op, data, len);

	if (res)
		tarun_panic(res);
}

void TEE_AEUpdateAAD(TEE_OperationHandle operation, const void *AADdata, size_t AADdataLen)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(AADdata || !AADdataLen, 0);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_AE, 0);
	PANIC_UNLESS(op->state == TEE_OPERATION_STATE_INITIAL, 0);
	ae_op(op, AADdata, AADdataLen);
	ae_update_aad(op, AADdata, AADdataLen);
}

TEE_Result ae_update(TEE_OperationHandle op, const void *src, size_t len, void *dst,
		     size_t *dlen)
{
	size_t need;

	if (!src && !len) {
		*dlen = 0;
		return TEE_SUCCESS;
	}
	need = op_buffer_out_len(op, len);
	if (*dlen < need) {
		*dlen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS(dst || !need, TEE_ERROR_BAD_PARAMETERS);
	if (op->ai->block_size > 1) {
		*dlen = op_buffer_feed(op, eng_payload, src, len, dst);
	} else {
		TEE_Result res = eng_payload(op, src, len, dst);

		if (res)
			tarun_panic(res);
		*dlen = len;
	}
	return TEE_SUCCESS;
}

TEE_Result TEE_AEUpdate(TEE_OperationHandle operation, const void *srcData, size_t srcLen,
			void *destData, size_t *destLen)
{
	TEE_OperationHandle op = ae_op(operation, srcData, srcLen);
	TEE_Result res;

	PANIC_UNLESS(destLen, TEE_ERROR_BAD_PARAMETERS);
	res = ae_update(op, srcData, srcLen, destData, destLen);
	if (res != TEE_ERROR_SHORT_BUFFER && srcLen)
		op->state = TEE_OPERATION_STATE_ACTIVE;
	return res;
}

/* What is buffered plus `src`, through the payload: the final piece of both directions. */
static size_t ae_last_payload(TEE_OperationHandle op, const void *src, size_t len,
			      uint8_t *dst)
{
	size_t done = 0;
	TEE_Result res;

	if (op->ai->block_size > 1) {
		if (len)
			done = op_buffer_feed(op, eng_payload, src, len, dst);
		res = eng_payload(op, op->buf, op->buf_offs, dst ? dst + done : NULL);
		done += op->buf_offs;
		op->buf_offs = 0;
	} else {
		res = eng_payload(op, src, len, dst);
		done = len;
	}
	if (res)
		tarun_panic(res);
	return done;
}

static void ae_finished(TEE_OperationHandle op)
{
	op->info.handleState &= ~TEE_HANDLE_FLAG_INITIALIZED;
	op->state = TEE_OPERATION_STATE_INITIAL;
}

TEE_Result TEE_AEEncryptFinal(TEE_OperationHandle operation, const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag, size_t *tagLen)
{
	TEE_OperationHandle op = ae_op(operation, srcData, srcLen);
	size_t need = op->buf_offs + srcLen;
	TEE_Result res = TEE_SUCCESS;

	PANIC_UNLESS(destLen && tagLen, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(((struct ae_eng *)op->eng)->enc, TEE_ERROR_BAD_PARAMETERS);
	if (*destLen < need) {
		*destLen = need;
		res = TEE_ERROR_SHORT_BUFFER;
	}
	if (*tagLen < op->info.digestLength) {
		*tagLen = op->info.digestLength;
		res = TEE_ERROR_SHORT_BUFFER;
	}
	if (res)
		return res;
	PANIC_UNLESS((destData || !need) && (tag || !op->info.digestLength),
		     TEE_ERROR_BAD_PARAMETERS);
	*destLen = ae_last_payload(op, srcData, srcLen, destData);
	res = eng_tag(op->eng, tag);
	if (res)
		tarun_panic(res);
	*tagLen = op->info.digestLength;
	ae_finished(op);
	return TEE_SUCCESS;
}

TEE_Result TEE_AEDecryptFinal(TEE_OperationHandle operation, const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag, size_t tagLen)
{
	TEE_OperationHandle op = ae_op(operation, srcData, srcLen);
	size_t need = op->buf_offs + srcLen;
	size_t done;
	TEE_Result res;

	PANIC_UNLESS(destLen, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(!((struct ae_eng *)op->eng)->enc, TEE_ERROR_BAD_PARAMETERS);
	if (*destLen < need) {
		*destLen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS((destData || !need) && (tag || !tagLen), TEE_ERROR_BAD_PARAMETERS);
	done = ae_last_payload(op, srcData, srcLen, destData);
	res = eng_check_tag(op->eng, tag, tagLen);
	if (res == TEE_ERROR_SHORT_BUFFER)
		return res; /* OP-TEE: an empty tag, the output size untold */
	ALLOW_ONLY(res, TEE_ERROR_MAC_INVALID);
	/* the tag must also be as long as announced at init */
	if (tagLen != op->info.digestLength)
		res = TEE_ERROR_MAC_INVALID;
	*destLen = done;
	ae_finished(op);
	return res;
}
