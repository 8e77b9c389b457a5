/* Private to op_cipher.c and op_cipher_modes.c: the state of a cipher operation. */
#ifndef OP_CIPHER_H
#define OP_CIPHER_H

#include "crypto_int.h"

struct cipher_eng {
	EVP_CIPHER_CTX *ctx; /* ECB, CBC, CTR: the mode; CTS: its CBC; XTS: key1's ECB */
	EVP_CIPHER_CTX *ecb; /* CTS: ECB for the stolen block */
	uint8_t tweak[TARUN_AES_BLOCK]; /* XTS: the tweak of the next block */
	bool enc;
};

/* AES context for "ECB", "CBC" or "CTR" without padding; NULL if the key is not 16/24/32. */
EVP_CIPHER_CTX *aes_ctx_new(const char *mode, const uint8_t *key, size_t key_len,
			    const uint8_t *iv, bool enc);
/* Runs len bytes (whole blocks, or any for CTR) through ctx. */
TEE_Result aes_run(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t len, uint8_t *out);

TEE_Result cts_final(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out);
TEE_Result xts_start(struct cipher_eng *e, const uint8_t *key2, size_t key2_len,
		     const uint8_t *iv);
TEE_Result xts_blocks(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out);
TEE_Result xts_final(struct cipher_eng *e, const uint8_t *in, size_t len, uint8_t *out);

#endif
