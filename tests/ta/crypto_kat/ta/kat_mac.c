// SPDX-License-Identifier: MIT
/*
 * MACs: the one known-answer routine HMAC, AES-CMAC and AES-CBC-MAC share,
 * and the CMAC / CBC-MAC families (vectors_mac.h).
 */
#include <stdio.h>
#include <string.h>
#include <tee_internal_api.h>

#include "kat.h"
#include "vectors_mac.h"

/* MACInit, one Update with the first half, ComputeFinal with the rest. */
static TEE_Result compute_mac(TEE_OperationHandle op, const uint8_t *msg,
			      size_t len, uint8_t *mac, size_t *mac_len)
{
	TEE_MACInit(op, NULL, 0);
	TEE_MACUpdate(op, msg, len / 2);
	return TEE_MACComputeFinal(op, msg + len / 2, len - len / 2, mac, mac_len);
}

static void check_mac(struct kat *k, TEE_OperationHandle op, const char *name,
		      const uint8_t *msg, size_t msg_len,
		      const uint8_t *want, size_t want_len)
{
	uint8_t mac[TEE_MAX_HASH_SIZE];
	size_t mac_len = sizeof(mac);
	char what[128];
	TEE_Result res = compute_mac(op, msg, msg_len, mac, &mac_len);

	if (res != TEE_SUCCESS) {
		kat_res(k, res, TEE_SUCCESS, name);
		return;
	}
	if (want_len < mac_len) {
		/* a truncated answer: the leading bytes of the full MAC */
		kat_same(k, mac, want_len, want, want_len, name);
		return;
	}
	kat_same(k, mac, mac_len, want, want_len, name);
	snprintf(what, sizeof(what), "%s: TEE_MACCompareFinal", name);
	TEE_MACInit(op, NULL, 0);
	kat_res(k, TEE_MACCompareFinal(op, msg, msg_len, want, want_len),
		TEE_SUCCESS, what);
}

void kat_mac_vector(struct kat *k, const char *name, uint32_t alg,
		    uint32_t key_type, const char *key_hex, const char *msg_hex,
		    const char *mac_hex)
{
	size_t key_len = 0, msg_len = 0, want_len = 0;
	const uint8_t *key = kat_hex(k, key_hex, &key_len);
	const uint8_t *msg = kat_hex(k, msg_hex, &msg_len);
	const uint8_t *want = kat_hex(k, mac_hex, &want_len);
	TEE_OperationHandle op;

	if (!key || !msg || !want)
		return;
	op = kat_secret_operation(k, name, key_type, key, key_len, alg, TEE_MODE_MAC);
	if (op == TEE_HANDLE_NULL)
		return;
	check_mac(k, op, name, msg, msg_len, want, want_len);
	TEE_FreeOperation(op);
}

static void run_aes_macs(struct kat *k, const struct mac_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kat_mac_vector(k, v[i].name, v[i].alg, TEE_TYPE_AES, v[i].key,
			       v[i].msg, v[i].mac);
}

void kat_run_cmac(struct kat *k)
{
	run_aes_macs(k, cmac_vecs, sizeof(cmac_vecs) / sizeof(cmac_vecs[0]));
}

void kat_run_cbc_mac(struct kat *k)
{
	run_aes_macs(k, cbc_mac_vecs, sizeof(cbc_mac_vecs) / sizeof(cbc_mac_vecs[0]));
}
