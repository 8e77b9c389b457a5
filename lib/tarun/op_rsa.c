/* RSA through OpenSSL with OP-TEE's sizes and results: RSASSA PKCS#1 v1.5 (with the hash OID,
 * or without: TEE_ALG_RSASSA_PKCS1_V1_5) and PSS (MGF1 with the same hash, salt from
 * TEE_ATTR_RSA_PSS_SALT_LENGTH, default the digest size); RSAES PKCS#1 v1.5 and OAEP (label,
 * MGF1 hash from TEE_ATTR_RSA_OAEP_MGF_HASH); RSA without padding, whose output loses its
 * leading zero bytes as OP-TEE's does. TEE_ATTR_RSA_OAEP_MGF_HASH is a reference attribute
 * (its id has no value flag) of 4 bytes: the TEE_ALG_SHA* id in the CPU's byte order. */
#include "crypto_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

static size_t mod_bytes(TEE_ObjectHandle key)
{
	const struct obj_attr *n = obj_attr_get(key, TEE_ATTR_RSA_MODULUS);

	return n ? n->len : 0;
}

static EVP_PKEY_CTX *key_ctx(TEE_OperationHandle op)
{
	EVP_PKEY *pkey = obj_pkey(op->key1);

	return pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
}

/* Padding, digest and PSS parameters of a signature context. */
static bool setup_sig(TEE_OperationHandle op, EVP_PKEY_CTX *ctx, const TEE_Attribute *params,
		      uint32_t count)
{
	const EVP_MD *md = evp_md_for(op->ai->hash);
	const TEE_Attribute *salt = attr_find(params, count, TEE_ATTR_RSA_PSS_SALT_LENGTH);

	if (op->ai->main == MAIN_RSA_V15_NOOID)
		return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
	if (!md || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		return false;
	if (op->ai->main == MAIN_RSA_SIGN)
		return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, salt && salt->content.value.a < INT32_MAX ?
						(int)salt->content.value.a :
						(int)EVP_MD_get_size(md)) == 1;
}

/* With a hash the input must be a digest of exactly that hash's size. */
static bool digest_len_ok(TEE_OperationHandle op, size_t len)
{
	return op->ai->main == MAIN_RSA_V15_NOOID || len == hash_size_of(op->ai->hash);
}

TEE_Result rsa_sign(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		    const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len)
{
	size_t mod = mod_bytes(op->key1);
	size_t out = mod;
	EVP_PKEY_CTX *ctx;
	TEE_Result res = TEE_ERROR_BAD_PARAMETERS;

	if (!digest_len_ok(op, len))
		return TEE_ERROR_BAD_PARAMETERS;
	if (*sig_len < mod) {
		*sig_len = mod;
		return TEE_ERROR_SHORT_BUFFER;
	}
	ctx = key_ctx(op);
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 && setup_sig(op, ctx, params, count) &&
	    EVP_PKEY_sign(ctx, sig, &out, digest, len) == 1) {
		*sig_len = out;
		res = TEE_SUCCESS;
	}
	EVP_PKEY_CTX_free(ctx);
	return res;
}

TEE_Result rsa_verify(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		      const uint8_t *digest, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx;
	TEE_Result res = TEE_ERROR_SIGNATURE_INVALID;

	if (!digest_len_ok(op, len))
		return TEE_ERROR_BAD_PARAMETERS;
	if (sig_len != mod_bytes(op->key1))
		return TEE_ERROR_SIGNATURE_INVALID;
	ctx = key_ctx(op);
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || !setup_sig(op, ctx, params, count))
		res = TEE_ERROR_BAD_PARAMETERS;
	else if (EVP_PKEY_verify(ctx, sig, sig_len, digest, len) == 1)
		res = TEE_SUCCESS;
	EVP_PKEY_CTX_free(ctx);
	return res;
}

/* OAEP: the hash, the MGF1 hash (default the same) and the label. */
static TEE_Result setup_oaep(TEE_OperationHandle op, EVP_PKEY_CTX *ctx,
			     const TEE_Attribute *params, uint32_t count)
{
	const TEE_Attribute *mgf = attr_find(params, count, TEE_ATTR_RSA_OAEP_MGF_HASH);
	const TEE_Attribute *label = attr_find(params, count, TEE_ATTR_RSA_OAEP_LABEL);
	const EVP_MD *md = evp_md_for(op->ai->hash);
	const EVP_MD *mgf_md = md;
	void *lab = NULL;

	/* a reference attribute holding the TEE_ALG_SHA* id, as OP-TEE reads it */
	if (mgf) {
		uint32_t alg = 0;

		if (mgf->content.ref.length != sizeof(alg) || !mgf->content.ref.buffer)
			return TEE_ERROR_BAD_PARAMETERS;
		memcpy(&alg, mgf->content.ref.buffer, sizeof(alg));
		mgf_md = evp_md_for(alg);
	}
	if (!md || !mgf_md)
		return TEE_ERROR_BAD_PARAMETERS;
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf_md) != 1)
		return TEE_ERROR_GENERIC;
	if (label && label->content.ref.length) {
		PANIC_UNLESS(label->content.ref.buffer, TEE_ERROR_BAD_PARAMETERS);
		PANIC_UNLESS(label->content.ref.length <= INT32_MAX, TEE_ERROR_BAD_PARAMETERS);
		lab = OPENSSL_memdup(label->content.ref.buffer, label->content.ref.length);
		/* the context takes the copy */
		if (!lab || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab,
					(int)label->content.ref.length) != 1) {
			OPENSSL_free(lab);
			return TEE_ERROR_OUT_OF_MEMORY;
		}
	}
	return TEE_SUCCESS;
}

static TEE_Result setup_crypt(TEE_OperationHandle op, EVP_PKEY_CTX *ctx,
			      const TEE_Attribute *params, uint32_t count)
{
	unsigned int no_implicit = 0;
	OSSL_PARAM p[] = {
		/* a bad PKCS#1 v1.5 padding is an error, not a random message (OpenSSL 3.2+) */
		OSSL_PARAM_uint("implicit-rejection", &no_implicit),
		OSSL_PARAM_END,
	};

	switch (op->ai->main) {
	case MAIN_RSA_OAEP:
		return setup_oaep(op, ctx, params, count);
	case MAIN_RSAES_V15:
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
			return TEE_ERROR_GENERIC;
		(void)EVP_PKEY_CTX_set_params(ctx, p);
		return TEE_SUCCESS;
	default:
		return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 ? TEE_SUCCESS :
										 TEE_ERROR_GENERIC;
	}
}

/* The operation itself, into `out` (mod bytes of room); *out_len the bytes made. */
static TEE_Result crypt_raw(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
			    const uint8_t *src, size_t len, uint8_t *out, size_t *out_len)
{
	bool enc = op->info.mode == TEE_MODE_ENCRYPT;
	EVP_PKEY_CTX *ctx = key_ctx(op);
	TEE_Result res = TEE_ERROR_GENERIC;

	if (ctx && (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1)
		res = setup_crypt(op, ctx, params, count);
	if (!res && (enc ? EVP_PKEY_encrypt(ctx, out, out_len, src, len) :
			   EVP_PKEY_decrypt(ctx, out, out_len, src, len)) != 1)
		res = TEE_ERROR_BAD_PARAMETERS; /* too long, or a bad padding */
	EVP_PKEY_CTX_free(ctx);
	return res;
}

/* RSA without padding: the input as a number below the modulus, the output stripped of
 * its leading zero bytes (one zero kept for a zero result). */
static TEE_Result nopad(TEE_OperationHandle op, const uint8_t *src, size_t len, uint8_t *dst,
			size_t *dst_len, uint8_t *tmp, size_t mod)
{
	const struct obj_attr *n = obj_attr_get(op->key1, TEE_ATTR_RSA_MODULUS);
	size_t out = mod, skip = 0;
	TEE_Result res;

	if (len > mod)
		return TEE_ERROR_BAD_PARAMETERS;
	memset(tmp, 0, mod);
	if (len)
		memcpy(tmp + mod - len, src, len);
	if (memcmp(tmp, n->buf, mod) >= 0)
		return TEE_ERROR_BAD_PARAMETERS;
	res = crypt_raw(op, NULL, 0, tmp, mod, tmp + mod, &out);
	if (res)
		return res;
	while (skip + 1 < out && !tmp[mod + skip])
		skip++;
	if (*dst_len < out - skip) {
		*dst_len = out - skip;
		return TEE_ERROR_SHORT_BUFFER;
	}
	memcpy(dst, tmp + mod + skip, out - skip);
	*dst_len = out - skip;
	return TEE_SUCCESS;
}

TEE_Result rsa_crypt(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		     const uint8_t *src, size_t len, uint8_t *dst, size_t *dst_len)
{
	size_t mod = mod_bytes(op->key1);
	uint8_t *tmp;
	size_t out = mod;
	TEE_Result res;

	if (!mod)
		return TEE_ERROR_BAD_PARAMETERS;
	/* RSAES encryption: the output is the modulus size, asked for before anything */
	if (op->ai->main != MAIN_RSA_NOPAD && op->info.mode == TEE_MODE_ENCRYPT &&
	    *dst_len < mod) {
		*dst_len = mod;
		return TEE_ERROR_SHORT_BUFFER;
	}
	tmp = malloc(2 * mod);
	if (!tmp)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (op->ai->main == MAIN_RSA_NOPAD) {
		res = nopad(op, src, len, dst, dst_len, tmp, mod);
	} else {
		res = crypt_raw(op, params, count, src, len, tmp, &out);
		if (!res && *dst_len < out) {
			*dst_len = out;
			res = TEE_ERROR_SHORT_BUFFER;
		} else if (!res) {
			memcpy(dst, tmp, out);
			*dst_len = out;
		}
	}
	OPENSSL_clear_free(tmp, 2 * mod);
	return res;
}
