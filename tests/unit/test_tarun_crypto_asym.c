/* libvtee_ta, asymmetric algorithms against known answers: RSA from a fixed 1024-bit key
 * (PKCS#1 v1.5 signatures, which are deterministic, and OAEP / v1.5 ciphertexts made by
 * another implementation, Python's cryptography; PSS and OAEP round trips; RSA without
 * padding), ECDSA (RFC 6979 A.2.5's P-256 signature), Ed25519 (RFC 8032 tests 1 and 2),
 * X25519 (RFC 7748 6.1), ECDH (RFC 5903 8.1 and 8.2, P-521 between generated keys);
 * generated ECDSA keys on every curve; and
 * OP-TEE's sizes and error paths: SHORT_BUFFER with the size, SIGNATURE_INVALID, panics. */
#include "tarun_crypto_test.h"

#include <stdlib.h>

/* An object of `type` from attributes given as hex (ref) or, for the curve, a value. */
static TEE_ObjectHandle make_obj(uint32_t type, uint32_t bits, const uint32_t *ids,
				 const char *const *hex, size_t n)
{
	static uint8_t store[8][600];
	TEE_Attribute attrs[8];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_AllocateTransientObject(type, bits, &o), TEE_SUCCESS);
	for (size_t i = 0; i < n; i++) {
		if (ids[i] & TEE_ATTR_FLAG_VALUE)
			TEE_InitValueAttribute(&attrs[i], ids[i], (uint32_t)strtoul(hex[i], NULL, 0),
					       0);
		else
			TEE_InitRefAttribute(&attrs[i], ids[i], store[i], unhex(hex[i], store[i]));
	}
	REQUIRE_EQ(TEE_PopulateTransientObject(o, attrs, (uint32_t)n), TEE_SUCCESS);
	return o;
}

static const char *const rsa_hex[] = {
	"b6713085647997d14d3c2cbcdd071294bd3ccbed4d489f536c5f33994a9b20c5dd072ae3654d831a6e7243"
	"18dd355abdee496237d8d6e86e11f82ac07a32bb3b1317361da6327172986d200431c85f262a648d034d8b"
	"77cf336f7e22f51a332d1e1f4348afbfb94d135040048f898898b23e67674133a31aa18448f9addff2f9",
	"010001",
	"6a1685ad7b908d2c8329f3a5db2d0aabfd22863eb64afd82c828cfdb5a9bbc41f25601a57b39c87bad2fba"
	"3e921b3d69e64f3bd2d7bf9826b1424ab1e41cedebdfc5aced4d75da2ebb1d45448fb3d5e886bdf8206f2f"
	"6fcb92b21ba62787729d6ea504c21c673e81ebd4c41640c7ebb08aec9e72237f0c0fb72ea57a007cd0a5",
	"d8fc3ad3f4bcfc57fa0674be23e3cab7420fcfd207a0a52e673472fffdb7ed5f00e11bab6c42855e983121"
	"a1594f093a0ade0779e3d716c7ba29ac095731b3a7",
	"d73ef3128a10e0ab26edd2f49a98b51ae6612c949fb9b2812e7be7f473e2224db6796d8b1add92e22373de"
	"3f7ed1437abe19d674257f36bae907ea506f08785f",
	"313b99c579e45f853eafb45168274959a75d9b13d6b336877ed741b89fc2d9d3128a0113362f29bfbadc7a"
	"faf71e9dc353afe9165901f6a33eb431dab4b40c45",
	"c10c0a41c46662b9de0e4ab76ab82f25d31db03814111e51d1f8fb0e39a8c50f61eb021e52980b169aa95e"
	"d91fca5b75086e6ff27776e3053bdf077de0377e8d",
	"740e549a54160f1e069752a99c9ff22dfac94c7385616ab1778104c9224217001c590043dfdb2c9387a9c5"
	"a9ce98d1213d54fb6c565dcb644b2e575d52c93202",
};
static const uint32_t rsa_ids[] = {
	TEE_ATTR_RSA_MODULUS, TEE_ATTR_RSA_PUBLIC_EXPONENT, TEE_ATTR_RSA_PRIVATE_EXPONENT,
	TEE_ATTR_RSA_PRIME1, TEE_ATTR_RSA_PRIME2, TEE_ATTR_RSA_EXPONENT1, TEE_ATTR_RSA_EXPONENT2,
	TEE_ATTR_RSA_COEFFICIENT,
};
/* PKCS#1 v1.5 signatures of "abc" with SHA-256 and SHA-1 under that key */
static const char sig_sha256[] =
	"a5c8f9e528b66900851ccc67ad26e80b18c3082a4eeb99e18bf2a72e8586837781267b12e3a5235ed22238"
	"c35976c7f65d368ecc9707e128df2f1e3c66ebd6eecc2fd0b313935f5ec5b6987a799f7904f3e14535da6b"
	"08de3918210d70c560fb9b2240f4222dfd72f6fadacdee557f2aebfee3e57bef9cfba1129db1da38248f";
static const char sig_sha1[] =
	"4be9dd91e679e517f4d957d203814b1440e14b619a08c70fc157edc4d565cccc3fd629711c5266d56484d4"
	"7c23d35b8c18a61d9cd579a16e29aa75b382fafc28d0b39447dd0bad9f16e9eb9910c63f7cd498775afeff"
	"7288923b1ed48e28640eced2268e4620a25561fbe9f5c596dd966f9521c8d648c589054ecfcebede1a36";
static const char sha256_abc[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static TEE_OperationHandle asym_op(uint32_t alg, uint32_t mode, uint32_t bits,
				   TEE_ObjectHandle key)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_AllocateOperation(&op, alg, mode, bits), TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey(op, key), TEE_SUCCESS);
	return op;
}

static TEE_ObjectHandle rsa_pair(bool crt)
{
	return make_obj(TEE_TYPE_RSA_KEYPAIR, 1024, rsa_ids, rsa_hex, crt ? 8 : 3);
}

static void test_rsa_pkcs1_v15(void)
{
	TEE_ObjectHandle pair = rsa_pair(true), nocrt = rsa_pair(false);
	TEE_ObjectHandle pub = make_obj(TEE_TYPE_RSA_PUBLIC_KEY, 1024, rsa_ids, rsa_hex, 2);
	uint8_t dig[32], sig[128], want[128];
	size_t len = 10;
	TEE_OperationHandle op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_MODE_SIGN, 1024,
					 pair);

	unhex(sha256_abc, dig);
	CHECK_EQ(TEE_AsymmetricSignDigest(op, NULL, 0, dig, 32, sig, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 128);
	CHECK_EQ(TEE_AsymmetricSignDigest(op, NULL, 0, dig, 32, sig, &len), TEE_SUCCESS);
	CHECK(same_hex(sig, len, sig_sha256));
	TEE_FreeOperation(op);
	/* without the CRT values, the same signature */
	op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_MODE_SIGN, 1024, nocrt);
	len = sizeof(sig);
	CHECK_EQ(TEE_AsymmetricSignDigest(op, NULL, 0, dig, 32, sig, &len), TEE_SUCCESS);
	CHECK(same_hex(sig, len, sig_sha256));
	TEE_FreeOperation(op);
	/* verify with the public key, and with the key pair */
	unhex(sig_sha256, want);
	op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_MODE_VERIFY, 1024, pub);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(op, NULL, 0, dig, 32, want, 128), TEE_SUCCESS);
	want[5] ^= 1;
	CHECK_EQ(TEE_AsymmetricVerifyDigest(op, NULL, 0, dig, 32, want, 128),
		 TEE_ERROR_SIGNATURE_INVALID);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(op, NULL, 0, dig, 32, want, 127),
		 TEE_ERROR_SIGNATURE_INVALID);
	TEE_FreeOperation(op);
	/* SHA-1, through the GP 1.1 twins */
	unhex("a9993e364706816aba3e25717850c26c9cd0d89d", dig);
	op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA1, TEE_MODE_SIGN, 1024, pair);
	{
		uint32_t len32 = sizeof(sig);

		CHECK_EQ(__GP11_TEE_AsymmetricSignDigest(op, NULL, 0, dig, 20, sig, &len32),
			 TEE_SUCCESS);
		CHECK(same_hex(sig, len32, sig_sha1));
	}
	TEE_FreeOperation(op);
	op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA1, TEE_MODE_VERIFY, 1024, pair);
	CHECK_EQ(__GP11_TEE_AsymmetricVerifyDigest(op, NULL, 0, dig, 20, sig, 128), TEE_SUCCESS);
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(pair);
	TEE_FreeTransientObject(nocrt);
	TEE_FreeTransientObject(pub);
}

static void test_rsa_pss_and_raw(void)
{
	TEE_ObjectHandle pair = rsa_pair(true);
	uint8_t dig[32], sig[128], raw[40];
	size_t len = sizeof(sig);
	TEE_Attribute salt;
	TEE_OperationHandle s = asym_op(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA256, TEE_MODE_SIGN, 1024,
					pair);
	TEE_OperationHandle v = asym_op(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA256, TEE_MODE_VERIFY,
					1024, pair);

	unhex(sha256_abc, dig);
	TEE_InitValueAttribute(&salt, TEE_ATTR_RSA_PSS_SALT_LENGTH, 20, 0);
	CHECK_EQ(TEE_AsymmetricSignDigest(s, &salt, 1, dig, 32, sig, &len), TEE_SUCCESS);
	CHECK_EQ(len, 128);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, &salt, 1, dig, 32, sig, len), TEE_SUCCESS);
	/* the default salt is the digest's size: not the one used */
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 32, sig, len),
		 TEE_ERROR_SIGNATURE_INVALID);
	TEE_FreeOperation(s);
	TEE_FreeOperation(v);
	/* no hash OID: any short input is padded and signed as it is */
	s = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5, TEE_MODE_SIGN, 1024, pair);
	v = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5, TEE_MODE_VERIFY, 1024, pair);
	memset(raw, 0x5a, sizeof(raw));
	len = sizeof(sig);
	CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, raw, 40, sig, &len), TEE_SUCCESS);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, raw, 40, sig, len), TEE_SUCCESS);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, raw, 39, sig, len),
		 TEE_ERROR_SIGNATURE_INVALID);
	TEE_FreeOperation(s);
	TEE_FreeOperation(v);
	TEE_FreeTransientObject(pair);
}

static const char oaep_ct[] =
	"78cd3919178d3a383e42d11f859ff4413b7b83c490e56a68c380653927e25a66c4aec164b3002f25876b3a"
	"710368334ea320a6512fbc12e03d08011da56f55589d99cba1ed2a7ed8e78e058ff1e5638c79f93e8ca127"
	"5916a3a9972a89a58d6f3172c9700b3fdc3af428eab3591fad49e149e15bfadeaf70273024ca33f6148e";
static const char v15_ct[] =
	"6bafa9bd6144a6b278b15056475dfae048650a1f51bb846268d1540a9f37152e79e67d19c049810e26e0f6"
	"64e240a52b335b3f3138a7641bc838d8672b371075983a5d45342d8feabf06adfbf787e4112f651f67aa9d"
	"6e5cf45300240a5820690ac98292e15a4caf20377a3eaee6a5344178d11ffb85f96738536fb17aedc824";
static const char nopad_2e[] =
	"783be43fbd86ab183a77154e573a09f7d72123fede5f5bffe924370fd93c015fef85cd1b74ef264dd9afd3"
	"f3083aac16d2951bf93e3f33fd051c321324203c3ffabee53290b503d256d1e5bc54b2e06794f989cc660e"
	"a13b38e23bca180fdc8a69a88ace90156e36bd1f39359545ee4b22e859c3c34c51f4fadf43662f8f139f";

static void test_rsa_encryption(void)
{
	TEE_ObjectHandle pair = rsa_pair(true);
	TEE_ObjectHandle pub = make_obj(TEE_TYPE_RSA_PUBLIC_KEY, 1024, rsa_ids, rsa_hex, 2);
	uint8_t ct[128], out[128], two = 2;
	uint32_t mgf_sha1 = TEE_ALG_SHA1;
	size_t len = 5;
	TEE_Attribute oaep[2];
	TEE_OperationHandle d = asym_op(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA256, TEE_MODE_DECRYPT,
					1024, pair);
	TEE_OperationHandle e;

	/* OAEP(SHA-256), MGF1 with SHA-1, label "label": a ciphertext made elsewhere */
	TEE_InitRefAttribute(&oaep[0], TEE_ATTR_RSA_OAEP_LABEL, "label", 5);
	TEE_InitRefAttribute(&oaep[1], TEE_ATTR_RSA_OAEP_MGF_HASH, &mgf_sha1, sizeof(mgf_sha1));
	unhex(oaep_ct, ct);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, oaep, 2, ct, 128, out, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 11);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, oaep, 2, ct, 128, out, &len), TEE_SUCCESS);
	CHECK(len == 11 && !memcmp(out, "the message", 11));
	/* a wrong label is a bad ciphertext, returned to the TA */
	len = sizeof(out);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, oaep, 1, ct, 128, out, &len), TEE_ERROR_BAD_PARAMETERS);
	TEE_FreeOperation(d);
	/* and round trip through our encryption */
	e = asym_op(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA256, TEE_MODE_ENCRYPT, 1024, pub);
	len = 127;
	CHECK_EQ(TEE_AsymmetricEncrypt(e, oaep, 2, "hello", 5, ct, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 128);
	CHECK_EQ(TEE_AsymmetricEncrypt(e, oaep, 2, "hello", 5, ct, &len), TEE_SUCCESS);
	TEE_FreeOperation(e);
	d = asym_op(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA256, TEE_MODE_DECRYPT, 1024, pair);
	len = sizeof(out);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, oaep, 2, ct, 128, out, &len), TEE_SUCCESS);
	CHECK(len == 5 && !memcmp(out, "hello", 5));
	TEE_FreeOperation(d);
	/* PKCS#1 v1.5 */
	d = asym_op(TEE_ALG_RSAES_PKCS1_V1_5, TEE_MODE_DECRYPT, 1024, pair);
	unhex(v15_ct, ct);
	len = sizeof(out);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, NULL, 0, ct, 128, out, &len), TEE_SUCCESS);
	CHECK(len == 11 && !memcmp(out, "the message", 11));
	TEE_FreeOperation(d);
	/* no padding: 2^e mod n, and back to a one-byte 2 (leading zeros dropped) */
	e = asym_op(TEE_ALG_RSA_NOPAD, TEE_MODE_ENCRYPT, 1024, pub);
	len = sizeof(out);
	CHECK_EQ(TEE_AsymmetricEncrypt(e, NULL, 0, &two, 1, out, &len), TEE_SUCCESS);
	CHECK(same_hex(out, len, nopad_2e));
	TEE_FreeOperation(e);
	d = asym_op(TEE_ALG_RSA_NOPAD, TEE_MODE_DECRYPT, 1024, pair);
	memcpy(ct, out, 128);
	len = 0;
	CHECK_EQ(TEE_AsymmetricDecrypt(d, NULL, 0, ct, 128, out, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 1);
	CHECK_EQ(TEE_AsymmetricDecrypt(d, NULL, 0, ct, 128, out, &len), TEE_SUCCESS);
	CHECK(len == 1 && out[0] == 2);
	TEE_FreeOperation(d);
	TEE_FreeTransientObject(pair);
	TEE_FreeTransientObject(pub);
}

static TEE_OperationHandle shared_op;

static void sign_bad_digest_len(void *arg)
{
	uint8_t sig[128], dig[20] = { 0 };
	size_t len = sizeof(sig);

	(void)arg;
	TEE_AsymmetricSignDigest(shared_op, NULL, 0, dig, 20, sig, &len);
}

static void verify_on_sign_op(void *arg)
{
	uint8_t sig[128] = { 0 }, dig[32] = { 0 };

	(void)arg;
	TEE_AsymmetricVerifyDigest(shared_op, NULL, 0, dig, 32, sig, 128);
}

static void set_key_of(void *arg)
{
	TEE_SetOperationKey(shared_op, arg);
}

static void test_rsa_panics(void)
{
	TEE_ObjectHandle pub = make_obj(TEE_TYPE_RSA_PUBLIC_KEY, 1024, rsa_ids, rsa_hex, 2);
	TEE_ObjectHandle pair = rsa_pair(true);

	shared_op = asym_op(TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_MODE_SIGN, 1024, pair);
	CHECK(ta_panics(sign_bad_digest_len, NULL));
	CHECK(ta_panics(verify_on_sign_op, NULL));
	/* signing wants the private key */
	CHECK(ta_panics(set_key_of, pub));
	TEE_FreeOperation(shared_op);
	/* a 1024-bit key does not fit an operation of 512 */
	REQUIRE_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256,
					 TEE_MODE_VERIFY, 512), TEE_SUCCESS);
	CHECK(ta_panics(set_key_of, pub));
	TEE_FreeOperation(shared_op);
	CHECK_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256,
				       TEE_MODE_ENCRYPT, 1024), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_RSA_NOPAD, TEE_MODE_ENCRYPT, 8192),
		 TEE_ERROR_NOT_SUPPORTED);
	TEE_FreeTransientObject(pub);
	TEE_FreeTransientObject(pair);
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample" */
static const uint32_t ec_ids[] = {
	TEE_ATTR_ECC_PRIVATE_VALUE, TEE_ATTR_ECC_PUBLIC_VALUE_X, TEE_ATTR_ECC_PUBLIC_VALUE_Y,
	TEE_ATTR_ECC_CURVE,
};
static const char *const rfc6979_p256[] = {
	"c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
	"60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
	"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
	"3", /* TEE_ECC_CURVE_NIST_P256 */
};
static const char rfc6979_sig[] =
	"efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
	"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
static const char sha256_sample[] =
	"af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf";

static void test_ecdsa_kat(void)
{
	TEE_ObjectHandle pub = make_obj(TEE_TYPE_ECDSA_PUBLIC_KEY, 256, ec_ids + 1,
					rfc6979_p256 + 1, 3);
	TEE_ObjectHandle pair = make_obj(TEE_TYPE_ECDSA_KEYPAIR, 256, ec_ids, rfc6979_p256, 4);
	uint8_t dig[32], sig[64];
	size_t len = 63;
	TEE_OperationHandle v = asym_op(TEE_ALG_ECDSA_SHA256, TEE_MODE_VERIFY, 256, pub);
	TEE_OperationHandle s = asym_op(TEE_ALG_ECDSA_SHA256, TEE_MODE_SIGN, 256, pair);

	unhex(sha256_sample, dig);
	unhex(rfc6979_sig, sig);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 32, sig, 64), TEE_SUCCESS);
	sig[40] ^= 1;
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 32, sig, 64),
		 TEE_ERROR_SIGNATURE_INVALID);
	/* our own (random) signature verifies with the public key */
	CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, dig, 32, sig, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 64);
	CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, dig, 32, sig, &len), TEE_SUCCESS);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 32, sig, len), TEE_SUCCESS);
	TEE_FreeOperation(v);
	TEE_FreeOperation(s);
	/* the legacy id of the same curve */
	v = asym_op(__OPTEE_ALG_ECDSA_P256, TEE_MODE_VERIFY, 256, pair);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 32, sig, len), TEE_SUCCESS);
	TEE_FreeOperation(v);
	TEE_FreeTransientObject(pub);
	TEE_FreeTransientObject(pair);
}

static void test_ecdsa_generated(void)
{
	static const struct { uint32_t alg, curve, bits; size_t bytes; } c[] = {
		{ TEE_ALG_ECDSA_SHA1, TEE_ECC_CURVE_NIST_P192, 192, 24 },
		{ TEE_ALG_ECDSA_SHA224, TEE_ECC_CURVE_NIST_P224, 224, 28 },
		{ TEE_ALG_ECDSA_SHA256, TEE_ECC_CURVE_NIST_P256, 256, 32 },
		{ TEE_ALG_ECDSA_SHA384, TEE_ECC_CURVE_NIST_P384, 384, 48 },
		{ TEE_ALG_ECDSA_SHA512, TEE_ECC_CURVE_NIST_P521, 521, 66 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		TEE_ObjectHandle k = TEE_HANDLE_NULL;
		TEE_Attribute curve;
		uint8_t dig[64], sig[132];
		size_t len = sizeof(sig);
		TEE_OperationHandle s, v;

		TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, c[i].curve, 0);
		REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ECDSA_KEYPAIR, c[i].bits, &k),
			   TEE_SUCCESS);
		/* the size must be the curve's */
		if (c[i].bits > 192)
			CHECK_EQ(TEE_GenerateKey(k, 192, &curve, 1), TEE_ERROR_BAD_PARAMETERS);
		REQUIRE_EQ(TEE_GenerateKey(k, c[i].bits, &curve, 1), TEE_SUCCESS);
		s = asym_op(c[i].alg, TEE_MODE_SIGN, c[i].bits, k);
		v = asym_op(c[i].alg, TEE_MODE_VERIFY, c[i].bits, k);
		TEE_GenerateRandom(dig, sizeof(dig));
		CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, dig, 64, sig, &len), TEE_SUCCESS);
		CHECK_EQ(len, 2 * c[i].bytes);
		CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 64, sig, len), TEE_SUCCESS);
		dig[0] ^= 1;
		CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, dig, 64, sig, len),
			 TEE_ERROR_SIGNATURE_INVALID);
		TEE_FreeOperation(s);
		TEE_FreeOperation(v);
		TEE_FreeTransientObject(k);
	}
}

static const uint32_t ed_ids[] = { TEE_ATTR_ED25519_PRIVATE_VALUE,
				   TEE_ATTR_ED25519_PUBLIC_VALUE };
static const char *const ed_vecs[][4] = {
	/* RFC 8032 7.1, tests 1 and 2: private, public, message, signature */
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
	  "39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"
	  "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

static void eddsa_with_ctx(void *arg)
{
	uint8_t sig[64];
	size_t len = sizeof(sig);
	TEE_Attribute ctx;

	(void)arg;
	TEE_InitRefAttribute(&ctx, TEE_ATTR_EDDSA_CTX, "ctx", 3);
	TEE_AsymmetricSignDigest(shared_op, &ctx, 1, "m", 1, sig, &len);
}

static void test_ed25519(void)
{
	for (size_t i = 0; i < 2; i++) {
		TEE_ObjectHandle pair = make_obj(TEE_TYPE_ED25519_KEYPAIR, 256, ed_ids, ed_vecs[i], 2);
		TEE_ObjectHandle pub = make_obj(TEE_TYPE_ED25519_PUBLIC_KEY, 256, ed_ids + 1,
						ed_vecs[i] + 1, 1);
		uint8_t msg[4], sig[64];
		size_t n = unhex(ed_vecs[i][2], msg), len = 10;
		TEE_OperationHandle s = asym_op(TEE_ALG_ED25519, TEE_MODE_SIGN, 256, pair);
		TEE_OperationHandle v = asym_op(TEE_ALG_ED25519, TEE_MODE_VERIFY, 256, pub);

		CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, msg, n, sig, &len),
			 TEE_ERROR_SHORT_BUFFER);
		CHECK_EQ(len, 64);
		CHECK_EQ(TEE_AsymmetricSignDigest(s, NULL, 0, msg, n, sig, &len), TEE_SUCCESS);
		CHECK(same_hex(sig, len, ed_vecs[i][3]));
		CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, msg, n, sig, 64), TEE_SUCCESS);
		sig[63] ^= 0x10;
		CHECK_EQ(TEE_AsymmetricVerifyDigest(v, NULL, 0, msg, n, sig, 64),
			 TEE_ERROR_SIGNATURE_INVALID);
		shared_op = s;
		CHECK(ta_panics(eddsa_with_ctx, NULL));
		TEE_FreeOperation(s);
		TEE_FreeOperation(v);
		TEE_FreeTransientObject(pair);
		TEE_FreeTransientObject(pub);
	}
}

/* The derived secret, read back from a fresh generic-secret object. */
static size_t derive(TEE_OperationHandle op, const TEE_Attribute *peer, uint32_t n,
		     uint8_t *out)
{
	TEE_ObjectHandle secret = TEE_HANDLE_NULL;
	size_t len = 66;

	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_GENERIC_SECRET, 528, &secret),
		   TEE_SUCCESS);
	TEE_DeriveKey(op, peer, n, secret);
	REQUIRE_EQ(TEE_GetObjectBufferAttribute(secret, TEE_ATTR_SECRET_VALUE, out, &len),
		   TEE_SUCCESS);
	TEE_FreeTransientObject(secret);
	return len;
}

static void test_x25519(void)
{
	static const uint32_t ids[] = { TEE_ATTR_X25519_PRIVATE_VALUE,
					TEE_ATTR_X25519_PUBLIC_VALUE };
	static const char *const alice[] = {
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	};
	uint8_t bob_pub[32], out[66];
	TEE_Attribute peer;
	TEE_ObjectHandle k = make_obj(TEE_TYPE_X25519_KEYPAIR, 256, ids, alice, 2);
	TEE_OperationHandle op = asym_op(TEE_ALG_X25519, TEE_MODE_DERIVE, 256, k);

	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bob_pub);
	TEE_InitRefAttribute(&peer, TEE_ATTR_X25519_PUBLIC_VALUE, bob_pub, 32);
	CHECK(same_hex(out, derive(op, &peer, 1, out),
		       "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(k);
}

static void derive_swapped(void *arg)
{
	const TEE_Attribute *peer = arg;
	TEE_Attribute swapped[2] = { peer[1], peer[0] };
	uint8_t out[66];

	derive(shared_op, swapped, 2, out);
}

static void test_ecdh(void)
{
	/* RFC 5903 8.1 and 8.2: our i, gi; the peer's gr; the x of g^ir */
	static const char *const p256[] = {
		"c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
		"dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
		"5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3", "3",
		"d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
		"56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
		"d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
	};
	static const char *const p384[] = {
		"099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3fae"
		"f896783ab194",
		"667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c887"
		"32aee95f41aa",
		"9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b"
		"4c634573a81c", "4",
		"e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda"
		"41d0774a3571",
		"dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaa"
		"d96db9e6386c",
		"11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5"
		"d4a270f59746",
	};
	const char *const *v[] = { p256, p384 };
	const uint32_t bits[] = { 256, 384 };

	for (size_t i = 0; i < 2; i++) {
		TEE_ObjectHandle k = make_obj(TEE_TYPE_ECDH_KEYPAIR, bits[i], ec_ids, v[i], 4);
		uint8_t gx[48], gy[48], out[66];
		TEE_Attribute peer[2];
		TEE_OperationHandle op = asym_op(TEE_ALG_ECDH_DERIVE_SHARED_SECRET, TEE_MODE_DERIVE,
						 bits[i], k);

		TEE_InitRefAttribute(&peer[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, gx, unhex(v[i][4], gx));
		TEE_InitRefAttribute(&peer[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, gy, unhex(v[i][5], gy));
		CHECK(same_hex(out, derive(op, peer, 2, out), v[i][6]));
		shared_op = op;
		CHECK(ta_panics(derive_swapped, peer));
		TEE_FreeOperation(op);
		TEE_FreeTransientObject(k);
	}
}

/* P-521: two generated keys agree on a 66-byte secret, in both directions. */
static void test_ecdh_p521_generated(void)
{
	TEE_ObjectHandle k[2] = { TEE_HANDLE_NULL, TEE_HANDLE_NULL };
	uint8_t x[2][66], y[2][66], s[2][66];
	size_t lx[2], ly[2], ls[2];
	TEE_Attribute curve, peer[2];

	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P521, 0);
	for (int i = 0; i < 2; i++) {
		REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ECDH_KEYPAIR, 521, &k[i]),
			   TEE_SUCCESS);
		REQUIRE_EQ(TEE_GenerateKey(k[i], 521, &curve, 1), TEE_SUCCESS);
		lx[i] = ly[i] = 66;
		REQUIRE_EQ(TEE_GetObjectBufferAttribute(k[i], TEE_ATTR_ECC_PUBLIC_VALUE_X, x[i],
							&lx[i]), TEE_SUCCESS);
		REQUIRE_EQ(TEE_GetObjectBufferAttribute(k[i], TEE_ATTR_ECC_PUBLIC_VALUE_Y, y[i],
							&ly[i]), TEE_SUCCESS);
	}
	for (int i = 0; i < 2; i++) {
		TEE_OperationHandle op = asym_op(__OPTEE_ALG_ECDH_P521, TEE_MODE_DERIVE, 521, k[i]);

		TEE_InitRefAttribute(&peer[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, x[1 - i], lx[1 - i]);
		TEE_InitRefAttribute(&peer[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, y[1 - i], ly[1 - i]);
		ls[i] = derive(op, peer, 2, s[i]);
		TEE_FreeOperation(op);
		TEE_FreeTransientObject(k[i]);
	}
	CHECK(ls[0] == 66 && ls[1] == 66 && !memcmp(s[0], s[1], 66));
}

int main(void)
{
	fake_start();
	test_rsa_pkcs1_v15();
	test_rsa_pss_and_raw();
	test_rsa_encryption();
	test_rsa_panics();
	test_ecdsa_kat();
	test_ecdsa_generated();
	test_ed25519();
	test_x25519();
	test_ecdh();
	test_ecdh_p521_generated();
	return check_report();
}
