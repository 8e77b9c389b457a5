// SPDX-License-Identifier: MIT
/*
 * The modelled driver's side of the TEE's RPCs: buffer allocation and free
 * (by registers and by RPC_CMD), foreign interrupts, and the RPC commands the
 * Linux kernel serves itself (time, suspend, notifications, shm).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_int.h"

#define RPC_ALLOC_MAX       (1u << 20)
#define RPC_SUSPEND_MAX_MS  10000u
#define NOTIF_DEFAULT_MS    30000u /* the longest a notification wait may take */

/* RPC commands (optee-abi.md 4) served by the Linux kernel itself. */
#define RPC_CMD_GET_TIME     3u
#define RPC_CMD_NOTIFICATION 4u
#define RPC_CMD_SUSPEND      5u
#define RPC_CMD_SHM_ALLOC    6u
#define RPC_CMD_SHM_FREE     7u
#define RPC_SHM_TYPE_APPL    0u
#define RPC_SHM_TYPE_KERNEL  1u
#define RPC_SHM_TYPE_GLOBAL  2u
#define RPC_NOTIF_WAIT       0u
#define RPC_NOTIF_SEND       1u
#define TEE_ERROR_TIMEOUT_   0xFFFF3001u

/* ---- RPC ---------------------------------------------------------------- */

/* Remember the buffer handed to the TEE under cookie. 0 or -ENOMEM. */
static int rpc_buf_add(struct guest *g, uint64_t cookie, uint64_t gpa, size_t npages)
{
	struct rpc_buf *b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = (struct rpc_buf){ cookie, gpa, npages, NULL };
	pthread_mutex_lock(&g->rpc_lock);
	b->next = g->rpc_bufs;
	g->rpc_bufs = b;
	pthread_mutex_unlock(&g->rpc_lock);
	return 0;
}

int guest_rpc_buf_find(struct guest *g, uint64_t cookie, bool take, struct rpc_buf *out)
{
	int r = -ENOENT;
	pthread_mutex_lock(&g->rpc_lock);
	for (struct rpc_buf **pp = &g->rpc_bufs; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie) {
			struct rpc_buf *b = *pp;
			*out = *b;
			if (take) {
				*pp = b->next;
				free(b);
			}
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&g->rpc_lock);
	return r;
}

void guest_call_ctx_free(struct guest *g, struct call_ctx *c)
{
	if (c->list_pages)
		guest_pages_free(g, c->list_gpa, c->list_pages);
	c->list_pages = 0;
}

static uint32_t rpc_notification(struct guest *g, const struct optee_msg_param *p)
{
	uint64_t v = p->u.value.b;
	if (v >= NOTIF_VALUES)
		return TEE_ERROR_BAD_PARAMETERS;
	pthread_mutex_lock(&g->notif_lock);
	if (p->u.value.a == RPC_NOTIF_SEND) {
		g->notif_posted[v] = 1;
		pthread_cond_broadcast(&g->notif_cond);
		pthread_mutex_unlock(&g->notif_lock);
		return TEE_SUCCESS;
	}
	if (p->u.value.a != RPC_NOTIF_WAIT) {
		pthread_mutex_unlock(&g->notif_lock);
		return TEE_ERROR_BAD_PARAMETERS;
	}
	uint64_t ms = p->u.value.c ? p->u.value.c : NOTIF_DEFAULT_MS;
	if (ms > NOTIF_DEFAULT_MS)
		ms = NOTIF_DEFAULT_MS;
	struct timespec ts = deadline_after_ms(ms);
	while (!g->notif_posted[v])
		if (pthread_cond_timedwait(&g->notif_cond, &g->notif_lock, &ts) == ETIMEDOUT)
			break;
	uint32_t ret = g->notif_posted[v] ? TEE_SUCCESS : TEE_ERROR_TIMEOUT_;
	g->notif_posted[v] = 0;
	pthread_mutex_unlock(&g->notif_lock);
	return ret;
}

/* RPC_CMD_SHM_ALLOC: kernel or global memory, described by a page list valid until the next one. */
static uint32_t rpc_shm_alloc(struct guest *g, struct call_ctx *c, struct optee_msg_param *p)
{
	uint64_t type = p->u.value.a, sz = p->u.value.b;
	if (type == RPC_SHM_TYPE_APPL || sz == 0 || sz > RPC_ALLOC_MAX ||
	    (type != RPC_SHM_TYPE_KERNEL && type != RPC_SHM_TYPE_GLOBAL))
		return TEE_ERROR_OUT_OF_MEMORY; /* APPL would go to tee-supplicant, which this guest does not run */
	size_t np = (size_t)((sz + PAGE - 1) / PAGE);
	uint64_t base;
	if (guest_pages_alloc(g, np, &base))
		return TEE_ERROR_OUT_OF_MEMORY;
	uint64_t *pages = malloc(np * sizeof(uint64_t));
	uint64_t bp = 0, cookie = 0;
	int err = pages ? 0 : -ENOMEM;
	for (size_t i = 0; !err && i < np; i++)
		pages[i] = base + i * PAGE;
	if (!err)
		err = guest_pagelist_from_pages(g, pages, np, 0, &bp, &c->list_gpa, &c->list_pages);
	free(pages);
	if (!err) {
		cookie = guest_new_cookie(g);
		if ((err = rpc_buf_add(g, cookie, base, np)))
			guest_call_ctx_free(g, c); /* the page list too */
	}
	if (err) {
		guest_pages_free(g, base, np);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	p->attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	p->u.tmem.buf_ptr = bp;
	p->u.tmem.size = sz;
	p->u.tmem.shm_ref = cookie;
	return TEE_SUCCESS;
}

static uint32_t rpc_shm_free(struct guest *g, const struct optee_msg_param *p)
{
	struct rpc_buf b;
	if (guest_rpc_buf_find(g, p->u.value.b, true, &b)) {
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "RPC SHM_FREE of unknown cookie 0x%llx (Linux would free a wild pointer)",
		     (unsigned long long)p->u.value.b);
		return TEE_ERROR_BAD_PARAMETERS;
	}
	guest_pages_free(g, b.gpa, b.npages);
	return TEE_SUCCESS;
}

static uint32_t rpc_get_time(struct optee_msg_param *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	p->u.value.a = (uint64_t)ts.tv_sec;
	p->u.value.b = (uint64_t)ts.tv_nsec;
	return TEE_SUCCESS;
}

static uint32_t rpc_suspend(const struct optee_msg_param *p)
{
	uint64_t ms = p->u.value.a > RPC_SUSPEND_MAX_MS ? RPC_SUSPEND_MAX_MS : p->u.value.a;
	usleep((useconds_t)(ms * 1000u));
	return TEE_SUCCESS;
}

/* One RPC command with its one parameter p (of type t0, not yet checked). */
static uint32_t rpc_cmd_run(struct guest *g, struct call_ctx *c, uint32_t cmd, uint32_t num_params, uint32_t t0,
			    struct optee_msg_param *p)
{
	if (cmd == RPC_CMD_SHM_ALLOC)
		guest_call_ctx_free(g, c);
	bool known = cmd == RPC_CMD_GET_TIME || cmd == RPC_CMD_SUSPEND || cmd == RPC_CMD_NOTIFICATION ||
		     cmd == RPC_CMD_SHM_ALLOC || cmd == RPC_CMD_SHM_FREE;
	if (!known) {
		/* Linux forwards these to tee-supplicant; there is none in this guest. */
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "RPC_CMD %u not served by this guest (no tee-supplicant)", cmd);
		return TEE_ERROR_COMMUNICATION;
	}
	uint32_t want = cmd == RPC_CMD_GET_TIME ? OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT : OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	if (num_params != 1 || t0 != want)
		return TEE_ERROR_BAD_PARAMETERS;
	switch (cmd) {
	case RPC_CMD_GET_TIME:
		return rpc_get_time(p);
	case RPC_CMD_SUSPEND:
		return rpc_suspend(p);
	case RPC_CMD_NOTIFICATION:
		return rpc_notification(g, p);
	case RPC_CMD_SHM_ALLOC:
		return rpc_shm_alloc(g, c, p);
	default:
		return rpc_shm_free(g, p);
	}
}

/* Serve one RPC_CMD whose struct lives at host pointer h with room for max_params. */
static void rpc_cmd(struct guest *g, struct call_ctx *c, uint8_t *h, uint32_t max_params)
{
	atomic_fetch_add(&g->st.rpc_cmd, 1);
	struct optee_msg_arg hdr;
	memcpy(&hdr, h, sizeof(hdr));
	if (hdr.num_params > max_params) {
		gerr(g, "RPC_CMD %u with %u params (room for %u)", hdr.cmd, hdr.num_params, max_params);
		hdr.ret = TEE_ERROR_BAD_PARAMETERS;
		memcpy(h, &hdr, sizeof(hdr));
		return;
	}
	struct optee_msg_param p[OPTEE_MSG_MAX_NUM_PARAMS];
	memcpy(p, h + sizeof(hdr), hdr.num_params * sizeof(p[0]));
	uint32_t t0 = hdr.num_params ? (uint32_t)(p[0].attr & OPTEE_MSG_ATTR_TYPE_MASK) : 0;
	hdr.ret = rpc_cmd_run(g, c, hdr.cmd, hdr.num_params, t0, &p[0]);
	memcpy(h, &hdr, sizeof(hdr));
	memcpy(h + sizeof(hdr), p, hdr.num_params * sizeof(p[0]));
}

/* An RPC_CMD in the RPC buffer with this cookie (no RPC arg negotiated). */
static void rpc_cmd_in_buf(struct guest *g, struct call_ctx *c, uint64_t cookie)
{
	struct rpc_buf b;
	if (guest_rpc_buf_find(g, cookie, false, &b)) {
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "RPC_CMD names unknown cookie 0x%llx", (unsigned long long)cookie);
		return;
	}
	uint8_t *h = guest_gpa_ptr(g, b.gpa, b.npages * PAGE);
	size_t room = b.npages * PAGE;
	uint32_t maxp = (uint32_t)((room - sizeof(struct optee_msg_arg)) / sizeof(struct optee_msg_param));
	if (maxp > OPTEE_MSG_MAX_NUM_PARAMS)
		maxp = OPTEE_MSG_MAX_NUM_PARAMS;
	rpc_cmd(g, c, h, maxp);
}

/* RPC ALLOC: contiguous pages for the TEE (PA in a1:a2, cookie in a4:a5), or zeros when there are none. */
static void rpc_alloc(struct guest *g, const uint64_t r[8], uint64_t p[8])
{
	atomic_fetch_add(&g->st.rpc_alloc, 1);
	uint64_t sz = r[1] & 0xFFFFFFFFu, base, cookie;
	size_t np = (size_t)((sz + PAGE - 1) / PAGE);
	if (!sz || sz > RPC_ALLOC_MAX || guest_pages_alloc(g, np, &base)) {
		p[1] = p[2] = p[4] = p[5] = 0;
		return;
	}
	cookie = guest_new_cookie(g);
	if (rpc_buf_add(g, cookie, base, np)) {
		guest_pages_free(g, base, np);
		p[1] = p[2] = p[4] = p[5] = 0;
		return;
	}
	p[1] = base >> 32;
	p[2] = base & 0xFFFFFFFFu;
	p[4] = cookie >> 32;
	p[5] = cookie & 0xFFFFFFFFu;
}

/* RPC FREE of the buffer with the cookie in a1:a2. */
static void rpc_free(struct guest *g, const uint64_t r[8])
{
	atomic_fetch_add(&g->st.rpc_free, 1);
	struct rpc_buf b;
	uint64_t cookie = reg_pair(r[1], r[2]);
	if (guest_rpc_buf_find(g, cookie, true, &b) == 0) {
		guest_pages_free(g, b.gpa, b.npages);
		return;
	}
	atomic_fetch_add(&g->st.rpc_unknown, 1);
	gerr(g, "RPC FREE of unknown cookie 0x%llx", (unsigned long long)cookie);
}

/* r = the RPC answer; p = the next SMC's parameters (a4/a5 persist like Linux's param block). */
void guest_handle_rpc(struct guest *g, struct call_ctx *c, const uint64_t r[8], uint64_t p[8],
		      struct optee_msg_arg *rpc_arg)
{
	if (g->cfg.rpc_hook)
		g->cfg.rpc_hook(g->cfg.rpc_hook_ctx, g, r);
	p[1] = r[1];
	p[2] = r[2];
	p[3] = r[3];
	uint32_t func = (uint32_t)r[0] & 0xFFFFu;
	switch (func) {
	case OPTEE_SMC_RPC_FUNC_ALLOC:
		rpc_alloc(g, r, p);
		break;
	case OPTEE_SMC_RPC_FUNC_FREE:
		rpc_free(g, r);
		break;
	case OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		atomic_fetch_add(&g->st.foreign_intr, 1);
		break;
	case OPTEE_SMC_RPC_FUNC_CMD:
		if (rpc_arg)
			rpc_cmd(g, c, (uint8_t *)rpc_arg, g->info.rpc_param_count);
		else
			rpc_cmd_in_buf(g, c, reg_pair(r[1], r[2]));
		break;
	default:
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "unknown RPC func 0x%x", func);
		break;
	}
	p[0] = OPTEE_SMC_RETURN_FROM_RPC;
}
