/* SPDX-License-Identifier: MIT */
/*
 * What the files of lib/store share: the crypto primitives (vstore_crypto.c), whole-file I/O on a
 * directory fd (vstore_file.c), the manifest and object formats (vstore_manifest.c,
 * vstore_object.c), the anchor (vstore_anchor.c), vm.key (vstore_key.c), the export stream
 * (vstore_export.c). Every length read from disk or from an import stream is bounded here.
 */
#ifndef VTEE_VSTORE_INT_H
#define VTEE_VSTORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vstore.h"

#define VS_HASH_BYTES 32u
#define VS_IV_BYTES 12u
#define VS_TAG_BYTES 16u
#define VS_GCM_OVERHEAD (VS_IV_BYTES + VS_TAG_BYTES)
#define VS_MAGIC_BYTES 8u

/* Bounds on what a hostile file may claim. */
#define VS_MANIFEST_MAX_OBJECTS (1u << 18)
#define VS_MANIFEST_MAX_BYTES (48u << 20)
#define VS_OBJECT_MAX_BYTES \
	(VS_MAGIC_BYTES + VS_GCM_OVERHEAD + 12u + VSTORE_META_MAX + VSTORE_DATA_MAX)

/* File names in the state directory. */
#define VS_NAME_VMKEY "vm.key"
#define VS_NAME_MANIFEST "manifest"
#define VS_NAME_MANIFEST_TMP "manifest.tmp"
#define VS_NAME_LOCK "lock"
#define VS_NAME_OWNER "owner"
#define VS_NAME_KEEPER "keeper" /* vstore.h; daemon/tee/storage.c names it too */
#define VS_OBJ_NAME_LEN 21u /* "obj-" + 16 hex + NUL */

/* ---- vstore_crypto.c: OpenSSL 3 EVP; every function 0 or -errno ---- */
int vs_random(void *buf, size_t len);
int vs_sha256(const void *buf, size_t len, uint8_t out[VS_HASH_BYTES]);
/* HKDF-SHA256(key, info = label || ctx) -> 32 bytes. */
int vs_hkdf(const uint8_t key[VSTORE_KEY_BYTES], const char *label, const void *ctx, size_t ctxlen,
	    uint8_t out[VSTORE_KEY_BYTES]);
/* out = iv || ciphertext || tag (len + VS_GCM_OVERHEAD bytes), random iv. */
int vs_gcm_seal(const uint8_t key[VSTORE_KEY_BYTES], const void *aad, size_t aadlen, const void *pt,
		size_t len, uint8_t *out);
/* in as vs_gcm_seal wrote it; pt gets inlen - VS_GCM_OVERHEAD bytes; -EBADMSG if it fails. */
int vs_gcm_open(const uint8_t key[VSTORE_KEY_BYTES], const void *aad, size_t aadlen,
		const uint8_t *in, size_t inlen, uint8_t *pt);
struct vs_hmac;
int vs_hmac_new(const uint8_t key[VSTORE_KEY_BYTES], struct vs_hmac **out);
int vs_hmac_update(struct vs_hmac *h, const void *buf, size_t len);
int vs_hmac_final(struct vs_hmac *h, uint8_t out[VS_HASH_BYTES]);
void vs_hmac_free(struct vs_hmac *h);
int vs_hmac(const uint8_t key[VSTORE_KEY_BYTES], const void *buf, size_t len,
	    uint8_t out[VS_HASH_BYTES]);
bool vs_equal(const void *a, const void *b, size_t len); /* constant time */
void vs_wipe(void *buf, size_t len);

/* ---- little-endian fields ---- */
static inline void vs_put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void vs_put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t vs_get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}
static inline uint64_t vs_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- vstore_file.c: whole files relative to a directory fd (O_NOFOLLOW|O_CLOEXEC) ---- */
int vs_write_all(int fd, const void *buf, size_t len);
/* Reads up to len bytes (less only at end of file); returns the count or -errno. */
long vs_read_full(int fd, void *buf, size_t len);
/* A regular file of at most max bytes, malloc'd (-EFBIG beyond, -ENOENT if missing). */
int vs_read_file_at(int dirfd, const char *name, size_t max, uint8_t **buf, size_t *len);
/* Writes name.tmp-less: O_CREAT|O_EXCL|O_WRONLY, the bytes, fsync, close. */
int vs_create_file_at(int dirfd, const char *name, const void *buf, size_t len);
/* Writes tmp, fsyncs it, renames it over name, fsyncs the directory. */
int vs_replace_file_at(int dirfd, const char *tmp, const char *name, const void *buf, size_t len);
int vs_open_dir_at(int dirfd, const char *name, int *out); /* O_RDONLY|O_DIRECTORY */
/* mkdir -p with mode 0700 for the missing components; then opens it. */
int vs_mkdirs_open(const char *path, int *out);
void vs_obj_name(uint64_t fileno, char name[VS_OBJ_NAME_LEN]);
bool vs_parse_obj_name(const char *name, uint64_t *fileno);
/* Removes our files (vm.key, manifest*, lock, owner, obj-*) from the directory, then it. */
int vs_remove_state_dir_at(int parentfd, const char *name);
bool vs_valid_vm_name(const char *name);
#define VS_ANCHOR_NAME_MAX 176
/* "<vm_name>-<16 hex of SHA-256 of the canonical state dir>.anchor" (vstore_key.c) */
int vs_anchor_name(const char *state_dir, const char *vm_name, char name[VS_ANCHOR_NAME_MAX]);

/* ---- vstore_manifest.c ---- */
struct vs_entry {
	struct vstore_key key;
	uint64_t fileno;
	uint32_t meta_len;
	uint64_t data_len;
	uint8_t file_hash[VS_HASH_BYTES];
	bool reported; /* a failed check was logged already */
};

struct vs_manifest {
	uint64_t version;
	uint8_t prev_hash[VS_HASH_BYTES];
	uint8_t state_id[16];
	uint64_t next_fileno;
	uint64_t bytes; /* meta + data of all entries */
	uint32_t count, cap;
	struct vs_entry *e; /* ordered by vs_key_cmp */
};

int vs_key_cmp(const struct vstore_key *a, const struct vstore_key *b);
bool vs_key_valid(const struct vstore_key *k);
int vs_cmp_u64(const void *a, const void *b); /* qsort/bsearch of file numbers */
/* true if found at *pos; otherwise *pos is where it would go. */
bool vs_manifest_find(const struct vs_manifest *m, const struct vstore_key *k, uint32_t *pos);
int vs_manifest_insert(struct vs_manifest *m, uint32_t pos, const struct vs_entry *e);
void vs_manifest_remove(struct vs_manifest *m, uint32_t pos);
void vs_manifest_free(struct vs_manifest *m);
/* Plaintext form (the fuzz target parses it directly). */
int vs_manifest_parse_plain(const uint8_t *buf, size_t len, const uint8_t state_id[16],
			    struct vs_manifest *m);
/* The file: magic || GCM(plaintext), under the manifest key. */
int vs_manifest_encode(const struct vs_manifest *m, const uint8_t mkey[VSTORE_KEY_BYTES],
		       uint8_t **out, size_t *len);
int vs_manifest_decode(const uint8_t mkey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		       const uint8_t *buf, size_t len, struct vs_manifest *m);

/* ---- vstore_object.c ---- */
size_t vs_obj_file_size(uint32_t meta_len, uint64_t data_len);
int vs_obj_key(const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t uuid[16],
	       uint8_t out[VSTORE_KEY_BYTES]);
int vs_obj_encode(const uint8_t okey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		  const struct vs_entry *e, const void *meta, const void *data, uint8_t **out,
		  size_t *len);
/* Checks the file's size and hash against e, decrypts and parses it. */
int vs_obj_decode(const uint8_t okey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		  const struct vs_entry *e, const uint8_t *buf, size_t len, void **meta, void **data);
/* The decrypted form: meta_len u32 || data_len u64 || meta || data (the fuzz target). */
int vs_obj_parse_plain(const uint8_t *pt, size_t len, const struct vs_entry *e, void **meta,
		       void **data);

/* ---- vstore_anchor.c: two MACed slots, the one for version v at (v & 1) ---- */
struct vs_anchor {
	bool empty;    /* a new anchor file: nothing written yet */
	uint64_t version;
	uint8_t hash[VS_HASH_BYTES];
};
int vs_anchor_read(int fd, const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		   struct vs_anchor *out);
int vs_anchor_write(int fd, const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		    uint64_t version, const uint8_t hash[VS_HASH_BYTES]);
/* A whole anchor file <name><suffix> holding `version` (written to <name>.tmp, renamed, fsynced). */
int vs_anchor_put_file(int dfd, const char *name, const char *suffix,
		       const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		       uint64_t version, const uint8_t hash[VS_HASH_BYTES]);
/* Adopts <name>.new if it names the state in state_fd, else removes it; 0 if there is none. */
int vs_anchor_adopt_new(int dfd, const char *name, int state_fd,
			const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16]);
/* SHA-256 of the state's manifest; all zero and *present false when there is none. */
int vs_manifest_hash_at(int state_fd, uint8_t hash[VS_HASH_BYTES], bool *present);
/* Completes a reset a crash interrupted (<anchor>.reset left): vstore_restore.c. */
int vs_reset_resume(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		    size_t msglen);

/* ---- vstore_key.c: vm.key ---- */
#define VS_VMKEY_FILE_BYTES (VS_MAGIC_BYTES + 16u + 16u + VSTORE_KEY_BYTES + VS_GCM_OVERHEAD)
int vs_vmkey_wrap(const struct vstore_host_key *hk, const uint8_t state_id[16],
		  const uint8_t vm_key[VSTORE_KEY_BYTES], uint8_t out[VS_VMKEY_FILE_BYTES]);
int vs_vmkey_unwrap(const struct vstore_host_key *hk, const uint8_t *buf, size_t len,
		    uint8_t state_id[16], uint8_t vm_key[VSTORE_KEY_BYTES], char *msg, size_t msglen);
/* Reads vm.key in dirfd and unwraps it (-ENOENT if missing). */
int vs_vmkey_load_at(int dirfd, const struct vstore_host_key *hk, uint8_t state_id[16],
		     uint8_t vm_key[VSTORE_KEY_BYTES], char *msg, size_t msglen);

/* ---- vstore_export.c: the import stream parser (the fuzz target drives it from memory) ---- */
struct vs_reader {
	int fd;             /* -1: read from buf */
	const uint8_t *buf;
	size_t len, pos;
};
struct vs_import_info {
	uint8_t state_id[16];
	uint8_t vm_key[VSTORE_KEY_BYTES];
	uint64_t version;
	bool has_manifest;
	uint32_t objects;
};
/* The header: checks the recipient, unwraps the VM key with `from`. */
int vs_import_header(struct vs_reader *r, const struct vstore_host_key *from,
		     struct vs_import_info *info, struct vs_hmac **mac, char *msg, size_t msglen);
/* The records and the MAC; files go into stage_fd (-1: parse and check only). */
int vs_import_records(struct vs_reader *r, struct vs_hmac *mac, int stage_fd,
		      struct vs_import_info *info, char *msg, size_t msglen);

/* ---- vstore.c, vstore_commit.c: the open store ---- */
#include <pthread.h>
struct vstore {
	pthread_mutex_t mu;
	int dir_fd, anchor_fd, lock_fd, owner_fd;
	uint8_t vm_key[VSTORE_KEY_BYTES], mkey[VSTORE_KEY_BYTES], state_id[16];
	struct vstore_quota quota;
	struct vs_manifest m;
	uint8_t hash[VS_HASH_BYTES]; /* the manifest file's (zero: none yet) */
	size_t manifest_bytes;
	bool anchor_stale; /* the last commit could not write the anchor: retry first */
	bool corrupt;      /* the whole state failed at open */
	uint64_t commits, corrupt_objects;
	/* What vstore_get_stats() answers, refreshed by vs_publish_stats() under mu: a status query
	 * never waits for a commit (which holds mu through its fsyncs). */
	pthread_mutex_t stats_mu;
	struct vstore_stats pub;
	vstore_log_fn *log;
	void *log_arg;
};
void vs_log(struct vstore *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes s->m as the next version (manifest, directory, anchor). On failure nothing changed. */
int vs_commit(struct vstore *s);
int vs_get_locked(struct vstore *s, const struct vstore_key *k, void **meta, void **data);
/* With mu held: the figures of s as they are now become what vstore_get_stats() answers. */
void vs_publish_stats(struct vstore *s);

void vs_msg(char *msg, size_t msglen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
