#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_ta_msg (tests/fuzz/corpus_ta_msg/*) in its input format.

Run from anywhere: python3 tests/fuzz/gen_corpus_ta_msg.py. The format is described at the
top of fuzz_ta_script.c; the helpers below mirror it. Seeds named regress_* reproduce bugs the
fuzzer found (those written here say which in a comment; the fuzzer's own inputs are kept as
they came).
"""
import struct

from gen_corpus import u8, u16, u32, write_seeds


def u64(v): return struct.pack('<Q', v)


# guest parameter bytes: type | size index << 3 (the first 16 of ft_sizes)
SIZE = {0: 0, 1: 1, 3: 2, 8: 3, 16: 4, 63: 5, 64: 6, 100: 7, 255: 8, 256: 9, 1000: 10, 2048: 11,
        4095: 12, 4096: 13, 17: 14, 4000: 15}
BIG = {4097: 16, 8192: 17, 65536: 20, 65537: 21, 0xFFFFFFFF: 24, 2**64 - 1: 30}
GT = {'none': 0, 'vin': 1, 'vout': 2, 'vinout': 3, 'min': 4, 'mout': 5, 'minout': 6, 'mnull': 7}


def gp(t, size=0):
    return GT[t] | SIZE[size] << 3


def guest(open_params, invokes=(), rpc_fails=False):
    out = u8(len(invokes)) + u8(1 if rpc_fails else 0) + bytes(open_params)
    for p in invokes:
        out += bytes(p)
    return out


# TA types nibbles (the table in ta_params): index per GP type
TN = {'none': 0, 'vin': 1, 'vout': 2, 'vinout': 3, 'min': 4, 'mout': 5, 'minout': 6, 'bad': 14}
SINGLE, MULTI, KEEP, CRASHED = 1, 2, 4, 8
RESULT = {'success': 0, 'short': 2, 'generic': 3, 'dead': 5, 'notfound': 9}


def size_sel(n):
    return SIZE[n] if n in SIZE else BIG[n]


NEXT = u8(0)


def ready(flags=0, uuid='own', result=None):
    mode = {'own': 0, 'other': 1, 'as_is': 2}[uuid] | (4 if result else 0)
    return u8(1) + u8(mode) + u8(flags) + (u8(RESULT[result]) if result else b'')


def done(result='success', origin=4, sizes=(0, 0, 0, 0)):
    return u8(2) + u8(RESULT[result]) + u8(origin) + b''.join(u8(size_sel(s)) for s in sizes)


def log(text):
    return u8(3) + u16(len(text)) + text


def panic(code=0xdead):
    return u8(4) + u32(code)


REE_TIME, PTIME_LOAD = u8(5), u8(6)


def ptime_store(ms):
    return u8(7) + u64(ms)


def ta_types(names, junk=False):
    t = 0
    for i, n in enumerate(names):
        t |= TN[n] << (4 * i)
    return u8(2 | 4 if junk else 0) + u16(t)


def memrefs(sizes, null=()):
    return b''.join(u8(size_sel(s) | (0x80 if i in null else 0)) for i, s in enumerate(sizes))


def ta_open(uuid_sel, names, sizes, null=(), timeout=0, junk=False):
    return u8(8) + u8(uuid_sel) + ta_types(names, junk) + memrefs(sizes, null) + u8(timeout)


def ta_invoke(session, cmd, names, sizes, null=()):
    return u8(9) + u8(session) + u32(cmd) + ta_types(names) + memrefs(sizes, null)


def ta_close(session):
    return u8(10) + u8(session)


def raw(type_, payload=b'', length=None):
    return u8(11) + u8(type_) + u16(len(payload) if length is None else length) + payload


def trunc(type_, length, have):
    return u8(12) + u8(type_) + u16(length) + u8(len(have)) + have


def trunc_header(type_, length, keep):
    return u8(12) + u8(type_) + u16(length) + u8(0x80 | keep)


def pause(back=0, slow=False):
    """What follows (and the last back bytes) waits until the guest is out of submit(), or a while."""
    return u8(13) + u8(back | (0x80 if slow else 0))


ST = {'open': 0, 'create': 1, 'read': 2, 'write': 3, 'truncate': 4, 'size': 5, 'set_meta': 6, 'rename': 7,
      'close': 8, 'next': 9, 'stage': 10}


def st(kind, obj=0, flags=0, pos=0, id_len=0, meta_len=0, read_len=0, data_len=0, staged=0, length=None,
       meta_room=None):
    """A persistent-object request (op 14); length: a header length of its own instead of the parts' sum."""
    mode = (1 if length is not None else 0) | (2 if meta_room is not None else 0)
    out = u8(14) + u8(ST[kind]) + u8(mode) + u32(obj) + u32(flags) + u64(pos) + u8(id_len) + u16(meta_len)
    out += u32(read_len) + u32(data_len) + u32(staged)
    if length is not None:
        out += u16(length)
    if meta_room is not None:
        out += u16(meta_room)
    return out


DONE, LOG, READY_T = 17, 18, 16
G, OTHER, THIRD = 0, 3, 7  # TA_OPEN uuid-sel: the guest's TA, another one, a third

NONE4, Z4 = ['none'] * 4, [0] * 4
PLAIN = guest([gp('vin'), gp('mout', 64), gp('minout', 100), gp('none')],
              [[gp('vinout'), gp('min', 4096), gp('mout', 17), gp('vout')],
               [gp('mout', 256), gp('mnull', 8), gp('vout'), gp('none')]])
ONE = guest([gp('vin'), gp('minout', 64), gp('none'), gp('none')], [[gp('minout', 100)] + [gp('none')] * 3])

SEEDS = {
    # persistent objects in a VM without storage: ITEM_NOT_FOUND for all but STAGE
    'storage_requests': ONE + ready() + st('open', flags=0x11, id_len=5, meta_room=4096)
    + st('create', flags=0x413, id_len=64, meta_len=40, data_len=1000) + st('next', flags=1, meta_room=100)
    + st('next', id_len=3) + done(sizes=(0, 64, 0, 0)) + st('read', obj=1, read_len=4096)
    + st('write', obj=1, pos=10, data_len=100) + st('truncate', obj=2, pos=5) + st('size', obj=1)
    + st('set_meta', obj=1, meta_len=300) + st('rename', obj=1, id_len=7) + st('close', obj=1, flags=1)
    + st('close', obj=0xFFFFFFFF) + done(sizes=(100, 0, 0, 0)) + done() + done(),
    'storage_staged': ONE + ready() + st('stage', data_len=20000) + st('stage', data_len=30000)
    + st('write', obj=1, data_len=5, staged=50000) + st('stage', data_len=100)
    + st('create', id_len=1, data_len=9, staged=100) + st('create', id_len=1) + done(sizes=(0, 64, 0, 0))
    + done() + done() + done(),
    'storage_stage_mismatch': ONE + ready() + st('stage', data_len=100) + st('write', obj=1, staged=50)
    + done() + done(),
    'storage_stage_unused': ONE + ready() + st('stage', data_len=4000) + done(sizes=(0, 64, 0, 0))
    + st('stage', data_len=10) + done() + done() + done(),
    'storage_bad_lengths': ONE + ready() + st('open', id_len=65) + done(),
    'storage_meta_too_big': ONE + ready() + st('set_meta', obj=1, meta_len=16385) + done(),
    'storage_read_too_big': ONE + ready() + st('read', obj=1, read_len=65537) + done(),
    'storage_len_mismatch': ONE + ready() + st('write', obj=1, data_len=10, length=60) + done(),
    'storage_short_header': ONE + ready() + st('size', obj=1, length=20) + done(),
    'storage_data_on_size': ONE + ready() + st('size', obj=1, data_len=4) + done(),
    'storage_staged_on_read': ONE + ready() + st('read', obj=1, read_len=4, staged=4) + done(),
    'storage_read_len_on_write': ONE + ready() + st('write', obj=1, read_len=4) + done(),
    'storage_room_on_size': ONE + ready() + st('size', obj=1, meta_room=16) + done(),
    'open_invoke_close': PLAIN + log(b'loading') + ready() + log(b'open\n')
    + done(sizes=(0, 64, 100, 0)) + done(sizes=(0, 0, 17, 0))
    + done('short', sizes=(4096, 8, 0, 0)) + done() + done(),
    'outputs_sizes': PLAIN + ready() + done(sizes=(0, 0, 1, 0)) + done(sizes=(0, 0, 0, 0))
    + done(sizes=(1000, 2**64 - 1, 16, 0)) + done(),
    'requests': ONE + ready() + REE_TIME + PTIME_LOAD + ptime_store(12345) + PTIME_LOAD
    + done(sizes=(0, 64, 0, 0)) + REE_TIME + done(sizes=(100, 0, 0, 0)) + done() + done(),
    'requests_rpc_fails': guest([gp('none')] * 4, [[gp('vout')] + [gp('none')] * 3], rpc_fails=True)
    + ready() + done() + REE_TIME + done() + done() + done(),
    'ta2ta': ONE + ready() + ta_open(OTHER, ['min', 'mout', 'vin', 'none'], [16, 64, 0, 0])
    + ta_invoke(1, 7, ['minout', 'vout', 'none', 'none'], [100, 0, 0, 0])
    + ta_close(1) + done(sizes=(0, 64, 0, 0)) + done() + done() + done()
    + NEXT + ready() + done(sizes=(0, 64, 0, 0)) + done(sizes=(63, 0, 0, 0)) + done() + done(),
    'ta2ta_single_busy': ONE + ready(SINGLE | MULTI | KEEP) + ta_open(G, ['none'] * 4, [0] * 4)
    + ta_open(OTHER, ['vin', 'none', 'none', 'none'], [0] * 4) + done() + done() + done()
    + NEXT + ready(SINGLE | MULTI | KEEP) + ta_open(G, ['none'] * 4, [0] * 4) + done() + done(),
    'ta2ta_chain': ONE + b''.join(ready() + ta_open(G, ['none'] * 4, [0] * 4) + done() + done() + NEXT
                                  for _ in range(10)),
    'ta2ta_nested_panic': ONE + ready() + ta_open(OTHER, ['none'] * 4, [0] * 4)
    + ta_invoke(1, 1, ['none'] * 4, [0] * 4) + done() + done() + NEXT + ready() + done() + panic(),
    'ta2ta_no_such_ta': ONE + ready() + ta_open(OTHER, ['none'] * 4, [0] * 4) + done() + done(),
    'ta2ta_null_memref': ONE + ready()
    + ta_open(OTHER, ['minout', 'mout', 'none', 'none'], [256, 8], null=(0,)) + done() + NEXT
    + ready() + done(sizes=(255, 8, 0, 0)),
    'ta2ta_data_mismatch': ONE + ready() + ta_open(OTHER, ['min', 'none', 'none', 'none'], [65537, 0, 0, 0])
    + done(),
    'ta2ta_junk_types': ONE + ready() + ta_open(OTHER, ['vin'] * 4, [0] * 4, junk=True) + done(),
    'ta2ta_bad_type': ONE + ready() + ta_invoke(1, 1, ['bad', 'none', 'none', 'none'], [0] * 4) + done(),
    'ta2ta_bad_session': ONE + ready() + ta_invoke(5, 1, ['none'] * 4, [0] * 4) + ta_close(0) + done(),
    'panic': ONE + ready() + log(b'about to panic') + panic(0x1234),
    'panic_after_open': ONE + ready() + done() + panic(),
    'ready_fails': ONE + ready(result='notfound'),
    'ready_wrong_uuid': ONE + ready(uuid='other'),
    'ready_missing': ONE + log(b'x') + done(),
    'log_too_long': ONE + ready() + log(b'A' * 299) + done(),
    'log_control_chars': ONE + ready() + log(b'\x1b[2Jfake\nline\r\n') + done() + done(),
    'many_logs': ONE + ready() + b''.join(log(b'line %d' % i) for i in range(190)) + done() + done(),
    'done_short': ONE + ready() + raw(DONE, b'\0' * 50),
    'done_cut': ONE + ready() + trunc(DONE, 104, b'\0' * 10),
    'unknown_type': ONE + ready() + raw(31),
    'ready_in_call': ONE + ready() + raw(READY_T, b'\0' * 40),
    'empty': ONE,
    'header_cut': ONE + ready() + done() + trunc_header(DONE, 72, 5),
    'stall_before_done': ONE + ready() + done() + pause() + done(sizes=(100, 0, 0, 0)) + done() + done(),
    'stall_mid_log': ONE + ready() + done() + log(b'half a line') + pause(6) + done() + done() + done(),
    # an INVOKE begun on the submitter's thread waited there for the rest of a header or of a DONE
    'regress_inline_stall_mid_header': ONE + ready() + done() + done(sizes=(100, 0, 0, 0)) + pause(76)
    + done() + done(),
    'regress_inline_stall_mid_done': ONE + ready() + done() + done(sizes=(100, 0, 0, 0)) + pause(40)
    + done() + done(),
    # an INVOKE of a dead instance, begun on the submitter's thread, closed the instance's TA-to-TA
    # sessions there: calls into another TA (here one that takes its time to close)
    'regress_inline_dead_closes_on_vcpu': ONE + ready() + ta_open(OTHER, ['none'] * 4, [0] * 4) + done()
    + NEXT + ready() + done() + log(b'closing') + pause() + done() + done(),
    # the last reference to a dead single instance D went while the chain was inside X, which D had
    # a session to: freeing D closed that session in a chain of its own, waiting for X's lane forever
    'regress_free_closes_into_own_chain': ONE + ready()
    + ta_open(OTHER, NONE4, Z4) + ta_open(THIRD, NONE4, Z4) + pause(slow=True) + ta_close(2)
    + ta_open(OTHER, NONE4, Z4) + done() + done() + done()
    + NEXT + ready(SINGLE | MULTI) + done() + done() + ta_open(THIRD, NONE4, Z4) + done()
    + NEXT + ready(SINGLE | MULTI) + ta_open(OTHER, NONE4, Z4) + done(),
}

if __name__ == '__main__':
    write_seeds('corpus_ta_msg', SEEDS)
