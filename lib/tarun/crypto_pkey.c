/* Between GP attributes and OpenSSL keys: an object's attributes become an EVP_PKEY when an
 * operation first needs it (kept with the object, which never changes once initialised), and
 * a generated EVP_PKEY's components become attributes. */
#include "crypto_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

bool ecc_curve_info(uint32_t curve, const char **name, size_t *bytes, uint32_t *bits)
{
	static const struct {
		uint32_t curve;
		const char *name;
		uint16_t bytes, bits;
	} curves[] = {
		{ TEE_ECC_CURVE_NIST_P192, "P-192", 24, 192 },
		{ TEE_ECC_CURVE_NIST_P224, "P-224", 28, 224 },
		{ TEE_ECC_CURVE_NIST_P256, "P-256", 32, 256 },
		{ TEE_ECC_CURVE_NIST_P384, "P-384", 48, 384 },
		{ TEE_ECC_CURVE_NIST_P521, "P-521", 66, 521 },
	};

	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i].curve != curve)
			continue;
		if (name)
			*name = curves[i].name;
		if (bytes)
			*bytes = curves[i].bytes;
		if (bits)
			*bits = curves[i].bits;
		return true;
	}
	return false;
}

static BIGNUM *attr_bn(TEE_ObjectHandle o, uint32_t id)
{
	const struct obj_attr *a = obj_attr_get(o, id);

	return a ? BN_bin2bn(a->buf, (int)a->len, NULL) : NULL;
}

static bool push_bn(OSSL_PARAM_BLD *bld, const char *key, TEE_ObjectHandle o, uint32_t id,
		    BIGNUM **keep)
{
	*keep = attr_bn(o, id);
	return *keep && OSSL_PARAM_BLD_push_BN(bld, key, *keep);
}

static EVP_PKEY *from_params(const char *alg, int selection, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;

	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_pkey(TEE_ObjectHandle o)
{
	static const struct { const char *key; uint32_t id; } parts[] = {
		{ OSSL_PKEY_PARAM_RSA_N, TEE_ATTR_RSA_MODULUS },
		{ OSSL_PKEY_PARAM_RSA_E, TEE_ATTR_RSA_PUBLIC_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_D, TEE_ATTR_RSA_PRIVATE_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_FACTOR1, TEE_ATTR_RSA_PRIME1 },
		{ OSSL_PKEY_PARAM_RSA_FACTOR2, TEE_ATTR_RSA_PRIME2 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT1, TEE_ATTR_RSA_EXPONENT1 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT2, TEE_ATTR_RSA_EXPONENT2 },
		{ OSSL_PKEY_PARAM_RSA_COEFFICIENT1, TEE_ATTR_RSA_COEFFICIENT },
	};
	bool priv = o->info.objectType == TEE_TYPE_RSA_KEYPAIR;
	/* the CRT values come as a group; without them OpenSSL works from d alone */
	size_t n = !priv ? 2 : obj_attr_get(o, TEE_ATTR_RSA_PRIME1) ? 8 : 3;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[8] = { NULL };
	EVP_PKEY *pkey = NULL;
	bool ok = bld != NULL;

	for (size_t i = 0; i < n && ok; i++)
		ok = push_bn(bld, parts[i].key, o, parts[i].id, &bn[i]);
	if (ok)
		pkey = from_params("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld);
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* An EC key on `group` from X and Y (the uncompressed point OpenSSL takes, each coordinate
 * left-padded to the field size) and, for a key pair, the private value. */
static EVP_PKEY *ecc_build(const char *group, size_t field, const uint8_t *x, size_t xl,
			   const uint8_t *y, size_t yl, const BIGNUM *priv)
{
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;

	if (xl > field || yl > field || (xl && !x) || (yl && !y))
		return NULL;
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	if (xl)
		memcpy(pt + 1 + field - xl, x, xl);
	if (yl)
		memcpy(pt + 1 + 2 * field - yl, y, yl);
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * field) &&
	    (!priv || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		pkey = from_params("EC", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *ecc_public_pkey(uint32_t curve, const void *x, size_t xl, const void *y, size_t yl)
{
	const char *group = NULL;
	size_t field = 0;

	if (!ecc_curve_info(curve, &group, &field, NULL))
		return NULL;
	return ecc_build(group, field, x, xl, y, yl, NULL);
}

static EVP_PKEY *ecc_pkey(TEE_ObjectHandle o)
{
	const struct obj_attr *curve = obj_attr_get(o, TEE_ATTR_ECC_CURVE);
	const struct obj_attr *x = obj_attr_get(o, TEE_ATTR_ECC_PUBLIC_VALUE_X);
	const struct obj_attr *y = obj_attr_get(o, TEE_ATTR_ECC_PUBLIC_VALUE_Y);
	bool priv = o->info.objectType == TEE_TYPE_ECDSA_KEYPAIR ||
		    o->info.objectType == TEE_TYPE_ECDH_KEYPAIR;
	const char *group = NULL;
	size_t field = 0;
	BIGNUM *d = NULL;
	EVP_PKEY *pkey = NULL;

	if (!curve || !x || !y || !ecc_curve_info(curve->a, &group, &field, NULL))
		return NULL;
	if (priv && !(d = attr_bn(o, TEE_ATTR_ECC_PRIVATE_VALUE)))
		return NULL;
	pkey = ecc_build(group, field, x->buf, x->len, y->buf, y->len, d);
	BN_clear_free(d);
	return pkey;
}

static EVP_PKEY *raw_pkey(TEE_ObjectHandle o, int type, uint32_t priv_id, uint32_t pub_id)
{
	const struct obj_attr *priv = obj_attr_get(o, priv_id);
	const struct obj_attr *pub = obj_attr_get(o, pub_id);

	if (priv)
		return EVP_PKEY_new_raw_private_key(type, NULL, priv->buf, priv->len);
	if (pub)
		return EVP_PKEY_new_raw_public_key(type, NULL, pub->buf, pub->len);
	return NULL;
}

EVP_PKEY *obj_pkey(TEE_ObjectHandle o)
{
	if (o->pkey)
		return o->pkey;
	switch (o->info.objectType) {
	case TEE_TYPE_RSA_PUBLIC_KEY:
	case TEE_TYPE_RSA_KEYPAIR:
		o->pkey = rsa_pkey(o);
		break;
	case TEE_TYPE_ECDSA_PUBLIC_KEY:
	case TEE_TYPE_ECDSA_KEYPAIR:
	case TEE_TYPE_ECDH_PUBLIC_KEY:
	case TEE_TYPE_ECDH_KEYPAIR:
		o->pkey = ecc_pkey(o);
		break;
	case TEE_TYPE_ED25519_PUBLIC_KEY:
	case TEE_TYPE_ED25519_KEYPAIR:
		o->pkey = raw_pkey(o, EVP_PKEY_ED25519, TEE_ATTR_ED25519_PRIVATE_VALUE,
				   TEE_ATTR_ED25519_PUBLIC_VALUE);
		break;
	case TEE_TYPE_X25519_KEYPAIR:
		o->pkey = raw_pkey(o, EVP_PKEY_X25519, TEE_ATTR_X25519_PRIVATE_VALUE,
				   TEE_ATTR_X25519_PUBLIC_VALUE);
		break;
	default:
		break;
	}
	return o->pkey;
}

/* ---- generated keys into attributes ---- */

static TEE_Result store_bn(TEE_ObjectHandle o, uint32_t id, const BIGNUM *bn)
{
	int idx = obj_type_attr_index(o->t, id);
	int len = BN_num_bytes(bn);
	uint8_t *buf = malloc(len ? (size_t)len : 1);
	TEE_Result res;

	if (idx < 0 || !buf) {
		free(buf);
		return idx < 0 ? TEE_ERROR_BAD_STATE : TEE_ERROR_OUT_OF_MEMORY;
	}
	BN_bn2bin(bn, buf);
	res = obj_attr_store(o, idx, buf, (size_t)len);
	OPENSSL_clear_free(buf, len ? (size_t)len : 1);
	return res;
}

static TEE_Result store_bn_params(TEE_ObjectHandle o, EVP_PKEY *pkey,
				  const char *const *keys, const uint32_t *ids, size_t n)
{
	TEE_Result res = TEE_SUCCESS;

	for (size_t i = 0; i < n && !res; i++) {
		BIGNUM *bn = NULL;

		if (EVP_PKEY_get_bn_param(pkey, keys[i], &bn) != 1)
			return TEE_ERROR_GENERIC;
		res = store_bn(o, ids[i], bn);
		BN_clear_free(bn);
	}
	return res;
}

static TEE_Result raw_from_pkey(TEE_ObjectHandle o, EVP_PKEY *pkey, uint32_t priv_id,
				uint32_t pub_id)
{
	uint8_t priv[32], pub[32];
	size_t lpriv = sizeof(priv), lpub = sizeof(pub);
	TEE_Result res = TEE_ERROR_GENERIC;

	if (EVP_PKEY_get_raw_private_key(pkey, priv, &lpriv) == 1 &&
	    EVP_PKEY_get_raw_public_key(pkey, pub, &lpub) == 1) {
		res = obj_attr_store(o, obj_type_attr_index(o->t, priv_id), priv, lpriv);
		if (!res)
			res = obj_attr_store(o, obj_type_attr_index(o->t, pub_id), pub, lpub);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return res;
}

TEE_Result obj_from_pkey(TEE_ObjectHandle o, EVP_PKEY *pkey)
{
	static const char *const rsa_keys[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	static const uint32_t rsa_ids[] = {
		TEE_ATTR_RSA_MODULUS, TEE_ATTR_RSA_PUBLIC_EXPONENT, TEE_ATTR_RSA_PRIVATE_EXPONENT,
		TEE_ATTR_RSA_PRIME1, TEE_ATTR_RSA_PRIME2, TEE_ATTR_RSA_EXPONENT1,
		TEE_ATTR_RSA_EXPONENT2, TEE_ATTR_RSA_COEFFICIENT,
	};
	static const char *const ec_keys[] = {
		OSSL_PKEY_PARAM_PRIV_KEY, OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y,
	};
	static const uint32_t ec_ids[] = {
		TEE_ATTR_ECC_PRIVATE_VALUE, TEE_ATTR_ECC_PUBLIC_VALUE_X, TEE_ATTR_ECC_PUBLIC_VALUE_Y,
	};

	switch (o->info.objectType) {
	case TEE_TYPE_RSA_KEYPAIR:
		return store_bn_params(o, pkey, rsa_keys, rsa_ids, 8);
	case TEE_TYPE_ECDSA_KEYPAIR:
	case TEE_TYPE_ECDH_KEYPAIR:
		return store_bn_params(o, pkey, ec_keys, ec_ids, 3);
	case TEE_TYPE_ED25519_KEYPAIR:
		return raw_from_pkey(o, pkey, TEE_ATTR_ED25519_PRIVATE_VALUE,
				     TEE_ATTR_ED25519_PUBLIC_VALUE);
	case TEE_TYPE_X25519_KEYPAIR:
		return raw_from_pkey(o, pkey, TEE_ATTR_X25519_PRIVATE_VALUE,
				     TEE_ATTR_X25519_PUBLIC_VALUE);
	default:
		return TEE_ERROR_BAD_STATE;
	}
}
