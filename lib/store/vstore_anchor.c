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

int vs_anchor_write(int fd, const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		    uint64_t version, const uint8_t hash[VS_HASH_BYTES])
{
	uint8_t s[SLOT_BYTES] = { 0 }, akey[VSTORE_KEY_BYTES];
	memcpy(s, anchor_magic, VS_MAGIC_BYTES);
	memcpy(s + VS_MAGIC_BYTES, state_id, 16);
	vs_put64(s + VS_MAGIC_BYTES + 16, version);
	memcpy(s + VS_MAGIC_BYTES + 24, hash, VS_HASH_BYTES);
	int r = anchor_key(vm_key, akey);
	if (!r)
		r = vs_hmac(akey, s, SLOT_BODY, s + SLOT_BODY);
	vs_wipe(akey, sizeof(akey));
	if (r)
		return r;
	ssize_t n = pwrite(fd, s, sizeof(s), (off_t)((version & 1) * SLOT_BYTES));
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(s))
		return -EIO;
	return fdatasync(fd) ? -errno : 0;
}
