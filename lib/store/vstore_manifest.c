// SPDX-License-Identifier: MIT
/*
 * The manifest: the list of a VM's objects, kept in memory ordered by key, and its file.
 *
 * File: "VTEEMNF1" || AES-256-GCM(plaintext), AAD = "VTEEMNF1" || state id, key HKDF(VM key,
 * "vtee manifest"). Plaintext (little endian):
 *   "VSMANIF1" | version u64 | previous manifest file's SHA-256 [32] | state id [16] |
 *   next file number u64 | count u32 | count entries of
 *   uuid [16] | ns u8 | id_len u8 | id [id_len] | file number u64 | meta_len u32 | data_len u64 |
 *   object file's SHA-256 [32]
 * The parser treats the plaintext as hostile too (a bug elsewhere, a key leak): every count and
 * length is bounded, entries must be strictly ordered (no duplicates), file numbers unique and
 * below the next file number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vstore_int.h"

static const uint8_t file_magic[VS_MAGIC_BYTES] = "VTEEMNF1";
static const uint8_t plain_magic[VS_MAGIC_BYTES] = "VSMANIF1";
#define HEADER_BYTES (VS_MAGIC_BYTES + 8u + VS_HASH_BYTES + 16u + 8u + 4u)
#define ENTRY_FIXED_BYTES (16u + 1u + 1u + 8u + 4u + 8u + VS_HASH_BYTES)

int vs_key_cmp(const struct vstore_key *a, const struct vstore_key *b)
{
	int c = memcmp(a->uuid, b->uuid, sizeof(a->uuid));
	if (c)
		return c;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	if (a->id_len != b->id_len)
		return a->id_len < b->id_len ? -1 : 1;
	return memcmp(a->id, b->id, a->id_len);
}

bool vs_key_valid(const struct vstore_key *k)
{
	return k && k->ns <= VSTORE_NS_TEE && k->id_len <= VSTORE_ID_MAX;
}

bool vs_manifest_find(const struct vs_manifest *m, const struct vstore_key *k, uint32_t *pos)
{
	uint32_t lo = 0, hi = m->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = vs_key_cmp(&m->e[mid].key, k);
		if (!c) {
			*pos = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

int vs_manifest_insert(struct vs_manifest *m, uint32_t pos, const struct vs_entry *e)
{
	if (m->count == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 16;
		struct vs_entry *n = realloc(m->e, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->e = n;
		m->cap = cap;
	}
	memmove(&m->e[pos + 1], &m->e[pos], (size_t)(m->count - pos) * sizeof(*m->e));
	m->e[pos] = *e;
	m->count++;
	m->bytes += e->meta_len + e->data_len;
	return 0;
}

void vs_manifest_remove(struct vs_manifest *m, uint32_t pos)
{
	m->bytes -= m->e[pos].meta_len + m->e[pos].data_len;
	memmove(&m->e[pos], &m->e[pos + 1], (size_t)(m->count - pos - 1) * sizeof(*m->e));
	m->count--;
}

void vs_manifest_free(struct vs_manifest *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static size_t plain_size(const struct vs_manifest *m)
{
	size_t n = HEADER_BYTES;
	for (uint32_t i = 0; i < m->count; i++)
		n += ENTRY_FIXED_BYTES + m->e[i].key.id_len;
	return n;
}

static void write_plain(const struct vs_manifest *m, uint8_t *p)
{
	memcpy(p, plain_magic, VS_MAGIC_BYTES);
	p += VS_MAGIC_BYTES;
	vs_put64(p, m->version);
	memcpy(p + 8, m->prev_hash, VS_HASH_BYTES);
	p += 8 + VS_HASH_BYTES;
	memcpy(p, m->state_id, 16);
	vs_put64(p + 16, m->next_fileno);
	vs_put32(p + 24, m->count);
	p += 28;
	for (uint32_t i = 0; i < m->count; i++) {
		const struct vs_entry *e = &m->e[i];
		memcpy(p, e->key.uuid, 16);
		p[16] = e->key.ns;
		p[17] = e->key.id_len;
		memcpy(p + 18, e->key.id, e->key.id_len);
		p += 18 + e->key.id_len;
		vs_put64(p, e->fileno);
		vs_put32(p + 8, e->meta_len);
		vs_put64(p + 12, e->data_len);
		memcpy(p + 20, e->file_hash, VS_HASH_BYTES);
		p += 20 + VS_HASH_BYTES;
	}
}

int vs_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* File numbers must be unique: two entries sharing a file would lose one at a delete. */
static int check_filenos_unique(const struct vs_manifest *m)
{
	if (m->count < 2)
		return 0;
	uint64_t *f = malloc((size_t)m->count * sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->count; i++)
		f[i] = m->e[i].fileno;
	qsort(f, m->count, sizeof(*f), vs_cmp_u64);
	int r = 0;
	for (uint32_t i = 1; i < m->count && !r; i++)
		if (f[i] == f[i - 1])
			r = -EBADMSG;
	free(f);
	return r;
}

static int parse_entry(const uint8_t **pp, const uint8_t *end, const struct vs_manifest *m,
		       struct vs_entry *e)
{
	const uint8_t *p = *pp;
	if ((size_t)(end - p) < ENTRY_FIXED_BYTES)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	memcpy(e->key.uuid, p, 16);
	e->key.ns = p[16];
	e->key.id_len = p[17];
	if (!vs_key_valid(&e->key) || (size_t)(end - p) < ENTRY_FIXED_BYTES + e->key.id_len)
		return -EBADMSG;
	memcpy(e->key.id, p + 18, e->key.id_len);
	p += 18 + e->key.id_len;
	e->fileno = vs_get64(p);
	e->meta_len = vs_get32(p + 8);
	e->data_len = vs_get64(p + 12);
	memcpy(e->file_hash, p + 20, VS_HASH_BYTES);
	*pp = p + 20 + VS_HASH_BYTES;
	if (e->meta_len > VSTORE_META_MAX || e->data_len > VSTORE_DATA_MAX ||
	    e->fileno >= m->next_fileno)
		return -EBADMSG;
	if (m->count && vs_key_cmp(&m->e[m->count - 1].key, &e->key) >= 0)
		return -EBADMSG;
	return 0;
}

int vs_manifest_parse_plain(const uint8_t *buf, size_t len, const uint8_t state_id[16],
			    struct vs_manifest *m)
{
	memset(m, 0, sizeof(*m));
	if (len < HEADER_BYTES || len > VS_MANIFEST_MAX_BYTES || memcmp(buf, plain_magic, VS_MAGIC_BYTES))
		return -EBADMSG;
	const uint8_t *p = buf + VS_MAGIC_BYTES, *end = buf + len;
	m->version = vs_get64(p);
	memcpy(m->prev_hash, p + 8, VS_HASH_BYTES);
	p += 8 + VS_HASH_BYTES;
	memcpy(m->state_id, p, 16);
	m->next_fileno = vs_get64(p + 16);
	uint32_t count = vs_get32(p + 24);
	p += 28;
	if (memcmp(m->state_id, state_id, 16) || count > VS_MANIFEST_MAX_OBJECTS ||
	    count > (size_t)(end - p) / ENTRY_FIXED_BYTES)
		return -EBADMSG;
	int r = 0;
	for (uint32_t i = 0; i < count && !r; i++) {
		struct vs_entry e;
		r = parse_entry(&p, end, m, &e);
		if (!r)
			r = vs_manifest_insert(m, m->count, &e);
	}
	if (!r && p != end)
		r = -EBADMSG;
	if (!r)
		r = check_filenos_unique(m);
	if (r)
		vs_manifest_free(m);
	return r;
}

int vs_manifest_encode(const struct vs_manifest *m, const uint8_t mkey[VSTORE_KEY_BYTES],
		       uint8_t **out, size_t *len)
{
	size_t pl = plain_size(m);
	if (pl > VS_MANIFEST_MAX_BYTES)
		return -EDQUOT;
	uint8_t *pt = malloc(pl), *f = malloc(VS_MAGIC_BYTES + VS_GCM_OVERHEAD + pl);
	if (!pt || !f) {
		free(pt);
		free(f);
		return -ENOMEM;
	}
	write_plain(m, pt);
	uint8_t aad[VS_MAGIC_BYTES + 16];
	memcpy(aad, file_magic, VS_MAGIC_BYTES);
	memcpy(aad + VS_MAGIC_BYTES, m->state_id, 16);
	memcpy(f, file_magic, VS_MAGIC_BYTES);
	int r = vs_gcm_seal(mkey, aad, sizeof(aad), pt, pl, f + VS_MAGIC_BYTES);
	free(pt);
	if (r) {
		free(f);
		return r;
	}
	*out = f;
	*len = VS_MAGIC_BYTES + VS_GCM_OVERHEAD + pl;
	return 0;
}

int vs_manifest_decode(const uint8_t mkey[VSTORE_KEY_BYTES], const uint8_t state_id[16],
		       const uint8_t *buf, size_t len, struct vs_manifest *m)
{
	memset(m, 0, sizeof(*m));
	if (len < VS_MAGIC_BYTES + VS_GCM_OVERHEAD || len > VS_MANIFEST_MAX_BYTES ||
	    memcmp(buf, file_magic, VS_MAGIC_BYTES))
		return -EBADMSG;
	size_t pl = len - VS_MAGIC_BYTES - VS_GCM_OVERHEAD;
	uint8_t *pt = malloc(pl ? pl : 1);
	if (!pt)
		return -ENOMEM;
	uint8_t aad[VS_MAGIC_BYTES + 16];
	memcpy(aad, file_magic, VS_MAGIC_BYTES);
	memcpy(aad + VS_MAGIC_BYTES, state_id, 16);
	int r = vs_gcm_open(mkey, aad, sizeof(aad), buf + VS_MAGIC_BYTES, len - VS_MAGIC_BYTES, pt);
	if (!r)
		r = vs_manifest_parse_plain(pt, pl, state_id, m);
	free(pt);
	return r;
}
