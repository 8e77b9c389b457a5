/* Small pieces the crypto files share: result filtering, constant-time compare, attribute
 * lookup, and TEE_GenerateRandom. */
#include "crypto_int.h"

#include <openssl/rand.h>

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
