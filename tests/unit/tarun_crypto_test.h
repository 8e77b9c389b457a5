/* Helpers of the libvtee_ta crypto unit tests (test_tarun_crypto_*.c): hex vectors, keys from
 * hex, and "does this panic the TA" through the fake host. */
#ifndef TARUN_CRYPTO_TEST_H
#define TARUN_CRYPTO_TEST_H

#include "tarun_fake_host.h"
#include "../check.h"

#include <stdio.h>
#include <string.h>

/* Bytes of a hex string into out (room for strlen(hex) / 2); returns the count. */
static inline size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned int b = 0;

		if (sscanf(hex, "%2x", &b) != 1)
			break;
		out[n++] = (uint8_t)b;
	}
	return n;
}

/* Does buf[0..len) hold exactly the bytes of `hex`? */
static inline bool same_hex(const void *buf, size_t len, const char *hex)
{
	uint8_t want[1024];
	size_t n = unhex(hex, want);

	if (n != len || memcmp(buf, want, n)) {
		fprintf(stderr, "  want %s\n  got  ", hex);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, "%02x", ((const uint8_t *)buf)[i]);
		fprintf(stderr, "\n");
		return false;
	}
	return true;
}

/* A secret key object of `type` holding the bytes of `hex` (max size: the key's). */
static inline TEE_ObjectHandle key_from_hex(uint32_t type, const char *hex)
{
	uint8_t k[128];
	size_t n = unhex(hex, k);
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Attribute a;

	REQUIRE_EQ(TEE_AllocateTransientObject(type, (uint32_t)n * 8, &o), TEE_SUCCESS);
	TEE_InitRefAttribute(&a, TEE_ATTR_SECRET_VALUE, k, n);
	REQUIRE_EQ(TEE_PopulateTransientObject(o, &a, 1), TEE_SUCCESS);
	return o;
}

/* An operation with that key set (the key object freed: the operation keeps a copy). */
static inline TEE_OperationHandle op_with_key(uint32_t alg, uint32_t mode, uint32_t type,
					      const char *key_hex)
{
	TEE_ObjectHandle k = key_from_hex(type, key_hex);
	TEE_ObjectInfo info;
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_GetObjectInfo1(k, &info), TEE_SUCCESS);
	REQUIRE_EQ(TEE_AllocateOperation(&op, alg, mode, info.objectSize), TEE_SUCCESS);
	REQUIRE_EQ(TEE_SetOperationKey(op, k), TEE_SUCCESS);
	TEE_FreeTransientObject(k);
	return op;
}

/* Runs fn(arg) in a child: true when the TA panicked (the code is not part of GP's contract:
 * OP-TEE passes 0 or the refused result, informational only). */
static inline bool ta_panics(void (*fn)(void *), void *arg)
{
	uint32_t code;

	return fake_panics(fn, arg, &code);
}

#endif
