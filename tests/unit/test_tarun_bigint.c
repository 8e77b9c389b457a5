/* libvtee_ta, the GP TEE Arithmetical API (lib/tarun/bigint*.c), against known answers
 * (tarun_bigint_vectors.h, xtest's 4100 series) and OP-TEE's libutee (tee_api_arith_mpi.c):
 * the TEE_BigInt layout, OVERFLOW / SHORT_BUFFER / NOT_SUPPORTED, signs everywhere, truncating
 * division, the exact Bezout coefficients, primality (Carmichael numbers too), the FMM
 * functions, the GP 1.1 twins, and every panic (code 0xB16127) through the fake host. */
#include "tarun_fake_host.h"
#include "tarun_bigint_vectors.h"
#include "../check.h"

#include <util.h>

#include <stdlib.h>
#include <string.h>

#define BIGINT_PANIC_CODE 0xB16127u
#define WORDS(bits) TEE_BigIntSizeInU32(bits)
/* A TEE_BigInt of `bits` bits on the stack, initialised. */
#define BIGINT(name, bits)                \
	TEE_BigInt name[WORDS(bits)];     \
	TEE_BigIntInit(name, WORDS(bits))

struct hdr { /* OP-TEE's header: sign, limbs allocated, limbs in use */
	int32_t sign;
	uint16_t alloc_size;
	uint16_t nblimbs;
};

static struct hdr hdr_of(const TEE_BigInt *b)
{
	struct hdr h;

	memcpy(&h, b, sizeof(h));
	return h;
}

static void hdr_set(TEE_BigInt *b, int32_t sign, uint16_t alloc_size, uint16_t nblimbs)
{
	struct hdr h = { sign, alloc_size, nblimbs };

	memcpy(b, &h, sizeof(h));
}

/* Signed hex (any digit count) -> big-endian bytes and sign; returns the byte count. */
static size_t parse_hex(const char *s, uint8_t *out, size_t room, int32_t *sign)
{
	size_t digits, n;

	*sign = *s == '-' ? -1 : 1;
	s += *s == '-';
	digits = strlen(s);
	n = (digits + 1) / 2;
	REQUIRE(n <= room);
	memset(out, 0, n);
	for (size_t i = 0; i < digits; i++) {
		char c = s[digits - 1 - i];
		int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

		out[n - 1 - i / 2] |= (uint8_t)(v << (4 * (i % 2)));
	}
	return n;
}

static void set_hex(TEE_BigInt *b, const char *hex)
{
	uint8_t buf[600];
	int32_t sign;
	size_t n = parse_hex(hex, buf, sizeof(buf), &sign);

	REQUIRE_EQ(TEE_BigIntConvertFromOctetString(b, buf, n, sign), TEE_SUCCESS);
}

static void set_two(TEE_BigInt *a, const char *hex_a, TEE_BigInt *b, const char *hex_b)
{
	set_hex(a, hex_a);
	set_hex(b, hex_b);
}

/* Does b hold the value of `hex`: its magnitude's bytes, and the header's sign (zero: +1)? */
static bool holds(const TEE_BigInt *b, const char *hex)
{
	uint8_t want[600], got[600];
	size_t len = sizeof(got), skip = 0;
	int32_t sign;
	size_t n = parse_hex(hex, want, sizeof(want), &sign);

	while (skip < n && !want[skip])
		skip++;
	if (skip == n)
		sign = 1;
	if (TEE_BigIntConvertToOctetString(got, &len, b) == TEE_SUCCESS && len == n - skip &&
	    !memcmp(got, want + skip, len) && hdr_of(b).sign == sign)
		return true;
	fprintf(stderr, "  want %s\n  got  %s", hex, hdr_of(b).sign < 0 ? "-" : "");
	for (size_t i = 0; i < len && i < sizeof(got); i++)
		fprintf(stderr, "%02X", got[i]);
	fprintf(stderr, "\n");
	return false;
}

static void test_layout(void)
{
	static TEE_BigInt big[512];
	TEE_BigInt b[5], fmm[5];
	TEE_BigIntFMMContext ctx; /* one word (TEE_BigIntFMMContextSizeInU32) */
	static const uint8_t nine[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct hdr h;

	CHECK_EQ(WORDS(0), 2);
	CHECK_EQ(WORDS(1), 3);
	CHECK_EQ(WORDS(32), 3);
	CHECK_EQ(WORDS(33), 4);
	CHECK_EQ(WORDS(2048), 66);
	memset(b, 0xaa, sizeof(b));
	TEE_BigIntInit(b, 5);
	h = hdr_of(b);
	CHECK(h.sign == 1 && h.alloc_size == 3 && h.nblimbs == 0);
	CHECK(b[2] == 0 && b[3] == 0 && b[4] == 0);

	/* limbs least significant first, 32 bits each */
	REQUIRE_EQ(TEE_BigIntConvertFromOctetString(b, nine, sizeof(nine), -1), TEE_SUCCESS);
	h = hdr_of(b);
	CHECK(h.sign == -1 && h.alloc_size == 3 && h.nblimbs == 3);
	CHECK_EQ(b[2], 0x06070809);
	CHECK_EQ(b[3], 0x02030405);
	CHECK_EQ(b[4], 0x01);

	/* values written by hand in that layout read back; unused top limbs are ignored */
	hdr_set(b, 1, 3, 2);
	b[2] = 0x89abcdef;
	b[3] = 0x01234567;
	CHECK(holds(b, "123456789ABCDEF"));
	hdr_set(b, -1, 3, 3);
	b[2] = 5;
	b[3] = b[4] = 0;
	CHECK(holds(b, "-5"));
	CHECK_EQ(TEE_BigIntGetBitCount(b), 3);
	CHECK_EQ(TEE_BigIntCmpS32(b, -5), 0);

	TEE_BigIntInit(big, 512); /* the largest libutee accepts (CFG_TA_BIGNUM_MAX_BITS / 4) */
	CHECK_EQ(hdr_of(big).alloc_size, 510);
	__GP11_TEE_BigIntInit(big, 66);
	CHECK_EQ(hdr_of(big).alloc_size, 64);

	/* FMM: plain big integers, a one-word context that holds nothing */
	CHECK_EQ(TEE_BigIntFMMSizeInU32(2048), 66);
	CHECK_EQ(__GP11_TEE_BigIntFMMSizeInU32(100), 6);
	CHECK_EQ(TEE_BigIntFMMContextSizeInU32(2048), 1);
	CHECK_EQ(__GP11_TEE_BigIntFMMContextSizeInU32(4096), 1);
	TEE_BigIntInitFMM(fmm, 5);
	CHECK_EQ(hdr_of(fmm).alloc_size, 3);
	__GP11_TEE_BigIntInitFMM(fmm, 4);
	CHECK_EQ(hdr_of(fmm).alloc_size, 2);
	CHECK_EQ(TEE_BigIntInitFMMContext1(&ctx, 1, b), TEE_SUCCESS);
	TEE_BigIntInitFMMContext(&ctx, 1, b);
	__GP11_TEE_BigIntInitFMMContext(&ctx, 1, b);
}

static void test_octets(void)
{
	static const uint8_t lead0[] = { 0, 0, 0, 0, 0, 0xff, 0xfe };
	uint8_t out[300];
	size_t len;
	uint32_t len32;
	BIGINT(b, 2048);
	BIGINT(w, 32);

	set_hex(b, "-0102030405");
	len = 5;
	CHECK_EQ(TEE_BigIntConvertToOctetString(out, &len, b), TEE_SUCCESS);
	CHECK(len == 5 && !memcmp(out, "\x01\x02\x03\x04\x05", 5));
	CHECK_EQ(TEE_BigIntCmpS32(b, 0), -1);
	/* too short: the length needed comes back, nothing is written */
	memset(out, 0x5a, sizeof(out));
	len = 4;
	CHECK_EQ(TEE_BigIntConvertToOctetString(out, &len, b), TEE_ERROR_SHORT_BUFFER);
	CHECK(len == 5 && out[0] == 0x5a);
	len32 = 0;
	CHECK_EQ(__GP11_TEE_BigIntConvertToOctetString(NULL, &len32, b), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len32, 5);
	CHECK_EQ(__GP11_TEE_BigIntConvertToOctetString(out, &len32, b), TEE_SUCCESS);
	CHECK(len32 == 5 && out[4] == 5);

	/* zero: no bytes; a negative sign on zero is dropped */
	CHECK_EQ(TEE_BigIntConvertFromOctetString(b, lead0, 3, -1), TEE_SUCCESS);
	CHECK(holds(b, "0"));
	CHECK_EQ(TEE_BigIntConvertFromOctetString(b, NULL, 0, 1), TEE_SUCCESS);
	len = 0;
	CHECK_EQ(TEE_BigIntConvertToOctetString(NULL, &len, b), TEE_SUCCESS);
	CHECK_EQ(len, 0);

	/* leading zeros do not count against the destination's size */
	CHECK_EQ(TEE_BigIntConvertFromOctetString(w, lead0, sizeof(lead0), 1), TEE_SUCCESS);
	CHECK(holds(w, "FFFE"));
	CHECK_EQ(__GP11_TEE_BigIntConvertFromOctetString(w, (const uint8_t *)"\xff\xff\xff\xff", 4,
							  -1), TEE_SUCCESS);
	CHECK(holds(w, "-FFFFFFFF"));
	CHECK_EQ(TEE_BigIntConvertFromOctetString(w, (const uint8_t *)"\x01\0\0\0\0", 5, 1),
		 TEE_ERROR_OVERFLOW);
	CHECK(holds(w, "-FFFFFFFF")); /* untouched */

	/* a 2048-bit round trip */
	set_hex(b, mod_n);
	CHECK(holds(b, mod_n));
	len = sizeof(out);
	CHECK_EQ(TEE_BigIntConvertToOctetString(out, &len, b), TEE_SUCCESS);
	CHECK_EQ(len, 256);
}

static void test_s32(void)
{
	static const int32_t values[] = { 1, -1, 123, -123, INT32_MAX, INT32_MIN, 0 };
	BIGINT(b, 512);
	int32_t v;

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		TEE_BigIntConvertFromS32(b, values[i]);
		CHECK_EQ(TEE_BigIntCmpS32(b, values[i]), 0);
		v = 42;
		CHECK_EQ(TEE_BigIntConvertToS32(&v, b), TEE_SUCCESS);
		CHECK_EQ(v, values[i]);
	}
	TEE_BigIntConvertFromS32(b, INT32_MIN);
	CHECK(hdr_of(b).sign == -1 && hdr_of(b).nblimbs == 1 && b[2] == 0x80000000u);
	CHECK(holds(b, "-80000000"));

	set_hex(b, "80000000");
	CHECK_EQ(TEE_BigIntConvertToS32(&v, b), TEE_ERROR_OVERFLOW);
	set_hex(b, "-80000001");
	CHECK_EQ(TEE_BigIntConvertToS32(&v, b), TEE_ERROR_OVERFLOW);
	v = 42;
	set_hex(b, "1FFFFFFFFF");
	CHECK_EQ(TEE_BigIntConvertToS32(&v, b), TEE_ERROR_OVERFLOW);
	set_hex(b, "-1FFFFFFFFF");
	CHECK_EQ(TEE_BigIntConvertToS32(&v, b), TEE_ERROR_OVERFLOW);
	CHECK_EQ(v, 42);
}

static void test_compare(void)
{
	static const struct { const char *a, *b; int32_t cmp; } pairs[] = {
		{ "0", "1", -1 }, { "1", "0", 1 }, { "-1", "FFFFFFFFFF", -1 },
		{ "1", "-FFFFFFFFFF", 1 }, { "-FFFFFFFFFF", "1", -1 }, { "1", "100000000", -1 },
		{ "-100000000", "-FFFFFFFF", -1 }, { "0", "0", 0 }, { "-1", "-1", 0 },
		{ mul_ab, mul_a, -1 }, { sqr_b, mul_ab, 1 }, { mod_n, mod_n, 0 },
	};
	static const struct { const char *a; int32_t s, cmp; } s32[] = {
		{ "0", 0, 0 }, { "0", -1, 1 }, { "-1", 0, -1 }, { "-123", -0x123, 0 },
		{ "7FFFFFFF", INT32_MAX, 0 }, { "-7FFFFFFF", INT32_MIN, 1 },
		{ "-80000000", INT32_MIN, 0 }, { "80000000", INT32_MAX, 1 },
		{ "-80000001", INT32_MIN, -1 }, { "1FFFFFFFF", 1, 1 }, { "-1FFFFFFFF", 1, -1 },
	};
	BIGINT(a, 2048);
	BIGINT(b, 2048);

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		set_two(a, pairs[i].a, b, pairs[i].b);
		CHECK_EQ(TEE_BigIntCmp(a, b), pairs[i].cmp);
		CHECK_EQ(TEE_BigIntCmp(b, a), -pairs[i].cmp);
	}
	for (size_t i = 0; i < ARRAY_SIZE(s32); i++) {
		set_hex(a, s32[i].a);
		CHECK_EQ(TEE_BigIntCmpS32(a, s32[i].s), s32[i].cmp);
	}
}

static void test_bits(void)
{
	static const struct { const char *op; size_t bits; const char *res; } shifts[] = {
		{ "7FFFFFFF", 31, "0" }, { "7FFFFFFF", 65, "0" }, { "-2", 1, "-1" },
		{ "-1", 1, "0" }, { "-5", 1, "-2" }, { "1", 0, "1" }, { "100000000", 32, "1" },
		{ "FFFFFFFF0000000000000000", 64, "FFFFFFFF" },
		{ "1FFFFFFFE0000000000000000", 65, "FFFFFFFF" },
		{ "4961B2EBD91F991C3AA99497EF59F88A69E08AD5C340167793C3CC32F", 81,
		  "24B0D975EC8FCC8E1D54CA4BF7ACFC4534F04" },
		{ "-123456789", SIZE_MAX, "0" },
	};
	BIGINT(b, 2048);
	BIGINT(r, 2048);
	BIGINT(w, 32);

	set_hex(b, "-8000000000000001");
	CHECK(TEE_BigIntGetBit(b, 0) && TEE_BigIntGetBit(b, 63));
	CHECK(!TEE_BigIntGetBit(b, 62) && !TEE_BigIntGetBit(b, 64));
	CHECK(!TEE_BigIntGetBit(b, UINT32_MAX));
	CHECK_EQ(TEE_BigIntGetBitCount(b), 64);
	set_hex(b, "0");
	CHECK_EQ(TEE_BigIntGetBitCount(b), 0);
	set_hex(b, mod_n);
	CHECK_EQ(TEE_BigIntGetBitCount(b), 2048);

	/* SetBit works on the magnitude */
	set_hex(b, "0");
	CHECK_EQ(TEE_BigIntSetBit(b, 100, true), TEE_SUCCESS);
	CHECK(holds(b, "10000000000000000000000000"));
	CHECK_EQ(TEE_BigIntSetBit(b, 100, false), TEE_SUCCESS);
	CHECK(holds(b, "0"));
	set_hex(b, "-5");
	CHECK_EQ(TEE_BigIntSetBit(b, 1, true), TEE_SUCCESS);
	CHECK(holds(b, "-7"));
	set_hex(b, "-1");
	CHECK_EQ(TEE_BigIntSetBit(b, 0, false), TEE_SUCCESS);
	CHECK(holds(b, "0"));
	/* a bit beyond the allocation: OVERFLOW to set, nothing to clear */
	set_hex(w, "5");
	CHECK_EQ(TEE_BigIntSetBit(w, 32, true), TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_BigIntSetBit(w, UINT32_MAX, true), TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_BigIntSetBit(w, 40, false), TEE_SUCCESS);
	CHECK(holds(w, "5"));
	CHECK_EQ(TEE_BigIntSetBit(w, 31, true), TEE_SUCCESS);
	CHECK(holds(w, "80000005"));

	for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
		set_hex(b, shifts[i].op);
		TEE_BigIntShiftRight(r, b, shifts[i].bits);
		CHECK(holds(r, shifts[i].res));
		TEE_BigIntShiftRight(b, b, shifts[i].bits); /* in place */
		CHECK(holds(b, shifts[i].res));
	}
	set_hex(b, "-123456789ABCDEF0123");
	TEE_BigIntShiftRight(w, b, 50); /* the result fits a smaller destination */
	CHECK(holds(w, "-48D159"));
	__GP11_TEE_BigIntShiftRight(r, b, 8);
	CHECK(holds(r, "-123456789ABCDEF01"));
}

static void test_assign_abs(void)
{
	BIGINT(a, 128);
	BIGINT(b, 256);
	BIGINT(w, 32);

	set_hex(a, "-123456789ABCDEF");
	CHECK_EQ(TEE_BigIntAssign(b, a), TEE_SUCCESS);
	CHECK(holds(b, "-123456789ABCDEF"));
	CHECK_EQ(hdr_of(b).alloc_size, 8);
	set_hex(w, "7");
	CHECK_EQ(TEE_BigIntAssign(w, a), TEE_ERROR_OVERFLOW);
	CHECK(holds(w, "7"));
	CHECK_EQ(TEE_BigIntAbs(w, a), TEE_ERROR_OVERFLOW);
	CHECK_EQ(TEE_BigIntAssign(a, a), TEE_SUCCESS);
	CHECK_EQ(TEE_BigIntAbs(b, a), TEE_SUCCESS);
	CHECK(holds(b, "123456789ABCDEF"));
	CHECK(holds(a, "-123456789ABCDEF"));
	CHECK_EQ(TEE_BigIntAbs(a, a), TEE_SUCCESS);
	CHECK(holds(a, "123456789ABCDEF"));
}

static void test_add_sub_neg_mul(void)
{
	static const struct { const char *s, *t, *r; } sums[] = {
		{ "1", "1", "2" }, { "-1", "1", "0" }, { "FFFFFFFF", "FFFFFFFF", "1FFFFFFFE" },
		{ "-FFFFFFFF", "-100000000FFFFFFFFFFFFFFFF", "-10000000100000000FFFFFFFE" },
		{ "F00000000", "-00000FFFF", "EFFFF0001" }, { "FF", "-FFFF", "-FF00" },
		{ "-FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE", "-1" },
		{ mul_a, mul_b, add_ab },
	};
	BIGINT(a, 2048);
	BIGINT(b, 2048);
	BIGINT(r, 2048);

	for (size_t i = 0; i < ARRAY_SIZE(sums); i++) {
		set_two(a, sums[i].s, b, sums[i].t);
		TEE_BigIntAdd(r, a, b);
		CHECK(holds(r, sums[i].r));
		TEE_BigIntSub(a, r, a); /* r - s = t, into an operand */
		CHECK(holds(a, sums[i].t));
	}
	set_two(a, mul_a, b, mul_b);
	TEE_BigIntSub(r, a, b);
	CHECK(holds(r, sub_ab));
	TEE_BigIntAdd(a, a, a);
	TEE_BigIntSub(a, a, r);
	TEE_BigIntSub(a, a, b);
	CHECK(holds(a, mul_a)); /* 2a - (a - b) - b = a, each in place */

	TEE_BigIntNeg(r, b);
	CHECK(holds(r, mul_b + 1));
	TEE_BigIntNeg(r, r);
	CHECK(holds(r, mul_b));
	set_hex(r, "0");
	TEE_BigIntNeg(r, r);
	CHECK(holds(r, "0"));

	TEE_BigIntMul(r, a, b);
	CHECK(holds(r, mul_ab));
	TEE_BigIntMul(b, a, b);
	CHECK(holds(b, mul_ab));
	set_hex(b, mul_b);
	TEE_BigIntSquare(r, b);
	CHECK(holds(r, sqr_b));
	TEE_BigIntSquare(b, b);
	CHECK(holds(b, sqr_b));
	set_hex(a, "-1");
	TEE_BigIntMul(r, a, a);
	CHECK(holds(r, "1"));
}

static void test_div(void)
{
	static const struct { const char *n, *d, *q, *r; } divs[] = {
		{ "53", "7", "B", "6" }, { "-53", "7", "-B", "-6" }, { "53", "-7", "-B", "6" },
		{ "-53", "-7", "B", "-6" }, { "0", "1", "0", "0" }, { "B7FB", "5", "24CB", "4" },
		{ "124378912734891273894712890347102358129034789120374",
		  "1984086C15FA011154C86FA68", "B73D14EC7205D3311F6E78411D",
		  "BF67CCF858D491F987733DAC" },
		{ div_a, div_d, div_q, div_r },
	};
	BIGINT(a, 2048);
	BIGINT(d, 2048);
	BIGINT(q, 2048);
	BIGINT(r, 2048);

	for (size_t i = 0; i < ARRAY_SIZE(divs); i++) {
		set_two(a, divs[i].n, d, divs[i].d);
		TEE_BigIntDiv(q, r, a, d);
		CHECK(holds(q, divs[i].q) && holds(r, divs[i].r));
		TEE_BigIntDiv(NULL, r, a, d);
		CHECK(holds(r, divs[i].r));
		TEE_BigIntDiv(q, NULL, a, d);
		CHECK(holds(q, divs[i].q));
		TEE_BigIntDiv(a, d, a, d); /* both destinations are operands */
		CHECK(holds(a, divs[i].q) && holds(d, divs[i].r));
	}
}

static void test_modular(void)
{
	BIGINT(n, 2048);
	BIGINT(a, 2112);
	BIGINT(b, 2048);
	BIGINT(r, 2048);

	set_hex(n, mod_n);
	set_hex(a, mod_a);
	set_hex(b, mod_b);
	TEE_BigIntMod(r, a, n);
	CHECK(holds(r, mod_a_n));
	TEE_BigIntAddMod(r, a, b, n);
	CHECK(holds(r, addmod));
	TEE_BigIntSubMod(r, a, b, n);
	CHECK(holds(r, submod));
	TEE_BigIntMulMod(r, a, b, n);
	CHECK(holds(r, mulmod));
	TEE_BigIntSquareMod(r, a, n);
	CHECK(holds(r, sqrmod));
	TEE_BigIntMulMod(b, a, b, n); /* into an operand */
	CHECK(holds(b, mulmod));
	set_two(a, "-1", b, "123");
	TEE_BigIntMod(r, a, b);
	CHECK(holds(r, "122"));
	TEE_BigIntSubMod(r, a, a, b);
	CHECK(holds(r, "0"));
	set_hex(b, "2"); /* the smallest modulus */
	TEE_BigIntAddMod(r, a, a, b);
	CHECK(holds(r, "0"));

	set_hex(a, inv_a);
	TEE_BigIntInvMod(r, a, n);
	CHECK(holds(r, inv_a_n));
	TEE_BigIntNeg(a, a);
	TEE_BigIntInvMod(a, a, n);
	CHECK(holds(a, inv_neg_a_n));
	set_two(a, "7B", b, "FA1");
	TEE_BigIntInvMod(r, a, b);
	CHECK(holds(r, "8E5"));
}

static void test_expmod(void)
{
	TEE_BigIntFMMContext fmm_ctx;
	BIGINT(n, 2048);
	BIGINT(x, 2048);
	BIGINT(e, 2048);
	BIGINT(r, 2048);

	set_hex(n, mod_n);
	set_two(x, exp_base, e, exp_e);
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_SUCCESS);
	CHECK(holds(r, exp_res));
	TEE_BigIntInitFMMContext(&fmm_ctx, TEE_BigIntFMMContextSizeInU32(2048), n);
	CHECK_EQ(TEE_BigIntExpMod(x, x, e, n, &fmm_ctx), TEE_SUCCESS);
	CHECK(holds(x, exp_res));
	set_hex(x, exp_base);
	TEE_BigIntNeg(x, x);
	TEE_BigIntConvertFromS32(e, 65537);
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_SUCCESS);
	CHECK(holds(r, exp_negbase_res));
	TEE_BigIntConvertFromS32(e, 0);
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_SUCCESS);
	CHECK(holds(r, "1"));
	set_hex(n, "3");
	set_hex(x, "2");
	set_hex(e, "5");
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_SUCCESS);
	CHECK(holds(r, "2"));
	/* an even modulus: not supported, dest untouched */
	set_hex(n, "10");
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_ERROR_NOT_SUPPORTED);
	CHECK(holds(r, "2"));
	set_hex(n, mod_n);
	CHECK_EQ(TEE_BigIntSetBit(n, 0, false), TEE_SUCCESS);
	CHECK_EQ(TEE_BigIntExpMod(r, x, e, n, NULL), TEE_ERROR_NOT_SUPPORTED);
}

/* gcd = u*x + v*y, checked with the API's own Mul and Add too */
static bool bezout_holds(const TEE_BigInt *g, const TEE_BigInt *u, const TEE_BigInt *v,
			 const TEE_BigInt *x, const TEE_BigInt *y)
{
	BIGINT(ux, 4096);
	BIGINT(vy, 4096);

	TEE_BigIntMul(ux, u, x);
	TEE_BigIntMul(vy, v, y);
	TEE_BigIntAdd(ux, ux, vy);
	return TEE_BigIntCmp(ux, g) == 0;
}

static void test_gcd(void)
{
	static const struct { const char *x, *y, *g, *u, *v; } cases[] = {
		{ eg1_x, eg1_y, eg1_g, eg1_u, eg1_v },
		{ eg2_x, eg2_y, eg2_g, eg2_u, eg2_v },
		{ eg3_x, eg3_y, eg3_g, eg3_u, eg3_v },
		{ "0", "0", "0", "1", "0" }, { "0", "123", "123", "0", "1" },
		{ "-2", "2", "2", "-1", "0" },
		{ "F", "A", "5", "5", "-7" }, /* not the smallest pair (1, -1): libutee's */
	};
	BIGINT(x, 2048);
	BIGINT(y, 2048);
	BIGINT(g, 2048);
	BIGINT(u, 2048);
	BIGINT(v, 2048);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		set_two(x, cases[i].x, y, cases[i].y);
		TEE_BigIntComputeExtendedGcd(g, u, v, x, y);
		CHECK(holds(g, cases[i].g) && holds(u, cases[i].u) && holds(v, cases[i].v));
		CHECK(bezout_holds(g, u, v, x, y));
		set_hex(g, "77");
		TEE_BigIntComputeExtendedGcd(g, NULL, NULL, x, y);
		CHECK(holds(g, cases[i].g));
		TEE_BigIntComputeExtendedGcd(g, NULL, v, x, y);
		CHECK(holds(v, cases[i].v));
		TEE_BigIntComputeExtendedGcd(x, u, y, x, y); /* outputs over the operands */
		CHECK(holds(x, cases[i].g) && holds(u, cases[i].u) && holds(y, cases[i].v));
	}

	set_two(x, inv_a, y, mod_n);
	CHECK(TEE_BigIntRelativePrime(x, y));
	CHECK(TEE_BigIntRelativePrime(y, x));
	set_two(x, prime_1024, y, rsa_2048);
	CHECK(!TEE_BigIntRelativePrime(x, y));
	set_hex(x, "0");
	CHECK(!TEE_BigIntRelativePrime(x, x));
	set_hex(y, "-1");
	CHECK(TEE_BigIntRelativePrime(x, y));
}

static void test_prime(void)
{
	static const char *const primes[] = {
		"2", "3", "17", "FA1", "-7", "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", /* 2^127 - 1 */
		"1" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", /* 2^521 - 1: 1 and 130 F */
		"000136A352B2C7A5", prime_1024,
	};
	static const char *const composites[] = {
		"0", "1", "-1", "FA0", "231" /* 561 */, "451" /* 1105 */, "6C1" /* 1729 */,
		"A051" /* 41041 */, "C97B1" /* 825265 */, "BFA1A3C7" /* 3215031751, spsp(2,3,5,7) */,
		"136233FDE5569", carmichael, rsa_2048,
	};
	static const uint32_t levels[] = { 0, 80, 1000 };
	BIGINT(p, 2048);

	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		for (size_t i = 0; i < ARRAY_SIZE(primes); i++) {
			set_hex(p, primes[i]);
			CHECK_EQ(TEE_BigIntIsProbablePrime(p, levels[l]), 1);
		}
		for (size_t i = 0; i < ARRAY_SIZE(composites); i++) {
			set_hex(p, composites[i]);
			CHECK_EQ(TEE_BigIntIsProbablePrime(p, levels[l]), 0);
		}
	}
}

static void test_fmm(void)
{
	TEE_BigIntFMMContext ctx;
	TEE_BigIntFMM fa[WORDS(2048)], fb[WORDS(2048)], fr[WORDS(2048)];
	BIGINT(n, 2048);
	BIGINT(a, 2112);
	BIGINT(r, 2048);

	TEE_BigIntInitFMM(fa, WORDS(2048));
	TEE_BigIntInitFMM(fb, WORDS(2048));
	TEE_BigIntInitFMM(fr, WORDS(2048));
	set_hex(n, mod_n);
	TEE_BigIntInitFMMContext(&ctx, 1, n);
	set_hex(a, mod_a);
	TEE_BigIntConvertToFMM(fa, a, n, &ctx);
	CHECK(holds(fa, mod_a_n));
	set_hex(a, mod_b);
	TEE_BigIntConvertToFMM(fb, a, n, &ctx);
	TEE_BigIntComputeFMM(fr, fa, fb, n, &ctx);
	TEE_BigIntConvertFromFMM(r, fr, n, &ctx);
	CHECK(holds(r, mulmod));
	set_hex(r, "0");
	TEE_BigIntFMMConvertToBigInt(r, fr, n, &ctx);
	CHECK(holds(r, mulmod));
	TEE_BigIntComputeFMM(fa, fa, fb, n, NULL);
	CHECK(holds(fa, mulmod));
	set_hex(n, "1"); /* no modulus check in ComputeFMM: everything is 0 mod 1 */
	TEE_BigIntComputeFMM(fr, fa, fb, n, &ctx);
	CHECK(holds(fr, "0"));
}

/* Each panic case builds its operands and makes the one call that must panic. */
#define PANIC_CASE(name, body) static void name(void *arg) { (void)arg; body; }
#define SMALL(b, hex) BIGINT(b, 32); set_hex(b, hex)
#define WIDE(b, hex) BIGINT(b, 128); set_hex(b, hex)

PANIC_CASE(init_too_large, static TEE_BigInt big[513]; TEE_BigIntInit(big, 513))
PANIC_CASE(init_gp11_too_large, static TEE_BigInt big[600]; __GP11_TEE_BigIntInit(big, 600))
PANIC_CASE(init_no_header, TEE_BigInt b[2]; TEE_BigIntInit(b, 1))
PANIC_CASE(from_s32_no_room, TEE_BigInt b[2]; TEE_BigIntInit(b, 2); TEE_BigIntConvertFromS32(b, 1))
PANIC_CASE(add_overflow, SMALL(a, "FFFFFFFF"); SMALL(b, "1"); TEE_BigIntAdd(a, a, b))
PANIC_CASE(sub_overflow, SMALL(a, "-FFFFFFFF"); SMALL(b, "1"); TEE_BigIntSub(a, a, b))
PANIC_CASE(neg_overflow, WIDE(a, "100000000"); SMALL(r, "0"); TEE_BigIntNeg(r, a))
PANIC_CASE(mul_overflow, SMALL(a, "10000"); TEE_BigIntMul(a, a, a))
PANIC_CASE(square_overflow, SMALL(a, "-10000"); TEE_BigIntSquare(a, a))
PANIC_CASE(div_by_zero, WIDE(a, "5"); WIDE(d, "0"); TEE_BigIntDiv(a, d, a, d))
PANIC_CASE(div_q_overflow, WIDE(a, "1000000000000"); WIDE(d, "3"); SMALL(q, "0");
	   TEE_BigIntDiv(q, NULL, a, d))
PANIC_CASE(div_r_overflow, WIDE(a, "1FFFFFFFFFFFF"); WIDE(d, "100000000000"); SMALL(r, "0");
	   TEE_BigIntDiv(NULL, r, a, d))
PANIC_CASE(mod_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntMod(a, a, n))
PANIC_CASE(mod_zero, WIDE(a, "5"); WIDE(n, "0"); TEE_BigIntMod(a, a, n))
PANIC_CASE(mod_negative, WIDE(a, "5"); WIDE(n, "-7"); TEE_BigIntMod(a, a, n))
PANIC_CASE(mod_overflow, WIDE(a, "FFFFFFFFFFF"); WIDE(n, "100000000000"); SMALL(r, "0");
	   TEE_BigIntMod(r, a, n))
PANIC_CASE(addmod_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntAddMod(a, a, a, n))
PANIC_CASE(submod_negative, WIDE(a, "5"); WIDE(n, "-5"); TEE_BigIntSubMod(a, a, a, n))
PANIC_CASE(mulmod_zero, WIDE(a, "5"); WIDE(n, "0"); TEE_BigIntMulMod(a, a, a, n))
PANIC_CASE(squaremod_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntSquareMod(a, a, n))
PANIC_CASE(invmod_zero, WIDE(a, "0"); WIDE(n, "7"); TEE_BigIntInvMod(a, a, n))
PANIC_CASE(invmod_not_coprime, WIDE(a, "6"); WIDE(n, "9"); TEE_BigIntInvMod(a, a, n))
PANIC_CASE(invmod_multiple, WIDE(a, "-12"); WIDE(n, "9"); TEE_BigIntInvMod(a, a, n))
PANIC_CASE(invmod_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntInvMod(a, a, n))
PANIC_CASE(expmod_two, WIDE(a, "5"); WIDE(n, "2"); TEE_BigIntExpMod(a, a, a, n, NULL))
PANIC_CASE(expmod_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntExpMod(a, a, a, n, NULL))
PANIC_CASE(expmod_negative, WIDE(a, "5"); WIDE(n, "-7"); TEE_BigIntExpMod(a, a, a, n, NULL))
PANIC_CASE(expmod_neg_exponent, WIDE(a, "5"); WIDE(e, "-3"); WIDE(n, "7");
	   TEE_BigIntExpMod(a, a, e, n, NULL))
PANIC_CASE(expmod_overflow, WIDE(a, "5"); WIDE(n, "100000000000F"); SMALL(r, "0");
	   TEE_BigIntExpMod(r, a, n, n, NULL))
PANIC_CASE(shift_overflow, WIDE(a, "-100000000000"); SMALL(r, "0"); TEE_BigIntShiftRight(r, a, 8))
PANIC_CASE(gcd_overflow, WIDE(a, "100000000000"); SMALL(r, "0");
	   TEE_BigIntComputeExtendedGcd(r, NULL, NULL, a, a))
PANIC_CASE(egcd_u_overflow, WIDE(a, "100000000001"); WIDE(b, "FFFFFFFFFFF3"); SMALL(u, "0");
	   WIDE(g, "0"); TEE_BigIntComputeExtendedGcd(g, u, NULL, a, b))
PANIC_CASE(to_fmm_one, WIDE(a, "5"); WIDE(n, "1"); TEE_BigIntConvertToFMM(a, a, n, NULL))
PANIC_CASE(from_fmm_overflow, WIDE(a, "100000000000"); SMALL(r, "0");
	   TEE_BigIntConvertFromFMM(r, a, a, NULL))
PANIC_CASE(compute_fmm_zero, WIDE(a, "5"); WIDE(n, "0"); TEE_BigIntComputeFMM(a, a, a, n, NULL))
PANIC_CASE(compute_fmm_negative, WIDE(a, "5"); WIDE(n, "-3");
	   TEE_BigIntComputeFMM(a, a, a, n, NULL))
PANIC_CASE(corrupt_header, WIDE(a, "5"); hdr_set(a, 1, 2, 3); TEE_BigIntGetBit(a, 0))
PANIC_CASE(corrupt_assign, WIDE(a, "5"); WIDE(b, "0"); hdr_set(a, 1, 1, 4); TEE_BigIntAssign(b, a))
/* controls: the same calls one step inside the limits return */
PANIC_CASE(init_largest, static TEE_BigInt big[512]; TEE_BigIntInit(big, 512))
PANIC_CASE(mod_two, WIDE(a, "5"); WIDE(n, "2"); TEE_BigIntMod(a, a, n))
PANIC_CASE(expmod_even, WIDE(a, "5"); WIDE(n, "4"); TEE_BigIntExpMod(a, a, a, n, NULL))
PANIC_CASE(add_fits, SMALL(a, "FFFFFFFE"); SMALL(b, "1"); TEE_BigIntAdd(a, a, b))

static void test_panics(void)
{
	static const struct { const char *name; void (*fn)(void *); } panics[] = {
#define P(f) { #f, f }
		P(init_too_large), P(init_gp11_too_large), P(init_no_header), P(from_s32_no_room),
		P(add_overflow), P(sub_overflow), P(neg_overflow), P(mul_overflow),
		P(square_overflow), P(div_by_zero), P(div_q_overflow), P(div_r_overflow),
		P(mod_one), P(mod_zero), P(mod_negative), P(mod_overflow), P(addmod_one),
		P(submod_negative), P(mulmod_zero), P(squaremod_one), P(invmod_zero),
		P(invmod_not_coprime), P(invmod_multiple), P(invmod_one), P(expmod_two),
		P(expmod_one), P(expmod_negative), P(expmod_neg_exponent), P(expmod_overflow),
		P(shift_overflow), P(gcd_overflow), P(egcd_u_overflow), P(to_fmm_one),
		P(from_fmm_overflow), P(compute_fmm_zero), P(compute_fmm_negative),
		P(corrupt_header), P(corrupt_assign),
	}, controls[] = {
		P(init_largest), P(mod_two), P(expmod_even), P(add_fits),
#undef P
	};
	uint32_t code;

	for (size_t i = 0; i < ARRAY_SIZE(panics); i++) {
		bool panicked = fake_panics(panics[i].fn, NULL, &code);

		CHECK(panicked && code == BIGINT_PANIC_CODE);
		if (!panicked || code != BIGINT_PANIC_CODE)
			fprintf(stderr, "  %s: panicked %d, code %#x\n", panics[i].name, panicked,
				(unsigned int)code);
	}
	for (size_t i = 0; i < ARRAY_SIZE(controls); i++) {
		CHECK(!fake_panics(controls[i].fn, NULL, &code));
		CHECK_EQ(code, 0xdeadbeef);
	}
}

int main(void)
{
	fake_start();
	test_layout();
	test_octets();
	test_s32();
	test_compare();
	test_bits();
	test_assign_abs();
	test_add_sub_neg_mul();
	test_div();
	test_modular();
	test_expmod();
	test_gcd();
	test_prime();
	test_fmm();
	test_panics();
	return check_report();
}
