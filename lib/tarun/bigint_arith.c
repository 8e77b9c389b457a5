/* The GP TEE Arithmetical API, part two: arithmetic, modular arithmetic and the fast modular
 * multiplication functions (on plain TEE_BigInts, as OP-TEE's). Behaviour as libutee's
 * tee_api_arith_mpi.c: every operand may be the destination; a result that does not fit its
 * destination, a modulus below 2, a division by zero or an inverse that does not exist panic
 * the TA. */
#include "bigint_int.h"

/* r = f(a, b) for the plain operations; r = f(a, b) mod m for the modular ones (b may be
 * unused). */
typedef int bn_op(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx);
typedef int bn_mod_op(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m,
		      BN_CTX *ctx);

static int add(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx)
{
	(void)ctx;
	return BN_add(r, a, b);
}

static int sub(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx)
{
	(void)ctx;
	return BN_sub(r, a, b);
}

static int mod(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *ctx)
{
	(void)b;
	return BN_nnmod(r, a, m, ctx);
}

static int mod_sqr(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *ctx)
{
	(void)b;
	return BN_mod_sqr(r, a, m, ctx);
}

static void binary(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2, bn_op *f)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *r = bigint_tmp(ctx);

	BIGINT_OK(f(r, bigint_get(ctx, op1), bigint_get(ctx, op2), ctx));
	bigint_put(dest, r);
	bigint_end(ctx);
}

/* The result is in [0, n), whatever the operands' signs and sizes. */
static void modular(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2,
		    const TEE_BigInt *n, bn_mod_op *f)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *m = bigint_get(ctx, n);
	BIGNUM *r = bigint_tmp(ctx);

	if (!bigint_modulus_ok(m))
		BIGINT_PANIC("Modulus is too short");
	BIGINT_OK(f(r, bigint_get(ctx, op1), bigint_get(ctx, op2), m, ctx));
	bigint_put(dest, r);
	bigint_end(ctx);
}

void TEE_BigIntAdd(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	binary(dest, op1, op2, add);
}

void TEE_BigIntSub(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	binary(dest, op1, op2, sub);
}

void TEE_BigIntNeg(TEE_BigInt *dest, const TEE_BigInt *op)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_get(ctx, op);

	BN_set_negative(v, !BN_is_negative(v)); /* zero stays zero */
	bigint_put(dest, v);
	bigint_end(ctx);
}

void TEE_BigIntMul(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	binary(dest, op1, op2, BN_mul);
}

void TEE_BigIntSquare(TEE_BigInt *dest, const TEE_BigInt *op)
{
	TEE_BigIntMul(dest, op, op);
}

/* Truncating division: the quotient rounds toward zero, the remainder has the dividend's sign
 * (-53 / 7 = -7 remainder -4). Either destination may be NULL. */
void TEE_BigIntDiv(TEE_BigInt *dest_q, TEE_BigInt *dest_r, const TEE_BigInt *op1,
		   const TEE_BigInt *op2)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *a = bigint_get(ctx, op1);
	BIGNUM *d = bigint_get(ctx, op2);
	BIGNUM *q = bigint_tmp(ctx);
	BIGNUM *r = bigint_tmp(ctx);

	if (BN_is_zero(d))
		BIGINT_PANIC("division by zero");
	BIGINT_OK(BN_div(q, r, a, d, ctx));
	if (dest_q)
		bigint_put(dest_q, q);
	if (dest_r)
		bigint_put(dest_r, r);
	bigint_end(ctx);
}

void TEE_BigIntMod(TEE_BigInt *dest, const TEE_BigInt *op, const TEE_BigInt *n)
{
	modular(dest, op, op, n, mod);
}

void TEE_BigIntAddMod(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2,
		      const TEE_BigInt *n)
{
	modular(dest, op1, op2, n, BN_mod_add);
}

void TEE_BigIntSubMod(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2,
		      const TEE_BigInt *n)
{
	modular(dest, op1, op2, n, BN_mod_sub);
}

void TEE_BigIntMulMod(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2,
		      const TEE_BigInt *n)
{
	modular(dest, op1, op2, n, BN_mod_mul);
}

void TEE_BigIntSquareMod(TEE_BigInt *dest, const TEE_BigInt *op, const TEE_BigInt *n)
{
	modular(dest, op, op, n, mod_sqr);
}

void TEE_BigIntInvMod(TEE_BigInt *dest, const TEE_BigInt *op, const TEE_BigInt *n)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *m = bigint_get(ctx, n);
	BIGNUM *a = bigint_get(ctx, op);
	BIGNUM *r = bigint_tmp(ctx);

	if (!bigint_modulus_ok(m) || BN_is_zero(a))
		BIGINT_PANIC("too small modulus or trying to invert zero");
	if (!BN_mod_inverse(r, a, m, ctx))
		BIGINT_PANIC("no inverse: gcd(op, n) != 1");
	bigint_put(dest, r);
	bigint_end(ctx);
}

/* dest = op1^op2 mod n. The context is not needed (it may be NULL). A modulus up to 2 panics;
 * an even one is TEE_ERROR_NOT_SUPPORTED, dest untouched (Montgomery multiplication needs an
 * odd modulus, as in libutee); a negative exponent panics. The exponent may be a private key:
 * OpenSSL's constant-time path. */
TEE_Result TEE_BigIntExpMod(TEE_BigInt *dest, const TEE_BigInt *op1, const TEE_BigInt *op2,
			    const TEE_BigInt *n, const TEE_BigIntFMMContext *context)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *m = bigint_get(ctx, n);
	BIGNUM *e = bigint_get(ctx, op2);
	BIGNUM *r = bigint_tmp(ctx);
	TEE_Result res = TEE_ERROR_NOT_SUPPORTED;

	(void)context;
	if (!bigint_modulus_ok(m) || BN_is_word(m, 2))
		BIGINT_PANIC("too small modulus");
	if (BN_is_odd(m)) {
		if (BN_is_negative(e))
			BIGINT_PANIC("negative exponent");
		BN_set_flags(e, BN_FLG_CONSTTIME);
		BIGINT_OK(BN_mod_exp(r, bigint_get(ctx, op1), e, m, ctx));
		bigint_put(dest, r);
		res = TEE_SUCCESS;
	}
	bigint_end(ctx);
	return res;
}

void TEE_BigIntConvertToFMM(TEE_BigIntFMM *dest, const TEE_BigInt *src, const TEE_BigInt *n,
			    const TEE_BigIntFMMContext *context)
{
	(void)context;
	TEE_BigIntMod(dest, src, n);
}

/* A copy: an FMM value is its plain value (n is not used, as in libutee). */
void TEE_BigIntConvertFromFMM(TEE_BigInt *dest, const TEE_BigIntFMM *src, const TEE_BigInt *n,
			      const TEE_BigIntFMMContext *context)
{
	BN_CTX *ctx = bigint_begin();

	(void)n;
	(void)context;
	bigint_put(dest, bigint_get(ctx, src));
	bigint_end(ctx);
}

void TEE_BigIntFMMConvertToBigInt(TEE_BigInt *dest, const TEE_BigIntFMM *src,
				  const TEE_BigInt *n, const TEE_BigIntFMMContext *context)
{
	TEE_BigIntConvertFromFMM(dest, src, n, context);
}

/* (op1 * op2) mod n. libutee makes no modulus check here: n = 1 gives 0, n <= 0 fails in its
 * bignum library and panics. */
void TEE_BigIntComputeFMM(TEE_BigIntFMM *dest, const TEE_BigIntFMM *op1,
			  const TEE_BigIntFMM *op2, const TEE_BigInt *n,
			  const TEE_BigIntFMMContext *context)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *m = bigint_get(ctx, n);
	BIGNUM *r = bigint_tmp(ctx);

	(void)context;
	if (BN_is_zero(m) || BN_is_negative(m))
		BIGINT_PANIC("modulus <= 0");
	BIGINT_OK(BN_mod_mul(r, bigint_get(ctx, op1), bigint_get(ctx, op2), m, ctx));
	bigint_put(dest, r);
	bigint_end(ctx);
}
