/* Private to the GP TEE Arithmetical API files of libvtee_ta (bigint*.c): OP-TEE's in-memory
 * TEE_BigInt and its conversion to and from OpenSSL's BIGNUM, which does the arithmetic.
 *
 * A TEE_BigInt is, as libutee lays it out (tee_api_arith_mpi.c): a header of two words, the
 * sign (int32_t, 1 or -1) and two uint16_t, the limbs allocated (TEE_BigIntInit's len - 2) and
 * the limbs in use; then 32-bit limbs, least significant first. TEE_BigIntSizeInU32(n) =
 * ((n + 31) / 32) + 2. FMM values are plain TEE_BigInts and the FMM context is unused, as in
 * OP-TEE.
 *
 * Every failure OP-TEE turns into a panic panics the TA with its code 0xB16127 ("BIGINT"), after
 * an error line naming the API function. */
#ifndef TARUN_BIGINT_INT_H
#define TARUN_BIGINT_INT_H

#include "tarun_int.h"

#include <openssl/bn.h>

#define BIGINT_PANIC_CODE 0xB16127u
#define BIGINT_HDR_WORDS 2

struct bigint_hdr {
	int32_t sign;
	uint16_t alloc_size;
	uint16_t nblimbs;
};

_Noreturn void bigint_panic(const char *func, int line, const char *why);
#define BIGINT_PANIC(why) bigint_panic(__func__, __LINE__, (why))
/* An OpenSSL call that failed (out of memory, or refused its input) panics, as MPI_CHECK. */
#define BIGINT_OK(call) do { if (!(call)) BIGINT_PANIC("bignum operation failed"); } while (0)

/* One API call's bignums: a BN_CTX frame; bigint_end frees them all. */
BN_CTX *bigint_begin(void);
void bigint_end(BN_CTX *ctx);
BIGNUM *bigint_tmp(BN_CTX *ctx);
/* A bignum of the frame holding the value of b (a limb count beyond the allocation panics). */
BIGNUM *bigint_get(BN_CTX *ctx, const TEE_BigInt *b);

/* Writes v into b: TEE_ERROR_OVERFLOW, b untouched, when its limbs do not fit b's allocation. */
TEE_Result bigint_store(TEE_BigInt *b, const BIGNUM *v);
/* The same where OP-TEE panics when the result does not fit. */
void bigint_put(TEE_BigInt *b, const BIGNUM *v);

/* n >= 2: what every modular function requires of its modulus (else it panics). */
bool bigint_modulus_ok(const BIGNUM *n);

#endif
