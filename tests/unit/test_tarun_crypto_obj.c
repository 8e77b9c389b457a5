/* libvtee_ta, objects and the operation API around the algorithms: allocation rules of types
 * and sizes, populate (required, optional-group, unknown attributes), reading attributes back
 * (extractable and public rules, SHORT_BUFFER, bignums without leading zeros), usage, reset and
 * copy, key generation, handle validation, the persistent-object stubs, operation info and
 * TEE_IsAlgorithmSupported, random numbers, and the GP 1.1 twins, as OP-TEE answers them. */
#include "tarun_crypto_test.h"

#include <stdlib.h>

static TEE_ObjectHandle shared_obj;
static TEE_OperationHandle shared_op;

static void test_allocate_rules(void)
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;

	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 100, &o), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 512, &o), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_HMAC_SHA256, 184, &o),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_DES, 64, &o), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_X25519_PUBLIC_KEY, 256, &o),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_DATA, 0, &o), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_KEYPAIR, 4104, &o),
		 TEE_ERROR_NOT_SUPPORTED);
	/* GP 1.1 still allocates a pure data object */
	CHECK_EQ(__GP11_TEE_AllocateTransientObject(TEE_TYPE_DATA, 0, &o), TEE_SUCCESS);
	TEE_FreeTransientObject(o);
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 192, &o), TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectType, TEE_TYPE_AES);
	CHECK_EQ(info.maxObjectSize, 192);
	CHECK_EQ(info.objectSize, 0);
	CHECK_EQ(info.objectUsage, 0xffffffff);
	CHECK_EQ(info.handleFlags, 0);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(TEE_HANDLE_NULL);
	TEE_CloseObject(TEE_HANDLE_NULL);
}

static void populate_with(void *arg)
{
	const TEE_Attribute *a = arg;
	uint32_t n = 0;

	while (a[n].attributeID)
		n++;
	TEE_PopulateTransientObject(shared_obj, a, n);
}

static void test_populate_rules(void)
{
	uint8_t key[128] = { 0 };
	TEE_Attribute missing[2] = { { 0 } }, unknown[3] = { { 0 } }, half_crt[5] = { { 0 } };
	TEE_Attribute too_long[2] = { { 0 } }, ed[2] = { { 0 } };

	/* RSA key pair without its private exponent, with a stranger, with half the CRT */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_KEYPAIR, 512, &shared_obj),
		   TEE_SUCCESS);
	TEE_InitRefAttribute(&missing[0], TEE_ATTR_RSA_MODULUS, key, 64);
	CHECK(ta_panics(populate_with, missing));
	TEE_InitRefAttribute(&unknown[0], TEE_ATTR_RSA_MODULUS, key, 64);
	TEE_InitRefAttribute(&unknown[1], TEE_ATTR_ECC_PUBLIC_VALUE_X, key, 64);
	CHECK(ta_panics(populate_with, unknown));
	TEE_InitRefAttribute(&half_crt[0], TEE_ATTR_RSA_MODULUS, key, 64);
	TEE_InitRefAttribute(&half_crt[1], TEE_ATTR_RSA_PUBLIC_EXPONENT, key, 3);
	TEE_InitRefAttribute(&half_crt[2], TEE_ATTR_RSA_PRIVATE_EXPONENT, key, 64);
	TEE_InitRefAttribute(&half_crt[3], TEE_ATTR_RSA_PRIME1, key, 32);
	CHECK(ta_panics(populate_with, half_crt));
	/* a modulus larger than the object's maximum size */
	TEE_InitRefAttribute(&half_crt[0], TEE_ATTR_RSA_MODULUS, key, 65);
	half_crt[3].attributeID = 0;
	CHECK(ta_panics(populate_with, half_crt));
	TEE_FreeTransientObject(shared_obj);
	/* a secret longer than the object may hold */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 128, &shared_obj), TEE_SUCCESS);
	TEE_InitRefAttribute(&too_long[0], TEE_ATTR_SECRET_VALUE, key, 32);
	CHECK(ta_panics(populate_with, too_long));
	TEE_FreeTransientObject(shared_obj);
	/* a Curve25519 key of the wrong length is a bad parameter, returned */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ED25519_PUBLIC_KEY, 256, &shared_obj),
		   TEE_SUCCESS);
	TEE_InitRefAttribute(&ed[0], TEE_ATTR_ED25519_PUBLIC_VALUE, key, 31);
	CHECK_EQ(TEE_PopulateTransientObject(shared_obj, ed, 1), TEE_ERROR_BAD_PARAMETERS);
	TEE_InitRefAttribute(&ed[0], TEE_ATTR_ED25519_PUBLIC_VALUE, key, 32);
	CHECK_EQ(TEE_PopulateTransientObject(shared_obj, ed, 1), TEE_SUCCESS);
	/* populated twice */
	CHECK(ta_panics(populate_with, ed));
	TEE_FreeTransientObject(shared_obj);
}

static void get_buffer_attr(void *arg)
{
	uint8_t buf[64];
	size_t len = sizeof(buf);

	TEE_GetObjectBufferAttribute(shared_obj, (uint32_t)(uintptr_t)arg, buf, &len);
}


/* A public RSA key whose modulus came with a leading zero byte: 264 bits by its length. */
static void test_bignum_attributes(void)
{
	uint8_t n[33] = { 0x00, 0xc5 }, e[3] = { 1, 0, 1 }, buf[64];
	TEE_Attribute a[2];
	size_t len = 31;
	TEE_ObjectHandle pub = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;

	n[32] = 0x0f;
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_PUBLIC_KEY, 512, &pub), TEE_SUCCESS);
	TEE_InitRefAttribute(&a[0], TEE_ATTR_RSA_MODULUS, n, sizeof(n));
	TEE_InitRefAttribute(&a[1], TEE_ATTR_RSA_PUBLIC_EXPONENT, e, sizeof(e));
	REQUIRE_EQ(TEE_PopulateTransientObject(pub, a, 2), TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectInfo1(pub, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectSize, 264);
	CHECK_EQ(info.handleFlags, TEE_HANDLE_FLAG_INITIALIZED);
	/* read back as the core keeps a bignum: without the zero; SHORT_BUFFER first */
	CHECK_EQ(TEE_GetObjectBufferAttribute(pub, TEE_ATTR_RSA_MODULUS, buf, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 32);
	CHECK_EQ(TEE_GetObjectBufferAttribute(pub, TEE_ATTR_RSA_MODULUS, buf, &len), TEE_SUCCESS);
	CHECK(len == 32 && buf[0] == 0xc5 && buf[31] == 0x0f);
	/* public attributes stay readable once the key is no longer extractable */
	TEE_RestrictObjectUsage1(pub, TEE_USAGE_VERIFY);
	len = sizeof(buf);
	CHECK_EQ(TEE_GetObjectBufferAttribute(pub, TEE_ATTR_RSA_PUBLIC_EXPONENT, buf, &len),
		 TEE_SUCCESS);
	CHECK(len == 3 && !memcmp(buf, e, 3));
	CHECK_EQ(TEE_GetObjectInfo1(pub, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectUsage, TEE_USAGE_VERIFY);
	TEE_FreeTransientObject(pub);
}

static void test_secret_and_value_attributes(void)
{
	TEE_ObjectHandle aes = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	uint8_t buf[64];
	size_t len = 0;
	uint32_t va = 0, vb = 7;
	TEE_Attribute a;
	TEE_ObjectInfo info;

	/* a NULL buffer is SHORT_BUFFER; not extractable any more: the TA panics */
	CHECK_EQ(TEE_GetObjectBufferAttribute(aes, TEE_ATTR_SECRET_VALUE, NULL, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 16);
	CHECK_EQ(TEE_GetObjectBufferAttribute(aes, TEE_ATTR_RSA_MODULUS, buf, &len),
		 TEE_ERROR_ITEM_NOT_FOUND);
	shared_obj = aes;
	/* a value attribute through the buffer function */
	CHECK(ta_panics(get_buffer_attr, (void *)(uintptr_t)TEE_ATTR_ECC_CURVE));
	TEE_RestrictObjectUsage1(aes, ~TEE_USAGE_EXTRACTABLE);
	CHECK(ta_panics(get_buffer_attr, (void *)(uintptr_t)TEE_ATTR_SECRET_VALUE));
	/* reset: no attributes, usage back to all */
	TEE_ResetTransientObject(aes);
	CHECK_EQ(TEE_GetObjectInfo1(aes, &info), TEE_SUCCESS);
	CHECK(info.objectSize == 0 && info.objectUsage == 0xffffffff && !info.handleFlags);
	CHECK(ta_panics(get_buffer_attr, (void *)(uintptr_t)TEE_ATTR_SECRET_VALUE));
	TEE_FreeTransientObject(aes);
	/* an ECC curve: one word (b reads 0) */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ECDH_KEYPAIR, 256, &shared_obj),
		   TEE_SUCCESS);
	TEE_InitValueAttribute(&a, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 5);
	REQUIRE_EQ(TEE_GenerateKey(shared_obj, 256, &a, 1), TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectValueAttribute(shared_obj, TEE_ATTR_ECC_CURVE, &va, &vb),
		 TEE_SUCCESS);
	CHECK(va == TEE_ECC_CURVE_NIST_P256 && vb == 0);
	len = sizeof(buf);
	CHECK_EQ(TEE_GetObjectBufferAttribute(shared_obj, TEE_ATTR_ECC_PRIVATE_VALUE, buf, &len),
		 TEE_SUCCESS);
	CHECK_CMP(len, <=, 32);
	TEE_FreeTransientObject(shared_obj);
}

static void copy_attrs(void *arg)
{
	TEE_CopyObjectAttributes1(arg, shared_obj);
}

static void test_copy(void)
{
	TEE_ObjectHandle pair = TEE_HANDLE_NULL, pub = TEE_HANDLE_NULL, pair2 = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	uint8_t x1[32], x2[32];
	size_t l1 = sizeof(x1), l2 = sizeof(x2);

	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ED25519_KEYPAIR, 256, &pair), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GenerateKey(pair, 256, NULL, 0), TEE_SUCCESS);
	TEE_RestrictObjectUsage1(pair, TEE_USAGE_SIGN | TEE_USAGE_VERIFY | TEE_USAGE_EXTRACTABLE);
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ED25519_PUBLIC_KEY, 256, &pub), TEE_SUCCESS);
	CHECK_EQ(TEE_CopyObjectAttributes1(pub, pair), TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectInfo1(pub, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectSize, 256);
	CHECK_EQ(info.objectUsage, TEE_USAGE_SIGN | TEE_USAGE_VERIFY | TEE_USAGE_EXTRACTABLE);
	CHECK_EQ(TEE_GetObjectBufferAttribute(pair, TEE_ATTR_ED25519_PUBLIC_VALUE, x1, &l1),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectBufferAttribute(pub, TEE_ATTR_ED25519_PUBLIC_VALUE, x2, &l2),
		 TEE_SUCCESS);
	CHECK(l1 == 32 && l2 == 32 && !memcmp(x1, x2, 32));
	/* a public key does not make a key pair; an initialised object takes nothing more */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ED25519_KEYPAIR, 256, &pair2),
		   TEE_SUCCESS);
	shared_obj = pub;
	CHECK(ta_panics(copy_attrs, pair2));
	shared_obj = pair;
	CHECK(ta_panics(copy_attrs, pub));
	/* an uninitialised source */
	shared_obj = pair2;
	CHECK(ta_panics(copy_attrs, pub));
	TEE_FreeTransientObject(pair);
	TEE_FreeTransientObject(pair2);
	TEE_FreeTransientObject(pub);
}

static void generate_with(void *arg)
{
	TEE_GenerateKey(shared_obj, (uint32_t)(uintptr_t)arg, NULL, 0);
}

static void test_generate(void)
{
	static const struct { uint32_t type, bits; } ok[] = {
		{ TEE_TYPE_AES, 128 }, { TEE_TYPE_AES, 256 }, { TEE_TYPE_HMAC_SHA1, 80 },
		{ TEE_TYPE_HMAC_SHA512, 1024 }, { TEE_TYPE_GENERIC_SECRET, 4096 },
		{ TEE_TYPE_RSA_KEYPAIR, 256 }, { TEE_TYPE_RSA_KEYPAIR, 1024 },
		{ TEE_TYPE_X25519_KEYPAIR, 256 },
	};
	uint8_t e3 = 3, e17[3] = { 1, 0, 0x11 }, buf[512];
	TEE_Attribute exp;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		TEE_ObjectHandle o = TEE_HANDLE_NULL;
		TEE_ObjectInfo info;
		uint32_t id = ok[i].type == TEE_TYPE_RSA_KEYPAIR ? TEE_ATTR_RSA_MODULUS :
			      ok[i].type == TEE_TYPE_X25519_KEYPAIR ? TEE_ATTR_X25519_PUBLIC_VALUE :
			      TEE_ATTR_SECRET_VALUE;
		size_t len = sizeof(buf);

		REQUIRE_EQ(TEE_AllocateTransientObject(ok[i].type, ok[i].bits, &o), TEE_SUCCESS);
		CHECK_EQ(TEE_GenerateKey(o, ok[i].bits, NULL, 0), TEE_SUCCESS);
		CHECK_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
		CHECK_EQ(info.objectSize, ok[i].bits);
		CHECK_EQ(TEE_GetObjectBufferAttribute(o, id, buf, &len), TEE_SUCCESS);
		CHECK_EQ(len, ok[i].bits / 8);
		TEE_FreeTransientObject(o);
	}
	/* RSA public exponents: 3 is refused, 65553 taken */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_KEYPAIR, 512, &shared_obj),
		   TEE_SUCCESS);
	TEE_InitRefAttribute(&exp, TEE_ATTR_RSA_PUBLIC_EXPONENT, &e3, 1);
	CHECK_EQ(TEE_GenerateKey(shared_obj, 512, &exp, 1), TEE_ERROR_BAD_PARAMETERS);
	TEE_InitRefAttribute(&exp, TEE_ATTR_RSA_PUBLIC_EXPONENT, e17, 3);
	CHECK_EQ(TEE_GenerateKey(shared_obj, 512, &exp, 1), TEE_SUCCESS);
	/* a second time on an initialised object */
	CHECK(ta_panics(generate_with, (void *)(uintptr_t)512));
	TEE_FreeTransientObject(shared_obj);
	/* a size the type refuses; a public key type; an ECC key without its curve */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 256, &shared_obj), TEE_SUCCESS);
	CHECK(ta_panics(generate_with, (void *)(uintptr_t)100));
	TEE_FreeTransientObject(shared_obj);
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_PUBLIC_KEY, 512, &shared_obj),
		   TEE_SUCCESS);
	CHECK(ta_panics(generate_with, (void *)(uintptr_t)512));
	TEE_FreeTransientObject(shared_obj);
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ECDSA_KEYPAIR, 256, &shared_obj),
		   TEE_SUCCESS);
	CHECK(ta_panics(generate_with, (void *)(uintptr_t)256));
	TEE_FreeTransientObject(shared_obj);
}

static void info_of(void *arg)
{
	TEE_ObjectInfo info;

	TEE_GetObjectInfo1(arg, &info);
}

static void free_op(void *arg)
{
	TEE_FreeOperation(arg);
}

static void cipher_init_on(void *arg)
{
	TEE_CipherInit(arg, NULL, 0);
}

static void test_handles(void)
{
	TEE_ObjectHandle o = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t junk[256] = { 0 };

	REQUIRE_EQ(TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0), TEE_SUCCESS);
	/* pointers the runtime never gave out, or of the other kind, or freed */
	CHECK(ta_panics(info_of, junk));
	CHECK(ta_panics(info_of, op));
	CHECK(ta_panics(free_op, o));
	CHECK(ta_panics(cipher_init_on, junk));
	TEE_FreeOperation(op);
	CHECK(ta_panics(free_op, op));
	TEE_FreeTransientObject(o);
	CHECK(ta_panics(info_of, o));
	/* the registry under churn: many come and go, the ones kept stay valid */
	{
		static TEE_ObjectHandle kept[300];
		TEE_ObjectInfo info;

		for (size_t i = 0; i < 20000; i++) {
			TEE_ObjectHandle t = TEE_HANDLE_NULL;

			REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 128, &t), TEE_SUCCESS);
			if (i % 67 == 0 && i / 67 < 300)
				kept[i / 67] = t;
			else
				TEE_FreeTransientObject(t);
		}
		for (size_t i = 0; i < 299; i++) {
			CHECK_EQ(TEE_GetObjectInfo1(kept[i], &info), TEE_SUCCESS);
			TEE_FreeTransientObject(kept[i]);
		}
	}
	/* GP 1.1: freeing TEE_HANDLE_NULL panics */
	CHECK(ta_panics((void (*)(void *))__GP11_TEE_FreeOperation, NULL));
}

static void open_with_flags(void *arg)
{
	TEE_ObjectHandle o;

	TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, "id", 2, (uint32_t)(uintptr_t)arg, &o);
}

static void read_data(void *arg)
{
	uint8_t buf[4];
	size_t count = 0;

	TEE_ReadObjectData(arg, buf, sizeof(buf), &count);
}

static void delete_obj(void *arg)
{
	TEE_CloseAndDeletePersistentObject1(arg);
}

static void rename_obj(void *arg)
{
	TEE_RenamePersistentObject(arg, "new", 3);
}

static void test_persistent_stubs(void)
{
	TEE_ObjectHandle o = (TEE_ObjectHandle)(uintptr_t)1;
	TEE_ObjectHandle t = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	uint8_t id[64];
	size_t id_len = sizeof(id);

	/* no storage: nothing to open, nothing created */
	CHECK_EQ(TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, "id", 2,
					  TEE_DATA_FLAG_ACCESS_READ, &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK(o == TEE_HANDLE_NULL);
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "id", 2,
					    TEE_DATA_FLAG_ACCESS_WRITE | TEE_DATA_FLAG_OVERWRITE,
					    t, "data", 4, &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(__GP11_TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE_REE, "", 0, 0, &o),
		 TEE_ERROR_ITEM_NOT_FOUND);
	/* OVERWRITE is for create only */
	CHECK(ta_panics(open_with_flags, (void *)(uintptr_t)TEE_DATA_FLAG_OVERWRITE));
	/* enumerators exist, find nothing */
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE),
		 TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &id_len), TEE_ERROR_ITEM_NOT_FOUND);
	TEE_ResetPersistentObjectEnumerator(e);
	TEE_FreePersistentObjectEnumerator(e);
	/* the data stream and delete/rename refuse a transient object */
	CHECK(ta_panics(read_data, t));
	CHECK(ta_panics(delete_obj, t));
	CHECK(ta_panics(rename_obj, t));
	CHECK(ta_panics(rename_obj, NULL));
	CHECK_EQ(TEE_CloseAndDeletePersistentObject1(TEE_HANDLE_NULL), TEE_SUCCESS);
	CHECK_EQ(TEE_WriteObjectData(t, id, (size_t)TEE_DATA_MAX_POSITION + 1),
		 TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_SeekObjectData(t, (intmax_t)TEE_DATA_MAX_POSITION + 1, TEE_DATA_SEEK_SET),
		 TEE_ERROR_OVERFLOW);
	TEE_FreeTransientObject(t);
}

static void multiple_too_small(void *arg)
{
	TEE_OperationInfoMultiple info;
	size_t size = sizeof(info) - 1;

	(void)arg;
	TEE_GetOperationInfoMultiple(shared_op, &info, &size);
}

static void reset_keyless(void *arg)
{
	(void)arg;
	TEE_ResetOperation(shared_op);
}

static void test_operation_info(void)
{
	union {
		TEE_OperationInfoMultiple m;
		uint8_t room[sizeof(TEE_OperationInfoMultiple) + 2 * sizeof(TEE_OperationInfoKey)];
	} u;
	size_t size = sizeof(TEE_OperationInfoMultiple) + sizeof(TEE_OperationInfoKey);
	TEE_OperationHandle op = op_with_key(TEE_ALG_AES_CBC_NOPAD, TEE_MODE_DECRYPT,
					     TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");

	CHECK_EQ(TEE_GetOperationInfoMultiple(op, &u.m, &size), TEE_SUCCESS);
	CHECK_EQ(u.m.numberOfKeys, 1);
	CHECK_EQ(u.m.keyInformation[0].keySize, 128);
	CHECK_EQ(u.m.keyInformation[0].requiredKeyUsage, TEE_USAGE_DECRYPT);
	CHECK_EQ(u.m.handleState, TEE_HANDLE_FLAG_KEY_SET);
	CHECK_EQ(u.m.operationState, TEE_OPERATION_STATE_INITIAL);
	TEE_FreeOperation(op);
	REQUIRE_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_AES_XTS, TEE_MODE_ENCRYPT, 512),
		   TEE_SUCCESS);
	/* two keys need room for two */
	CHECK_EQ(TEE_GetOperationInfoMultiple(shared_op, &u.m, &size), TEE_ERROR_SHORT_BUFFER);
	CHECK(ta_panics(multiple_too_small, NULL));
	CHECK(ta_panics(reset_keyless, NULL));
	TEE_FreeOperation(shared_op);
}

static void test_supported(void)
{
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_AES_GCM, TEE_CRYPTO_ELEMENT_NONE), TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_SHA512, TEE_CRYPTO_ELEMENT_NONE), TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_SHA512, TEE_ECC_CURVE_NIST_P256),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_ECDSA_SHA256, TEE_ECC_CURVE_NIST_P256),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_ECDSA_SHA256, TEE_ECC_CURVE_NIST_P384),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_IsAlgorithmSupported(__OPTEE_ALG_ECDSA_P192, TEE_ECC_CURVE_NIST_P192),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_ECDH_DERIVE_SHARED_SECRET,
					  TEE_ECC_CURVE_NIST_P521), TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_X25519, TEE_ECC_CURVE_25519), TEE_SUCCESS);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_ED25519, TEE_ECC_CURVE_NIST_P256),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_IsAlgorithmSupported(TEE_ALG_DES3_CBC_NOPAD, TEE_CRYPTO_ELEMENT_NONE),
		 TEE_ERROR_NOT_SUPPORTED);
}

static void test_random_and_gp11(void)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 }, zero[64] = { 0 }, k[16] = { 1 };
	__GP11_TEE_Attribute attr;
	__GP11_TEE_ObjectInfo info;
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	uint8_t out[16];
	uint32_t len = sizeof(out);

	TEE_GenerateRandom(a, sizeof(a));
	__GP11_TEE_GenerateRandom(b, sizeof(b));
	CHECK(memcmp(a, zero, 64) && memcmp(a, b, 64));
	REQUIRE_EQ(__GP11_TEE_AllocateTransientObject(TEE_TYPE_AES, 128, &o), TEE_SUCCESS);
	__GP11_TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, k, sizeof(k));
	CHECK_EQ(__GP11_TEE_PopulateTransientObject(o, &attr, 1), TEE_SUCCESS);
	CHECK_EQ(__GP11_TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.keySize == 128 && info.maxKeySize == 128 &&
	      info.handleFlags == TEE_HANDLE_FLAG_INITIALIZED);
	len = 3;
	CHECK_EQ(__GP11_TEE_GetObjectBufferAttribute(o, TEE_ATTR_SECRET_VALUE, out, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 16);
	CHECK_EQ(__GP11_TEE_GetObjectBufferAttribute(o, TEE_ATTR_SECRET_VALUE, out, &len),
		 TEE_SUCCESS);
	CHECK(!memcmp(out, k, 16));
	TEE_FreeTransientObject(o);
}

int main(void)
{
	fake_start();
	test_allocate_rules();
	test_populate_rules();
	test_bignum_attributes();
	test_secret_and_value_attributes();
	test_copy();
	test_generate();
	test_handles();
	test_persistent_stubs();
	test_operation_info();
	test_supported();
	test_random_and_gp11();
	return check_report();
}
