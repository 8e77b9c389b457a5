/* The asymmetric entry points, both dialects: libutee's checks (all panics), the engines of
 * op_rsa.c / op_ecc.c, and the results each function lets through (the rest panic): sign:
 * SHORT_BUFFER; verify: SIGNATURE_INVALID; encrypt and decrypt: SHORT_BUFFER and
 * BAD_PARAMETERS, plus CIPHERTEXT_INVALID and NOT_SUPPORTED in the GP 1.3 dialect. */
#include "crypto_int.h"

static TEE_OperationHandle asym_op(TEE_OperationHandle operation, uint32_t op_class,
				   uint32_t mode, const TEE_Attribute *params, uint32_t count,
				   const void *src, size_t len)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(src || !len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(params || !count, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == op_class && op->info.mode == mode, 0);
	/* the core refuses a key-less operation; libutee panics on that */
	PANIC_UNLESS(op->key1 && (op->key1->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED),
		     TEE_ERROR_BAD_PARAMETERS);
	return op;
}

static bool uses_rsa(TEE_OperationHandle op)
{
	return op->ai->key_type == TEE_TYPE_RSA_PUBLIC_KEY;
}

static TEE_Result asym_crypt(TEE_OperationHandle operation, uint32_t mode,
			     const TEE_Attribute *params, uint32_t count, const void *src,
			     size_t len, void *dst, size_t *dst_len)
{
	TEE_OperationHandle op = asym_op(operation, TEE_OPERATION_ASYMMETRIC_CIPHER, mode, params,
					 count, src, len);

	PANIC_UNLESS(dst_len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(dst || !*dst_len, TEE_ERROR_BAD_PARAMETERS);
	return rsa_crypt(op, params, count, src, len, dst, dst_len);
}

static TEE_Result asym_sign(TEE_OperationHandle operation, const TEE_Attribute *params,
			    uint32_t count, const void *digest, size_t len, void *sig,
			    size_t *sig_len)
{
	TEE_OperationHandle op = asym_op(operation, TEE_OPERATION_ASYMMETRIC_SIGNATURE,
					 TEE_MODE_SIGN, params, count, digest, len);
	TEE_Result res;

	PANIC_UNLESS(sig_len, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(sig || !*sig_len, TEE_ERROR_BAD_PARAMETERS);
	res = uses_rsa(op) ? rsa_sign(op, params, count, digest, len, sig, sig_len) :
			     ecc_sign(op, params, count, digest, len, sig, sig_len);
	ALLOW_ONLY(res, TEE_ERROR_SHORT_BUFFER);
	return res;
}

static TEE_Result asym_verify(TEE_OperationHandle operation, const TEE_Attribute *params,
			      uint32_t count, const void *digest, size_t len, const void *sig,
			      size_t sig_len)
{
	TEE_OperationHandle op = asym_op(operation, TEE_OPERATION_ASYMMETRIC_SIGNATURE,
					 TEE_MODE_VERIFY, params, count, digest, len);
	TEE_Result res;

	PANIC_UNLESS(sig || !sig_len, TEE_ERROR_BAD_PARAMETERS);
	res = uses_rsa(op) ? rsa_verify(op, params, count, digest, len, sig, sig_len) :
			     ecc_verify(op, params, count, digest, len, sig, sig_len);
	ALLOW_ONLY(res, TEE_ERROR_SIGNATURE_INVALID);
	return res;
}

/* The GP 1.3 dialect lets two more results through than GP 1.1 does. */
static TEE_Result crypt13(TEE_OperationHandle operation, uint32_t mode,
			  const TEE_Attribute *params, uint32_t count, const void *src,
			  size_t len, void *dst, size_t *dst_len)
{
	TEE_Result res = asym_crypt(operation, mode, params, count, src, len, dst, dst_len);

	ALLOW_ONLY(res, TEE_ERROR_SHORT_BUFFER, TEE_ERROR_BAD_PARAMETERS,
		   TEE_ERROR_CIPHERTEXT_INVALID, TEE_ERROR_NOT_SUPPORTED);
	return res;
}

TEE_Result TEE_AsymmetricEncrypt(TEE_OperationHandle operation, const TEE_Attribute *params,
				 uint32_t paramCount, const void *srcData, size_t srcLen,
				 void *destData, size_t *destLen)
{
	return crypt13(operation, TEE_MODE_ENCRYPT, params, paramCount, srcData, srcLen, destData,
		       destLen);
}

TEE_Result TEE_AsymmetricDecrypt(TEE_OperationHandle operation, const TEE_Attribute *params,
				 uint32_t paramCount, const void *srcData, size_t srcLen,
				 void *destData, size_t *destLen)
{
	return crypt13(operation, TEE_MODE_DECRYPT, params, paramCount, srcData, srcLen, destData,
		       destLen);
}

TEE_Result TEE_AsymmetricSignDigest(TEE_OperationHandle operation, const TEE_Attribute *params,
				    uint32_t paramCount, const void *digest, size_t digestLen,
				    void *signature, size_t *signatureLen)
{
	return asym_sign(operation, params, paramCount, digest, digestLen, signature,
			 signatureLen);
}

TEE_Result TEE_AsymmetricVerifyDigest(TEE_OperationHandle operation,
				      const TEE_Attribute *params, uint32_t paramCount,
				      const void *digest, size_t digestLen, const void *signature,
				      size_t signatureLen)
{
	return asym_verify(operation, params, paramCount, digest, digestLen, signature,
			   signatureLen);
}

/* ---- GP 1.1: 32-bit lengths and attributes ---- */

static TEE_Result gp11_crypt(TEE_OperationHandle operation, uint32_t mode,
			     const __GP11_TEE_Attribute *params, uint32_t count, const void *src,
			     uint32_t len, void *dst, uint32_t *dst_len)
{
	TEE_Attribute *attrs;
	size_t dl;
	TEE_Result res;

	PANIC_UNLESS(dst_len, TEE_ERROR_BAD_PARAMETERS);
	attrs = attrs_from_gp11(params, count);
	dl = *dst_len;
	res = asym_crypt(operation, mode, attrs, count, src, len, dst, &dl);
	attrs_free(attrs);
	*dst_len = (uint32_t)dl;
	ALLOW_ONLY(res, TEE_ERROR_SHORT_BUFFER, TEE_ERROR_BAD_PARAMETERS);
	return res;
}

TEE_Result __GP11_TEE_AsymmetricEncrypt(TEE_OperationHandle operation,
					const __GP11_TEE_Attribute *params, uint32_t paramCount,
					const void *srcData, uint32_t srcLen, void *destData,
					uint32_t *destLen)
{
	return gp11_crypt(operation, TEE_MODE_ENCRYPT, params, paramCount, srcData, srcLen,
			  destData, destLen);
}

TEE_Result __GP11_TEE_AsymmetricDecrypt(TEE_OperationHandle operation,
					const __GP11_TEE_Attribute *params, uint32_t paramCount,
					const void *srcData, uint32_t srcLen, void *destData,
					uint32_t *destLen)
{
	return gp11_crypt(operation, TEE_MODE_DECRYPT, params, paramCount, srcData, srcLen,
			  destData, destLen);
}

TEE_Result __GP11_TEE_AsymmetricSignDigest(TEE_OperationHandle operation,
					   const __GP11_TEE_Attribute *params,
					   uint32_t paramCount, const void *digest,
					   uint32_t digestLen, void *signature,
					   uint32_t *signatureLen)
{
	TEE_Attribute *attrs;
	size_t sl;
	TEE_Result res;

	PANIC_UNLESS(signatureLen, TEE_ERROR_BAD_PARAMETERS);
	attrs = attrs_from_gp11(params, paramCount);
	sl = *signatureLen;
	res = asym_sign(operation, attrs, paramCount, digest, digestLen, signature, &sl);
	attrs_free(attrs);
	*signatureLen = (uint32_t)sl;
	return res;
}

TEE_Result __GP11_TEE_AsymmetricVerifyDigest(TEE_OperationHandle operation,
					     const __GP11_TEE_Attribute *params,
					     uint32_t paramCount, const void *digest,
					     uint32_t digestLen, const void *signature,
					     uint32_t signatureLen)
{
	TEE_Attribute *attrs = attrs_from_gp11(params, paramCount);
	TEE_Result res = asym_verify(operation, attrs, paramCount, digest, digestLen, signature,
				     signatureLen);

	attrs_free(attrs);
	return res;
}
