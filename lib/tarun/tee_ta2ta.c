/* TA-to-TA sessions with OP-TEE's memref rules (libutee tee_api.c):
 *  - a memref that overlaps a memref parameter of the current call may be forwarded only with
 *    access that parameter grants (an INPUT buffer forwarded as OUTPUT panics the caller), and
 *    a memref in the no-share heap panics it;
 *  - a memref in the TA's private memory is copied into temporary memory (zeroed for OUTPUT)
 *    and, after the call, copied back up to the size the callee returned, so the callee never
 *    sees the caller's memory; the size the callee returned is given back whatever it is;
 *  - a memref that lies inside one of the current call's parameters is forwarded as it is (the
 *    host owns those buffers); anything else the TEE refuses (ACCESS_DENIED, origin TEE).
 * Session handles are the host's session ids, as OP-TEE's are its core's. */
#include "tarun_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check_forwarding(uint32_t types, const TEE_Param params[TEE_NUM_PARAMS])
{
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		uint32_t rights;
		const void *b = params[n].memref.buffer;
		size_t s = params[n].memref.size;

		if (!tarun_memref_rights(types, n, &rights))
			continue;
		if (!tarun_params_allow(rights, b, s) || tarun_heap_overlaps_no_share(b, s))
			tarun_panic(0);
	}
}

struct staging {
	TEE_Param params[TEE_NUM_PARAMS]; /* what the host gets */
	void *tmp[TEE_NUM_PARAMS];         /* temporary copies of private buffers */
};

static void unstage(struct staging *st)
{
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++)
		free(st->tmp[n]);
}

/* Builds what the callee gets: TEE_SUCCESS, or BAD_PARAMETERS, OUT_OF_MEMORY, ACCESS_DENIED
 * (origin TEE). */
static TEE_Result stage(uint32_t types, const TEE_Param in[TEE_NUM_PARAMS], struct staging *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		uint32_t rights;
		void *b = in[n].memref.buffer;
		size_t s = in[n].memref.size;

		switch (TEE_PARAM_TYPE_GET(types, n)) {
		case TEE_PARAM_TYPE_VALUE_INPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			st->params[n].value = in[n].value;
			continue;
		case TEE_PARAM_TYPE_NONE:
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
			continue;
		default:
			if (!tarun_memref_rights(types, n, &rights))
				return TEE_ERROR_BAD_PARAMETERS; /* no such type: the core refuses it */
		}
		st->params[n].memref.buffer = b;
		st->params[n].memref.size = s;
		if (!b && s)
			return TEE_ERROR_BAD_PARAMETERS; /* OP-TEE's core: NULL only with size 0 */
		if (!b || !s)
			continue; /* a NULL memref, or an empty one: nothing to see */
		if (TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, b, s) == TEE_SUCCESS) {
			st->tmp[n] = calloc(1, s);
			if (!st->tmp[n])
				return TEE_ERROR_OUT_OF_MEMORY;
			if (TEE_PARAM_TYPE_GET(types, n) != TEE_PARAM_TYPE_MEMREF_OUTPUT)
				memcpy(st->tmp[n], b, s);
			st->params[n].memref.buffer = st->tmp[n];
		} else if (!tarun_inside_param(b, s)) {
			return TEE_ERROR_ACCESS_DENIED;
		}
	}
	return TEE_SUCCESS;
}

/* What the callee gave back: values, memref sizes, private buffers' contents. */
static void unstage_out(uint32_t types, TEE_Param out[TEE_NUM_PARAMS], const struct staging *st)
{
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		size_t s = st->params[n].memref.size;

		switch (TEE_PARAM_TYPE_GET(types, n)) {
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			out[n].value = st->params[n].value;
			break;
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			if (st->tmp[n])
				memcpy(out[n].memref.buffer, st->tmp[n],
				       s < out[n].memref.size ? s : out[n].memref.size);
			out[n].memref.size = s;
			break;
		default:
			break;
		}
	}
}

static void host_failed(int err, TEE_Result *res, uint32_t *origin)
{
	*res = err == -ENOMEM ? TEE_ERROR_OUT_OF_MEMORY : TEE_ERROR_COMMUNICATION;
	*origin = TEE_ORIGIN_COMMS;
}

TEE_Result tarun_ta_open(const TEE_UUID *dest, uint32_t timeout, uint32_t types,
			 TEE_Param params[TEE_NUM_PARAMS], TEE_TASessionHandle *session,
			 uint32_t *origin)
{
	struct staging st;
	TEE_Result res;
	uint32_t orig = TEE_ORIGIN_TEE;
	uint32_t id = 0;
	int r;

	check_forwarding(types, params);
	res = stage(types, params, &st);
	if (res == TEE_SUCCESS) {
		r = tarun_ops ? tarun_ops->ta_open(dest, timeout, types, st.params, &id, &res, &orig)
			      : -ENOSYS;
		if (r < 0)
			host_failed(r, &res, &orig);
		else
			unstage_out(types, params, &st);
	}
	unstage(&st);
	if (origin)
		*origin = orig;
	*session = res == TEE_SUCCESS ? (TEE_TASessionHandle)(uintptr_t)id : TEE_HANDLE_NULL;
	return res;
}

TEE_Result tarun_ta_invoke(TEE_TASessionHandle session, uint32_t timeout, uint32_t cmd,
			   uint32_t types, TEE_Param params[TEE_NUM_PARAMS], uint32_t *origin)
{
	struct staging st;
	TEE_Result res;
	uint32_t orig = TEE_ORIGIN_TEE;
	uint32_t id = (uint32_t)(uintptr_t)session;
	int r;

	check_forwarding(types, params);
	res = stage(types, params, &st);
	if (res == TEE_SUCCESS) {
		r = !tarun_ops ? -ENOSYS : (uintptr_t)session != id ? -EINVAL :
		    tarun_ops->ta_invoke(id, timeout, cmd, types, st.params, &res, &orig);
		if (r == -EINVAL) { /* not a handle this TA could hold */
			res = TEE_ERROR_BAD_PARAMETERS;
			orig = TEE_ORIGIN_TEE;
		} else if (r < 0) {
			host_failed(r, &res, &orig);
		} else {
			unstage_out(types, params, &st);
		}
	}
	unstage(&st);
	if (origin)
		*origin = orig;
	/* libutee lets only these through from anyone but the callee itself */
	if (orig != TEE_ORIGIN_TRUSTED_APP && res != TEE_SUCCESS &&
	    res != TEE_ERROR_OUT_OF_MEMORY && res != TEE_ERROR_TARGET_DEAD)
		tarun_panic(res);
	return res;
}

/* params may be NULL when types is 0; the host always gets four. */
static TEE_Param *params_or_none(uint32_t types, TEE_Param *params, TEE_Param *none)
{
	memset(none, 0, sizeof(TEE_Param) * TEE_NUM_PARAMS);
	if (!types || !params)
		return none;
	tarun_check_inout(params, sizeof(TEE_Param) * TEE_NUM_PARAMS);
	return params;
}

TEE_Result TEE_OpenTASession(const TEE_UUID *destination, uint32_t cancellationRequestTimeout,
			     uint32_t paramTypes, TEE_Param params[TEE_NUM_PARAMS],
			     TEE_TASessionHandle *session, uint32_t *returnOrigin)
{
	TEE_Param none[TEE_NUM_PARAMS];

	if (paramTypes && !params)
		tarun_panic(0);
	params = params_or_none(paramTypes, params, none);
	tarun_check_out(session, sizeof(*session)); /* NULL panics too */
	tarun_check_in(destination, sizeof(*destination));
	return tarun_ta_open(destination, cancellationRequestTimeout, paramTypes, params,
			     session, returnOrigin);
}

TEE_Result TEE_InvokeTACommand(TEE_TASessionHandle session, uint32_t cancellationRequestTimeout,
			       uint32_t commandID, uint32_t paramTypes,
			       TEE_Param params[TEE_NUM_PARAMS], uint32_t *returnOrigin)
{
	TEE_Param none[TEE_NUM_PARAMS];

	if (paramTypes && !params)
		tarun_panic(0);
	params = params_or_none(paramTypes, params, none);
	if (returnOrigin)
		tarun_check_out(returnOrigin, sizeof(*returnOrigin));
	return tarun_ta_invoke(session, cancellationRequestTimeout, commandID, paramTypes, params,
			       returnOrigin);
}

void TEE_CloseTASession(TEE_TASessionHandle session)
{
	uint32_t id = (uint32_t)(uintptr_t)session;

	if (session == TEE_HANDLE_NULL)
		return;
	if ((uintptr_t)session != id || !tarun_ops || tarun_ops->ta_close(id) < 0)
		tarun_panic(TEE_ERROR_BAD_PARAMETERS);
}
