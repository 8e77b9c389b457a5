// SPDX-License-Identifier: MIT
/*
 * AES ECB/CBC/CTR (SP 800-38A), CTS (RFC 3962) and XTS (IEEE 1619) against
 * published answers (vectors_cipher.h), both ways, each fed as an Update
 * that ends inside a block and a DoFinal with the rest.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_cipher.h"

static TEE_Result run_cipher(TEE_OperationHandle op, const uint8_t *iv,
			     size_t iv_len, const uint8_t *src, size_t len,
			     size_t split, uint8_t *dst, size_t *dst_len)
{
	size_t first = *dst_len;
	size_t rest = 0;
	TEE_Result res;

	TEE_CipherInit(op, iv, iv_len);
	res = TEE_CipherUpdate(op, src, split, dst, &first);
	if (res != TEE_SUCCESS)
		return res;
	rest = *dst_len - first;
	res = TEE_CipherDoFinal(op, src + split, len - split, dst + first, &rest);
	*dst_len = first + rest;
	return res;
}

/* The operation for v in mode with its key (or XTS key pair) set; NULL if refused. */
static TEE_OperationHandle cipher_op(struct kat *k, const struct cipher_vec *v,
				     uint32_t mode, const char *what)
{
	size_t len1 = 0, len2 = 0;
	const uint8_t *key1 = kat_hex(k, v->key, &len1);
	const uint8_t *key2 = v->key2 ? kat_hex(k, v->key2, &len2) : NULL;
	TEE_ObjectHandle obj1, obj2 = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res;

	if (!key1 || (v->key2 && !key2))
		return TEE_HANDLE_NULL;
	obj1 = kat_secret(k, what, TEE_TYPE_AES, key1, len1);
	if (key2)
		obj2 = kat_secret(k, what, TEE_TYPE_AES, key2, len2);
	if (obj1 == TEE_HANDLE_NULL || (key2 && obj2 == TEE_HANDLE_NULL))
		goto out;
	op = kat_operation(k, what, v->alg, mode, (len1 + len2) * 8, TEE_HANDLE_NULL);
	if (op == TEE_HANDLE_NULL)
		goto out;
	res = key2 ? TEE_SetOperationKey2(op, obj1, obj2) : TEE_SetOperationKey(op, obj1);
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, what);
		TEE_FreeOperation(op);
		op = TEE_HANDLE_NULL;
	}
out:
	TEE_FreeTransientObject(obj1);
	TEE_FreeTransientObject(obj2);
	return op;
}

static void one_way(struct kat *k, const struct cipher_vec *v, uint32_t mode)
{
	bool enc = mode == TEE_MODE_ENCRYPT;
	size_t iv_len = 0, in_len = 0, want_len = 0;
	const uint8_t *iv = v->iv ? kat_hex(k, v->iv, &iv_len) : NULL;
	const uint8_t *in = kat_hex(k, enc ? v->pt : v->ct, &in_len);
	const uint8_t *want = kat_hex(k, enc ? v->ct : v->pt, &want_len);
	uint8_t *out = kat_alloc(k, want_len + 32);
	size_t out_len = want_len + 32;
	char what[128];
	TEE_OperationHandle op;
	TEE_Result res;

	snprintf(what, sizeof(what), "%s %s", v->name, enc ? "encrypt" : "decrypt");
	if (!in || !want || !out || (v->iv && !iv))
		return;
	op = cipher_op(k, v, mode, what);
	if (op == TEE_HANDLE_NULL)
		return;
	/* split 5 bytes into the second block: the update ends mid-block */
	res = run_cipher(op, iv, iv_len, in, in_len, in_len > 21 ? 21 : in_len / 2,
			 out, &out_len);
	if (res != TEE_SUCCESS)
		kat_res(k, res, TEE_SUCCESS, what);
	else
		kat_same(k, out, out_len, want, want_len, what);
	TEE_FreeOperation(op);
}

static void run_both_ways(struct kat *k, const struct cipher_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		one_way(k, &v[i], TEE_MODE_ENCRYPT);
		one_way(k, &v[i], TEE_MODE_DECRYPT);
	}
}

void kat_run_aes(struct kat *k)
{
	run_both_ways(k, aes_vecs, sizeof(aes_vecs) / sizeof(aes_vecs[0]));
}

void kat_run_aes_cts(struct kat *k)
{
	run_both_ways(k, cts_vecs, sizeof(cts_vecs) / sizeof(cts_vecs[0]));
}

void kat_run_aes_xts(struct kat *k)
{
	run_both_ways(k, xts_vecs, sizeof(xts_vecs) / sizeof(xts_vecs[0]));
}
