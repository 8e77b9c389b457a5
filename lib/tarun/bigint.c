/* The GP TEE Arithmetical API, part one: OP-TEE's TEE_BigInt layout <-> BIGNUM, initialisation
 * and sizes, conversions, comparison, bits, shift, assignment; and the GP 1.1 twins of the
 * functions whose lengths changed type. Behaviour as libutee's tee_api_arith_mpi.c. */
#include "bigint_int.h"

#include <endian.h>
#include <string.h>

static struct bigint_hdr hdr_read(const TEE_BigInt *b)
{
	struct bigint_hdr h;

	memcpy(&h, b, sizeof(h));
	return h;
}

static void hdr_write(TEE_BigInt *b, struct bigint_hdr h)
{
	memcpy(b, &h, sizeof(h));
}

_Static_assert(sizeof(struct bigint_hdr) == BIGINT_HDR_WORDS * sizeof(uint32_t),
	       "the header is two words");

_Noreturn void bigint_panic(const char *func, int line, const char *why)
{
	trace_printf(func, line, TRACE_ERROR, true, "Panic: %s", why);
	tarun_panic(BIGINT_PANIC_CODE);
}

/* The limbs of b and how many are significant (the top zero ones trimmed, as libutee reads
 * them). More limbs in use than allocated is a header no API function writes: panic rather
 * than read past the TA's buffer. */
static const uint32_t *limbs_of(const TEE_BigInt *b, size_t *n)
{
	struct bigint_hdr h = hdr_read(b);
	const uint32_t *limbs = b + BIGINT_HDR_WORDS;
	size_t k = h.nblimbs;

	if (k > h.alloc_size)
		BIGINT_PANIC("corrupt TEE_BigInt header");
	while (k && !limbs[k - 1])
		k--;
	*n = k;
	return limbs;
}

BN_CTX *bigint_begin(void)
{
	BN_CTX *ctx = BN_CTX_secure_new();

	if (!ctx)
		BIGINT_PANIC("out of memory");
	BN_CTX_start(ctx);
	return ctx;
}

void bigint_end(BN_CTX *ctx)
{
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
}

BIGNUM *bigint_tmp(BN_CTX *ctx)
{
	BIGNUM *v = BN_CTX_get(ctx);

	if (!v)
		BIGINT_PANIC("out of memory");
	return v;
}

/* Limbs (host order) into v: one pass over them as a little-endian byte string. */
static bool load_limbs(BIGNUM *v, const uint32_t *limbs, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return BN_lebin2bn((const unsigned char *)limbs, (int)(n * 4), v) != NULL;
#else
	uint32_t *le = OPENSSL_malloc(n * 4 + 1);
	bool ok;

	if (!le)
		return false;
	for (size_t i = 0; i < n; i++)
		le[i] = htole32(limbs[i]);
	ok = BN_lebin2bn((const unsigned char *)le, (int)(n * 4), v) != NULL;
	OPENSSL_free(le);
	return ok;
#endif
}

BIGNUM *bigint_get(BN_CTX *ctx, const TEE_BigInt *b)
{
	BIGNUM *v = bigint_tmp(ctx);
	size_t n;
	const uint32_t *limbs = limbs_of(b, &n);

	BIGINT_OK(load_limbs(v, limbs, n));
	BN_set_negative(v, hdr_read(b).sign < 0);
	return v;
}

TEE_Result bigint_store(TEE_BigInt *b, const BIGNUM *v)
{
	struct bigint_hdr h = hdr_read(b);
	uint32_t *limbs = b + BIGINT_HDR_WORDS;
	size_t n = ((size_t)BN_num_bytes(v) + 3) / 4;

	if (n > h.alloc_size)
		return TEE_ERROR_OVERFLOW;
	if (n && BN_bn2lebinpad(v, (unsigned char *)limbs, (int)(n * 4)) < 0)
		BIGINT_PANIC("bignum operation failed");
	for (size_t i = 0; i < n; i++)
		limbs[i] = le32toh(limbs[i]);
	h.sign = BN_is_negative(v) ? -1 : 1;
	h.nblimbs = (uint16_t)n;
	hdr_write(b, h);
	return TEE_SUCCESS;
}

void bigint_put(TEE_BigInt *b, const BIGNUM *v)
{
	if (bigint_store(b, v) != TEE_SUCCESS)
		BIGINT_PANIC("result does not fit the destination");
}

bool bigint_modulus_ok(const BIGNUM *n)
{
	return !BN_is_negative(n) && BN_num_bits(n) >= 2;
}

static void set_s32(BIGNUM *v, int32_t x)
{
	BIGINT_OK(BN_set_word(v, x < 0 ? 0u - (uint32_t)x : (uint32_t)x));
	BN_set_negative(v, x < 0);
}

void TEE_BigIntInit(TEE_BigInt *bigInt, size_t len)
{
	struct bigint_hdr h = { .sign = 1 };

	/* gpd.tee.arith.maxBigIntSize is TARUN_BIGNUM_MAX_BITS; libutee's bound is in words */
	if (len > TARUN_BIGNUM_MAX_BITS / 4)
		BIGINT_PANIC("Too large bigint");
	if (len < BIGINT_HDR_WORDS)
		BIGINT_PANIC("no room for the bigint header");
	memset(bigInt, 0, len * sizeof(uint32_t));
	h.alloc_size = (uint16_t)(len - BIGINT_HDR_WORDS);
	hdr_write(bigInt, h);
}

void TEE_BigIntInitFMM(TEE_BigIntFMM *bigIntFMM, size_t len)
{
	TEE_BigIntInit(bigIntFMM, len);
}

/* OP-TEE's FMM representation is the plain one: the context holds nothing. */
void TEE_BigIntInitFMMContext(TEE_BigIntFMMContext *context, size_t len,
			      const TEE_BigInt *modulus)
{
	(void)context;
	(void)len;
	(void)modulus;
}

TEE_Result TEE_BigIntInitFMMContext1(TEE_BigIntFMMContext *context, size_t len,
				     const TEE_BigInt *modulus)
{
	TEE_BigIntInitFMMContext(context, len, modulus);
	return TEE_SUCCESS;
}

size_t TEE_BigIntFMMSizeInU32(size_t modulusSizeInBits)
{
	return TEE_BigIntSizeInU32(modulusSizeInBits);
}

size_t TEE_BigIntFMMContextSizeInU32(size_t modulusSizeInBits)
{
	(void)modulusSizeInBits;
	return 1; /* not 0, so that a TA's malloc of it succeeds */
}

TEE_Result TEE_BigIntConvertFromOctetString(TEE_BigInt *dest, const uint8_t *buffer,
					    size_t bufferLen, int32_t sign)
{
	uint16_t room = hdr_read(dest).alloc_size;
	TEE_Result res;
	BN_CTX *ctx;
	BIGNUM *v;

	/* leading zeros are no part of the value; the rest must fit before OpenSSL, which takes
	 * an int length, sees it */
	while (bufferLen && !*buffer) {
		buffer++;
		bufferLen--;
	}
	if (bufferLen > (size_t)room * 4)
		return TEE_ERROR_OVERFLOW;
	ctx = bigint_begin();
	v = bigint_tmp(ctx);
	BIGINT_OK(BN_bin2bn(buffer, (int)bufferLen, v));
	BN_set_negative(v, sign < 0);
	res = bigint_store(dest, v);
	bigint_end(ctx);
	return res;
}

/* The magnitude, big-endian, in as few bytes as it takes (none for zero); the length needed
 * is written back in every case. */
TEE_Result TEE_BigIntConvertToOctetString(uint8_t *buffer, size_t *bufferLen,
					  const TEE_BigInt *bigInt)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_get(ctx, bigInt);
	size_t need = (size_t)BN_num_bytes(v);
	TEE_Result res = TEE_SUCCESS;

	if (need <= *bufferLen)
		BN_bn2bin(v, buffer);
	else
		res = TEE_ERROR_SHORT_BUFFER;
	*bufferLen = need;
	bigint_end(ctx);
	return res;
}

void TEE_BigIntConvertFromS32(TEE_BigInt *dest, int32_t shortVal)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_tmp(ctx);

	set_s32(v, shortVal);
	bigint_put(dest, v);
	bigint_end(ctx);
}

/* OVERFLOW beyond 32 bits of magnitude (dest untouched) or outside int32_t (dest then holds
 * the wrapped value, as libutee's overflow builtins leave it). */
TEE_Result TEE_BigIntConvertToS32(int32_t *dest, const TEE_BigInt *src)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_get(ctx, src);
	TEE_Result res = TEE_ERROR_OVERFLOW;
	uint32_t magnitude;
	bool wrapped;

	if (BN_num_bits(v) <= 32) {
		magnitude = (uint32_t)BN_get_word(v);
		if (BN_is_negative(v))
			wrapped = __builtin_sub_overflow(0, magnitude, dest);
		else
			wrapped = __builtin_add_overflow(0, magnitude, dest);
		if (!wrapped)
			res = TEE_SUCCESS;
	}
	bigint_end(ctx);
	return res;
}

int32_t TEE_BigIntCmp(const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	BN_CTX *ctx = bigint_begin();
	int32_t rc = BN_cmp(bigint_get(ctx, op1), bigint_get(ctx, op2));

	bigint_end(ctx);
	return rc;
}

int32_t TEE_BigIntCmpS32(const TEE_BigInt *op, int32_t shortVal)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *s = bigint_tmp(ctx);
	int32_t rc;

	set_s32(s, shortVal);
	rc = BN_cmp(bigint_get(ctx, op), s);
	bigint_end(ctx);
	return rc;
}

/* The magnitude shifted, the sign kept (-5 >> 1 = -2); a result that does not fit dest
 * panics. */
void TEE_BigIntShiftRight(TEE_BigInt *dest, const TEE_BigInt *op, size_t bits)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_get(ctx, op);
	BIGNUM *r = bigint_tmp(ctx);

	if (bits >= (size_t)BN_num_bits(v))
		BN_zero(r);
	else
		BIGINT_OK(BN_rshift(r, v, (int)bits));
	bigint_put(dest, r);
	bigint_end(ctx);
}

/* Bits of the magnitude; bit 0 is the least significant. */
bool TEE_BigIntGetBit(const TEE_BigInt *src, uint32_t bitIndex)
{
	size_t n;
	const uint32_t *limbs = limbs_of(src, &n);

	return bitIndex / 32 < n && ((limbs[bitIndex / 32] >> (bitIndex % 32)) & 1);
}

uint32_t TEE_BigIntGetBitCount(const TEE_BigInt *src)
{
	size_t n;
	const uint32_t *limbs = limbs_of(src, &n);

	if (!n)
		return 0;
	return (uint32_t)((n - 1) * 32 + 32 - (size_t)__builtin_clz(limbs[n - 1]));
}

/* On the magnitude, the sign kept. OVERFLOW, op untouched, when a set bit lies beyond op's
 * allocation; clearing a bit beyond the value changes nothing. */
TEE_Result TEE_BigIntSetBit(TEE_BigInt *op, uint32_t bitIndex, bool value)
{
	TEE_Result res;
	BN_CTX *ctx;
	BIGNUM *v;

	if (value && bitIndex / 32 >= hdr_read(op).alloc_size)
		return TEE_ERROR_OVERFLOW;
	ctx = bigint_begin();
	v = bigint_get(ctx, op);
	if (value)
		BIGINT_OK(BN_set_bit(v, (int)bitIndex));
	else if (bitIndex < (uint32_t)BN_num_bits(v))
		BIGINT_OK(BN_clear_bit(v, (int)bitIndex));
	res = bigint_store(op, v);
	bigint_end(ctx);
	return res;
}

/* A copy of the header and the limbs in use, as libutee's: OVERFLOW when dest has fewer limbs
 * allocated than src uses. */
TEE_Result TEE_BigIntAssign(TEE_BigInt *dest, const TEE_BigInt *src)
{
	struct bigint_hdr s, d;
	size_t n;

	if (dest == src)
		return TEE_SUCCESS;
	(void)limbs_of(src, &n); /* the header's check */
	s = hdr_read(src);
	d = hdr_read(dest);
	if (d.alloc_size < s.nblimbs)
		return TEE_ERROR_OVERFLOW;
	memmove(dest + BIGINT_HDR_WORDS, src + BIGINT_HDR_WORDS, s.nblimbs * sizeof(uint32_t));
	d.sign = s.sign;
	d.nblimbs = s.nblimbs;
	hdr_write(dest, d);
	return TEE_SUCCESS;
}

TEE_Result TEE_BigIntAbs(TEE_BigInt *dest, const TEE_BigInt *src)
{
	TEE_Result res = TEE_BigIntAssign(dest, src);
	struct bigint_hdr d;

	if (res == TEE_SUCCESS) {
		d = hdr_read(dest);
		d.sign = 1;
		hdr_write(dest, d);
	}
	return res;
}

/* The GP 1.1 dialect (tee_api_compat.h): uint32_t lengths. */
void __GP11_TEE_BigIntInit(TEE_BigInt *bigInt, uint32_t len)
{
	TEE_BigIntInit(bigInt, len);
}

void __GP11_TEE_BigIntInitFMM(TEE_BigIntFMM *bigIntFMM, uint32_t len)
{
	TEE_BigIntInitFMM(bigIntFMM, len);
}

void __GP11_TEE_BigIntInitFMMContext(TEE_BigIntFMMContext *context, uint32_t len,
				     const TEE_BigInt *modulus)
{
	TEE_BigIntInitFMMContext(context, len, modulus);
}

uint32_t __GP11_TEE_BigIntFMMSizeInU32(uint32_t modulusSizeInBits)
{
	return (uint32_t)TEE_BigIntFMMSizeInU32(modulusSizeInBits);
}

uint32_t __GP11_TEE_BigIntFMMContextSizeInU32(uint32_t modulusSizeInBits)
{
	return (uint32_t)TEE_BigIntFMMContextSizeInU32(modulusSizeInBits);
}

TEE_Result __GP11_TEE_BigIntConvertFromOctetString(TEE_BigInt *dest, const uint8_t *buffer,
						   uint32_t bufferLen, int32_t sign)
{
	return TEE_BigIntConvertFromOctetString(dest, buffer, bufferLen, sign);
}

TEE_Result __GP11_TEE_BigIntConvertToOctetString(uint8_t *buffer, uint32_t *bufferLen,
						 const TEE_BigInt *bigInt)
{
	size_t len = *bufferLen;
	TEE_Result res = TEE_BigIntConvertToOctetString(buffer, &len, bigInt);

	*bufferLen = (uint32_t)len;
	return res;
}

void __GP11_TEE_BigIntShiftRight(TEE_BigInt *dest, const TEE_BigInt *op, uint32_t bits)
{
	TEE_BigIntShiftRight(dest, op, bits);
}
