/* Small pieces the crypto files share: result filtering, constant-time compare, attribute
 * lookup, TEE_GenerateRandom, and OpenSSL's start-up. */
#include "crypto_int.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* When libvtee_ta is loaded, before the TA runs and the host's sandbox forbids opening files:
 * OpenSSL without the host's openssl.cnf (a TA's crypto must not depend on, or be changed
 * by, the host's configuration), its digests fetched and its random generator seeded. From
 * then on libcrypto needs no file, only the getrandom system call when it reseeds. */
__attribute__((constructor)) static void crypto_preload(void)
{
	uint8_t b;

	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	(void)evp_md_for(TEE_ALG_SHA256);
	(void)RAND_bytes(&b, 1);
}

void require_result(TEE_Result res, const TEE_Result *allowed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (res == allowed[i])
			return;
	tarun_panic(res);
}

int ct_compare(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff != 0;
}

const TEE_Attribute *attr_find(const TEE_Attribute *a, uint32_t count, uint32_t id)
{
	for (uint32_t i = 0; i < count; i++)
		if (a[i].attributeID == id)
			return &a[i];
	return NULL;
}

void TEE_GenerateRandom(void *randomBuffer, size_t randomBufferLen)
{
	uint8_t *p = randomBuffer;

	PANIC_UNLESS(p || !randomBufferLen, TEE_ERROR_BAD_PARAMETERS);
	/* RAND_bytes takes an int: feed it in bounded pieces */
	while (randomBufferLen) {
		size_t n = randomBufferLen > (1u << 20) ? (1u << 20) : randomBufferLen;

		PANIC_UNLESS(RAND_bytes(p, (int)n) == 1, TEE_ERROR_GENERIC);
		p += n;
		randomBufferLen -= n;
	}
}
