// SPDX-License-Identifier: MIT
/*
 * What libvtee_ta asks of the TA's process (lib/tarun/tarun_host.h), done
 * with the TEE over the instance's channel: log lines, panic, REE and
 * persistent time, TA-to-TA sessions; persistent objects in host_storage.c. Cancellation is the word the TEE
 * raises in the shared page; TEE_Wait sleeps on it as on a futex, so a
 * cancel wakes it at once.
 *
 * Every request is answered with one ANSWER before anything else comes
 * (ta_proto.h); calls run one at a time, so no lock is needed.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "ta_host.h"

static _Noreturn void host_panic(uint32_t code)
{
	ti_send(TAP_MSG_PANIC, &code, sizeof(code), NULL, 0);
	ti_exit(TI_EXIT_PANIC);
}

static void host_log_line(const char *line, size_t len)
{
	ti_send(TAP_MSG_LOG, line, len < TAP_LOG_MAX ? len : TAP_LOG_MAX, NULL, 0);
}

static bool host_cancel_requested(uint32_t session)
{
	(void)session; /* one call at a time: the word is this call's */
	return __atomic_load_n(&ti.shared->cancel, __ATOMIC_ACQUIRE) != 0;
}

static int host_wait_cancel(uint32_t session, uint64_t until_ns)
{
	struct timespec end = { .tv_sec = (time_t)(until_ns / 1000000000u), .tv_nsec = (long)(until_ns % 1000000000u) };
	for (;;) {
		if (host_cancel_requested(session))
			return 1;
		/* absolute CLOCK_MONOTONIC; a shared futex (no PRIVATE flag): the TEE wakes it from its process */
		long r = syscall(SYS_futex, &ti.shared->cancel, FUTEX_WAIT_BITSET, 0, until_ns == UINT64_MAX ? NULL : &end,
				 NULL, FUTEX_BITSET_MATCH_ANY);
		if (r < 0 && errno == ETIMEDOUT)
			return host_cancel_requested(session) ? 1 : 0;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

uint32_t ti_read_answer(struct tap_answer *a)
{
	struct tap_hdr h;
	ti_recv(&h, sizeof(h));
	if (h.type != TAP_MSG_ANSWER || h.len < sizeof(*a))
		ti_exit(TI_EXIT_CHANNEL);
	ti_recv(a, sizeof(*a));
	return h.len - (uint32_t)sizeof(*a);
}

static void read_answer(struct tap_answer *a)
{
	ti_read_answer(a);
}

static int host_ree_time(TEE_Time *t)
{
	struct tap_answer a;
	if (ti_send(TAP_MSG_REE_TIME, NULL, 0, NULL, 0))
		return -EPIPE;
	read_answer(&a);
	if (a.ret != TEE_SUCCESS)
		return -EIO;
	t->seconds = (uint32_t)a.p[0].a;
	t->millis = (uint32_t)a.p[0].b;
	return 0;
}

static int host_ptime_load(int64_t *offset_ms)
{
	struct tap_answer a;
	if (ti_send(TAP_MSG_PTIME_LOAD, NULL, 0, NULL, 0))
		return -EPIPE;
	read_answer(&a);
	if (a.ret != TEE_SUCCESS)
		return a.ret == TEE_ERROR_TIME_NOT_SET ? -ENOENT : -EIO;
	*offset_ms = (int64_t)a.p[0].a;
	return 0;
}

static int host_ptime_store(int64_t offset_ms)
{
	struct tap_param p = { .a = (uint64_t)offset_ms };
	struct tap_answer a;
	if (ti_send(TAP_MSG_PTIME_STORE, &p, sizeof(p), NULL, 0))
		return -EPIPE;
	read_answer(&a);
	if (a.ret == TEE_ERROR_OUT_OF_MEMORY)
		return -ENOMEM;
	if (a.ret == TEE_ERROR_STORAGE_NO_SPACE)
		return -ENOSPC;
	return a.ret == TEE_SUCCESS ? 0 : -EIO;
}

static bool is_memref(uint32_t t)
{
	return t >= TEE_PARAM_TYPE_MEMREF_INPUT && t <= TEE_PARAM_TYPE_MEMREF_INOUT;
}

/* A TA-to-TA request with its memrefs' input data inline; the answer's outputs back into params. */
static int ta_request(uint32_t type, struct tap_tareq *q, TEE_Param *params, struct tap_answer *a)
{
	struct iovec data[4];
	int n = 0;
	uint64_t total = 0;
	for (int i = 0; params && i < 4; i++) {
		uint32_t t = (q->types >> (4 * i)) & 0xf;
		if (t == TEE_PARAM_TYPE_VALUE_INPUT || t == TEE_PARAM_TYPE_VALUE_INOUT) {
			q->p[i].a = params[i].value.a;
			q->p[i].b = params[i].value.b;
		} else if (is_memref(t)) {
			q->p[i].a = params[i].memref.buffer ? 0 : TAP_NULL_MEMREF;
			q->p[i].b = params[i].memref.size;
			if (!params[i].memref.buffer)
				continue;
			if ((total += params[i].memref.size) > ti.bulk_size)
				return -ENOMEM; /* more than a callee could take */
			if (t != TEE_PARAM_TYPE_MEMREF_OUTPUT && params[i].memref.size)
				data[n++] = (struct iovec){ params[i].memref.buffer, params[i].memref.size };
		}
	}
	struct iovec iov[6] = { { &(struct tap_hdr){ type, 0 }, sizeof(struct tap_hdr) }, { q, sizeof(*q) } };
	size_t len = sizeof(*q);
	for (int i = 0; i < n; i++) {
		iov[2 + i] = data[i];
		len += data[i].iov_len;
	}
	((struct tap_hdr *)iov[0].iov_base)->len = (uint32_t)len;
	if (vtee_chan_writev_all(ti.chan, iov, 2 + n))
		return -EPIPE;
	read_answer(a);
	for (int i = 0; params && i < 4; i++) {
		uint32_t t = (q->types >> (4 * i)) & 0xf;
		if (t == TEE_PARAM_TYPE_VALUE_OUTPUT || t == TEE_PARAM_TYPE_VALUE_INOUT) {
			params[i].value.a = (uint32_t)a->p[i].a;
			params[i].value.b = (uint32_t)a->p[i].b;
		} else if (t == TEE_PARAM_TYPE_MEMREF_OUTPUT || t == TEE_PARAM_TYPE_MEMREF_INOUT) {
			uint64_t got = a->p[i].b;
			if (params[i].memref.buffer && got && got <= params[i].memref.size)
				ti_recv(params[i].memref.buffer, (size_t)got);
			params[i].memref.size = (size_t)got;
		}
	}
	return 0;
}

static int host_ta_open(const TEE_UUID *dest, uint32_t cancel_timeout, uint32_t types, TEE_Param params[4],
			uint32_t *session, TEE_Result *ret, uint32_t *origin)
{
	struct tap_tareq q = { .types = types, .cancel_timeout = cancel_timeout };
	struct tap_answer a;
	uuid_to_bytes(dest, q.uuid);
	int r = ta_request(TAP_MSG_TA_OPEN, &q, params, &a);
	if (r)
		return r;
	*session = a.session;
	*ret = a.ret;
	*origin = a.origin;
	return 0;
}

static int host_ta_invoke(uint32_t session, uint32_t cancel_timeout, uint32_t cmd, uint32_t types,
			  TEE_Param params[4], TEE_Result *ret, uint32_t *origin)
{
	struct tap_tareq q = { .session = session, .cmd = cmd, .types = types, .cancel_timeout = cancel_timeout };
	struct tap_answer a;
	int r = ta_request(TAP_MSG_TA_INVOKE, &q, params, &a);
	if (r)
		return r;
	*ret = a.ret;
	*origin = a.origin;
	return 0;
}

static int host_ta_close(uint32_t session)
{
	struct tap_tareq q = { .session = session, .cancel_timeout = 0xFFFFFFFFu };
	struct tap_answer a;
	int r = ta_request(TAP_MSG_TA_CLOSE, &q, NULL, &a);
	if (r)
		return r;
	return a.ret == TEE_SUCCESS ? 0 : -ENOENT;
}

const struct tarun_host_ops ti_host_ops = {
	.panic = host_panic,
	.log_line = host_log_line,
	.cancel_requested = host_cancel_requested,
	.wait_cancel = host_wait_cancel,
	.ree_time = host_ree_time,
	.ptime_load = host_ptime_load,
	.ptime_store = host_ptime_store,
	.ta_open = host_ta_open,
	.ta_invoke = host_ta_invoke,
	.ta_close = host_ta_close,
	.st_open = host_st_open,
	.st_create = host_st_create,
	.st_read = host_st_read,
	.st_write = host_st_write,
	.st_truncate = host_st_truncate,
	.st_size = host_st_size,
	.st_restrict_usage = host_st_restrict_usage,
	.st_rename = host_st_rename,
	.st_close = host_st_close,
	.st_next = host_st_next,
};
