/* The object types libvtee_ta knows, their key-size rules and attributes, as OP-TEE's core
 * describes them (tee_svc_cryp.c): which attributes populate needs, which form an
 * all-or-nothing group (the RSA CRT values), which one gives the object's size, and which
 * TEE_GenerateKey takes. */
#include "crypto_int.h"

#define A(id, flags, kind) { id, flags, kind }

static const struct attr_desc secret_attrs[] = {
	A(TEE_ATTR_SECRET_VALUE, ATTR_REQUIRED | ATTR_SIZE_IND, ATTR_SECRET),
};

static const struct attr_desc rsa_pub_attrs[] = {
	A(TEE_ATTR_RSA_MODULUS, ATTR_REQUIRED | ATTR_SIZE_IND, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_PUBLIC_EXPONENT, ATTR_REQUIRED, ATTR_BIGNUM),
};

static const struct attr_desc rsa_pair_attrs[] = {
	A(TEE_ATTR_RSA_MODULUS, ATTR_REQUIRED | ATTR_SIZE_IND, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_PUBLIC_EXPONENT, ATTR_REQUIRED | ATTR_GEN_OPT, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_PRIVATE_EXPONENT, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_PRIME1, ATTR_OPT_GROUP, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_PRIME2, ATTR_OPT_GROUP, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_EXPONENT1, ATTR_OPT_GROUP, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_EXPONENT2, ATTR_OPT_GROUP, ATTR_BIGNUM),
	A(TEE_ATTR_RSA_COEFFICIENT, ATTR_OPT_GROUP, ATTR_BIGNUM),
};

static const struct attr_desc ecc_pub_attrs[] = {
	A(TEE_ATTR_ECC_PUBLIC_VALUE_X, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_ECC_PUBLIC_VALUE_Y, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_ECC_CURVE, ATTR_REQUIRED | ATTR_SIZE_IND, ATTR_VALUE),
};

static const struct attr_desc ecc_pair_attrs[] = {
	A(TEE_ATTR_ECC_PRIVATE_VALUE, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_ECC_PUBLIC_VALUE_X, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_ECC_PUBLIC_VALUE_Y, ATTR_REQUIRED, ATTR_BIGNUM),
	A(TEE_ATTR_ECC_CURVE, ATTR_REQUIRED | ATTR_SIZE_IND | ATTR_GEN_REQ, ATTR_VALUE),
};

static const struct attr_desc ed25519_pub_attrs[] = {
	A(TEE_ATTR_ED25519_PUBLIC_VALUE, ATTR_REQUIRED, ATTR_KEY32),
};

static const struct attr_desc ed25519_pair_attrs[] = {
	A(TEE_ATTR_ED25519_PRIVATE_VALUE, ATTR_REQUIRED, ATTR_KEY32),
	A(TEE_ATTR_ED25519_PUBLIC_VALUE, ATTR_REQUIRED, ATTR_KEY32),
};

static const struct attr_desc x25519_pair_attrs[] = {
	A(TEE_ATTR_X25519_PRIVATE_VALUE, ATTR_REQUIRED, ATTR_KEY32),
	A(TEE_ATTR_X25519_PUBLIC_VALUE, ATTR_REQUIRED, ATTR_KEY32),
};

#define N(a) (uint8_t)(sizeof(a) / sizeof((a)[0])), a
#define SECRET(type, q, min, max) { type, min, max, q, N(secret_attrs) }

static const struct obj_type types[] = {
	SECRET(TEE_TYPE_AES, 64, 128, 256),
	SECRET(TEE_TYPE_HMAC_SHA1, 8, 80, 512),
	SECRET(TEE_TYPE_HMAC_SHA224, 8, 112, 512),
	SECRET(TEE_TYPE_HMAC_SHA256, 8, 192, 1024),
	SECRET(TEE_TYPE_HMAC_SHA384, 8, 256, 1024),
	SECRET(TEE_TYPE_HMAC_SHA512, 8, 256, 1024),
	SECRET(TEE_TYPE_GENERIC_SECRET, 8, 0, 4096),
	{ TEE_TYPE_RSA_PUBLIC_KEY, 256, TARUN_RSA_MAX_BITS, 1, N(rsa_pub_attrs) },
	{ TEE_TYPE_RSA_KEYPAIR, 256, TARUN_RSA_MAX_BITS, 1, N(rsa_pair_attrs) },
	{ TEE_TYPE_ECDSA_PUBLIC_KEY, 192, 521, 1, N(ecc_pub_attrs) },
	{ TEE_TYPE_ECDSA_KEYPAIR, 192, 521, 1, N(ecc_pair_attrs) },
	{ TEE_TYPE_ECDH_PUBLIC_KEY, 192, 521, 1, N(ecc_pub_attrs) },
	{ TEE_TYPE_ECDH_KEYPAIR, 192, 521, 1, N(ecc_pair_attrs) },
	{ TEE_TYPE_ED25519_PUBLIC_KEY, 256, 256, 1, N(ed25519_pub_attrs) },
	{ TEE_TYPE_ED25519_KEYPAIR, 256, 256, 1, N(ed25519_pair_attrs) },
	{ TEE_TYPE_X25519_KEYPAIR, 256, 256, 1, N(x25519_pair_attrs) },
};

const struct obj_type *obj_type_find(uint32_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

int obj_type_attr_index(const struct obj_type *t, uint32_t id)
{
	for (int i = 0; t && i < t->nattrs; i++)
		if (t->attrs[i].id == id)
			return i;
	return -1;
}

TEE_Result obj_type_check_size(const struct obj_type *t, uint32_t bits)
{
	if (bits % t->quantum || bits < t->min_bits || bits > t->max_bits)
		return TEE_ERROR_NOT_SUPPORTED;
	return TEE_SUCCESS;
}
