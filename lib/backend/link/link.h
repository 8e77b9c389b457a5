/* SPDX-License-Identifier: MIT */
/*
 * The "link" back-end (link.c): the TEE lives in another process (vtee-tee)
 * or another machine, reached over a stream socket with the protocol of
 * docs/tee-link.md. Options: "fd=N" or "fd=N,resume".
 */
#ifndef VTEE_LINK_H
#define VTEE_LINK_H

#include <stdint.h>

#include "vtee/backend.h"

extern const struct vtee_backend_ops vtee_link_backend;

struct vtee_link_stats {
	uint32_t sessions;    /* sessions the TEE holds for this VM */
	uint32_t inflight;    /* requests of this connection running in the TEE */
	uint32_t vm_inflight; /* requests running on the VM in the TEE, any connection */
};

/*
 * Ask the TEE (STATS): vm is the link back-end's VM (struct vtee_vm's be).
 * 0, or -ENOTCONN when the link is down, -ETIMEDOUT, -EINVAL.
 */
int vtee_link_stats(void *vm, struct vtee_link_stats *st);

#endif
