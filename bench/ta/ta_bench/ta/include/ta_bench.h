/* SPDX-License-Identifier: MIT */
/* The benchmark TA (bench/ta-bench.c): its UUID and commands. */
#ifndef TA_BENCH_H
#define TA_BENCH_H

#define TA_BENCH_UUID \
	{ 0x0390fa8c, 0x353f, 0x4cc3, { 0x99, 0x3b, 0x4a, 0x03, 0xa9, 0xf8, 0x0b, 0xa0 } }

/* no parameters, does nothing: the cost of reaching the TA */
#define TA_BENCH_CMD_NULL        0
/* [0] memref input: the data; [1] memref output: its SHA-256 (32 bytes) */
#define TA_BENCH_CMD_SHA256      1
/* [0] memref input: a 32-byte AES-256 key; keeps it for the session's AES_GCM commands */
#define TA_BENCH_CMD_SET_KEY     2
/* [0] memref input: plaintext; [1] memref output: ciphertext (same size); [2] memref output: 16-byte tag.
 * The nonce is fixed: a throughput figure, not a use of GCM anyone should copy. */
#define TA_BENCH_CMD_AES_GCM_ENC 3

#endif
