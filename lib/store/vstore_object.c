// SPDX-License-Identifier: MIT
/*
 * One object's file, written once: "VTEEOBJ1" || AES-256-GCM(meta_len u32 | data_len u64 | meta
 * | data) under HKDF(VM key, "vtee object" || TA UUID), AAD = "VTEEOBJ1" || state id || ns ||
 * id_len || id || file number. The key binds it to its VM and TA, the AAD to its id and version
 * (file number), and the manifest holds its SHA-256: a file moved, swapped, replayed or altered
 * fails its checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vstore_int.h"

static const uint8_t obj_magic[VS_MAGIC_BYTES] = "VTEEOBJ1";
#define PLAIN_HEADER 12u
#define AAD_MAX (VS_MAGIC_BYTES + 16u + 2u + VSTORE_ID_MAX + 8u)

size_t vs_obj_file_size(uint32_t meta_len, uint64_t data_len)
{
	return VS_MAGIC_BYTES + VS_GCM_OVERHEAD + PLAIN_HEADER + meta_len + (size_t)data_len;
}

int vs_obj_key(const uint8_t vm_key[VSTORE_KEY_BYTES], const uint8_t uuid[16],
	       uint8_t out[VSTORE_KEY_BYTES])
{
	return vs_hkdf(vm_key, "vtee object", uuid, 16, out);
}

static size_t make_aad(const uint8_t state_id[16], const struct vs_entry *e, uint8_t aad[AAD_MAX])
{
	uint8_t *p = aad;
	memcpy(p, obj_magic, VS_MAGIC_BYTES);
	memcpy(p + VS_MAGIC_BYTES, state_id, 16);
	p += VS_MAGIC_BYTES + 16;
	p[0] = e->key.ns;
	p[1] = e->key.id_len;
	memcpy(p + 2, e->key.id, e->key.id_len);
	p += 2 + e->key.id_len;
	vs_put64(p, e->fileno);
	return (size_t)(p + 8 - aad);
}

int vs_obj_encode(const uint8_t okey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		  const struct vs_entry *e, const void *meta, const void *data, uint8_t **out,
		  size_t *len)
{
	size_t pl = PLAIN_HEADER + e->meta_len + (size_t)e->data_len;
	uint8_t *pt = malloc(pl), *f = malloc(vs_obj_file_size(e->meta_len, e->data_len));
	if (!pt || !f) {
		free(pt);
		free(f);
		return -ENOMEM;
	}
	vs_put32(pt, e->meta_len);
	vs_put64(pt + 4, e->data_len);
	if (e->meta_len)
		memcpy(pt + PLAIN_HEADER, meta, e->meta_len);
	if (e->data_len)
		memcpy(pt + PLAIN_HEADER + e->meta_len, data, (size_t)e->data_len);
	uint8_t aad[AAD_MAX];
	size_t al = make_aad(state_id, e, aad);
	memcpy(f, obj_magic, VS_MAGIC_BYTES);
	int r = vs_gcm_seal(okey, aad, al, pt, pl, f + VS_MAGIC_BYTES);
	vs_wipe(pt, pl);
	free(pt);
	if (r) {
		free(f);
		return r;
	}
	*out = f;
	*len = vs_obj_file_size(e->meta_len, e->data_len);
	return 0;
}

int vs_obj_parse_plain(const uint8_t *pt, size_t len, const struct vs_entry *e, void **meta,
		       void **data)
{
	*meta = *data = NULL;
	if (len < PLAIN_HEADER)
		return -EBADMSG;
	uint32_t ml = vs_get32(pt);
	uint64_t dl = vs_get64(pt + 4);
	if (ml > VSTORE_META_MAX || dl > VSTORE_DATA_MAX || ml != e->meta_len || dl != e->data_len ||
	    len - PLAIN_HEADER != ml + dl)
		return -EBADMSG;
	void *m = malloc(ml ? ml : 1), *d = malloc(dl ? (size_t)dl : 1);
	if (!m || !d) {
		free(m);
		free(d);
		return -ENOMEM;
	}
	memcpy(m, pt + PLAIN_HEADER, ml);
	memcpy(d, pt + PLAIN_HEADER + ml, (size_t)dl);
	*meta = m;
	*data = d;
	return 0;
}

int vs_obj_decode(const uint8_t okey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		  const struct vs_entry *e, const uint8_t *buf, size_t len, void **meta, void **data)
{
	*meta = *data = NULL;
	uint8_t h[VS_HASH_BYTES];
	if (len != vs_obj_file_size(e->meta_len, e->data_len) || memcmp(buf, obj_magic, VS_MAGIC_BYTES))
		return -EBADMSG;
	int r = vs_sha256(buf, len, h);
	if (r)
		return r;
	if (!vs_equal(h, e->file_hash, VS_HASH_BYTES))
		return -EBADMSG;
	size_t pl = len - VS_MAGIC_BYTES - VS_GCM_OVERHEAD;
	uint8_t *pt = malloc(pl);
	if (!pt)
		return -ENOMEM;
	uint8_t aad[AAD_MAX];
	size_t al = make_aad(state_id, e, aad);
	r = vs_gcm_open(okey, aad, al, buf + VS_MAGIC_BYTES, len - VS_MAGIC_BYTES, pt);
	if (!r)
		r = vs_obj_parse_plain(pt, pl, e, meta, data);
	vs_wipe(pt, pl);
	free(pt);
	return r;
}
