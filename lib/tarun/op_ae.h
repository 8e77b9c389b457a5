/* Private to op_ae.c and op_ccm.c: AES-CCM built on AES-ECB, streaming as GP feeds it
 * (OpenSSL's CCM wants the whole payload in one call). */
#ifndef OP_AE_H
#define OP_AE_H

#include "crypto_int.h"

struct ccm_state;

/* TEE_SUCCESS, TEE_ERROR_NOT_SUPPORTED (tag length), or another error (the TA panics). */
TEE_Result ccm_start(struct ccm_state **out, const uint8_t *key, size_t key_len,
		     const uint8_t *nonce, size_t nonce_len, size_t tag_len, size_t aad_len,
		     size_t payload_len, bool enc);
TEE_Result ccm_aad(struct ccm_state *s, const uint8_t *aad, size_t len);
TEE_Result ccm_payload(struct ccm_state *s, const uint8_t *in, size_t len, uint8_t *out);
/* The full tag (tag_len bytes of ccm_start) once all the payload went through. */
TEE_Result ccm_tag(struct ccm_state *s, uint8_t *tag, size_t *tag_len);
TEE_Result ccm_dup(struct ccm_state **out, const struct ccm_state *s);
void ccm_release(struct ccm_state *s);

#endif
