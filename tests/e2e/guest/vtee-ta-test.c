// SPDX-License-Identifier: MIT
/*
 * vtee-ta-test: the built-in test TA through the real libteec and the real
 * Linux OP-TEE driver: values, temporary memrefs from 1 byte to 8 MiB,
 * registered (aligned and unaligned) and allocated shared memory, partial and
 * whole memrefs, SHORT_BUFFER size reporting, WHOAMI, REE_TIME, STORE/LOAD,
 * SESSIONS and NULL.
 */
#include "common.h"

#define MiB (1024u * 1024u)

static TEEC_Context ctx;
static TEEC_Session sess;

/* ---- values ------------------------------------------------------------ */

static void test_inc(void)
{
	static const uint32_t as[] = { 0, 1, 41, 0x7fffffff, 0xfffffffe, 0xffffffff };

	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		uint32_t b = 0xa5a50000u + (uint32_t)i, oa = 0, ob = 0, o = 0;
		TEEC_Result r = ta_inc(&sess, as[i], b, &oa, &ob, &o);

		check(r == TEEC_SUCCESS && oa == as[i] + 1u && ob == b,
		      "INC a=0x%08" PRIx32 " b=0x%08" PRIx32 " -> a=0x%08" PRIx32
		      " b=0x%08" PRIx32 " (%s)", as[i], b, oa, ob, RES(r, o));
	}

	/* INC wants VALUE_INOUT: a VALUE_INPUT is not something it can answer. */
	TEEC_Operation op;
	uint32_t o = 0;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 7;
	TEEC_Result r = TEEC_InvokeCommand(&sess, TA_CMD_INC, &op, &o);
	check(r != TEEC_SUCCESS, "INC with VALUE_INPUT (wrong types) is refused (%s)",
	      RES(r, o));
}

static void test_null(void)
{
	TEEC_Operation op;
	uint32_t o = 0;
	TEEC_Result r = TEEC_InvokeCommand(&sess, TA_CMD_NULL, NULL, &o);

	check(r == TEEC_SUCCESS, "NULL with no operation (%s)", RES(r, o));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	r = TEEC_InvokeCommand(&sess, TA_CMD_NULL, &op, &o);
	check(r == TEEC_SUCCESS, "NULL with an all-NONE operation (%s)", RES(r, o));

	r = TEEC_InvokeCommand(&sess, 0x7777, NULL, &o);
	check(r != TEEC_SUCCESS, "unknown command 0x7777 is refused (%s)", RES(r, o));
}

/* ---- temporary memrefs ------------------------------------------------- */

static void test_tmp_reverse(void)
{
	static const size_t sizes[] = { 1, 4095, 4096, 4097, 65536, MiB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *src = malloc(n), *buf = malloc(n), *out = malloc(n + 64);
		TEEC_Operation op;
		uint32_t o = 0;
		TEEC_Result r;

		if (!src || !buf || !out) {
			check(false, "REVERSE tmpref %zu: out of memory", n);
			free(src), free(buf), free(out);
			continue;
		}
		pattern(src, n, (uint32_t)n);

		/* [0] TEMP_INOUT: in place. */
		memcpy(buf, src, n);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].tmpref.buffer = buf;
		op.params[0].tmpref.size = n;
		r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
		check(r == TEEC_SUCCESS && op.params[0].tmpref.size == n && is_reverse(buf, src, n),
		      "REVERSE tmpref INOUT in place %zu bytes: byte-exact, size %zu (%s)",
		      n, op.params[0].tmpref.size, RES(r, o));

		/* [0] TEMP_INPUT -> [1] TEMP_OUTPUT, output larger than needed. */
		memcpy(buf, src, n);
		memset(out, 0xcc, n + 64);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].tmpref.buffer = buf;
		op.params[0].tmpref.size = n;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = n + 64;
		r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
		check(r == TEEC_SUCCESS && op.params[1].tmpref.size == n &&
		      is_reverse(out, src, n) && memcmp(buf, src, n) == 0,
		      "REVERSE tmpref IN->OUT %zu bytes (out buffer %zu): byte-exact, out size %zu, input intact (%s)",
		      n, n + 64, op.params[1].tmpref.size, RES(r, o));
		free(src), free(buf), free(out);
	}
}

static void test_short_buffer(void)
{
	uint8_t in[100], out[128], zero[1];
	TEEC_Operation op;
	uint32_t o = 0;
	TEEC_Result r;

	pattern(in, sizeof(in), 100);
	memset(out, 0xcc, sizeof(out));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = sizeof(in);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = 99;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_ERROR_SHORT_BUFFER && op.params[1].tmpref.size == sizeof(in),
	      "REVERSE 100 bytes into a 99-byte tmpref: SHORT_BUFFER, needed size reported %zu (%s)",
	      op.params[1].tmpref.size, RES(r, o));
	check(o == TEEC_ORIGIN_TRUSTED_APP, "SHORT_BUFFER comes from the TA (origin %s)",
	      origin_name(o));
	check(all_bytes(out + 99, sizeof(out) - 99, 0xcc),
	      "SHORT_BUFFER wrote nothing past the 99-byte output");

	/* The usual size query: an empty output. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = sizeof(in);
	op.params[1].tmpref.buffer = zero;
	op.params[1].tmpref.size = 0;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_ERROR_SHORT_BUFFER && op.params[1].tmpref.size == sizeof(in),
	      "REVERSE 100 bytes into a 0-byte tmpref (size query): SHORT_BUFFER, size %zu (%s)",
	      op.params[1].tmpref.size, RES(r, o));

	/* Then the call with the size it asked for. */
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = sizeof(in);
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_SUCCESS && op.params[1].tmpref.size == sizeof(in) &&
	      is_reverse(out, in, sizeof(in)),
	      "REVERSE again with the reported size succeeds (%s)", RES(r, o));
}

static TEEC_Result do_hash_tmp(const void *buf, size_t n, uint32_t *h, uint32_t *len,
			       uint32_t *o)
{
	TEEC_Operation op;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)buf;
	op.params[0].tmpref.size = n;
	op.params[1].value.a = 0;
	op.params[1].value.b = 0;
	r = TEEC_InvokeCommand(&sess, TA_CMD_HASH, &op, o);
	*h = op.params[1].value.a;
	*len = op.params[1].value.b;
	return r;
}

static void test_tmp_hash_fill(void)
{
	static const size_t sizes[] = { 1, 4097, 8 * MiB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *buf = malloc(n);
		uint32_t h = 0, len = 0, o = 0, want;
		TEEC_Result r;

		if (!buf) {
			check(false, "HASH/FILL tmpref %zu: out of memory", n);
			continue;
		}
		pattern(buf, n, 0x8000u + (uint32_t)i);
		want = fnv1a32(buf, n);
		r = do_hash_tmp(buf, n, &h, &len, &o);
		check(r == TEEC_SUCCESS && h == want && len == (uint32_t)n,
		      "HASH tmpref %zu bytes: 0x%08" PRIx32 " (local 0x%08" PRIx32 "), length %" PRIu32 " (%s)",
		      n, h, want, len, RES(r, o));

		TEEC_Operation op;
		uint8_t v = (uint8_t)(0x5a + i);
		memset(buf, ~v, n);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].tmpref.buffer = buf;
		op.params[0].tmpref.size = n;
		op.params[1].value.a = v;
		r = TEEC_InvokeCommand(&sess, TA_CMD_FILL, &op, &o);
		check(r == TEEC_SUCCESS && op.params[0].tmpref.size == n && all_bytes(buf, n, v),
		      "FILL tmpref %zu bytes with 0x%02x: every byte, size %zu (%s)",
		      n, v, op.params[0].tmpref.size, RES(r, o));
		free(buf);
	}
}

/* ---- registered and allocated shared memory ---------------------------- */

/* WHOLE memref on shm: REVERSE in place (flags must be IN|OUT). */
static TEEC_Result reverse_whole(TEEC_SharedMemory *shm, size_t *size_out, uint32_t *o)
{
	TEEC_Operation op;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, o);
	*size_out = op.params[0].memref.size;
	return r;
}

static TEEC_Result hash_partial(TEEC_SharedMemory *shm, size_t off, size_t n,
				uint32_t *h, uint32_t *len, uint32_t *o)
{
	TEEC_Operation op;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	op.params[0].memref.offset = off;
	op.params[0].memref.size = n;
	r = TEEC_InvokeCommand(&sess, TA_CMD_HASH, &op, o);
	*h = op.params[1].value.a;
	*len = op.params[1].value.b;
	return r;
}

static void test_registered(void)
{
	static const size_t sizes[] = { 1, 100, 4096, 4097, 65543, MiB + 3 };
	static const size_t misalign[] = { 0, 1, 7, 4095 };

	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (size_t mi = 0; mi < sizeof(misalign) / sizeof(misalign[0]); mi++) {
			size_t n = sizes[si], off = misalign[mi];
			uint8_t *base = NULL, *buf, *ref = malloc(n);
			const char *kind = off ? "malloc+offset" : "page-aligned";
			TEEC_SharedMemory shm;
			TEEC_Result r;
			uint32_t o = 0, h = 0, len = 0;
			size_t got = 0;

			if (off == 0) {
				if (posix_memalign((void **)&base, 4096, n))
					base = NULL;
			} else {
				base = malloc(n + off);
			}
			if (!base || !ref) {
				check(false, "registered %zu (+%zu): out of memory", n, off);
				free(base), free(ref);
				continue;
			}
			buf = base + off;
			pattern(ref, n, (uint32_t)(n * 31 + off));
			memcpy(buf, ref, n);

			memset(&shm, 0, sizeof(shm));
			shm.buffer = buf;
			shm.size = n;
			shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
			r = TEEC_RegisterSharedMemory(&ctx, &shm);
			if (!check(r == TEEC_SUCCESS, "RegisterSharedMemory %s (+%zu) %zu bytes (%s)",
				   kind, off, n, RES(r, TEEC_ORIGIN_API))) {
				free(base), free(ref);
				continue;
			}
			r = reverse_whole(&shm, &got, &o);
			check(r == TEEC_SUCCESS && got == n && is_reverse(buf, ref, n),
			      "REVERSE MEMREF_WHOLE on registered %s (+%zu) %zu bytes: byte-exact, size %zu (%s)",
			      kind, off, n, got, RES(r, o));

			/* Hash what is there now (the reversed bytes), whole range. */
			r = hash_partial(&shm, 0, n, &h, &len, &o);
			uint32_t want = fnv1a32(buf, n);
			check(r == TEEC_SUCCESS && h == want && len == (uint32_t)n,
			      "HASH PARTIAL_INPUT on registered %s (+%zu) %zu bytes: 0x%08" PRIx32
			      " (local 0x%08" PRIx32 ") (%s)", kind, off, n, h, want, RES(r, o));

			/* And a sub-range that starts and ends off page boundaries. */
			if (n > 10) {
				size_t po = n / 3, pn = n - po - 1;
				r = hash_partial(&shm, po, pn, &h, &len, &o);
				want = fnv1a32(buf + po, pn);
				check(r == TEEC_SUCCESS && h == want && len == (uint32_t)pn,
				      "HASH PARTIAL_INPUT [%zu,+%zu) on registered %s (+%zu) %zu bytes (%s)",
				      po, pn, kind, off, n, RES(r, o));
			}
			TEEC_ReleaseSharedMemory(&shm);
			free(base), free(ref);
		}
	}

	/* One-direction registrations: WHOLE follows the flags. */
	size_t n = 5000;
	uint8_t *base = malloc(n + 3), *buf = base ? base + 3 : NULL;
	if (!base) {
		check(false, "registered one-direction: out of memory");
		return;
	}
	TEEC_SharedMemory in, out;
	TEEC_Operation op;
	uint32_t o = 0;
	TEEC_Result r;

	pattern(buf, n, 5000);
	memset(&in, 0, sizeof(in));
	in.buffer = buf;
	in.size = n;
	in.flags = TEEC_MEM_INPUT;
	r = TEEC_RegisterSharedMemory(&ctx, &in);
	if (check(r == TEEC_SUCCESS, "RegisterSharedMemory INPUT-only 5000 bytes (%s)",
		  RES(r, TEEC_ORIGIN_API))) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &in;
		r = TEEC_InvokeCommand(&sess, TA_CMD_HASH, &op, &o);
		check(r == TEEC_SUCCESS && op.params[1].value.a == fnv1a32(buf, n) &&
		      op.params[1].value.b == n,
		      "HASH MEMREF_WHOLE on an INPUT-only registration (%s)", RES(r, o));
		TEEC_ReleaseSharedMemory(&in);
	}
	memset(&out, 0, sizeof(out));
	out.buffer = buf;
	out.size = n;
	out.flags = TEEC_MEM_OUTPUT;
	r = TEEC_RegisterSharedMemory(&ctx, &out);
	if (check(r == TEEC_SUCCESS, "RegisterSharedMemory OUTPUT-only 5000 bytes (%s)",
		  RES(r, TEEC_ORIGIN_API))) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &out;
		op.params[1].value.a = 0x3c;
		r = TEEC_InvokeCommand(&sess, TA_CMD_FILL, &op, &o);
		check(r == TEEC_SUCCESS && all_bytes(buf, n, 0x3c),
		      "FILL MEMREF_WHOLE on an OUTPUT-only registration (%s)", RES(r, o));
		TEEC_ReleaseSharedMemory(&out);
	}
	free(base);
}

static void test_allocated(void)
{
	static const size_t sizes[] = { 1, 4096, 12345, MiB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], got = 0;
		TEEC_SharedMemory shm;
		TEEC_Operation op;
		uint32_t o = 0, h = 0, len = 0;
		TEEC_Result r;

		memset(&shm, 0, sizeof(shm));
		shm.size = n;
		shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
		r = TEEC_AllocateSharedMemory(&ctx, &shm);
		if (!check(r == TEEC_SUCCESS && shm.buffer, "AllocateSharedMemory %zu bytes (%s)",
			   n, RES(r, TEEC_ORIGIN_API)))
			continue;

		/* FILL wants MEMREF_OUT; WHOLE on an IN|OUT shm would be INOUT. */
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		op.params[0].memref.offset = 0;
		op.params[0].memref.size = n;
		op.params[1].value.a = 0xe7;
		r = TEEC_InvokeCommand(&sess, TA_CMD_FILL, &op, &o);
		check(r == TEEC_SUCCESS && op.params[0].memref.size == n &&
		      all_bytes(shm.buffer, n, 0xe7),
		      "FILL PARTIAL_OUTPUT over all of allocated %zu bytes (%s)", n, RES(r, o));

		uint8_t *ref = malloc(n);
		if (ref) {
			pattern(ref, n, (uint32_t)n + 77);
			memcpy(shm.buffer, ref, n);
			r = reverse_whole(&shm, &got, &o);
			check(r == TEEC_SUCCESS && got == n && is_reverse(shm.buffer, ref, n),
			      "REVERSE MEMREF_WHOLE on allocated %zu bytes (%s)", n, RES(r, o));
			free(ref);
		}
		r = hash_partial(&shm, 0, n, &h, &len, &o);
		check(r == TEEC_SUCCESS && h == fnv1a32(shm.buffer, n) && len == (uint32_t)n,
		      "HASH PARTIAL_INPUT on allocated %zu bytes (%s)", n, RES(r, o));
		TEEC_ReleaseSharedMemory(&shm);
	}
}

/* Partial memrefs with offsets, on one allocated and one unaligned registered shm. */
static void test_partial_on(TEEC_SharedMemory *shm, const char *kind)
{
	uint8_t *p = shm->buffer;
	size_t n = shm->size;      /* >= 8192 */
	uint8_t *ref = malloc(n);
	TEEC_Operation op;
	uint32_t o = 0;
	TEEC_Result r;

	if (!ref) {
		check(false, "partial on %s: out of memory", kind);
		return;
	}

	/* PARTIAL_INOUT at [100, 1100): only that range is reversed. */
	pattern(ref, n, 0x1100);
	memcpy(p, ref, n);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	op.params[0].memref.offset = 100;
	op.params[0].memref.size = 1000;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_SUCCESS && op.params[0].memref.size == 1000 &&
	      is_reverse(p + 100, ref + 100, 1000) && memcmp(p, ref, 100) == 0 &&
	      memcmp(p + 1100, ref + 1100, n - 1100) == 0,
	      "REVERSE PARTIAL_INOUT offset 100 size 1000 on %s: range reversed, rest untouched (%s)",
	      kind, RES(r, o));

	/* PARTIAL_INPUT [3, 503) -> PARTIAL_OUTPUT [4000, 4600) of the same shm. */
	pattern(ref, n, 0x4000);
	memcpy(p, ref, n);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	op.params[0].memref.offset = 3;
	op.params[0].memref.size = 500;
	op.params[1].memref.parent = shm;
	op.params[1].memref.offset = 4000;
	op.params[1].memref.size = 600;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_SUCCESS && op.params[1].memref.size == 500 &&
	      is_reverse(p + 4000, ref + 3, 500) && memcmp(p, ref, 4000) == 0 &&
	      memcmp(p + 4500, ref + 4500, n - 4500) == 0,
	      "REVERSE PARTIAL_INPUT [3,+500) -> PARTIAL_OUTPUT [4000,+600) on %s: out size %zu, "
	      "bytes exact, rest untouched (%s)", kind, op.params[1].memref.size, RES(r, o));

	/* PARTIAL_OUTPUT too small: SHORT_BUFFER with the needed size. */
	memcpy(p, ref, n);
	op.params[1].memref.offset = 6000;
	op.params[1].memref.size = 10;
	r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
	check(r == TEEC_ERROR_SHORT_BUFFER && op.params[1].memref.size == 500 &&
	      memcmp(p + 6010, ref + 6010, n - 6010) == 0,
	      "REVERSE into a 10-byte PARTIAL_OUTPUT on %s: SHORT_BUFFER, needed %zu (%s)",
	      kind, op.params[1].memref.size, RES(r, o));

	/* FILL a PARTIAL_OUTPUT [4097, +3000): only those bytes. */
	memcpy(p, ref, n);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_VALUE_INPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	op.params[0].memref.offset = 4097;
	op.params[0].memref.size = 3000;
	op.params[1].value.a = 0x11;
	r = TEEC_InvokeCommand(&sess, TA_CMD_FILL, &op, &o);
	check(r == TEEC_SUCCESS && op.params[0].memref.size == 3000 &&
	      all_bytes(p + 4097, 3000, 0x11) && memcmp(p, ref, 4097) == 0 &&
	      memcmp(p + 7097, ref + 7097, n - 7097) == 0,
	      "FILL PARTIAL_OUTPUT [4097,+3000) on %s: only that range (%s)", kind, RES(r, o));

	/* HASH PARTIAL_INPUT at the very end of the shm. */
	memcpy(p, ref, n);
	uint32_t h = 0, len = 0;
	r = hash_partial(shm, n - 77, 77, &h, &len, &o);
	check(r == TEEC_SUCCESS && h == fnv1a32(p + n - 77, 77) && len == 77,
	      "HASH PARTIAL_INPUT on the last 77 bytes of %s (%s)", kind, RES(r, o));
	free(ref);
}

static void test_partial(void)
{
	TEEC_SharedMemory shm;
	TEEC_Result r;

	memset(&shm, 0, sizeof(shm));
	shm.size = 3 * 4096 + 5;
	shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	r = TEEC_AllocateSharedMemory(&ctx, &shm);
	if (check(r == TEEC_SUCCESS, "AllocateSharedMemory %zu for partial memrefs (%s)",
		  shm.size, RES(r, TEEC_ORIGIN_API))) {
		test_partial_on(&shm, "allocated shm");
		TEEC_ReleaseSharedMemory(&shm);
	}

	size_t n = 2 * 4096 + 333;
	uint8_t *base = malloc(n + 17);
	if (!base) {
		check(false, "partial on registered: out of memory");
		return;
	}
	memset(&shm, 0, sizeof(shm));
	shm.buffer = base + 17;
	shm.size = n;
	shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	r = TEEC_RegisterSharedMemory(&ctx, &shm);
	if (check(r == TEEC_SUCCESS, "RegisterSharedMemory malloc+17 %zu for partial memrefs (%s)",
		  n, RES(r, TEEC_ORIGIN_API))) {
		test_partial_on(&shm, "registered malloc+17");
		TEEC_ReleaseSharedMemory(&shm);
	}
	free(base);
}

/* ---- identity, time, storage, sessions --------------------------------- */

static void test_whoami(void)
{
	TEEC_Operation op;
	uint8_t uuid[16];
	uint32_t o = 0;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 0xdeadbeef;
	op.params[0].value.b = 0xdeadbeef;
	r = TEEC_InvokeCommand(&sess, TA_CMD_WHOAMI, &op, &o);
	check(r == TEEC_SUCCESS && op.params[0].value.b == TEEC_LOGIN_PUBLIC,
	      "WHOAMI: login %" PRIu32 " (want PUBLIC = 0), VM id %" PRIu32 " (%s)",
	      op.params[0].value.b, op.params[0].value.a, RES(r, o));

	memset(uuid, 0xff, sizeof(uuid));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[1].tmpref.buffer = uuid;
	op.params[1].tmpref.size = sizeof(uuid);
	r = TEEC_InvokeCommand(&sess, TA_CMD_WHOAMI, &op, &o);
	check(r == TEEC_SUCCESS && op.params[1].tmpref.size == 16 && all_bytes(uuid, 16, 0),
	      "WHOAMI with client UUID: size %zu, nil UUID for a PUBLIC login "
	      "(%02x%02x%02x%02x-...-%02x%02x) (%s)", op.params[1].tmpref.size,
	      uuid[0], uuid[1], uuid[2], uuid[3], uuid[14], uuid[15], RES(r, o));
}

static void test_ree_time(void)
{
	TEEC_Operation op;
	struct timespec before, after;
	uint32_t o = 0;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	clock_gettime(CLOCK_REALTIME, &before);
	r = TEEC_InvokeCommand(&sess, TA_CMD_REE_TIME, &op, &o);
	clock_gettime(CLOCK_REALTIME, &after);

	double ta = (double)op.params[0].value.a + op.params[0].value.b / 1e9;
	double mid = ((double)before.tv_sec + before.tv_nsec / 1e9 +
		      (double)after.tv_sec + after.tv_nsec / 1e9) / 2;
	double diff = ta - mid;
	check(r == TEEC_SUCCESS && op.params[0].value.b < 1000000000u &&
	      diff > -5.0 && diff < 5.0,
	      "REE_TIME %" PRIu32 ".%09" PRIu32 " vs guest CLOCK_REALTIME %lld.%09ld: "
	      "off by %.3f s (limit 5 s) (%s)", op.params[0].value.a, op.params[0].value.b,
	      (long long)after.tv_sec, after.tv_nsec, diff, RES(r, o));
}

static TEEC_Result ta_store(TEEC_Session *s, const void *buf, size_t n, uint32_t *o)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)buf;
	op.params[0].tmpref.size = n;
	return TEEC_InvokeCommand(s, TA_CMD_STORE, &op, o);
}

static TEEC_Result ta_load(TEEC_Session *s, void *buf, size_t *n, uint32_t *o)
{
	TEEC_Operation op;
	TEEC_Result r;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = buf;
	op.params[0].tmpref.size = *n;
	r = TEEC_InvokeCommand(s, TA_CMD_LOAD, &op, o);
	*n = op.params[0].tmpref.size;
	return r;
}

static void test_store_load(void)
{
	uint8_t data[TA_STORE_MAX], big[TA_STORE_MAX + 1], back[TA_STORE_MAX + 16];
	size_t n;
	uint32_t o = 0;
	TEEC_Result r;
	TEEC_Session other;

	pattern(data, sizeof(data), (uint32_t)getpid() ^ (uint32_t)mono_ns());
	pattern(big, sizeof(big), ~((uint32_t)getpid() ^ (uint32_t)mono_ns()));

	r = ta_store(&sess, data, 200, &o);
	check(r == TEEC_SUCCESS, "STORE 200 bytes (%s)", RES(r, o));
	n = sizeof(back);
	memset(back, 0, sizeof(back));
	r = ta_load(&sess, back, &n, &o);
	check(r == TEEC_SUCCESS && n == 200 && memcmp(back, data, 200) == 0,
	      "LOAD gives the 200 bytes back, size %zu (%s)", n, RES(r, o));

	n = 10;
	r = ta_load(&sess, back, &n, &o);
	check(r == TEEC_ERROR_SHORT_BUFFER && n == 200,
	      "LOAD into 10 bytes: SHORT_BUFFER, needed %zu (%s)", n, RES(r, o));

	r = open_ta(&ctx, &other, &o);
	if (check(r == TEEC_SUCCESS, "open a second session (%s)", RES(r, o))) {
		n = sizeof(back);
		memset(back, 0, sizeof(back));
		r = ta_load(&other, back, &n, &o);
		check(r == TEEC_SUCCESS && n == 200 && memcmp(back, data, 200) == 0,
		      "LOAD from another session of the same VM sees the STORE (%s)", RES(r, o));
		TEEC_CloseSession(&other);
	}

	r = ta_store(&sess, data, TA_STORE_MAX, &o);
	check(r == TEEC_SUCCESS, "STORE %u bytes (the maximum) (%s)", TA_STORE_MAX, RES(r, o));
	r = ta_store(&sess, big, sizeof(big), &o);
	check(r != TEEC_SUCCESS, "STORE %u bytes (over the maximum) is refused (%s)",
	      TA_STORE_MAX + 1, RES(r, o));
	n = sizeof(back);
	r = ta_load(&sess, back, &n, &o);
	check(r == TEEC_SUCCESS && n == TA_STORE_MAX && memcmp(back, data, TA_STORE_MAX) == 0,
	      "LOAD after the refused STORE still gives the %u-byte value (size %zu) (%s)",
	      TA_STORE_MAX, n, RES(r, o));
}

static void test_sessions(void)
{
	long base = ta_sessions(&sess), more;
	TEEC_Session s2;
	uint32_t o = 0;
	TEEC_Result r;

	check(base >= 1, "SESSIONS counts at least this session: %ld", base);
	r = open_ta(&ctx, &s2, &o);
	if (!check(r == TEEC_SUCCESS, "open one more session (%s)", RES(r, o)))
		return;
	more = ta_sessions(&sess);
	check(more == base + 1, "SESSIONS after opening one more: %ld (want %ld)", more, base + 1);
	TEEC_CloseSession(&s2);
	more = ta_sessions(&sess);
	check(more == base, "SESSIONS after closing it: %ld (want %ld)", more, base);
}

static void test_bad_uuid(void)
{
	static const TEEC_UUID nope = { 0x5ce0c432, 0x0ab0, 0x40e5,
		{ 0xa0, 0x56, 0x78, 0x2c, 0xa0, 0xe6, 0xab, 0xa3 } };
	TEEC_Session s;
	uint32_t o = 0;
	TEEC_Result r = TEEC_OpenSession(&ctx, &s, &nope, TEEC_LOGIN_PUBLIC, NULL, NULL, &o);

	check(r != TEEC_SUCCESS, "OpenSession on an unknown UUID fails (%s)", RES(r, o));
	if (r == TEEC_SUCCESS)
		TEEC_CloseSession(&s);
}

int main(void)
{
	uint32_t o = 0;
	TEEC_Result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = TEEC_InitializeContext(NULL, &ctx);
	if (!check(r == TEEC_SUCCESS, "InitializeContext (%s)", RES(r, TEEC_ORIGIN_API)))
		return finish();
	note("libteec context: reg_mem %d memref_null %d", ctx.reg_mem, ctx.memref_null);
	r = open_ta(&ctx, &sess, &o);
	if (!check(r == TEEC_SUCCESS, "OpenSession on the test TA " "5ce0c432-0ab0-40e5-a056-782ca0e6aba2 (%s)",
		   RES(r, o))) {
		TEEC_FinalizeContext(&ctx);
		return finish();
	}

	test_inc();
	test_null();
	test_bad_uuid();
	test_tmp_reverse();
	test_short_buffer();
	test_tmp_hash_fill();
	test_registered();
	test_allocated();
	test_partial();
	test_whoami();
	test_ree_time();
	test_store_load();
	test_sessions();

	TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	return finish();
}
