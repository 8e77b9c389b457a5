// SPDX-License-Identifier: MIT
/*
 * The report, hex vectors and object/operation helpers of crypto_kat.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include <crypto_kat_ta.h>
#include "kat.h"

TEE_Result kat_begin(struct kat *k)
{
	memset(k, 0, sizeof(*k));
	k->text = TEE_Malloc(TA_CRYPTO_KAT_REPORT_MAX, TEE_MALLOC_FILL_ZERO);
	return k->text ? TEE_SUCCESS : TEE_ERROR_OUT_OF_MEMORY;
}

void kat_end(struct kat *k)
{
	for (size_t i = 0; i < k->nbufs; i++)
		TEE_Free(k->bufs[i]);
	k->nbufs = 0;
	TEE_Free(k->text);
	k->text = NULL;
}

/* Appends one line; a line that does not fit marks the report truncated. */
static void add_line(struct kat *k, const char *head, const char *fmt, va_list ap)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s", head);

	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	size_t len = strnlen(line, sizeof(line) - 1);

	if (k->len + len + 1 >= TA_CRYPTO_KAT_REPORT_MAX) {
		k->truncated = true;
		return;
	}
	memcpy(k->text + k->len, line, len);
	k->len += len;
	k->text[k->len++] = '\n';
}

static void vadd(struct kat *k, bool ok, const char *fmt, va_list ap)
{
	k->run++;
	if (!ok)
		k->failed++;
	add_line(k, ok ? "PASS " : "FAIL ", fmt, ap);
}

static void add(struct kat *k, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(struct kat *k, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(k, ok, fmt, ap);
	va_end(ap);
}

bool kat_check(struct kat *k, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(k, ok, fmt, ap);
	va_end(ap);
	return ok;
}

void kat_fail(struct kat *k, const char *what, const char *why)
{
	add(k, false, "%s: %s", what, why);
}

const char *kat_res_name(TEE_Result r)
{
	switch (r) {
	case TEE_SUCCESS: return "SUCCESS";
	case TEE_ERROR_GENERIC: return "GENERIC";
	case TEE_ERROR_ACCESS_DENIED: return "ACCESS_DENIED";
	case TEE_ERROR_BAD_FORMAT: return "BAD_FORMAT";
	case TEE_ERROR_BAD_PARAMETERS: return "BAD_PARAMETERS";
	case TEE_ERROR_BAD_STATE: return "BAD_STATE";
	case TEE_ERROR_ITEM_NOT_FOUND: return "ITEM_NOT_FOUND";
	case TEE_ERROR_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
	case TEE_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case TEE_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
	case TEE_ERROR_SHORT_BUFFER: return "SHORT_BUFFER";
	case TEE_ERROR_MAC_INVALID: return "MAC_INVALID";
	case TEE_ERROR_SIGNATURE_INVALID: return "SIGNATURE_INVALID";
	case TEE_ERROR_CIPHERTEXT_INVALID: return "CIPHERTEXT_INVALID";
	default: return "?";
	}
}

bool kat_res(struct kat *k, TEE_Result got, TEE_Result want, const char *what)
{
	if (got == want) {
		add(k, true, "%s", what);
		return true;
	}
	add(k, false, "%s: got 0x%08" PRIx32 " %s, want 0x%08" PRIx32 " %s", what,
	    got, kat_res_name(got), want, kat_res_name(want));
	return false;
}

bool kat_same(struct kat *k, const void *got, size_t got_len,
	      const void *want, size_t want_len, const char *what)
{
	const uint8_t *g = got;
	const uint8_t *w = want;
	size_t i = 0;

	if (got_len != want_len) {
		add(k, false, "%s: %zu bytes, want %zu", what, got_len, want_len);
		return false;
	}
	while (i < got_len && g[i] == w[i])
		i++;
	if (i == got_len) {
		add(k, true, "%s", what);
		return true;
	}
	add(k, false, "%s: byte %zu is 0x%02x, want 0x%02x", what, i, g[i], w[i]);
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
