// SPDX-License-Identifier: MIT
/*
 * RSA-2048 (vectors_rsa.h): PKCS#1 v1.5 signatures (deterministic, so the
 * published signature must come out exactly), PSS verification of a
 * published signature, decryption of published PKCS#1 v1.5 and OAEP
 * ciphertexts, and sign/verify and encrypt/decrypt round trips. Every
 * signature is also checked to fail with one bit flipped.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_rsa.h"

#define RSA_BITS 2048
#define RSA_BYTES (RSA_BITS / 8)

static TEE_ObjectHandle rsa_object(struct kat *k, const struct rsa_key *key,
				   bool keypair, const char *what)
{
	TEE_Attribute attrs[8];
	uint32_t n = 0;

	kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_MODULUS, key->n);
	kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_PUBLIC_EXPONENT, key->e);
	if (keypair) {
		kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_PRIVATE_EXPONENT, key->d);
		if (key->p) {
			kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_PRIME1, key->p);
			kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_PRIME2, key->q);
			kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_EXPONENT1, key->dp);
			kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_EXPONENT2, key->dq);
			kat_ref_attr(k, &attrs[n++], TEE_ATTR_RSA_COEFFICIENT, key->qi);
		}
	}
	return kat_object(k, what, keypair ? TEE_TYPE_RSA_KEYPAIR : TEE_TYPE_RSA_PUBLIC_KEY,
			  RSA_BITS, attrs, n);
}

/* An operation of alg/mode keyed with key (the key pair for SIGN/DECRYPT). */
static TEE_OperationHandle rsa_op(struct kat *k, const struct rsa_key *key,
				  uint32_t alg, uint32_t mode, const char *what)
{
	bool keypair = mode == TEE_MODE_SIGN || mode == TEE_MODE_DECRYPT;
	TEE_ObjectHandle obj = rsa_object(k, key, keypair, what);
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	if (obj != TEE_HANDLE_NULL)
		op = kat_operation(k, what, alg, mode, RSA_BITS, obj);
	TEE_FreeTransientObject(obj);
	return op;
}

/* Verifies sig over digest: SUCCESS as given, SIGNATURE_INVALID with a bit flipped. */
static void verify_both(struct kat *k, const struct rsa_key *key, uint32_t alg,
			const uint8_t *digest, size_t dlen,
			const uint8_t *sig, size_t slen, const char *name)
{
	TEE_OperationHandle op = rsa_op(k, key, alg, TEE_MODE_VERIFY, name);
	uint8_t *bad = kat_alloc(k, slen);
	char what[128];

	if (op == TEE_HANDLE_NULL || !bad)
		goto out;
	snprintf(what, sizeof(what), "%s: verify", name);
	kat_res(k, TEE_AsymmetricVerifyDigest(op, NULL, 0, digest, dlen, sig, slen),
		TEE_SUCCESS, what);
	memcpy(bad, sig, slen);
	bad[slen / 2] ^= 0x01;
	snprintf(what, sizeof(what), "%s: verify a flipped bit: SIGNATURE_INVALID", name);
	kat_res(k, TEE_AsymmetricVerifyDigest(op, NULL, 0, digest, dlen, bad, slen),
		TEE_ERROR_SIGNATURE_INVALID, what);
out:
	TEE_FreeOperation(op);
}

/*
 * The key pair's operation, SIGN or DECRYPT (both take src and give dst of at
 * most RSA_BYTES, the length in *dst_len); false, with a failure, if refused.
 */
static bool private_op(struct kat *k, const struct rsa_key *key, uint32_t alg,
		       uint32_t mode, const uint8_t *src, size_t src_len, uint8_t *dst,
		       size_t *dst_len, const char *name)
{
	TEE_OperationHandle op = rsa_op(k, key, alg, mode, name);
	TEE_Result res;

	*dst_len = RSA_BYTES;
	if (op == TEE_HANDLE_NULL)
		return false;
	if (mode == TEE_MODE_SIGN)
		res = TEE_AsymmetricSignDigest(op, NULL, 0, src, src_len, dst, dst_len);
	else
		res = TEE_AsymmetricDecrypt(op, NULL, 0, src, src_len, dst, dst_len);
	TEE_FreeOperation(op);
	if (res != TEE_SUCCESS)
		return kat_res(k, res, TEE_SUCCESS, name);
	return true;
}

static bool sign(struct kat *k, const struct rsa_key *key, uint32_t alg,
		 const uint8_t *digest, size_t dlen, uint8_t *sig, size_t *slen,
		 const char *name)
{
	return private_op(k, key, alg, TEE_MODE_SIGN, digest, dlen, sig, slen, name);
}

static bool digest_of(struct kat *k, const struct rsa_vec *v, uint8_t *md, size_t *md_len)
{
	size_t msg_len = 0;
	const uint8_t *msg = kat_hex(k, v->msg, &msg_len);
	TEE_Result res;

	if (!msg)
		return false;
	res = kat_hash(v->hash, msg, msg_len, md, md_len);
	if (res != TEE_SUCCESS)
		return kat_res(k, res, TEE_SUCCESS, v->name);
	return true;
}

static void v15_sign_vector(struct kat *k, const struct rsa_vec *v)
{
	uint8_t md[TEE_MAX_HASH_SIZE];
	size_t md_len = 0, want_len = 0, sig_len = 0;
	const uint8_t *want = kat_hex(k, v->out, &want_len);
	uint8_t *sig = kat_alloc(k, RSA_BYTES);

	if (!want || !sig || !digest_of(k, v, md, &md_len))
		return;
	if (sign(k, v->key, v->alg, md, md_len, sig, &sig_len, v->name))
		kat_same(k, sig, sig_len, want, want_len, v->name);
	verify_both(k, v->key, v->alg, md, md_len, want, want_len, v->name);
}

static void pss_verify_vector(struct kat *k, const struct rsa_vec *v)
{
	uint8_t md[TEE_MAX_HASH_SIZE];
	size_t md_len = 0, sig_len = 0;
	const uint8_t *sig = kat_hex(k, v->out, &sig_len);

	if (sig && digest_of(k, v, md, &md_len))
		verify_both(k, v->key, v->alg, md, md_len, sig, sig_len, v->name);
}

/* Sign a fixed digest with alg (salted for PSS), then verify it. */
static void sign_round_trip(struct kat *k, const struct rsa_key *key,
			    uint32_t alg, uint32_t hash, const char *name)
{
	static const char msg[] = "vtee crypto_kat round trip";
	uint8_t md[TEE_MAX_HASH_SIZE];
	size_t md_len = 0, sig_len = 0;
	uint8_t *sig = kat_alloc(k, RSA_BYTES);
	TEE_Result res = kat_hash(hash, msg, sizeof(msg) - 1, md, &md_len);

	if (!sig)
		return;
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, name);
		return;
	}
	if (!sign(k, key, alg, md, md_len, sig, &sig_len, name))
		return;
	kat_check(k, sig_len == RSA_BYTES, "%s: signature is %zu bytes (%d)", name,
		  sig_len, RSA_BYTES);
	verify_both(k, key, alg, md, md_len, sig, sig_len, name);
}

/* A signature buffer too small: SHORT_BUFFER with the modulus size needed. */
static void sign_short_buffer(struct kat *k)
{
	static const char name[] = "RSASSA-PKCS1-v1_5 SHA-256 sign into 16 bytes";
	TEE_OperationHandle op = rsa_op(k, &rsa_key_pkcs1, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256,
					TEE_MODE_SIGN, name);
	uint8_t digest[32] = { 0 }, sig[16];
	size_t len = sizeof(sig);
	TEE_Result res;

	if (op == TEE_HANDLE_NULL)
		return;
	res = TEE_AsymmetricSignDigest(op, NULL, 0, digest, sizeof(digest), sig, &len);
	kat_check(k, res == TEE_ERROR_SHORT_BUFFER && len == RSA_BYTES,
		  "%s: SHORT_BUFFER with %d needed (got %s, %zu)", name, RSA_BYTES,
		  kat_res_name(res), len);
	TEE_FreeOperation(op);
}

void kat_run_rsa_sign(struct kat *k)
{
	sign_short_buffer(k);
	for (size_t i = 0; i < sizeof(rsa_v15_sign_vecs) / sizeof(rsa_v15_sign_vecs[0]); i++)
		v15_sign_vector(k, &rsa_v15_sign_vecs[i]);
	for (size_t i = 0; i < sizeof(rsa_pss_verify_vecs) / sizeof(rsa_pss_verify_vecs[0]); i++)
		pss_verify_vector(k, &rsa_pss_verify_vecs[i]);

	sign_round_trip(k, &rsa_key_pkcs1, TEE_ALG_RSASSA_PKCS1_V1_5_SHA224, TEE_ALG_SHA224,
			"RSASSA-PKCS1-v1_5 SHA-224 round trip");
	sign_round_trip(k, &rsa_key_pkcs1, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_ALG_SHA256,
			"RSASSA-PKCS1-v1_5 SHA-256 round trip");
	sign_round_trip(k, &rsa_key_pkcs1, TEE_ALG_RSASSA_PKCS1_V1_5_SHA384, TEE_ALG_SHA384,
			"RSASSA-PKCS1-v1_5 SHA-384 round trip");
	sign_round_trip(k, &rsa_key_pkcs1, TEE_ALG_RSASSA_PKCS1_V1_5_SHA512, TEE_ALG_SHA512,
			"RSASSA-PKCS1-v1_5 SHA-512 round trip");
	sign_round_trip(k, &rsa_key_oaep, TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA1, TEE_ALG_SHA1,
			"RSASSA-PSS SHA-1 round trip");
	sign_round_trip(k, &rsa_key_oaep, TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA256, TEE_ALG_SHA256,
			"RSASSA-PSS SHA-256 round trip");
	sign_round_trip(k, &rsa_key_oaep, TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA384, TEE_ALG_SHA384,
			"RSASSA-PSS SHA-384 round trip");
	sign_round_trip(k, &rsa_key_oaep, TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA512, TEE_ALG_SHA512,
			"RSASSA-PSS SHA-512 round trip");
}

static bool decrypt(struct kat *k, const struct rsa_key *key, uint32_t alg,
		    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
		    const char *name)
{
	return private_op(k, key, alg, TEE_MODE_DECRYPT, in, in_len, out, out_len, name);
}

static void decrypt_vector(struct kat *k, const struct rsa_vec *v)
{
	size_t ct_len = 0, want_len = 0, out_len = 0;
	const uint8_t *ct = kat_hex(k, v->out, &ct_len);
	const uint8_t *want = kat_hex(k, v->msg, &want_len);
	uint8_t *out = kat_alloc(k, RSA_BYTES);

	if (ct && want && out &&
	    decrypt(k, v->key, v->alg, ct, ct_len, out, &out_len, v->name))
		kat_same(k, out, out_len, want, want_len, v->name);
}

static void cipher_round_trip(struct kat *k, const struct rsa_key *key,
			      uint32_t alg, const char *name)
{
	static const char msg[] = "vtee crypto_kat";
	TEE_OperationHandle op = rsa_op(k, key, alg, TEE_MODE_ENCRYPT, name);
	uint8_t *ct = kat_alloc(k, RSA_BYTES);
	uint8_t *pt = kat_alloc(k, RSA_BYTES);
	size_t ct_len = RSA_BYTES, pt_len = 0;
	TEE_Result res;

	if (op == TEE_HANDLE_NULL || !ct || !pt)
		goto out;
	res = TEE_AsymmetricEncrypt(op, NULL, 0, msg, sizeof(msg) - 1, ct, &ct_len);
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, name);
		goto out;
	}
	kat_check(k, ct_len == RSA_BYTES, "%s: ciphertext is %zu bytes (%d)", name,
		  ct_len, RSA_BYTES);
	if (decrypt(k, key, alg, ct, ct_len, pt, &pt_len, name))
		kat_same(k, pt, pt_len, msg, sizeof(msg) - 1, name);
out:
	TEE_FreeOperation(op);
}

void kat_run_rsa_cipher(struct kat *k)
{
	for (size_t i = 0; i < sizeof(rsa_decrypt_vecs) / sizeof(rsa_decrypt_vecs[0]); i++)
		decrypt_vector(k, &rsa_decrypt_vecs[i]);
	cipher_round_trip(k, &rsa_key_pkcs1, TEE_ALG_RSAES_PKCS1_V1_5,
			  "RSAES-PKCS1-v1_5 round trip");
	cipher_round_trip(k, &rsa_key_oaep, TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA1,
			  "RSAES-OAEP SHA-1 round trip");
	cipher_round_trip(k, &rsa_key_oaep, TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA256,
			  "RSAES-OAEP SHA-256 round trip");
	cipher_round_trip(k, &rsa_key_oaep, TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA512,
			  "RSAES-OAEP SHA-512 round trip");
}
