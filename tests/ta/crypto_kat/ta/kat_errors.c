// SPDX-License-Identifier: MIT
/*
 * The error contract of the crypto API as OP-TEE's libutee gives it:
 * TEE_ERROR_SHORT_BUFFER with the size needed written back (and the
 * operation still usable), TEE_ERROR_MAC_INVALID, TEE_ERROR_SIGNATURE_INVALID,
 * and TEE_ERROR_NOT_SUPPORTED for key sizes, modes and tag lengths out of range.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"

/* SHA-256("abc"), FIPS 180-2 B.1 */
static const char sha256_abc[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static bool short_buffer(struct kat *k, TEE_Result res, size_t got, size_t want,
			 const char *what)
{
	return kat_check(k, res == TEE_ERROR_SHORT_BUFFER && got == want,
			 "%s: SHORT_BUFFER with %zu needed (got %s, %zu)", what, want,
			 kat_res_name(res), got);
}

static void digest_errors(struct kat *k)
{
	TEE_OperationHandle op = kat_operation(k, "SHA-256 short buffer", TEE_ALG_SHA256,
					       TEE_MODE_DIGEST, 0, TEE_HANDLE_NULL);
	size_t want_len = 0, len = 10;
	const uint8_t *want = kat_hex(k, sha256_abc, &want_len);
	uint8_t md[TEE_MAX_HASH_SIZE];
	TEE_Result res;

	if (op == TEE_HANDLE_NULL || !want)
		goto out;
	TEE_DigestUpdate(op, "a", 1);
	res = TEE_DigestDoFinal(op, "bc", 2, md, &len);
	short_buffer(k, res, len, 32, "TEE_DigestDoFinal into 10 bytes");
	len = sizeof(md);
	res = TEE_DigestDoFinal(op, "bc", 2, md, &len);
	if (kat_res(k, res, TEE_SUCCESS, "TEE_DigestDoFinal again, with room"))
		kat_same(k, md, len, want, want_len,
			 "the digest after SHORT_BUFFER is SHA-256(\"abc\")");
out:
	TEE_FreeOperation(op);
}

static void mac_errors(struct kat *k)
{
	static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	TEE_OperationHandle op = kat_secret_operation(k, "HMAC-SHA256 errors",
						      TEE_TYPE_HMAC_SHA256, key, sizeof(key),
						      TEE_ALG_HMAC_SHA256, TEE_MODE_MAC);
	uint8_t mac[TEE_MAX_HASH_SIZE];
	size_t len = 8;
	TEE_Result res;

	if (op == TEE_HANDLE_NULL)
		return;
	TEE_MACInit(op, NULL, 0);
	res = TEE_MACComputeFinal(op, "message", 7, mac, &len);
	short_buffer(k, res, len, 32, "TEE_MACComputeFinal into 8 bytes");
	len = sizeof(mac);
	res = TEE_MACComputeFinal(op, "message", 7, mac, &len);
	kat_check(k, res == TEE_SUCCESS && len == 32,
		  "TEE_MACComputeFinal again, with room: 32 bytes (%s, %zu)",
		  kat_res_name(res), len);
	mac[0] ^= 1;
	TEE_MACInit(op, NULL, 0);
	kat_res(k, TEE_MACCompareFinal(op, "message", 7, mac, 32), TEE_ERROR_MAC_INVALID,
		"TEE_MACCompareFinal with a wrong MAC: MAC_INVALID");
	mac[0] ^= 1;
	TEE_MACInit(op, NULL, 0);
	kat_res(k, TEE_MACCompareFinal(op, "message", 7, mac, 16), TEE_ERROR_MAC_INVALID,
		"TEE_MACCompareFinal with the right MAC cut to 16 bytes: MAC_INVALID");
	TEE_MACInit(op, NULL, 0);
	kat_res(k, TEE_MACCompareFinal(op, "message", 7, mac, 32), TEE_SUCCESS,
		"TEE_MACCompareFinal with the right MAC");
	TEE_FreeOperation(op);
}

static void cipher_errors(struct kat *k)
{
	static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16 };
	static const uint8_t iv[16];
	TEE_OperationHandle op = kat_secret_operation(k, "AES-CBC errors", TEE_TYPE_AES, key,
						      16, TEE_ALG_AES_CBC_NOPAD,
						      TEE_MODE_ENCRYPT);
	uint8_t src[48] = { 0 }, dst[48];
	size_t len = 16;
	TEE_Result res;

	if (op == TEE_HANDLE_NULL)
		return;
	TEE_CipherInit(op, iv, sizeof(iv));
	res = TEE_CipherUpdate(op, src, 48, dst, &len);
	short_buffer(k, res, len, 48, "TEE_CipherUpdate of 48 bytes into 16");
	len = 16;
	res = TEE_CipherDoFinal(op, src, 32, dst, &len);
	short_buffer(k, res, len, 32, "TEE_CipherDoFinal of 32 bytes into 16");
	len = sizeof(dst);
	res = TEE_CipherDoFinal(op, src, 32, dst, &len);
	kat_check(k, res == TEE_SUCCESS && len == 32,
		  "TEE_CipherDoFinal again, with room: 32 bytes (%s, %zu)",
		  kat_res_name(res), len);
	TEE_FreeOperation(op);
}

static void ae_errors(struct kat *k)
{
	static const uint8_t key[16], nonce[12];
	TEE_OperationHandle op = kat_secret_operation(k, "AES-GCM errors", TEE_TYPE_AES, key,
						      16, TEE_ALG_AES_GCM, TEE_MODE_ENCRYPT);
	uint8_t pt[16] = { 0 }, ct[32], tag[16];
	size_t ct_len = sizeof(ct), tag_len = 8;
	TEE_Result res;

	if (op == TEE_HANDLE_NULL)
		return;
	kat_res(k, TEE_AEInit(op, nonce, sizeof(nonce), 64, 0, 0), TEE_ERROR_NOT_SUPPORTED,
		"TEE_AEInit AES-GCM with a 64-bit tag: NOT_SUPPORTED");
	res = TEE_AEInit(op, nonce, sizeof(nonce), 128, 0, 0);
	if (!kat_res(k, res, TEE_SUCCESS, "TEE_AEInit AES-GCM with a 128-bit tag"))
		goto out;
	res = TEE_AEEncryptFinal(op, pt, sizeof(pt), ct, &ct_len, tag, &tag_len);
	short_buffer(k, res, tag_len, 16, "TEE_AEEncryptFinal with an 8-byte tag buffer");
	ct_len = 8;
	tag_len = sizeof(tag);
	res = TEE_AEEncryptFinal(op, pt, sizeof(pt), ct, &ct_len, tag, &tag_len);
	short_buffer(k, res, ct_len, 16, "TEE_AEEncryptFinal of 16 bytes into 8");
out:
	TEE_FreeOperation(op);
}

static void sign_errors(struct kat *k)
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Attribute curve;
	uint8_t digest[32] = { 0 }, sig[64];
	size_t len = 10;
	TEE_Result res = TEE_AllocateTransientObject(TEE_TYPE_ECDSA_KEYPAIR, 256, &key);

	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	if (res == TEE_SUCCESS)
		res = TEE_GenerateKey(key, 256, &curve, 1);
	if (!kat_res(k, res, TEE_SUCCESS, "ECDSA P-256 key for the error checks"))
		goto out;
	op = kat_operation(k, "ECDSA P-256 sign errors", TEE_ALG_ECDSA_SHA256,
			   TEE_MODE_SIGN, 256, key);
	if (op == TEE_HANDLE_NULL)
		goto out;
	res = TEE_AsymmetricSignDigest(op, NULL, 0, digest, sizeof(digest), sig, &len);
	short_buffer(k, res, len, 64, "TEE_AsymmetricSignDigest ECDSA P-256 into 10 bytes");
	len = sizeof(sig);
	res = TEE_AsymmetricSignDigest(op, NULL, 0, digest, sizeof(digest), sig, &len);
	kat_check(k, res == TEE_SUCCESS && len == 64,
		  "TEE_AsymmetricSignDigest again, with room: 64 bytes (%s, %zu)",
		  kat_res_name(res), len);
out:
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(key);
}

static void unsupported(struct kat *k, uint32_t alg, uint32_t mode, uint32_t bits,
			const char *what)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateOperation(&op, alg, mode, bits);

	kat_res(k, res, TEE_ERROR_NOT_SUPPORTED, what);
	if (res == TEE_SUCCESS)
		TEE_FreeOperation(op);
}

static void range_errors(struct kat *k)
{
	TEE_ObjectHandle obj = TEE_HANDLE_NULL;
	TEE_Result res;

	unsupported(k, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, 160,
		    "HMAC-SHA256 with a 160-bit key: NOT_SUPPORTED");
	unsupported(k, TEE_ALG_ECDSA_SHA256, TEE_MODE_SIGN, 384,
		    "ECDSA-SHA256 with a 384-bit key: NOT_SUPPORTED");
	unsupported(k, TEE_ALG_SHA256, TEE_MODE_ENCRYPT, 0,
		    "SHA-256 in ENCRYPT mode: NOT_SUPPORTED");
	unsupported(k, TEE_ALG_AES_CMAC, TEE_MODE_ENCRYPT, 128,
		    "AES-CMAC in ENCRYPT mode: NOT_SUPPORTED");
	res = TEE_AllocateTransientObject(TEE_TYPE_AES, 100, &obj);
	kat_res(k, res, TEE_ERROR_NOT_SUPPORTED, "an AES object of 100 bits: NOT_SUPPORTED");
	if (res == TEE_SUCCESS)
		TEE_FreeTransientObject(obj);
}

void kat_run_errors(struct kat *k)
{
	digest_errors(k);
	mac_errors(k);
	cipher_errors(k);
	ae_errors(k);
	sign_errors(k);
	range_errors(k);
}
