// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: what TA instances send the soft back-end on their
 * channels (lib/backend/soft/ta_proc_call.c, ta_proc_ta2ta.c, through
 * soft.c and ta_proc.c as a guest's calls reach them). One input = one VM's
 * life: the guest opens a session of a TA in a process, invokes it up to
 * three times with values and memrefs of its own memory, and closes it;
 * then the VM is destroyed. Every instance the back-end starts meanwhile
 * (the guest's, and those its TA-to-TA requests start) is served by a
 * stand-in for vtee-ta-host (fuzz_ta_host.c) and sends its script of the
 * input (fuzz_ta_script.c, the format): READY, DONE with outputs and
 * sizes, LOG, PANIC, REE_TIME, PTIME_*, TA_OPEN/INVOKE/CLOSE with inline
 * memrefs, anything else, anything cut short.
 *
 * Failing the run (abort(), or a sanitizer's report):
 *   - a crash, a request that does not end within 10 s, a submit() that
 *     does not return within 2 s (a TA holding the guest's thread), a leak
 *     (LSan), an instance that outlives its VM, an fd or a mapping of an
 *     instance left after the VM is gone, an error in the log (e.g.
 *     instances still referenced at VM destroy), a session left after the
 *     guest closed it;
 *   - a write outside the memrefs the guest gave (each ends at a guard page
 *     and the rest of its pages is checked), or other bytes in them than
 *     the instance's output: exactly DONE's size when it fits, else none;
 *   - an answer to the guest other than the protocol's: the guest's
 *     instance's frames decide it (ft_kind): a DONE's result, origin and
 *     outputs; a READY's failure; TARGET_DEAD (origin TEE) as soon as the
 *     instance breaks a rule, panics, or ends without a DONE, and on every
 *     later call;
 *   - a message from the back-end the protocol does not have, a memref
 *     outside the bulk area, a call that does not carry the guest's
 *     parameters, an ANSWER that does not match its request
 *     (fuzz_ta_host.c).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_ta.h"
#include "soft.h"
#include "vtee/vtee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VM_ID 7u
#define PAGE 4096u
#define WAIT_SLICE_US 100000ull
#define REQUEST_LIMIT_US (10ull * 1000 * 1000)

static const struct vtee_backend_ops *const be = &vtee_soft_backend;
static void *tee;
static uint8_t *regions[4]; /* per parameter: two pages, then a guard page */
static struct ft_script scripts[FT_MAX_INST];
static bool verbose;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char error_line[512];

static void collect(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	if (verbose)
		fprintf(stderr, "log: %s\n", line);
	if (level != VTEE_LOG_ERR)
		return;
	pthread_mutex_lock(&log_lock);
	if (!error_line[0])
		snprintf(error_line, sizeof(error_line), "%s", line);
	pthread_mutex_unlock(&log_lock);
}

static void setup(void)
{
	verbose = getenv("FUZZ_TA_VERBOSE") != NULL;
	vtee_set_log(collect, NULL);
	for (int i = 0; i < 4; i++) {
		regions[i] = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (regions[i] == MAP_FAILED || mprotect(regions[i] + 2 * PAGE, PAGE, PROT_NONE))
			ft_fail("guest memory");
	}
	tee = fh_open();
}

/* ---- the guest's parameters ---- */

struct gparam {
	uint32_t type;
	uint64_t size;
	uint64_t a, b;          /* values in */
	uint8_t *base;          /* the shm's first byte (NULL: a NULL memref) */
	uint64_t span, offs;    /* the shm's bytes; the memref ends at its end, at the guard page */
	struct vtee_shm *shm;
	uint8_t before[PAGE];
};

static void set_params(struct vtee_req *r, struct gparam g[4], const uint8_t sel[4])
{
	static const uint32_t types[8] = { VTEE_PARAM_NONE, VTEE_PARAM_VALUE_IN, VTEE_PARAM_VALUE_OUT,
					   VTEE_PARAM_VALUE_INOUT, VTEE_PARAM_MEMREF_IN, VTEE_PARAM_MEMREF_OUT,
					   VTEE_PARAM_MEMREF_INOUT, VTEE_PARAM_MEMREF_INOUT };
	r->num_params = 4;
	for (int i = 0; i < 4; i++) {
		struct gparam *p = &g[i];
		struct vtee_param *vp = &r->params[i];
		*p = (struct gparam){ .type = types[sel[i] & 7], .size = ft_sizes[(sel[i] >> 3) & 15] };
		vp->type = p->type;
		if (vtee_param_is_value(p->type)) {
			vp->u.value.a = p->a = 0xffff0000a0000000ull + (uint64_t)i;
			vp->u.value.b = p->b = 0x0b000000u + sel[i];
			vp->u.value.c = 0xcc;
			continue;
		}
		if (!vtee_param_is_memref(p->type))
			continue;
		vp->u.memref.size = p->size;
		if ((sel[i] & 7) == 7)
			continue; /* NULL: a size query */
		p->span = p->size ? (p->size + PAGE - 1) / PAGE * PAGE : PAGE;
		p->offs = p->span - p->size;
		p->base = regions[i] + 2 * PAGE - p->span;
		for (uint64_t j = 0; j < p->span; j++)
			p->base[j] = p->before[j] = (uint8_t)(0x5a ^ (i * 37) ^ (j * 131));
		if (vtee_host_shm_new(p->base, p->span, &p->shm))
			ft_fail("vtee_host_shm_new");
		vp->u.memref.shm = p->shm;
		vp->u.memref.offs = p->offs;
	}
}

static void free_params(struct gparam g[4])
{
	for (int i = 0; i < 4; i++)
		if (g[i].shm)
			vtee_host_shm_free(g[i].shm);
}

/* ---- the oracle: the guest's instance's frames, call by call ---- */

struct expect {
	uint32_t ret, origin;
	bool done;              /* a DONE ended the call: its outputs are the guest's */
	struct tap_done d;
};

struct oracle {
	const struct ft_script *s;
	unsigned cur;           /* the next frame the back-end reads */
	bool dead;
};

static void expect_dead(struct oracle *o, struct expect *e, uint32_t ret)
{
	o->dead = true;
	*e = (struct expect){ .ret = ret, .origin = TEE_ORIGIN_TEE };
}

/* A call was sent: its frames up to a DONE, or the end of the instance. */
static void span(struct oracle *o, struct expect *e)
{
	if (o->dead) {
		expect_dead(o, e, TEE_ERROR_TARGET_DEAD);
		return;
	}
	for (; o->cur < o->s->nf; o->cur++) {
		enum ft_kind k = ft_kind(o->s, o->cur, false);
		if (k == FK_LOG || k == FK_ASK || k == FK_TA)
			continue;
		if (k != FK_DONE)
			break;
		*e = (struct expect){ .done = true };
		memcpy(&e->d, o->s->bytes + o->s->f[o->cur++].off, sizeof(e->d));
		e->ret = e->d.ret;
		/* an origin outside GP's: the TA's */
		e->origin = e->d.origin >= TEE_ORIGIN_API && e->d.origin <= TEE_ORIGIN_TRUSTED_APP ?
				    e->d.origin : TEE_ORIGIN_TRUSTED_APP;
		return;
	}
	expect_dead(o, e, TEE_ERROR_TARGET_DEAD);
}

/* The first OPEN: log lines, READY (its failure, or the wrong TA: ITEM_NOT_FOUND), then the call. */
static void predict_open(struct oracle *o, const struct vtee_uuid *uuid, struct expect *e)
{
	const struct ft_script *s = o->s;
	while (o->cur < s->nf && ft_kind(s, o->cur, true) == FK_LOG)
		o->cur++;
	if (o->cur == s->nf || ft_kind(s, o->cur, true) != FK_READY) {
		expect_dead(o, e, TEE_ERROR_TARGET_DEAD);
		return;
	}
	struct tap_ready rd;
	memcpy(&rd, s->bytes + s->f[o->cur++].off, sizeof(rd));
	if (rd.ret != TEE_SUCCESS)
		expect_dead(o, e, rd.ret);
	else if (memcmp(rd.uuid, uuid->b, sizeof(rd.uuid)))
		expect_dead(o, e, TEE_ERROR_ITEM_NOT_FOUND);
	else
		span(o, e);
}

/* ---- checks of an answer ---- */

/* The call the instance got carries the guest's parameters, its input bytes in the bulk area. */
static void check_sent(const struct gparam g[4], const struct tap_call *c, const uint8_t *bulk)
{
	uint32_t types = 0;
	for (int i = 0; i < 4; i++) {
		const struct gparam *p = &g[i];
		const struct tap_param *tp = &c->p[i];
		types |= p->type << (4 * i);
		bool ok = true;
		if (vtee_param_is_value(p->type))
			ok = tp->a == (uint32_t)p->a && tp->b == (uint32_t)p->b;
		else if (vtee_param_is_memref(p->type))
			ok = tp->b == p->size && (tp->a == TAP_NULL_MEMREF) == !p->base &&
			     (!p->base || !vtee_param_is_input(p->type) ||
			      !memcmp(bulk + tp->a, p->before + p->offs, (size_t)p->size));
		if (!ok)
			ft_fail("parameter %d (type %u) reached the TA as %#llx/%#llx", i, p->type,
				(unsigned long long)tp->a, (unsigned long long)tp->b);
	}
	if (c->types != types)
		ft_fail("the TA got types %#x, the guest gave %#x", c->types, types);
}

static void check_param(int i, const struct vtee_param *vp, const struct gparam *p, const struct expect *e,
			const struct tap_call *c, const uint8_t *bulk)
{
	bool out = e->done && vtee_param_is_output(p->type);
	if (vtee_param_is_value(p->type) && out &&
	    (vp->u.value.a != (uint32_t)e->d.p[i].a || vp->u.value.b != (uint32_t)e->d.p[i].b || vp->u.value.c))
		ft_fail("value %d out: %#llx/%#llx/%#llx", i, (unsigned long long)vp->u.value.a,
			(unsigned long long)vp->u.value.b, (unsigned long long)vp->u.value.c);
	if (!vtee_param_is_memref(p->type))
		return;
	uint64_t n = out ? e->d.p[i].b : p->size;
	if (vp->u.memref.size != n)
		ft_fail("memref %d: size %#llx told, %#llx expected", i, (unsigned long long)vp->u.memref.size,
			(unsigned long long)n);
	bool copied = out && n && n <= p->size;
	for (uint64_t j = 0; p->base && j < p->span; j++) {
		bool in_out = copied && j >= p->offs && j - p->offs < n;
		uint8_t want = in_out ? bulk[c->p[i].a + j - p->offs] : p->before[j];
		if (p->base[j] != want)
			ft_fail("memref %d (size %llu, %llu out): byte %llu of its pages is %#x, not %#x", i,
				(unsigned long long)p->size, (unsigned long long)n, (unsigned long long)j, p->base[j],
				want);
	}
}

static void check_answer(const char *what, const struct vtee_req *r, const struct gparam g[4],
			 const struct expect *e)
{
	if (r->ret != e->ret || r->ret_origin != e->origin)
		ft_fail("%s: %#x (origin %u), expected %#x (origin %u)", what, r->ret, r->ret_origin, e->ret, e->origin);
	struct tap_call c = { 0 };
	const uint8_t *bulk = NULL;
	if (e->done && !fh_last_call(0, &c, &bulk))
		ft_fail("%s: a DONE, but the instance never got the call", what);
	if (e->done)
		check_sent(g, &c, bulk);
	for (int i = 0; i < 4; i++)
		check_param(i, &r->params[i], &g[i], e, &c, bulk);
}

/* ---- the guest ---- */

static void run(void *vm, struct vtee_req *r, bool rpc_fails)
{
	vtee_req_arm(r);
	fh_in_submit(true);
	be->submit(vm, r);
	fh_in_submit(false);
	for (uint64_t waited = 0;;) {
		enum vtee_wait w = vtee_req_wait_event(r, WAIT_SLICE_US);
		if (w == VTEE_WAIT_DONE)
			return;
		if (w == VTEE_WAIT_RPC) { /* REE time, as a guest kernel answers it (or fails to) */
			r->rpc->num_params = rpc_fails ? 0 : 1;
			r->rpc->params[0].type = VTEE_PARAM_VALUE_OUT;
			r->rpc->params[0].u.value.a = 1700000000;
			r->rpc->params[0].u.value.b = 250000000;
			r->rpc->ret = rpc_fails ? TEE_ERROR_GENERIC : TEE_SUCCESS;
			vtee_req_rpc_answer(r);
			continue;
		}
		if ((waited += WAIT_SLICE_US) > REQUEST_LIMIT_US)
			ft_fail("a request (op %d) did not end in %llu s", r->op, REQUEST_LIMIT_US / 1000000);
	}
}

/* One call and its checks; the session it opened (OPEN), if any. */
static void *call(void *vm, const struct ft_guest *g, struct vtee_req *r, const uint8_t sel[4], struct oracle *o)
{
	static const struct vtee_uuid ta = { FT_GUEST_TA_UUID };
	struct gparam gp[4];
	struct expect e;
	set_params(r, gp, sel);
	run(vm, r, g->rpc_fails);
	fh_sync(); /* what the back-end sent the instance is read and checked */
	if (r->op == VTEE_REQ_OPEN)
		predict_open(o, &ta, &e);
	else
		span(o, &e);
	if (verbose)
		fprintf(stderr, "%s: %#x origin %u%s\n", r->op == VTEE_REQ_OPEN ? "OPEN" : "INVOKE", r->ret,
			r->ret_origin, e.done ? " (a DONE)" : "");
	check_answer(r->op == VTEE_REQ_OPEN ? "OPEN" : "INVOKE", r, gp, &e);
	free_params(gp);
	return r->session;
}

static void guest(void *vm, const struct ft_guest *g)
{
	struct oracle o = { .s = &scripts[0] };
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = { FT_GUEST_TA_UUID }, .client = { .login = TEE_LOGIN_PUBLIC } };
	void *s = call(vm, g, &r, g->open_params, &o);
	if (!s != (r.ret != TEE_SUCCESS))
		ft_fail("OPEN: result %#x with session %p", r.ret, s);
	if (!s)
		return;
	for (unsigned k = 0; k < g->ninvokes; k++) {
		r = (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = 0x100 + k };
		call(vm, g, &r, g->invoke_params[k], &o);
	}
	r = (struct vtee_req){ .op = VTEE_REQ_CLOSE, .session = s };
	run(vm, &r, g->rpc_fails);
	if (r.ret != TEE_SUCCESS)
		ft_fail("CLOSE: %#x", r.ret);
}

/* ---- what the VM leaves ---- */

static unsigned count_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		ft_fail("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* No mapping of an instance's channel or shared memory is left. */
static void check_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	if (!f)
		ft_fail("/proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:vtee-chan") || strstr(line, "/memfd:fuzz-ta-shared"))
			ft_fail("left mapped after the VM: %s", line);
	fclose(f);
}

/* FUZZ_TA_VERBOSE: what each instance will say. */
static void print_scripts(unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < scripts[k].nf; i++)
			fprintf(stderr, "script %u frame %u: type %u len %u%s\n", k, i, scripts[k].f[i].type,
				scripts[k].f[i].len, scripts[k].f[i].cut ? " (cut)" : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	struct ft_guest g;
	unsigned n = ft_parse(data, size, &g, scripts);
	if (verbose)
		print_scripts(n);
	unsigned fds = count_fds();
	void *vm = NULL;
	fh_begin(VM_ID, scripts, n);
	if (be->vm_created(tee, VM_ID, "fuzz", &vm))
		ft_fail("vm_created");
	guest(vm, &g);
	long left = be->vm_session_count(vm);
	if (left)
		ft_fail("%ld sessions left after the guest closed its own", left);
	be->vm_destroyed(vm);
	fh_end();
	if (count_fds() != fds)
		ft_fail("%u fds before the VM, %u after", fds, count_fds());
	check_maps();
	pthread_mutex_lock(&log_lock);
	if (error_line[0])
		ft_fail("logged: %s", error_line);
	pthread_mutex_unlock(&log_lock);
	return 0;
}
