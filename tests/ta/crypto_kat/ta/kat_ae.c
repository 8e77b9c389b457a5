// SPDX-License-Identifier: MIT
/*
 * AES-GCM and AES-CCM against published answers (vectors_ae.h): encrypt,
 * decrypt, and a decrypt with one tag bit flipped (TEE_ERROR_MAC_INVALID).
 * The payload goes as an AEUpdate that ends mid-block and a Final with the
 * rest, as GP allows for both modes.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_ae.h"

struct ae_data {
	const uint8_t *key, *nonce, *aad, *pt, *ct, *tag;
	size_t key_len, nonce_len, aad_len, pt_len, ct_len, tag_len;
};

static bool decode(struct kat *k, const struct ae_vec *v, struct ae_data *d)
{
	d->key = kat_hex(k, v->key, &d->key_len);
	d->nonce = kat_hex(k, v->nonce, &d->nonce_len);
	d->aad = kat_hex(k, v->aad, &d->aad_len);
	d->pt = kat_hex(k, v->pt, &d->pt_len);
	d->ct = kat_hex(k, v->ct, &d->ct_len);
	d->tag = kat_hex(k, v->tag, &d->tag_len);
	return d->key && d->nonce && d->aad && d->pt && d->ct && d->tag;
}

static TEE_OperationHandle ae_op(struct kat *k, const struct ae_vec *v,
				 const struct ae_data *d, uint32_t mode,
				 const char *what)
{
	TEE_OperationHandle op = kat_secret_operation(k, what, TEE_TYPE_AES, d->key,
						      d->key_len, v->alg, mode);
	TEE_Result res;

	if (op == TEE_HANDLE_NULL)
		return TEE_HANDLE_NULL;
	res = TEE_AEInit(op, d->nonce, d->nonce_len, d->tag_len * 8, d->aad_len,
			 d->pt_len);
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, what);
		TEE_FreeOperation(op);
		return TEE_HANDLE_NULL;
	}
	if (d->aad_len)
		TEE_AEUpdateAAD(op, d->aad, d->aad_len);
	return op;
}

static void encrypt(struct kat *k, const struct ae_vec *v, const struct ae_data *d)
{
	size_t split = d->pt_len > 21 ? 21 : d->pt_len / 2;
	uint8_t *out = kat_alloc(k, d->pt_len + 16);
	uint8_t tag[16];
	size_t first = d->pt_len + 16, rest = 0, tag_len = sizeof(tag);
	char what[128];
	TEE_OperationHandle op;
	TEE_Result res;

	snprintf(what, sizeof(what), "%s encrypt", v->name);
	op = out ? ae_op(k, v, d, TEE_MODE_ENCRYPT, what) : TEE_HANDLE_NULL;
	if (op == TEE_HANDLE_NULL)
		return;
	res = TEE_AEUpdate(op, d->pt, split, out, &first);
	rest = d->pt_len + 16 - first;
	if (res == TEE_SUCCESS)
		res = TEE_AEEncryptFinal(op, d->pt + split, d->pt_len - split,
					 out + first, &rest, tag, &tag_len);
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, what);
	} else {
		kat_same(k, out, first + rest, d->ct, d->ct_len, what);
		snprintf(what, sizeof(what), "%s tag", v->name);
		kat_same(k, tag, tag_len, d->tag, d->tag_len, what);
	}
	TEE_FreeOperation(op);
}

/* Decrypts (with the tag as published, or with its first bit flipped). */
static void decrypt(struct kat *k, const struct ae_vec *v, const struct ae_data *d,
		    bool tamper)
{
	size_t split = d->ct_len > 21 ? 21 : d->ct_len / 2;
	uint8_t *out = kat_alloc(k, d->ct_len + 16);
	uint8_t *tag = kat_alloc(k, d->tag_len);
	size_t first = d->ct_len + 16, rest = 0;
	char what[128];
	TEE_OperationHandle op;
	TEE_Result res;

	snprintf(what, sizeof(what), "%s decrypt%s", v->name,
		 tamper ? " with a flipped tag bit: MAC_INVALID" : "");
	op = out && tag ? ae_op(k, v, d, TEE_MODE_DECRYPT, what) : TEE_HANDLE_NULL;
	if (op == TEE_HANDLE_NULL)
		return;
	memcpy(tag, d->tag, d->tag_len);
	if (tamper)
		tag[0] ^= 0x80;
	res = TEE_AEUpdate(op, d->ct, split, out, &first);
	rest = d->ct_len + 16 - first;
	if (res == TEE_SUCCESS)
		res = TEE_AEDecryptFinal(op, d->ct + split, d->ct_len - split,
					 out + first, &rest, tag, d->tag_len);
	if (tamper)
		kat_res(k, res, TEE_ERROR_MAC_INVALID, what);
	else if (res != TEE_SUCCESS)
		kat_res(k, res, TEE_SUCCESS, what);
	else
		kat_same(k, out, first + rest, d->pt, d->pt_len, what);
	TEE_FreeOperation(op);
}

static void run_ae(struct kat *k, const struct ae_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ae_data d;

		if (!decode(k, &v[i], &d))
			continue;
		encrypt(k, &v[i], &d);
		decrypt(k, &v[i], &d, false);
		decrypt(k, &v[i], &d, true);
	}
}

void kat_run_aes_gcm(struct kat *k)
{
	run_ae(k, gcm_vecs, sizeof(gcm_vecs) / sizeof(gcm_vecs[0]));
}

void kat_run_aes_ccm(struct kat *k)
{
	run_ae(k, ccm_vecs, sizeof(ccm_vecs) / sizeof(ccm_vecs[0]));
}
