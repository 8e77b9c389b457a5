/* ECDSA and Ed25519 signatures through OpenSSL, in GP's formats: an ECDSA signature is r || s,
 * each padded to the curve's size (OpenSSL speaks DER), the digest is signed as given (OpenSSL
 * truncates it to the order, as OP-TEE's library does). An Ed25519 "digest" is the message.
 * Ed25519ctx and Ed25519ph (TEE_ATTR_EDDSA_CTX, TEE_ATTR_EDDSA_PREHASH) need an OpenSSL this
 * build does not assume: asking for them panics the TA with TEE_ERROR_NOT_SUPPORTED. */
#include "crypto_int.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <stdlib.h>
#include <string.h>

#define ED25519_SIG 64

/* The curve of the key, which must be the one the algorithm names (legacy and SHA ids fix
 * the size); its field size in bytes. */
static TEE_Result ecdsa_curve(TEE_OperationHandle op, size_t *bytes)
{
	const struct obj_attr *curve = obj_attr_get(op->key1, TEE_ATTR_ECC_CURVE);
	uint32_t bits = 0;

	if (!curve || !ecc_curve_info(curve->a, NULL, bytes, &bits))
		return TEE_ERROR_NOT_SUPPORTED;
	return bits == op->ai->fixed_bits ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}

static void panic_on_eddsa_variants(const TEE_Attribute *params, uint32_t count)
{
	const TEE_Attribute *ph = attr_find(params, count, TEE_ATTR_EDDSA_PREHASH);

	PANIC_UNLESS(!attr_find(params, count, TEE_ATTR_EDDSA_CTX) &&
		     (!ph || !ph->content.value.a), TEE_ERROR_NOT_SUPPORTED);
}

static TEE_Result ed25519_sign(EVP_PKEY *pkey, const uint8_t *msg, size_t len, uint8_t *sig,
			       size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t out = ED25519_SIG;
	TEE_Result res = TEE_ERROR_GENERIC;

	if (ctx && EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) == 1 &&
	    EVP_DigestSign(ctx, sig, &out, msg, len) == 1) {
		*sig_len = out;
		res = TEE_SUCCESS;
	}
	EVP_MD_CTX_free(ctx);
	return res;
}

static TEE_Result ed25519_verify(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
				 const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	TEE_Result res = TEE_ERROR_SIGNATURE_INVALID;

	if (!ctx || EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) != 1)
		res = TEE_ERROR_GENERIC;
	else if (sig_len == ED25519_SIG && EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1)
		res = TEE_SUCCESS;
	EVP_MD_CTX_free(ctx);
	return res;
}

/* DER from OpenSSL to r || s of `bytes` each. */
static TEE_Result der_to_raw(const uint8_t *der, size_t der_len, uint8_t *raw, size_t bytes)
{
	const uint8_t *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	TEE_Result res = TEE_ERROR_GENERIC;

	if (s && BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, (int)bytes) == (int)bytes &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + bytes, (int)bytes) == (int)bytes)
		res = TEE_SUCCESS;
	ECDSA_SIG_free(s);
	return res;
}

TEE_Result ecc_sign(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		    const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_PKEY *pkey = obj_pkey(op->key1);
	uint8_t der[2 * 66 + 16];
	size_t bytes = 0, der_len = sizeof(der);
	EVP_PKEY_CTX *ctx;
	TEE_Result res;

	if (op->ai->main == MAIN_ED25519) {
		panic_on_eddsa_variants(params, count);
		if (*sig_len < ED25519_SIG) {
			*sig_len = ED25519_SIG;
			return TEE_ERROR_SHORT_BUFFER;
		}
		return pkey ? ed25519_sign(pkey, digest, len, sig, sig_len) : TEE_ERROR_GENERIC;
	}
	res = ecdsa_curve(op, &bytes);
	if (res)
		return res;
	if (*sig_len < 2 * bytes) {
		*sig_len = 2 * bytes;
		return TEE_ERROR_SHORT_BUFFER;
	}
	ctx = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	res = TEE_ERROR_GENERIC;
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_sign(ctx, der, &der_len, digest, len) == 1)
		res = der_to_raw(der, der_len, sig, bytes);
	if (!res)
		*sig_len = 2 * bytes;
	EVP_PKEY_CTX_free(ctx);
	return res;
}

/* r || s to DER for OpenSSL; 0 bytes when it cannot be encoded. */
static int raw_to_der(const uint8_t *raw, size_t bytes, uint8_t **der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)bytes, NULL);
	BIGNUM *sv = BN_bin2bn(raw + bytes, (int)bytes, NULL);
	int len = 0;

	if (s && r && sv && ECDSA_SIG_set0(s, r, sv) == 1) {
		r = sv = NULL; /* owned by s now */
		len = i2d_ECDSA_SIG(s, der);
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return len > 0 ? len : 0;
}

TEE_Result ecc_verify(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		      const uint8_t *digest, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *pkey = obj_pkey(op->key1);
	uint8_t *der = NULL;
	size_t bytes = 0;
	EVP_PKEY_CTX *ctx;
	TEE_Result res;
	int der_len;

	if (op->ai->main == MAIN_ED25519) {
		panic_on_eddsa_variants(params, count);
		/* a public key OpenSSL refuses verifies nothing */
		return pkey ? ed25519_verify(pkey, digest, len, sig, sig_len) :
			      TEE_ERROR_SIGNATURE_INVALID;
	}
	res = ecdsa_curve(op, &bytes);
	if (res)
		return res;
	if (sig_len != 2 * bytes)
		return TEE_ERROR_BAD_PARAMETERS; /* OP-TEE's core: the size must match the key */
	if (!pkey)
		return TEE_ERROR_SIGNATURE_INVALID;
	der_len = raw_to_der(sig, bytes, &der);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	res = TEE_ERROR_SIGNATURE_INVALID;
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1)
		res = TEE_ERROR_GENERIC;
	else if (der_len && EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, len) == 1)
		res = TEE_SUCCESS;
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
	return res;
}
