// SPDX-License-Identifier: MIT
/*
 * The calls of a TA instance (ta_host.h), on the TA's thread, one at a time:
 * OPEN (TA_CreateEntryPoint first, until it has succeeded once), INVOKE,
 * CLOSE, DESTROY, each bracketed by tarun_entry_begin()/_end() and
 * answered with DONE: the result, the values and memref sizes that are
 * outputs, whatever the result (gp-ta-devkit.md §5.3). Memrefs point into
 * the bulk area the back-end filled; a NULL memref reaches the TA as
 * buffer NULL, size 0, as OP-TEE hands it.
 *
 * The back-end is trusted here (it is the TEE), but its offsets are checked
 * anyway: a wrong one is answered BAD_PARAMETERS, never followed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "ta_host.h"

struct session {
	uint32_t id;
	void *ctx;
};

static struct session *sessions;
static size_t nsessions, capsessions;

_Noreturn void ti_exit(int status)
{
	_exit(status);
}

int ti_send(uint32_t type, const void *fixed, size_t flen, const void *more, size_t mlen)
{
	struct tap_hdr h = { type, (uint32_t)(flen + mlen) };
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)fixed, flen }, { (void *)more, mlen } };
	return vtee_chan_writev_all(ti.chan, iov, 3);
}

void ti_recv(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = vtee_chan_recv(ti.chan, p, len, 0);
		if (n <= 0)
			ti_exit(TI_EXIT_CHANNEL); /* the back-end hung up: nobody is left to serve */
		p += n;
		len -= (size_t)n;
	}
}

void ti_logf(const char *fmt, ...)
{
	char line[TAP_LOG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		ti_send(TAP_MSG_LOG, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, NULL, 0);
}

static struct session *session_find(uint32_t id)
{
	for (size_t i = 0; i < nsessions; i++)
		if (sessions[i].id == id)
			return &sessions[i];
	return NULL;
}

static int session_room(void)
{
	if (nsessions < capsessions)
		return 0;
	size_t cap = capsessions ? capsessions * 2 : 8;
	struct session *s = realloc(sessions, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	sessions = s;
	capsessions = cap;
	return 0;
}

/* The call's parameters as the TA gets them: 0, or -EINVAL for an offset outside the bulk area. */
static int params_in(const struct tap_call *c, TEE_Param p[4])
{
	memset(p, 0, 4 * sizeof(*p));
	for (int i = 0; i < 4; i++) {
		uint32_t t = (c->types >> (4 * i)) & 0xf;
		if (t == TEE_PARAM_TYPE_VALUE_INPUT || t == TEE_PARAM_TYPE_VALUE_INOUT) {
			p[i].value.a = (uint32_t)c->p[i].a;
			p[i].value.b = (uint32_t)c->p[i].b;
		} else if (t >= TEE_PARAM_TYPE_MEMREF_INPUT && t <= TEE_PARAM_TYPE_MEMREF_INOUT) {
			if (c->p[i].a == TAP_NULL_MEMREF)
				continue; /* NULL, size 0 */
			if (c->p[i].a > ti.bulk_size || c->p[i].b > ti.bulk_size - c->p[i].a)
				return -EINVAL;
			p[i].memref.buffer = ti.bulk + c->p[i].a;
			p[i].memref.size = (size_t)c->p[i].b;
		}
	}
	return 0;
}

static void done(uint32_t ret, uint32_t origin, uint32_t types, const TEE_Param *p)
{
	struct tap_done d = { .ret = ret, .origin = origin };
	for (int i = 0; p && i < 4; i++) {
		uint32_t t = (types >> (4 * i)) & 0xf;
		if (t == TEE_PARAM_TYPE_VALUE_OUTPUT || t == TEE_PARAM_TYPE_VALUE_INOUT) {
			d.p[i].a = p[i].value.a;
			d.p[i].b = p[i].value.b;
		} else if (t == TEE_PARAM_TYPE_MEMREF_OUTPUT || t == TEE_PARAM_TYPE_MEMREF_INOUT) {
			d.p[i].b = p[i].memref.size;
		}
	}
	/* OP-TEE clears the session's cancel flag when an entry returns; the flag is ours to clear */
	__atomic_store_n(&ti.shared->cancel, 0u, __ATOMIC_SEQ_CST);
	if (ti_send(TAP_MSG_DONE, &d, sizeof(d), NULL, 0))
		ti_exit(TI_EXIT_CHANNEL);
}

static void entry_begin(uint32_t session, const TEE_Identity *client, uint32_t types, TEE_Param *p,
			uint64_t deadline)
{
	struct tarun_entry e = { .session = session, .client = client, .param_types = types, .params = p,
				 .cancel_deadline_ns = deadline };
	tarun_entry_begin(&e);
}

static void do_open(const struct tap_call *c, TEE_Param p[4])
{
	TEE_Identity id = { .login = c->login };
	uuid_from_bytes(c->client_uuid, &id.uuid);
	if (!ti.created) {
		entry_begin(0, &id, 0, NULL, UINT64_MAX);
		TEE_Result r = ti.ep.create();
		tarun_entry_end();
		if (r != TEE_SUCCESS) {
			done(r, TEE_ORIGIN_TRUSTED_APP, 0, NULL);
			return;
		}
		ti.created = true;
	}
	if (session_find(c->session) || session_room()) {
		done(TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE, 0, NULL);
		return;
	}
	void *ctx = NULL;
	entry_begin(c->session, &id, c->types, p, c->cancel_deadline_ns);
	TEE_Result r = ti.ep.open(c->types, p, &ctx);
	tarun_entry_end();
	if (r == TEE_SUCCESS)
		sessions[nsessions++] = (struct session){ c->session, ctx };
	done(r, TEE_ORIGIN_TRUSTED_APP, c->types, p);
}

static void do_call(uint32_t type, const struct tap_call *c)
{
	TEE_Param p[4];
	if (type != TAP_MSG_CLOSE && params_in(c, p)) {
		done(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE, 0, NULL);
		return;
	}
	if (type == TAP_MSG_OPEN) {
		do_open(c, p);
		return;
	}
	struct session *s = session_find(c->session);
	if (!s) {
		done(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE, 0, NULL);
		return;
	}
	TEE_Identity id = { .login = c->login };
	uuid_from_bytes(c->client_uuid, &id.uuid);
	if (type == TAP_MSG_CLOSE) {
		void *ctx = s->ctx;
		*s = sessions[--nsessions];
		entry_begin(c->session, &id, 0, NULL, UINT64_MAX);
		ti.ep.close(ctx);
		tarun_entry_end();
		done(TEE_SUCCESS, TEE_ORIGIN_TEE, 0, NULL);
		return;
	}
	entry_begin(c->session, &id, c->types, p, c->cancel_deadline_ns);
	TEE_Result r = ti.ep.invoke(s->ctx, c->cmd, c->types, p);
	tarun_entry_end();
	done(r, TEE_ORIGIN_TRUSTED_APP, c->types, p);
}

static _Noreturn void do_destroy(void)
{
	if (ti.created) {
		entry_begin(0, NULL, 0, NULL, UINT64_MAX);
		ti.ep.destroy();
		tarun_entry_end();
	}
	done(TEE_SUCCESS, TEE_ORIGIN_TEE, 0, NULL);
	ti_exit(TI_EXIT_OK);
}

_Noreturn void serve_calls(void)
{
	for (;;) {
		struct tap_hdr h;
		struct tap_call c;
		ti_recv(&h, sizeof(h));
		if (h.type == TAP_MSG_DESTROY && h.len == 0)
			do_destroy();
		if ((h.type != TAP_MSG_OPEN && h.type != TAP_MSG_INVOKE && h.type != TAP_MSG_CLOSE) || h.len != sizeof(c))
			ti_exit(TI_EXIT_CHANNEL);
		ti_recv(&c, sizeof(c));
		do_call(h.type, &c);
	}
}
