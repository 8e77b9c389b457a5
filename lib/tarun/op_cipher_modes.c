/* The AES cipher modes behind TEE_Cipher*: ECB, CBC and CTR straight from OpenSSL; CTS
 * (CBC-CS3, as GP and OP-TEE define it: the last two blocks always swapped) and XTS (IEEE
 * 1619, with ciphertext stealing) built here on OpenSSL's block primitives, because
 * OpenSSL's own CTS and XTS take a whole message in one call while GP feeds it in pieces. */
#include "crypto_int.h"
#include "op_cipher.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define BS TARUN_AES_BLOCK

/* A context for AES in `mode` (ECB, CBC, CTR), no padding; NULL when the key is no AES key. */
EVP_CIPHER_CTX *aes_ctx_new(const char *mode, const uint8_t *key, size_t key_len,
			    const uint8_t *iv, bool enc)
{
	const char *name = aes_cipher_name(mode, key_len);
	EVP_CIPHER *c = name ? evp_cipher_fetch(name) : NULL;
	EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;

	if (ctx && (EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_CIPHER_free(c);
	return ctx;
}

TEE_Result aes_run(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	while (len) {
		/* EVP takes an int length */
		int n = len > (1u << 30) ? (1 << 30) : (int)len;
		int outl = 0;

		if (EVP_CipherUpdate(ctx, out, &outl, in, n) != 1 || outl != n)
			return TEE_ERROR_GENERIC;
		in += n;
		out += n;
		len -= (size_t)n;
	}
	return TEE_SUCCESS;
}

/* ---- CTS: CBC with the last two blocks swapped ---- */

TEE_Result cts_final(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t nb = (len + BS - 1) / BS;
	size_t m = len - (nb - 1) * BS; /* bytes in the last, partial or full, block */
	size_t lead = (nb - 2) * BS;
	uint8_t a[BS], b[BS];
	TEE_Result res;

	if (!len)
		return TEE_SUCCESS;
	if (nb < 2)
		return TEE_ERROR_BAD_STATE; /* OP-TEE's core refuses less than two blocks */
	res = aes_run(e->ctx, in, lead, out);
	if (res)
		return res;
	in += lead;
	out += lead;
	if (e->enc) {
		/* Cn-1 = CBC(Pn-1); Cn = CBC(Pn zero-padded); output Cn || Cn-1[0..m) */
		memset(b, 0, BS);
		memcpy(b, in + BS, m);
		res = aes_run(e->ctx, in, BS, a);
		if (!res)
			res = aes_run(e->ctx, b, BS, out);
		if (!res)
			memcpy(out + BS, a, m);
	} else {
		/* Dn = ECB^-1(Cn); Cn-1 = C*n-1 || Dn[m..); Pn-1 = CBC^-1(Cn-1); Pn = Dn ^ Cn-1 */
		res = aes_run(e->ecb, in, BS, a);
		if (!res) {
			memcpy(b, in + BS, m);
			memcpy(b + m, a + m, BS - m);
			res = aes_run(e->ctx, b, BS, out);
		}
		for (size_t i = 0; !res && i < m; i++)
			out[BS + i] = a[i] ^ b[i];
	}
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return res;
}

/* ---- XTS ---- */

/* The tweak times alpha in GF(2^128), little-endian as IEEE 1619 has it. */
static void xts_next(uint8_t t[BS])
{
	uint8_t carry = 0;

	for (int i = 0; i < BS; i++) {
		uint8_t c = t[i] >> 7;

		t[i] = (uint8_t)(t[i] << 1 | carry);
		carry = c;
	}
	if (carry)
		t[0] ^= 0x87;
}

static void xor_tweaks(uint8_t *buf, size_t nblocks, uint8_t t[BS])
{
	for (size_t b = 0; b < nblocks; b++) {
		for (int i = 0; i < BS; i++)
			buf[b * BS + i] ^= t[i];
		xts_next(t);
	}
}

/* Whole blocks with the running tweak: out = E(in ^ T) ^ T, block by block. */
TEE_Result xts_blocks(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t t[BS];
	TEE_Result res;

	if (!len)
		return TEE_SUCCESS;
	if (out != in)
		memmove(out, in, len);
	memcpy(t, e->tweak, BS);
	xor_tweaks(out, len / BS, t);
	res = aes_run(e->ctx, out, len, out);
	if (!res)
		xor_tweaks(out, len / BS, e->tweak); /* leaves the tweak for the next block */
	return res;
}

/* One block with the given tweak, the running tweak untouched. */
static TEE_Result xts_one(struct cipher_eng *e, const uint8_t *in, uint8_t *out,
			  const uint8_t t[BS])
{
	uint8_t x[BS];
	TEE_Result res;

	for (int i = 0; i < BS; i++)
		x[i] = in[i] ^ t[i];
	res = aes_run(e->ctx, x, BS, x);
	for (int i = 0; i < BS; i++)
		out[i] = x[i] ^ t[i];
	OPENSSL_cleanse(x, sizeof(x));
	return res;
}

TEE_Result xts_final(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t m = len % BS;
	size_t lead = len - m - (m ? BS : 0);
	uint8_t t1[BS], t2[BS], cc[BS], pp[BS];
	TEE_Result res;

	if (len && len < BS)
		return TEE_ERROR_BAD_PARAMETERS; /* a data unit is at least one block */
	res = xts_blocks(e, in, lead, out);
	if (res || !m)
		return res;
	in += lead;
	out += lead;
	/* the last full block and the partial one, with two consecutive tweaks */
	memcpy(t1, e->tweak, BS);
	memcpy(t2, t1, BS);
	xts_next(t2);
	res = xts_one(e, in, cc, e->enc ? t1 : t2);
	if (!res) {
		memcpy(pp, in + BS, m);
		memcpy(pp + m, cc + m, BS - m);
		memcpy(out + BS, cc, m);
		res = xts_one(e, pp, out, e->enc ? t2 : t1);
	}
	OPENSSL_cleanse(cc, sizeof(cc));
	OPENSSL_cleanse(pp, sizeof(pp));
	return res;
}

/* XTS needs key2's encryption of the IV as its first tweak. */
TEE_Result xts_start(struct cipher_eng *e, const uint8_t *key2, size_t key2_len,
		     const uint8_t *iv)
{
	EVP_CIPHER_CTX *k2 = aes_ctx_new("ECB", key2, key2_len, NULL, true);
	TEE_Result res = k2 ? aes_run(k2, iv, BS, e->tweak) : TEE_ERROR_BAD_PARAMETERS;

	EVP_CIPHER_CTX_free(k2);
	return res;
}
