// SPDX-License-Identifier: MIT
/*
 * The "soft" back-end: the ops table, sessions, per-VM TA instances and the
 * copying of parameters between guest shared memory and TA bounce buffers.
 * TAs never see guest memory: they get private copies, so a guest changing a
 * buffer mid-call cannot make a TA read two different values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "soft.h"
#include "ta_proc.h"

/* The TAs this back-end serves. Adding a TA is one line here. */
const struct soft_ta *const soft_tas[] = {
	&soft_ta_device,
	&soft_ta_rng,
	&soft_ta_test,
};
const size_t soft_num_tas = sizeof(soft_tas) / sizeof(soft_tas[0]);

/* Instances are indexed by registry position; a fixed array keeps idle VMs small. */
#define SOFT_MAX_TAS 16
_Static_assert(sizeof(soft_tas) / sizeof(soft_tas[0]) <= SOFT_MAX_TAS, "raise SOFT_MAX_TAS");

/*
 * A session handle is (serial << HANDLE_TA_BITS) | registry index of its TA,
 * so submit() can tell which TA a call is for, to ask whether it is quick,
 * without the VM lock. Only the set lookup makes a handle valid; a forged
 * handle's TA bits at most send a call that then fails to the other kind of
 * thread.
 */
#define HANDLE_TA_BITS 4
_Static_assert(SOFT_MAX_TAS <= (1u << HANDLE_TA_BITS), "handles cannot name every TA");
/* The TA bits of a session with a TA in a process (ta_proc.h): no registry position. */
#define HANDLE_PROC ((1u << HANDLE_TA_BITS) - 1)
_Static_assert(sizeof(soft_tas) / sizeof(soft_tas[0]) < HANDLE_PROC, "HANDLE_PROC names a built-in TA");

struct soft_tee {
	unsigned max_threads;
	bool inline_calls; /* "inline=0|1": run quick calls on the submitter's thread */
	struct ta_store_cfg ta_cfg;  /* ta_dir=, ta_host=, ...: TAs in processes */
	struct ta_store *ta_store;   /* their fork server; NULL: no ta_dir, built-in TAs only */
};

struct soft_inst {
	pthread_mutex_t lock;
	max_align_t data[]; /* the TA's inst_size bytes */
};

struct soft_session {
	const struct soft_ta *ta;        /* NULL: a TA in a process, proc */
	struct ta_proc_session *proc;
	struct soft_inst *inst;
	void *ctx;                 /* the TA's session pointer */
	struct vtee_client client; /* who opened it; close_session runs as them */
	uint32_t refs;             /* vm->lock: 1 while open, +1 per running invoke */
	uint64_t handle;           /* what the core holds: never reused, unlike the address */
};

/*
 * Live sessions of one VM: an open-addressing set keyed by handle. Handles
 * count up per VM and are never reused, so a request still holding the handle
 * of a closed session can never land in a newer session that malloc happened
 * to place at the same address.
 */
struct session_set {
	struct soft_session **slot;
	uint32_t cap, used, reserved;
};

struct soft_vm {
	struct soft_pool pool;
	pthread_mutex_t lock; /* sessions and instances */
	uint32_t vm_id;
	struct soft_inst *inst[SOFT_MAX_TAS];
	struct session_set sess;
	uint64_t next_serial;  /* of session handles: counts up, never reused */
	uint64_t bounce_bytes; /* private copies of memrefs alive now, bounded by SOFT_VM_BOUNCE_MAX */
	bool inline_calls;     /* struct soft_tee's, for this VM */
	struct ta_proc_vm *procs; /* this VM's TAs in processes; NULL without ta_dir */
};

/* ---- options ---- */

/*
 * Comma-separated:
 *   threads=N   TEE threads per VM, 1..SOFT_MAX_THREADS (default 64)
 *   inline=0|1  run quick calls on the submitter's thread (default 1; see soft.h).
 *               0: every call goes to a TEE thread, as a TEE on other cores would.
 *   ta_dir=DIR, ta_host=PATH, ta_user=NAME, ta_cancel_grace_ms=N, ta_memref_max=N
 *               TAs in processes of their own (ta_store.c; ta_dir may repeat)
 */
static int parse_options(const char *options, struct soft_tee *tee)
{
	tee->max_threads = SOFT_DEFAULT_THREADS;
	tee->inline_calls = true;
	if (!options)
		return 0;
	const char *s = options;
	while (*s) {
		size_t len = strcspn(s, ",");
		if (len > 8 && !strncmp(s, "threads=", 8)) {
			char *end;
			errno = 0;
			unsigned long n = strtoul(s + 8, &end, 10);
			if (errno || end != s + len || n < 1 || n > SOFT_MAX_THREADS || s[8] == '-')
				return -EINVAL;
			tee->max_threads = (unsigned)n;
		} else if (len == 8 && !strncmp(s, "inline=", 7) && (s[7] == '0' || s[7] == '1')) {
			tee->inline_calls = s[7] == '1';
		} else if (len) {
			int r = ta_store_option(&tee->ta_cfg, s, len);
			if (r)
				return r == -ENOENT ? -EINVAL : r;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int soft_open(const char *options, void **out)
{
	struct soft_tee *tee = calloc(1, sizeof(*tee));
	if (!tee)
		return -ENOMEM;
	int rc = parse_options(options, tee);
	/* the TA host is started now: vtee-tee enters its sandbox after open */
	if (!rc && tee->ta_cfg.ndirs)
		rc = ta_store_open(&tee->ta_cfg, &tee->ta_store);
	if (rc) {
		ta_store_cfg_free(&tee->ta_cfg);
		free(tee);
		return rc;
	}
	*out = tee;
	return 0;
}

static void soft_close(void *tee_)
{
	struct soft_tee *tee = tee_;
	ta_store_close(tee->ta_store);
	ta_store_cfg_free(&tee->ta_cfg);
	free(tee);
}

/* ---- session set (vm->lock held) ---- */

static uint32_t slot_of(uint64_t x, uint32_t cap)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x & (cap - 1);
}

static void set_place(struct session_set *set, struct soft_session *s)
{
	uint32_t i = slot_of(s->handle, set->cap);
	while (set->slot[i])
		i = (i + 1) & (set->cap - 1);
	set->slot[i] = s;
}

/* Make room for one more before the TA is asked, so a successful open cannot fail after. 0 or -ENOMEM. */
static int set_reserve(struct session_set *set)
{
	uint64_t need = (uint64_t)set->used + set->reserved + 1;
	if (need * 4 > (uint64_t)set->cap * 3) {
		uint32_t cap = set->cap ? set->cap : 8;
		while (need * 4 > (uint64_t)cap * 3) {
			if (cap >= (1u << 30))
				return -ENOMEM;
			cap *= 2;
		}
		struct soft_session **slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return -ENOMEM;
		struct session_set grown = { slot, cap, set->used, set->reserved };
		for (uint32_t i = 0; i < set->cap; i++)
			if (set->slot[i])
				set_place(&grown, set->slot[i]);
		free(set->slot);
		*set = grown;
	}
	set->reserved++;
	return 0;
}

static void set_insert(struct session_set *set, struct soft_session *s)
{
	set->reserved--;
	set->used++;
	set_place(set, s);
}

static struct soft_session *set_find(struct session_set *set, const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p;
	if (!set->cap || !h)
		return NULL;
	uint32_t mask = set->cap - 1;
	for (uint32_t i = slot_of(h, set->cap); set->slot[i]; i = (i + 1) & mask)
		if (set->slot[i]->handle == h)
			return set->slot[i];
	return NULL;
}

static void set_remove(struct session_set *set, const struct soft_session *s)
{
	uint32_t mask = set->cap - 1;
	uint32_t i = slot_of(s->handle, set->cap);
	while (set->slot[i] != s)
		i = (i + 1) & mask;
	set->slot[i] = NULL;
	set->used--;
	/* Backward-shift: pull later members of the probe run into the hole. */
	for (uint32_t j = (i + 1) & mask; set->slot[j]; j = (j + 1) & mask) {
		uint32_t home = slot_of(set->slot[j]->handle, set->cap);
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			set->slot[i] = set->slot[j];
			set->slot[j] = NULL;
			i = j;
		}
	}
}

/* ---- VMs and instances ---- */

static int soft_vm_created(void *tee_, uint32_t vm_id, const char *name, void **out)
{
	struct soft_tee *tee = tee_;
	(void)name;
	struct soft_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->vm_id = vm_id;
	vm->inline_calls = tee->inline_calls;
	if (tee->ta_store) {
		int r = ta_proc_vm_new(tee->ta_store, vm_id, name, &vm->procs);
		if (r) {
			free(vm);
			return r;
		}
	}
	pthread_mutex_init(&vm->lock, NULL);
	soft_pool_init(&vm->pool, vm, tee->max_threads);
	*out = vm;
	return 0;
}

/* The VM's instance of TA idx, made at first use: 0 or -ENOMEM. */
static int get_inst(struct soft_vm *vm, size_t idx, struct soft_inst **out)
{
	pthread_mutex_lock(&vm->lock);
	struct soft_inst *inst = vm->inst[idx];
	if (!inst) {
		inst = calloc(1, sizeof(*inst) + soft_tas[idx]->inst_size);
		if (inst) {
			pthread_mutex_init(&inst->lock, NULL);
			vm->inst[idx] = inst;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	*out = inst;
	return inst ? 0 : -ENOMEM;
}

void *ta_instance(struct ta_call *c)
{
	return c->inst ? c->inst->data : NULL;
}

void ta_lock(struct ta_call *c)
{
	pthread_mutex_lock(&c->inst->lock);
}

void ta_unlock(struct ta_call *c)
{
	pthread_mutex_unlock(&c->inst->lock);
}

/* The session is out of the set and unreferenced: let the TA forget it. */
static void session_close_now(struct soft_vm *vm, struct ta_call *c, struct soft_session *s)
{
	c->client = s->client;
	c->inst = s->inst;
	if (s->proc)
		ta_proc_close(vm->procs, c, s->proc);
	else if (s->ta->close_session)
		s->ta->close_session(c, s->ctx);
	free(s);
}

/* c->resume for a session whose close waits for a TEE thread (a TA's close may take its time). */
static const char resume_close;

static void session_put(struct soft_vm *vm, struct ta_call *c, struct soft_session *s)
{
	pthread_mutex_lock(&vm->lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&vm->lock);
	if (last && s->proc && c->on_submitter) {
		c->resume = (void *)&resume_close;
		c->resume_session = s;
	} else if (last) {
		session_close_now(vm, c, s);
	}
}

static void soft_vm_destroyed(void *vm_)
{
	struct soft_vm *vm = vm_;
	if (vm->procs)
		ta_proc_vm_kill(vm->procs); /* calls waiting on a TA process end now, not after a grace time */
	soft_pool_stop(&vm->pool); /* no TA code of this VM runs after this */

	struct ta_call c = { .client = { .vm_id = vm->vm_id } };
	for (uint32_t i = 0; i < vm->sess.cap; i++)
		if (vm->sess.slot[i])
			session_close_now(vm, &c, vm->sess.slot[i]);
	free(vm->sess.slot);
	if (vm->procs)
		ta_proc_vm_free(vm->procs);
	for (size_t i = 0; i < SOFT_MAX_TAS; i++) {
		if (vm->inst[i]) {
			pthread_mutex_destroy(&vm->inst[i]->lock);
			free(vm->inst[i]);
		}
	}
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* ---- parameters ---- */

struct marshal {
	uint32_t types;
	struct ta_param p[VTEE_MAX_PARAMS];
	void *bounce[VTEE_MAX_PARAMS];
	struct soft_vm *vm;
	uint64_t reserved; /* charged to vm->bounce_bytes */
};

static void params_free(struct marshal *m)
{
	for (int i = 0; i < VTEE_MAX_PARAMS; i++)
		free(m->bounce[i]);
	if (m->reserved) {
		pthread_mutex_lock(&m->vm->lock);
		m->vm->bounce_bytes -= m->reserved;
		pthread_mutex_unlock(&m->vm->lock);
	}
}

/*
 * Charge a call's private copies to its VM before allocating any: what one VM
 * can make us allocate is bounded however many calls it runs at once. 0 or -ENOMEM.
 */
static int bounce_reserve(const struct vtee_req *req, struct marshal *m)
{
	uint64_t want = 0;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		if (vtee_param_is_memref(vp->type) && vp->u.memref.shm) {
			if (vp->u.memref.size > SOFT_VM_BOUNCE_MAX)
				return -ENOMEM;
			want += vp->u.memref.size;
		}
	}
	if (!want)
		return 0;
	pthread_mutex_lock(&m->vm->lock);
	bool ok = want <= SOFT_VM_BOUNCE_MAX - m->vm->bounce_bytes;
	if (ok)
		m->vm->bounce_bytes += want;
	pthread_mutex_unlock(&m->vm->lock);
	if (ok)
		m->reserved = want;
	return ok ? 0 : -ENOMEM;
}

/*
 * Guest parameters -> TA parameters: 0, -EINVAL (a parameter the guest got
 * wrong) or -ENOMEM. On error the caller still calls params_free().
 */
static int params_in(struct soft_vm *vm, const struct vtee_req *req, struct marshal *m)
{
	memset(m, 0, sizeof(*m));
	m->vm = vm;
	if (req->num_params > VTEE_MAX_PARAMS)
		return -EINVAL;
	int r = bounce_reserve(req, m);
	if (r)
		return r;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		struct ta_param *p = &m->p[i];
		switch (vp->type) {
		case VTEE_PARAM_NONE:
		case VTEE_PARAM_VALUE_OUT:
			break;
		case VTEE_PARAM_VALUE_IN:
		case VTEE_PARAM_VALUE_INOUT:
			/* GP values are 32-bit; the upper halves are ignored, as OP-TEE does. */
			p->value.a = (uint32_t)vp->u.value.a;
			p->value.b = (uint32_t)vp->u.value.b;
			break;
		case VTEE_PARAM_MEMREF_IN:
		case VTEE_PARAM_MEMREF_OUT:
		case VTEE_PARAM_MEMREF_INOUT: {
			uint64_t offs = vp->u.memref.offs, size = vp->u.memref.size;
			if (size > SIZE_MAX)
				return -EINVAL;
			p->memref.size = (size_t)size;
			if (!vp->u.memref.shm)
				break; /* null memref */
			uint64_t total = vtee_shm_size(vp->u.memref.shm);
			if (offs > total || size > total - offs)
				return -EINVAL;
			/* Never hand a TA NULL for a real (even empty) buffer: NULL means null memref. */
			size_t len = size ? (size_t)size : 1;
			void *buf = vtee_param_is_input(vp->type) ? malloc(len) : calloc(1, len);
			if (!buf)
				return -ENOMEM;
			m->bounce[i] = buf;
			p->memref.buf = buf;
			if (vtee_param_is_input(vp->type) && size &&
			    vtee_shm_read(vp->u.memref.shm, offs, buf, (size_t)size))
				return -EINVAL;
			break;
		}
		default:
			return -EINVAL;
		}
		m->types |= vp->type << (4 * i);
	}
	return 0;
}

/*
 * TA outputs -> guest. Sizes always; data only when it fits what the guest
 * gave. -EFAULT if the guest's buffer could not take it.
 */
static int params_out(struct vtee_req *req, const struct marshal *m)
{
	int r = 0;
	for (uint32_t i = 0; i < req->num_params; i++) {
		struct vtee_param *vp = &req->params[i];
		const struct ta_param *p = &m->p[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = p->value.a;
			vp->u.value.b = p->value.b;
			vp->u.value.c = 0;
			continue;
		}
		uint64_t new_size = p->memref.size;
		if (m->bounce[i] && new_size && new_size <= vp->u.memref.size &&
		    vtee_shm_write(vp->u.memref.shm, vp->u.memref.offs, m->bounce[i], (size_t)new_size))
			r = -EFAULT;
		vp->u.memref.size = new_size;
	}
	return r;
}

/* ---- requests (on a TEE thread, or inline on the submitter's: soft_execute) ---- */

static void set_result(struct vtee_req *req, uint32_t ret, uint32_t origin)
{
	req->ret = ret;
	req->ret_origin = origin;
}

/* The open's outcome into the session set, whose room it reserved: published when ok, else freed. */
static void session_publish(struct soft_vm *vm, struct vtee_req *req, struct soft_session *s, size_t idx, bool ok)
{
	pthread_mutex_lock(&vm->lock);
	if (ok) {
		s->handle = (++vm->next_serial << HANDLE_TA_BITS) | idx;
		set_insert(&vm->sess, s);
	} else {
		vm->sess.reserved--;
	}
	pthread_mutex_unlock(&vm->lock);
	if (ok)
		req->session = (void *)(uintptr_t)s->handle;
	else
		free(s);
}

/* A TA that is none of the built-in ones: one in a process (ta_proc.h), when there are TA directories. */
static void do_open_proc(struct soft_vm *vm, struct ta_call *c, struct vtee_req *req)
{
	struct soft_session *s = calloc(1, sizeof(*s));
	pthread_mutex_lock(&vm->lock);
	int room = s ? set_reserve(&vm->sess) : -ENOMEM;
	pthread_mutex_unlock(&vm->lock);
	if (room) {
		free(s);
		set_result(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	*s = (struct soft_session){ .client = c->client, .refs = 1 };
	ta_proc_open(vm->procs, c, req, &s->proc);
	session_publish(vm, req, s, HANDLE_PROC, s->proc != NULL);
}

static void do_open(struct soft_vm *vm, struct ta_call *c, struct vtee_req *req)
{
	req->session = NULL;
	size_t idx = 0;
	while (idx < soft_num_tas && memcmp(&soft_tas[idx]->uuid, &req->ta, sizeof(req->ta)))
		idx++;
	if (idx == soft_num_tas && vm->procs) {
		do_open_proc(vm, c, req);
		return;
	}
	if (idx == soft_num_tas) {
		set_result(req, TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE);
		return;
	}
	const struct soft_ta *ta = soft_tas[idx];

	struct soft_inst *inst;
	struct soft_session *s = get_inst(vm, idx, &inst) ? NULL : calloc(1, sizeof(*s));
	if (!s) {
		set_result(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	int room = set_reserve(&vm->sess);
	pthread_mutex_unlock(&vm->lock);
	if (room) {
		free(s);
		set_result(req, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}

	struct marshal m;
	uint32_t ret, origin;
	int r = params_in(vm, req, &m);
	vtee_tee_result(r, &ret, &origin);
	if (!r) {
		*s = (struct soft_session){ .ta = ta, .inst = inst, .client = c->client, .refs = 1 };
		c->inst = inst;
		origin = TEE_ORIGIN_TRUSTED_APP;
		if (ta->open_session)
			ret = ta->open_session(c, m.types, m.p, &s->ctx);
		if (params_out(req, &m) && ret == TEE_SUCCESS) {
			/* the guest took its buffer away: the outputs are lost, so is the session */
			if (ta->close_session)
				ta->close_session(c, s->ctx);
			ret = TEE_ERROR_COMMUNICATION;
			origin = TEE_ORIGIN_TEE;
		}
	}
	params_free(&m);
	session_publish(vm, req, s, idx, ret == TEE_SUCCESS);
	set_result(req, ret, origin);
}

static void do_invoke(struct soft_vm *vm, struct ta_call *c, struct vtee_req *req)
{
	pthread_mutex_lock(&vm->lock);
	struct soft_session *s = set_find(&vm->sess, req->session);
	if (s)
		s->refs++; /* a CLOSE meanwhile defers the TA's close_session to us */
	pthread_mutex_unlock(&vm->lock);
	if (!s) {
		set_result(req, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}

	/* the caller is who opened the session (the request carries no login) */
	c->client = s->client;
	c->client.vm_id = vm->vm_id;
	if (s->proc) {
		ta_proc_invoke(vm->procs, c, s->proc, req);
		if (c->resume)
			c->resume_session = s; /* a TEE thread finishes it, and drops our reference */
		else
			session_put(vm, c, s);
		return;
	}

	struct marshal m;
	uint32_t ret, origin;
	int r = params_in(vm, req, &m);
	vtee_tee_result(r, &ret, &origin);
	if (!r) {
		c->inst = s->inst;
		origin = TEE_ORIGIN_TRUSTED_APP;
		ret = s->ta->invoke ? s->ta->invoke(c, s->ctx, req->func, m.types, m.p)
				    : TEE_ERROR_NOT_SUPPORTED;
		if (params_out(req, &m)) {
			ret = TEE_ERROR_COMMUNICATION; /* the guest took its buffer away: the outputs are lost */
			origin = TEE_ORIGIN_TEE;
		}
	}
	params_free(&m);
	set_result(req, ret, origin);
	session_put(vm, c, s);
}

static void do_close(struct soft_vm *vm, struct ta_call *c, struct vtee_req *req)
{
	pthread_mutex_lock(&vm->lock);
	struct soft_session *s = set_find(&vm->sess, req->session);
	bool last = false;
	if (s) {
		set_remove(&vm->sess, s);
		last = --s->refs == 0;
	}
	pthread_mutex_unlock(&vm->lock);
	if (!s) {
		set_result(req, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	if (last)
		session_close_now(vm, c, s);
	set_result(req, TEE_SUCCESS, TEE_ORIGIN_TEE);
}

void soft_execute(void *owner, struct ta_call *c, struct vtee_req *req)
{
	struct soft_vm *vm = owner;
	/* Identity comes from our own VM record; the request only adds the guest's claims. */
	c->client = req->client;
	c->client.vm_id = vm->vm_id;
	c->inst = NULL;
	c->req = req;
	switch (req->op) {
	case VTEE_REQ_OPEN:
		do_open(vm, c, req);
		break;
	case VTEE_REQ_INVOKE:
		do_invoke(vm, c, req);
		break;
	case VTEE_REQ_CLOSE:
		do_close(vm, c, req);
		break;
	default:
		set_result(req, TEE_ERROR_NOT_SUPPORTED, TEE_ORIGIN_TEE);
		break;
	}
}

void soft_resume(void *owner, struct ta_call *c, struct vtee_req *req)
{
	struct soft_vm *vm = owner;
	struct soft_session *s = c->resume_session;
	bool close_only = c->resume == &resume_close; /* the invoke is done; its session's close is left */
	if (!close_only)
		ta_proc_invoke_resume(vm->procs, c, req);
	c->resume = c->resume_session = NULL;
	if (close_only)
		session_close_now(vm, c, s);
	else
		session_put(vm, c, s);
}

uint32_t ta_ree_time(struct ta_call *c, uint32_t *seconds, uint32_t *nanoseconds)
{
	/*
	 * The thread that would answer this RPC is the one running the call: a
	 * TA declared an RPC-making command quick. Fail it rather than hang a vCPU.
	 */
	if (c->on_submitter)
		return TEE_ERROR_BAD_STATE;
	struct vtee_rpc rpc = { .cmd = VTEE_RPC_REE_TIME };
	vtee_req_rpc(c->req, &rpc);
	if (rpc.ret != TEE_SUCCESS)
		return rpc.ret;
	if (rpc.num_params < 1 || rpc.params[0].type != VTEE_PARAM_VALUE_OUT)
		return TEE_ERROR_COMMUNICATION;
	*seconds = (uint32_t)rpc.params[0].u.value.a;
	*nanoseconds = (uint32_t)rpc.params[0].u.value.b;
	return TEE_SUCCESS;
}

/* ---- quick calls (the rule is in soft.h) ---- */

static const struct soft_ta *ta_of_uuid(const struct vtee_uuid *uuid)
{
	for (size_t i = 0; i < soft_num_tas; i++)
		if (!memcmp(&soft_tas[i]->uuid, uuid, sizeof(*uuid)))
			return soft_tas[i];
	return NULL;
}

static const struct soft_ta *ta_of_handle(const void *session)
{
	size_t idx = (uintptr_t)session & ((1u << HANDLE_TA_BITS) - 1);
	return idx < soft_num_tas ? soft_tas[idx] : NULL;
}

static bool open_quick(const struct soft_ta *ta)
{
	return !ta->open_session || (ta->flags & SOFT_TA_QUICK_OPEN);
}

static bool close_quick(const struct soft_ta *ta)
{
	return !ta->close_session || (ta->flags & SOFT_TA_QUICK_CLOSE);
}

/*
 * May req run on the submitter's thread? Looks only at the request and the
 * TA registry, never at VM state, so it needs no lock; a request that is
 * malformed or names no TA is not quick (a TEE thread refuses it as before).
 */
static bool req_quick(const struct vtee_req *req)
{
	if (req->num_params > VTEE_MAX_PARAMS)
		return false;
	uint32_t types = 0;
	uint64_t copied = 0;
	struct ta_param p[VTEE_MAX_PARAMS] = { 0 };
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		if (vtee_param_is_memref(vp->type)) {
			if (vp->u.memref.size > SOFT_INLINE_COPY_MAX)
				return false;
			p[i].memref.size = (size_t)vp->u.memref.size;
			if (vp->u.memref.shm)
				copied += vp->u.memref.size;
		} else if (vtee_param_is_value(vp->type)) {
			p[i].value.a = (uint32_t)vp->u.value.a;
			p[i].value.b = (uint32_t)vp->u.value.b;
		} else if (vp->type != VTEE_PARAM_NONE) {
			return false;
		}
		types |= vp->type << (4 * i);
	}
	if (copied > SOFT_INLINE_COPY_MAX)
		return false;

	const struct soft_ta *ta;
	switch (req->op) {
	case VTEE_REQ_OPEN:
		ta = ta_of_uuid(&req->ta);
		return ta && open_quick(ta);
	case VTEE_REQ_INVOKE:
		/* a TA in a process: it starts here, and a late answer is waited for on a TEE thread */
		if (((uintptr_t)req->session & ((1u << HANDLE_TA_BITS) - 1)) == HANDLE_PROC)
			return true;
		ta = ta_of_handle(req->session);
		return ta && ta->quick && close_quick(ta) && ta->quick(req->func, types, p);
	case VTEE_REQ_CLOSE:
		ta = ta_of_handle(req->session);
		return ta && close_quick(ta);
	default:
		return false;
	}
}

/* ---- ops ---- */

static void soft_submit(void *vm_, struct vtee_req *req)
{
	struct soft_vm *vm = vm_;
	/* Quick calls run inline, here, unless "inline=0" (see soft.h for the rule). */
	soft_pool_submit(&vm->pool, req, vm->inline_calls && req_quick(req));
}

static void soft_cancel(void *vm, struct vtee_req *req)
{
	soft_pool_cancel(&((struct soft_vm *)vm)->pool, req);
}

static long soft_vm_session_count(void *vmp)
{
	struct soft_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	long n = vm->sess.used;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

static int soft_vm_storage(void *vm, struct vtee_storage *st)
{
	return ta_st_attach(((struct soft_vm *)vm)->procs, st);
}

static int soft_vm_storage_stats(void *vm, struct vtee_storage_stats *out)
{
	return ta_st_stats(((struct soft_vm *)vm)->procs, out);
}

const struct vtee_backend_ops vtee_soft_backend = {
	.name = "soft",
	.description = "the built-in TEE in this process: TAs written in C (device enumeration, RNG, test), and with "
		       "ta_dir=DIR GP TAs DIR/<uuid>.ta, each in a sandboxed process of its own",
	.open = soft_open,
	.close = soft_close,
	.vm_created = soft_vm_created,
	.vm_destroyed = soft_vm_destroyed,
	.submit = soft_submit,
	.cancel = soft_cancel,
	.vm_session_count = soft_vm_session_count,
	.vm_storage = soft_vm_storage,
	.vm_storage_stats = soft_vm_storage_stats,
};
VTEE_BACKEND_REGISTER(vtee_soft_backend);
