// SPDX-License-Identifier: MIT
/*
 * The instance's persistent-object requests on its channel (ta_proto.h,
 * "Persistent objects"): each read whole into our memory and bounds-checked
 * before anything looks at it, run on the VM's object table (ta_storage.c),
 * answered with one ANSWER. Data beyond one message arrives first in STAGE
 * messages; CREATE and WRITE name how many staged bytes they expect, and a
 * mismatch, like a handle of another instance, breaks the protocol.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ta_storage.h"

/* Read n bytes of the message into a new buffer (*out; NULL for 0): 0, -ENOMEM (skipped), -EPIPE. */
static int recv_alloc(struct pwait *w, uint64_t n, uint8_t **out)
{
	*out = NULL;
	if (!n)
		return 0;
	*out = malloc((size_t)n);
	if (!*out)
		return ta_req_drain(w, n) ? -EPIPE : -ENOMEM;
	if (!ta_call_recv(w, *out, (size_t)n))
		return 0;
	free(*out);
	*out = NULL;
	return -EPIPE;
}

/* CREATE, WRITE: the staged bytes, then the inline ones, in r->data. 0, -ENOMEM, -EPROTO. */
static int join_staged(struct ta_inst *in, struct st_req *r, uint8_t *inline_data)
{
	uint8_t *staged;
	uint64_t n;
	ta_st_stage_take(in, &staged, &n);
	if (n != r->q.staged) {
		free(staged);
		free(inline_data);
		return -EPROTO;
	}
	r->data_len = n + r->q.data_len;
	if (!n) {
		r->data = inline_data;
		return 0;
	}
	uint8_t *all = r->q.data_len ? realloc(staged, (size_t)r->data_len) : staged;
	if (!all) {
		free(staged);
		free(inline_data);
		return -ENOMEM;
	}
	if (r->q.data_len)
		memcpy(all + n, inline_data, (size_t)r->q.data_len);
	free(inline_data);
	r->data = all;
	return 0;
}

static int answer(struct ta_inst *in, struct st_ans *ans)
{
	struct iovec out[2];
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (ans->out[i] && ans->out_len[i])
			out[n++] = (struct iovec){ ans->out[i], ans->out_len[i] };
	int r = ta_call_send(in, TAP_MSG_ANSWER, &ans->a, sizeof(ans->a), out, n) ? -EPIPE : 0;
	free(ans->out[0]);
	free(ans->out[1]);
	return r;
}

static int answer_ret(struct ta_inst *in, uint32_t ret)
{
	struct st_ans ans = { .a = { .ret = ret, .origin = TEE_ORIGIN_TEE } };
	return answer(in, &ans);
}

/* The request's variable parts into r: 0, -ENOMEM (read to its end), -EPIPE. */
static int read_parts(struct pwait *w, struct st_req *r, uint8_t **inline_data)
{
	*inline_data = NULL;
	if (ta_call_recv(w, r->id, r->q.id_len))
		return -EPIPE;
	int e = recv_alloc(w, r->q.meta_len, &r->meta);
	if (e == -ENOMEM)
		return ta_req_drain(w, r->q.data_len) ? -EPIPE : -ENOMEM;
	if (e)
		return e;
	return recv_alloc(w, r->q.data_len, inline_data);
}

int ta_st_request(struct pwait *w, const struct tap_hdr *h)
{
	struct ta_inst *in = w->in;
	struct st_req r = { .type = h->type };
	if (h->len < sizeof(r.q) || ta_call_recv(w, &r.q, sizeof(r.q)) ||
	    !tap_st_len_ok(h->type, &r.q, h->len, in->bulk_size))
		return -EPROTO;
	uint8_t *inline_data;
	int e = read_parts(w, &r, &inline_data);
	if (!e && h->type == TAP_MSG_ST_STAGE) {
		e = ta_st_stage_add(in, inline_data, r.q.data_len);
		free(inline_data);
		free(r.meta);
		return e == -EPROTO ? e : answer_ret(in, e ? TEE_ERROR_OUT_OF_MEMORY : TEE_SUCCESS);
	}
	if (!e && (h->type == TAP_MSG_ST_CREATE || h->type == TAP_MSG_ST_WRITE))
		e = join_staged(in, &r, inline_data);
	else if (!e)
		free(inline_data);
	struct st_ans ans = { 0 };
	if (!e)
		e = ta_st_run(in, &r, &ans);
	free(r.meta);
	free(r.data);
	if (e == -ENOMEM) {
		if (h->type == TAP_MSG_ST_CREATE || h->type == TAP_MSG_ST_WRITE || h->type == TAP_MSG_ST_STAGE) {
			uint8_t *staged;
			uint64_t n;
			ta_st_stage_take(in, &staged, &n); /* the operation is over: its stage with it */
			free(staged);
		}
		return answer_ret(in, TEE_ERROR_OUT_OF_MEMORY);
	}
	return e ? e : answer(in, &ans);
}
