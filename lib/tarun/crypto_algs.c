/* The algorithms libvtee_ta implements: what each is (class, key types, sizes, buffering),
 * the OpenSSL digests behind them, and TEE_IsAlgorithmSupported.
 *
 * Key types, digest lengths and the fixed key sizes of the ECC algorithms are OP-TEE's
 * (utee_defines.h, TEE_AllocateOperation in libutee). Algorithms absent from the table (DES,
 * 3DES, MD5, SHA-3, SM2/3/4, DSA, DH, HKDF, ...) answer TEE_ERROR_NOT_SUPPORTED. */
#include "crypto_int.h"

#include <pthread.h>
#include <string.h>

#define SIG TEE_OPERATION_ASYMMETRIC_SIGNATURE
#define ACIPHER TEE_OPERATION_ASYMMETRIC_CIPHER
#define DERIVE TEE_OPERATION_KEY_DERIVATION

#define DIGEST(a, len) { a, TEE_OPERATION_DIGEST, MAIN_DIGEST, len, len, false, a, 0, 0, 0, 0 }
#define HMAC(a, len, h, kt) { a, TEE_OPERATION_MAC, MAIN_HMAC, len, 1, false, h, kt, kt, 0, 0 }
#define AESMAC(a, m) { a, TEE_OPERATION_MAC, m, 16, 1, false, 0, TEE_TYPE_AES, TEE_TYPE_AES, 0, 0 }
#define AES(a, cls, m, blk, two) { a, cls, m, 0, blk, two, 0, TEE_TYPE_AES, TEE_TYPE_AES, 0, 0 }
#define RSA(a, cls, m, h) { a, cls, m, 0, 1, false, h, TEE_TYPE_RSA_PUBLIC_KEY, \
			    TEE_TYPE_RSA_KEYPAIR, 0, 0 }
#define ECDSA(a, len, h, bits) { a, SIG, MAIN_ECDSA, len, 1, false, h, \
				 TEE_TYPE_ECDSA_PUBLIC_KEY, TEE_TYPE_ECDSA_KEYPAIR, bits, 0 }
#define ECDH(a, bits, max) { a, DERIVE, MAIN_ECDH, 0, 1, false, 0, TEE_TYPE_ECDH_PUBLIC_KEY, \
			     TEE_TYPE_ECDH_KEYPAIR, bits, max }

static const struct alg_info algs[] = {
	DIGEST(TEE_ALG_SHA1, 20),
	DIGEST(TEE_ALG_SHA224, 28),
	DIGEST(TEE_ALG_SHA256, 32),
	DIGEST(TEE_ALG_SHA384, 48),
	DIGEST(TEE_ALG_SHA512, 64),
	HMAC(TEE_ALG_HMAC_SHA1, 20, TEE_ALG_SHA1, TEE_TYPE_HMAC_SHA1),
	HMAC(TEE_ALG_HMAC_SHA224, 28, TEE_ALG_SHA224, TEE_TYPE_HMAC_SHA224),
	HMAC(TEE_ALG_HMAC_SHA256, 32, TEE_ALG_SHA256, TEE_TYPE_HMAC_SHA256),
	HMAC(TEE_ALG_HMAC_SHA384, 48, TEE_ALG_SHA384, TEE_TYPE_HMAC_SHA384),
	HMAC(TEE_ALG_HMAC_SHA512, 64, TEE_ALG_SHA512, TEE_TYPE_HMAC_SHA512),
	AESMAC(TEE_ALG_AES_CBC_MAC_NOPAD, MAIN_CBC_MAC),
	AESMAC(TEE_ALG_AES_CBC_MAC_PKCS5, MAIN_CBC_MAC),
	AESMAC(TEE_ALG_AES_CMAC, MAIN_CMAC),
	AES(TEE_ALG_AES_ECB_NOPAD, TEE_OPERATION_CIPHER, MAIN_ECB, 16, false),
	AES(TEE_ALG_AES_CBC_NOPAD, TEE_OPERATION_CIPHER, MAIN_CBC, 16, false),
	AES(TEE_ALG_AES_CTR, TEE_OPERATION_CIPHER, MAIN_CTR, 1, false),
	AES(TEE_ALG_AES_CTS, TEE_OPERATION_CIPHER, MAIN_CTS, 16, true),
	AES(TEE_ALG_AES_XTS, TEE_OPERATION_CIPHER, MAIN_XTS, 16, true),
	AES(TEE_ALG_AES_CCM, TEE_OPERATION_AE, MAIN_CCM, 16, false),
	AES(TEE_ALG_AES_GCM, TEE_OPERATION_AE, MAIN_GCM, 1, false),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5_SHA1, SIG, MAIN_RSA_SIGN, TEE_ALG_SHA1),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5_SHA224, SIG, MAIN_RSA_SIGN, TEE_ALG_SHA224),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5_SHA256, SIG, MAIN_RSA_SIGN, TEE_ALG_SHA256),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5_SHA384, SIG, MAIN_RSA_SIGN, TEE_ALG_SHA384),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5_SHA512, SIG, MAIN_RSA_SIGN, TEE_ALG_SHA512),
	RSA(TEE_ALG_RSASSA_PKCS1_V1_5, SIG, MAIN_RSA_V15_NOOID, 0),
	RSA(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA1, SIG, MAIN_RSA_PSS, TEE_ALG_SHA1),
	RSA(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA224, SIG, MAIN_RSA_PSS, TEE_ALG_SHA224),
	RSA(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA256, SIG, MAIN_RSA_PSS, TEE_ALG_SHA256),
	RSA(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA384, SIG, MAIN_RSA_PSS, TEE_ALG_SHA384),
	RSA(TEE_ALG_RSASSA_PKCS1_PSS_MGF1_SHA512, SIG, MAIN_RSA_PSS, TEE_ALG_SHA512),
	RSA(TEE_ALG_RSAES_PKCS1_V1_5, ACIPHER, MAIN_RSAES_V15, 0),
	RSA(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA1, ACIPHER, MAIN_RSA_OAEP, TEE_ALG_SHA1),
	RSA(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA224, ACIPHER, MAIN_RSA_OAEP, TEE_ALG_SHA224),
	RSA(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA256, ACIPHER, MAIN_RSA_OAEP, TEE_ALG_SHA256),
	RSA(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA384, ACIPHER, MAIN_RSA_OAEP, TEE_ALG_SHA384),
	RSA(TEE_ALG_RSAES_PKCS1_OAEP_MGF1_SHA512, ACIPHER, MAIN_RSA_OAEP, TEE_ALG_SHA512),
	RSA(TEE_ALG_RSA_NOPAD, ACIPHER, MAIN_RSA_NOPAD, 0),
	ECDSA(TEE_ALG_ECDSA_SHA1, 20, TEE_ALG_SHA1, 192),
	ECDSA(TEE_ALG_ECDSA_SHA224, 28, TEE_ALG_SHA224, 224),
	ECDSA(TEE_ALG_ECDSA_SHA256, 32, TEE_ALG_SHA256, 256),
	ECDSA(TEE_ALG_ECDSA_SHA384, 48, TEE_ALG_SHA384, 384),
	ECDSA(TEE_ALG_ECDSA_SHA512, 64, TEE_ALG_SHA512, 521),
	ECDSA(__OPTEE_ALG_ECDSA_P192, 0, 0, 192),
	ECDSA(__OPTEE_ALG_ECDSA_P224, 0, 0, 224),
	ECDSA(__OPTEE_ALG_ECDSA_P256, 0, 0, 256),
	ECDSA(__OPTEE_ALG_ECDSA_P384, 0, 0, 384),
	ECDSA(__OPTEE_ALG_ECDSA_P521, 0, 0, 521),
	{ TEE_ALG_ED25519, SIG, MAIN_ED25519, 0, 1, false, 0, TEE_TYPE_ED25519_PUBLIC_KEY,
	  TEE_TYPE_ED25519_KEYPAIR, 256, 0 },
	ECDH(TEE_ALG_ECDH_DERIVE_SHARED_SECRET, 0, 521),
	ECDH(__OPTEE_ALG_ECDH_P192, 192, 0),
	ECDH(__OPTEE_ALG_ECDH_P224, 224, 0),
	ECDH(__OPTEE_ALG_ECDH_P256, 256, 0),
	ECDH(__OPTEE_ALG_ECDH_P384, 384, 0),
	ECDH(__OPTEE_ALG_ECDH_P521, 521, 0),
	{ TEE_ALG_X25519, DERIVE, MAIN_X25519, 0, 1, false, 0, TEE_TYPE_X25519_PUBLIC_KEY,
	  TEE_TYPE_X25519_KEYPAIR, 256, 0 },
};

const struct alg_info *alg_find(uint32_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return &algs[i];
	return NULL;
}

/* The digests, fetched once: implicit fetches on every init cost more than the hashing of
 * short inputs. */
static const struct {
	uint32_t alg;
	const char *name;
	size_t size;
} hashes[] = {
	{ TEE_ALG_SHA1, "SHA1", 20 },
	{ TEE_ALG_SHA224, "SHA224", 28 },
	{ TEE_ALG_SHA256, "SHA256", 32 },
	{ TEE_ALG_SHA384, "SHA384", 48 },
	{ TEE_ALG_SHA512, "SHA512", 64 },
};
#define NHASHES (sizeof(hashes) / sizeof(hashes[0]))

static EVP_MD *fetched_md[NHASHES];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	for (size_t i = 0; i < NHASHES; i++)
		fetched_md[i] = EVP_MD_fetch(NULL, hashes[i].name, NULL);
}

const EVP_MD *evp_md_for(uint32_t hash_alg)
{
	pthread_once(&md_once, fetch_digests);
	for (size_t i = 0; i < NHASHES; i++)
		if (hashes[i].alg == hash_alg)
			return fetched_md[i];
	return NULL;
}

size_t hash_size_of(uint32_t hash_alg)
{
	for (size_t i = 0; i < NHASHES; i++)
		if (hashes[i].alg == hash_alg)
			return hashes[i].size;
	return 0;
}

EVP_CIPHER *evp_cipher_fetch(const char *name)
{
	return EVP_CIPHER_fetch(NULL, name, NULL);
}

const char *aes_cipher_name(const char *mode, size_t key_len)
{
	static const char *const modes[] = { "ECB", "CBC", "CTR", "GCM" };
	static const char *const names[4][3] = {
		{ "AES-128-ECB", "AES-192-ECB", "AES-256-ECB" },
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" },
		{ "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
	};
	int k = key_len == 16 ? 0 : key_len == 24 ? 1 : key_len == 32 ? 2 : -1;

	for (size_t m = 0; k >= 0 && m < 4; m++)
		if (!strcmp(mode, modes[m]))
			return names[m][k];
	return NULL;
}

/* ECDSA and ECDH ids (new and legacy) that work on a NIST curve of `bits`. */
static bool ecc_alg_on_curve(const struct alg_info *ai, uint32_t element)
{
	uint32_t bits = 0;

	if (!ecc_curve_info(element, NULL, NULL, &bits) || element == TEE_ECC_CURVE_25519)
		return false;
	if (ai->main == MAIN_ECDH && !ai->fixed_bits)
		return true;
	return ai->fixed_bits == bits;
}

TEE_Result TEE_IsAlgorithmSupported(uint32_t algId, uint32_t element)
{
	const struct alg_info *ai = alg_find(algId);

	if (!ai)
		return TEE_ERROR_NOT_SUPPORTED;
	switch (ai->main) {
	case MAIN_ECDSA:
	case MAIN_ECDH:
		return ecc_alg_on_curve(ai, element) ? TEE_SUCCESS : TEE_ERROR_NOT_SUPPORTED;
	case MAIN_ED25519:
	case MAIN_X25519:
		return element == TEE_ECC_CURVE_25519 ? TEE_SUCCESS : TEE_ERROR_NOT_SUPPORTED;
	default:
		return element == TEE_CRYPTO_ELEMENT_NONE ? TEE_SUCCESS : TEE_ERROR_NOT_SUPPORTED;
	}
}
