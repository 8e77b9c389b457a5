// SPDX-License-Identifier: MIT
/*
 * The TEE Client API of tee_client_api.h over the guest model: one modelled
 * guest (VM id 1) on the back-end test_backend.h picks ("soft", with
 * $VTEE_TEST_BACKEND_OPTIONS, e.g. ta_dir=...), made at the first
 * TEEC_InitializeContext and kept until exit, as a guest kernel outlives its
 * clients. Temporary memrefs are copied through guest pages like the Linux
 * driver's bounce buffers; allocated shared memory is registered guest
 * memory the client writes in place.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "../../test_backend.h"
#include "tee_client_api.h"

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vtee_tee *model_tee;
static struct guest *model_guest;

static void model_down(void)
{
	if (model_guest) {
		guest_shutdown(model_guest);
		guest_destroy(model_guest);
	}
	if (model_tee)
		vtee_tee_close(model_tee);
}

static struct guest *model_up(void)
{
	pthread_mutex_lock(&model_lock);
	if (!model_guest && !model_tee && test_tee_open(&model_tee) == 0) {
		struct vtee_vm_config vc = { .vm_id = 1, .name = "teec-model" };
		struct guest *g = NULL;

		if (guest_create_vm(model_tee, &vc, NULL, &g) == 0 && guest_probe(g) == 0) {
			model_guest = g;
		} else {
			fprintf(stderr, "teec_model: the modelled guest did not come up\n");
			if (g)
				guest_destroy(g);
		}
		atexit(model_down);
	}
	pthread_mutex_unlock(&model_lock);
	return model_guest;
}

TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context)
{
	(void)name;
	if (!context)
		return TEEC_ERROR_BAD_PARAMETERS;
	context->imp = model_up();
	return context->imp ? TEEC_SUCCESS : TEEC_ERROR_ITEM_NOT_FOUND;
}

void teec_model_context_on(struct guest *g, TEEC_Context *context)
{
	context->imp = g;
}

void TEEC_FinalizeContext(TEEC_Context *context)
{
	if (context)
		context->imp = NULL;
}

static void uuid_octets(const TEEC_UUID *u, uint8_t out[16])
{
	out[0] = (uint8_t)(u->timeLow >> 24);
	out[1] = (uint8_t)(u->timeLow >> 16);
	out[2] = (uint8_t)(u->timeLow >> 8);
	out[3] = (uint8_t)u->timeLow;
	out[4] = (uint8_t)(u->timeMid >> 8);
	out[5] = (uint8_t)u->timeMid;
	out[6] = (uint8_t)(u->timeHiAndVersion >> 8);
	out[7] = (uint8_t)u->timeHiAndVersion;
	memcpy(out + 8, u->clockSeqAndNode, 8);
}

/* ---- parameters: client operation <-> guest parameters ---- */

static uint32_t tmp_type(uint32_t t)
{
	return t == TEEC_MEMREF_TEMP_INPUT ? VTEE_PARAM_MEMREF_IN :
	       t == TEEC_MEMREF_TEMP_OUTPUT ? VTEE_PARAM_MEMREF_OUT : VTEE_PARAM_MEMREF_INOUT;
}

static uint32_t reg_type(uint32_t t, const TEEC_SharedMemory *shm)
{
	uint32_t f = shm->flags & (TEEC_MEM_INPUT | TEEC_MEM_OUTPUT);

	if (t == TEEC_MEMREF_PARTIAL_INPUT || (t == TEEC_MEMREF_WHOLE && f == TEEC_MEM_INPUT))
		return VTEE_PARAM_MEMREF_IN;
	if (t == TEEC_MEMREF_PARTIAL_OUTPUT || (t == TEEC_MEMREF_WHOLE && f == TEEC_MEM_OUTPUT))
		return VTEE_PARAM_MEMREF_OUT;
	return VTEE_PARAM_MEMREF_INOUT;
}

/* A temporary memref: the client's bytes in fresh guest pages (NULL stays a NULL memref). */
static int marshal_tmp(struct guest *g, uint32_t t, const TEEC_TempMemoryReference *m,
		       struct guest_param *p)
{
	struct guest_buf *b = NULL;

	if (!m->buffer) {
		*p = guest_param_null(tmp_type(t));
		return 0;
	}
	if (guest_buf_alloc(g, m->size ? m->size : 1, 0, GUEST_BUF_CONTIG, &b))
		return -1;
	if (t != TEEC_MEMREF_TEMP_OUTPUT && m->size)
		guest_buf_write(g, b, 0, m->buffer, m->size);
	*p = guest_param_tmem(tmp_type(t), b, 0, m->size, false);
	return 0;
}

static int marshal(struct guest *g, const TEEC_Operation *op, struct guest_param p[4])
{
	memset(p, 0, 4 * sizeof(*p));
	for (int i = 0; op && i < 4; i++) {
		uint32_t t = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
		const TEEC_Parameter *c = &op->params[i];

		if (t >= TEEC_VALUE_INPUT && t <= TEEC_VALUE_INOUT) {
			p[i] = guest_param_value(t, c->value.a, c->value.b, 0);
		} else if (t >= TEEC_MEMREF_TEMP_INPUT && t <= TEEC_MEMREF_TEMP_INOUT) {
			if (marshal_tmp(g, t, &c->tmpref, &p[i]))
				return -1;
		} else if (t >= TEEC_MEMREF_WHOLE && t <= TEEC_MEMREF_PARTIAL_INOUT) {
			const TEEC_SharedMemory *shm = c->memref.parent;
			bool whole = t == TEEC_MEMREF_WHOLE;

			if (!shm || !shm->imp)
				return -1;
			p[i] = guest_param_rmem(reg_type(t, shm), shm->imp,
						whole ? 0 : c->memref.offset,
						whole ? shm->size : c->memref.size);
		} else if (t != TEEC_NONE) {
			return -1;
		}
	}
	return 0;
}

/* Outputs back into the client's operation. */
static void unmarshal(struct guest *g, TEEC_Operation *op, struct guest_param p[4])
{
	for (int i = 0; op && i < 4; i++) {
		uint32_t t = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
		TEEC_Parameter *c = &op->params[i];

		if (t == TEEC_VALUE_OUTPUT || t == TEEC_VALUE_INOUT) {
			c->value.a = (uint32_t)p[i].u.value.a;
			c->value.b = (uint32_t)p[i].u.value.b;
		} else if (t >= TEEC_MEMREF_TEMP_INPUT && t <= TEEC_MEMREF_TEMP_INOUT) {
			size_t n = p[i].u.memref.size < c->tmpref.size ? p[i].u.memref.size :
									 c->tmpref.size;

			if (t != TEEC_MEMREF_TEMP_INPUT && c->tmpref.buffer && n)
				guest_buf_read(g, p[i].u.memref.buf, 0, c->tmpref.buffer, n);
			if (t != TEEC_MEMREF_TEMP_INPUT)
				c->tmpref.size = p[i].u.memref.size;
		} else if (t == TEEC_MEMREF_WHOLE || t == TEEC_MEMREF_PARTIAL_OUTPUT ||
			   t == TEEC_MEMREF_PARTIAL_INOUT) {
			c->memref.size = p[i].u.memref.size;
		}
	}
}

static void free_tmp(struct guest *g, struct guest_param p[4])
{
	for (int i = 0; i < 4; i++)
		if (p[i].mem == GUEST_MEM_TMEM && p[i].u.memref.buf)
			guest_buf_free(g, p[i].u.memref.buf);
}

/* ---- sessions ---- */

/* A made-up UUID for the logins Linux derives one for (UUIDv5 of "uid=..." etc.). */
static void login_uuid(uint32_t login, uint8_t out[16])
{
	static const uint8_t base[16] = { 0x76, 0x74, 0x65, 0x65, 0x2d, 0x6d, 0x6f, 0x64,
					  0x50, 0x65, 0x6c, 0x2d, 0x75, 0x75, 0x69, 0x64 };

	memcpy(out, base, 16);
	out[15] ^= (uint8_t)login;
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x50);	/* version 5 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
}

TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session,
			     const TEEC_UUID *destination, uint32_t connectionMethod,
			     const void *connectionData, TEEC_Operation *operation,
			     uint32_t *returnOrigin)
{
	struct guest_param p[4];
	uint8_t ta[16], client[16];
	uint32_t origin = TEEC_ORIGIN_API, id = 0;
	TEEC_Result res = TEEC_ERROR_BAD_PARAMETERS;

	(void)connectionData;
	if (context && context->imp && session && destination) {
		struct guest *g = context->imp;

		uuid_octets(destination, ta);
		login_uuid(connectionMethod, client);
		if (marshal(g, operation, p) == 0) {
			res = guest_open_session(g, ta, connectionMethod,
						 connectionMethod == TEEC_LOGIN_PUBLIC ? NULL : client,
						 p, operation ? 4 : 0, 0, &id, &origin);
			unmarshal(g, operation, p);
		}
		free_tmp(g, p);
		session->ctx = context;
		session->session_id = id;
	}
	if (returnOrigin)
		*returnOrigin = origin;
	return res;
}

void TEEC_CloseSession(TEEC_Session *session)
{
	if (session && session->ctx && session->ctx->imp)
		guest_close_session(session->ctx->imp, session->session_id);
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID,
			       TEEC_Operation *operation, uint32_t *returnOrigin)
{
	struct guest_param p[4];
	uint32_t origin = TEEC_ORIGIN_API;
	TEEC_Result res = TEEC_ERROR_BAD_PARAMETERS;
	struct guest *g = session && session->ctx ? session->ctx->imp : NULL;

	if (g && marshal(g, operation, p) == 0) {
		if (operation) {
			pthread_mutex_lock(&model_lock);
			operation->session = session;
			pthread_mutex_unlock(&model_lock);
		}
		/* cancel id 0, as libteec uses it */
		res = guest_invoke(g, session->session_id, commandID, p, operation ? 4 : 0, 0,
				   &origin);
		if (operation) {
			pthread_mutex_lock(&model_lock);
			operation->session = NULL;
			pthread_mutex_unlock(&model_lock);
		}
		unmarshal(g, operation, p);
	}
	if (g)
		free_tmp(g, p);
	if (returnOrigin)
		*returnOrigin = origin;
	return res;
}

void TEEC_RequestCancellation(TEEC_Operation *operation)
{
	TEEC_Session *session;

	if (!operation)
		return;
	pthread_mutex_lock(&model_lock);
	session = operation->session;
	if (session)
		guest_cancel(session->ctx->imp, session->session_id, 0);
	pthread_mutex_unlock(&model_lock);
}

/* ---- shared memory ---- */

TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
	(void)context;
	(void)sharedMem;
	return TEEC_ERROR_NOT_SUPPORTED;
}

TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
	struct guest_shm *shm = NULL;
	struct guest *g = context ? context->imp : NULL;

	if (!g || !sharedMem)
		return TEEC_ERROR_BAD_PARAMETERS;
	if (guest_shm_alloc(g, sharedMem->size ? sharedMem->size : 1, GUEST_BUF_CONTIG,
			    &shm) != TEEC_SUCCESS)
		return TEEC_ERROR_OUT_OF_MEMORY;
	sharedMem->imp = shm;
	sharedMem->buffer = guest_gpa_ptr(g, guest_buf_gpa(shm->buf, 0), shm->buf->size);
	return TEEC_SUCCESS;
}

void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *sharedMemory)
{
	if (!sharedMemory || !sharedMemory->imp || !model_guest)
		return;
	guest_shm_unregister(model_guest, sharedMemory->imp);
	sharedMemory->imp = NULL;
	sharedMemory->buffer = NULL;
}
