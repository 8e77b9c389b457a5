// SPDX-License-Identifier: MIT
/*
 * OP-TEE's device-enumeration pseudo-TA, which a Linux guest asks at probe
 * time which TAs to create TEE-bus devices for (so e.g. optee-rng binds).
 * Linux first calls with a null memref to learn the size, then again.
 */
#include <string.h>

#include "soft.h"

#define PTA_CMD_GET_DEVICES      0 /* TAs flagged SOFT_TA_DEVICE_ENUM */
#define PTA_CMD_GET_DEVICES_SUPP 1 /* need tee-supplicant: we have none */
#define PTA_CMD_GET_DEVICES_RPMB 2 /* need RPMB storage: we have none */

static uint32_t list_devices(uint32_t flag, struct ta_param *out)
{
	size_t need = 0;
	for (size_t i = 0; i < soft_num_tas; i++)
		if (soft_tas[i]->flags & flag)
			need += sizeof(struct vtee_uuid);
	if (need == 0) {
		out->memref.size = 0;
		return TEE_SUCCESS;
	}
	if (!out->memref.buf || out->memref.size < need) {
		out->memref.size = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	uint8_t *dst = out->memref.buf;
	for (size_t i = 0; i < soft_num_tas; i++) {
		if (soft_tas[i]->flags & flag) {
			memcpy(dst, soft_tas[i]->uuid.b, sizeof(struct vtee_uuid));
			dst += sizeof(struct vtee_uuid);
		}
	}
	out->memref.size = need;
	return TEE_SUCCESS;
}

static uint32_t device_invoke(struct ta_call *c, void *sess, uint32_t cmd, uint32_t types,
			      struct ta_param p[4])
{
	(void)c;
	(void)sess;
	if (cmd > PTA_CMD_GET_DEVICES_RPMB)
		return TEE_ERROR_NOT_SUPPORTED;
	if (types != TA_PARAM_TYPES(VTEE_PARAM_MEMREF_OUT, VTEE_PARAM_NONE, VTEE_PARAM_NONE,
				    VTEE_PARAM_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	return list_devices(cmd == PTA_CMD_GET_DEVICES ? SOFT_TA_DEVICE_ENUM : 0, &p[0]);
}

/* Quick (soft.h): every command copies at most a few UUIDs. No open/close. */
static bool device_quick(uint32_t cmd, uint32_t types, const struct ta_param p[4])
{
	(void)cmd;
	(void)types;
	(void)p;
	return true;
}

const struct soft_ta soft_ta_device = {
	.name = "device-enum",
	.uuid = { { 0x70, 0x11, 0xa6, 0x88, 0xdd, 0xde, 0x40, 0x53,
		    0xa5, 0xa9, 0x7b, 0x3c, 0x4d, 0xdf, 0x13, 0xb8 } },
	.invoke = device_invoke,
	.quick = device_quick,
};
