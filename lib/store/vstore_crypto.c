// SPDX-License-Identifier: MIT
/*
 * The storage engine's primitives over OpenSSL 3's EVP: SHA-256, HKDF-SHA256, AES-256-GCM with
 * a random 96-bit IV per message, HMAC-SHA256. Every function returns 0 or -errno; a failed
 * authentication is -EBADMSG.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "vstore_int.h"

int vs_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

int vs_sha256(const void *buf, size_t len, uint8_t out[VS_HASH_BYTES])
{
	unsigned int n = 0;
	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1 || n != VS_HASH_BYTES)
		return -EIO;
	return 0;
}

int vs_hkdf(const uint8_t key[VSTORE_KEY_BYTES], const char *label, const void *ctx, size_t ctxlen,
	    uint8_t out[VSTORE_KEY_BYTES])
{
	uint8_t info[128];
	size_t ll = strlen(label);
	if (ll + ctxlen > sizeof(info))
		return -EINVAL;
	memcpy(info, label, ll);
	if (ctxlen)
		memcpy(info + ll, ctx, ctxlen);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -ENOMEM;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, VSTORE_KEY_BYTES),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)"vtee-vstore", 11),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, ll + ctxlen),
		OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(kc, out, VSTORE_KEY_BYTES, p) == 1;
	EVP_KDF_CTX_free(kc);
	vs_wipe(info, sizeof(info));
	return ok ? 0 : -EIO;
}

/* One GCM pass; enc: seal (tag written), else open (tag checked). */
static int gcm_run(bool enc, const uint8_t *key, const uint8_t *iv, const void *aad, size_t aadlen,
		   const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	if (len > INT_MAX || aadlen > INT_MAX)
		return -EINVAL;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return -ENOMEM;
	int n = 0, r = -EIO;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc ? 1 : 0) != 1)
		goto out;
	if (aadlen && EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, VS_TAG_BYTES, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + (len ? (size_t)n : 0), &n) != 1) {
		r = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, VS_TAG_BYTES, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int vs_gcm_seal(const uint8_t key[VSTORE_KEY_BYTES], const void *aad, size_t aadlen, const void *pt,
		size_t len, uint8_t *out)
{
	int r = vs_random(out, VS_IV_BYTES);
	if (r)
		return r;
	return gcm_run(true, key, out, aad, aadlen, pt, len, out + VS_IV_BYTES,
		       out + VS_IV_BYTES + len);
}

int vs_gcm_open(const uint8_t key[VSTORE_KEY_BYTES], const void *aad, size_t aadlen,
		const uint8_t *in, size_t inlen, uint8_t *pt)
{
	if (inlen < VS_GCM_OVERHEAD)
		return -EBADMSG;
	size_t len = inlen - VS_GCM_OVERHEAD;
	uint8_t tag[VS_TAG_BYTES];
	memcpy(tag, in + VS_IV_BYTES + len, VS_TAG_BYTES);
	int r = gcm_run(false, key, in, aad, aadlen, in + VS_IV_BYTES, len, pt, tag);
	if (r && len)
		vs_wipe(pt, len);
	return r;
}

struct vs_hmac {
	EVP_MAC_CTX *ctx;
};

int vs_hmac_new(const uint8_t key[VSTORE_KEY_BYTES], struct vs_hmac **out)
{
	*out = NULL;
	struct vs_hmac *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	h->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (!h->ctx || EVP_MAC_init(h->ctx, key, VSTORE_KEY_BYTES, p) != 1) {
		vs_hmac_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

int vs_hmac_update(struct vs_hmac *h, const void *buf, size_t len)
{
	return EVP_MAC_update(h->ctx, buf, len) == 1 ? 0 : -EIO;
}

int vs_hmac_final(struct vs_hmac *h, uint8_t out[VS_HASH_BYTES])
{
	size_t n = 0;
	if (EVP_MAC_final(h->ctx, out, &n, VS_HASH_BYTES) != 1 || n != VS_HASH_BYTES)
		return -EIO;
	return 0;
}

void vs_hmac_free(struct vs_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx);
	free(h);
}

int vs_hmac(const uint8_t key[VSTORE_KEY_BYTES], const void *buf, size_t len,
	    uint8_t out[VS_HASH_BYTES])
{
	struct vs_hmac *h;
	int r = vs_hmac_new(key, &h);
	if (r)
		return r;
	r = vs_hmac_update(h, buf, len);
	if (!r)
		r = vs_hmac_final(h, out);
	vs_hmac_free(h);
	return r;
}

bool vs_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void vs_wipe(void *buf, size_t len)
{
	OPENSSL_cleanse(buf, len);
}

void vs_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	if (!msg || !msglen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}
