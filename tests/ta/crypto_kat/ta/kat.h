/* SPDX-License-Identifier: MIT */
/*
 * What the known-answer families of crypto_kat share: the report a command
 * builds (one line per check), hex vectors decoded on demand, and helpers
 * that make a key object or an operation and report a refusal as a failed
 * check instead of going on with a null handle.
 */
#ifndef KAT_H
#define KAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>
#include <utee_defines.h>

#include <ta_report.h>

#define KAT_MAX_BUFS 192

struct kat {
	struct ta_report r;
	void *bufs[KAT_MAX_BUFS];	/* decoded vectors, freed by kat_end() */
	size_t nbufs;
};

TEE_Result kat_begin(struct kat *k);
void kat_end(struct kat *k);

/* One check: a "PASS what" or "FAIL what: why" line. Returns ok. */
bool kat_check(struct kat *k, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Fails with what and why (already formatted by the caller). */
void kat_fail(struct kat *k, const char *what, const char *why);
/* got == want, else a failure naming both codes. Returns got == want. */
bool kat_res(struct kat *k, TEE_Result got, TEE_Result want, const char *what);
/* got[0..got_len) == want[0..want_len), else where they differ. */
bool kat_same(struct kat *k, const void *got, size_t got_len,
	      const void *want, size_t want_len, const char *what);

/* hex (no separators) decoded into a buffer that lives until kat_end(). */
uint8_t *kat_hex(struct kat *k, const char *hex, size_t *len);
/* A zeroed buffer that lives until kat_end() (NULL: a failure is reported). */
uint8_t *kat_alloc(struct kat *k, size_t len);

const char *kat_res_name(TEE_Result r);

/* Attribute from a hex vector (decoded into k). */
void kat_ref_attr(struct kat *k, TEE_Attribute *attr, uint32_t id, const char *hex);

/*
 * A transient object of type and max_bits populated with attrs; on a refusal
 * reports a failure for what and returns TEE_HANDLE_NULL.
 */
TEE_ObjectHandle kat_object(struct kat *k, const char *what, uint32_t type,
			    uint32_t max_bits, const TEE_Attribute *attrs,
			    uint32_t count);
/*
 * An operation (alg, mode, max_bits) with key set if key is not NULL; on a
 * refusal reports a failure for what and returns TEE_HANDLE_NULL.
 */
TEE_OperationHandle kat_operation(struct kat *k, const char *what,
				  uint32_t alg, uint32_t mode,
				  uint32_t max_bits, TEE_ObjectHandle key);
/* A secret-key object (AES, HMAC-*, generic) of the given bytes. */
TEE_ObjectHandle kat_secret(struct kat *k, const char *what, uint32_t type,
			    const uint8_t *key, size_t len);

/*
 * An operation (alg, mode) keyed with a secret of type made of key; on a
 * refusal reports a failure for what and returns TEE_HANDLE_NULL.
 */
TEE_OperationHandle kat_secret_operation(struct kat *k, const char *what, uint32_t type,
					 const uint8_t *key, size_t len, uint32_t alg,
					 uint32_t mode);

/* Digest of msg with alg into out (TEE_MAX_HASH_SIZE bytes); length in *len. */
TEE_Result kat_hash(uint32_t alg, const void *msg, size_t msg_len, void *out,
		    size_t *len);

/*
 * One MAC known answer: key (of key_type), msg and mac in hex; a mac shorter
 * than the algorithm's is a truncation (only its leading bytes are compared).
 */
void kat_mac_vector(struct kat *k, const char *name, uint32_t alg,
		    uint32_t key_type, const char *key_hex, const char *msg_hex,
		    const char *mac_hex);

/* The families, one per command. */
void kat_run_digest(struct kat *k);
void kat_run_hmac(struct kat *k);
void kat_run_cmac(struct kat *k);
void kat_run_cbc_mac(struct kat *k);
void kat_run_aes(struct kat *k);
void kat_run_aes_cts(struct kat *k);
void kat_run_aes_xts(struct kat *k);
void kat_run_aes_gcm(struct kat *k);
void kat_run_aes_ccm(struct kat *k);
void kat_run_rsa_sign(struct kat *k);
void kat_run_rsa_cipher(struct kat *k);
void kat_run_ecdsa(struct kat *k);
void kat_run_ed25519(struct kat *k);
void kat_run_ecdh(struct kat *k);
void kat_run_x25519(struct kat *k);
void kat_run_keygen(struct kat *k);
void kat_run_random(struct kat *k);
void kat_run_errors(struct kat *k);

#endif
