/* libvtee_ta, digests and MACs against known answers: SHA-1/224/256/384/512 ("abc", FIPS
 * 180-2 examples), HMAC (RFC 2202 case 1, RFC 4231 case 4, NIST's HMAC example values for
 * keylen < blocklen), AES-CMAC (RFC 4493), AES-CBC-MAC with and without PKCS#5 padding (over
 * SP 800-38A's message); and their error paths as OP-TEE's libutee has them: SHORT_BUFFER
 * with the size needed, MAC_INVALID, the panics of bad states and bad keys. */
#include "tarun_crypto_test.h"

#include <stdlib.h>

static const char *const abc_digests[][2] = {
	{ "sha1", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
	{ "sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "sha384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		    "8086072ba1e7cc2358baeca134c825a7" },
	{ "sha512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
};
static const uint32_t sha_algs[] = { TEE_ALG_SHA1, TEE_ALG_SHA224, TEE_ALG_SHA256,
				     TEE_ALG_SHA384, TEE_ALG_SHA512 };

static void test_digest_kat(void)
{
	for (size_t i = 0; i < 5; i++) {
		TEE_OperationHandle op = TEE_HANDLE_NULL;
		TEE_OperationInfo info;
		uint8_t out[64];
		size_t len = sizeof(out);

		REQUIRE_EQ(TEE_AllocateOperation(&op, sha_algs[i], TEE_MODE_DIGEST, 0), TEE_SUCCESS);
		TEE_GetOperationInfo(op, &info);
		CHECK_EQ(info.operationClass, TEE_OPERATION_DIGEST);
		CHECK_EQ(info.handleState, TEE_HANDLE_FLAG_KEY_SET | TEE_HANDLE_FLAG_INITIALIZED);
		/* in two pieces, the second with the final */
		TEE_DigestUpdate(op, "a", 1);
		CHECK_EQ(TEE_DigestDoFinal(op, "bc", 2, out, &len), TEE_SUCCESS);
		CHECK(same_hex(out, len, abc_digests[i][1]));
		CHECK_EQ(info.digestLength, len);
		/* the operation is fresh again */
		len = sizeof(out);
		CHECK_EQ(TEE_DigestDoFinal(op, "abc", 3, out, &len), TEE_SUCCESS);
		CHECK(same_hex(out, len, abc_digests[i][1]));
		TEE_FreeOperation(op);
	}
}

static void test_digest_short_buffer_and_extract(void)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL, copy = TEE_HANDLE_NULL;
	uint8_t out[64];
	size_t len = 31;
	uint32_t len32 = 5;

	REQUIRE_EQ(TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0), TEE_SUCCESS);
	REQUIRE_EQ(TEE_AllocateOperation(&copy, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0), TEE_SUCCESS);
	TEE_DigestUpdate(op, "ab", 2);
	/* too small: the size needed, the chunk not consumed */
	CHECK_EQ(TEE_DigestDoFinal(op, "c", 1, out, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 32);
	CHECK_EQ(__GP11_TEE_DigestDoFinal(op, "c", 1, out, &len32), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len32, 32);
	/* a copy carries on from the same point */
	TEE_CopyOperation(copy, op);
	TEE_DigestUpdate(op, "c", 1);
	len = 10;
	CHECK_EQ(TEE_DigestExtract(op, out, &len), TEE_SUCCESS);
	CHECK_EQ(len, 10);
	len = 64;
	CHECK_EQ(TEE_DigestExtract(op, out + 10, &len), TEE_SUCCESS);
	CHECK_EQ(len, 22);
	CHECK(same_hex(out, 32, abc_digests[2][1]));
	len = 64;
	CHECK_EQ(TEE_DigestDoFinal(copy, "c", 1, out, &len), TEE_SUCCESS);
	CHECK(same_hex(out, len, abc_digests[2][1]));
	TEE_FreeOperation(op);
	TEE_FreeOperation(copy);
}

static TEE_OperationHandle shared_op;

static void digest_update_null(void *arg)
{
	(void)arg;
	TEE_DigestUpdate(shared_op, NULL, 4);
}

static void digest_on_mac_op(void *arg)
{
	(void)arg;
	TEE_DigestUpdate(shared_op, "x", 1);
}

static void digest_after_extract(void *arg)
{
	uint8_t out[4];
	size_t len = sizeof(out);

	(void)arg;
	TEE_DigestExtract(shared_op, out, &len);
	TEE_DigestUpdate(shared_op, "x", 1);
}

static void test_digest_panics(void)
{
	REQUIRE_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_SHA1, TEE_MODE_DIGEST, 0),
		   TEE_SUCCESS);
	CHECK(ta_panics(digest_update_null, NULL));
	CHECK(ta_panics(digest_after_extract, NULL));
	TEE_FreeOperation(shared_op);
	/* a digest function on a MAC operation */
	shared_op = op_with_key(TEE_ALG_HMAC_SHA1, TEE_MODE_MAC, TEE_TYPE_HMAC_SHA1,
				"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
	CHECK(ta_panics(digest_on_mac_op, NULL));
	TEE_FreeOperation(shared_op);
	/* a digest algorithm with another mode, and an unknown one */
	CHECK_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_SHA256, TEE_MODE_MAC, 0),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_SHA3_256, TEE_MODE_DIGEST, 0),
		 TEE_ERROR_NOT_SUPPORTED);
}

struct mac_vec {
	uint32_t alg, type;
	const char *key, *msg_hex, *mac;
};

static const struct mac_vec mac_vecs[] = {
	/* RFC 2202, test case 1: "Hi There" */
	{ TEE_ALG_HMAC_SHA1, TEE_TYPE_HMAC_SHA1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265", "b617318655057264e28bc0b6fb378c8ef146be00" },
	/* RFC 4231, test case 4 */
	{ TEE_ALG_HMAC_SHA224, TEE_TYPE_HMAC_SHA224,
	  "0102030405060708090a0b0c0d0e0f10111213141516171819", "cd*50",
	  "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a" },
	{ TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
	  "0102030405060708090a0b0c0d0e0f10111213141516171819", "cd*50",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	/* NIST HMAC example values, "Sample message for keylen<blocklen" */
	{ TEE_ALG_HMAC_SHA384, TEE_TYPE_HMAC_SHA384,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f", "nist",
	  "6eb242bdbb582ca17bebfa481b1e23211464d2b7f8c20b9ff2201637b93646af"
	  "5ae9ac316e98db45d9cae773675eeed0" },
	{ TEE_ALG_HMAC_SHA512, TEE_TYPE_HMAC_SHA512,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f", "nist",
	  "fd44c18bda0bb0a6ce0e82b031bf2818f6539bd56ec00bdc10a8a2d730b3634d"
	  "e2545d639b0f2cf710d0692c72a1896f1f211c2b922d1a96c392e07e7ea9fedc" },
	/* RFC 4493 */
	{ TEE_ALG_AES_CMAC, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "",
	  "bb1d6929e95937287fa37d129b756746" },
	{ TEE_ALG_AES_CMAC, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp16",
	  "070a16b46b4d4144f79bdd9dd04a287c" },
	{ TEE_ALG_AES_CMAC, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp40",
	  "dfa66747de9ae63030ca32611497c827" },
	{ TEE_ALG_AES_CMAC, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp64",
	  "51f0bebf7e3b9d92fc49741779363cfe" },
	/* CBC-MAC (zero IV) over SP 800-38A's plaintext: its last CBC block */
	{ TEE_ALG_AES_CBC_MAC_NOPAD, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp64",
	  "a7356e1207bb406639e5e5ceb9a9ed93" },
	{ TEE_ALG_AES_CBC_MAC_PKCS5, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp64",
	  "da089d0f8ca5d2d60e505eb6a4f6bf07" },
	{ TEE_ALG_AES_CBC_MAC_PKCS5, TEE_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c", "sp40",
	  "691da4fc78722e2dbcdd970708a3ae40" },
};

static const char sp800_38a_pt[] =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

static size_t mac_message(const char *spec, uint8_t *msg)
{
	if (!strcmp(spec, "cd*50")) {
		memset(msg, 0xcd, 50);
		return 50;
	}
	if (!strcmp(spec, "nist")) {
		memcpy(msg, "Sample message for keylen<blocklen", 34);
		return 34;
	}
	if (!strncmp(spec, "sp", 2)) {
		unhex(sp800_38a_pt, msg);
		return (size_t)atoi(spec + 2);
	}
	return unhex(spec, msg);
}

static void test_mac_kat(void)
{
	for (size_t i = 0; i < sizeof(mac_vecs) / sizeof(mac_vecs[0]); i++) {
		const struct mac_vec *v = &mac_vecs[i];
		TEE_OperationHandle op = op_with_key(v->alg, TEE_MODE_MAC, v->type, v->key);
		uint8_t msg[128], mac[64], want[64];
		size_t n = mac_message(v->msg_hex, msg), len = sizeof(mac);
		size_t split = n / 3; /* updates of odd sizes, the rest with the final */

		TEE_MACInit(op, NULL, 0);
		TEE_MACUpdate(op, msg, split);
		TEE_MACUpdate(op, msg + split, split);
		CHECK_EQ(TEE_MACComputeFinal(op, msg + 2 * split, n - 2 * split, mac, &len),
			 TEE_SUCCESS);
		CHECK(same_hex(mac, len, v->mac));
		/* compare: right, wrong byte, wrong length */
		unhex(v->mac, want);
		TEE_MACInit(op, NULL, 0);
		CHECK_EQ(TEE_MACCompareFinal(op, msg, n, want, len), TEE_SUCCESS);
		want[0] ^= 1;
		TEE_MACInit(op, NULL, 0);
		CHECK_EQ(TEE_MACCompareFinal(op, msg, n, want, len), TEE_ERROR_MAC_INVALID);
		want[0] ^= 1;
		TEE_MACInit(op, NULL, 0);
		CHECK_EQ(__GP11_TEE_MACCompareFinal(op, msg, (uint32_t)n, want, (uint32_t)len - 1),
			 TEE_ERROR_MAC_INVALID);
		TEE_FreeOperation(op);
	}
}

static void test_mac_short_buffer(void)
{
	TEE_OperationHandle op = op_with_key(TEE_ALG_HMAC_SHA256, TEE_MODE_MAC,
					     TEE_TYPE_HMAC_SHA256,
					     "0102030405060708090a0b0c0d0e0f10111213141516171819");
	uint8_t msg[50], mac[32];
	size_t len = 31;
	uint32_t len32 = 0;

	memset(msg, 0xcd, sizeof(msg));
	TEE_MACInit(op, NULL, 0);
	TEE_MACUpdate(op, msg, 20);
	CHECK_EQ(TEE_MACComputeFinal(op, msg + 20, 30, mac, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 32);
	CHECK_EQ(__GP11_TEE_MACComputeFinal(op, msg + 20, 30, mac, &len32),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len32, 32);
	/* nothing was consumed: the retry gives the vector's MAC */
	CHECK_EQ(TEE_MACComputeFinal(op, msg + 20, 30, mac, &len), TEE_SUCCESS);
	CHECK(same_hex(mac, len, mac_vecs[2].mac));
	TEE_FreeOperation(op);
}

/* A copy made halfway, key and state included, ends with the same MAC. */
static void test_mac_copy(void)
{
	const struct mac_vec *v = &mac_vecs[6]; /* CMAC, 16 bytes */
	TEE_OperationHandle op = op_with_key(v->alg, TEE_MODE_MAC, v->type, v->key);
	TEE_OperationHandle copy = TEE_HANDLE_NULL;
	uint8_t msg[64], mac[16];
	size_t n = mac_message(v->msg_hex, msg), len = sizeof(mac);

	REQUIRE_EQ(TEE_AllocateOperation(&copy, v->alg, TEE_MODE_MAC, 256), TEE_SUCCESS);
	TEE_MACInit(op, NULL, 0);
	TEE_MACUpdate(op, msg, 7);
	TEE_CopyOperation(copy, op);
	TEE_FreeOperation(op);
	CHECK_EQ(TEE_MACComputeFinal(copy, msg + 7, n - 7, mac, &len), TEE_SUCCESS);
	CHECK(same_hex(mac, len, v->mac));
	TEE_FreeOperation(copy);
}

static void mac_update_uninit(void *arg)
{
	(void)arg;
	TEE_MACUpdate(shared_op, "x", 1);
}

static void mac_final_uninit(void *arg)
{
	uint8_t mac[16];
	size_t len = sizeof(mac);

	(void)arg;
	TEE_MACComputeFinal(shared_op, NULL, 0, mac, &len);
}

static void cbc_mac_partial(void *arg)
{
	uint8_t mac[16];
	size_t len = sizeof(mac);

	(void)arg;
	TEE_MACInit(shared_op, NULL, 0);
	TEE_MACComputeFinal(shared_op, "12345", 5, mac, &len);
}

static void mac_init_op(void *arg)
{
	(void)arg;
	TEE_MACInit(shared_op, NULL, 0);
}

static void set_key_of(void *arg)
{
	TEE_SetOperationKey(shared_op, arg);
}

static void test_mac_panics(void)
{
	TEE_ObjectHandle generic = key_from_hex(TEE_TYPE_GENERIC_SECRET,
						"00112233445566778899aabbccddeeff");
	TEE_ObjectHandle no_mac = key_from_hex(TEE_TYPE_AES, "00112233445566778899aabbccddeeff");

	shared_op = op_with_key(TEE_ALG_AES_CBC_MAC_NOPAD, TEE_MODE_MAC, TEE_TYPE_AES,
				"2b7e151628aed2a6abf7158809cf4f3c");
	/* before TEE_MACInit, and after a final */
	CHECK(ta_panics(mac_update_uninit, NULL));
	CHECK(ta_panics(mac_final_uninit, NULL));
	/* NOPAD: the TA must give whole blocks */
	CHECK(ta_panics(cbc_mac_partial, NULL));
	TEE_FreeOperation(shared_op);
	REQUIRE_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_AES_CMAC, TEE_MODE_MAC, 128),
		   TEE_SUCCESS);
	/* a key of another type, a key not allowed to MAC */
	CHECK(ta_panics(set_key_of, generic));
	TEE_RestrictObjectUsage1(no_mac, TEE_USAGE_ENCRYPT);
	CHECK(ta_panics(set_key_of, no_mac));
	/* MACInit without a key */
	CHECK(ta_panics(mac_init_op, NULL));
	TEE_FreeOperation(shared_op);
	TEE_FreeTransientObject(generic);
	TEE_FreeTransientObject(no_mac);
	/* HMAC keys below the type's minimum are not even allocated */
	CHECK_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, 128),
		 TEE_ERROR_NOT_SUPPORTED);
}

int main(void)
{
	fake_start();
	test_digest_kat();
	test_digest_short_buffer_and_extract();
	test_digest_panics();
	test_mac_kat();
	test_mac_short_buffer();
	test_mac_copy();
	test_mac_panics();
	return check_report();
}
