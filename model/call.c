// SPDX-License-Identifier: MIT
/*
 * The modelled driver's yielding calls: the call loop (ETHREAD_LIMIT waits,
 * RPCs handed to rpc.c, the final result), the bound on calls in flight that
 * GET_THREAD_COUNT gives, and how a message reaches the TEE (a private page
 * or a slot of a registered arg page).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guest_int.h"

/* How long the model waits where Linux would wait forever. */
#define ETHREAD_WAIT_MS     60000u /* for another call to complete after ETHREAD_LIMIT */
#define ETHREAD_ALONE_MS    2000u  /* ETHREAD_LIMIT with nothing else in flight */

/* ---- call queue --------------------------------------------------------- */

static void call_begin(struct guest *g)
{
	pthread_mutex_lock(&g->cq_lock);
	uint32_t lim = g->info.thread_count;
	if (lim && !g->cfg.ignore_thread_count)
		while (g->inflight >= lim)
			pthread_cond_wait(&g->cq_cond, &g->cq_lock);
	g->inflight++;
	if (g->inflight > g->max_inflight)
		g->max_inflight = g->inflight;
	pthread_mutex_unlock(&g->cq_lock);
	atomic_fetch_add(&g->st.calls, 1);
}

static void call_end(struct guest *g)
{
	pthread_mutex_lock(&g->cq_lock);
	g->inflight--;
	g->completions++;
	pthread_cond_broadcast(&g->cq_cond);
	pthread_mutex_unlock(&g->cq_lock);
}

static uint64_t completions_now(struct guest *g)
{
	pthread_mutex_lock(&g->cq_lock);
	uint64_t c = g->completions;
	pthread_mutex_unlock(&g->cq_lock);
	return c;
}

/*
 * After ETHREAD_LIMIT: wait until some other call of this guest completed since gen.
 * 0, or -ETIMEDOUT where Linux would wait for ever (said in guest_error()).
 */
static int wait_completion(struct guest *g, uint64_t gen)
{
	bool alone_seen = false;
	uint64_t start = now_ms();
	pthread_mutex_lock(&g->cq_lock);
	while (g->completions == gen) {
		uint64_t el = now_ms() - start;
		if (g->inflight <= 1) {
			/* Linux would sleep forever here: the TEE said "busy" with nothing of ours running. */
			if (!alone_seen) {
				alone_seen = true;
				atomic_fetch_add(&g->st.ethread_limit_alone, 1);
			}
			if (el >= ETHREAD_ALONE_MS) {
				pthread_mutex_unlock(&g->cq_lock);
				gerr(g, "ETHREAD_LIMIT while no other call of this guest is in flight "
					"(Linux would hang)");
				return -ETIMEDOUT;
			}
			struct timespec ts = deadline_after_ms(1);
			pthread_cond_timedwait(&g->cq_cond, &g->cq_lock, &ts);
			continue;
		}
		if (el >= ETHREAD_WAIT_MS) {
			pthread_mutex_unlock(&g->cq_lock);
			gerr(g, "no call completed for %u ms after ETHREAD_LIMIT", ETHREAD_WAIT_MS);
			return -ETIMEDOUT;
		}
		struct timespec ts = deadline_after_ms(100);
		pthread_cond_timedwait(&g->cq_cond, &g->cq_lock, &ts);
	}
	pthread_mutex_unlock(&g->cq_lock);
	return 0;
}

uint32_t guest_call_loop(struct guest *g, uint64_t regs[8], struct optee_msg_arg *rpc_arg)
{
	struct call_ctx c = { 0 };
	uint64_t p[8], r[8];
	uint32_t ret;
	uint64_t rpcs = 0;

	memcpy(p, regs, sizeof(p));
	call_begin(g);
	for (;;) {
		uint64_t gen = completions_now(g);
		memcpy(r, p, sizeof(r));
		guest_smc(g, r);
		if (r[0] == OPTEE_SMC_RETURN_ETHREAD_LIMIT) {
			atomic_fetch_add(&g->st.ethread_limit, 1);
			if (wait_completion(g, gen)) {
				ret = OPTEE_SMC_RETURN_ETHREAD_LIMIT;
				break;
			}
			continue; /* re-issue the same SMC */
		}
		if (OPTEE_SMC_RETURN_IS_RPC((uint32_t)r[0])) {
			if (g->cfg.max_rpcs_per_call && ++rpcs > g->cfg.max_rpcs_per_call) {
				gerr(g, "call abandoned after %llu RPCs", (unsigned long long)rpcs - 1);
				ret = (uint32_t)r[0];
				break;
			}
			guest_handle_rpc(g, &c, r, p, rpc_arg);
			continue;
		}
		if (r[0] >> 32) {
			gerr(g, "yielding call returned a0 = 0x%llx (upper half not zero)",
			     (unsigned long long)r[0]);
			ret = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
		} else {
			ret = (uint32_t)r[0];
		}
		break;
	}
	guest_call_ctx_free(g, &c);
	call_end(g);
	if (ret != OPTEE_SMC_RETURN_OK)
		atomic_fetch_add(&g->st.comm_errors, 1);
	memcpy(regs, r, sizeof(r));
	return ret;
}

/* ---- messages ----------------------------------------------------------- */

static size_t rpc_room(const struct guest *g)
{
	return g->info.rpc_param_count ? OPTEE_MSG_GET_ARG_SIZE(g->info.rpc_param_count) : 0;
}

/* A private page, PA in a1:a2 (CALL_WITH_RPC_ARG when RPC_ARG was negotiated). */
uint32_t guest_call_msg_private(struct guest *g, struct optee_msg_arg *arg)
{
	size_t msz = OPTEE_MSG_GET_ARG_SIZE(arg->num_params);
	if (arg->num_params > OPTEE_MSG_MAX_NUM_PARAMS || msz + rpc_room(g) > PAGE) {
		gerr(g, "message with %u params does not fit in a page", arg->num_params);
		return OPTEE_SMC_RETURN_ENOMEM;
	}
	uint64_t pa;
	if (guest_pages_alloc(g, 1, &pa)) {
		gerr(g, "out of guest pages for an arg page");
		return OPTEE_SMC_RETURN_ENOMEM;
	}
	uint8_t *h = guest_gpa_ptr(g, pa, PAGE);
	memcpy(h, arg, msz);
	uint64_t regs[8] = { g->info.rpc_param_count ? OPTEE_SMC_CALL_WITH_RPC_ARG : OPTEE_SMC_CALL_WITH_ARG,
			     pa >> 32, pa & 0xFFFFFFFFu, 0, 0, 0, 0, 0 };
	uint32_t a0 = guest_call_loop(g, regs, g->info.rpc_param_count ? (struct optee_msg_arg *)(h + msz) : NULL);
	memcpy(arg, h, msz);
	if (!OPTEE_SMC_RETURN_IS_RPC(a0)) /* an abandoned call still owns its page */
		guest_pages_free(g, pa, 1);
	return a0;
}

static int slot_get(struct guest *g, struct arg_page **pg, unsigned *slot)
{
	uint32_t full = g->slots_per_page >= 32 ? UINT32_MAX : (1u << g->slots_per_page) - 1;
	pthread_mutex_lock(&g->slot_lock);
	for (struct arg_page *p = g->arg_pages; p; p = p->next) {
		if (p->used != full) {
			unsigned s = (unsigned)__builtin_ctz(~p->used);
			p->used |= 1u << s;
			pthread_mutex_unlock(&g->slot_lock);
			*pg = p;
			*slot = s;
			return 0;
		}
	}
	pthread_mutex_unlock(&g->slot_lock);

	/* A new page of slots, registered with the TEE like Linux's kernel buffers. */
	struct arg_page *np = calloc(1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	uint32_t ret = guest_shm_alloc(g, PAGE, GUEST_BUF_CONTIG, &np->shm);
	if (ret != TEE_SUCCESS) {
		free(np);
		gerr(g, "registering an arg page failed: 0x%x", ret);
		return -EIO;
	}
	np->used = 1;
	pthread_mutex_lock(&g->slot_lock);
	np->next = g->arg_pages;
	g->arg_pages = np;
	pthread_mutex_unlock(&g->slot_lock);
	*pg = np;
	*slot = 0;
	return 0;
}

static void slot_put(struct guest *g, struct arg_page *pg, unsigned slot)
{
	pthread_mutex_lock(&g->slot_lock);
	pg->used &= ~(1u << slot);
	pthread_mutex_unlock(&g->slot_lock);
}

uint32_t guest_call_msg(struct guest *g, struct optee_msg_arg *arg)
{
	size_t msz = OPTEE_MSG_GET_ARG_SIZE(arg->num_params);
	if (g->info.mode != GUEST_MODE_REGD_ARG || arg->num_params > OPTEE_MSG_MAX_NUM_PARAMS ||
	    msz + rpc_room(g) > g->info.slot_size)
		return guest_call_msg_private(g, arg);

	struct arg_page *pg;
	unsigned slot;
	if (slot_get(g, &pg, &slot))
		return OPTEE_SMC_RETURN_ENOMEM;
	size_t offs = (size_t)slot * g->info.slot_size;
	uint8_t *h = guest_gpa_ptr(g, pg->shm->buf->gpa[0] + offs, g->info.slot_size);
	memset(h, 0, g->info.slot_size);
	memcpy(h, arg, msz);
	uint64_t cookie = pg->shm->cookie;
	uint64_t regs[8] = { OPTEE_SMC_CALL_WITH_REGD_ARG, cookie >> 32, cookie & 0xFFFFFFFFu, offs, 0, 0, 0, 0 };
	uint32_t a0 = guest_call_loop(g, regs, (struct optee_msg_arg *)(h + msz));
	memcpy(arg, h, msz);
	if (!OPTEE_SMC_RETURN_IS_RPC(a0)) /* an abandoned call still owns its slot */
		slot_put(g, pg, slot);
	return a0;
}

int guest_msg_new(uint32_t cmd, uint32_t num_params, struct optee_msg_arg **out)
{
	struct optee_msg_arg *a = calloc(1, OPTEE_MSG_GET_ARG_SIZE(num_params));
	if (!a)
		return -ENOMEM;
	a->cmd = cmd;
	a->num_params = num_params;
	*out = a;
	return 0;
}

/* What the kernel reports: transport errors become COMMUNICATION/COMMS. */
uint32_t guest_msg_result(struct guest *g, uint32_t a0, const struct optee_msg_arg *a, uint32_t *origin)
{
	if (a0 != OPTEE_SMC_RETURN_OK) {
		gerr(g, "cmd %u: yielding call ended with a0 = 0x%x", a->cmd, a0);
		if (origin)
			*origin = TEE_ORIGIN_COMMS;
		return TEE_ERROR_COMMUNICATION;
	}
	if (origin)
		*origin = a->ret_origin;
	return a->ret;
}
