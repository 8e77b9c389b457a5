/* SPDX-License-Identifier: MIT */
/* Internals of the modelled guest (guest.h), shared by the files of model/. */
#ifndef VTEE_MODEL_GUEST_INT_H
#define VTEE_MODEL_GUEST_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "guest.h"

#define PAGE GUEST_PAGE_SIZE
#define NOTIF_VALUES 256u /* notification values the guest can wait on */


struct region {
	uint64_t gpa, size;
	uint8_t *hva;
	size_t first;  /* global page index of the first page */
	size_t npages;
};

/* A buffer handed to the TEE by RPC ALLOC or RPC_CMD_SHM_ALLOC, keyed by cookie. */
struct rpc_buf {
	uint64_t cookie, gpa;
	size_t npages;
	struct rpc_buf *next;
};

/* One registered page of arg slots (RPC_ARG mode). */
struct arg_page {
	struct guest_shm *shm;
	uint32_t used; /* slot bitmap */
	struct arg_page *next;
};

/* Per call-loop state: page lists answering SHM_ALLOC live until the next one or the end. */
struct call_ctx {
	uint64_t list_gpa;
	size_t list_pages;
};

struct guest {
	struct vtee_vm *vm;
	bool owns_vm;
	struct guest_config cfg;

	int memfd;
	uint8_t *map;
	size_t map_size;
	struct region rgn[2];
	unsigned nrgn;

	pthread_mutex_t mem_lock;
	uint64_t *bitmap;
	size_t total_pages, free_pages;

	_Atomic uint64_t next_cookie;

	struct guest_probe_info info;

	/* call queue */
	pthread_mutex_t cq_lock;
	pthread_cond_t cq_cond;
	uint32_t inflight, max_inflight;
	uint64_t completions;

	/* arg slots */
	pthread_mutex_t slot_lock;
	struct arg_page *arg_pages;
	uint32_t slots_per_page;

	/* RPC buffers */
	pthread_mutex_t rpc_lock;
	struct rpc_buf *rpc_bufs;

	/* notifications */
	pthread_mutex_t notif_lock;
	pthread_cond_t notif_cond;
	uint8_t notif_posted[NOTIF_VALUES];

	struct {
		_Atomic uint64_t smc, calls, foreign_intr, ethread_limit, ethread_limit_alone;
		_Atomic uint64_t rpc_alloc, rpc_free, rpc_cmd, rpc_unknown, comm_errors;
	} st;

	pthread_mutex_t err_lock;
	char err[512];
};

/* The last error, for guest_error(); also on stderr (guest_say) unless cfg.quiet. */
void gerr(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The model's one way to stderr: a line, in one write. */
void guest_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An absolute CLOCK_MONOTONIC deadline for pthread_cond_timedwait(). */
static inline struct timespec deadline_after_ms(uint64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000u);
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static inline uint64_t reg_pair(uint64_t hi, uint64_t lo)
{
	return ((hi & 0xFFFFFFFFu) << 32) | (lo & 0xFFFFFFFFu);
}

/* guest.c: a fast call (fid, a1), its answer in r. */
void guest_fast_call(struct guest *g, uint32_t fid, uint64_t a1, uint64_t r[8]);

/* memory.c: a page list (in fresh guest pages) for n pages, the first used from in_off. */
int guest_pagelist_from_pages(struct guest *g, const uint64_t *pages, size_t n, uint32_t in_off,
			      uint64_t *buf_ptr, uint64_t *list_gpa, size_t *list_pages);

/* call.c: a message in a private page (CALL_WITH_ARG / CALL_WITH_RPC_ARG); the final a0. */
uint32_t guest_call_msg_private(struct guest *g, struct optee_msg_arg *arg);
/* A zeroed message (free() it). 0 or -ENOMEM. */
int guest_msg_new(uint32_t cmd, uint32_t num_params, struct optee_msg_arg **out);
/* What the kernel reports: transport errors become COMMUNICATION/COMMS. */
uint32_t guest_msg_result(struct guest *g, uint32_t a0, const struct optee_msg_arg *a, uint32_t *origin);

/* rpc.c */
/* r = the RPC answer; p = the next SMC's parameters (a4/a5 persist like Linux's param block). */
void guest_handle_rpc(struct guest *g, struct call_ctx *c, const uint64_t r[8], uint64_t p[8],
		      struct optee_msg_arg *rpc_arg);
/* The page list the last RPC SHM_ALLOC of this call left, if any. */
void guest_call_ctx_free(struct guest *g, struct call_ctx *c);
/* Find (and with take, unlink) the RPC buffer with this cookie: 0, or -ENOENT. */
int guest_rpc_buf_find(struct guest *g, uint64_t cookie, bool take, struct rpc_buf *out);

#endif
