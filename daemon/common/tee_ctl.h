/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's storage message to vtee-tee on --ctl-fd (docs/tee-link.md),
 * written here once for both ends (daemon/client/tee_process.c sends it,
 * daemon/tee/storage.c receives it):
 *
 *   'S', then TEE_CTL_STORAGE_LEN bytes, little-endian:
 *     u32 vm_id (non-zero)  u32 flags (TEE_CTL_STORAGE_ANCHOR)  u32 max_objects
 *     u64 max_bytes  u8 state_id[16]  u8 vm_key[32]
 *   with SCM_RIGHTS on the first byte: the state directory (O_RDONLY), and the
 *   anchor file (O_RDWR) when flags has TEE_CTL_STORAGE_ANCHOR.
 *
 * The struct's fields travel one by one, so no padding or host layout ever
 * crosses the socket.
 */
#ifndef VTEE_TEE_CTL_H
#define VTEE_TEE_CTL_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "vtee/backend.h"

#define TEE_CTL_STORAGE 'S'
#define TEE_CTL_STORAGE_ANCHOR 1u
#define TEE_CTL_STORAGE_LEN (4u + 4u + 4u + 8u + 16u + 32u)

static inline void tee_ctl_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t tee_ctl_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* The message after its 'S' byte; out has TEE_CTL_STORAGE_LEN bytes. */
static inline void tee_ctl_storage_encode(uint8_t *out, uint32_t vm_id, const struct vtee_storage *st)
{
	uint64_t mb = htole64(st->max_bytes);
	tee_ctl_put32(out, vm_id);
	tee_ctl_put32(out + 4, st->anchor_fd >= 0 ? TEE_CTL_STORAGE_ANCHOR : 0);
	tee_ctl_put32(out + 8, st->max_objects);
	memcpy(out + 12, &mb, sizeof(mb));
	memcpy(out + 20, st->state_id, sizeof(st->state_id));
	memcpy(out + 36, st->vm_key, sizeof(st->vm_key));
}

/* The reverse; st's fds are left to the caller. */
static inline void tee_ctl_storage_decode(const uint8_t *in, uint32_t *vm_id, uint32_t *flags,
					  struct vtee_storage *st)
{
	uint64_t mb;
	*vm_id = tee_ctl_get32(in);
	*flags = tee_ctl_get32(in + 4);
	st->max_objects = tee_ctl_get32(in + 8);
	memcpy(&mb, in + 12, sizeof(mb));
	st->max_bytes = le64toh(mb);
	memcpy(st->state_id, in + 20, sizeof(st->state_id));
	memcpy(st->vm_key, in + 36, sizeof(st->vm_key));
}

#endif
