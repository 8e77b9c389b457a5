// SPDX-License-Identifier: MIT
/*
 * Elliptic curves (vectors_ecc.h): ECDSA P-256/384/521 verification of the
 * RFC 6979 signatures and sign/verify round trips; Ed25519 signatures of
 * RFC 8032 (deterministic: they must come out exactly); ECDH P-256/384/521
 * (RFC 5903) and X25519 (RFC 7748) shared secrets through TEE_DeriveKey.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_ecc.h"

#define SIG_MAX 132	/* ECDSA P-521: r || s, 66 bytes each */

static uint32_t ecc_bytes(uint32_t bits)
{
	return (bits + 7) / 8;
}

/* Keypair (priv set) or public key of type, with curve as its value attribute. */
static TEE_ObjectHandle ec_object(struct kat *k, uint32_t type, uint32_t curve,
				  uint32_t bits, const char *priv, const char *x,
				  const char *y, const char *what)
{
	TEE_Attribute attrs[4];
	uint32_t n = 0;

	if (priv)
		kat_ref_attr(k, &attrs[n++], TEE_ATTR_ECC_PRIVATE_VALUE, priv);
	kat_ref_attr(k, &attrs[n++], TEE_ATTR_ECC_PUBLIC_VALUE_X, x);
	kat_ref_attr(k, &attrs[n++], TEE_ATTR_ECC_PUBLIC_VALUE_Y, y);
	TEE_InitValueAttribute(&attrs[n++], TEE_ATTR_ECC_CURVE, curve, 0);
	return kat_object(k, what, type, bits, attrs, n);
}

static TEE_OperationHandle keyed_op(struct kat *k, TEE_ObjectHandle obj,
				    uint32_t alg, uint32_t mode, uint32_t bits,
				    const char *what)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;

	if (obj != TEE_HANDLE_NULL)
		op = kat_operation(k, what, alg, mode, bits, obj);
	TEE_FreeTransientObject(obj);
	return op;
}

/* SUCCESS for sig over data as given; SIGNATURE_INVALID with one bit flipped. */
static void verify_both(struct kat *k, TEE_OperationHandle op, const void *data,
			size_t data_len, const uint8_t *sig, size_t sig_len,
			const char *name)
{
	uint8_t bad[SIG_MAX];
	char what[128];

	if (op == TEE_HANDLE_NULL || sig_len > sizeof(bad))
		return;
	snprintf(what, sizeof(what), "%s: verify", name);
	kat_res(k, TEE_AsymmetricVerifyDigest(op, NULL, 0, data, data_len, sig, sig_len),
		TEE_SUCCESS, what);
	memcpy(bad, sig, sig_len);
	bad[sig_len - 1] ^= 0x01;
	snprintf(what, sizeof(what), "%s: verify a flipped bit: SIGNATURE_INVALID", name);
	kat_res(k, TEE_AsymmetricVerifyDigest(op, NULL, 0, data, data_len, bad, sig_len),
		TEE_ERROR_SIGNATURE_INVALID, what);
}

static void ecdsa_vector(struct kat *k, const struct ecdsa_vec *v)
{
	uint8_t md[TEE_MAX_HASH_SIZE], sig[SIG_MAX];
	size_t md_len = 0, want_len = 0, sig_len = sizeof(sig);
	const uint8_t *want = kat_hex(k, v->sig, &want_len);
	TEE_OperationHandle verify, sign;
	TEE_Result res = kat_hash(v->hash, v->msg, strlen(v->msg), md, &md_len);
	char what[128];

	if (!want)
		return;
	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, v->name);
		return;
	}
	verify = keyed_op(k, ec_object(k, TEE_TYPE_ECDSA_PUBLIC_KEY, v->curve, v->bits,
				       NULL, v->x, v->y, v->name),
			  v->alg, TEE_MODE_VERIFY, v->bits, v->name);
	verify_both(k, verify, md, md_len, want, want_len, v->name);

	snprintf(what, sizeof(what), "%s key: sign round trip", v->name);
	sign = keyed_op(k, ec_object(k, TEE_TYPE_ECDSA_KEYPAIR, v->curve, v->bits,
				     v->d, v->x, v->y, what),
			v->alg, TEE_MODE_SIGN, v->bits, what);
	if (sign != TEE_HANDLE_NULL) {
		res = TEE_AsymmetricSignDigest(sign, NULL, 0, md, md_len, sig, &sig_len);
		if (kat_res(k, res, TEE_SUCCESS, what)) {
			kat_check(k, sig_len == 2 * ecc_bytes(v->bits),
				  "%s: signature is %zu bytes (%u)", what, sig_len,
				  (unsigned)(2 * ecc_bytes(v->bits)));
			verify_both(k, verify, md, md_len, sig, sig_len, what);
		}
	}
	TEE_FreeOperation(sign);
	TEE_FreeOperation(verify);
}

void kat_run_ecdsa(struct kat *k)
{
	for (size_t i = 0; i < sizeof(ecdsa_vecs) / sizeof(ecdsa_vecs[0]); i++)
		ecdsa_vector(k, &ecdsa_vecs[i]);
}

static void ed25519_vector(struct kat *k, const struct ed25519_vec *v)
{
	size_t msg_len = 0, want_len = 0, sig_len = 64;
	const uint8_t *msg = kat_hex(k, v->msg, &msg_len);
	const uint8_t *want = kat_hex(k, v->sig, &want_len);
	uint8_t sig[64];
	TEE_Attribute attrs[2];
	TEE_OperationHandle op;
	TEE_Result res;

	if (!msg || !want)
		return;
	kat_ref_attr(k, &attrs[0], TEE_ATTR_ED25519_PUBLIC_VALUE, v->pk);
	kat_ref_attr(k, &attrs[1], TEE_ATTR_ED25519_PRIVATE_VALUE, v->sk);
	op = keyed_op(k, kat_object(k, v->name, TEE_TYPE_ED25519_KEYPAIR, 256, attrs, 2),
		      TEE_ALG_ED25519, TEE_MODE_SIGN, 256, v->name);
	if (op != TEE_HANDLE_NULL) {
		res = TEE_AsymmetricSignDigest(op, NULL, 0, msg, msg_len, sig, &sig_len);
		if (kat_res(k, res, TEE_SUCCESS, v->name))
			kat_same(k, sig, sig_len, want, want_len, v->name);
		TEE_FreeOperation(op);
	}
	op = keyed_op(k, kat_object(k, v->name, TEE_TYPE_ED25519_PUBLIC_KEY, 256, attrs, 1),
		      TEE_ALG_ED25519, TEE_MODE_VERIFY, 256, v->name);
	verify_both(k, op, msg, msg_len, want, want_len, v->name);
	TEE_FreeOperation(op);
}

void kat_run_ed25519(struct kat *k)
{
	for (size_t i = 0; i < sizeof(ed25519_vecs) / sizeof(ed25519_vecs[0]); i++)
		ed25519_vector(k, &ed25519_vecs[i]);
}

/* TEE_DeriveKey with op and the peer's public value(s); compares the secret. */
static void derive(struct kat *k, TEE_OperationHandle op, const TEE_Attribute *peer,
		   uint32_t npeer, uint32_t secret_bits, const char *shared_hex,
		   const char *name)
{
	size_t want_len = 0, got_len = 0;
	const uint8_t *want = kat_hex(k, shared_hex, &want_len);
	uint8_t *got = kat_alloc(k, want_len + 16);
	TEE_ObjectHandle secret = TEE_HANDLE_NULL;
	TEE_Result res;

	if (op == TEE_HANDLE_NULL || !want || !got)
		return;
	res = TEE_AllocateTransientObject(TEE_TYPE_GENERIC_SECRET, secret_bits, &secret);
	if (!kat_res(k, res, TEE_SUCCESS, name))
		return;
	TEE_DeriveKey(op, peer, npeer, secret);
	got_len = want_len + 16;
	res = TEE_GetObjectBufferAttribute(secret, TEE_ATTR_SECRET_VALUE, got, &got_len);
	if (kat_res(k, res, TEE_SUCCESS, name))
		kat_same(k, got, got_len, want, want_len, name);
	TEE_FreeTransientObject(secret);
}

static void ecdh_vector(struct kat *k, const struct ecdh_vec *v)
{
	TEE_Attribute peer[2];
	TEE_OperationHandle op;

	kat_ref_attr(k, &peer[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, v->peer_x);
	kat_ref_attr(k, &peer[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, v->peer_y);
	op = keyed_op(k, ec_object(k, TEE_TYPE_ECDH_KEYPAIR, v->curve, v->bits,
				   v->priv, v->x, v->y, v->name),
		      TEE_ALG_ECDH_DERIVE_SHARED_SECRET, TEE_MODE_DERIVE, v->bits, v->name);
	derive(k, op, peer, 2, ecc_bytes(v->bits) * 8, v->shared, v->name);
	TEE_FreeOperation(op);
}

void kat_run_ecdh(struct kat *k)
{
	for (size_t i = 0; i < sizeof(ecdh_vecs) / sizeof(ecdh_vecs[0]); i++)
		ecdh_vector(k, &ecdh_vecs[i]);
}

static void x25519_vector(struct kat *k, const struct x25519_vec *v)
{
	TEE_Attribute attrs[2], peer;
	TEE_OperationHandle op;

	kat_ref_attr(k, &attrs[0], TEE_ATTR_X25519_PUBLIC_VALUE, v->pub);
	kat_ref_attr(k, &attrs[1], TEE_ATTR_X25519_PRIVATE_VALUE, v->priv);
	kat_ref_attr(k, &peer, TEE_ATTR_X25519_PUBLIC_VALUE, v->peer_pub);
	op = keyed_op(k, kat_object(k, v->name, TEE_TYPE_X25519_KEYPAIR, 256, attrs, 2),
		      TEE_ALG_X25519, TEE_MODE_DERIVE, 256, v->name);
	derive(k, op, &peer, 1, 256, v->shared, v->name);
	TEE_FreeOperation(op);
}

void kat_run_x25519(struct kat *k)
{
	for (size_t i = 0; i < sizeof(x25519_vecs) / sizeof(x25519_vecs[0]); i++)
		x25519_vector(k, &x25519_vecs[i]);
}
