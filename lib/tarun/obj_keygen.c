/* TEE_GenerateKey: secret keys (AES, HMAC, generic), RSA (optional public exponent), ECC on
 * the NIST curves, Ed25519 and X25519, with OP-TEE's rules: the size follows the type's rules
 * (else the TA panics), an RSA exponent must be odd and 65537 <= e < 2^256, an ECC key's size
 * must be its curve's (else TEE_ERROR_BAD_PARAMETERS). */
#include "crypto_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

static TEE_Result gen_secret(TEE_ObjectHandle o, uint32_t bits)
{
	size_t len = bits / 8;
	uint8_t key[TARUN_RSA_MAX_BITS / 8];
	TEE_Result res;

	if (len > o->t->max_bits / 8u)
		return TEE_ERROR_EXCESS_DATA;
	if (RAND_bytes(key, (int)len) != 1)
		return TEE_ERROR_GENERIC;
	res = obj_attr_store(o, 0, key, len);
	OPENSSL_cleanse(key, sizeof(key));
	return res;
}

/* NIST SP 800-56B's rule, as OP-TEE's core checks it: odd, 65537 <= e < 2^256. */
static bool rsa_exponent_ok(const struct obj_attr *e)
{
	uint32_t v = 0;

	if (e->len > 32 || e->len < 3 || !(e->buf[e->len - 1] & 1))
		return false;
	if (e->len > 3)
		return true;
	for (size_t i = 0; i < 3; i++)
		v = v << 8 | e->buf[i];
	return v >= 65537;
}

/* OpenSSL generates RSA keys of 512 bits and more; OP-TEE goes down to 256. Below 512 the
 * key is made here from two primes, with all its CRT values. */
static TEE_Result gen_small_rsa(TEE_ObjectHandle o, uint32_t bits, const BIGNUM *e)
{
	static const uint32_t ids[] = {
		TEE_ATTR_RSA_MODULUS, TEE_ATTR_RSA_PRIVATE_EXPONENT, TEE_ATTR_RSA_PRIME1,
		TEE_ATTR_RSA_PRIME2, TEE_ATTR_RSA_EXPONENT1, TEE_ATTR_RSA_EXPONENT2,
		TEE_ATTR_RSA_COEFFICIENT,
	};
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *v[7], *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
	TEE_Result res = TEE_ERROR_GENERIC;
	bool ok = ctx && p1 && q1 && phi;

	for (int i = 0; i < 7; i++) {
		v[i] = BN_new();
		ok = ok && v[i];
	}
	/* v: n, d, p, q, dp, dq, qinv */
	for (int tries = 0; ok && tries < 100; tries++) {
		ok = BN_generate_prime_ex(v[2], (int)(bits - bits / 2), 0, NULL, NULL, NULL) &&
		     BN_generate_prime_ex(v[3], (int)(bits / 2), 0, NULL, NULL, NULL) &&
		     BN_mul(v[0], v[2], v[3], ctx) && BN_sub(p1, v[2], BN_value_one()) &&
		     BN_sub(q1, v[3], BN_value_one()) && BN_mul(phi, p1, q1, ctx);
		if (ok && BN_num_bits(v[0]) == (int)bits && BN_cmp(v[2], v[3]) &&
		    BN_mod_inverse(v[1], e, phi, ctx)) {
			ok = BN_mod(v[4], v[1], p1, ctx) && BN_mod(v[5], v[1], q1, ctx) &&
			     BN_mod_inverse(v[6], v[3], v[2], ctx);
			res = ok ? TEE_SUCCESS : TEE_ERROR_GENERIC;
			break;
		}
	}
	for (int i = 0; i < 7 && !res; i++) {
		int idx = obj_type_attr_index(o->t, ids[i]);
		uint8_t buf[TARUN_RSA_MAX_BITS / 8];
		int len = BN_bn2bin(v[i], buf);

		res = obj_attr_store(o, idx, buf, (size_t)len);
		OPENSSL_cleanse(buf, sizeof(buf));
	}
	for (int i = 0; i < 7; i++)
		BN_clear_free(v[i]);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(phi);
	BN_CTX_free(ctx);
	return res;
}

static TEE_Result gen_rsa(TEE_ObjectHandle o, uint32_t bits)
{
	int ei = obj_type_attr_index(o->t, TEE_ATTR_RSA_PUBLIC_EXPONENT);
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 };
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e;
	TEE_Result res;

	if (o->attr[ei].set) {
		if (!rsa_exponent_ok(&o->attr[ei]))
			return TEE_ERROR_BAD_PARAMETERS;
	} else if ((res = obj_attr_store(o, ei, f4, sizeof(f4)))) {
		return res;
	}
	e = BN_bin2bn(o->attr[ei].buf, (int)o->attr[ei].len, NULL);
	if (!e)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (bits < 512) {
		res = gen_small_rsa(o, bits, e);
		BN_free(e);
		return res;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	res = TEE_ERROR_BAD_PARAMETERS;
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 && EVP_PKEY_generate(ctx, &pkey) == 1)
		res = obj_from_pkey(o, pkey);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	return res;
}

static TEE_Result gen_pkey(TEE_ObjectHandle o, const char *alg, const char *group)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;
	TEE_Result res = TEE_ERROR_GENERIC;

	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    (!group || EVP_PKEY_CTX_set_group_name(ctx, group) == 1) &&
	    EVP_PKEY_generate(ctx, &pkey) == 1)
		res = obj_from_pkey(o, pkey);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return res;
}

static TEE_Result gen_ecc(TEE_ObjectHandle o, uint32_t bits)
{
	const struct obj_attr *curve = obj_attr_get(o, TEE_ATTR_ECC_CURVE);
	const char *group = NULL;
	uint32_t curve_bits = 0;

	if (!curve || !ecc_curve_info(curve->a, &group, NULL, &curve_bits))
		return TEE_ERROR_NOT_SUPPORTED;
	if (curve_bits != bits)
		return TEE_ERROR_BAD_PARAMETERS;
	return gen_pkey(o, "EC", group);
}

TEE_Result obj_generate(TEE_ObjectHandle o, uint32_t bits, const TEE_Attribute *params,
			uint32_t count)
{
	TEE_Result res = obj_store_attrs(o, params, count);

	if (res)
		return res;
	switch (o->info.objectType) {
	case TEE_TYPE_AES:
	case TEE_TYPE_HMAC_SHA1:
	case TEE_TYPE_HMAC_SHA224:
	case TEE_TYPE_HMAC_SHA256:
	case TEE_TYPE_HMAC_SHA384:
	case TEE_TYPE_HMAC_SHA512:
	case TEE_TYPE_GENERIC_SECRET:
		return gen_secret(o, bits);
	case TEE_TYPE_RSA_KEYPAIR:
		return gen_rsa(o, bits);
	case TEE_TYPE_ECDSA_KEYPAIR:
	case TEE_TYPE_ECDH_KEYPAIR:
		return gen_ecc(o, bits);
	case TEE_TYPE_ED25519_KEYPAIR:
		return gen_pkey(o, "ED25519", NULL);
	case TEE_TYPE_X25519_KEYPAIR:
		return gen_pkey(o, "X25519", NULL);
	default:
		return TEE_ERROR_BAD_FORMAT;
	}
}

static TEE_Result generate(TEE_ObjectHandle o, uint32_t bits, const TEE_Attribute *params,
			   uint32_t count)
{
	TEE_Result res;

	obj_checked(o);
	PANIC_UNLESS(params || !count, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(!(o->info.handleFlags &
		       (TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED)),
		     TEE_ERROR_BAD_STATE);
	PANIC_UNLESS(o->t, TEE_ERROR_NOT_SUPPORTED);
	res = obj_type_check_size(o->t, bits);
	if (!res)
		res = obj_check_attr_set(o->t, params, count, true);
	if (!res)
		res = obj_generate(o, bits, params, count);
	if (res) {
		obj_clear(o);
		ALLOW_ONLY(res, TEE_ERROR_BAD_PARAMETERS);
		return res;
	}
	o->info.objectSize = bits;
	o->info.handleFlags |= TEE_HANDLE_FLAG_INITIALIZED;
	return TEE_SUCCESS;
}

TEE_Result TEE_GenerateKey(TEE_ObjectHandle object, uint32_t keySize,
			   const TEE_Attribute *params, uint32_t paramCount)
{
	return generate(object, keySize, params, paramCount);
}

TEE_Result __GP11_TEE_GenerateKey(TEE_ObjectHandle object, uint32_t keySize,
				  const __GP11_TEE_Attribute *params, uint32_t paramCount)
{
	TEE_Attribute *copy = attrs_from_gp11(params, paramCount);
	TEE_Result res = generate(object, keySize, copy, paramCount);

	attrs_free(copy);
	return res;
}
