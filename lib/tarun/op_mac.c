/* MACs: HMAC-SHA1..512 and AES-CMAC through OpenSSL's EVP_MAC, AES-CBC-MAC (no padding, or
 * PKCS#5 padding) on AES-CBC with a zero IV. TEE_MACInit, TEE_MACUpdate,
 * TEE_MACComputeFinal (SHORT_BUFFER with the MAC size, nothing consumed) and
 * TEE_MACCompareFinal (TEE_ERROR_MAC_INVALID), with libutee's checks. */
#include "crypto_int.h"
#include "op_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BS TARUN_AES_BLOCK

struct mac_eng {
	EVP_MAC_CTX *mac;    /* HMAC, CMAC */
	EVP_CIPHER_CTX *cbc; /* CBC-MAC */
	uint8_t last[BS];    /* CBC-MAC: the chaining value */
	uint8_t part[BS];    /* CBC-MAC: a block not yet complete */
	size_t part_len;
};

static EVP_MAC *hmac_alg, *cmac_alg;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_macs(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	cmac_alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

static void eng_release(struct mac_eng *e)
{
	if (!e)
		return;
	EVP_MAC_CTX_free(e->mac);
	EVP_CIPHER_CTX_free(e->cbc);
	OPENSSL_clear_free(e, sizeof(*e));
}

void mac_free(TEE_OperationHandle op)
{
	if (op->info.operationClass != TEE_OPERATION_MAC)
		return;
	eng_release(op->eng);
	op->eng = NULL;
}

TEE_Result mac_copy(TEE_OperationHandle dst, TEE_OperationHandle src)
{
	const struct mac_eng *s = src->eng;
	struct mac_eng *d;

	mac_free(dst);
	if (!s)
		return TEE_SUCCESS;
	d = calloc(1, sizeof(*d));
	if (!d)
		return TEE_ERROR_OUT_OF_MEMORY;
	memcpy(d->last, s->last, BS);
	memcpy(d->part, s->part, BS);
	d->part_len = s->part_len;
	dst->eng = d;
	if (s->mac && !(d->mac = EVP_MAC_CTX_dup(s->mac)))
		return TEE_ERROR_OUT_OF_MEMORY;
	if (s->cbc && (!(d->cbc = EVP_CIPHER_CTX_new()) ||
		       EVP_CIPHER_CTX_copy(d->cbc, s->cbc) != 1))
		return TEE_ERROR_OUT_OF_MEMORY;
	return TEE_SUCCESS;
}

static TEE_Result evp_mac_start(struct mac_eng *e, TEE_OperationHandle op,
				const struct obj_attr *key)
{
	OSSL_PARAM params[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

	pthread_once(&fetch_once, fetch_macs);
	if (op->ai->main == MAIN_HMAC) {
		const EVP_MD *md = evp_md_for(op->ai->hash);

		if (!md || !hmac_alg)
			return TEE_ERROR_NOT_SUPPORTED;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)EVP_MD_get0_name(md), 0);
		e->mac = EVP_MAC_CTX_new(hmac_alg);
	} else {
		const char *cbc = aes_cipher_name("CBC", key->len);

		if (!cbc || !cmac_alg)
			return TEE_ERROR_BAD_PARAMETERS;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cbc, 0);
		e->mac = EVP_MAC_CTX_new(cmac_alg);
	}
	return e->mac && EVP_MAC_init(e->mac, key->buf, key->len, params) == 1 ?
		       TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}

static TEE_Result eng_init(TEE_OperationHandle op)
{
	const struct obj_attr *key = obj_attr_get(op->key1, TEE_ATTR_SECRET_VALUE);
	static const uint8_t zero_iv[BS];
	struct mac_eng *e;

	if (!key || !(op->key1->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED))
		return TEE_ERROR_BAD_PARAMETERS;
	mac_free(op);
	e = calloc(1, sizeof(*e));
	if (!e)
		return TEE_ERROR_OUT_OF_MEMORY;
	op->eng = e;
	if (op->ai->main != MAIN_CBC_MAC)
		return evp_mac_start(e, op, key);
	e->cbc = aes_ctx_new("CBC", key->buf, key->len, zero_iv, true);
	return e->cbc ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}

/* CBC-MAC over whole blocks; the chaining value is the last cipher block. */
static TEE_Result cbc_blocks(struct mac_eng *e, const uint8_t *p, size_t len)
{
	uint8_t scratch[1024];

	while (len) {
		size_t n = len > sizeof(scratch) ? sizeof(scratch) : len;
		TEE_Result res = aes_run(e->cbc, p, n, scratch);

		if (res)
			return res;
		memcpy(e->last, scratch + n - BS, BS);
		p += n;
		len -= n;
	}
	return TEE_SUCCESS;
}

static TEE_Result cbc_update(struct mac_eng *e, const uint8_t *p, size_t len)
{
	TEE_Result res = TEE_SUCCESS;
	size_t whole;

	if (e->part_len) {
		size_t n = BS - e->part_len < len ? BS - e->part_len : len;

		memcpy(e->part + e->part_len, p, n);
		e->part_len += n;
		p += n;
		len -= n;
		if (e->part_len < BS)
			return TEE_SUCCESS;
		res = cbc_blocks(e, e->part, BS);
		e->part_len = 0;
	}
	whole = len / BS * BS;
	if (!res)
		res = cbc_blocks(e, p, whole);
	if (!res && len > whole) {
		memcpy(e->part, p + whole, len - whole);
		e->part_len = len - whole;
	}
	return res;
}

static TEE_Result eng_update(TEE_OperationHandle op, const void *p, size_t len)
{
	struct mac_eng *e = op->eng;

	if (!len)
		return TEE_SUCCESS;
	if (e->mac)
		return EVP_MAC_update(e->mac, p, len) == 1 ? TEE_SUCCESS : TEE_ERROR_GENERIC;
	return cbc_update(e, p, len);
}

/* The MAC, op->info.digestLength bytes. */
static TEE_Result eng_final(TEE_OperationHandle op, uint8_t *out)
{
	struct mac_eng *e = op->eng;
	size_t outl = 0;

	if (e->mac)
		return EVP_MAC_final(e->mac, out, &outl, op->info.digestLength) == 1 &&
			       outl == op->info.digestLength ? TEE_SUCCESS : TEE_ERROR_GENERIC;
	if (op->info.algorithm == TEE_ALG_AES_CBC_MAC_PKCS5) {
		uint8_t pad = (uint8_t)(BS - e->part_len);

		memset(e->part + e->part_len, pad, pad);
		e->part_len = 0;
		if (cbc_blocks(e, e->part, BS))
			return TEE_ERROR_GENERIC;
	} else if (e->part_len) {
		return TEE_ERROR_BAD_PARAMETERS; /* NOPAD: the TA pads */
	}
	memcpy(out, e->last, BS);
	return TEE_SUCCESS;
}

void TEE_MACInit(TEE_OperationHandle operation, const void *IV, size_t IVLen)
{
	TEE_OperationHandle op = op_checked(operation);
	TEE_Result res;

	(void)IV; /* no GP MAC algorithm here takes an IV; OP-TEE ignores it too */
	(void)IVLen;
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_MAC, 0);
	PANIC_UNLESS((op->info.handleState & TEE_HANDLE_FLAG_KEY_SET) && op->key1, 0);
	if (op->state != TEE_OPERATION_STATE_INITIAL)
		TEE_ResetOperation(op);
	op->state = TEE_OPERATION_STATE_ACTIVE;
	res = eng_init(op);
	if (res)
		tarun_panic(res);
	op->buf_offs = 0;
	op->info.handleState |= TEE_HANDLE_FLAG_INITIALIZED;
}

static TEE_OperationHandle active_mac(TEE_OperationHandle operation, const void *data,
				      size_t len)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(data || !len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_MAC &&
		     (op->info.handleState & TEE_HANDLE_FLAG_INITIALIZED) &&
		     op->state == TEE_OPERATION_STATE_ACTIVE, TEE_ERROR_BAD_PARAMETERS);
	return op;
}

void TEE_MACUpdate(TEE_OperationHandle operation, const void *chunk, size_t chunkSize)
{
	TEE_OperationHandle op = active_mac(operation, chunk, chunkSize);
	TEE_Result res = eng_update(op, chunk, chunkSize);

	if (res)
		tarun_panic(res);
}

TEE_Result TEE_MACComputeFinal(TEE_OperationHandle operation, const void *message,
			       size_t messageLen, void *mac, size_t *macLen)
{
	TEE_OperationHandle op = active_mac(operation, message, messageLen);
	size_t need = op->info.digestLength;
	TEE_Result res;

	PANIC_UNLESS(macLen, TEE_ERROR_BAD_PARAMETERS);
	if (*macLen < need) {
		*macLen = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	PANIC_UNLESS(mac, TEE_ERROR_BAD_PARAMETERS);
	res = eng_update(op, message, messageLen);
	if (!res)
		res = eng_final(op, mac);
	if (res)
		tarun_panic(res);
	*macLen = need;
	op->info.handleState &= ~TEE_HANDLE_FLAG_INITIALIZED;
	op->state = TEE_OPERATION_STATE_INITIAL;
	return TEE_SUCCESS;
}

TEE_Result TEE_MACCompareFinal(TEE_OperationHandle operation, const void *message,
			       size_t messageLen, const void *mac, size_t macLen)
{
	uint8_t computed[TARUN_MAX_HASH];
	size_t len = sizeof(computed);
	TEE_Result res;

	active_mac(operation, message, messageLen);
	PANIC_UNLESS(mac || !macLen, TEE_ERROR_BAD_PARAMETERS);
	TEE_MACComputeFinal(operation, message, messageLen, computed, &len);
	res = len != macLen || ct_compare(mac, computed, len) ? TEE_ERROR_MAC_INVALID :
								 TEE_SUCCESS;
	OPENSSL_cleanse(computed, sizeof(computed));
	return res;
}
