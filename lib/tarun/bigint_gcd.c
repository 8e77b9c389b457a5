/* The GP TEE Arithmetical API, part three: greatest common divisor, extended GCD and
 * primality. Behaviour as libutee's tee_api_arith_mpi.c, including which Bezout coefficients
 * the extended GCD returns: libutee computes them with the binary extended GCD of the Handbook
 * of Applied Cryptography (algorithm 14.61) on the magnitudes, larger first, and so does this
 * file, so that a TA sees the same u and v on vtee as on OP-TEE. */
#include "bigint_int.h"

bool TEE_BigIntRelativePrime(const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *g = bigint_tmp(ctx);
	bool coprime;

	BIGINT_OK(BN_gcd(g, bigint_get(ctx, op1), bigint_get(ctx, op2), ctx));
	coprime = BN_is_one(g);
	bigint_end(ctx);
	return coprime;
}

/* One halving step of HAC 14.61 (steps 4 and 5): p, q <- p/2, q/2 when both are even, else
 * (p + y)/2, (q - x)/2; the sums are even then, so the shifts divide exactly. */
static void halve_pair(BIGNUM *p, BIGNUM *q, const BIGNUM *x, const BIGNUM *y)
{
	if (BN_is_odd(p) || BN_is_odd(q)) {
		BIGINT_OK(BN_add(p, p, y));
		BIGINT_OK(BN_sub(q, q, x));
	}
	BIGINT_OK(BN_rshift1(p, p));
	BIGINT_OK(BN_rshift1(q, q));
}

/* HAC 14.61 on x > y >= 0: g = gcd(x, y) = a*x + b*y. */
static void binary_egcd(BN_CTX *ctx, BIGNUM *g, BIGNUM *a, BIGNUM *b, const BIGNUM *x_in,
			const BIGNUM *y_in)
{
	BIGNUM *x = bigint_tmp(ctx), *y = bigint_tmp(ctx), *u = bigint_tmp(ctx);
	BIGNUM *A = bigint_tmp(ctx), *B = bigint_tmp(ctx);
	BIGNUM *C = bigint_tmp(ctx), *D = bigint_tmp(ctx);
	int twos = 0;

	if (BN_is_zero(y_in)) {
		BIGINT_OK(BN_one(a) && BN_copy(g, x_in));
		BN_zero(b);
		return;
	}
	BIGINT_OK(BN_copy(x, x_in) && BN_copy(y, y_in));
	for (; !BN_is_odd(x) && !BN_is_odd(y); twos++)
		BIGINT_OK(BN_rshift1(x, x) && BN_rshift1(y, y));
	BIGINT_OK(BN_copy(u, x) && BN_copy(g, y) && BN_one(A) && BN_one(D));
	BN_zero(B);
	BN_zero(C);
	while (!BN_is_zero(u)) {
		for (; !BN_is_odd(u); halve_pair(A, B, x, y))
			BIGINT_OK(BN_rshift1(u, u));
		for (; !BN_is_odd(g); halve_pair(C, D, x, y))
			BIGINT_OK(BN_rshift1(g, g));
		if (BN_cmp(u, g) >= 0)
			BIGINT_OK(BN_sub(u, u, g) && BN_sub(A, A, C) && BN_sub(B, B, D));
		else
			BIGINT_OK(BN_sub(g, g, u) && BN_sub(C, C, A) && BN_sub(D, D, B));
	}
	BIGINT_OK(BN_copy(a, C) && BN_copy(b, D) && BN_lshift(g, g, twos));
}

/* gcd = u*op1 + v*op2, gcd >= 0. u and v are each optional (libutee needs both or neither). */
void TEE_BigIntComputeExtendedGcd(TEE_BigInt *gcd, TEE_BigInt *u, TEE_BigInt *v,
				  const TEE_BigInt *op1, const TEE_BigInt *op2)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *x = bigint_get(ctx, op1), *y = bigint_get(ctx, op2);
	BIGNUM *g = bigint_tmp(ctx), *cu = bigint_tmp(ctx), *cv = bigint_tmp(ctx);
	bool neg_x = BN_is_negative(x), neg_y = BN_is_negative(y);
	int cmp;

	BN_set_negative(x, 0);
	BN_set_negative(y, 0);
	cmp = BN_cmp(x, y);
	if (cmp == 0) {
		BIGINT_OK(BN_copy(g, x) && BN_one(cu));
		BN_zero(cv);
	} else if (cmp > 0) {
		binary_egcd(ctx, g, cu, cv, x, y);
	} else {
		binary_egcd(ctx, g, cv, cu, y, x);
	}
	/* the coefficients of the magnitudes, turned into those of the signed operands */
	BN_set_negative(cu, BN_is_negative(cu) != neg_x);
	BN_set_negative(cv, BN_is_negative(cv) != neg_y);
	if (u)
		bigint_put(u, cu);
	if (v)
		bigint_put(v, cv);
	bigint_put(gcd, g);
	bigint_end(ctx);
}

/* 1: probably prime (OpenSSL's Miller-Rabin, error below 2^-128), 0: composite. As libutee:
 * the confidence level is not used (libutee's is 2^-80 whatever the TA asks), the magnitude is
 * tested (-7 is "prime"), and -1 ("certainly prime") is never answered. */
int32_t TEE_BigIntIsProbablePrime(const TEE_BigInt *op, uint32_t confidenceLevel)
{
	BN_CTX *ctx = bigint_begin();
	BIGNUM *v = bigint_get(ctx, op);
	int rc;

	(void)confidenceLevel;
	BN_set_negative(v, 0);
	rc = BN_check_prime(v, ctx, NULL);
	if (rc < 0)
		BIGINT_PANIC("primality test failed");
	bigint_end(ctx);
	return rc;
}
