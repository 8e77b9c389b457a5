#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_smc (tests/fuzz/corpus/*) in its input format.

Run from anywhere: python3 tests/fuzz/gen_corpus.py. The format is described
at the top of fuzz_smc.c; the helpers below mirror it.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v)
def u16(v): return struct.pack('<H', v)
def u32(v): return struct.pack('<I', v)


def page(i):            # addr selector: page i of RAM (0..15 R0, 16..23 R1)
    return i << 2


# value selectors
def v8(b): return u8(0) + u8(b)
def vaddr(sel): return u8(1) + u16(sel)
def vcookie(c): return u8(3) + u8(c)
def v16(x): return u8(4) + u16(x)
def v32(x): return u8(5) + u32(x)


ATTR = {'none': 0, 'vin': 1, 'vout': 2, 'vinout': 3, 'rin': 4, 'rout': 5, 'rinout': 6,
        'tin': 7, 'tout': 8, 'tinout': 9, 'tin_nc': 10, 'tout_nc': 11, 'tinout_nc': 12, 'meta': 13}
FID = {'count': 0, 'uid': 1, 'rev': 2, 'os_uuid': 3, 'os_rev': 4, 'rfr': 5, 'exch': 9,
       'disable': 10, 'enable': 11, 'threads': 15}


def msg(at, cmd, func=0, sess=0, cancel=0, params=()):
    out = u8(1) + u16(at) + u8(cmd) + u8(func) + u8(sess) + u8(cancel) + u8(len(params))
    for attr, a, b, c in params:
        out += u8(attr) + a + b + c
    return out


def call(at, kind=0, follow=15):
    return u8(4) + u8(kind) + u16(at) + u8(follow)


def call_regd(cookie, offs, follow=15):
    return u8(4) + u8(2) + u8(cookie) + u16(offs) + u8(follow)


def smc(fid, a1=0, a2=0, a3=0):
    return u8(3) + u8(FID[fid]) + u32(a1) + u32(a2) + u32(a3) + u8(0)


def fill(at, byte, n):
    return u8(6) + u16(at) + u8(byte) + u16(n)


def plist(at, entries, link):
    return u8(2) + u16(at) + u8(len(entries)) + b''.join(u16(e) for e in entries) + u16(link)


def looplist(at, data):
    return u8(7) + u16(at) + u16(data)


def resume(sel=0, mode=0, extra=b''):
    return u8(5) + u8(sel) + u8(mode) + extra


def open_test_ta(at=page(0)):
    # attr-sel 13 = META|VALUE_INPUT; high nibble 0 = test TA / PUBLIC login
    return msg(at, 0, params=[(13, v8(0), v8(0), v8(0)), (13, v8(0), v8(0), v8(0))]) + call(at)


def inc(at, sess, v):
    return msg(at, 1, func=0, sess=sess, params=[(ATTR['vinout'], v8(v), v8(0), v8(0))]) + call(at)


PROBE = b''.join([smc('uid'), smc('rev'), smc('os_uuid'), smc('os_rev'), smc('exch'), smc('threads'),
                  smc('disable'), smc('enable'), smc('count')])

SEEDS = {
    'probe': PROBE,
    'open_invoke_close': PROBE + open_test_ta() + inc(page(1), 1, 41)
    + fill(page(3), 0x61, 100)
    + msg(page(2), 1, func=8, sess=1, params=[(ATTR['tin'], vaddr(page(3)), v16(100), v8(0)),
                                              (ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2))
    + msg(page(2), 1, func=1, sess=1, params=[(ATTR['tinout'], vaddr(page(3)), v16(50), v8(0))]) + call(page(2))
    + msg(page(0), 2, sess=1) + call(page(0)),
    'register_rmem': PROBE + plist(page(4), [page(5), page(6)], page(0))
    + msg(page(0), 4, params=[(ATTR['tout_nc'], vaddr(page(4)), v16(8000), vcookie(2))]) + call(page(0))
    + open_test_ta(page(1))
    + msg(page(2), 1, func=8, sess=1, params=[(ATTR['rin'], v8(10), v16(5000), vcookie(2)),
                                              (ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2))
    + msg(page(2), 1, func=1, sess=1, params=[(ATTR['rinout'], v8(0), v16(300), vcookie(2))]) + call(page(2))
    + msg(page(0), 5, params=[(ATTR['rin'], v8(0), v8(0), vcookie(2))]) + call(page(0)),
    'regd_arg': open_test_ta() + plist(page(4), [page(5), page(6)], page(0))
    + msg(page(0), 4, params=[(ATTR['tout_nc'], vaddr(page(4)), v16(8000), vcookie(3))]) + call(page(0))
    + msg(page(5), 1, func=0, sess=1, params=[(ATTR['vinout'], v8(7), v8(0), v8(0))])
    + call_regd(3, 0) + call_regd(3, 8) + call_regd(3, 4096 - 32),
    'sleep_resume': open_test_ta()
    + b''.join(msg(page(8 + i), 1, func=3, sess=1, params=[(ATTR['vin'], v8(5), v8(0), v8(0))])
               + call(page(8 + i), follow=0) for i in range(5))
    + resume(0) + resume(1) + resume(2) + resume(3) + call(page(8), follow=15) + smc('rfr', 0, 0, 0),
    'looplist_hash': open_test_ta() + looplist(page(7), page(9)) + fill(page(9), 0x5A, 4096)
    + msg(page(2), 1, func=8, sess=1, params=[(ATTR['tin_nc'], vaddr(page(7)), v32(60 * 4096), v8(0)),
                                              (ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2)),
    'ree_time_alloc': open_test_ta()
    + msg(page(2), 1, func=10, sess=1, params=[(ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2)),
    'ree_time_rpc_arg': open_test_ta()
    + msg(page(2), 1, func=10, sess=1, params=[(ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2), kind=1),
    'ree_time_by_hand': open_test_ta()
    + msg(page(2), 1, func=10, sess=1, params=[(ATTR['vout'], v8(0), v8(0), v8(0))]) + call(page(2), follow=0)
    # ALLOC answered with page 4 and cookie 5, CMD answered in page 4, FREE resumed
    + resume(0, 3, u16(page(4)) + u8(5)) + resume(0, 4, u16(page(4))) + resume(0) + resume(0),
    'rpc_arg_whoami': open_test_ta()
    + msg(page(2), 1, func=4, sess=1, params=[(ATTR['vout'], v8(0), v8(0), v8(0)),
                                              (ATTR['tout'], vaddr(page(3)), v8(16), v8(0))])
    + call(page(2), kind=1),
}

def write_seeds(folder, seeds):
    """Each seed into a file of its name in folder (beside this script)."""
    d = os.path.join(HERE, folder)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(seeds), d))


if __name__ == '__main__':
    write_seeds('corpus', SEEDS)
