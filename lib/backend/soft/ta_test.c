// SPDX-License-Identifier: MIT
/*
 * The test TA (contract in include/vtee/test_ta.h). Its per-VM instance holds
 * what STORE kept and how many sessions are open, so tests can see both that
 * calls reach the right VM's instance and that sessions are closed.
 */
#include <string.h>

#include "soft.h"
#include "vtee/test_ta.h"

struct test_inst {
	uint32_t sessions;
	size_t stored;
	uint8_t store[VTEE_TEST_STORE_MAX];
};

#define TYPES(t0, t1, t2, t3) \
	TA_PARAM_TYPES(VTEE_PARAM_##t0, VTEE_PARAM_##t1, VTEE_PARAM_##t2, VTEE_PARAM_##t3)

/* A null memref may only stand for an empty buffer where the TA must read or fill it. */
static bool has_data(const struct ta_param *p)
{
	return p->memref.buf || p->memref.size == 0;
}

static uint32_t test_open(struct ta_call *c, uint32_t types, struct ta_param p[4], void **sess)
{
	(void)types;
	(void)p;
	(void)sess;
	struct test_inst *in = ta_instance(c);
	ta_lock(c);
	in->sessions++;
	ta_unlock(c);
	return TEE_SUCCESS;
}

static void test_close(struct ta_call *c, void *sess)
{
	(void)sess;
	struct test_inst *in = ta_instance(c);
	ta_lock(c);
	in->sessions--;
	ta_unlock(c);
}

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = src[i];
		dst[i] = src[n - 1 - i];
		dst[n - 1 - i] = t;
	}
	if (n & 1)
		dst[n / 2] = src[n / 2];
}

static uint32_t cmd_reverse(uint32_t types, struct ta_param p[4])
{
	if (types == TYPES(MEMREF_INOUT, NONE, NONE, NONE)) {
		if (!has_data(&p[0]))
			return TEE_ERROR_BAD_PARAMETERS;
		if (p[0].memref.size)
			reverse(p[0].memref.buf, p[0].memref.buf, p[0].memref.size);
		return TEE_SUCCESS;
	}
	if (types != TYPES(MEMREF_IN, MEMREF_OUT, NONE, NONE) || !has_data(&p[0]))
		return TEE_ERROR_BAD_PARAMETERS;
	size_t n = p[0].memref.size;
	if (n && (!p[1].memref.buf || p[1].memref.size < n)) {
		p[1].memref.size = n;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (n)
		reverse(p[1].memref.buf, p[0].memref.buf, n);
	p[1].memref.size = n;
	return TEE_SUCCESS;
}

static uint32_t cmd_whoami(struct ta_call *c, uint32_t types, struct ta_param p[4])
{
	bool want_uuid = types == TYPES(VALUE_OUT, MEMREF_OUT, NONE, NONE);
	if (!want_uuid && types != TYPES(VALUE_OUT, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	const struct vtee_client *who = ta_client(c);
	p[0].value.a = who->vm_id;
	p[0].value.b = who->login;
	if (want_uuid) {
		if (!p[1].memref.buf || p[1].memref.size < sizeof(who->uuid)) {
			p[1].memref.size = sizeof(who->uuid);
			return TEE_ERROR_SHORT_BUFFER;
		}
		memcpy(p[1].memref.buf, who->uuid.b, sizeof(who->uuid));
		p[1].memref.size = sizeof(who->uuid);
	}
	return TEE_SUCCESS;
}

static uint32_t cmd_store(struct ta_call *c, struct test_inst *in, struct ta_param *p)
{
	if (!has_data(p) || p->memref.size > VTEE_TEST_STORE_MAX)
		return TEE_ERROR_BAD_PARAMETERS;
	ta_lock(c);
	if (p->memref.size)
		memcpy(in->store, p->memref.buf, p->memref.size);
	in->stored = p->memref.size;
	ta_unlock(c);
	return TEE_SUCCESS;
}

static uint32_t cmd_load(struct ta_call *c, struct test_inst *in, struct ta_param *p)
{
	uint32_t ret = TEE_SUCCESS;
	ta_lock(c);
	if (in->stored && (!p->memref.buf || p->memref.size < in->stored))
		ret = TEE_ERROR_SHORT_BUFFER;
	else if (in->stored)
		memcpy(p->memref.buf, in->store, in->stored);
	p->memref.size = in->stored;
	ta_unlock(c);
	return ret;
}

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

static uint32_t test_invoke(struct ta_call *c, void *sess, uint32_t cmd, uint32_t types,
			    struct ta_param p[4])
{
	(void)sess;
	struct test_inst *in = ta_instance(c);

	switch (cmd) {
	case VTEE_TEST_CMD_INC:
		if (types != TYPES(VALUE_INOUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[0].value.a++;
		return TEE_SUCCESS;
	case VTEE_TEST_CMD_REVERSE:
		return cmd_reverse(types, p);
	case VTEE_TEST_CMD_FILL:
		if (types != TYPES(MEMREF_OUT, VALUE_IN, NONE, NONE) || !has_data(&p[0]))
			return TEE_ERROR_BAD_PARAMETERS;
		if (p[0].memref.size)
			memset(p[0].memref.buf, (int)(p[1].value.a & 0xff), p[0].memref.size);
		return TEE_SUCCESS;
	case VTEE_TEST_CMD_SLEEP:
		if (types != TYPES(VALUE_IN, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return ta_sleep_ms(c, p[0].value.a);
	case VTEE_TEST_CMD_WHOAMI:
		return cmd_whoami(c, types, p);
	case VTEE_TEST_CMD_NULL:
		return types == TYPES(NONE, NONE, NONE, NONE) ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
	case VTEE_TEST_CMD_STORE:
		if (types != TYPES(MEMREF_IN, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_store(c, in, &p[0]);
	case VTEE_TEST_CMD_LOAD:
		if (types != TYPES(MEMREF_OUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_load(c, in, &p[0]);
	case VTEE_TEST_CMD_HASH:
		if (types != TYPES(MEMREF_IN, VALUE_OUT, NONE, NONE) || !has_data(&p[0]))
			return TEE_ERROR_BAD_PARAMETERS;
		p[1].value.a = fnv1a(p[0].memref.buf, p[0].memref.size);
		p[1].value.b = (uint32_t)p[0].memref.size;
		return TEE_SUCCESS;
	case VTEE_TEST_CMD_SESSIONS:
		if (types != TYPES(VALUE_OUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		ta_lock(c);
		p[0].value.a = in->sessions;
		ta_unlock(c);
		return TEE_SUCCESS;
	case VTEE_TEST_CMD_REE_TIME:
		if (types != TYPES(VALUE_OUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return ta_ree_time(c, &p[0].value.a, &p[0].value.b);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

/* HASH, REVERSE and FILL touch every byte they get: quick up to this many in all. */
#define TEST_QUICK_BYTES (64u << 10)

/*
 * Which commands may run inline on the caller's thread (soft.h): all but
 * SLEEP (blocks), REE_TIME (an RPC to the guest) and unknown ones. The
 * instance lock is only ever held for a memcpy of at most STORE_MAX bytes.
 */
static bool test_quick(uint32_t cmd, uint32_t types, const struct ta_param p[4])
{
	switch (cmd) {
	case VTEE_TEST_CMD_INC:
	case VTEE_TEST_CMD_WHOAMI:
	case VTEE_TEST_CMD_NULL:
	case VTEE_TEST_CMD_STORE:
	case VTEE_TEST_CMD_LOAD:
	case VTEE_TEST_CMD_SESSIONS:
		return true;
	case VTEE_TEST_CMD_REVERSE:
	case VTEE_TEST_CMD_FILL:
	case VTEE_TEST_CMD_HASH: {
		uint64_t bytes = 0;
		for (int i = 0; i < 4; i++)
			if (vtee_param_is_memref(TA_PARAM_TYPE_GET(types, i)))
				bytes += p[i].memref.size;
		return bytes <= TEST_QUICK_BYTES;
	}
	default:
		return false;
	}
}

const struct soft_ta soft_ta_test = {
	.name = "test",
	.uuid = { VTEE_TEST_TA_UUID_BYTES },
	/* open and close only count sessions under the instance lock */
	.flags = SOFT_TA_QUICK_OPEN | SOFT_TA_QUICK_CLOSE,
	.inst_size = sizeof(struct test_inst),
	.open_session = test_open,
	.close_session = test_close,
	.invoke = test_invoke,
	.quick = test_quick,
};
