// SPDX-License-Identifier: MIT
/*
 * The RNG TA that Linux's optee-rng driver binds to (OP-TEE's PTA_RNG UUID),
 * fed from the host's getrandom().
 */
#include <errno.h>
#include <sys/random.h>

#include "soft.h"

#define RNG_CMD_GET_ENTROPY  0
#define RNG_CMD_GET_RNG_INFO 1

#define RNG_MAX_PER_CALL 4096u
/* High enough that the guest driver never throttles itself. */
#define RNG_DATA_RATE    1048576u
/* Entropy per 1024 bits: full, the host's CSPRNG is as good as it gets. */
#define RNG_QUALITY      1024u

static uint32_t get_entropy(struct ta_param *p)
{
	if (!p->memref.buf)
		return TEE_ERROR_BAD_PARAMETERS;
	size_t want = p->memref.size < RNG_MAX_PER_CALL ? p->memref.size : RNG_MAX_PER_CALL;
	uint8_t *dst = p->memref.buf;
	size_t got = 0;
	while (got < want) {
		ssize_t n = getrandom(dst + got, want - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return TEE_ERROR_GENERIC;
		}
		got += (size_t)n;
	}
	p->memref.size = got;
	return TEE_SUCCESS;
}

static uint32_t rng_invoke(struct ta_call *c, void *sess, uint32_t cmd, uint32_t types,
			   struct ta_param p[4])
{
	(void)c;
	(void)sess;
	switch (cmd) {
	case RNG_CMD_GET_ENTROPY:
		if (types != TA_PARAM_TYPES(VTEE_PARAM_MEMREF_INOUT, VTEE_PARAM_NONE,
					    VTEE_PARAM_NONE, VTEE_PARAM_NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return get_entropy(&p[0]);
	case RNG_CMD_GET_RNG_INFO:
		if (types != TA_PARAM_TYPES(VTEE_PARAM_VALUE_OUT, VTEE_PARAM_NONE,
					    VTEE_PARAM_NONE, VTEE_PARAM_NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[0].value.a = RNG_DATA_RATE;
		p[0].value.b = RNG_QUALITY;
		return TEE_SUCCESS;
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

/*
 * Quick (soft.h): RNG info, and entropy requests up to one call's worth;
 * getrandom() on the initialised host pool does not block. No open/close.
 */
static bool rng_quick(uint32_t cmd, uint32_t types, const struct ta_param p[4])
{
	(void)types;
	return cmd == RNG_CMD_GET_RNG_INFO ||
	       (cmd == RNG_CMD_GET_ENTROPY && p[0].memref.size <= RNG_MAX_PER_CALL);
}

const struct soft_ta soft_ta_rng = {
	.name = "rng",
	.uuid = { { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
		    0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 } },
	.flags = SOFT_TA_DEVICE_ENUM,
	.invoke = rng_invoke,
	.quick = rng_quick,
};
