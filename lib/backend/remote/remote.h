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
#include "vtee/remote.h"

extern const struct vtee_backend_ops vtee_remote_backend;

#define REMOTE_DEFAULT_TIMEOUT_MS 5000u

/* ---- options (exposed for tests) ---- */
struct remote_opts {
	char host[256], port[16], name[256];
	char ca[512], cert[512], key[512];
	unsigned timeout_ms, pool;
};

/* 0, or -EINVAL with the reason in err. */
int remote_parse_options(const char *options, struct remote_opts *o, char *err, size_t errlen);

#endif
