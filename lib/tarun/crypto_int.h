/* Private to the cryptographic half of libvtee_ta (obj_*.c, op_*.c, crypto_*.c): objects,
 * operations, the handle registry and the OpenSSL glue they share.
 *
 * OP-TEE splits this work between libutee (argument checks, panics, the block buffering of
 * ciphers) and its core (key storage, the crypto itself); both halves live here, in one
 * process. Handles are pointers to the structures below, handed to the TA and validated
 * against a registry (crypto_handles.c) before anything is read through them: a handle the
 * registry does not know panics the TA, as OP-TEE's core rejects an unknown object or state.
 */
#ifndef CRYPTO_INT_H
#define CRYPTO_INT_H

#include "tarun_int.h"

#include <openssl/evp.h>

/* The usage of a fresh or reset object: everything. */
#define USAGE_ALL 0xFFFFFFFF

#define TARUN_MAX_HASH 64   /* SHA-512 */
#define TARUN_AES_BLOCK 16
#define TARUN_RSA_MAX_BITS 4096 /* OP-TEE's CFG_CORE_BIGNUM_MAX_BITS */

/* ---- handle registry (crypto_handles.c) ---- */

enum handle_kind { HANDLE_OBJECT = 1, HANDLE_OPERATION, HANDLE_OBJ_ENUM };

/* 0, or -ENOMEM. */
int handle_register(const void *h, enum handle_kind kind);
void handle_unregister(const void *h);
bool handle_is(const void *h, enum handle_kind kind);

/* Panics unless `h` is a live handle of that kind; returns it, now safe to dereference. */
TEE_ObjectHandle obj_checked(TEE_ObjectHandle h);
TEE_OperationHandle op_checked(TEE_OperationHandle h);

/* ---- object types and their attributes (obj_types.c) ---- */

enum attr_kind { ATTR_SECRET, ATTR_BIGNUM, ATTR_VALUE, ATTR_KEY32 };

#define ATTR_REQUIRED  (1u << 0) /* populate needs it */
#define ATTR_OPT_GROUP (1u << 1) /* populate: all of the group or none */
#define ATTR_SIZE_IND  (1u << 2) /* gives the object's size */
#define ATTR_GEN_OPT   (1u << 3) /* TEE_GenerateKey may take it */
#define ATTR_GEN_REQ   (1u << 4) /* TEE_GenerateKey needs it */

struct attr_desc {
	uint32_t id;
	uint8_t flags;
	uint8_t kind; /* enum attr_kind */
};

struct obj_type {
	uint32_t type;
	uint16_t min_bits, max_bits;
	uint8_t quantum;     /* sizes are multiples of it */
	uint8_t nattrs;
	const struct attr_desc *attrs;
};

#define OBJ_MAX_ATTRS 8

const struct obj_type *obj_type_find(uint32_t type);
/* Index of attribute `id` in the type's list, or -1. */
int obj_type_attr_index(const struct obj_type *t, uint32_t id);
/* TEE_SUCCESS, or TEE_ERROR_NOT_SUPPORTED when `bits` breaks the type's rules. */
TEE_Result obj_type_check_size(const struct obj_type *t, uint32_t bits);

/* ---- objects (obj_transient.c, obj_attr.c, obj_keygen.c) ---- */

struct obj_attr {
	bool set;
	uint32_t a, b;   /* ATTR_VALUE */
	uint8_t *buf;    /* the others; bignums without leading zero bytes */
	size_t len;
};

struct __TEE_ObjectHandle {
	TEE_ObjectInfo info;        /* type, size, max size, usage, handle flags (data 0) */
	const struct obj_type *t;   /* NULL for TEE_TYPE_DATA */
	struct obj_attr attr[OBJ_MAX_ATTRS];
	EVP_PKEY *pkey;             /* built from the attributes on first use */
	uint32_t st_obj;            /* the TEE's handle of a persistent object, 0: transient */
};

/* An object outside the registry (an operation's own key slots use these). */
TEE_Result obj_new(uint32_t type, uint32_t max_bits, TEE_ObjectHandle *out);
void obj_destroy(TEE_ObjectHandle o);
/* Forgets the attributes, as TEE_ResetTransientObject. */
void obj_clear(TEE_ObjectHandle o);
/* TEE_CopyObjectAttributes1 without the handle checks (an operation's key slots use it):
 * panics as OP-TEE does, then copies the attributes, size and usage. */
void obj_copy_object(TEE_ObjectHandle dst, TEE_ObjectHandle src);
/* The core half of TEE_CopyObjectAttributes1: types must match, or keypair -> its public type.
 * TEE_ERROR_BAD_PARAMETERS / _BAD_STATE / _OUT_OF_MEMORY, nothing copied then. */
TEE_Result obj_copy_attrs(TEE_ObjectHandle dst, TEE_ObjectHandle src);
/* Sets attribute `idx` from bytes (kind-dependent checks); TEE_ERROR_* as OP-TEE's from_user. */
TEE_Result obj_attr_store(TEE_ObjectHandle o, int idx, const void *buf, size_t len);
const struct obj_attr *obj_attr_get(TEE_ObjectHandle o, uint32_t id);
/* Populate's core: store `attrs`, work out the size; no checks of which ones are given. */
TEE_Result obj_store_attrs(TEE_ObjectHandle o, const TEE_Attribute *attrs, uint32_t count);
/* The required/optional rules of populate (gen = false) or key generation (gen = true). */
TEE_Result obj_check_attr_set(const struct obj_type *t, const TEE_Attribute *attrs,
			      uint32_t count, bool gen);
TEE_Result obj_generate(TEE_ObjectHandle o, uint32_t bits, const TEE_Attribute *params,
			uint32_t count);

/* ---- persistent objects (obj_persistent*.c, obj_data.c, obj_enum.c, obj_meta.c) ----
 * A persistent handle is an object like a transient one (its attributes in memory, so the
 * crypto code reads it the same way) with handleFlags PERSISTENT | INITIALIZED | its data
 * flags and the TEE's handle in st_obj. */

static inline bool obj_is_persistent(TEE_ObjectHandle o)
{
	return o->info.handleFlags & TEE_HANDLE_FLAG_PERSISTENT;
}
/* TEE_CloseObject of a persistent handle: the TEE closes it, then the handle is freed. */
void pobj_close(TEE_ObjectHandle o);
/* info.dataSize brought up to date from the TEE (another handle may have changed it). */
TEE_Result pobj_refresh_size(TEE_ObjectHandle o);
/* TEE_RestrictObjectUsage1 on a persistent object: the TEE stores the new usage first. */
TEE_Result pobj_restrict_usage(TEE_ObjectHandle o, uint32_t usage);

/* ---- OpenSSL keys from and to attributes (crypto_pkey.c) ---- */

/* The object's key as an EVP_PKEY, built once and kept with the object (NULL: the attributes
 * make no key OpenSSL accepts). Borrowed: the object owns it. */
EVP_PKEY *obj_pkey(TEE_ObjectHandle o);
/* An EC public key on a GP curve from X and Y; NULL if they make no point of it. */
EVP_PKEY *ecc_public_pkey(uint32_t curve, const void *x, size_t xl, const void *y, size_t yl);
/* Stores a generated key's attributes into the object. */
TEE_Result obj_from_pkey(TEE_ObjectHandle o, EVP_PKEY *pkey);
/* OpenSSL group name, field size in bytes and size in bits of a GP curve; false if unknown. */
bool ecc_curve_info(uint32_t curve, const char **name, size_t *bytes, uint32_t *bits);

/* ---- algorithms (crypto_algs.c) ---- */

struct alg_info {
	uint32_t alg;
	uint8_t op_class;      /* TEE_OPERATION_* */
	uint8_t main;          /* MAIN_* below */
	uint16_t digest_len;   /* TEE_OperationInfo.digestLength */
	uint16_t block_size;   /* libutee's buffering unit (1: none) */
	bool two_blocks;       /* CTS/XTS keep two blocks back */
	uint32_t hash;         /* TEE_ALG_SHA* the algorithm hashes with, 0 if none */
	uint32_t key_type;     /* TEE_TYPE_* of a public/secret key */
	uint32_t key_type_priv;/* TEE_TYPE_* when the mode needs the private key */
	uint16_t fixed_bits;   /* maxKeySize must equal this (0: any) */
	uint16_t max_bits;     /* maxKeySize must not exceed this (0: no limit here) */
};

enum alg_main {
	MAIN_NONE, MAIN_DIGEST, MAIN_HMAC, MAIN_CBC_MAC, MAIN_CMAC, MAIN_ECB, MAIN_CBC, MAIN_CTR,
	MAIN_CTS, MAIN_XTS, MAIN_GCM, MAIN_CCM, MAIN_RSA_SIGN, MAIN_RSA_PSS, MAIN_RSA_V15_NOOID,
	MAIN_RSAES_V15, MAIN_RSA_OAEP, MAIN_RSA_NOPAD, MAIN_ECDSA, MAIN_ED25519, MAIN_ECDH,
	MAIN_X25519,
};

const struct alg_info *alg_find(uint32_t alg);
/* EVP digest of a TEE_ALG_SHA* id (fetched once), NULL if unsupported. */
const EVP_MD *evp_md_for(uint32_t hash_alg);
size_t hash_size_of(uint32_t hash_alg);
EVP_CIPHER *evp_cipher_fetch(const char *name); /* caller frees */
/* OpenSSL's name of AES in "ECB", "CBC", "CTR" or "GCM" for a key of that many bytes; NULL
 * when the key is no AES key (16, 24 or 32 bytes). */
const char *aes_cipher_name(const char *mode, size_t key_len);

/* ---- operations (op_*.c) ---- */

struct op_engine; /* per class, private to its file */

struct __TEE_OperationHandle {
	TEE_OperationInfo info;
	uint32_t state;            /* TEE_OPERATION_STATE_* */
	const struct alg_info *ai;
	TEE_ObjectHandle key1, key2; /* the operation's own copies, never seen by the TA */
	/* libutee's block buffer: whole blocks are processed, a tail waits here */
	uint8_t buf[2 * TARUN_MAX_HASH];
	size_t buf_offs;
	/* class state */
	EVP_MD_CTX *md;
	void *eng;                 /* MAC / cipher / AE engine */
};

/* Class hooks (op_alloc.c calls them); eng_* free and copy the engine state. */
TEE_Result digest_setup(TEE_OperationHandle op);
void mac_free(TEE_OperationHandle op);
TEE_Result mac_copy(TEE_OperationHandle dst, TEE_OperationHandle src);
void cipher_free(TEE_OperationHandle op);
TEE_Result cipher_copy(TEE_OperationHandle dst, TEE_OperationHandle src);
void ae_free(TEE_OperationHandle op);
TEE_Result ae_copy(TEE_OperationHandle dst, TEE_OperationHandle src);

/* The reset of libutee: back to INITIAL, the digest re-armed, other classes uninitialised. */
void op_reset_state(TEE_OperationHandle op);
/* libutee's set_operation_key, on a checked key or an operation's own slot (no state check). */
TEE_Result op_set_key(TEE_OperationHandle op, TEE_ObjectHandle key);

/* AE pieces the GP 1.1 twins reuse (op_ae.c): panic on error / SHORT_BUFFER with the size. */
void ae_update_aad(TEE_OperationHandle op, const void *data, size_t len);
TEE_Result ae_update(TEE_OperationHandle op, const void *src, size_t len, void *dst,
		     size_t *dlen);

/* Asymmetric engines (op_rsa.c, op_ecc.c): results as OP-TEE's core gives them to libutee,
 * which then lets some through and panics on the others (op_asym.c). */
TEE_Result rsa_sign(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		    const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len);
TEE_Result rsa_verify(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		      const uint8_t *digest, size_t len, const uint8_t *sig, size_t sig_len);
TEE_Result rsa_crypt(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		     const uint8_t *src, size_t len, uint8_t *dst, size_t *dst_len);
TEE_Result ecc_sign(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		    const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len);
TEE_Result ecc_verify(TEE_OperationHandle op, const TEE_Attribute *params, uint32_t count,
		      const uint8_t *digest, size_t len, const uint8_t *sig, size_t sig_len);

/* libutee's block buffering (op_buffer.c): feed `len` bytes, process whole blocks through
 * `fn`, keep the tail (one block back, or two for CTS/XTS). Returns the bytes written. */
typedef TEE_Result (*block_fn)(TEE_OperationHandle op, const uint8_t *in, size_t len,
			       uint8_t *out);
size_t op_buffer_out_len(TEE_OperationHandle op, size_t len);
size_t op_buffer_feed(TEE_OperationHandle op, block_fn fn, const uint8_t *src, size_t len,
		      uint8_t *dst);

/* ---- shared helpers ---- */

/* The TA's attribute array copied (GP 1.1 layout converted); free with attrs_free. */
TEE_Attribute *attrs_from_gp11(const __GP11_TEE_Attribute *a, uint32_t count);
void attrs_free(TEE_Attribute *a);
/* TEE_ObjectInfo in the GP 1.1 layout (keySize, maxKeySize, 32-bit data size and position). */
void obj_info_to_gp11(const TEE_ObjectInfo *in, __GP11_TEE_ObjectInfo *out);
const TEE_Attribute *attr_find(const TEE_Attribute *a, uint32_t count, uint32_t id);

/* Panics with `code` unless `cond`: the libutee checks that end the TA. */
#define PANIC_UNLESS(cond, code) do { if (!(cond)) tarun_panic(code); } while (0)
/* A result libutee does not let through panics the TA. */
void require_result(TEE_Result res, const TEE_Result *allowed, size_t n);
#define ALLOW_ONLY(res, ...)                                                                  \
	do {                                                                                  \
		const TEE_Result allowed_[] = { TEE_SUCCESS, __VA_ARGS__ };                   \
		require_result(res, allowed_, sizeof(allowed_) / sizeof(allowed_[0]));        \
	} while (0)

/* memcmp in constant time over n bytes: 0 when equal. */
int ct_compare(const void *a, const void *b, size_t n);

#endif
