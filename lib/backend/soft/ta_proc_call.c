// SPDX-License-Identifier: MIT
/*
 * One call into a TA instance (ta_proc.h): its memrefs copied into the
 * instance's bulk area, the call message, then every message of the
 * instance until DONE (log lines, requests), and the outputs copied back.
 *
 * The instance is hostile. Each message is read whole into our memory
 * before it is looked at, its length checked against its type first; the
 * sizes it reports are clamped to what we gave. A message that breaks a
 * rule ends the instance (TARGET_DEAD), never this process.
 *
 * Waiting: the channel is polled in slices of WAIT_SLICE_MS; between slices
 * the guest's cancellation is forwarded to the instance's cancel word (the
 * runtime's TEE_Wait and TEE_GetCancellationFlag see it at once), and an
 * instance that has not finished the call within the grace time after it
 * was cancelled is killed. A death notice from the fork server shuts the
 * channel, which ends any wait at once.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "sync.h"
#include "ta_proc.h"

#define WAIT_SLICE_MS 5
#define BULK_ALIGN    64u
/* Log lines one call may write; the rest are counted and dropped. */
#define LOG_LINES_PER_CALL 200u

/* ---- sending ---- */

int ta_call_send(struct ta_inst *in, uint32_t type, const void *fixed, size_t flen, const struct iovec *more,
		 int nmore)
{
	struct iovec iov[6];
	size_t total = flen;
	if (nmore > 4)
		return -EINVAL;
	for (int i = 0; i < nmore; i++)
		total += more[i].iov_len;
	if (total > UINT32_MAX)
		return -EMSGSIZE;
	struct tap_hdr h = { type, (uint32_t)total };
	int n = 0;
	iov[n++] = (struct iovec){ &h, sizeof(h) };
	if (flen)
		iov[n++] = (struct iovec){ (void *)fixed, flen };
	for (int i = 0; i < nmore; i++)
		if (more[i].iov_len)
			iov[n++] = more[i];
	return vtee_chan_writev_all(in->chan, iov, n);
}

/* ---- receiving, with cancellation and the grace time watched ---- */

static void raise_cancel(struct ta_inst *in)
{
	__atomic_store_n(&in->shared->cancel, 1u, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &in->shared->cancel, FUTEX_WAKE, 1, NULL, NULL, 0); /* shared: no PRIVATE flag */
}

/* Between slices of waiting: 0 to go on, -ETIMEDOUT when a deadline passed (the instance is then failed). */
static int watch(struct pwait *w)
{
	struct ta_inst *in = w->in;
	uint64_t now = vtee_now_ns();
	if (w->deadline_ns && now > w->deadline_ns) {
		ta_inst_fail(in, w->deadline_why);
		return -ETIMEDOUT;
	}
	if (!w->cancel_at_ns && w->pc && w->pc->c && ta_cancelled(w->pc->c)) {
		raise_cancel(in);
		w->cancel_at_ns = now ? now : 1;
	}
	uint64_t grace = (uint64_t)w->pc->pv->st->cfg.grace_ms * 1000000ull;
	if (w->cancel_at_ns && now - w->cancel_at_ns > grace && !atomic_load(&in->dead)) {
		char why[64];
		snprintf(why, sizeof(why), "ignored a cancel for %u ms", w->pc->pv->st->cfg.grace_ms);
		ta_inst_fail(in, why);
	}
	return 0;
}

int ta_call_recv(struct pwait *w, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t early = len < w->npre ? len : w->npre;
	if (early) {
		memcpy(p, w->pre, early);
		w->pre += early;
		w->npre -= early;
		p += early;
		len -= early;
	}
	while (len) {
		ssize_t n = vtee_chan_recv(w->in->chan, p, len, VTEE_CHAN_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n != -EAGAIN)
			return -EPIPE; /* closed: died, killed, or broke the ring */
		int r = vtee_chan_wait_readable(w->in->chan, WAIT_SLICE_MS);
		if (r < 0)
			return -EPIPE;
		if (r == 0 && watch(w))
			return -EPIPE;
	}
	return 0;
}

/* Printable text only: a TA must not forge lines or control the terminal. */
static void sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			s[i] = '?';
}

void ta_uuid_str(const struct vtee_uuid *u, char out[37])
{
	const uint8_t *b = u->b;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int take_log(struct pwait *w, uint32_t len)
{
	char line[TAP_LOG_MAX + 1];
	if (len > TAP_LOG_MAX)
		return -EPROTO;
	int r = ta_call_recv(w, line, len);
	if (r)
		return r;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	line[len] = 0;
	sanitize(line, len);
	if (w->logs++ >= LOG_LINES_PER_CALL) {
		w->dropped_logs++;
		return 0;
	}
	char u[37];
	ta_uuid_str(&w->in->uuid, u);
	vtee_log(VTEE_LOG_INFO, "ta[%s %s]: %s", w->in->pv->name, u, line);
	return 0;
}

static int take_panic(struct pwait *w, uint32_t len)
{
	uint32_t code;
	if (len != sizeof(code) || ta_call_recv(w, &code, sizeof(code)))
		return -EPROTO;
	atomic_store(&w->in->panic_code, code);
	if (!atomic_exchange(&w->in->panicked, true)) {
		/* said here, not by ta_inst_fail(): the death notice may have marked it dead already */
		char u[37];
		ta_uuid_str(&w->in->uuid, u);
		vtee_log(VTEE_LOG_WARNING, "ta[%s %s]: instance %d panicked (code %#x): TARGET_DEAD from now on",
			 w->in->pv->name, u, w->in->pid, code);
	}
	ta_inst_fail(w->in, NULL);
	return -EPIPE;
}

/* Messages until DONE (0 with *done) or the end of the instance (-EPIPE, -EPROTO). */
static int wait_done(struct pwait *w, struct tap_done *done)
{
	for (;;) {
		struct tap_hdr h;
		int r = ta_call_recv(w, &h, sizeof(h));
		if (r)
			return r;
		switch (h.type) {
		case TAP_MSG_DONE:
			if (h.len != sizeof(*done))
				return -EPROTO;
			return ta_call_recv(w, done, sizeof(*done));
		case TAP_MSG_LOG:
			r = take_log(w, h.len);
			break;
		case TAP_MSG_PANIC:
			r = take_panic(w, h.len);
			break;
		default:
			r = ta_request(w, &h);
			break;
		}
		if (r)
			return r;
	}
}

/* ---- parameters ---- */

int pargs_from_req(const struct vtee_req *req, struct pargs *a)
{
	memset(a, 0, sizeof(*a));
	if (req->num_params > VTEE_MAX_PARAMS)
		return -EINVAL;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		struct pparam *p = &a->p[i];
		p->type = vp->type;
		if (vtee_param_is_value(vp->type)) {
			/* GP values are 32-bit; the upper halves are ignored, as OP-TEE does */
			p->a = (uint32_t)vp->u.value.a;
			p->b = (uint32_t)vp->u.value.b;
		} else if (vtee_param_is_memref(vp->type)) {
			p->shm = vp->u.memref.shm;
			p->offs = vp->u.memref.offs;
			p->size = vp->u.memref.size;
			uint64_t total = p->shm ? vtee_shm_size(p->shm) : 0;
			if (p->shm && (p->offs > total || p->size > total - p->offs))
				return -EINVAL;
		} else if (vp->type != VTEE_PARAM_NONE) {
			return -EINVAL;
		}
		a->types |= vp->type << (4 * i);
	}
	return 0;
}

void pargs_to_req(struct vtee_req *req, const struct pargs *a)
{
	for (uint32_t i = 0; i < req->num_params && i < VTEE_MAX_PARAMS; i++) {
		struct vtee_param *vp = &req->params[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = (uint32_t)a->p[i].a;
			vp->u.value.b = (uint32_t)a->p[i].b;
			vp->u.value.c = 0;
		} else if (vtee_param_is_memref(vp->type)) {
			vp->u.memref.size = a->p[i].size;
		}
	}
}

bool ta_req_args(struct vtee_req *req, struct pargs *a)
{
	if (!pargs_from_req(req, a))
		return true;
	req->ret = TEE_ERROR_BAD_PARAMETERS;
	req->ret_origin = TEE_ORIGIN_TEE;
	return false;
}

void ta_req_finish(struct vtee_req *req, const struct pargs *a, uint32_t ret, uint32_t origin)
{
	if (a->lost) { /* the guest took its buffer away: the outputs are lost */
		ret = TEE_ERROR_COMMUNICATION;
		origin = TEE_ORIGIN_TEE;
	}
	pargs_to_req(req, a);
	req->ret = ret;
	req->ret_origin = origin;
}

static bool has_buffer(const struct pparam *p)
{
	return p->shm || p->buf;
}

/* a's memrefs into the bulk area, their places into call: 0, -ENOMEM (too big), -EINVAL (guest memory). */
static int place_params(struct ta_inst *in, const struct pargs *a, struct tap_call *call)
{
	uint64_t cur = 0;
	call->types = a->types;
	for (int i = 0; i < 4; i++) {
		const struct pparam *p = &a->p[i];
		struct tap_param *tp = &call->p[i];
		if (vtee_param_is_value(p->type)) {
			tp->a = p->a;
			tp->b = p->b;
			continue;
		}
		if (!vtee_param_is_memref(p->type))
			continue;
		tp->b = p->size;
		if (!has_buffer(p)) {
			tp->a = TAP_NULL_MEMREF;
			continue;
		}
		cur = (cur + BULK_ALIGN - 1) & ~(uint64_t)(BULK_ALIGN - 1);
		if (cur > in->bulk_size || p->size > in->bulk_size - cur)
			return -ENOMEM;
		uint8_t *dst = in->bulk + cur;
		/*
		 * An output-only buffer is not cleared: the bulk area belongs to this
		 * instance of this VM, so what is left there came from this TA's own
		 * earlier calls, data it has already seen (on OP-TEE it would see the
		 * client's buffer as it is). Clearing cost a pass over every output.
		 */
		if (vtee_param_is_input(p->type) && p->buf)
			memcpy(dst, p->buf, (size_t)p->size);
		else if (vtee_param_is_input(p->type) && p->size &&
			 vtee_shm_read(p->shm, p->offs, dst, (size_t)p->size))
			return -EINVAL;
		tp->a = cur;
		cur += p->size;
	}
	return 0;
}

/* The TA's outputs from done and the bulk area into a. False when the guest's buffer could not take them. */
static bool take_outputs(struct ta_inst *in, struct pargs *a, const struct tap_call *call, const struct tap_done *done)
{
	bool ok = true;
	for (int i = 0; i < 4; i++) {
		struct pparam *p = &a->p[i];
		if (!vtee_param_is_output(p->type))
			continue;
		if (vtee_param_is_value(p->type)) {
			p->a = (uint32_t)done->p[i].a;
			p->b = (uint32_t)done->p[i].b;
			continue;
		}
		uint64_t new_size = done->p[i].b;
		if (has_buffer(p) && new_size && new_size <= p->size) {
			const uint8_t *src = in->bulk + call->p[i].a;
			if (p->buf)
				memcpy(p->buf, src, (size_t)new_size);
			else if (vtee_shm_write(p->shm, p->offs, src, (size_t)new_size))
				ok = false;
		}
		p->size = new_size;
	}
	return ok;
}

/* ---- calls ---- */

static uint32_t valid_origin(uint32_t origin)
{
	return origin >= TEE_ORIGIN_API && origin <= TEE_ORIGIN_TRUSTED_APP ? origin : TEE_ORIGIN_TRUSTED_APP;
}

uint32_t ta_call_begin(struct ta_inst *in, uint32_t msg_type, uint32_t sid, uint32_t cmd,
			const struct vtee_client *client, struct pargs *a, struct tap_call *call)
{
	*call = (struct tap_call){ .session = sid, .cmd = cmd, .cancel_deadline_ns = UINT64_MAX };
	if (atomic_load(&in->dead))
		return TEE_ERROR_TARGET_DEAD;
	if (client) {
		call->login = client->login;
		memcpy(call->client_uuid, client->uuid.b, sizeof(call->client_uuid));
	}
	if (a && a->deadline_ns)
		call->cancel_deadline_ns = a->deadline_ns;
	int r = a ? place_params(in, a, call) : 0;
	if (r)
		return r == -ENOMEM ? TEE_ERROR_OUT_OF_MEMORY : TEE_ERROR_BAD_PARAMETERS;
	__atomic_store_n(&in->shared->cancel, 0u, __ATOMIC_SEQ_CST);
	bool with_call = msg_type != TAP_MSG_DESTROY;
	if (ta_call_send(in, msg_type, with_call ? call : NULL, with_call ? sizeof(*call) : 0, NULL, 0)) {
		ta_inst_fail(in, NULL);
		return TEE_ERROR_TARGET_DEAD;
	}
	return TEE_SUCCESS;
}

void ta_call_finish(struct pcall *pc, struct ta_inst *in, struct pargs *a, const struct tap_call *call,
		    const void *pre, size_t npre, uint32_t *ret, uint32_t *origin)
{
	struct pwait w = { .pc = pc, .in = in, .pre = pre, .npre = npre };
	if (!a) {
		/* CLOSE and DESTROY cannot be cancelled by anyone: bounded instead */
		w.deadline_ns = vtee_now_ns() + (uint64_t)TAP_END_TIMEOUT_MS * 1000000ull;
		w.deadline_why = "did not close in time";
	}
	struct tap_done done;
	int r = wait_done(&w, &done);
	if (w.dropped_logs)
		vtee_log(VTEE_LOG_WARNING, "ta[%s]: %u log lines of one call dropped", in->pv->name, w.dropped_logs);
	*origin = TEE_ORIGIN_TEE;
	if (r) {
		ta_inst_fail(in, r == -EPROTO ? "broke the protocol" : NULL);
		*ret = TEE_ERROR_TARGET_DEAD;
		return;
	}
	*ret = done.ret;
	*origin = valid_origin(done.origin);
	if (a && !take_outputs(in, a, call, &done))
		a->lost = true;
}

void ta_call_run(struct pcall *pc, struct ta_inst *in, uint32_t msg_type, uint32_t sid, uint32_t cmd,
		 const struct vtee_client *client, struct pargs *a, uint32_t *ret, uint32_t *origin)
{
	struct tap_call call;
	*ret = ta_call_begin(in, msg_type, sid, cmd, client, a, &call);
	*origin = TEE_ORIGIN_TEE;
	if (*ret == TEE_SUCCESS)
		ta_call_finish(pc, in, a, &call, NULL, 0, ret, origin);
}

uint32_t ta_call_ready(struct pcall *pc, struct ta_inst *in, uint32_t *flags)
{
	struct pwait w = { .pc = pc, .in = in,
			   .deadline_ns = vtee_now_ns() + (uint64_t)TAP_READY_TIMEOUT_MS * 1000000ull,
			   .deadline_why = "did not start in time" };
	for (;;) {
		struct tap_hdr h;
		struct tap_ready rd;
		int r = ta_call_recv(&w, &h, sizeof(h));
		if (!r && h.type == TAP_MSG_LOG) {
			if (!take_log(&w, h.len))
				continue;
			r = -EPIPE;
		}
		if (!r && (h.type != TAP_MSG_READY || h.len != sizeof(rd)))
			r = -EPROTO;
		if (!r)
			r = ta_call_recv(&w, &rd, sizeof(rd));
		if (r) {
			ta_inst_fail(in, r == -EPROTO ? "broke the protocol at start" : "died while loading");
			return TEE_ERROR_TARGET_DEAD;
		}
		if (rd.ret != TEE_SUCCESS)
			return rd.ret;
		if (memcmp(rd.uuid, in->uuid.b, sizeof(rd.uuid)))
			return TEE_ERROR_ITEM_NOT_FOUND;
		*flags = rd.flags;
		return TEE_SUCCESS;
	}
}
