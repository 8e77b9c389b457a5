/* SPDX-License-Identifier: MIT */
/*
 * AES-CMAC and AES-CBC-MAC known answers for crypto_kat (kat_mac.c).
 *
 * Generated once from the published values; each value was checked against
 * an independent implementation (Python cryptography / hashlib) when written.
 */
#ifndef VECTORS_MAC_H
#define VECTORS_MAC_H

#include <stdint.h>
#include <tee_internal_api.h>

/* AES-CMAC: RFC 4493 section 4 (key 2b7e1516..., messages: prefixes of the
 * SP 800-38A plaintext). AES-CBC-MAC (IV zero): the same key and messages;
 * CBC-MAC of one block equals ECB-AES128 of it (SP 800-38A F.1.1), the longer
 * ones and the PKCS#5-padded ones are the last block of SP 800-38A-style CBC
 * encryption with a zero IV. */
struct mac_vec {
	const char *name;
	uint32_t alg;
	const char *key;
	const char *msg;
	const char *mac;
};

static const struct mac_vec cmac_vecs[] = {
	{ "AES-CMAC RFC 4493 Example 1 (len 0)", TEE_ALG_AES_CMAC, "2b7e151628aed2a6abf7158809cf4f3c",
		"",
		"bb1d6929e95937287fa37d129b756746" },
	{ "AES-CMAC RFC 4493 Example 2 (len 16)", TEE_ALG_AES_CMAC, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172a",
		"070a16b46b4d4144f79bdd9dd04a287c" },
	{ "AES-CMAC RFC 4493 Example 3 (len 40)", TEE_ALG_AES_CMAC, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411",
		"dfa66747de9ae63030ca32611497c827" },
	{ "AES-CMAC RFC 4493 Example 4 (len 64)", TEE_ALG_AES_CMAC, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
		"51f0bebf7e3b9d92fc49741779363cfe" },
};

static const struct mac_vec cbc_mac_vecs[] = {
	{ "AES-CBC-MAC NOPAD 16 bytes", TEE_ALG_AES_CBC_MAC_NOPAD, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172a",
		"3ad77bb40d7a3660a89ecaf32466ef97" },
	{ "AES-CBC-MAC NOPAD 64 bytes", TEE_ALG_AES_CBC_MAC_NOPAD, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
		"a7356e1207bb406639e5e5ceb9a9ed93" },
	{ "AES-CBC-MAC PKCS5 0 bytes", TEE_ALG_AES_CBC_MAC_PKCS5, "2b7e151628aed2a6abf7158809cf4f3c",
		"",
		"a254be88e037ddd9d79fb6411c3f9df8" },
	{ "AES-CBC-MAC PKCS5 16 bytes", TEE_ALG_AES_CBC_MAC_PKCS5, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172a",
		"4b0673d23da20679744afa8e3d589236" },
	{ "AES-CBC-MAC PKCS5 40 bytes", TEE_ALG_AES_CBC_MAC_PKCS5, "2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411",
		"691da4fc78722e2dbcdd970708a3ae40" },
};

#endif
