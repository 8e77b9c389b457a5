// SPDX-License-Identifier: MIT
/*
 * SHA-1/224/256/384/512 and HMAC-SHA1..SHA512 against published answers
 * (vectors_hash.h), each also fed in pieces to exercise the update paths.
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_hash.h"

#define CHUNK 1000

/* msg repeated v->repeat times, in CHUNK-byte updates (msg length divides CHUNK). */
static void feed_repeated(TEE_OperationHandle op, const struct hash_vec *v,
			  uint8_t *chunk)
{
	size_t len = strlen(v->msg);
	size_t total = len * v->repeat;

	for (size_t i = 0; i < CHUNK; i++)
		chunk[i] = (uint8_t)v->msg[i % len];
	for (size_t done = 0; done < total; done += CHUNK)
		TEE_DigestUpdate(op, chunk, CHUNK);
}

static void one_digest(struct kat *k, const struct hash_vec *v, bool in_pieces)
{
	uint8_t md[TEE_MAX_HASH_SIZE];
	size_t md_len = sizeof(md);
	size_t want_len = 0;
	const uint8_t *want = kat_hex(k, v->md, &want_len);
	uint8_t *chunk = NULL;
	size_t len = strlen(v->msg);
	char what[128];
	TEE_OperationHandle op;
	TEE_Result res;

	snprintf(what, sizeof(what), "%s%s", v->name, in_pieces ? " (in 3 updates)" : "");
	if (v->repeat > 1)
		chunk = kat_alloc(k, CHUNK);
	if (!want || (v->repeat > 1 && !chunk))
		return;
	op = kat_operation(k, what, v->alg, TEE_MODE_DIGEST, 0, TEE_HANDLE_NULL);
	if (op == TEE_HANDLE_NULL)
		return;
	if (v->repeat > 1) {
		feed_repeated(op, v, chunk);
		res = TEE_DigestDoFinal(op, NULL, 0, md, &md_len);
	} else if (in_pieces) {
		TEE_DigestUpdate(op, v->msg, len / 3);
		TEE_DigestUpdate(op, v->msg + len / 3, len / 3);
		res = TEE_DigestDoFinal(op, v->msg + 2 * (len / 3),
					len - 2 * (len / 3), md, &md_len);
	} else {
		res = TEE_DigestDoFinal(op, v->msg, len, md, &md_len);
	}
	if (res != TEE_SUCCESS)
		kat_res(k, res, TEE_SUCCESS, what);
	else
		kat_same(k, md, md_len, want, want_len, what);
	TEE_FreeOperation(op);
}

void kat_run_digest(struct kat *k)
{
	for (size_t i = 0; i < sizeof(hash_vecs) / sizeof(hash_vecs[0]); i++) {
		one_digest(k, &hash_vecs[i], false);
		if (hash_vecs[i].repeat == 1 && strlen(hash_vecs[i].msg) > 3)
			one_digest(k, &hash_vecs[i], true);
	}
}

void kat_run_hmac(struct kat *k)
{
	for (size_t i = 0; i < sizeof(hmac_vecs) / sizeof(hmac_vecs[0]); i++) {
		const struct hmac_vec *v = &hmac_vecs[i];

		kat_mac_vector(k, v->name, v->alg, v->type, v->key, v->msg, v->mac);
	}
}
