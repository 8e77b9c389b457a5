// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the storage engine's parsers of what lies on the host's disk or arrives as
 * an export file (lib/store). The first byte selects the parser, the rest is its input:
 *   0  manifest plaintext (vs_manifest_parse_plain), state id 16 x 0x5e
 *   1  object plaintext (vs_obj_parse_plain), the entry's lengths taken from the input's own
 *      header so that well-formed inputs parse
 *   2  export stream (vs_import_header, then vs_import_records into no directory), host key
 *      32 x 0x24 named "f00df00df00df00d"
 *   3  export records alone (vs_import_records), MAC key 32 x 0x42, version byte first
 *   4  manifest file (vs_manifest_decode: GCM, then the plaintext parser), key 32 x 0x31
 * The seeds (corpus_vstore/, gen_corpus_vstore.py) carry valid MACs and wraps for these keys,
 * so the fuzzer starts past the authentication. A crash, a sanitizer report, a parsed manifest
 * out of order or beyond its bounds, or an object whose bytes differ from the input fails.
 */
#include <stdlib.h>
#include <string.h>

#include "vstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t state_id[16] = { 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
				      0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e };

static void fuzz_manifest_plain(const uint8_t *p, size_t n)
{
	struct vs_manifest m;
	if (vs_manifest_parse_plain(p, n, state_id, &m))
		return;
	if (m.count > VS_MANIFEST_MAX_OBJECTS)
		abort();
	for (uint32_t i = 0; i < m.count; i++) {
		if (!vs_key_valid(&m.e[i].key) || m.e[i].fileno >= m.next_fileno ||
		    m.e[i].meta_len > VSTORE_META_MAX || m.e[i].data_len > VSTORE_DATA_MAX)
			abort();
		if (i && vs_key_cmp(&m.e[i - 1].key, &m.e[i].key) >= 0)
			abort();
	}
	vs_manifest_free(&m);
}

static void fuzz_object_plain(const uint8_t *p, size_t n)
{
	struct vs_entry e;
	memset(&e, 0, sizeof(e));
	if (n >= 12) {
		e.meta_len = vs_get32(p);
		e.data_len = vs_get64(p + 4);
	}
	void *meta, *d;
	if (vs_obj_parse_plain(p, n, &e, &meta, &d))
		return;
	if (memcmp(meta, p + 12, e.meta_len) || memcmp(d, p + 12 + e.meta_len, (size_t)e.data_len))
		abort();
	free(meta);
	free(d);
}

static void fuzz_export(const uint8_t *p, size_t n)
{
	struct vstore_host_key hk;
	memset(hk.key, 0x24, sizeof(hk.key));
	memcpy(hk.id, "f00df00df00df00d", 17);
	struct vs_reader r = { .fd = -1, .buf = p, .len = n };
	struct vs_import_info info;
	struct vs_hmac *mac = NULL;
	char msg[200];
	if (!vs_import_header(&r, &hk, &info, &mac, msg, sizeof(msg)))
		vs_import_records(&r, mac, -1, &info, msg, sizeof(msg));
	vs_hmac_free(mac);
}

static void fuzz_records(const uint8_t *p, size_t n)
{
	if (!n)
		return;
	uint8_t key[VSTORE_KEY_BYTES];
	memset(key, 0x42, sizeof(key));
	struct vs_hmac *mac;
	if (vs_hmac_new(key, &mac))
		return;
	struct vs_import_info info = { .version = p[0] };
	struct vs_reader r = { .fd = -1, .buf = p + 1, .len = n - 1 };
	char msg[200];
	vs_import_records(&r, mac, -1, &info, msg, sizeof(msg));
	vs_hmac_free(mac);
}

static void fuzz_manifest_file(const uint8_t *p, size_t n)
{
	uint8_t key[VSTORE_KEY_BYTES];
	memset(key, 0x31, sizeof(key));
	struct vs_manifest m;
	if (!vs_manifest_decode(key, state_id, p, n, &m))
		vs_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0:
		fuzz_manifest_plain(p, n);
		break;
	case 1:
		fuzz_object_plain(p, n);
		break;
	case 2:
		fuzz_export(p, n);
		break;
	case 3:
		fuzz_records(p, n);
		break;
	default:
		fuzz_manifest_file(p, n);
		break;
	}
	return 0;
}
