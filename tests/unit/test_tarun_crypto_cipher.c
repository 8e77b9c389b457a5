/* libvtee_ta, ciphers and authenticated encryption against known answers: AES ECB/CBC/CTR
 * (SP 800-38A F.1/F.2/F.5), CTS (RFC 3962's CBC-CS3 vectors), XTS (IEEE 1619 vectors 1, 2 and
 * 15), GCM (McGrew-Viega test cases 3 and 4), CCM (RFC 3610 packet 1, SP 800-38C example 1);
 * the output size of each update as libutee buffers blocks, SHORT_BUFFER with the size
 * needed, MAC_INVALID, and the panics of OP-TEE's checks. */
#include "tarun_crypto_test.h"

static const char key128[] = "2b7e151628aed2a6abf7158809cf4f3c";
static const char pt64[] =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

struct cipher_vec {
	uint32_t alg;
	const char *key, *iv, *pt, *ct;
};

static const struct cipher_vec vecs[] = {
	{ TEE_ALG_AES_ECB_NOPAD, key128, NULL, pt64,
	  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	  "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" },
	{ TEE_ALG_AES_ECB_NOPAD,
	  "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", NULL, pt64,
	  "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	  "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" },
	{ TEE_ALG_AES_CBC_NOPAD, key128, "000102030405060708090a0b0c0d0e0f", pt64,
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ TEE_ALG_AES_CTR, key128, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", pt64,
	  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee" },
	/* RFC 3962: "I would like the General Gau's Chicken, please, and wonton soup." */
	{ TEE_ALG_AES_CTS, "636869636b656e207465726979616b69", "00000000000000000000000000000000",
	  "4920776f756c64206c696b652074686520", "c6353568f2bf8cb4d8a580362da7ff7f97" },
	{ TEE_ALG_AES_CTS, "636869636b656e207465726979616b69", "00000000000000000000000000000000",
	  "4920776f756c64206c696b65207468652047656e6572616c20476175277320",
	  "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5" },
	{ TEE_ALG_AES_CTS, "636869636b656e207465726979616b69", "00000000000000000000000000000000",
	  "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20"
	  "706c656173652c",
	  "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e"
	  "39312523a78662d5be7fcbcc98ebf5" },
	{ TEE_ALG_AES_CTS, "636869636b656e207465726979616b69", "00000000000000000000000000000000",
	  "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20"
	  "706c656173652c20616e6420776f6e746f6e20736f75702e",
	  "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8"
	  "4807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8" },
};

/* The key of a vector (XTS: two keys in one string). */
static TEE_OperationHandle cipher_op(const struct cipher_vec *v, uint32_t mode)
{
	return op_with_key(v->alg, mode, TEE_TYPE_AES, v->key);
}

/* Runs `in` through the operation in pieces of `step`, then the final; returns bytes out. */
static size_t run_pieces(TEE_OperationHandle op, const uint8_t *in, size_t n, size_t step,
			 uint8_t *out)
{
	size_t done = 0, off = 0;

	while (n - off > step) {
		size_t len = 256;

		REQUIRE_EQ(TEE_CipherUpdate(op, in + off, step, out + done, &len), TEE_SUCCESS);
		done += len;
		off += step;
	}
	{
		size_t len = 256;

		REQUIRE_EQ(TEE_CipherDoFinal(op, in + off, n - off, out + done, &len), TEE_SUCCESS);
		done += len;
	}
	return done;
}

static void test_cipher_kat(void)
{
	static const size_t steps[] = { 1, 5, 16, 17, 1000 };

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct cipher_vec *v = &vecs[i];
		uint8_t iv[16], pt[64], ct[64], out[256];
		size_t niv = v->iv ? unhex(v->iv, iv) : 0, npt = unhex(v->pt, pt);

		unhex(v->ct, ct);
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			TEE_OperationHandle enc = cipher_op(v, TEE_MODE_ENCRYPT);
			TEE_OperationHandle dec = cipher_op(v, TEE_MODE_DECRYPT);
			size_t n;

			TEE_CipherInit(enc, v->iv ? iv : NULL, niv);
			n = run_pieces(enc, pt, npt, steps[s], out);
			CHECK(same_hex(out, n, v->ct));
			TEE_CipherInit(dec, v->iv ? iv : NULL, niv);
			n = run_pieces(dec, ct, npt, steps[s], out);
			CHECK(same_hex(out, n, v->pt));
			TEE_FreeOperation(enc);
			TEE_FreeOperation(dec);
		}
	}
}

/* One call (update or final) with `in` bytes and `room` bytes of room: its result and the
 * length it writes back. */
struct step {
	bool final;
	size_t in, room;
	TEE_Result res;
	size_t len;
};

static void run_steps(TEE_OperationHandle op, const struct step *st, size_t n)
{
	uint8_t buf[64] = { 0 }, out[64];

	TEE_CipherInit(op, buf, 16);
	for (size_t i = 0; i < n; i++) {
		size_t len = st[i].room;
		TEE_Result res = st[i].final ? TEE_CipherDoFinal(op, buf, st[i].in, out, &len) :
					       TEE_CipherUpdate(op, buf, st[i].in, out, &len);

		CHECK_EQ(res, st[i].res);
		CHECK_EQ(len, st[i].len);
	}
}

/* What each update hands out: whole blocks (CBC), all but the last two blocks, at least one
 * byte of which stays back (CTS); the room is checked before anything is consumed. */
static void test_update_sizes(void)
{
	static const struct step cbc_steps[] = {
		{ false, 5, 64, TEE_SUCCESS, 0 },
		{ false, 30, 64, TEE_SUCCESS, 32 },
		/* 3 bytes wait: 13 more make a block, the room must hold it */
		{ false, 13, 15, TEE_ERROR_SHORT_BUFFER, 16 },
		{ true, 13, 0, TEE_ERROR_SHORT_BUFFER, 16 },
		{ true, 13, 16, TEE_SUCCESS, 16 },
	};
	static const struct step cts_steps[] = {
		{ false, 32, 64, TEE_SUCCESS, 0 },
		{ false, 1, 64, TEE_SUCCESS, 16 },
		{ true, 0, 64, TEE_SUCCESS, 17 },
	};
	TEE_OperationHandle cbc = cipher_op(&vecs[2], TEE_MODE_ENCRYPT);
	TEE_OperationHandle cts = cipher_op(&vecs[4], TEE_MODE_ENCRYPT);

	run_steps(cbc, cbc_steps, sizeof(cbc_steps) / sizeof(cbc_steps[0]));
	run_steps(cts, cts_steps, sizeof(cts_steps) / sizeof(cts_steps[0]));
	TEE_FreeOperation(cbc);
	TEE_FreeOperation(cts);
}

struct xts_vec {
	const char *k1, *k2, *tweak, *pt, *ct;
};

static const struct xts_vec xts_vecs[] = {
	/* IEEE 1619-2007, vectors 1, 2 and 15 (ciphertext stealing) */
	{ "00000000000000000000000000000000", "00000000000000000000000000000000",
	  "00000000000000000000000000000000",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e" },
	{ "11111111111111111111111111111111", "22222222222222222222222222222222",
	  "33333333330000000000000000000000",
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0" },
	{ "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0", "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000", "000102030405060708090a0b0c0d0e0f10",
	  "6c1625db4671522d3d7599601de7ca09ed" },
};

static TEE_OperationHandle xts_op(const struct xts_vec *v, uint32_t mode)
{
	TEE_ObjectHandle k1 = key_from_hex(TEE_TYPE_AES, v->k1);
	TEE_ObjectHandle k2 = key_from_hex(TEE_TYPE_AES, v->k2);
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_AllocateOperation(&op, TEE_ALG_AES_XTS, mode, 256), TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey2(op, k1, k2), TEE_SUCCESS);
	TEE_FreeTransientObject(k1);
	TEE_FreeTransientObject(k2);
	return op;
}

static void test_xts(void)
{
	for (size_t i = 0; i < sizeof(xts_vecs) / sizeof(xts_vecs[0]); i++) {
		const struct xts_vec *v = &xts_vecs[i];
		uint8_t tweak[16], pt[32], ct[32], out[256];
		size_t n = unhex(v->pt, pt);
		TEE_OperationHandle enc = xts_op(v, TEE_MODE_ENCRYPT);
		TEE_OperationHandle dec = xts_op(v, TEE_MODE_DECRYPT);
		TEE_OperationInfo info;

		unhex(v->tweak, tweak);
		unhex(v->ct, ct);
		TEE_CipherInit(enc, tweak, 16);
		CHECK(same_hex(out, run_pieces(enc, pt, n, 7, out), v->ct));
		TEE_CipherInit(dec, tweak, 16);
		CHECK(same_hex(out, run_pieces(dec, ct, n, 16, out), v->pt));
		/* two keys: GetOperationInfo hides the key size and usage */
		TEE_GetOperationInfo(enc, &info);
		CHECK_EQ(info.keySize, 0);
		CHECK_EQ(info.requiredKeyUsage, 0);
		CHECK(info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS);
		TEE_FreeOperation(enc);
		TEE_FreeOperation(dec);
	}
}

static TEE_OperationHandle shared_op;

static void final_short_cts(void *arg)
{
	uint8_t out[32] = { 0 };
	size_t len = sizeof(out);

	(void)arg;
	TEE_CipherInit(shared_op, out, 16);
	TEE_CipherDoFinal(shared_op, out, 16, out, &len); /* one block: no stealing possible */
}

static void final_unpadded(void *arg)
{
	uint8_t out[32] = { 0 };
	size_t len = sizeof(out);

	(void)arg;
	TEE_CipherInit(shared_op, out, 16);
	TEE_CipherDoFinal(shared_op, out, 15, out, &len);
}

static void init_ecb_with_iv(void *arg)
{
	(void)arg;
	TEE_CipherInit(shared_op, "0123456789abcdef", 16);
}

static void update_uninit(void *arg)
{
	uint8_t out[16] = { 0 };
	size_t len = sizeof(out);

	(void)arg;
	TEE_CipherUpdate(shared_op, out, 16, out, &len);
}

static void set_one_key(void *arg)
{
	TEE_SetOperationKey(shared_op, arg);
}

static void test_cipher_panics(void)
{
	TEE_ObjectHandle k = key_from_hex(TEE_TYPE_AES, key128);
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	shared_op = cipher_op(&vecs[4], TEE_MODE_ENCRYPT);
	CHECK(ta_panics(final_short_cts, NULL));
	TEE_FreeOperation(shared_op);
	shared_op = cipher_op(&vecs[2], TEE_MODE_ENCRYPT);
	CHECK(ta_panics(final_unpadded, NULL));
	CHECK(ta_panics(update_uninit, NULL));
	TEE_FreeOperation(shared_op);
	shared_op = cipher_op(&vecs[0], TEE_MODE_DECRYPT);
	CHECK(ta_panics(init_ecb_with_iv, NULL));
	TEE_FreeOperation(shared_op);
	/* XTS: one key panics, the same handle twice is a security error */
	REQUIRE_EQ(TEE_AllocateOperation(&shared_op, TEE_ALG_AES_XTS, TEE_MODE_ENCRYPT, 256),
		   TEE_SUCCESS);
	CHECK(ta_panics(set_one_key, k));
	CHECK_EQ(TEE_SetOperationKey2(shared_op, k, k), TEE_ERROR_SECURITY);
	TEE_FreeOperation(shared_op);
	/* modes and sizes refused at allocation */
	CHECK_EQ(TEE_AllocateOperation(&op, TEE_ALG_AES_CBC_NOPAD, TEE_MODE_SIGN, 128),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateOperation(&op, TEE_ALG_AES_CBC_NOPAD, TEE_MODE_ENCRYPT, 100),
		 TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AllocateOperation(&op, TEE_ALG_DES_CBC_NOPAD, TEE_MODE_ENCRYPT, 64),
		 TEE_ERROR_NOT_SUPPORTED);
	TEE_FreeTransientObject(k);
}

struct ae_vec {
	uint32_t alg;
	const char *key, *nonce, *aad, *pt, *ct, *tag;
};

static const struct ae_vec ae_vecs[] = {
	/* GCM, McGrew & Viega test cases 3 and 4 */
	{ TEE_ALG_AES_GCM, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ TEE_ALG_AES_GCM, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	/* CCM, RFC 3610 packet vector 1 and SP 800-38C example 1 */
	{ TEE_ALG_AES_CCM, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
	  "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	  "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0" },
	{ TEE_ALG_AES_CCM, "404142434445464748494a4b4c4d4e4f", "10111213141516",
	  "0001020304050607", "20212223", "7162015b", "4dac255d" },
};

static TEE_OperationHandle ae_start(const struct ae_vec *v, uint32_t mode, size_t tag_len,
				    size_t aad_len, size_t pt_len)
{
	TEE_OperationHandle op = op_with_key(v->alg, mode, TEE_TYPE_AES, v->key);
	uint8_t nonce[16], aad[32];
	size_t nn = unhex(v->nonce, nonce);

	REQUIRE_EQ(TEE_AEInit(op, nonce, nn, (uint32_t)tag_len * 8, aad_len, pt_len),
		   TEE_SUCCESS);
	unhex(v->aad, aad);
	if (aad_len) {
		TEE_AEUpdateAAD(op, aad, 3);
		TEE_AEUpdateAAD(op, aad + 3, aad_len - 3);
	}
	return op;
}

static void test_ae_kat(void)
{
	for (size_t i = 0; i < sizeof(ae_vecs) / sizeof(ae_vecs[0]); i++) {
		const struct ae_vec *v = &ae_vecs[i];
		uint8_t pt[64], ct[64], tag[16], out[128], otag[16];
		size_t npt = unhex(v->pt, pt), ntag = unhex(v->tag, tag), naad = strlen(v->aad) / 2;
		size_t len = sizeof(out), tlen = sizeof(otag), done;
		TEE_OperationHandle op = ae_start(v, TEE_MODE_ENCRYPT, ntag, naad, npt);

		unhex(v->ct, ct);
		CHECK_EQ(TEE_AEUpdate(op, pt, 3, out, &len), TEE_SUCCESS);
		/* GCM streams; CCM hands out whole blocks only */
		CHECK_EQ(len, v->alg == TEE_ALG_AES_GCM ? 3 : 0);
		done = len;
		len = sizeof(out) - done;
		CHECK_EQ(TEE_AEEncryptFinal(op, pt + 3, npt - 3, out + done, &len, otag, &tlen),
			 TEE_SUCCESS);
		CHECK(same_hex(out, done + len, v->ct));
		CHECK(same_hex(otag, tlen, v->tag));
		TEE_FreeOperation(op);

		op = ae_start(v, TEE_MODE_DECRYPT, ntag, naad, npt);
		len = sizeof(out);
		CHECK_EQ(TEE_AEDecryptFinal(op, ct, npt, out, &len, tag, ntag), TEE_SUCCESS);
		CHECK(same_hex(out, len, v->pt));
		TEE_FreeOperation(op);

		op = ae_start(v, TEE_MODE_DECRYPT, ntag, naad, npt);
		tag[ntag - 1] ^= 0x80;
		len = sizeof(out);
		CHECK_EQ(TEE_AEDecryptFinal(op, ct, npt, out, &len, tag, ntag),
			 TEE_ERROR_MAC_INVALID);
		tag[ntag - 1] ^= 0x80;
		TEE_FreeOperation(op);
	}
}

static void test_ae_sizes(void)
{
	const struct ae_vec *gcm = &ae_vecs[0];
	uint8_t nonce[12], buf[64] = { 0 }, tag[16];
	size_t len = 0, tlen = 4;
	TEE_OperationHandle op = op_with_key(gcm->alg, TEE_MODE_ENCRYPT, TEE_TYPE_AES, gcm->key);

	unhex(gcm->nonce, nonce);
	/* GCM tags: 96..128 bits by 8 */
	CHECK_EQ(TEE_AEInit(op, nonce, 12, 64, 0, 0), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(TEE_AEInit(op, nonce, 12, 100, 0, 0), TEE_ERROR_NOT_SUPPORTED);
	REQUIRE_EQ(TEE_AEInit(op, nonce, 12, 96, 0, 0), TEE_SUCCESS);
	/* both sizes asked for at once */
	CHECK_EQ(TEE_AEEncryptFinal(op, buf, 20, buf, &len, tag, &tlen), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 20);
	CHECK_EQ(tlen, 12);
	CHECK_EQ(TEE_AEEncryptFinal(op, buf, 20, buf, &len, tag, &tlen), TEE_SUCCESS);
	CHECK_EQ(tlen, 12);
	TEE_FreeOperation(op);
	/* CCM tags: even, 4..16 bytes */
	op = op_with_key(TEE_ALG_AES_CCM, TEE_MODE_ENCRYPT, TEE_TYPE_AES, gcm->key);
	CHECK_EQ(TEE_AEInit(op, nonce, 12, 40, 0, 0), TEE_ERROR_NOT_SUPPORTED);
	TEE_FreeOperation(op);
}

/* Copies made halfway through a CBC and a GCM operation finish like the originals. */
static void test_copy_midway(void)
{
	const struct cipher_vec *v = &vecs[2];
	const struct ae_vec *g = &ae_vecs[1];
	uint8_t iv[16], pt[64], out[128], tag[16];
	size_t len = sizeof(out), tlen = sizeof(tag);
	TEE_OperationHandle op = cipher_op(v, TEE_MODE_ENCRYPT), copy = TEE_HANDLE_NULL;

	unhex(v->iv, iv);
	unhex(v->pt, pt);
	REQUIRE_EQ(TEE_AllocateOperation(&copy, v->alg, TEE_MODE_ENCRYPT, 128), TEE_SUCCESS);
	TEE_CipherInit(op, iv, 16);
	REQUIRE_EQ(TEE_CipherUpdate(op, pt, 20, out, &len), TEE_SUCCESS);
	TEE_CopyOperation(copy, op);
	TEE_FreeOperation(op);
	CHECK_EQ(len, 16);
	len = sizeof(out) - 16;
	CHECK_EQ(TEE_CipherDoFinal(copy, pt + 20, 44, out + 16, &len), TEE_SUCCESS);
	CHECK(same_hex(out, 16 + len, v->ct));
	TEE_FreeOperation(copy);

	unhex(g->pt, pt);
	op = ae_start(g, TEE_MODE_ENCRYPT, 16, 20, 60);
	REQUIRE_EQ(TEE_AllocateOperation(&copy, g->alg, TEE_MODE_ENCRYPT, 128), TEE_SUCCESS);
	len = sizeof(out);
	REQUIRE_EQ(TEE_AEUpdate(op, pt, 33, out, &len), TEE_SUCCESS);
	TEE_CopyOperation(copy, op);
	TEE_FreeOperation(op);
	len = sizeof(out) - 33;
	CHECK_EQ(TEE_AEEncryptFinal(copy, pt + 33, 27, out + 33, &len, tag, &tlen), TEE_SUCCESS);
	CHECK(same_hex(out, 33 + len, g->ct));
	CHECK(same_hex(tag, tlen, g->tag));
	TEE_FreeOperation(copy);
}

static void aad_after_payload(void *arg)
{
	uint8_t nonce[12] = { 0 }, buf[16];
	size_t len = sizeof(buf);

	(void)arg;
	TEE_AEInit(shared_op, nonce, 12, 128, 0, 0);
	TEE_AEUpdate(shared_op, buf, 16, buf, &len);
	TEE_AEUpdateAAD(shared_op, buf, 4);
}

static void ccm_payload_too_long(void *arg)
{
	uint8_t nonce[12] = { 0 }, buf[48];
	size_t len = sizeof(buf);

	(void)arg;
	TEE_AEInit(shared_op, nonce, 12, 128, 0, 16);
	TEE_AEUpdate(shared_op, buf, 32, buf, &len);
}

static void ccm_long_nonce(void *arg)
{
	uint8_t nonce[14] = { 0 };

	(void)arg;
	TEE_AEInit(shared_op, nonce, 14, 128, 0, 16);
}

static void test_ae_panics(void)
{
	shared_op = op_with_key(TEE_ALG_AES_GCM, TEE_MODE_ENCRYPT, TEE_TYPE_AES, key128);
	CHECK(ta_panics(aad_after_payload, NULL));
	TEE_FreeOperation(shared_op);
	shared_op = op_with_key(TEE_ALG_AES_CCM, TEE_MODE_ENCRYPT, TEE_TYPE_AES, key128);
	CHECK(ta_panics(ccm_payload_too_long, NULL));
	CHECK(ta_panics(ccm_long_nonce, NULL));
	TEE_FreeOperation(shared_op);
}

int main(void)
{
	fake_start();
	test_cipher_kat();
	test_update_sizes();
	test_xts();
	test_cipher_panics();
	test_ae_kat();
	test_ae_sizes();
	test_copy_midway();
	test_ae_panics();
	return check_report();
}
