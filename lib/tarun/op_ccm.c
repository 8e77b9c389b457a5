/* AES-CCM (NIST SP 800-38C, RFC 3610) over AES-ECB: CBC-MAC over B0, the encoded AAD and
 * the payload; CTR encryption from counter 1; the tag is the MAC masked with counter 0.
 * The lengths given at init are binding, as in OP-TEE: more AAD or payload than announced,
 * or payload before all the AAD, is refused (the TA panics). */
#include "op_ae.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define BS 16

struct ccm_state {
	EVP_CIPHER_CTX *ecb;
	uint8_t x[BS];      /* CBC-MAC state */
	size_t x_fill;      /* bytes absorbed into the current MAC block */
	uint8_t ctr[BS];    /* the counter block A_i */
	uint8_t ks[BS];     /* E(A_i) */
	size_t ks_used;     /* bytes of ks spent (BS: none left) */
	uint8_t s0[BS];     /* E(A_0), masks the tag */
	size_t L, tag_len;
	size_t aad_total, aad_done, pay_total, pay_done;
	bool enc;
};

static TEE_Result ecb1(struct ccm_state *s, const uint8_t in[BS], uint8_t out[BS])
{
	int outl = 0;

	return EVP_EncryptUpdate(s->ecb, out, &outl, in, BS) == 1 && outl == BS ?
		       TEE_SUCCESS : TEE_ERROR_GENERIC;
}

static TEE_Result mac_absorb(struct ccm_state *s, const uint8_t *p, size_t len)
{
	TEE_Result res = TEE_SUCCESS;

	while (len && !res) {
		size_t n = BS - s->x_fill;

		if (n > len)
			n = len;
		for (size_t i = 0; i < n; i++)
			s->x[s->x_fill + i] ^= p[i];
		s->x_fill += n;
		p += n;
		len -= n;
		if (s->x_fill == BS) {
			res = ecb1(s, s->x, s->x);
			s->x_fill = 0;
		}
	}
	return res;
}

/* Zero padding to the block boundary. */
static TEE_Result mac_pad(struct ccm_state *s)
{
	if (!s->x_fill)
		return TEE_SUCCESS;
	s->x_fill = 0;
	return ecb1(s, s->x, s->x);
}

static void ctr_next(struct ccm_state *s)
{
	for (size_t i = BS - 1; i >= BS - s->L; i--)
		if (++s->ctr[i])
			break;
}

/* B0 and the AAD length prefix into the MAC; A_0's keystream for the tag. */
static TEE_Result ccm_begin(struct ccm_state *s, const uint8_t *nonce, size_t nonce_len)
{
	uint8_t b0[BS], len_enc[10];
	size_t n = 0;
	TEE_Result res;

	b0[0] = (uint8_t)((s->aad_total ? 0x40 : 0) | ((s->tag_len - 2) / 2) << 3 | (s->L - 1));
	memcpy(b0 + 1, nonce, nonce_len);
	for (size_t i = 0; i < s->L; i++)
		b0[BS - 1 - i] = (uint8_t)((uint64_t)s->pay_total >> (8 * i));
	res = mac_absorb(s, b0, BS);
	if (s->aad_total && s->aad_total < 0xFF00) {
		len_enc[n++] = (uint8_t)(s->aad_total >> 8);
		len_enc[n++] = (uint8_t)s->aad_total;
	} else if (s->aad_total && (uint64_t)s->aad_total <= 0xFFFFFFFFu) {
		len_enc[n++] = 0xFF;
		len_enc[n++] = 0xFE;
		for (int i = 3; i >= 0; i--)
			len_enc[n++] = (uint8_t)((uint64_t)s->aad_total >> (8 * i));
	} else if (s->aad_total) {
		len_enc[n++] = 0xFF;
		len_enc[n++] = 0xFF;
		for (int i = 7; i >= 0; i--)
			len_enc[n++] = (uint8_t)((uint64_t)s->aad_total >> (8 * i));
	}
	if (!res)
		res = mac_absorb(s, len_enc, n);
	memset(s->ctr, 0, BS);
	s->ctr[0] = (uint8_t)(s->L - 1);
	memcpy(s->ctr + 1, nonce, nonce_len);
	if (!res)
		res = ecb1(s, s->ctr, s->s0);
	ctr_next(s);
	s->ks_used = BS;
	return res;
}

TEE_Result ccm_start(struct ccm_state **out, const uint8_t *key, size_t key_len,
		     const uint8_t *nonce, size_t nonce_len, size_t tag_len, size_t aad_len,
		     size_t payload_len, bool enc)
{
	const char *name = aes_cipher_name("ECB", key_len);
	struct ccm_state *s;
	EVP_CIPHER *c;
	TEE_Result res;

	if (!name || nonce_len > 13)
		return TEE_ERROR_BAD_PARAMETERS;
	if (tag_len < 4 || tag_len > 16 || tag_len % 2)
		return TEE_ERROR_NOT_SUPPORTED;
	if (nonce_len < 7 || (15 - nonce_len < 8 && payload_len >> (8 * (15 - nonce_len))))
		return TEE_ERROR_BAD_STATE; /* no room for the payload length */
	s = calloc(1, sizeof(*s));
	c = evp_cipher_fetch(name);
	if (!s || !c || !(s->ecb = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex2(s->ecb, c, key, NULL, NULL) != 1) {
		EVP_CIPHER_free(c);
		ccm_release(s);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	EVP_CIPHER_free(c);
	EVP_CIPHER_CTX_set_padding(s->ecb, 0);
	s->L = 15 - nonce_len;
	s->tag_len = tag_len;
	s->aad_total = aad_len;
	s->pay_total = payload_len;
	s->enc = enc;
	res = ccm_begin(s, nonce, nonce_len);
	if (res) {
		ccm_release(s);
		return res;
	}
	*out = s;
	return TEE_SUCCESS;
}

TEE_Result ccm_aad(struct ccm_state *s, const uint8_t *aad, size_t len)
{
	TEE_Result res;

	if (len > s->aad_total - s->aad_done)
		return TEE_ERROR_BAD_STATE;
	res = mac_absorb(s, aad, len);
	s->aad_done += len;
	if (!res && len && s->aad_done == s->aad_total)
		res = mac_pad(s);
	return res;
}

TEE_Result ccm_payload(struct ccm_state *s, const uint8_t *in, size_t len, uint8_t *out)
{
	TEE_Result res = TEE_SUCCESS;

	if (s->aad_done != s->aad_total || len > s->pay_total - s->pay_done)
		return TEE_ERROR_BAD_STATE;
	if (s->enc)
		res = mac_absorb(s, in, len);
	for (size_t i = 0; i < len && !res; i++) {
		if (s->ks_used == BS) {
			res = ecb1(s, s->ctr, s->ks);
			ctr_next(s);
			s->ks_used = 0;
		}
		out[i] = in[i] ^ s->ks[s->ks_used++];
	}
	if (!res && !s->enc)
		res = mac_absorb(s, out, len);
	s->pay_done += len;
	return res;
}

TEE_Result ccm_tag(struct ccm_state *s, uint8_t *tag, size_t *tag_len)
{
	TEE_Result res;

	if (s->pay_done != s->pay_total || s->aad_done != s->aad_total)
		return TEE_ERROR_BAD_STATE;
	res = mac_pad(s);
	for (size_t i = 0; !res && i < s->tag_len; i++)
		tag[i] = s->x[i] ^ s->s0[i];
	*tag_len = s->tag_len;
	return res;
}

TEE_Result ccm_dup(struct ccm_state **out, const struct ccm_state *s)
{
	struct ccm_state *d = malloc(sizeof(*d));

	if (!d)
		return TEE_ERROR_OUT_OF_MEMORY;
	*d = *s;
	d->ecb = EVP_CIPHER_CTX_new();
	if (!d->ecb || EVP_CIPHER_CTX_copy(d->ecb, s->ecb) != 1) {
		EVP_CIPHER_CTX_free(d->ecb);
		OPENSSL_clear_free(d, sizeof(*d));
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	*out = d;
	return TEE_SUCCESS;
}

void ccm_release(struct ccm_state *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ecb);
	OPENSSL_clear_free(s, sizeof(*s));
}
