/* SPDX-License-Identifier: MIT */
/*
 * Digest and HMAC known answers for crypto_kat (kat_digest.c).
 *
 * Generated once from the published values; each value was checked against
 * an independent implementation (Python cryptography / hashlib) when written.
 */
#ifndef VECTORS_HASH_H
#define VECTORS_HASH_H

#include <stdint.h>
#include <tee_internal_api.h>

/* FIPS 180-2 appendix examples ("abc", the 448- and 896-bit messages, one
 * million 'a') and the empty message, for each SHA. msg is ASCII, hashed
 * repeat times over (repeat > 1: in 1000-byte updates). */
struct hash_vec {
	const char *name;
	uint32_t alg;
	const char *msg;
	uint32_t repeat;
	const char *md;
};

static const struct hash_vec hash_vecs[] = {
	{ "SHA-1 \"\"", TEE_ALG_SHA1, "", 1,
		"da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "SHA-1 \"abc\"", TEE_ALG_SHA1, "abc", 1,
		"a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "SHA-1 448-bit message", TEE_ALG_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ "SHA-1 896-bit message", TEE_ALG_SHA1, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
		"a49b2446a02c645bf419f995b67091253a04a259" },
	{ "SHA-1 one million 'a'", TEE_ALG_SHA1, "a", 1000000,
		"34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ "SHA-224 \"\"", TEE_ALG_SHA224, "", 1,
		"d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f" },
	{ "SHA-224 \"abc\"", TEE_ALG_SHA224, "abc", 1,
		"23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
	{ "SHA-224 448-bit message", TEE_ALG_SHA224, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525" },
	{ "SHA-224 896-bit message", TEE_ALG_SHA224, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
		"c97ca9a559850ce97a04a96def6d99a9e0e0e2ab14e6b8df265fc0b3" },
	{ "SHA-224 one million 'a'", TEE_ALG_SHA224, "a", 1000000,
		"20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67" },
	{ "SHA-256 \"\"", TEE_ALG_SHA256, "", 1,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "SHA-256 \"abc\"", TEE_ALG_SHA256, "abc", 1,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "SHA-256 448-bit message", TEE_ALG_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "SHA-256 896-bit message", TEE_ALG_SHA256, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	{ "SHA-256 one million 'a'", TEE_ALG_SHA256, "a", 1000000,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	{ "SHA-384 \"\"", TEE_ALG_SHA384, "", 1,
		"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
		"274edebfe76f65fbd51ad2f14898b95b" },
	{ "SHA-384 \"abc\"", TEE_ALG_SHA384, "abc", 1,
		"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		"8086072ba1e7cc2358baeca134c825a7" },
	{ "SHA-384 448-bit message", TEE_ALG_SHA384, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
		"b0455a8520bc4e6f5fe95b1fe3c8452b" },
	{ "SHA-384 896-bit message", TEE_ALG_SHA384, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
		"09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
		"fcc7c71a557e2db966c3e9fa91746039" },
	{ "SHA-384 one million 'a'", TEE_ALG_SHA384, "a", 1000000,
		"9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
		"07b8b3dc38ecc4ebae97ddd87f3d8985" },
	{ "SHA-512 \"\"", TEE_ALG_SHA512, "", 1,
		"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
	{ "SHA-512 \"abc\"", TEE_ALG_SHA512, "abc", 1,
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	{ "SHA-512 448-bit message", TEE_ALG_SHA512, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
		"96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
	{ "SHA-512 896-bit message", TEE_ALG_SHA512, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
		"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		"501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
	{ "SHA-512 one million 'a'", TEE_ALG_SHA512, "a", 1000000,
		"e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		"de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b" },
};

/* HMAC vectors whose key length OP-TEE accepts for the key type (HMAC-SHA1
 * 80..512 bits, SHA224 112..512, SHA256 192..1024, SHA384/512 256..1024):
 * RFC 2202 (SHA-1), RFC 4231 (SHA-224/256), RFC 4868 section 2.7.2
 * (SHA-256/384/512). key, msg, mac in hex; a shorter mac is a truncation. */
struct hmac_vec {
	const char *name;
	uint32_t alg;
	uint32_t type;
	const char *key;
	const char *msg;
	const char *mac;
};

static const struct hmac_vec hmac_vecs[] = {
	{ "HMAC-SHA1 RFC 2202 test case 1", TEE_ALG_HMAC_SHA1, TEE_TYPE_HMAC_SHA1,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "HMAC-SHA1 RFC 2202 test case 3", TEE_ALG_HMAC_SHA1, TEE_TYPE_HMAC_SHA1,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddd",
		"125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "HMAC-SHA1 RFC 2202 test case 4", TEE_ALG_HMAC_SHA1, TEE_TYPE_HMAC_SHA1,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "HMAC-SHA1 RFC 2202 test case 5", TEE_ALG_HMAC_SHA1, TEE_TYPE_HMAC_SHA1,
		"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		"546573742057697468205472756e636174696f6e",
		"4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
	{ "HMAC-SHA224 RFC 4231 test case 1", TEE_ALG_HMAC_SHA224, TEE_TYPE_HMAC_SHA224,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22" },
	{ "HMAC-SHA224 RFC 4231 test case 3", TEE_ALG_HMAC_SHA224, TEE_TYPE_HMAC_SHA224,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddd",
		"7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea" },
	{ "HMAC-SHA224 RFC 4231 test case 4", TEE_ALG_HMAC_SHA224, TEE_TYPE_HMAC_SHA224,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a" },
	{ "HMAC-SHA224 RFC 4231 test case 5 (128-bit truncation)", TEE_ALG_HMAC_SHA224, TEE_TYPE_HMAC_SHA224,
		"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		"546573742057697468205472756e636174696f6e",
		"0e2aea68a90c8d37c988bcdb9fca6fa8" },
	{ "HMAC-SHA256 RFC 4231 test case 4", TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "HMAC-SHA256 RFC 4868 AUTH256-1", TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7" },
	{ "HMAC-SHA256 RFC 4868 AUTH256-2", TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6" },
	{ "HMAC-SHA256 RFC 4868 AUTH256-3", TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddd",
		"cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0" },
	{ "HMAC-SHA256 RFC 4868 AUTH256-4", TEE_ALG_HMAC_SHA256, TEE_TYPE_HMAC_SHA256,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"372efcf9b40b35c2115b1346903d2ef42fced46f0846e7257bb156d3d7b30d3f" },
	{ "HMAC-SHA384 RFC 4868 AUTH384-1", TEE_ALG_HMAC_SHA384, TEE_TYPE_HMAC_SHA384,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee9737a959796489bddbc"
		"4c5df61d5b3297b4fb68dab9f1b582c2" },
	{ "HMAC-SHA384 RFC 4868 AUTH384-2", TEE_ALG_HMAC_SHA384, TEE_TYPE_HMAC_SHA384,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665"
		"4a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"2c7353974f1842fd66d53c452ca42122b28c0b594cfb184da86a368e9b8e16f5"
		"349524ca4e82400cbde0686d403371c9" },
	{ "HMAC-SHA384 RFC 4868 AUTH384-3", TEE_ALG_HMAC_SHA384, TEE_TYPE_HMAC_SHA384,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddd",
		"809f439be00274321d4a538652164b53554a508184a0c3160353e3428597003d"
		"35914a18770f9443987054944b7c4b4a" },
	{ "HMAC-SHA384 RFC 4868 AUTH384-4", TEE_ALG_HMAC_SHA384, TEE_TYPE_HMAC_SHA384,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
		"2122232425262728292a2b2c2d2e2f30",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"e8909051b8fe1a37966eec37a868389185d9da142bc5f75542169b86fc1efb42"
		"7cd1cacf23f8afb18daf17d93a1de03e" },
	{ "HMAC-SHA512 RFC 4868 AUTH512-1", TEE_ALG_HMAC_SHA512, TEE_TYPE_HMAC_SHA512,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"
		"ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b" },
	{ "HMAC-SHA512 RFC 4868 AUTH512-2", TEE_ALG_HMAC_SHA512, TEE_TYPE_HMAC_SHA512,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665"
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"
		"6aa334ae9fb9afc2184932d8695e397bfa0ffb93466cfcceaae38c833b7dba38" },
	{ "HMAC-SHA512 RFC 4868 AUTH512-3", TEE_ALG_HMAC_SHA512, TEE_TYPE_HMAC_SHA512,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddd",
		"2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"
		"623c7b55cebefccf02d5581acc1c9d5fb1ff68a1de45509fbe4da9a433922655" },
	{ "HMAC-SHA512 RFC 4868 AUTH512-4", TEE_ALG_HMAC_SHA512, TEE_TYPE_HMAC_SHA512,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
		"2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"5e6688e5a3daec826ca32eaea224eff5e700628947470e13ad01302561bab108"
		"b8c48cbc6b807dcfbd850521a685babc7eae4a2a2e660dc0e86b931d65503fd2" },
};

#endif
