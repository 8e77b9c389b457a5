/* SPDX-License-Identifier: MIT */
/*
 * The "remote" back-end's extras (docs/remote.md), for a supervisor that
 * holds the connection pool to vtee-served itself and hands each sandboxed
 * mediator a channel of it. Only in a libvtee built with the remote
 * back-end (OpenSSL); installed only then. Functions return 0 or a
 * negative errno; -EINVAL when tee is not a "remote" back-end instance.
 */
#ifndef VTEE_REMOTE_H_PUBLIC
#define VTEE_REMOTE_H_PUBLIC

#include <stdint.h>

#include "vtee/vtee.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/*
 * A raw link stream to the server on this instance's pool: a new channel,
 * *fd our end (close it to end the channel). A mediator given it serves its
 * VM with the "link" back-end (vteed_start() does this for backend "remote").
 */
int vtee_remote_channel(struct vtee_tee *tee, int *fd);
/* Live pooled connections of the instance (status, tests). */
int vtee_remote_pool_connections(struct vtee_tee *tee, unsigned *n);
/*
 * Benchmarks: one round trip to the server that runs nothing in the TEE (a
 * link STATS request), for a VM served by the remote back-end.
 */
int vtee_remote_round_trip(struct vtee_vm *vm, uint64_t *ns);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
