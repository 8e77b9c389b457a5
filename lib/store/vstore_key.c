// SPDX-License-Identifier: MIT
/*
 * Keys: the host key file, vm.key (the VM's key wrapped by the host key) and vstore_prepare(),
 * which opens a VM's state directory and anchor for the process that will serve it.
 *
 * vm.key: "VTEEVMK1" | host key id [16, hex] | state id [16] | AES-256-GCM(VM key) under
 * HKDF(host key, "vtee vm key" || state id), AAD = the preceding 40 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vstore_int.h"

static const uint8_t vmkey_magic[VS_MAGIC_BYTES] = "VTEEVMK1";
#define VMKEY_AAD (VS_MAGIC_BYTES + 16u + 16u)

static int host_key_id(struct vstore_host_key *hk)
{
	uint8_t buf[16 + VSTORE_KEY_BYTES], h[VS_HASH_BYTES];
	memcpy(buf, "vtee host key id", 16);
	memcpy(buf + 16, hk->key, VSTORE_KEY_BYTES);
	int r = vs_sha256(buf, sizeof(buf), h);
	vs_wipe(buf, sizeof(buf));
	if (r)
		return r;
	for (unsigned i = 0; i < 8; i++)
		snprintf(hk->id + 2 * i, 3, "%02x", h[i]);
	return 0;
}

static int create_host_key(const char *path, char *msg, size_t msglen)
{
	char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	int dfd = -1, r = 0;
	if (slash && slash != dir) {
		*slash = 0;
		r = vs_mkdirs_open(dir, &dfd);
		if (!r)
			close(dfd);
	}
	free(dir);
	if (r) {
		vs_msg(msg, msglen, "cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	uint8_t key[VSTORE_KEY_BYTES];
	r = vs_random(key, sizeof(key));
	if (r)
		return r;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		vs_wipe(key, sizeof(key));
		return r == -EEXIST ? 0 : r; /* another process made it first: use theirs */
	}
	r = vs_write_all(fd, key, sizeof(key));
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	vs_wipe(key, sizeof(key));
	if (r) {
		unlink(path);
		vs_msg(msg, msglen, "cannot write the host key %s: %s", path, strerror(-r));
	}
	return r;
}

int vstore_host_key_load(const char *path, bool create, struct vstore_host_key *out, char *msg,
			 size_t msglen)
{
	memset(out, 0, sizeof(*out));
	if (!path || !*path)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && create) {
		int r = create_host_key(path, msg, msglen);
		if (r)
			return r;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0) {
		int r = -errno;
		vs_msg(msg, msglen, "cannot open the host key %s: %s", path, strerror(-r));
		return r;
	}
	struct stat st;
	int r = fstat(fd, &st) ? -errno : 0;
	if (!r && (!S_ISREG(st.st_mode) || (st.st_mode & 077))) {
		vs_msg(msg, msglen, "host key %s must be a regular file readable by its owner only "
				    "(mode 0600)", path);
		r = -EPERM;
	}
	if (!r && st.st_size != VSTORE_KEY_BYTES) {
		vs_msg(msg, msglen, "host key %s must hold exactly %u bytes", path, VSTORE_KEY_BYTES);
		r = -EINVAL;
	}
	if (!r) {
		long n = vs_read_full(fd, out->key, VSTORE_KEY_BYTES);
		r = n < 0 ? (int)n : n != VSTORE_KEY_BYTES ? -EIO : 0;
	}
	close(fd);
	if (!r)
		r = host_key_id(out);
	if (r)
		vs_wipe(out, sizeof(*out));
	return r;
}

int vs_vmkey_wrap(const struct vstore_host_key *hk, const uint8_t state_id[16],
		  const uint8_t vm_key[VSTORE_KEY_BYTES], uint8_t out[VS_VMKEY_FILE_BYTES])
{
	uint8_t wk[VSTORE_KEY_BYTES];
	memcpy(out, vmkey_magic, VS_MAGIC_BYTES);
	memcpy(out + VS_MAGIC_BYTES, hk->id, 16);
	memcpy(out + VS_MAGIC_BYTES + 16, state_id, 16);
	int r = vs_hkdf(hk->key, "vtee vm key", state_id, 16, wk);
	if (!r)
		r = vs_gcm_seal(wk, out, VMKEY_AAD, vm_key, VSTORE_KEY_BYTES, out + VMKEY_AAD);
	vs_wipe(wk, sizeof(wk));
	return r;
}

int vs_vmkey_unwrap(const struct vstore_host_key *hk, const uint8_t *buf, size_t len,
		    uint8_t state_id[16], uint8_t vm_key[VSTORE_KEY_BYTES], char *msg, size_t msglen)
{
	if (len != VS_VMKEY_FILE_BYTES || memcmp(buf, vmkey_magic, VS_MAGIC_BYTES)) {
		vs_msg(msg, msglen, "vm.key is damaged");
		return -EBADMSG;
	}
	if (memcmp(buf + VS_MAGIC_BYTES, hk->id, 16)) {
		vs_msg(msg, msglen, "vm.key is wrapped for host key %.16s, not for this host's key %s",
		       (const char *)buf + VS_MAGIC_BYTES, hk->id);
		return -EKEYREJECTED;
	}
	uint8_t wk[VSTORE_KEY_BYTES];
	memcpy(state_id, buf + VS_MAGIC_BYTES + 16, 16);
	int r = vs_hkdf(hk->key, "vtee vm key", state_id, 16, wk);
	if (!r)
		r = vs_gcm_open(wk, buf, VMKEY_AAD, buf + VMKEY_AAD, len - VMKEY_AAD, vm_key);
	vs_wipe(wk, sizeof(wk));
	if (r == -EBADMSG)
		vs_msg(msg, msglen, "vm.key fails its check (damaged, or not made with host key %s)", hk->id);
	return r;
}

int vs_vmkey_load_at(int dirfd, const struct vstore_host_key *hk, uint8_t state_id[16],
		     uint8_t vm_key[VSTORE_KEY_BYTES], char *msg, size_t msglen)
{
	uint8_t *buf;
	size_t len;
	int r = vs_read_file_at(dirfd, VS_NAME_VMKEY, 4096, &buf, &len);
	if (r == -EFBIG)
		r = -EBADMSG;
	if (r) {
		if (r != -ENOENT)
			vs_msg(msg, msglen, "cannot read vm.key: %s", strerror(-r));
		return r;
	}
	r = vs_vmkey_unwrap(hk, buf, len, state_id, vm_key, msg, msglen);
	free(buf);
	return r;
}

static int create_vmkey(int dirfd, const struct vstore_host_key *hk, uint8_t state_id[16],
			uint8_t vm_key[VSTORE_KEY_BYTES])
{
	uint8_t file[VS_VMKEY_FILE_BYTES];
	int r = vs_random(state_id, 16);
	if (!r)
		r = vs_random(vm_key, VSTORE_KEY_BYTES);
	if (!r)
		r = vs_vmkey_wrap(hk, state_id, vm_key, file);
	if (!r)
		r = vs_replace_file_at(dirfd, "vm.key.tmp", VS_NAME_VMKEY, file, sizeof(file));
	return r;
}

/*
 * A missing anchor of a new state is made whole (version 0, by rename) so that a torn first
 * write cannot look like a foreign anchor; a missing one of a state with a manifest is left empty
 * (the open reports it). A .new left by an interrupted import is adopted or dropped first.
 */
static int make_anchor(int dfd, const char *name, const struct vstore_handoff *h)
{
	int r = vs_anchor_adopt_new(dfd, name, h->dir_fd, h->vm_key, h->state_id);
	if (r || !faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW))
		return r;
	if (errno != ENOENT)
		return -errno;
	uint8_t hash[VS_HASH_BYTES];
	bool present;
	r = vs_manifest_hash_at(h->dir_fd, hash, &present);
	if (!r && !present)
		r = vs_anchor_put_file(dfd, name, "", h->vm_key, h->state_id, 0, hash);
	return r;
}

static int open_anchor(const char *anchor_dir, const char *state_dir, const char *vm_name,
		       struct vstore_handoff *h, char *msg, size_t msglen)
{
	char name[VS_ANCHOR_NAME_MAX];
	int dfd, r = vs_anchor_name(state_dir, vm_name, name);
	if (r)
		return r;
	r = vs_mkdirs_open(anchor_dir, &dfd);
	if (r) {
		vs_msg(msg, msglen, "cannot open the anchor directory %s: %s", anchor_dir, strerror(-r));
		return r;
	}
	r = make_anchor(dfd, name, h);
	int fd = r ? -1 : openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (!r && fd < 0)
		r = -errno;
	if (!r && fsync(dfd))
		r = -errno;
	close(dfd);
	if (r) {
		if (fd >= 0)
			close(fd);
		vs_msg(msg, msglen, "cannot open the anchor %s/%s: %s", anchor_dir, name, strerror(-r));
		return r;
	}
	h->anchor_fd = fd;
	return 0;
}

int vstore_prepare(const char *state_dir, const char *anchor_dir, const char *vm_name,
		   const struct vstore_host_key *hk, const struct vstore_quota *quota,
		   struct vstore_handoff *out, char *msg, size_t msglen)
{
	memset(out, 0, sizeof(*out));
	out->dir_fd = out->anchor_fd = -1;
	if (!vs_valid_vm_name(vm_name)) {
		vs_msg(msg, msglen, "bad VM name for storage");
		return -EINVAL;
	}
	int r = anchor_dir ? vs_reset_resume(state_dir, anchor_dir, vm_name, msg, msglen) : 0;
	if (r)
		return r;
	r = vs_mkdirs_open(state_dir, &out->dir_fd);
	if (r) {
		vs_msg(msg, msglen, "cannot open the state directory %s: %s", state_dir, strerror(-r));
		return r;
	}
	r = vs_vmkey_load_at(out->dir_fd, hk, out->state_id, out->vm_key, msg, msglen);
	if (r == -ENOENT) {
		r = create_vmkey(out->dir_fd, hk, out->state_id, out->vm_key);
		if (r)
			vs_msg(msg, msglen, "cannot create %s/vm.key: %s", state_dir, strerror(-r));
	}
	if (!r && anchor_dir)
		r = open_anchor(anchor_dir, state_dir, vm_name, out, msg, msglen);
	if (!r && quota)
		out->quota = *quota;
	if (r)
		vstore_handoff_close(out);
	return r;
}

/*
 * The anchor's file name: the VM's name and a hash of where its state lives, so that one VM
 * name with two state directories (vtee run --state A, then --state B) has two anchors, while a
 * deleted or rolled-back directory still meets the anchor it left. The path is made canonical
 * through its parent (the directory itself may be gone).
 */
int vs_anchor_name(const char *state_dir, const char *vm_name, char name[VS_ANCHOR_NAME_MAX])
{
	if (!vs_valid_vm_name(vm_name) || !state_dir || !*state_dir)
		return -EINVAL;
	char *copy = strdup(state_dir), *parent_copy = strdup(state_dir);
	char canon[PATH_MAX + 256];
	int r = copy && parent_copy ? 0 : -ENOMEM;
	if (!r) {
		char real_parent[PATH_MAX];
		const char *base = basename(copy);
		if (realpath(dirname(parent_copy), real_parent))
			snprintf(canon, sizeof(canon), "%s/%s", real_parent, base);
		else
			snprintf(canon, sizeof(canon), "%s", state_dir);
		uint8_t h[VS_HASH_BYTES];
		r = vs_sha256(canon, strlen(canon), h);
		if (!r)
			snprintf(name, VS_ANCHOR_NAME_MAX, "%s-%02x%02x%02x%02x%02x%02x%02x%02x.anchor",
				 vm_name, h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
	}
	free(copy);
	free(parent_copy);
	return r;
}
