/* SPDX-License-Identifier: MIT */
/*
 * The "remote" back-end (remote.c): the VM's TEE on another machine, served
 * by vtee-served over TLS 1.3 with mutual certificate authentication
 * (docs/remote.md). Built when OpenSSL is there.
 */
#ifndef VTEE_REMOTE_H
#define VTEE_REMOTE_H

#include <stdint.h>

#include "vtee/backend.h"

extern const struct vtee_backend_ops vtee_remote_backend;

#define REMOTE_DEFAULT_TIMEOUT_MS 5000u

/* ---- options (exposed for tests) ---- */
struct remote_opts {
	char host[256], port[16], name[256];
	char ca[512], cert[512], key[512];
	unsigned timeout_ms, pool;
};

/*
 * Benchmarks: one round trip to the server that runs nothing in the TEE (a
 * link STATS request): the network, TLS and the mux threads. vm is the remote
 * back-end's VM (struct vtee_vm's be). 0 or a negative errno.
 */
int vtee_remote_round_trip(void *vm, uint64_t *ns);

struct vtee_tee;
/*
 * A raw link stream to the server on this "remote" back-end's pool: a new
 * channel, *fd our end (close it to end the channel). For a supervisor that
 * hands it to a sandboxed vteed as its TEE (the "link" back-end there), as
 * vteed_start() does for backend "remote". 0 or a negative errno.
 */
int vtee_remote_channel(struct vtee_tee *tee, int *fd);

/* Tests: live pooled connections of a back-end instance (its private state: vtee_tee's priv). */
unsigned vtee_remote_connections(void *tee_priv);

/* 0, or -EINVAL with the reason in err. */
int remote_parse_options(const char *options, struct remote_opts *o, char *err, size_t errlen);

#endif
