/* libvtee_ta, persistent objects against the fake host's in-memory storage: create and open
 * (data-only and key objects), the data stream (read, write, truncate, seek, positions,
 * zero-fill, TEE_DATA_MAX_POSITION), sharing flags, rename and delete, keys from storage in
 * operations, usage restriction kept in the meta blob, OP-TEE's create-without-handle, the
 * answers of a TEE without storage, the TEE's errors (quota, corruption, failed requests), and
 * the answers libutee lets through. Panics: test_tarun_storage_panic.c; enumerators, the GP 1.1
 * dialect and hostile meta blobs: test_tarun_storage_enum.c. */
#include "tarun_storage_test.h"

#include <errno.h>
#include <stdint.h>

static TEE_ObjectHandle shared;

static void test_no_storage(void)
{
	TEE_ObjectHandle o = (TEE_ObjectHandle)(uintptr_t)1;
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;

	fake_st_reset();
	fake.storage = false;
	CHECK_EQ(open_obj("x", TEE_DATA_FLAG_ACCESS_READ, &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK(o == TEE_HANDLE_NULL);
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "x", 1, RW, TEE_HANDLE_NULL,
					    "d", 1, &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE),
		 TEE_ERROR_ITEM_NOT_FOUND);
	TEE_FreePersistentObjectEnumerator(e);
	CHECK_EQ(fake_st_open_handles(), 0);
}

static void test_data_stream(void)
{
	TEE_ObjectHandle o = create_data("obj1", RWM, "hello");
	TEE_ObjectInfo info;
	char buf[32];
	size_t n = 0;

	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectType, TEE_TYPE_DATA);
	CHECK(info.objectSize == 0 && info.maxObjectSize == 0);
	CHECK_EQ(info.objectUsage, 0xffffffff);
	CHECK(info.dataSize == 5 && info.dataPosition == 0);
	CHECK_EQ(info.handleFlags,
		 TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED | RWM);
	CHECK(stored_is("obj1", "hello", 5));
	/* reads move the position; past the end they read nothing */
	CHECK_EQ(TEE_ReadObjectData(o, buf, 3, &n), TEE_SUCCESS);
	CHECK(n == 3 && !memcmp(buf, "hel", 3));
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_SUCCESS);
	CHECK(n == 2 && !memcmp(buf, "lo", 2));
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_SUCCESS);
	CHECK_EQ(n, 0);
	/* a write past the end zero-fills the gap */
	CHECK_EQ(TEE_SeekObjectData(o, 10, TEE_DATA_SEEK_SET), TEE_SUCCESS);
	CHECK_EQ(TEE_WriteObjectData(o, "XY", 2), TEE_SUCCESS);
	CHECK(stored_is("obj1", "hello\0\0\0\0\0XY", 12));
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.dataSize == 12 && info.dataPosition == 12);
	/* before the start is the start; from the end */
	CHECK_EQ(TEE_SeekObjectData(o, -100, TEE_DATA_SEEK_CUR), TEE_SUCCESS);
	CHECK_EQ(TEE_ReadObjectData(o, buf, 1, &n), TEE_SUCCESS);
	CHECK(n == 1 && buf[0] == 'h');
	CHECK_EQ(TEE_SeekObjectData(o, -2, TEE_DATA_SEEK_END), TEE_SUCCESS);
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_SUCCESS);
	CHECK(n == 2 && !memcmp(buf, "XY", 2));
	/* an overwrite in the middle, then truncation keeps the position */
	CHECK_EQ(TEE_SeekObjectData(o, 1, TEE_DATA_SEEK_SET), TEE_SUCCESS);
	CHECK_EQ(TEE_WriteObjectData(o, "EL", 2), TEE_SUCCESS);
	CHECK_EQ(TEE_TruncateObjectData(o, 4), TEE_SUCCESS);
	CHECK(stored_is("obj1", "hELl", 4));
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.dataSize == 4 && info.dataPosition == 3);
	CHECK_EQ(TEE_TruncateObjectData(o, 6), TEE_SUCCESS); /* extends with zeros */
	CHECK(stored_is("obj1", "hELl\0\0", 6));
	TEE_CloseObject(o);
	CHECK_EQ(fake_st_open_handles(), 0);
}

/* test_data_stream's object, reopened: it is all there. */
static void test_reopen(void)
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	char buf[32];
	size_t n = 0;

	CHECK_EQ(open_obj("obj1", TEE_DATA_FLAG_ACCESS_READ, &o), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.dataSize == 6 && info.dataPosition == 0);
	CHECK_EQ(info.handleFlags, TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED |
				   TEE_DATA_FLAG_ACCESS_READ);
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_SUCCESS);
	CHECK(n == 6 && !memcmp(buf, "hELl\0\0", 6));
	TEE_CloseObject(o);
}

static void test_create_rules(void)
{
	TEE_ObjectHandle o = create_data("c", RWM, "one"), o2 = (TEE_ObjectHandle)(uintptr_t)1;

	/* an existing id: only OVERWRITE replaces it, and not while a handle has it open */
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "c", 1, RW, TEE_HANDLE_NULL,
					    "two", 3, &o2), TEE_ERROR_ACCESS_CONFLICT);
	CHECK(o2 == TEE_HANDLE_NULL);
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "c", 1,
					    RW | TEE_DATA_FLAG_OVERWRITE, TEE_HANDLE_NULL,
					    "two", 3, &o2), TEE_ERROR_ACCESS_CONFLICT);
	TEE_CloseObject(o);
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "c", 1,
					    RW | TEE_DATA_FLAG_OVERWRITE, TEE_HANDLE_NULL,
					    "two", 3, &o2), TEE_SUCCESS);
	CHECK(stored_is("c", "two", 3));
	TEE_CloseObject(o2);
	/* the REE alias is the same store; an id of 64 bytes, and an empty one */
	CHECK_EQ(TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE_REE, "c", 1, 0, &o), TEE_SUCCESS);
	TEE_CloseObject(o);
	{
		uint8_t id64[TEE_OBJECT_ID_MAX_LEN];

		memset(id64, 0xa5, sizeof(id64));
		CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id64, sizeof(id64), 0,
						    TEE_HANDLE_NULL, NULL, 0, &o), TEE_SUCCESS);
		TEE_CloseObject(o);
		CHECK(fake_st_find(id64, sizeof(id64)) != NULL);
	}
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "", 0, 0, TEE_HANDLE_NULL,
					    NULL, 0, &o), TEE_SUCCESS);
	TEE_CloseObject(o);
	CHECK(fake_st_find("", 0) != NULL);
	/* RPMB is not there: ITEM_NOT_FOUND, even for an id too long to be valid */
	CHECK_EQ(TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE_RPMB, "c", 1, 0, &o),
		 TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE_RPMB, "c", 65, 0, &o),
		 TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_CreatePersistentObject(0x12345678, "c", 1, 0, TEE_HANDLE_NULL, NULL, 0,
					    &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(open_obj("nothing", 0, &o), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(fake_st_open_handles(), 0);
}

static void test_sharing(void)
{
	TEE_ObjectHandle a = create_data("s", RW | TEE_DATA_FLAG_SHARE_READ |
					      TEE_DATA_FLAG_SHARE_WRITE, "x");
	TEE_ObjectHandle b = TEE_HANDLE_NULL, c = TEE_HANDLE_NULL;
	const uint32_t share = TEE_DATA_FLAG_SHARE_READ | TEE_DATA_FLAG_SHARE_WRITE;

	CHECK_EQ(open_obj("s", TEE_DATA_FLAG_ACCESS_READ | share, &b), TEE_SUCCESS);
	/* the share bits must match, WRITE_META is exclusive */
	CHECK_EQ(open_obj("s", TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &c),
		 TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(open_obj("s", TEE_DATA_FLAG_ACCESS_WRITE_META | share, &c),
		 TEE_ERROR_ACCESS_CONFLICT);
	CHECK(c == TEE_HANDLE_NULL);
	/* what one handle writes, the other reads (and sees the size grow) */
	CHECK_EQ(TEE_SeekObjectData(a, 0, TEE_DATA_SEEK_END), TEE_SUCCESS);
	CHECK_EQ(TEE_WriteObjectData(a, "yz", 2), TEE_SUCCESS);
	{
		TEE_ObjectInfo info;
		char buf[8];
		size_t n = 0;

		CHECK_EQ(TEE_GetObjectInfo1(b, &info), TEE_SUCCESS);
		CHECK_EQ(info.dataSize, 3);
		CHECK_EQ(TEE_SeekObjectData(b, -1, TEE_DATA_SEEK_END), TEE_SUCCESS);
		CHECK_EQ(TEE_ReadObjectData(b, buf, sizeof(buf), &n), TEE_SUCCESS);
		CHECK(n == 1 && buf[0] == 'z');
	}
	TEE_CloseObject(a);
	TEE_CloseObject(b);
	/* two flag-less opens are accepted; they lock out any access */
	CHECK_EQ(open_obj("s", 0, &a), TEE_SUCCESS);
	CHECK_EQ(open_obj("s", 0, &b), TEE_SUCCESS);
	CHECK_EQ(open_obj("s", TEE_DATA_FLAG_ACCESS_READ, &c), TEE_ERROR_ACCESS_CONFLICT);
	TEE_CloseObject(a);
	TEE_CloseObject(b);
	CHECK_EQ(fake_st_open_handles(), 0);
}

static void test_rename_delete(void)
{
	TEE_ObjectHandle o = create_data("r1", RWM, "data"), p = create_data("r2", RWM, "");
	TEE_ObjectHandle q = TEE_HANDLE_NULL;

	CHECK_EQ(TEE_RenamePersistentObject(o, "r3", 2), TEE_SUCCESS);
	CHECK(stored_is("r3", "data", 4) && !fake_st_find("r1", 2));
	/* never onto an existing id, not even its own */
	CHECK_EQ(TEE_RenamePersistentObject(o, "r2", 2), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(TEE_RenamePersistentObject(o, "r3", 2), TEE_ERROR_ACCESS_CONFLICT);
	CHECK(stored_is("r2", "", 0));
	CHECK_EQ(TEE_CloseAndDeletePersistentObject1(p), TEE_SUCCESS);
	CHECK(!fake_st_find("r2", 2));
	CHECK_EQ(TEE_CloseAndDeletePersistentObject1(TEE_HANDLE_NULL), TEE_SUCCESS);
	TEE_CloseAndDeletePersistentObject(TEE_HANDLE_NULL);
	TEE_CloseAndDeletePersistentObject(o);
	CHECK(!fake_st_find("r3", 2));
	CHECK_EQ(open_obj("r3", 0, &q), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(fake_st_open_handles(), 0);
}

/* A persistent AES key encrypts as its transient source does (FIPS-197 C.1). */
static void check_aes_key(TEE_ObjectHandle key)
{
	uint8_t pt[16], out[16];
	size_t len = sizeof(out);
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	unhex("00112233445566778899aabbccddeeff", pt);
	REQUIRE_EQ(TEE_AllocateOperation(&op, TEE_ALG_AES_ECB_NOPAD, TEE_MODE_ENCRYPT, 128),
		   TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey(op, key), TEE_SUCCESS);
	TEE_CipherInit(op, NULL, 0);
	CHECK_EQ(TEE_CipherDoFinal(op, pt, sizeof(pt), out, &len), TEE_SUCCESS);
	CHECK(len == 16 && same_hex(out, len, "69c4e0d86a7b0430d8cdb78070b4c55a"));
	TEE_FreeOperation(op);
}

static void set_key_of_shared(void *arg)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	(void)arg;
	TEE_AllocateOperation(&op, TEE_ALG_AES_ECB_NOPAD, TEE_MODE_ENCRYPT, 128);
	TEE_SetOperationKey(op, shared);
}

static void test_secret_key(void)
{
	TEE_ObjectHandle t = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	TEE_ObjectHandle o = TEE_HANDLE_NULL, copy = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	uint8_t k[32];
	size_t len = sizeof(k);

	TEE_RestrictObjectUsage1(t, ~TEE_USAGE_MAC);
	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "key", 3, RWM, t, "d", 1, &o),
		   TEE_SUCCESS);
	TEE_FreeTransientObject(t);
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.objectType == TEE_TYPE_AES && info.objectSize == 128 &&
	      info.maxObjectSize == 128 && info.dataSize == 1);
	CHECK_EQ(info.objectUsage, ~(uint32_t)TEE_USAGE_MAC);
	CHECK_EQ(TEE_GetObjectBufferAttribute(o, TEE_ATTR_SECRET_VALUE, k, &len), TEE_SUCCESS);
	CHECK(len == 16 && same_hex(k, len, "000102030405060708090a0b0c0d0e0f"));
	check_aes_key(o);
	/* the usage is kept: restricted through one handle, seen by the next open */
	CHECK_EQ(TEE_RestrictObjectUsage1(o, TEE_USAGE_DECRYPT | TEE_USAGE_EXTRACTABLE),
		 TEE_SUCCESS);
	TEE_CloseObject(o);
	REQUIRE_EQ(open_obj("key", TEE_DATA_FLAG_ACCESS_READ, &o), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK_EQ(info.objectUsage, TEE_USAGE_DECRYPT | TEE_USAGE_EXTRACTABLE);
	shared = o;
	CHECK(ta_panics(set_key_of_shared, NULL)); /* no ENCRYPT any more */
	/* a transient copy of a persistent object */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 128, &copy), TEE_SUCCESS);
	CHECK_EQ(TEE_CopyObjectAttributes1(copy, o), TEE_SUCCESS);
	len = sizeof(k);
	CHECK_EQ(TEE_GetObjectBufferAttribute(copy, TEE_ATTR_SECRET_VALUE, k, &len),
		 TEE_SUCCESS);
	CHECK(len == 16 && same_hex(k, len, "000102030405060708090a0b0c0d0e0f"));
	REQUIRE_EQ(TEE_GetObjectInfo1(copy, &info), TEE_SUCCESS);
	CHECK_EQ(info.handleFlags, TEE_HANDLE_FLAG_INITIALIZED);
	TEE_FreeTransientObject(copy);
	TEE_CloseObject(o);
}

/* A persistent AES key from hex, its transient source freed. */
static TEE_ObjectHandle stored_aes_key(const char *id, const char *hex)
{
	TEE_ObjectHandle t = key_from_hex(TEE_TYPE_AES, hex), o = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, strlen(id),
					      TEE_DATA_FLAG_ACCESS_READ, t, NULL, 0, &o),
		   TEE_SUCCESS);
	TEE_FreeTransientObject(t);
	return o;
}

/* Two persistent keys in one operation: AES-XTS, IEEE 1619-2007 vector 2. */
static void test_two_keys(void)
{
	TEE_ObjectHandle k1 = stored_aes_key("x1", "11111111111111111111111111111111");
	TEE_ObjectHandle k2 = stored_aes_key("x2", "22222222222222222222222222222222");
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t tweak[16], pt[32], out[32];
	size_t len = sizeof(out);

	unhex("33333333330000000000000000000000", tweak);
	memset(pt, 0x44, sizeof(pt));
	REQUIRE_EQ(TEE_AllocateOperation(&op, TEE_ALG_AES_XTS, TEE_MODE_ENCRYPT, 256),
		   TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey2(op, k1, k2), TEE_SUCCESS);
	TEE_CloseObject(k1); /* the operation keeps its own copies */
	TEE_CloseObject(k2);
	TEE_CipherInit(op, tweak, sizeof(tweak));
	CHECK_EQ(TEE_CipherDoFinal(op, pt, sizeof(pt), out, &len), TEE_SUCCESS);
	CHECK(len == 32 && same_hex(out, len, "c454185e6a16936e39334038acef838b"
						"fb186fff7480adc4289382ecd6d394f0"));
	TEE_FreeOperation(op);
}

static void test_asymmetric_keys(void)
{
	TEE_ObjectHandle k = TEE_HANDLE_NULL, o = TEE_HANDLE_NULL;
	TEE_OperationHandle sign = TEE_HANDLE_NULL, verify = TEE_HANDLE_NULL;
	TEE_Attribute curve;
	uint8_t digest[32] = { 1, 2, 3 }, sig[256];
	size_t sig_len = sizeof(sig);
	uint32_t a = 0, b = 7;

	/* a generated RSA key, stored, reopened: signs what the original verifies */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_KEYPAIR, 1024, &k), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GenerateKey(k, 1024, NULL, 0), TEE_SUCCESS);
	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "rsa", 3, 0, k, NULL, 0, &o),
		   TEE_SUCCESS);
	TEE_CloseObject(o);
	REQUIRE_EQ(open_obj("rsa", TEE_DATA_FLAG_ACCESS_READ, &o), TEE_SUCCESS);
	REQUIRE_EQ(TEE_AllocateOperation(&sign, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, TEE_MODE_SIGN,
					 1024), TEE_SUCCESS);
	REQUIRE_EQ(TEE_AllocateOperation(&verify, TEE_ALG_RSASSA_PKCS1_V1_5_SHA256,
					 TEE_MODE_VERIFY, 1024), TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey(sign, o), TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey(verify, k), TEE_SUCCESS);
	CHECK_EQ(TEE_AsymmetricSignDigest(sign, NULL, 0, digest, sizeof(digest), sig, &sig_len),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_AsymmetricVerifyDigest(verify, NULL, 0, digest, sizeof(digest), sig,
					    sig_len), TEE_SUCCESS);
	TEE_FreeOperation(sign);
	TEE_FreeOperation(verify);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(k);
	/* an EC key keeps its curve (a value attribute) */
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_ECDSA_KEYPAIR, 256, &k), TEE_SUCCESS);
	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	REQUIRE_EQ(TEE_GenerateKey(k, 256, &curve, 1), TEE_SUCCESS);
	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "ec", 2, 0, k, NULL, 0, &o),
		   TEE_SUCCESS);
	CHECK_EQ(TEE_GetObjectValueAttribute(o, TEE_ATTR_ECC_CURVE, &a, &b), TEE_SUCCESS);
	CHECK(a == TEE_ECC_CURVE_NIST_P256 && b == 0);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(k);
}

/* OP-TEE: no handle asked for, a transient attribute object: it becomes the persistent handle. */
static void free_shared(void *arg)
{
	(void)arg;
	TEE_FreeTransientObject(shared);
}

static void test_create_without_handle(void)
{
	TEE_ObjectHandle t = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	TEE_ObjectInfo info;

	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "t", 1, RW, t, "ab", 2, NULL),
		   TEE_SUCCESS);
	REQUIRE_EQ(TEE_GetObjectInfo1(t, &info), TEE_SUCCESS);
	CHECK_EQ(info.handleFlags, TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED | RW);
	CHECK(info.dataSize == 2 && info.objectSize == 128);
	CHECK_EQ(fake_st_open_handles(), 1);
	shared = t;
	CHECK(ta_panics(free_shared, NULL));
	CHECK_EQ(TEE_WriteObjectData(t, "c", 1), TEE_SUCCESS);
	CHECK(stored_is("t", "cb", 2));
	check_aes_key(t);
	TEE_CloseObject(t);
	CHECK_EQ(fake_st_open_handles(), 0);
	/* a data-only object without a handle: created, closed at once */
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "u", 1, RW, TEE_HANDLE_NULL,
					    "z", 1, NULL), TEE_SUCCESS);
	CHECK(stored_is("u", "z", 1));
	CHECK_EQ(fake_st_open_handles(), 0);
}

static void test_position_limits(void)
{
	TEE_ObjectHandle o = create_data("big", RW, "");
	TEE_ObjectInfo info;

	CHECK_EQ(TEE_WriteObjectData(o, "", (size_t)TEE_DATA_MAX_POSITION + 1),
		 TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_SeekObjectData(o, TEE_DATA_MAX_POSITION, TEE_DATA_SEEK_SET), TEE_SUCCESS);
	CHECK_EQ(TEE_SeekObjectData(o, 1, TEE_DATA_SEEK_CUR), TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_SeekObjectData(o, (intmax_t)TEE_DATA_MAX_POSITION + 1, TEE_DATA_SEEK_END),
		 TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_WriteObjectData(o, "a", 1), TEE_ERROR_OVERFLOW);
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.dataPosition == TEE_DATA_MAX_POSITION && info.dataSize == 0);
	CHECK_EQ(TEE_TruncateObjectData(o, (size_t)TEE_DATA_MAX_POSITION + 1),
		 TEE_ERROR_STORAGE_NO_SPACE);
	CHECK_EQ(TEE_SeekObjectData(o, INTMAX_MIN, TEE_DATA_SEEK_CUR), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK_EQ(info.dataPosition, 0);
	TEE_CloseObject(o);
}

static void test_tee_errors(void)
{
	TEE_ObjectHandle o = create_data("e", RWM, "abc"), p = TEE_HANDLE_NULL;
	char big[64] = { 0 }, buf[4];
	size_t n = 99;

	/* quota */
	fake_st.quota = 16;
	CHECK_EQ(TEE_WriteObjectData(o, big, sizeof(big)), TEE_ERROR_STORAGE_NO_SPACE);
	CHECK_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "f", 1, 0, TEE_HANDLE_NULL, big,
					    sizeof(big), &p), TEE_ERROR_STORAGE_NO_SPACE);
	CHECK(p == TEE_HANDLE_NULL);
	CHECK_EQ(TEE_TruncateObjectData(o, 17), TEE_ERROR_STORAGE_NO_SPACE);
	fake_st.quota = 0;
	CHECK(stored_is("e", "abc", 3));
	/* failed requests: OUT_OF_MEMORY for -ENOMEM */
	fake_st.host_error = -ENOMEM;
	CHECK_EQ(open_obj("e", 0, &p), TEE_ERROR_OUT_OF_MEMORY);
	fake_st.host_error = 0;
	/* answers libutee lets through */
	fake_st.force = TEE_ERROR_STORAGE_NOT_AVAILABLE;
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_ERROR_STORAGE_NOT_AVAILABLE);
	CHECK_EQ(n, 99);
	fake_st.force = TEE_ERROR_STORAGE_NOT_AVAILABLE;
	CHECK_EQ(TEE_RenamePersistentObject(o, "e2", 2), TEE_ERROR_STORAGE_NOT_AVAILABLE);
	fake_st.force = TEE_ERROR_CORRUPT_OBJECT;
	CHECK_EQ(TEE_RestrictObjectUsage1(o, 0), TEE_ERROR_CORRUPT_OBJECT);
	/* CORRUPT_OBJECT on the stream closes the handle, unless the TA's flag says no */
	fake_head.flags |= TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT;
	fake_st.force = TEE_ERROR_CORRUPT_OBJECT;
	CHECK_EQ(TEE_WriteObjectData(o, "x", 1), TEE_ERROR_CORRUPT_OBJECT);
	CHECK_EQ(fake_st_open_handles(), 1);
	fake_head.flags &= ~TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT;
	fake_st.force = TEE_ERROR_CORRUPT_OBJECT;
	CHECK_EQ(TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_ERROR_CORRUPT_OBJECT);
	CHECK_EQ(fake_st_open_handles(), 0);
	shared = o;
	CHECK(ta_panics(free_shared, NULL)); /* the handle is gone */
}

int main(void)
{
	fake_start();
	test_no_storage();
	storage_on();
	test_data_stream();
	test_reopen();
	test_create_rules();
	test_sharing();
	test_rename_delete();
	test_secret_key();
	test_two_keys();
	test_asymmetric_keys();
	test_create_without_handle();
	test_position_limits();
	test_tee_errors();
	fake_st_reset();
	return check_report();
}
