/* SPDX-License-Identifier: MIT */
/*
 * AES-GCM and AES-CCM known answers for crypto_kat (kat_ae.c).
 *
 * Generated once from the published values; each value was checked against
 * an independent implementation (Python cryptography / hashlib) when written.
 */
#ifndef VECTORS_AE_H
#define VECTORS_AE_H

#include <stdint.h>
#include <tee_internal_api.h>

struct ae_vec {
	const char *name;
	uint32_t alg;
	const char *key;
	const char *nonce;
	const char *aad;
	const char *pt;
	const char *ct;
	const char *tag;
};

/* McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 2, 3, 4, 16. */
static const struct ae_vec gcm_vecs[] = {
	{ "AES-GCM GCM test case 2", TEE_ALG_AES_GCM, "00000000000000000000000000000000",
		"000000000000000000000000",
		"",
		"00000000000000000000000000000000",
		"0388dace60b6a392f328c2b971b2fe78",
		"ab6e47d42cec13bdf53a67b21257bddf" },
	{ "AES-GCM GCM test case 3", TEE_ALG_AES_GCM, "feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		"4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "AES-GCM GCM test case 4", TEE_ALG_AES_GCM, "feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95ae7121a47" },
	{ "AES-GCM GCM test case 16", TEE_ALG_AES_GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b" },
};

/* NIST SP 800-38C appendix C examples 1-2; RFC 3610 packet vector #1. */
static const struct ae_vec ccm_vecs[] = {
	{ "AES-CCM SP 800-38C example 1", TEE_ALG_AES_CCM, "404142434445464748494a4b4c4d4e4f",
		"10111213141516",
		"0001020304050607",
		"20212223",
		"7162015b",
		"4dac255d" },
	{ "AES-CCM SP 800-38C example 2", TEE_ALG_AES_CCM, "404142434445464748494a4b4c4d4e4f",
		"1011121314151617",
		"000102030405060708090a0b0c0d0e0f",
		"202122232425262728292a2b2c2d2e2f",
		"d2a1f0e051ea5f62081a7792073d593d",
		"1fc64fbfaccd" },
	{ "AES-CCM RFC 3610 packet vector #1", TEE_ALG_AES_CCM, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
		"00000003020100a0a1a2a3a4a5",
		"0001020304050607",
		"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		"588c979a61c663d2f066d0c2c0f989806d5f6b61dac384",
		"17e8d12cfdf926e0" },
};

#endif
