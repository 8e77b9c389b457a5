/* libvtee_ta, persistent objects: enumerators (order, info, the end, reset, restart, objects
 * deleted on the way, storage ids, the panics), the GP 1.1 dialect of the storage functions,
 * and meta blobs read back from storage treated as hostile (every kind of bad blob, and random
 * mutations of good ones: CORRUPT_OBJECT, never a crash or a leaked handle). */
#include "tarun_storage_test.h"

#include <stdint.h>
#include <stdlib.h>

static TEE_ObjectEnumHandle shared_enum;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The stored blob of `id` replaced by len bytes of `meta`. */
static void set_meta(const char *id, const void *meta, size_t len)
{
	struct fake_object *o = fake_st_find(id, strlen(id));
	uint8_t *m = malloc(len ? len : 1);

	REQUIRE(o && m);
	memcpy(m, meta, len);
	free(o->meta);
	o->meta = m;
	o->meta_len = len;
}

static void make_key_object(const char *id)
{
	TEE_ObjectHandle t = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	TEE_ObjectHandle o = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, strlen(id), 0, t, "xyz",
					      3, &o), TEE_SUCCESS);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(t);
}

/* Objects "", "a" (an AES key with 3 bytes of data), "ab", "b" (2 bytes). */
static void make_four(void)
{
	TEE_CloseObject(create_data("b", 0, "12"));
	make_key_object("a");
	TEE_CloseObject(create_data("", 0, ""));
	TEE_CloseObject(create_data("ab", 0, "4444"));
}

static void test_enumerate(void)
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t len = 77;

	storage_on();
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE),
		 TEE_ERROR_ITEM_NOT_FOUND);
	memset(&info, 0xff, sizeof(info));
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK(info.objectType == 0 && info.handleFlags == 0 && len == 77);
	make_four();
	/* in the order of the ids' bytes, a prefix first */
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE_REE), TEE_SUCCESS);
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_SUCCESS);
	CHECK_EQ(len, 0);
	CHECK(info.objectType == TEE_TYPE_DATA && info.dataSize == 0);
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'a');
	CHECK(info.objectType == TEE_TYPE_AES && info.objectSize == 128 &&
	      info.maxObjectSize == 128 && info.dataSize == 3 && info.dataPosition == 0);
	CHECK_EQ(info.handleFlags, TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS); /* info optional */
	CHECK(len == 2 && !memcmp(id, "ab", 2));
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'b' && info.dataSize == 2);
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextPersistentObject(e, &info, id, &len), TEE_ERROR_ITEM_NOT_FOUND);
	TEE_FreePersistentObjectEnumerator(e);
	TEE_FreePersistentObjectEnumerator(TEE_HANDLE_NULL);
	TEE_ResetPersistentObjectEnumerator(TEE_HANDLE_NULL);
	CHECK_EQ(fake_st_open_handles(), 0);
}

static void test_enumerate_again(void)
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL, e2 = TEE_HANDLE_NULL;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	size_t len = 0;

	storage_on();
	make_four();
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	/* reset: nothing until started again, then from the first */
	TEE_ResetPersistentObjectEnumerator(e);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_ERROR_ITEM_NOT_FOUND);
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS);
	CHECK_EQ(len, 0);
	/* an object deleted on the way is skipped; a second enumerator goes its own way */
	REQUIRE_EQ(open_obj("a", TEE_DATA_FLAG_ACCESS_WRITE_META, &o), TEE_SUCCESS);
	CHECK_EQ(TEE_CloseAndDeletePersistentObject1(o), TEE_SUCCESS);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS);
	CHECK(len == 2 && !memcmp(id, "ab", 2));
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e2), TEE_SUCCESS);
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e2, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	CHECK_EQ(TEE_GetNextPersistentObject(e2, NULL, id, &len), TEE_SUCCESS);
	CHECK_EQ(len, 0);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'b');
	/* storage ids the host does not serve find nothing */
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE_RPMB),
		 TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_ERROR_ITEM_NOT_FOUND);
	fake_st.force = TEE_ERROR_STORAGE_NOT_AVAILABLE;
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE),
		 TEE_ERROR_STORAGE_NOT_AVAILABLE);
	TEE_FreePersistentObjectEnumerator(e);
	TEE_FreePersistentObjectEnumerator(e2);
}

static void next_no_id(void *arg)
{
	size_t len = 0;

	(void)arg;
	TEE_GetNextPersistentObject(shared_enum, NULL, NULL, &len);
}

static void next_no_len(void *arg)
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];

	(void)arg;
	TEE_GetNextPersistentObject(shared_enum, NULL, id, NULL);
}

static void next_on(void *arg)
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t len = 0;

	TEE_GetNextPersistentObject(arg, NULL, id, &len);
}

static void start_on(void *arg)
{
	TEE_StartPersistentObjectEnumerator(arg, TEE_STORAGE_PRIVATE);
}

static void reset_on(void *arg)
{
	TEE_ResetPersistentObjectEnumerator(arg);
}

static void free_on(void *arg)
{
	TEE_FreePersistentObjectEnumerator(arg);
}

static void allocate_into_null(void *arg)
{
	(void)arg;
	TEE_AllocatePersistentObjectEnumerator(NULL);
}

static void forced_next(void *arg)
{
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t len = 0;

	TEE_StartPersistentObjectEnumerator(shared_enum, TEE_STORAGE_PRIVATE);
	fake_st.force = (TEE_Result)(uintptr_t)arg;
	TEE_GetNextPersistentObject(shared_enum, NULL, id, &len);
}

static void test_enum_panics(void)
{
	TEE_ObjectEnumHandle bogus = (TEE_ObjectEnumHandle)&shared_enum;

	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&shared_enum), TEE_SUCCESS);
	CHECK(ta_panics(next_no_id, NULL));
	CHECK(ta_panics(next_no_len, NULL));
	CHECK(ta_panics(next_on, bogus));
	CHECK(ta_panics(next_on, NULL));
	CHECK(ta_panics(start_on, bogus));
	CHECK(ta_panics(reset_on, bogus));
	CHECK(ta_panics(free_on, bogus));
	CHECK(ta_panics(allocate_into_null, NULL));
	CHECK(ta_panics(forced_next, (void *)(uintptr_t)TEE_ERROR_ACCESS_CONFLICT));
	CHECK(!ta_panics(forced_next, (void *)(uintptr_t)TEE_ERROR_STORAGE_NOT_AVAILABLE));
	TEE_FreePersistentObjectEnumerator(shared_enum);
}

static void test_gp11(void)
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	__GP11_TEE_ObjectInfo info;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	uint32_t len = 0, n = 0;
	char buf[8];

	storage_on();
	REQUIRE_EQ(__GP11_TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "g", 1, RWM,
						     TEE_HANDLE_NULL, "abcdef", 6, &o),
		   TEE_SUCCESS);
	CHECK_EQ(__GP11_TEE_SeekObjectData(o, -2, TEE_DATA_SEEK_END), TEE_SUCCESS);
	CHECK_EQ(__GP11_TEE_ReadObjectData(o, buf, sizeof(buf), &n), TEE_SUCCESS);
	CHECK(n == 2 && !memcmp(buf, "ef", 2));
	CHECK_EQ(__GP11_TEE_WriteObjectData(o, "gh", 2), TEE_SUCCESS);
	CHECK_EQ(__GP11_TEE_TruncateObjectData(o, 7), TEE_SUCCESS);
	CHECK(stored_is("g", "abcdefg", 7));
	CHECK_EQ(__GP11_TEE_GetObjectInfo1(o, &info), TEE_SUCCESS);
	CHECK(info.dataSize == 7 && info.dataPosition == 8 && info.keySize == 0 &&
	      info.maxKeySize == 0 && info.objectType == TEE_TYPE_DATA);
	CHECK_EQ(__GP11_TEE_RenamePersistentObject(o, "g2", 2), TEE_SUCCESS);
	TEE_CloseObject(o);
	CHECK_EQ(__GP11_TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, "g2", 2,
						 TEE_DATA_FLAG_ACCESS_READ, &o), TEE_SUCCESS);
	TEE_CloseObject(o);
	make_key_object("k");
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	CHECK_EQ(__GP11_TEE_GetNextPersistentObject(e, &info, id, &len), TEE_SUCCESS);
	CHECK(len == 2 && !memcmp(id, "g2", 2) && info.dataSize == 7);
	CHECK_EQ(__GP11_TEE_GetNextPersistentObject(e, &info, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'k' && info.keySize == 128 && info.maxKeySize == 128);
	CHECK_EQ(__GP11_TEE_GetNextPersistentObject(e, NULL, id, &len),
		 TEE_ERROR_ITEM_NOT_FOUND);
	TEE_FreePersistentObjectEnumerator(e);
}

/* A blob that must be refused: open answers CORRUPT_OBJECT, no handle stays open. */
static void check_refused(const char *what, const void *meta, size_t len)
{
	TEE_ObjectHandle o = (TEE_ObjectHandle)(uintptr_t)1;
	TEE_Result res;

	set_meta("k", meta, len);
	res = open_obj("k", TEE_DATA_FLAG_ACCESS_READ, &o);
	if (res != TEE_ERROR_CORRUPT_OBJECT)
		fprintf(stderr, "blob not refused: %s\n", what);
	CHECK_EQ(res, TEE_ERROR_CORRUPT_OBJECT);
	CHECK(o == TEE_HANDLE_NULL);
	CHECK_EQ(fake_st_open_handles(), 0);
}

/* The AES key's blob (24 bytes of header, one 16-byte attribute), changed at `at`. */
static size_t aes_blob(uint8_t *b, size_t at, uint32_t v)
{
	const struct fake_object *o = fake_st_find("good", 4);

	REQUIRE(o && o->meta_len == 48);
	memcpy(b, o->meta, 48);
	if (at < 48)
		put32(b + at, v);
	return 48;
}

static void test_bad_blobs(void)
{
	uint8_t b[128];
	static uint8_t huge[TARUN_ST_META_MAX + 64];

	storage_on();
	make_key_object("good");
	make_key_object("k");
	check_refused("empty", b, 0);
	check_refused("short header", b, aes_blob(b, 99, 0) - 25);
	check_refused("magic", b, aes_blob(b, 0, 0x6d6f7477));
	check_refused("version 2", b, aes_blob(b, 4, 0x00010002));
	check_refused("no attribute", b, aes_blob(b, 4, 0x00000001));
	check_refused("two announced", b, aes_blob(b, 4, 0x00020001));
	check_refused("unknown type", b, aes_blob(b, 8, 0x12345678));
	check_refused("data with attributes", b, aes_blob(b, 8, TEE_TYPE_DATA));
	check_refused("size over max", b, aes_blob(b, 12, 256));
	check_refused("max not allowed", b, aes_blob(b, 16, 100));
	check_refused("unknown attribute", b, aes_blob(b, 24, 0xdeadbeef));
	check_refused("length past the end", b, aes_blob(b, 28, 17));
	check_refused("huge length", b, aes_blob(b, 28, 0xffffffff));
	check_refused("cut attribute", b, aes_blob(b, 99, 0) - 1);
	check_refused("trailing byte", b, aes_blob(b, 99, 0) + 1);
	/* a second copy of the attribute; a secret longer than AES allows */
	aes_blob(b, 4, 0x00020001);
	memcpy(b + 48, b + 24, 24);
	check_refused("repeated attribute", b, 72);
	aes_blob(b, 28, 40);
	memset(b + 32, 7, 40);
	check_refused("secret too long", b, 72);
	/* a value attribute of the wrong size: the curve of an EC public key */
	aes_blob(b, 4, 0x00010001);
	put32(b + 8, TEE_TYPE_ECDSA_PUBLIC_KEY);
	put32(b + 12, 256);
	put32(b + 16, 256);
	put32(b + 24, TEE_ATTR_ECC_CURVE);
	put32(b + 28, 8);
	check_refused("value of 8 bytes", b, 40);
	/* larger than the TEE may store: the host says SHORT_BUFFER */
	aes_blob(huge, 99, 0);
	check_refused("oversized", huge, sizeof(huge));
	set_meta("k", b, aes_blob(b, 99, 0));
	CHECK(stored_is("k", "xyz", 3));
}

static void test_enum_over_bad_blob(void)
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN], b[48];
	size_t len = 0;

	storage_on();
	make_key_object("good");
	make_key_object("a");
	make_key_object("b");
	make_key_object("c");
	set_meta("b", b, aes_blob(b, 0, 0));
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	REQUIRE_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'a');
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_ERROR_CORRUPT_OBJECT);
	CHECK_EQ(TEE_GetNextPersistentObject(e, NULL, id, &len), TEE_SUCCESS);
	CHECK(len == 1 && id[0] == 'c');
	TEE_FreePersistentObjectEnumerator(e);
}

/* Random mutations of a good RSA key pair's blob: accepted or CORRUPT_OBJECT, nothing else
 * (ASan and UBSan watch the parser). */
static void test_mutated_blobs(void)
{
	TEE_ObjectHandle k = TEE_HANDLE_NULL, o = TEE_HANDLE_NULL;
	const struct fake_object *f;
	uint8_t *good, *m;
	size_t len;
	unsigned int accepted = 0, refused = 0;

	storage_on();
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_RSA_KEYPAIR, 512, &k), TEE_SUCCESS);
	REQUIRE_EQ(TEE_GenerateKey(k, 512, NULL, 0), TEE_SUCCESS);
	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "k", 1, 0, k, NULL, 0, &o),
		   TEE_SUCCESS);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(k);
	f = fake_st_find("k", 1);
	REQUIRE(f != NULL);
	len = f->meta_len;
	good = malloc(len);
	m = malloc(len);
	REQUIRE(good && m);
	memcpy(good, f->meta, len);
	srand(14);
	for (int i = 0; i < 3000; i++) {
		size_t n = (size_t)rand() % 4 ? len : (size_t)rand() % len;
		TEE_Result res;

		memcpy(m, good, len);
		for (int flips = 1 + rand() % 3; flips; flips--)
			m[(size_t)rand() % len] ^= (uint8_t)(1u << (rand() % 8));
		set_meta("k", m, n);
		res = open_obj("k", 0, &o);
		CHECK(res == TEE_SUCCESS || res == TEE_ERROR_CORRUPT_OBJECT);
		if (res == TEE_SUCCESS) {
			accepted++;
			TEE_CloseObject(o);
		} else {
			refused++;
		}
	}
	CHECK(accepted > 0 && refused > 0);
	CHECK_EQ(fake_st_open_handles(), 0);
	free(good);
	free(m);
}

/* An object the TEE finds corrupt is CORRUPT_OBJECT once, then the next one comes (OP-TEE's readdir
 * has moved on): a TA looping until ITEM_NOT_FOUND ends. Start reads no object, so a corrupt first
 * one does not fail it. */
static void test_enum_past_corrupt(void)
{
	TEE_ObjectEnumHandle e = TEE_HANDLE_NULL;
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t len = 0;
	TEE_Result res, seen[8];
	int n = 0;

	storage_on();
	make_four();
	fake_st_find("", 0)->corrupt = true;
	fake_st_find("b", 1)->corrupt = true;
	REQUIRE_EQ(TEE_AllocatePersistentObjectEnumerator(&e), TEE_SUCCESS);
	CHECK_EQ(TEE_StartPersistentObjectEnumerator(e, TEE_STORAGE_PRIVATE), TEE_SUCCESS);
	do {
		res = TEE_GetNextPersistentObject(e, NULL, id, &len);
		seen[n++] = res;
	} while (res != TEE_ERROR_ITEM_NOT_FOUND && n < 8);
	CHECK_EQ(n, 5); /* "" corrupt, "a", "ab", "b" corrupt, the end */
	CHECK(seen[0] == TEE_ERROR_CORRUPT_OBJECT && seen[1] == TEE_SUCCESS &&
	      seen[2] == TEE_SUCCESS && seen[3] == TEE_ERROR_CORRUPT_OBJECT);
	CHECK(len == 2 && !memcmp(id, "ab", 2)); /* the last one given */
	TEE_FreePersistentObjectEnumerator(e);
	fake_st_find("", 0)->corrupt = false;
	fake_st_find("b", 1)->corrupt = false;
}

int main(void)
{
	fake_start();
	test_enumerate();
	test_enumerate_again();
	test_enum_panics();
	test_gp11();
	test_bad_blobs();
	test_enum_over_bad_blob();
	test_enum_past_corrupt();
	test_mutated_blobs();
	fake_st_reset();
	return check_report();
}
