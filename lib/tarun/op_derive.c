/* TEE_DeriveKey: ECDH on the NIST curves (the peer's X then Y, exactly these two attributes)
 * and X25519 (the peer's TEE_ATTR_X25519_PUBLIC_VALUE), the shared secret going into an
 * uninitialised TEE_TYPE_GENERIC_SECRET object. Every failure panics the TA, as there. */
#include "crypto_int.h"

#include <openssl/crypto.h>

/* The peer's public point (X then Y, exactly) on the curve of our key. */
static EVP_PKEY *ecdh_peer(TEE_ObjectHandle key, const TEE_Attribute *params, uint32_t count)
{
	const struct obj_attr *curve = obj_attr_get(key, TEE_ATTR_ECC_CURVE);
	const TEE_Attribute *x = &params[0], *y = &params[1];

	PANIC_UNLESS(count == 2 && x->attributeID == TEE_ATTR_ECC_PUBLIC_VALUE_X &&
		     y->attributeID == TEE_ATTR_ECC_PUBLIC_VALUE_Y && curve,
		     TEE_ERROR_BAD_PARAMETERS);
	return ecc_public_pkey(curve->a, x->content.ref.buffer, x->content.ref.length,
			       y->content.ref.buffer, y->content.ref.length);
}

static EVP_PKEY *x25519_peer(const TEE_Attribute *params, uint32_t count)
{
	const TEE_Attribute *pub = &params[0];

	PANIC_UNLESS(count == 1 && pub->attributeID == TEE_ATTR_X25519_PUBLIC_VALUE &&
		     pub->content.ref.length == 32 && pub->content.ref.buffer,
		     TEE_ERROR_BAD_PARAMETERS);
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub->content.ref.buffer, 32);
}

/* Our key and the peer's, into `secret` (room for 66 bytes); its length. */
static size_t shared_secret(TEE_OperationHandle op, const TEE_Attribute *params,
			    uint32_t count, uint8_t *secret)
{
	EVP_PKEY *mine = obj_pkey(op->key1);
	EVP_PKEY *peer;
	EVP_PKEY_CTX *ctx;
	size_t len = 66;
	bool ok;

	PANIC_UNLESS(params || !count, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(count, TEE_ERROR_BAD_PARAMETERS);
	/* the legacy ECDH ids act as TEE_ALG_ECDH_DERIVE_SHARED_SECRET: any NIST curve */
	peer = op->ai->main == MAIN_X25519 ? x25519_peer(params, count) :
					     ecdh_peer(op->key1, params, count);
	ctx = mine && peer ? EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL) : NULL;
	ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
	     EVP_PKEY_derive(ctx, secret, &len) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	PANIC_UNLESS(ok, TEE_ERROR_BAD_PARAMETERS);
	return len;
}

void TEE_DeriveKey(TEE_OperationHandle operation, const TEE_Attribute *params,
		   uint32_t paramCount, TEE_ObjectHandle derivedKey)
{
	TEE_OperationHandle op = op_checked(operation);
	uint8_t secret[66];
	size_t len;
	TEE_Result res;

	PANIC_UNLESS(derivedKey, 0);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_KEY_DERIVATION &&
		     op->info.mode == TEE_MODE_DERIVE && op->key1 &&
		     (op->info.handleState & TEE_HANDLE_FLAG_KEY_SET), 0);
	obj_checked(derivedKey);
	PANIC_UNLESS(derivedKey->info.objectType == TEE_TYPE_GENERIC_SECRET, 0);
	PANIC_UNLESS(!(derivedKey->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED), 0);
	len = shared_secret(op, params, paramCount, secret);
	res = obj_attr_store(derivedKey, 0, secret, len);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (res)
		tarun_panic(res);
	derivedKey->info.objectSize = (uint32_t)len * 8;
	derivedKey->info.handleFlags |= TEE_HANDLE_FLAG_INITIALIZED;
}

void __GP11_TEE_DeriveKey(TEE_OperationHandle operation, const __GP11_TEE_Attribute *params,
			  uint32_t paramCount, TEE_ObjectHandle derivedKey)
{
	TEE_Attribute *attrs = attrs_from_gp11(params, paramCount);

	TEE_DeriveKey(operation, attrs, paramCount, derivedKey);
	attrs_free(attrs);
}
