// SPDX-License-Identifier: MIT
/*
 * TAs in processes, per VM (ta_proc.h): which instance a session goes to,
 * and when instances begin and end, as OP-TEE's tee_ta_manager decides it
 * (gp-ta-devkit.md §5.1):
 *
 *   flags 0                  every open starts an instance of its own
 *   SINGLE_INSTANCE          one instance per VM; a second session: BUSY
 *   | MULTI_SESSION          one instance per VM, any number of sessions
 *   | INSTANCE_KEEP_ALIVE    the instance outlives its last session
 *   | KEEP_CRASHED           a dead instance stays: every open TARGET_DEAD
 *
 * The flags are the TA's own (its ta_head, read by the instance); until an
 * instance of a UUID has said them, opens of that UUID wait for the first
 * one to load, so two opens of a single-instance TA never start two. An
 * instance runs TA_CreateEntryPoint with its first open and
 * TA_DestroyEntryPoint (DESTROY) when its last session closes, unless it is
 * kept alive. One call runs in an instance at a time (its lane): TA entry
 * points are not reentrant without TA_FLAG_CONCURRENT, and the channel
 * carries one call; a TA_FLAG_CONCURRENT instance is served the same way
 * (allowed by GP: the flag permits concurrency, it does not demand it).
 *
 * Death (panic, crash, seccomp, rlimit, kill after an ignored cancel, a
 * broken message) marks the instance dead: its calls and later calls get
 * TARGET_DEAD (origin TEE), closes succeed without the TA, and the TA-to-TA
 * sessions it had opened are closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chan.h"
#include "log.h"
#include "ta_proc.h"
#include "ta_storage.h"

/* A guest (or its TAs) can make a VM hold at most this many TA processes. */
#define TA_MAX_INSTANCES_PER_VM 256u
/* How long a wait for a busy instance sleeps between looks at cancellation and death. */
#define LANE_WAIT_MS 10

struct ta_rec {
	struct ta_rec *next;
	struct vtee_uuid uuid;
	unsigned users;          /* opens in progress, and instances of it */
	bool loading;            /* a first instance is starting: other opens wait */
	bool known;              /* flags below came from a READY */
	uint32_t flags;
	struct ta_inst *single;  /* SINGLE_INSTANCE: this VM's instance (holds a reference) */
	bool ptime_set;          /* the TA persistent time: an offset to system time */
	int64_t ptime_ms;
};

static void set_out(uint32_t *ret, uint32_t *origin, uint32_t r, uint32_t o)
{
	*ret = r;
	*origin = o;
}

/* ---- records (pv->lock) ---- */

static struct ta_rec *rec_get(struct ta_proc_vm *pv, const struct vtee_uuid *uuid)
{
	for (struct ta_rec *r = pv->recs; r; r = r->next)
		if (!memcmp(&r->uuid, uuid, sizeof(*uuid)))
			return r;
	struct ta_rec *r = calloc(1, sizeof(*r));
	if (r) {
		r->uuid = *uuid;
		r->next = pv->recs;
		pv->recs = r;
	}
	return r;
}

/* Records of UUIDs nobody uses go: a guest naming random UUIDs leaves nothing behind. */
static void rec_release(struct ta_proc_vm *pv, struct ta_rec *rec)
{
	if (rec->users || rec->single || rec->ptime_set || rec->loading)
		return;
	for (struct ta_rec **pp = &pv->recs; *pp; pp = &(*pp)->next) {
		if (*pp == rec) {
			*pp = rec->next;
			free(rec);
			return;
		}
	}
}

/* ---- instances ---- */

static unsigned count_insts(const struct ta_proc_vm *pv)
{
	unsigned n = 0;
	for (const struct ta_inst *in = pv->insts; in; in = in->vm_next)
		n++;
	return n;
}

/* pv->lock held: drop a reference; true when it was the last (the instance is unlinked: free it). */
static bool inst_unref_locked(struct ta_inst *in)
{
	if (--in->refs)
		return false;
	struct ta_proc_vm *pv = in->pv;
	for (struct ta_inst **pp = &pv->insts; *pp; pp = &(*pp)->vm_next) {
		if (*pp == in) {
			*pp = in->vm_next;
			break;
		}
	}
	in->rec->users--;
	rec_release(pv, in->rec);
	return true;
}

/*
 * The last reference is gone. The sessions it opened are closed in the
 * caller's chain (pc; NULL: none): one into an instance that chain is in
 * the middle of gets BUSY and is dropped without its CLOSE, where a chain
 * of its own would wait for that instance's lane for ever.
 */
static void inst_free(struct pcall *pc, struct ta_inst *in)
{
	struct pcall own = { .pv = in->pv };
	ta2ta_close_all(pc ? pc : &own, in);
	ta_st_inst_gone(in);
	if (atomic_load(&in->spawned))
		ta_store_kill(in->pv->st, in);
	ta_store_forget(in->pv->st, in);
	pthread_cond_destroy(&in->lane_free);
	free(in);
}

void ta_inst_put(struct pcall *pc, struct ta_inst *in)
{
	pthread_mutex_lock(&in->pv->lock);
	bool last = inst_unref_locked(in);
	pthread_mutex_unlock(&in->pv->lock);
	if (last)
		inst_free(pc, in);
}

void ta_inst_fail(struct ta_inst *in, const char *why)
{
	bool first = !atomic_exchange(&in->dead, true);
	ta_st_inst_gone(in); /* its object handles go at the next storage call, not when its last session does */
	if (first && why) {
		char u[37];
		ta_uuid_str(&in->uuid, u);
		vtee_log(VTEE_LOG_WARNING, "ta[%s %s]: instance %d %s: TARGET_DEAD from now on", in->pv->name, u,
			 in->pid, why);
	}
	if (!atomic_load(&in->spawned))
		return; /* its spawner looks at dead once the server has answered */
	vtee_chan_shutdown(in->chan);
	ta_store_kill(in->pv->st, in);
}

/* A new instance of rec's TA, loaded and READY: it, or NULL and why in *ret. */
static struct ta_inst *inst_spawn(struct pcall *pc, struct ta_rec *rec, uint32_t *ret)
{
	struct ta_proc_vm *pv = pc->pv;
	struct ta_inst *in = calloc(1, sizeof(*in));
	if (!in) {
		*ret = TEE_ERROR_OUT_OF_MEMORY;
		return NULL;
	}
	in->pv = pv;
	in->rec = rec;
	in->uuid = rec->uuid;
	in->refs = 1;
	in->hup_fd = in->chan_fd = -1;
	for (unsigned i = 0; i < TAP_NFDS; i++)
		in->start_fds[i] = -1;
	pthread_cond_init(&in->lane_free, NULL);
	pthread_mutex_lock(&pv->lock);
	bool room = !pv->stopping && count_insts(pv) < TA_MAX_INSTANCES_PER_VM;
	rec->users++;
	in->vm_next = pv->insts;
	pv->insts = in;
	pthread_mutex_unlock(&pv->lock);

	int r = room ? ta_store_spawn(pv->st, in, pv->vm_id, pv->name, &rec->uuid) : -ENOSPC;
	if (!r) {
		atomic_store(&in->spawned, true);
		*ret = ta_call_ready(pc, in, &in->flags); /* read even if it died: its READY says why */
	} else {
		*ret = r == -ENOENT ? TEE_ERROR_ITEM_NOT_FOUND :
		       r == -ENOMEM || r == -ENOSPC || r == -EAGAIN ? TEE_ERROR_OUT_OF_MEMORY : TEE_ERROR_GENERIC;
		if (r != -ENOSPC && r != -ENOENT)
			vtee_log(VTEE_LOG_WARNING, "ta[%s]: cannot start a TA instance: %s", pv->name, strerror(-r));
	}
	if (*ret == TEE_SUCCESS && atomic_load(&in->dead))
		*ret = TEE_ERROR_TARGET_DEAD; /* the VM went while it loaded */
	if (*ret != TEE_SUCCESS) {
		atomic_store(&in->dead, true);
		ta_inst_put(pc, in);
		return NULL;
	}
	return in;
}

/* ---- the lane: one call at a time ---- */

static const void *chain_of(const struct pcall *pc)
{
	return pc->chain ? pc->chain : pc;
}

/* 0, or why the call cannot go in: -EDEADLK (its own chain holds it), -EPIPE (dead), -ECANCELED. */
static int lane_take(struct pcall *pc, struct ta_inst *in)
{
	int r = 0;
	pthread_mutex_lock(&pc->pv->lock);
	while (!r && in->lane_busy) {
		if (in->lane_owner == chain_of(pc))
			r = -EDEADLK;
		else if (atomic_load(&in->dead))
			r = -EPIPE;
		else if (pc->c && ta_cancelled(pc->c))
			r = -ECANCELED;
		if (r)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += LANE_WAIT_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&in->lane_free, &pc->pv->lock, &ts);
	}
	if (!r) {
		in->lane_busy = true;
		in->lane_owner = chain_of(pc);
	}
	pthread_mutex_unlock(&pc->pv->lock);
	return r;
}

int ta_lane_try(struct pcall *pc, struct ta_inst *in)
{
	pthread_mutex_lock(&pc->pv->lock);
	int r = atomic_load(&in->dead) ? -EPIPE : in->lane_busy ? -EBUSY : 0;
	if (!r) {
		in->lane_busy = true;
		in->lane_owner = chain_of(pc);
	}
	pthread_mutex_unlock(&pc->pv->lock);
	return r;
}

void ta_lane_reown(struct ta_inst *in, const struct pcall *to)
{
	pthread_mutex_lock(&to->pv->lock);
	in->lane_owner = chain_of(to);
	pthread_mutex_unlock(&to->pv->lock);
}

void ta_lane_give(struct pcall *pc, struct ta_inst *in)
{
	pthread_mutex_lock(&pc->pv->lock);
	in->lane_busy = false;
	in->lane_owner = NULL;
	pthread_cond_signal(&in->lane_free);
	pthread_mutex_unlock(&pc->pv->lock);
	/*
	 * The sessions a dead TA opened end with it: calls into other TAs, never
	 * on a vCPU's thread (an inline call hands a dead instance's lane to a
	 * TEE thread; one that dies just after is left to the next giver or to
	 * inst_free()).
	 */
	if (atomic_load(&in->dead) && !(pc->c && pc->c->on_submitter))
		ta2ta_close_all(pc, in);
}

static void lane_error(int r, uint32_t *ret, uint32_t *origin)
{
	set_out(ret, origin, r == -EDEADLK ? TEE_ERROR_BUSY : r == -ECANCELED ? TEE_ERROR_CANCEL : TEE_ERROR_TARGET_DEAD,
		TEE_ORIGIN_TEE);
}

/* A call (not DESTROY) through the lane. */
static void run_call(struct pcall *pc, struct ta_inst *in, uint32_t type, uint32_t sid, uint32_t cmd,
		     const struct vtee_client *client, struct pargs *a, uint32_t *ret, uint32_t *origin)
{
	int r = lane_take(pc, in);
	if (r) {
		lane_error(r, ret, origin);
		return;
	}
	ta_call_run(pc, in, type, sid, cmd, client, a, ret, origin);
	ta_lane_give(pc, in);
}

/* A session of in has ended (or an open failed): the instance ends with its last one, unless kept. */
static void session_end(struct pcall *pc, struct ta_inst *in)
{
	struct ta_proc_vm *pv = pc->pv;
	pthread_mutex_lock(&pv->lock);
	in->sessions--;
	bool kept = (in->flags & TAF_SINGLE_INSTANCE) && (in->flags & TAF_INSTANCE_KEEP_ALIVE);
	bool destroy = !in->sessions && !kept && !atomic_load(&in->dead) && !atomic_load(&in->destroy_sent);
	bool drop_single = false;
	if (destroy) {
		atomic_store(&in->destroy_sent, true);
		if (in->rec->single == in) {
			in->rec->single = NULL; /* from now on an open starts a new instance */
			drop_single = true;
		}
	}
	pthread_mutex_unlock(&pv->lock);
	if (destroy && !lane_take(pc, in)) {
		uint32_t ret, origin;
		ta_call_run(pc, in, TAP_MSG_DESTROY, 0, 0, NULL, NULL, &ret, &origin);
		ta_lane_give(pc, in);
	}
	if (drop_single)
		ta_inst_put(pc, in);
}

/* ---- sessions ---- */

/*
 * pv->lock held: an instance of rec for one more session, with a reference
 * for it; NULL with *ret when there is none to be had (BUSY, TARGET_DEAD),
 * NULL with *ret == TEE_SUCCESS when the caller must start one.
 */
static struct ta_inst *existing_instance(struct ta_rec *rec, uint32_t *ret, struct ta_inst **drop)
{
	struct ta_inst *in = rec->single;
	*ret = TEE_SUCCESS;
	if (!in)
		return NULL;
	if (atomic_load(&in->dead)) {
		if (in->flags & TAF_KEEP_CRASHED) {
			*ret = TEE_ERROR_TARGET_DEAD;
			return NULL;
		}
		rec->single = NULL; /* a fresh instance replaces the dead one */
		*drop = in;
		return NULL;
	}
	if (!(in->flags & TAF_MULTI_SESSION) && in->sessions) {
		*ret = TEE_ERROR_BUSY;
		return NULL;
	}
	in->sessions++;
	in->refs++;
	return in;
}

/* The instance a new session of uuid goes to (one reference and one session count are ours), or NULL. */
static struct ta_inst *instance_for_open(struct pcall *pc, const struct vtee_uuid *uuid, uint32_t *ret)
{
	struct ta_proc_vm *pv = pc->pv;
	struct ta_inst *drop = NULL, *in = NULL;
	pthread_mutex_lock(&pv->lock);
	struct ta_rec *rec = pv->stopping ? NULL : rec_get(pv, uuid);
	if (!rec) {
		*ret = pv->stopping ? TEE_ERROR_TARGET_DEAD : TEE_ERROR_OUT_OF_MEMORY;
		pthread_mutex_unlock(&pv->lock);
		return NULL;
	}
	rec->users++;
	while (rec->loading)
		pthread_cond_wait(&pv->changed, &pv->lock);
	in = existing_instance(rec, ret, &drop);
	if (!in && *ret == TEE_SUCCESS) {
		bool serialise = !rec->known || (rec->flags & TAF_SINGLE_INSTANCE);
		rec->loading |= serialise;
		pthread_mutex_unlock(&pv->lock);
		in = inst_spawn(pc, rec, ret);
		pthread_mutex_lock(&pv->lock);
		if (serialise) {
			rec->loading = false;
			pthread_cond_broadcast(&pv->changed);
		}
		if (in) {
			rec->known = true;
			rec->flags = in->flags;
			in->sessions++;
			if (in->flags & TAF_SINGLE_INSTANCE) {
				rec->single = in;
				in->refs++;
			}
		}
	}
	rec->users--;
	rec_release(pv, rec);
	bool last = drop && inst_unref_locked(drop);
	pthread_mutex_unlock(&pv->lock);
	if (last)
		inst_free(pc, drop);
	return in;
}

void ta_proc_open_as(struct pcall *pc, const struct vtee_uuid *uuid, const struct vtee_client *client,
		     struct pargs *a, struct ta_proc_session **out, uint32_t *ret, uint32_t *origin)
{
	*out = NULL;
	*origin = TEE_ORIGIN_TEE;
	struct ta_proc_session *s = calloc(1, sizeof(*s));
	struct ta_inst *in = s ? instance_for_open(pc, uuid, ret) : NULL;
	if (!s)
		*ret = TEE_ERROR_OUT_OF_MEMORY;
	if (!in) {
		free(s);
		return;
	}
	pthread_mutex_lock(&pc->pv->lock);
	s->sid = ++pc->pv->next_sid ? pc->pv->next_sid : ++pc->pv->next_sid;
	pthread_mutex_unlock(&pc->pv->lock);
	s->inst = in;
	s->client = *client;
	run_call(pc, in, TAP_MSG_OPEN, s->sid, 0, client, a, ret, origin);
	if (*ret != TEE_SUCCESS) {
		session_end(pc, in);
		ta_inst_put(pc, in);
		free(s);
		return;
	}
	*out = s;
}

void ta_proc_invoke_as(struct pcall *pc, struct ta_proc_session *s, uint32_t cmd, struct pargs *a,
		       uint32_t *ret, uint32_t *origin)
{
	run_call(pc, s->inst, TAP_MSG_INVOKE, s->sid, cmd, &s->client, a, ret, origin);
}

void ta_proc_close_as(struct pcall *pc, struct ta_proc_session *s)
{
	struct ta_inst *in = s->inst;
	if (!atomic_load(&in->dead)) {
		uint32_t ret, origin;
		run_call(pc, in, TAP_MSG_CLOSE, s->sid, 0, &s->client, NULL, &ret, &origin);
	}
	session_end(pc, in);
	ta_inst_put(pc, in);
	free(s);
}

bool ta_proc_ptime_get(struct ta_inst *in, int64_t *offset_ms)
{
	pthread_mutex_lock(&in->pv->lock);
	bool set = in->rec->ptime_set;
	*offset_ms = in->rec->ptime_ms;
	pthread_mutex_unlock(&in->pv->lock);
	return set;
}

void ta_proc_ptime_set(struct ta_inst *in, int64_t offset_ms)
{
	pthread_mutex_lock(&in->pv->lock);
	in->rec->ptime_set = true;
	in->rec->ptime_ms = offset_ms;
	pthread_mutex_unlock(&in->pv->lock);
}

/* ---- the VM, and the guest's calls ---- */

int ta_proc_vm_new(struct ta_store *st, uint32_t vm_id, const char *name, struct ta_proc_vm **out)
{
	struct ta_proc_vm *pv = calloc(1, sizeof(*pv));
	if (!pv || ta_st_vm_new(&pv->stv)) {
		free(pv);
		return -ENOMEM;
	}
	pv->st = st;
	pv->vm_id = vm_id;
	snprintf(pv->name, sizeof(pv->name), "%s", name && *name ? name : "-");
	pthread_mutex_init(&pv->lock, NULL);
	pthread_cond_init(&pv->changed, NULL);
	*out = pv;
	return 0;
}

void ta_proc_vm_kill(struct ta_proc_vm *pv)
{
	pthread_mutex_lock(&pv->lock);
	pv->stopping = true;
	for (struct ta_inst *in = pv->insts; in; in = in->vm_next)
		ta_inst_fail(in, NULL);
	pthread_mutex_unlock(&pv->lock);
}

void ta_proc_vm_free(struct ta_proc_vm *pv)
{
	/* the records' references to single instances are the last ones (every session is closed) */
	for (;;) {
		pthread_mutex_lock(&pv->lock);
		struct ta_inst *in = NULL;
		for (struct ta_rec *r = pv->recs; r && !in; r = r->next) {
			in = r->single;
			r->single = NULL;
		}
		pthread_mutex_unlock(&pv->lock);
		if (!in)
			break;
		ta_inst_put(NULL, in);
	}
	while (pv->recs) {
		struct ta_rec *r = pv->recs;
		pv->recs = r->next;
		free(r);
	}
	if (pv->insts)
		vtee_log(VTEE_LOG_ERR, "ta[%s]: %u TA instances still referenced at VM destroy", pv->name,
			 count_insts(pv));
	ta_st_vm_free(pv->stv);
	pthread_cond_destroy(&pv->changed);
	pthread_mutex_destroy(&pv->lock);
	free(pv);
}

void ta_proc_open(struct ta_proc_vm *pv, struct ta_call *c, struct vtee_req *req, struct ta_proc_session **out)
{
	struct pcall pc = { .c = c, .pv = pv };
	struct pargs a;
	uint32_t ret, origin;
	*out = NULL;
	if (!ta_req_args(req, &a))
		return;
	ta_proc_open_as(&pc, &req->ta, &c->client, &a, out, &ret, &origin);
	if (ret == TEE_SUCCESS && a.lost) {
		/* the guest took its buffer away: the outputs are lost, so is the session */
		ta_proc_close_as(&pc, *out);
		*out = NULL;
	}
	ta_req_finish(req, &a, ret, origin);
}

void ta_proc_invoke(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s, struct vtee_req *req)
{
	if (c->on_submitter) {
		ta_proc_invoke_inline(pv, c, s, req);
		return;
	}
	struct pcall pc = { .c = c, .pv = pv };
	struct pargs a;
	uint32_t ret, origin;
	if (!ta_req_args(req, &a))
		return;
	ta_proc_invoke_as(&pc, s, req->func, &a, &ret, &origin);
	ta_req_finish(req, &a, ret, origin);
}

void ta_proc_close(struct ta_proc_vm *pv, struct ta_call *c, struct ta_proc_session *s)
{
	struct pcall pc = { .c = c, .pv = pv };
	ta_proc_close_as(&pc, s);
}
