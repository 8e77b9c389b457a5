/* SPDX-License-Identifier: MIT */
/*
 * crypto_kat: known-answer tests of the GP cryptographic API, run inside the
 * TEE. Shared by the TA and its client (host/main.c).
 *
 * Every command is a report command (../../../include/report_proto.h): it runs
 * one family's checks and hands back one line per check.
 */
#ifndef CRYPTO_KAT_TA_H
#define CRYPTO_KAT_TA_H

/* 6f1c5a0e-3b7d-4e52-9a14-c2d8e07b93f1 */
#define TA_CRYPTO_KAT_UUID \
	{ 0x6f1c5a0e, 0x3b7d, 0x4e52, \
		{ 0x9a, 0x14, 0xc2, 0xd8, 0xe0, 0x7b, 0x93, 0xf1 } }

#define TA_CRYPTO_KAT_CMD_DIGEST	0	/* SHA-1/224/256/384/512 */
#define TA_CRYPTO_KAT_CMD_HMAC		1	/* HMAC-SHA1..SHA512 */
#define TA_CRYPTO_KAT_CMD_CMAC		2	/* AES-CMAC */
#define TA_CRYPTO_KAT_CMD_CBC_MAC	3	/* AES-CBC-MAC (NOPAD, PKCS5) */
#define TA_CRYPTO_KAT_CMD_AES		4	/* AES ECB, CBC, CTR */
#define TA_CRYPTO_KAT_CMD_AES_CTS	5
#define TA_CRYPTO_KAT_CMD_AES_XTS	6
#define TA_CRYPTO_KAT_CMD_AES_GCM	7
#define TA_CRYPTO_KAT_CMD_AES_CCM	8
#define TA_CRYPTO_KAT_CMD_RSA_SIGN	9	/* PKCS#1 v1.5 and PSS */
#define TA_CRYPTO_KAT_CMD_RSA_CIPHER	10	/* RSAES PKCS#1 v1.5 and OAEP */
#define TA_CRYPTO_KAT_CMD_ECDSA		11	/* P-256, P-384, P-521 */
#define TA_CRYPTO_KAT_CMD_ED25519	12
#define TA_CRYPTO_KAT_CMD_ECDH		13	/* P-256, P-384, P-521 */
#define TA_CRYPTO_KAT_CMD_X25519	14
#define TA_CRYPTO_KAT_CMD_KEYGEN	15	/* TEE_GenerateKey, every type */
#define TA_CRYPTO_KAT_CMD_RANDOM	16	/* TEE_GenerateRandom */
#define TA_CRYPTO_KAT_CMD_ERRORS	17	/* SHORT_BUFFER, MAC_INVALID, ... */
#define TA_CRYPTO_KAT_CMD_COUNT		18

#endif
