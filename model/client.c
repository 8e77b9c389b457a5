// SPDX-License-Identifier: MIT
/*
 * What the guest kernel's TEE core offers its clients, modelled: shared
 * memory registration, open / invoke / close / cancel with every parameter
 * kind, and the device-enumeration PTA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest_int.h"

/* ---- shared memory ------------------------------------------------------ */

uint32_t guest_shm_register(struct guest *g, struct guest_buf *buf, size_t offs, size_t size,
			    struct guest_shm **out)
{
	uint64_t bp, lg;
	size_t lp;
	if (guest_pagelist_build(g, buf, offs, size, &bp, &lg, &lp))
		return TEE_ERROR_OUT_OF_MEMORY;
	struct guest_shm *shm = calloc(1, sizeof(*shm));
	struct optee_msg_arg *a = NULL;
	uint32_t ret = TEE_ERROR_OUT_OF_MEMORY;
	if (shm && guest_msg_new(OPTEE_MSG_CMD_REGISTER_SHM, 1, &a) == 0) {
		*shm = (struct guest_shm){ guest_new_cookie(g), buf, offs, size, false };
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
		a->params[0].u.tmem.buf_ptr = bp;
		a->params[0].u.tmem.size = size;
		a->params[0].u.tmem.shm_ref = shm->cookie;
		ret = guest_msg_result(g, guest_call_msg_private(g, a), a, NULL);
	}
	free(a);
	guest_pages_free(g, lg, lp); /* the TEE has copied the list */
	if (ret != TEE_SUCCESS) {
		free(shm);
		return ret;
	}
	*out = shm;
	return TEE_SUCCESS;
}

uint32_t guest_shm_alloc(struct guest *g, size_t size, enum guest_buf_layout layout, struct guest_shm **out)
{
	struct guest_buf *b;
	if (guest_buf_alloc(g, size, 0, layout, &b))
		return TEE_ERROR_OUT_OF_MEMORY;
	uint32_t ret = guest_shm_register(g, b, 0, size, out);
	if (ret != TEE_SUCCESS) {
		guest_buf_free(g, b);
		return ret;
	}
	(*out)->owns_buf = true;
	return ret;
}

uint32_t guest_shm_unregister(struct guest *g, struct guest_shm *shm)
{
	struct optee_msg_arg *a;
	uint32_t ret = TEE_ERROR_OUT_OF_MEMORY;
	if (guest_msg_new(OPTEE_MSG_CMD_UNREGISTER_SHM, 1, &a) == 0) {
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
		a->params[0].u.rmem.shm_ref = shm->cookie;
		ret = guest_msg_result(g, guest_call_msg_private(g, a), a, NULL);
		free(a);
	}
	guest_shm_forget(g, shm);
	return ret;
}

void guest_shm_forget(struct guest *g, struct guest_shm *shm)
{
	if (!shm)
		return;
	if (shm->owns_buf)
		guest_buf_free(g, shm->buf);
	free(shm);
}

/* ---- client operations -------------------------------------------------- */

struct tmp_lists {
	uint64_t gpa[VTEE_MAX_PARAMS * 4];
	size_t pages[VTEE_MAX_PARAMS * 4];
	unsigned n;
};

static void tmp_lists_free(struct guest *g, struct tmp_lists *t)
{
	for (unsigned i = 0; i < t->n; i++)
		guest_pages_free(g, t->gpa[i], t->pages[i]);
	t->n = 0;
}

static int to_msg_memref(struct guest *g, const struct guest_param *p, struct optee_msg_param *mp,
			 struct tmp_lists *t);

static int to_msg(struct guest *g, const struct guest_param *p, struct optee_msg_param *mp, struct tmp_lists *t)
{
	memset(mp, 0, sizeof(*mp));
	if (p->type == VTEE_PARAM_NONE)
		return 0;
	if (vtee_param_is_value(p->type)) {
		mp->attr = p->type; /* VALUE_INPUT/OUTPUT/INOUT = 1/2/3 */
		mp->u.value.a = p->u.value.a;
		mp->u.value.b = p->u.value.b;
		mp->u.value.c = p->u.value.c;
		return 0;
	}
	if (!vtee_param_is_memref(p->type)) {
		gerr(g, "bad param type %u", p->type);
		return -EINVAL;
	}
	return to_msg_memref(g, p, mp, t);
}

/* A memref parameter as the kind of memory p->mem says (NULL, registered, temporary). */
static int to_msg_memref(struct guest *g, const struct guest_param *p, struct optee_msg_param *mp,
			 struct tmp_lists *t)
{
	uint32_t dir = p->type - VTEE_PARAM_MEMREF_IN; /* 0 in, 1 out, 2 inout */
	const struct guest_buf *b = p->u.memref.buf;
	uint64_t offs = p->u.memref.offs, size = p->u.memref.size;
	switch (p->mem) {
	case GUEST_MEM_NULL:
		mp->attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		mp->u.tmem.size = size;
		return 0;
	case GUEST_MEM_RMEM:
		if (!p->u.memref.shm)
			return -EINVAL;
		mp->attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + dir;
		mp->u.rmem.offs = offs;
		mp->u.rmem.size = size;
		mp->u.rmem.shm_ref = p->u.memref.shm->cookie;
		return 0;
	case GUEST_MEM_TMEM: {
		if (!b || offs > b->size || size > b->size - offs)
			return -EINVAL;
		uint64_t pos = b->offset + offs;
		size_t first = (size_t)(pos / PAGE), last = (size_t)((pos + (size ? size - 1 : 0)) / PAGE);
		for (size_t i = first; i < last; i++)
			if (b->gpa[i + 1] != b->gpa[i] + PAGE) {
				gerr(g, "TMEM over a non-contiguous range");
				return -EINVAL;
			}
		mp->attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		mp->u.tmem.buf_ptr = guest_buf_gpa(b, (size_t)offs);
		mp->u.tmem.size = size;
		mp->u.tmem.shm_ref = guest_new_cookie(g);
		return 0;
	}
	case GUEST_MEM_TMEM_NONCONTIG: {
		if (!b || t->n >= sizeof(t->gpa) / sizeof(t->gpa[0]))
			return -EINVAL;
		uint64_t bp;
		int err = guest_pagelist_build(g, b, (size_t)offs, (size_t)size, &bp, &t->gpa[t->n], &t->pages[t->n]);
		if (err)
			return err;
		t->n++;
		mp->attr = (OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir) | OPTEE_MSG_ATTR_NONCONTIG;
		mp->u.tmem.buf_ptr = bp;
		mp->u.tmem.size = size;
		mp->u.tmem.shm_ref = guest_new_cookie(g);
		return 0;
	}
	default:
		gerr(g, "bad memref kind %u", p->mem);
		return -EINVAL;
	}
}

static void from_msg(struct guest_param *p, const struct optee_msg_param *mp)
{
	if (vtee_param_is_value(p->type) && vtee_param_is_output(p->type)) {
		p->u.value.a = mp->u.value.a;
		p->u.value.b = mp->u.value.b;
		p->u.value.c = mp->u.value.c;
	} else if (vtee_param_is_memref(p->type) && vtee_param_is_output(p->type)) {
		p->u.memref.size = mp->u.tmem.size; /* same offset for tmem and rmem */
	}
}

/* No memory for the message: what the kernel's TEE core tells the client. */
static uint32_t no_memory(uint32_t *origin)
{
	if (origin)
		*origin = TEE_ORIGIN_API;
	return TEE_ERROR_OUT_OF_MEMORY;
}

static uint32_t do_client_call(struct guest *g, struct optee_msg_arg *a, unsigned first,
			       struct guest_param *params, unsigned n, uint32_t *origin)
{
	struct tmp_lists t = { .n = 0 };
	for (unsigned i = 0; i < n; i++) {
		if (to_msg(g, &params[i], &a->params[first + i], &t)) {
			tmp_lists_free(g, &t);
			if (origin)
				*origin = TEE_ORIGIN_API;
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	uint32_t a0 = guest_call_msg(g, a);
	tmp_lists_free(g, &t);
	uint32_t ret = guest_msg_result(g, a0, a, origin);
	if (a0 == OPTEE_SMC_RETURN_OK)
		for (unsigned i = 0; i < n; i++)
			from_msg(&params[i], &a->params[first + i]);
	return ret;
}

uint32_t guest_open_session(struct guest *g, const uint8_t ta_uuid[16], uint32_t login,
			    const uint8_t client_uuid[16], struct guest_param *params, unsigned n,
			    uint32_t cancel_id, uint32_t *session, uint32_t *origin)
{
	struct optee_msg_arg *a;
	if (n > VTEE_MAX_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	if (guest_msg_new(OPTEE_MSG_CMD_OPEN_SESSION, n + 2, &a))
		return no_memory(origin);
	a->cancel_id = cancel_id;
	a->params[0].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	memcpy(a->params[0].u.octets, ta_uuid, 16);
	a->params[1].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	if (client_uuid)
		memcpy(a->params[1].u.octets, client_uuid, 16);
	a->params[1].u.value.c = login;
	uint32_t ret = do_client_call(g, a, 2, params, n, origin);
	if (ret == TEE_SUCCESS && session)
		*session = a->session;
	free(a);
	return ret;
}

uint32_t guest_invoke(struct guest *g, uint32_t session, uint32_t func, struct guest_param *params,
		      unsigned n, uint32_t cancel_id, uint32_t *origin)
{
	struct optee_msg_arg *a;
	if (n > VTEE_MAX_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	if (guest_msg_new(OPTEE_MSG_CMD_INVOKE_COMMAND, n, &a))
		return no_memory(origin);
	a->func = func;
	a->session = session;
	a->cancel_id = cancel_id;
	uint32_t ret = do_client_call(g, a, 0, params, n, origin);
	free(a);
	return ret;
}

uint32_t guest_close_session(struct guest *g, uint32_t session)
{
	struct optee_msg_arg *a;
	if (guest_msg_new(OPTEE_MSG_CMD_CLOSE_SESSION, 0, &a))
		return no_memory(NULL);
	a->session = session;
	uint32_t ret = guest_msg_result(g, guest_call_msg(g, a), a, NULL);
	free(a);
	return ret;
}

uint32_t guest_cancel(struct guest *g, uint32_t session, uint32_t cancel_id)
{
	struct optee_msg_arg *a;
	if (guest_msg_new(OPTEE_MSG_CMD_CANCEL, 0, &a))
		return no_memory(NULL);
	a->session = session;
	a->cancel_id = cancel_id;
	uint32_t ret = guest_msg_result(g, guest_call_msg(g, a), a, NULL);
	free(a);
	return ret;
}

/* ---- device enumeration ------------------------------------------------- */

static int get_devices(struct guest *g, uint32_t sess, uint32_t cmd, struct guest_shm *shm, uint64_t *size)
{
	struct guest_param p[4] = { { 0 } };
	if (shm)
		p[0] = guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 0, *size);
	else
		p[0] = guest_param_null(VTEE_PARAM_MEMREF_OUT);
	uint32_t ret = guest_invoke(g, sess, cmd, p, 4, 0, NULL);
	if (ret != TEE_SUCCESS && ret != TEE_ERROR_SHORT_BUFFER) {
		gerr(g, "PTA_CMD_GET_DEVICES invoke function err: %x", ret);
		return -EINVAL;
	}
	*size = p[0].u.memref.size;
	return 0;
}

int guest_enumerate_devices(struct guest *g, uint32_t pta_cmd, struct vtee_uuid **uuids, size_t *count)
{
	static const uint8_t pta[16] = GUEST_PTA_DEVICE_UUID;
	uint32_t sess;
	*uuids = NULL;
	*count = 0;
	if (guest_open_session(g, pta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS)
		return 0; /* "device enumeration pseudo TA not found" */
	uint64_t size = 0;
	int rc = get_devices(g, sess, pta_cmd, NULL, &size);
	if (rc || !size)
		goto out_sess;
	if (size > (1u << 20)) {
		gerr(g, "device list of %llu bytes", (unsigned long long)size);
		rc = -EINVAL;
		goto out_sess;
	}
	/* tee_shm_alloc_kernel_buf(): whole pages from the page pool, registered. */
	struct guest_shm *shm;
	size_t alloc = (size_t)((size + PAGE - 1) / PAGE * PAGE);
	if (guest_shm_alloc(g, alloc, GUEST_BUF_CONTIG, &shm) != TEE_SUCCESS) {
		rc = -ENOMEM;
		goto out_sess;
	}
	uint64_t want = size;
	rc = get_devices(g, sess, pta_cmd, shm, &size);
	if (!rc && size > want) {
		gerr(g, "GET_DEVICES grew from %llu to %llu bytes", (unsigned long long)want,
		     (unsigned long long)size);
		rc = -EINVAL;
	}
	if (!rc) {
		size_t n = (size_t)(size / sizeof(struct vtee_uuid));
		if (n && !(*uuids = calloc(n, sizeof(struct vtee_uuid))))
			rc = -ENOMEM;
		else if (n)
			guest_buf_read(g, shm->buf, 0, *uuids, n * sizeof(struct vtee_uuid));
		*count = rc ? 0 : n;
	}
	if (guest_shm_unregister(g, shm) != TEE_SUCCESS && !rc) {
		gerr(g, "UNREGISTER_SHM of the device list failed");
		rc = -EIO;
	}
out_sess:
	if (guest_close_session(g, sess) != TEE_SUCCESS && !rc) {
		gerr(g, "CLOSE_SESSION of the device PTA failed");
		rc = -EIO;
	}
	if (rc) {
		free(*uuids);
		*uuids = NULL;
		*count = 0;
	}
	return rc;
}
