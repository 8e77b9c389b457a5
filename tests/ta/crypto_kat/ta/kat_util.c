// SPDX-License-Identifier: MIT
/*
 * The report, hex vectors and object/operation helpers of crypto_kat.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"

TEE_Result kat_begin(struct kat *k)
{
	memset(k, 0, sizeof(*k));
	return report_begin(&k->r);
}

void kat_end(struct kat *k)
{
	for (size_t i = 0; i < k->nbufs; i++)
		TEE_Free(k->bufs[i]);
	k->nbufs = 0;
	report_end(&k->r);
}

bool kat_check(struct kat *k, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vcheck(&k->r, ok, fmt, ap);
	va_end(ap);
	return ok;
}

void kat_fail(struct kat *k, const char *what, const char *why)
{
	kat_check(k, false, "%s: %s", what, why);
}

const char *kat_res_name(TEE_Result r)
{
	return report_res_name(r);
}

bool kat_res(struct kat *k, TEE_Result got, TEE_Result want, const char *what)
{
	return report_res(&k->r, got, want, what);
}

bool kat_same(struct kat *k, const void *got, size_t got_len,
	      const void *want, size_t want_len, const char *what)
{
	const uint8_t *g = got;
	const uint8_t *w = want;
	size_t i = 0;

	if (got_len != want_len) {
		kat_check(k, false, "%s: %zu bytes, want %zu", what, got_len, want_len);
		return false;
	}
	while (i < got_len && g[i] == w[i])
		i++;
	if (i == got_len) {
		kat_check(k, true, "%s", what);
		return true;
	}
	kat_check(k, false, "%s: byte %zu is 0x%02x, want 0x%02x", what, i, g[i], w[i]);
	return false;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void *keep(struct kat *k, void *p)
{
	if (!p)
		return NULL;
	if (k->nbufs == KAT_MAX_BUFS) {
		/* A bug of this TA (too many vectors in one command), not of the TEE. */
		EMSG("crypto_kat: more than %d vectors in one command", KAT_MAX_BUFS);
		TEE_Panic(TEE_ERROR_OUT_OF_MEMORY);
	}
	k->bufs[k->nbufs++] = p;
	return p;
}

uint8_t *kat_alloc(struct kat *k, size_t len)
{
	uint8_t *p = keep(k, TEE_Malloc(len ? len : 1, TEE_MALLOC_FILL_ZERO));

	if (!p)
		kat_fail(k, "TEE_Malloc", "out of memory");
	return p;
}

uint8_t *kat_hex(struct kat *k, const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *p = kat_alloc(k, n / 2);

	*len = 0;
	if (!p)
		return NULL;
	if (n % 2) {
		EMSG("crypto_kat: odd hex vector");
		TEE_Panic(TEE_ERROR_BAD_FORMAT);
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]);
		int lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			EMSG("crypto_kat: bad hex vector");
			TEE_Panic(TEE_ERROR_BAD_FORMAT);
		}
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return p;
}

void kat_ref_attr(struct kat *k, TEE_Attribute *attr, uint32_t id, const char *hex)
{
	size_t len = 0;
	uint8_t *p = kat_hex(k, hex, &len);

	TEE_InitRefAttribute(attr, id, p, len);
}

TEE_ObjectHandle kat_object(struct kat *k, const char *what, uint32_t type,
			    uint32_t max_bits, const TEE_Attribute *attrs,
			    uint32_t count)
{
	TEE_ObjectHandle obj = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateTransientObject(type, max_bits, &obj);
	char why[96];

	if (res != TEE_SUCCESS) {
		snprintf(why, sizeof(why), "TEE_AllocateTransientObject(0x%08" PRIx32
			 ", %" PRIu32 ") = %s", type, max_bits, kat_res_name(res));
		kat_fail(k, what, why);
		return TEE_HANDLE_NULL;
	}
	res = TEE_PopulateTransientObject(obj, attrs, count);
	if (res != TEE_SUCCESS) {
		snprintf(why, sizeof(why), "TEE_PopulateTransientObject = %s",
			 kat_res_name(res));
		kat_fail(k, what, why);
		TEE_FreeTransientObject(obj);
		return TEE_HANDLE_NULL;
	}
	return obj;
}

TEE_ObjectHandle kat_secret(struct kat *k, const char *what, uint32_t type,
			    const uint8_t *key, size_t len)
{
	TEE_Attribute attr;

	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, key, len);
	return kat_object(k, what, type, len * 8, &attr, 1);
}

TEE_OperationHandle kat_operation(struct kat *k, const char *what,
				  uint32_t alg, uint32_t mode,
				  uint32_t max_bits, TEE_ObjectHandle key)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateOperation(&op, alg, mode, max_bits);
	char why[96];

	if (res != TEE_SUCCESS) {
		snprintf(why, sizeof(why), "TEE_AllocateOperation(0x%08" PRIx32
			 ", mode %" PRIu32 ", %" PRIu32 ") = %s", alg, mode,
			 max_bits, kat_res_name(res));
		kat_fail(k, what, why);
		return TEE_HANDLE_NULL;
	}
	if (key == TEE_HANDLE_NULL)
		return op;
	res = TEE_SetOperationKey(op, key);
	if (res != TEE_SUCCESS) {
		snprintf(why, sizeof(why), "TEE_SetOperationKey = %s",
			 kat_res_name(res));
		kat_fail(k, what, why);
		TEE_FreeOperation(op);
		return TEE_HANDLE_NULL;
	}
	return op;
}

TEE_OperationHandle kat_secret_operation(struct kat *k, const char *what, uint32_t type,
					 const uint8_t *key, size_t len, uint32_t alg,
					 uint32_t mode)
{
	TEE_ObjectHandle obj = kat_secret(k, what, type, key, len);
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	if (obj != TEE_HANDLE_NULL)
		op = kat_operation(k, what, alg, mode, len * 8, obj);
	TEE_FreeTransientObject(obj);
	return op;
}

TEE_Result kat_hash(uint32_t alg, const void *msg, size_t msg_len, void *out,
		    size_t *len)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocateOperation(&op, alg, TEE_MODE_DIGEST, 0);

	if (res != TEE_SUCCESS)
		return res;
	*len = TEE_MAX_HASH_SIZE;
	res = TEE_DigestDoFinal(op, msg, msg_len, out, len);
	TEE_FreeOperation(op);
	return res;
}
