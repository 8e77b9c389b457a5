// SPDX-License-Identifier: MIT
/*
 * The anchor: outside the state directory, the manifest version and hash a VM's state must
 * show, so that a rollback or deletion of the whole directory is seen. The engine holds only an
 * fd to it (no directory to rename in), so it is written in place, in two slots: version v goes
 * to slot v & 1 and a torn write leaves the other slot, one version older, which the commit
 * protocol accepts (manifest = anchor + 1).
 *
 * Slot (128 bytes, 96 used): "VTEEANC1" | state id [16] | version u64 | manifest SHA-256 [32] |
 * HMAC-SHA256 over the preceding 64 bytes, key HKDF(VM key, "vtee anchor").
 * An empty file is a new anchor (nothing committed yet).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vstore_int.h"

static const uint8_t anchor_magic[VS_MAGIC_BYTES] = "VTEEANC1";
#define SLOT_BYTES 128u
#define SLOT_BODY (VS_MAGIC_BYTES + 16u + 8u + VS_HASH_BYTES)

static int anchor_key(const uint8_t vm_key[VSTORE_KEY_BYTES], uint8_t out[VSTORE_KEY_BYTES])
{
	return vs_hkdf(vm_key, "vtee anchor", NULL, 0, out);
}

static bool slot_valid(const uint8_t *s, const uint8_t *akey, const uint8_t state_id[16])
{
	uint8_t mac[VS_HASH_BYTES];
	if (memcmp(s, anchor_magic, VS_MAGIC_BYTES) || vs_hmac(akey, s, SLOT_BODY, mac))
		return false;
	return vs_equal(mac, s + SLOT_BODY, VS_HASH_BYTES) && !memcmp(s + VS_MAGIC_BYTES, state_id, 16);
}

int vs_anchor_read(int fd, const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		   struct vs_anchor *out)
{
	uint8_t buf[2 * SLOT_BYTES] = { 0 }, akey[VSTORE_KEY_BYTES];
	memset(out, 0, sizeof(*out));
	struct stat st;
	if (fstat(fd, &st))
		return -errno;
	if (st.st_size == 0) {
		out->empty = true;
		return 0;
	}
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	int r = anchor_key(vm_key, akey);
	if (r)
		return r;
	bool found = false;
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *s = buf + i * SLOT_BYTES;
		if (!slot_valid(s, akey, state_id))
			continue;
		uint64_t v = vs_get64(s + VS_MAGIC_BYTES + 16);
		if ((v & 1) != i || (found && v <= out->version))
			continue;
		found = true;
		out->version = v;
		memcpy(out->hash, s + VS_MAGIC_BYTES + 24, VS_HASH_BYTES);
	}
	vs_wipe(akey, sizeof(akey));
	return found ? 0 : -EBADMSG;
}

static int make_slot(const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		     uint64_t version, const uint8_t hash[VS_HASH_BYTES], uint8_t s[SLOT_BYTES])
{
	uint8_t akey[VSTORE_KEY_BYTES];
	memset(s, 0, SLOT_BYTES);
	memcpy(s, anchor_magic, VS_MAGIC_BYTES);
	memcpy(s + VS_MAGIC_BYTES, state_id, 16);
	vs_put64(s + VS_MAGIC_BYTES + 16, version);
	memcpy(s + VS_MAGIC_BYTES + 24, hash, VS_HASH_BYTES);
	int r = anchor_key(vm_key, akey);
	if (!r)
		r = vs_hmac(akey, s, SLOT_BODY, s + SLOT_BODY);
	vs_wipe(akey, sizeof(akey));
	return r;
}

int vs_anchor_write(int fd, const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		    uint64_t version, const uint8_t hash[VS_HASH_BYTES])
{
	uint8_t s[SLOT_BYTES];
	int r = make_slot(vm_key, state_id, version, hash, s);
	if (r)
		return r;
	ssize_t n = pwrite(fd, s, sizeof(s), (off_t)((version & 1) * SLOT_BYTES));
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(s))
		return -EIO;
	return fdatasync(fd) ? -errno : 0;
}

static int sibling_name(const char *name, const char *suffix, char out[VS_ANCHOR_NAME_MAX + 8])
{
	int n = snprintf(out, VS_ANCHOR_NAME_MAX + 8, "%s%s", name, suffix);
	return n < 0 || n >= VS_ANCHOR_NAME_MAX + 8 ? -ENAMETOOLONG : 0;
}

int vs_anchor_put_file(int dfd, const char *name, const char *suffix,
		       const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		       uint64_t version, const uint8_t hash[VS_HASH_BYTES])
{
	uint8_t img[2 * SLOT_BYTES] = { 0 };
	char tmp[VS_ANCHOR_NAME_MAX + 8], final[VS_ANCHOR_NAME_MAX + 8];
	int r = sibling_name(name, ".tmp", tmp);
	if (!r)
		r = sibling_name(name, suffix, final);
	if (!r)
		r = make_slot(vm_key, state_id, version, hash, img + (version & 1) * SLOT_BYTES);
	if (!r)
		r = vs_replace_file_at(dfd, tmp, final, img, sizeof(img));
	return r;
}

int vs_manifest_hash_at(int state_fd, uint8_t hash[VS_HASH_BYTES], bool *present)
{
	uint8_t *buf;
	size_t len;
	memset(hash, 0, VS_HASH_BYTES);
	int r = vs_read_file_at(state_fd, VS_NAME_MANIFEST, VS_MANIFEST_MAX_BYTES, &buf, &len);
	*present = r != -ENOENT;
	if (r)
		return r == -ENOENT ? 0 : r;
	r = vs_sha256(buf, len, hash);
	free(buf);
	return r;
}

/*
 * An import writes the new anchor to <name>.new before it moves the new state into place and
 * renames it over the anchor right after. A .new left by a crash is adopted if it names the
 * state present (the crash came after the exchange), else dropped (it came before).
 */
int vs_anchor_adopt_new(int dfd, const char *name, int state_fd,
			const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16])
{
	char nn[VS_ANCHOR_NAME_MAX + 8];
	int r = sibling_name(name, ".new", nn);
	if (r)
		return r;
	int fd = openat(dfd, nn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct vs_anchor a;
	r = vs_anchor_read(fd, vm_key, state_id, &a);
	close(fd);
	bool match = false;
	if (!r && !a.empty) {
		uint8_t hash[VS_HASH_BYTES];
		bool present;
		r = vs_manifest_hash_at(state_fd, hash, &present);
		match = !r && vs_equal(hash, a.hash, VS_HASH_BYTES) && (present || a.version == 0);
	} else if (r == -EBADMSG) {
		r = 0; /* made for another state */
	}
	if (r)
		return r;
	if (match ? renameat(dfd, nn, dfd, name) : unlinkat(dfd, nn, 0))
		return -errno;
	return fsync(dfd) ? -errno : 0;
}
