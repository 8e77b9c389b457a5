// SPDX-License-Identifier: MIT
/*
 * A VM's state as one file: export, import, reset.
 *
 * Export format, version 1 (all integers little endian):
 *
 *   header (116 bytes)
 *     magic         8   "VTEEEXP1"
 *     format        u32 1
 *     flags         u32 0
 *     recipient     16  id of the host key the file is for (16 hex digits, vstore_host_key.id)
 *     state id      16  the VM state's id (from vm.key)
 *     version       u64 the manifest's version (0: nothing committed yet, no manifest record)
 *     wrapped key   60  AES-256-GCM of the VM key: iv 12 | ciphertext 32 | tag 16, under
 *                       HKDF-SHA256(recipient host key, info "vtee export wrap" || state id),
 *                       AAD = the 56 bytes above
 *   records, each: type u8 | file number u64 | length u64 | length bytes
 *     'M'  the manifest file as on disk (file number 0; at most once, first; at most 48 MiB)
 *     'O'  one object file as on disk (obj-<file number, 16 hex>; at most 64 MiB + 16 KiB + 48)
 *     'E'  the end (file number 0, length 0)
 *   mac         32  HMAC-SHA256 over everything before it, key HKDF-SHA256(VM key,
 *                   info "vtee export mac" || state id)
 *   nothing after the MAC.
 *
 * The files keep their own encryption (keys derived from the VM key, docs/storage.md), so the
 * file reveals sizes and counts but no content; only the holder of the recipient host key
 * unwraps the VM key and so checks the MAC. Import writes everything into a staging directory
 * beside the state directory (".<name>.import"), checks the MAC and the manifest, re-wraps the
 * VM key with the local host key, and only then swaps the staging directory in
 * (renameat2 RENAME_EXCHANGE), removes the old state and sets the anchor to the imported
 * manifest (vstore_restore.c: the order that keeps state and anchor in step across a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vstore_int.h"

static const uint8_t exp_magic[VS_MAGIC_BYTES] = "VTEEEXP1";
#define EXP_FORMAT 1u
#define HDR_AAD (VS_MAGIC_BYTES + 4u + 4u + 16u + 16u + 8u)
#define HDR_BYTES (HDR_AAD + VSTORE_KEY_BYTES + VS_GCM_OVERHEAD)
#define REC_HDR 17u
#define CHUNK (64u << 10)

/* ---- the stream ---- */

static int rd(struct vs_reader *r, void *buf, size_t len)
{
	if (r->fd < 0) {
		if (r->len - r->pos < len)
			return -EBADMSG;
		memcpy(buf, r->buf + r->pos, len);
		r->pos += len;
		return 0;
	}
	long n = vs_read_full(r->fd, buf, len);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EBADMSG;
}

static int rd_mac(struct vs_reader *r, struct vs_hmac *mac, void *buf, size_t len)
{
	int e = rd(r, buf, len);
	return e ? e : vs_hmac_update(mac, buf, len);
}

static int wr_mac(int fd, struct vs_hmac *mac, const void *buf, size_t len)
{
	int r = vs_hmac_update(mac, buf, len);
	return r ? r : vs_write_all(fd, buf, len);
}

static int export_mac_key(const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
			  struct vs_hmac **mac)
{
	uint8_t k[VSTORE_KEY_BYTES];
	int r = vs_hkdf(vm_key, "vtee export mac", state_id, 16, k);
	if (!r)
		r = vs_hmac_new(k, mac);
	vs_wipe(k, sizeof(k));
	return r;
}

static int wrap_key(const struct vstore_host_key *hk, const uint8_t state_id[16], bool seal,
		    uint8_t *hdr, uint8_t *vm_key)
{
	uint8_t wk[VSTORE_KEY_BYTES];
	int r = vs_hkdf(hk->key, "vtee export wrap", state_id, 16, wk);
	if (!r && seal)
		r = vs_gcm_seal(wk, hdr, HDR_AAD, vm_key, VSTORE_KEY_BYTES, hdr + HDR_AAD);
	else if (!r)
		r = vs_gcm_open(wk, hdr, HDR_AAD, hdr + HDR_AAD, HDR_BYTES - HDR_AAD, vm_key);
	vs_wipe(wk, sizeof(wk));
	return r;
}

/* ---- export ---- */

struct exporter {
	int dir_fd, out_fd;
	uint8_t vm_key[VSTORE_KEY_BYTES], state_id[16];
	struct vs_manifest m;
	uint8_t *manifest;
	size_t manifest_len;
	struct vs_hmac *mac;
};

static int put_record(struct exporter *x, uint8_t type, uint64_t fileno, const void *buf,
		      size_t len)
{
	uint8_t h[REC_HDR];
	h[0] = type;
	vs_put64(h + 1, fileno);
	vs_put64(h + 9, len);
	int r = wr_mac(x->out_fd, x->mac, h, sizeof(h));
	return r || !len ? r : wr_mac(x->out_fd, x->mac, buf, len);
}

static int load_for_export(struct exporter *x, const struct vstore_host_key *local, char *msg,
			   size_t msglen)
{
	int r = vs_vmkey_load_at(x->dir_fd, local, x->state_id, x->vm_key, msg, msglen);
	if (r == -ENOENT)
		vs_msg(msg, msglen, "no VM state here (no vm.key)");
	if (r)
		return r;
	memcpy(x->m.state_id, x->state_id, 16);
	r = vs_read_file_at(x->dir_fd, VS_NAME_MANIFEST, VS_MANIFEST_MAX_BYTES, &x->manifest,
			    &x->manifest_len);
	if (r == -ENOENT)
		return 0;
	uint8_t mkey[VSTORE_KEY_BYTES];
	if (!r)
		r = vs_hkdf(x->vm_key, "vtee manifest", NULL, 0, mkey);
	if (!r)
		r = vs_manifest_decode(mkey, x->state_id, x->manifest, x->manifest_len, &x->m);
	vs_wipe(mkey, sizeof(mkey));
	if (r)
		vs_msg(msg, msglen, "the state's manifest cannot be read: %s", strerror(-r));
	return r;
}

static int write_export(struct exporter *x, const struct vstore_host_key *to)
{
	uint8_t hdr[HDR_BYTES];
	memcpy(hdr, exp_magic, VS_MAGIC_BYTES);
	vs_put32(hdr + 8, EXP_FORMAT);
	vs_put32(hdr + 12, 0);
	memcpy(hdr + 16, to->id, 16);
	memcpy(hdr + 32, x->state_id, 16);
	vs_put64(hdr + 48, x->m.version);
	int r = wrap_key(to, x->state_id, true, hdr, x->vm_key);
	if (!r)
		r = export_mac_key(x->vm_key, x->state_id, &x->mac);
	if (!r)
		r = wr_mac(x->out_fd, x->mac, hdr, sizeof(hdr));
	if (!r && x->manifest)
		r = put_record(x, 'M', 0, x->manifest, x->manifest_len);
	for (uint32_t i = 0; i < x->m.count && !r; i++) {
		char name[VS_OBJ_NAME_LEN];
		uint8_t *buf;
		size_t len;
		vs_obj_name(x->m.e[i].fileno, name);
		r = vs_read_file_at(x->dir_fd, name, VS_OBJECT_MAX_BYTES, &buf, &len);
		if (r == -ENOENT) { /* already lost: it stays CORRUPT_OBJECT after an import */
			r = 0;
			continue;
		}
		if (!r)
			r = put_record(x, 'O', x->m.e[i].fileno, buf, len);
		free(buf);
	}
	uint8_t tag[VS_HASH_BYTES];
	if (!r)
		r = put_record(x, 'E', 0, NULL, 0);
	if (!r)
		r = vs_hmac_final(x->mac, tag);
	if (!r)
		r = vs_write_all(x->out_fd, tag, sizeof(tag));
	return r;
}

/* The rule of vstore_open: the anchor's version and hash, or its successor chained to it. */
static int check_against_anchor(struct exporter *x, const char *anchor_dir, const char *state_dir,
				const char *vm_name, char *msg, size_t msglen)
{
	char name[VS_ANCHOR_NAME_MAX];
	int dfd, fd = -1, r = vs_anchor_name(state_dir, vm_name, name);
	if (!r && (r = vs_open_dir_at(AT_FDCWD, anchor_dir, &dfd)) == 0) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
		close(dfd);
	}
	struct vs_anchor a;
	if (!r)
		r = vs_anchor_read(fd, x->vm_key, x->state_id, &a);
	if (fd >= 0)
		close(fd);
	if (r == -ENOENT) { /* no anchor yet: as an empty one */
		a.empty = true;
		r = 0;
	}
	uint8_t hash[VS_HASH_BYTES] = { 0 };
	if (!r && x->manifest)
		r = vs_sha256(x->manifest, x->manifest_len, hash);
	if (r && r != -EBADMSG) {
		vs_msg(msg, msglen, "cannot check the anchor of %s in %s: %s", state_dir, anchor_dir,
		       strerror(-r));
		return r;
	}
	bool same = !r && !a.empty && a.version == x->m.version &&
		    vs_equal(a.hash, hash, VS_HASH_BYTES);
	bool next = !r && !a.empty && x->m.version == a.version + 1 &&
		    vs_equal(a.hash, x->m.prev_hash, VS_HASH_BYTES);
	if (same || next || (!r && a.empty && !x->manifest))
		return 0;
	vs_msg(msg, msglen, "the state in %s does not match its anchor in %s (rolled back or "
			    "replaced): not exported", state_dir, anchor_dir);
	return -EBADMSG;
}

int vstore_export(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *to, int out_fd,
		  char *msg, size_t msglen)
{
	struct exporter x = { .out_fd = out_fd, .dir_fd = -1 };
	int lock_fd = -1;
	int r = vs_open_dir_at(AT_FDCWD, state_dir, &x.dir_fd);
	if (r) {
		vs_msg(msg, msglen, "cannot open the state directory %s: %s", state_dir, strerror(-r));
		return r;
	}
	lock_fd = openat(x.dir_fd, VS_NAME_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_SH)) {
		r = -errno;
		vs_msg(msg, msglen, "cannot lock %s: %s", state_dir, strerror(-r));
	}
	if (!r)
		r = load_for_export(&x, local, msg, msglen);
	if (!r && anchor_dir)
		r = vs_valid_vm_name(vm_name) ? check_against_anchor(&x, anchor_dir, state_dir, vm_name,
								    msg, msglen)
					      : -EINVAL;
	if (!r) {
		r = write_export(&x, to);
		if (r)
			vs_msg(msg, msglen, "export of %s failed: %s", state_dir, strerror(-r));
	}
	if (lock_fd >= 0)
		close(lock_fd);
	close(x.dir_fd);
	vs_hmac_free(x.mac);
	vs_manifest_free(&x.m);
	free(x.manifest);
	vs_wipe(x.vm_key, sizeof(x.vm_key));
	return r;
}

/* ---- import: the parser ---- */

int vs_import_header(struct vs_reader *r, const struct vstore_host_key *from,
		     struct vs_import_info *info, struct vs_hmac **mac, char *msg, size_t msglen)
{
	uint8_t hdr[HDR_BYTES];
	*mac = NULL;
	memset(info, 0, sizeof(*info));
	int e = rd(r, hdr, sizeof(hdr));
	if (e || memcmp(hdr, exp_magic, VS_MAGIC_BYTES) || vs_get32(hdr + 8) != EXP_FORMAT ||
	    vs_get32(hdr + 12)) {
		vs_msg(msg, msglen, "not a vtee state export (version %u)", EXP_FORMAT);
		return e && e != -EBADMSG ? e : -EBADMSG;
	}
	if (memcmp(hdr + 16, from->id, 16)) {
		vs_msg(msg, msglen, "the export is wrapped for host key %.16s, not for host key %s",
		       (const char *)hdr + 16, from->id);
		return -EKEYREJECTED;
	}
	memcpy(info->state_id, hdr + 32, 16);
	info->version = vs_get64(hdr + 48);
	e = wrap_key(from, info->state_id, false, hdr, info->vm_key);
	if (e) {
		vs_msg(msg, msglen, "the export's key fails its check (damaged file)");
		return e;
	}
	e = export_mac_key(info->vm_key, info->state_id, mac);
	if (!e)
		e = vs_hmac_update(*mac, hdr, sizeof(hdr));
	return e;
}

/* One record's bytes: into a new file in stage_fd (or nowhere), through the MAC. */
static int copy_record(struct vs_reader *r, struct vs_hmac *mac, int stage_fd, const char *name,
		       uint64_t len)
{
	int fd = -1, e = 0;
	if (stage_fd >= 0) {
		fd = openat(stage_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno == EEXIST ? -EBADMSG : -errno;
	}
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		e = -ENOMEM;
	while (!e && len) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;
		e = rd_mac(r, mac, buf, n);
		if (!e && fd >= 0)
			e = vs_write_all(fd, buf, n);
		len -= n;
	}
	free(buf);
	if (fd >= 0) {
		if (!e && fsync(fd))
			e = -errno;
		close(fd);
	}
	return e;
}

static int next_record(struct vs_reader *r, struct vs_hmac *mac, int stage_fd,
		       struct vs_import_info *info, bool *end)
{
	uint8_t h[REC_HDR];
	int e = rd_mac(r, mac, h, sizeof(h));
	if (e)
		return e;
	uint64_t fileno = vs_get64(h + 1), len = vs_get64(h + 9);
	char name[VS_OBJ_NAME_LEN];
	switch (h[0]) {
	case 'E':
		*end = true;
		return fileno || len ? -EBADMSG : 0;
	case 'M':
		if (info->has_manifest || info->objects || fileno || len > VS_MANIFEST_MAX_BYTES)
			return -EBADMSG;
		info->has_manifest = true;
		return copy_record(r, mac, stage_fd, VS_NAME_MANIFEST, len);
	case 'O':
		if (!info->has_manifest || info->objects >= VS_MANIFEST_MAX_OBJECTS ||
		    len > VS_OBJECT_MAX_BYTES)
			return -EBADMSG;
		info->objects++;
		vs_obj_name(fileno, name);
		return copy_record(r, mac, stage_fd, name, len);
	default:
		return -EBADMSG;
	}
}

int vs_import_records(struct vs_reader *r, struct vs_hmac *mac, int stage_fd,
		      struct vs_import_info *info, char *msg, size_t msglen)
{
	bool end = false;
	int e = 0;
	while (!e && !end)
		e = next_record(r, mac, stage_fd, info, &end);
	uint8_t want[VS_HASH_BYTES], got[VS_HASH_BYTES], extra;
	if (!e)
		e = vs_hmac_final(mac, want);
	if (!e)
		e = rd(r, got, sizeof(got));
	if (!e && !vs_equal(want, got, sizeof(got)))
		e = -EBADMSG;
	if (!e && (info->has_manifest != (info->version != 0) || rd(r, &extra, 1) != -EBADMSG))
		e = -EBADMSG;
	if (e)
		vs_msg(msg, msglen, "the export is damaged or altered (%s)", strerror(-e));
	return e;
}
