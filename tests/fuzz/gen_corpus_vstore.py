#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_vstore (tests/fuzz/corpus_vstore/*) in its input format.

Run from anywhere: python3 tests/fuzz/gen_corpus_vstore.py (needs python3-cryptography). The
selector byte and the fixed keys are described at the top of fuzz_vstore.c; the formats at the
top of lib/store/vstore_manifest.c, vstore_object.c and vstore_export.c.
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gen_corpus import u8, u32, write_seeds


def u64(v): return struct.pack('<Q', v)


STATE_ID = b'\x5e' * 16
IV = b'\x07' * 12


def hkdf(key, label, ctx=b''):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b'vtee-vstore',
                info=label.encode() + ctx).derive(key)


def entry(uuid, ns, ident, fileno, meta_len, data_len):
    return (uuid + u8(ns) + u8(len(ident)) + ident + u64(fileno) + u32(meta_len) + u64(data_len)
            + b'\xab' * 32)


def manifest_plain(entries, version=3, next_fileno=100):
    return (b'VSMANIF1' + u64(version) + b'\0' * 32 + STATE_ID + u64(next_fileno)
            + u32(len(entries)) + b''.join(entries))


U1, U2 = b'\x11' * 16, b'\x22' * 16
THREE = [entry(U1, 0, b'', 1, 0, 0), entry(U1, 0, b'a', 2, 5, 100), entry(U2, 1, b'ptime', 3, 0, 8)]


def manifest_file(plain):
    key = b'\x31' * 32  # the harness's manifest key
    return b'VTEEMNF1' + IV + AESGCM(key).encrypt(IV, plain, b'VTEEMNF1' + STATE_ID)


def record(kind, fileno, body):
    return kind + u64(fileno) + u64(len(body)) + body


def records(recs):
    body = b''.join(recs)
    return body + hmac.new(b'\x42' * 32, body, hashlib.sha256).digest()


def export(version, recs):
    host_key, host_id = b'\x24' * 32, b'f00df00df00df00d'
    vm_key = b'\x55' * 32
    aad = b'VTEEEXP1' + u32(1) + u32(0) + host_id + STATE_ID + u64(version)
    wrapped = IV + AESGCM(hkdf(host_key, 'vtee export wrap', STATE_ID)).encrypt(IV, vm_key, aad)
    body = aad + wrapped + b''.join(recs)
    mac_key = hkdf(vm_key, 'vtee export mac', STATE_ID)
    return body + hmac.new(mac_key, body, hashlib.sha256).digest()


OBJ = u32(3) + u64(5) + b'metdata'
MAN = manifest_file(manifest_plain(THREE))
RECS = [record(b'M', 0, MAN), record(b'O', 2, b'x' * 40), record(b'O', 3, b'y' * 10),
        record(b'E', 0, b'')]

SEEDS = {
    'manifest_empty': u8(0) + manifest_plain([], version=1, next_fileno=0),
    'manifest_three': u8(0) + manifest_plain(THREE),
    'manifest_unordered': u8(0) + manifest_plain(list(reversed(THREE))),
    'manifest_big_count': u8(0) + manifest_plain([])[:-4] + u32(0xFFFFFFFF),
    'object_plain': u8(1) + OBJ,
    'object_empty': u8(1) + u32(0) + u64(0),
    'object_lying_len': u8(1) + u32(3) + u64(2**63) + b'met',
    'export_full': u8(2) + export(3, RECS),
    'export_empty': u8(2) + export(0, [record(b'E', 0, b'')]),
    'export_wrong_recipient': u8(2) + export(3, RECS).replace(b'f00df00d', b'deadbeef', 1),
    'records_full': u8(3) + u8(3) + records(RECS),
    'records_no_manifest': u8(3) + u8(0) + records([record(b'E', 0, b'')]),
    'records_huge_len': u8(3) + u8(3) + records([record(b'M', 0, b'')[:9] + u64(2**64 - 1)]),
    'records_object_first': u8(3) + u8(3) + records([record(b'O', 1, b'z'), record(b'E', 0, b'')]),
    'manifest_file_three': u8(4) + MAN,
    'manifest_file_empty': u8(4) + manifest_file(manifest_plain([], version=1, next_fileno=0)),
}

if __name__ == '__main__':
    write_seeds('corpus_vstore', SEEDS)
