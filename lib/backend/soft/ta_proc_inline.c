// SPDX-License-Identifier: MIT
/*
 * An invoke of a TA in a process, begun on the submitter's thread (ta_proc.h):
 * a null invoke costs a round trip between two processes, and a hand-off to
 * a TEE thread on top of it would double that. So the submitter sends the
 * call itself when the instance's lane is free and polls the channel for up
 * to INLINE_POLL_NS. A DONE in that time finishes the call right here;
 * anything else (a late answer, a log line, a request the TEE must serve,
 * which may need the guest: REE time) leaves the rest to a TEE thread: the
 * call's state moves to the heap (struct ta_resume) and soft_resume() goes
 * on with it, exactly where this thread stopped. A busy lane hands the whole
 * call over before anything is sent: a vCPU never waits for another call.
 * Nor for the instance: the poll never blocks on the channel, so a TA that
 * stops in the middle of a message (a header, a DONE) leaves the bytes read
 * so far to the TEE thread, with the rest of the call; and what a dead
 * instance leaves to do (closing the TA-to-TA sessions it opened: calls
 * into other TAs) is a TEE thread's work too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "sync.h"
#include "ta_proc.h"

/* How long the submitter polls for the answer before a TEE thread takes over. */
#define INLINE_POLL_NS 20000u

/* Where a TEE thread takes a call over. */
enum resume_stage {
	RESUME_RUN,    /* nothing done: the lane was busy or the instance dead */
	RESUME_WAIT,   /* sent (the lane is held): wait for the DONE */
	RESUME_GIVE,   /* done (the lane is held), the instance dead: give the lane, which closes its sessions */
};

struct ta_resume {
	struct pcall pc;             /* the lane's owner once handed over */
	struct ta_proc_session *s;
	uint32_t cmd;
	struct pargs a;
	struct tap_call call;
	enum resume_stage stage;
	uint32_t ret, origin;        /* GIVE: the call's result */
	size_t npre;                 /* pre: what the poll read of the instance's first message */
	uint8_t pre[sizeof(struct tap_hdr) + sizeof(struct tap_done)];
};

/*
 * Poll for the answer, never waiting on the channel: what arrives goes into
 * r->pre. True when the call can be finished here without waiting: a whole
 * DONE came, or the channel ended; false when it must be handed over: late,
 * another message first, or only part of one.
 */
static bool poll_answer(struct ta_inst *in, struct ta_resume *r)
{
	uint64_t t0 = vtee_now_ns();
	for (unsigned i = 1;; i++) {
		struct tap_hdr h;
		size_t want = sizeof(h);
		if (r->npre >= sizeof(h)) {
			memcpy(&h, r->pre, sizeof(h));
			if (h.type != TAP_MSG_DONE || h.len != sizeof(struct tap_done))
				return false; /* a log line, a request, a broken DONE: a TEE thread's business */
			want = sizeof(r->pre);
		}
		if (r->npre == want)
			return true;
		ssize_t n = vtee_chan_recv(in->chan, r->pre + r->npre, want - r->npre, VTEE_CHAN_DONTWAIT);
		if (n > 0) {
			r->npre += (size_t)n;
			continue;
		}
		if (n != -EAGAIN)
			return true; /* closed: finishing finds the instance gone at once */
		if (vtee_now_ns() - t0 > INLINE_POLL_NS)
			return false;
		vtee_poll_pause(i, t0, VTEE_POLL_YIELD_LATE_NS);
	}
}

/* Hand the call to a TEE thread (c->resume) at stage; false when its state cannot be kept (then go on here). */
static bool hand_over(struct ta_call *c, const struct ta_resume *r, enum resume_stage stage)
{
	struct ta_resume *k = malloc(sizeof(*k));
	if (!k)
		return false;
	*k = *r;
	k->pc.c = NULL;
	k->stage = stage;
	if (stage != RESUME_RUN)
		ta_lane_reown(k->s->inst, &k->pc);
	c->resume = k;
	return true;
}

void ta_proc_invoke_inline(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s, struct vtee_req *req)
{
	struct ta_resume r = { .pc = { .c = c, .pv = pv }, .s = s, .cmd = req->func };
	struct ta_inst *in = s->inst;
	uint32_t ret, origin = TEE_ORIGIN_TEE;
	if (!ta_req_args(req, &r.a))
		return;
	int lane = ta_lane_try(&r.pc, in);
	if (lane && hand_over(c, &r, RESUME_RUN))
		return; /* busy, or dead: what a dead instance leaves (its TA-to-TA sessions) is no vCPU's work */
	if (lane) {
		/* no memory to hand over: the call as a TEE thread runs it */
		ta_proc_invoke_as(&r.pc, s, r.cmd, &r.a, &ret, &origin);
		ta_req_finish(req, &r.a, ret, origin);
		return;
	}
	ret = ta_call_begin(in, TAP_MSG_INVOKE, s->sid, r.cmd, &s->client, &r.a, &r.call);
	if (ret == TEE_SUCCESS) {
		if (!poll_answer(in, &r) && hand_over(c, &r, RESUME_WAIT))
			return;
		ta_call_finish(&r.pc, in, &r.a, &r.call, r.pre, r.npre, &ret, &origin);
	}
	r.ret = ret;
	r.origin = origin;
	if (atomic_load(&in->dead) && hand_over(c, &r, RESUME_GIVE))
		return;
	ta_lane_give(&r.pc, in); /* on this thread it closes nothing (ta_lane_give) */
	ta_req_finish(req, &r.a, ret, origin);
}

void ta_proc_invoke_resume(struct ta_proc_vm *pv, struct ta_call *c, struct vtee_req *req)
{
	struct ta_resume *k = c->resume;
	uint32_t ret = k->ret, origin = k->origin;
	(void)pv;
	k->pc.c = c; /* this thread's call: its cancellation, its RPCs to the guest */
	if (k->stage == RESUME_RUN)
		ta_proc_invoke_as(&k->pc, k->s, k->cmd, &k->a, &ret, &origin);
	if (k->stage == RESUME_WAIT)
		ta_call_finish(&k->pc, k->s->inst, &k->a, &k->call, k->pre, k->npre, &ret, &origin);
	if (k->stage != RESUME_RUN)
		ta_lane_give(&k->pc, k->s->inst);
	ta_req_finish(req, &k->a, ret, origin);
	free(k);
}
