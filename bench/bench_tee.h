/* SPDX-License-Identifier: MIT */
/*
 * A minimal TEE end of the link protocol for benchmarks (bench_tee.c): the
 * soft back-end behind one connection, values-only requests answered on
 * the reader's thread, over a stream socket or a channel. The same code
 * serves both transports, so a comparison between them measures only the
 * transport. Not vtee-tee: no limits, no recovery, no memrefs, no RPC.
 */
#ifndef VTEE_BENCH_TEE_H
#define VTEE_BENCH_TEE_H

#include "chan.h"

/* Serve the connection (fd, or chan when set) until it ends; 0 at a clean end, -errno otherwise. */
int bench_tee_serve(int fd, struct vtee_chan *chan);

#endif
