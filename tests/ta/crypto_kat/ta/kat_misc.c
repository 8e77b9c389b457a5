// SPDX-License-Identifier: MIT
/*
 * TEE_GenerateKey for every key type (each key then used), TEE_GenerateRandom,
 * and the error contract OP-TEE gives: SHORT_BUFFER with the size needed,
 * MAC_INVALID, SIGNATURE_INVALID, NOT_SUPPORTED for sizes out of range.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"

/* A generated key of type/bits (params: e.g. the curve); NULL and a failure if refused. */
static TEE_ObjectHandle generated(struct kat *k, uint32_t type, uint32_t bits,
				  const TEE_Attribute *params, uint32_t n,
				  const char *what)
{
	TEE_ObjectHandle obj = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateTransientObject(type, bits, &obj);

	if (res == TEE_SUCCESS)
		res = TEE_GenerateKey(obj, bits, params, n);
	if (!kat_res(k, res, TEE_SUCCESS, what)) {
		TEE_FreeTransientObject(obj);
		return TEE_HANDLE_NULL;
	}
	return obj;
}

/* The generated secret has bits / 8 bytes and they are not all zero. */
static void keygen_secret(struct kat *k, uint32_t type, uint32_t bits, const char *name)
{
	uint8_t buf[128];
	size_t len = sizeof(buf);
	size_t zeros = 0;
	TEE_ObjectHandle obj = generated(k, type, bits, NULL, 0, name);
	TEE_Result res;

	if (obj == TEE_HANDLE_NULL)
		return;
	res = TEE_GetObjectBufferAttribute(obj, TEE_ATTR_SECRET_VALUE, buf, &len);
	if (res == TEE_SUCCESS)
		for (size_t i = 0; i < len; i++)
			zeros += buf[i] == 0;
	kat_check(k, res == TEE_SUCCESS && len == bits / 8 && zeros < len,
		  "%s: secret value of %zu bytes (%s)", name, len, kat_res_name(res));
	TEE_FreeTransientObject(obj);
}

/* Signs a fixed digest with the generated key pair and verifies it with the same object. */
static void sign_and_verify(struct kat *k, TEE_ObjectHandle key, uint32_t alg,
			    uint32_t bits, size_t digest_len, const char *name)
{
	uint8_t digest[TEE_MAX_HASH_SIZE];
	uint8_t *sig = kat_alloc(k, 512);
	size_t sig_len = 512;
	TEE_OperationHandle sign = kat_operation(k, name, alg, TEE_MODE_SIGN, bits, key);
	TEE_OperationHandle verify = kat_operation(k, name, alg, TEE_MODE_VERIFY, bits, key);
	TEE_Result res = TEE_ERROR_GENERIC;

	memset(digest, 0x5a, sizeof(digest));
	if (sign != TEE_HANDLE_NULL && verify != TEE_HANDLE_NULL && sig) {
		res = TEE_AsymmetricSignDigest(sign, NULL, 0, digest, digest_len, sig, &sig_len);
		if (res == TEE_SUCCESS)
			res = TEE_AsymmetricVerifyDigest(verify, NULL, 0, digest, digest_len,
							 sig, sig_len);
		kat_res(k, res, TEE_SUCCESS, name);
	}
	TEE_FreeOperation(sign);
	TEE_FreeOperation(verify);
}

static void keygen_ecdsa(struct kat *k, uint32_t curve, uint32_t bits, uint32_t alg,
			 size_t digest_len, const char *name)
{
	TEE_Attribute attr;
	TEE_ObjectHandle key;

	TEE_InitValueAttribute(&attr, TEE_ATTR_ECC_CURVE, curve, 0);
	key = generated(k, TEE_TYPE_ECDSA_KEYPAIR, bits, &attr, 1, name);
	if (key != TEE_HANDLE_NULL)
		sign_and_verify(k, key, alg, bits, digest_len, name);
	TEE_FreeTransientObject(key);
}

/* The shared secret of a with b's public value. */
static TEE_Result shared_secret(TEE_ObjectHandle a, uint32_t alg, uint32_t bits,
				const TEE_Attribute *peer, uint32_t npeer,
				uint8_t *out, size_t *len)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_ObjectHandle secret = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateOperation(&op, alg, TEE_MODE_DERIVE, bits);

	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, a);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateTransientObject(TEE_TYPE_GENERIC_SECRET,
						  (bits + 7) / 8 * 8, &secret);
	if (res == TEE_SUCCESS) {
		TEE_DeriveKey(op, peer, npeer, secret);
		res = TEE_GetObjectBufferAttribute(secret, TEE_ATTR_SECRET_VALUE, out, len);
	}
	TEE_FreeTransientObject(secret);
	TEE_FreeOperation(op);
	return res;
}

#define PUB_MAX 80	/* a P-521 coordinate is 66 bytes */

/* The public values pub_ids of key as attributes pointing into buf[n][PUB_MAX]. */
static TEE_Result public_attrs(TEE_ObjectHandle key, const uint32_t *pub_ids,
			       uint32_t n, uint8_t buf[][PUB_MAX], TEE_Attribute *attrs)
{
	for (uint32_t i = 0; i < n; i++) {
		size_t len = PUB_MAX;
		TEE_Result res = TEE_GetObjectBufferAttribute(key, pub_ids[i], buf[i], &len);

		if (res != TEE_SUCCESS)
			return res;
		TEE_InitRefAttribute(&attrs[i], pub_ids[i], buf[i], len);
	}
	return TEE_SUCCESS;
}

/* Two generated key pairs agree on a secret: a with b's public part and b with a's. */
static void keygen_agree(struct kat *k, uint32_t type, uint32_t bits, uint32_t alg,
			 const TEE_Attribute *params, uint32_t nparams,
			 const uint32_t *pub_ids, uint32_t npub, const char *name)
{
	TEE_ObjectHandle a = generated(k, type, bits, params, nparams, name);
	TEE_ObjectHandle b = generated(k, type, bits, params, nparams, name);
	uint8_t pub_a[2][PUB_MAX], pub_b[2][PUB_MAX], sa[PUB_MAX], sb[PUB_MAX];
	TEE_Attribute pa[2], pb[2];
	size_t la = sizeof(sa), lb = sizeof(sb);
	TEE_Result res;
	char what[128];

	snprintf(what, sizeof(what), "%s: both sides derive the same secret", name);
	if (a != TEE_HANDLE_NULL && b != TEE_HANDLE_NULL && npub <= 2) {
		res = public_attrs(a, pub_ids, npub, pub_a, pa);
		if (res == TEE_SUCCESS)
			res = public_attrs(b, pub_ids, npub, pub_b, pb);
		if (res == TEE_SUCCESS)
			res = shared_secret(a, alg, bits, pb, npub, sa, &la);
		if (res == TEE_SUCCESS)
			res = shared_secret(b, alg, bits, pa, npub, sb, &lb);
		if (kat_res(k, res, TEE_SUCCESS, what))
			kat_same(k, sa, la, sb, lb, what);
	}
	TEE_FreeTransientObject(a);
	TEE_FreeTransientObject(b);
}

static void keygen_rsa(struct kat *k)
{
	const char *name = "GenerateKey RSA-2048";
	TEE_ObjectHandle key = generated(k, TEE_TYPE_RSA_KEYPAIR, 2048, NULL, 0, name);
	uint8_t buf[256];
	size_t len = sizeof(buf);
	TEE_Result res;

	if (key == TEE_HANDLE_NULL)
		return;
	res = TEE_GetObjectBufferAttribute(key, TEE_ATTR_RSA_MODULUS, buf, &len);
	kat_check(k, res == TEE_SUCCESS && len == 256 && (buf[0] & 0x80),
		  "%s: modulus of 2048 bits (%zu bytes, %s)", name, len, kat_res_name(res));
	len = sizeof(buf);
	res = TEE_GetObjectBufferAttribute(key, TEE_ATTR_RSA_PUBLIC_EXPONENT, buf, &len);
	kat_check(k, res == TEE_SUCCESS && len == 3 && buf[0] == 1 && buf[1] == 0 && buf[2] == 1,
		  "%s: public exponent 65537 by default (%zu bytes, %s)", name, len,
		  kat_res_name(res));
	sign_and_verify(k, key, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, 2048, 32, name);
	TEE_FreeTransientObject(key);
}

void kat_run_keygen(struct kat *k)
{
	static const uint32_t ecc_pub[] = { TEE_ATTR_ECC_PUBLIC_VALUE_X,
					    TEE_ATTR_ECC_PUBLIC_VALUE_Y };
	static const uint32_t x25519_pub[] = { TEE_ATTR_X25519_PUBLIC_VALUE };
	static const struct {
		uint32_t curve, bits, alg;
		size_t digest_len;
		const char *ecdsa, *ecdh;
	} curves[] = {
		{ TEE_ECC_CURVE_NIST_P256, 256, TEE_ALG_ECDSA_SHA256, 32,
		  "GenerateKey ECDSA P-256", "GenerateKey ECDH P-256" },
		{ TEE_ECC_CURVE_NIST_P384, 384, TEE_ALG_ECDSA_SHA384, 48,
		  "GenerateKey ECDSA P-384", "GenerateKey ECDH P-384" },
		{ TEE_ECC_CURVE_NIST_P521, 521, TEE_ALG_ECDSA_SHA512, 64,
		  "GenerateKey ECDSA P-521", "GenerateKey ECDH P-521" },
	};
	TEE_ObjectHandle key;

	keygen_secret(k, TEE_TYPE_AES, 128, "GenerateKey AES-128");
	keygen_secret(k, TEE_TYPE_AES, 192, "GenerateKey AES-192");
	keygen_secret(k, TEE_TYPE_AES, 256, "GenerateKey AES-256");
	keygen_secret(k, TEE_TYPE_HMAC_SHA1, 160, "GenerateKey HMAC-SHA1 160");
	keygen_secret(k, TEE_TYPE_HMAC_SHA224, 224, "GenerateKey HMAC-SHA224 224");
	keygen_secret(k, TEE_TYPE_HMAC_SHA256, 256, "GenerateKey HMAC-SHA256 256");
	keygen_secret(k, TEE_TYPE_HMAC_SHA384, 384, "GenerateKey HMAC-SHA384 384");
	keygen_secret(k, TEE_TYPE_HMAC_SHA512, 512, "GenerateKey HMAC-SHA512 512");
	keygen_secret(k, TEE_TYPE_GENERIC_SECRET, 256, "GenerateKey generic secret 256");
	keygen_rsa(k);
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		TEE_Attribute curve;

		keygen_ecdsa(k, curves[i].curve, curves[i].bits, curves[i].alg,
			     curves[i].digest_len, curves[i].ecdsa);
		TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, curves[i].curve, 0);
		keygen_agree(k, TEE_TYPE_ECDH_KEYPAIR, curves[i].bits,
			     TEE_ALG_ECDH_DERIVE_SHARED_SECRET, &curve, 1, ecc_pub, 2,
			     curves[i].ecdh);
	}
	key = generated(k, TEE_TYPE_ED25519_KEYPAIR, 256, NULL, 0, "GenerateKey Ed25519");
	if (key != TEE_HANDLE_NULL)
		sign_and_verify(k, key, TEE_ALG_ED25519, 256, 32, "GenerateKey Ed25519");
	TEE_FreeTransientObject(key);
	keygen_agree(k, TEE_TYPE_X25519_KEYPAIR, 256, TEE_ALG_X25519, NULL, 0,
		     x25519_pub, 1, "GenerateKey X25519");
}

#define RANDOM_LEN 4096

void kat_run_random(struct kat *k)
{
	uint8_t *a = kat_alloc(k, RANDOM_LEN);
	uint8_t *b = kat_alloc(k, RANDOM_LEN);
	uint32_t count[256] = { 0 };
	uint32_t most = 0;
	uint8_t first = 0, byte = 0;
	bool all_same = true;

	if (!a || !b)
		return;
	TEE_GenerateRandom(a, RANDOM_LEN);
	TEE_GenerateRandom(b, RANDOM_LEN);
	kat_check(k, memcmp(a, b, RANDOM_LEN) != 0,
		  "GenerateRandom: two 4096-byte draws differ");
	for (size_t i = 0; i < RANDOM_LEN; i++)
		count[a[i]]++;
	for (size_t i = 0; i < 256; i++)
		most = count[i] > most ? count[i] : most;
	/* 16 expected per value; 64 or more would be a broken generator */
	kat_check(k, most < 64, "GenerateRandom: no byte value is frequent (most %u of 4096)",
		  (unsigned)most);
	memcpy(a, b, 16);
	TEE_GenerateRandom(a, 0);
	kat_check(k, memcmp(a, b, 16) == 0,
		  "GenerateRandom: a zero-length request writes nothing");
	TEE_GenerateRandom(&first, 1);
	for (int i = 0; i < 32 && all_same; i++) {
		TEE_GenerateRandom(&byte, 1);
		all_same = byte == first;
	}
	kat_check(k, !all_same, "GenerateRandom: 1-byte draws vary");
}
