// SPDX-License-Identifier: MIT
/* A minimal TEE end of the link protocol for benchmarks (bench_tee.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_tee.h"
#include "link_proto.h"
#include "vtee/backend.h"

struct btee {
	struct tl_rbuf rb;
	int fd;
	struct vtee_chan *chan;
	void *tee, *vm;
};

static int reply(struct btee *b, uint16_t type, uint64_t tag, const void *p, size_t n)
{
	struct tl_hdr h = tl_hdr_make(1, type, (uint32_t)n, tag);
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, n } };
	return tl_sendv_all(b->fd, b->chan, iov, 2);
}

/* A values-only REQ into the soft back-end, answered at once (its quick calls finish in submit()). */
static int on_req(struct btee *b, uint64_t tag)
{
	struct tl_req w;
	int r = tl_rb_read(&b->rb, &w, sizeof(w), NULL);
	if (r)
		return r;
	uint32_t np = tl_h32(w.num_params);
	struct vtee_req req = { .op = tl_h32(w.op) == TL_OP_OPEN ? VTEE_REQ_OPEN
				: tl_h32(w.op) == TL_OP_INVOKE ? VTEE_REQ_INVOKE : VTEE_REQ_CLOSE,
				.func = tl_h32(w.func), .num_params = np <= TL_MAX_PARAMS ? np : 0,
				.session = (void *)(uintptr_t)tl_h64(w.session) };
	memcpy(req.ta.b, w.ta_uuid, 16);
	req.client.login = tl_h32(w.login);
	for (uint32_t i = 0; i < req.num_params; i++) {
		req.params[i].type = tl_h32(w.params[i].type);
		req.params[i].u.value.a = tl_h64(w.params[i].a);
	}
	vtee_req_arm(&req);
	vtee_soft_backend.submit(b->vm, &req);
	vtee_req_wait(&req, UINT64_MAX);

	struct tl_resp resp;
	memset(&resp, 0, sizeof(resp));
	resp.ret = tl_le32(req.ret);
	resp.ret_origin = tl_le32(req.ret_origin);
	resp.session = tl_le64(req.op == VTEE_REQ_OPEN ? (uint64_t)(uintptr_t)req.session : 0);
	resp.num_params = w.num_params;
	for (uint32_t i = 0; i < req.num_params; i++) {
		resp.params[i].type = w.params[i].type;
		resp.params[i].a = tl_le64(req.params[i].u.value.a);
	}
	return reply(b, TL_RESP, tag, &resp, sizeof(resp));
}

static int on_message(struct btee *b, const struct tl_hdr *h)
{
	if (h->type == TL_REQ && h->length == sizeof(struct tl_req))
		return on_req(b, h->tag);
	int r = tl_rb_skip(&b->rb, h->length);
	if (r)
		return r;
	switch (h->type) {
	case TL_HELLO: {
		struct tl_welcome w = { .version = tl_le16(1), .max_inflight = tl_le32(TL_MAX_INFLIGHT),
					.max_payload = tl_le64(TL_MAX_PAYLOAD) };
		return reply(b, TL_WELCOME, 0, &w, sizeof(w));
	}
	case TL_ATTACH: {
		struct tl_attached a = { 0 };
		r = b->vm ? -EBUSY : vtee_soft_backend.vm_created(b->tee, 1, "bench", &b->vm);
		a.status = (int32_t)tl_le32((uint32_t)-r);
		return reply(b, TL_ATTACHED, h->tag, &a, sizeof(a));
	}
	case TL_DETACH_DESTROY: {
		struct tl_detached d = { 0 };
		if (b->vm)
			vtee_soft_backend.vm_destroyed(b->vm);
		b->vm = NULL;
		return reply(b, TL_DETACHED, h->tag, &d, sizeof(d));
	}
	default:
		return -EPROTO;
	}
}

int bench_tee_serve(int fd, struct vtee_chan *chan)
{
	struct btee *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->rb.fd = b->fd = fd;
	b->rb.chan = b->chan = chan;
	int r = vtee_soft_backend.open(NULL, &b->tee);
	while (!r) {
		struct tl_hdr h;
		size_t got = 0;
		r = tl_rb_read(&b->rb, &h, sizeof(h), &got);
		if (r == -EPIPE && !got) {
			r = 0;
			break;
		}
		tl_hdr_host(&h);
		if (!r)
			r = on_message(b, &h);
	}
	if (b->vm)
		vtee_soft_backend.vm_destroyed(b->vm);
	if (b->tee)
		vtee_soft_backend.close(b->tee);
	free(b);
	return r;
}
