// SPDX-License-Identifier: MIT
/*
 * Model of a Linux arm64 guest driving OP-TEE through the SMC ABI. See guest.h.
 * Written from the ABI description in docs (optee-abi.md 2, 3, 6), not from
 * the kernel sources.
 */
#include "guest.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE GUEST_PAGE_SIZE

/* How long the model waits where Linux would wait forever. */
#define ETHREAD_WAIT_MS     60000u /* for another call to complete after ETHREAD_LIMIT */
#define ETHREAD_ALONE_MS    2000u  /* ETHREAD_LIMIT with nothing else in flight */
#define SHM_CACHE_MAX_OK    4096u  /* DISABLE_SHM_CACHE answers with a cookie */
#define SHM_CACHE_MAX_OTHER 16u    /* answers Linux would wait on (EBUSY, unknown, ...) */
#define RPC_ALLOC_MAX       (1u << 20)
#define RPC_SUSPEND_MAX_MS  10000u
#define NOTIF_VALUES        256u
#define NOTIF_DEFAULT_MS    30000u

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

/* ------------------------------------------------------------------------ */

static void gerr(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gerr(struct guest *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&g->err_lock);
	memcpy(g->err, buf, sizeof(buf));
	pthread_mutex_unlock(&g->err_lock);
	if (!g->cfg.quiet)
		fprintf(stderr, "guest(vm %u): %s\n", g->vm ? vtee_vm_id(g->vm) : 0u, buf);
}

const char *guest_error(struct guest *g)
{
	return g->err;
}

struct vtee_vm *guest_vm(const struct guest *g)
{
	return g->vm;
}

struct vtee_vm *guest_release_vm(struct guest *g)
{
	g->owns_vm = false;
	return g->vm;
}

uint64_t guest_new_cookie(struct guest *g)
{
	return atomic_fetch_add(&g->next_cookie, 0x140);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct timespec deadline_after_ms(uint64_t ms)
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

static void cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

static inline uint64_t reg_pair(uint64_t hi, uint64_t lo)
{
	return ((hi & 0xFFFFFFFFu) << 32) | (lo & 0xFFFFFFFFu);
}

/* ---- creation ----------------------------------------------------------- */

int guest_create(struct vtee_vm *vm, const struct guest_config *cfg, struct guest **out)
{
	struct guest *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (cfg)
		g->cfg = *cfg;
	g->vm = vm;
	g->memfd = -1;
	uint64_t s0 = g->cfg.ram_size ? g->cfg.ram_size : GUEST_DEFAULT_RAM;
	uint64_t s1 = g->cfg.ram2_size;
	if ((s0 | s1) % PAGE || s0 > GUEST_RAM1_GPA - GUEST_RAM0_GPA) {
		free(g);
		return -EINVAL;
	}
	g->cfg.ram_size = s0;
	pthread_mutex_init(&g->mem_lock, NULL);
	pthread_mutex_init(&g->cq_lock, NULL);
	pthread_mutex_init(&g->slot_lock, NULL);
	pthread_mutex_init(&g->rpc_lock, NULL);
	pthread_mutex_init(&g->notif_lock, NULL);
	pthread_mutex_init(&g->err_lock, NULL);
	cond_init_mono(&g->cq_cond);
	cond_init_mono(&g->notif_cond);
	atomic_init(&g->next_cookie, 0xFFFF000012340000ull);

	int err = 0;
	g->map_size = s0 + s1;
	g->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (g->memfd < 0) {
		err = -errno;
		goto fail;
	}
	if (ftruncate(g->memfd, (off_t)g->map_size) < 0) {
		err = -errno;
		goto fail;
	}
	g->map = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		err = -errno;
		goto fail;
	}
	g->rgn[0] = (struct region){ GUEST_RAM0_GPA, s0, g->map, 0, s0 / PAGE };
	g->nrgn = 1;
	if (s1) {
		g->rgn[1] = (struct region){ GUEST_RAM1_GPA, s1, g->map + s0, s0 / PAGE, s1 / PAGE };
		g->nrgn = 2;
	}
	g->total_pages = g->free_pages = g->map_size / PAGE;
	g->bitmap = calloc((g->total_pages + 63) / 64, sizeof(uint64_t));
	if (!g->bitmap) {
		err = -ENOMEM;
		goto fail;
	}
	if (vm && !g->cfg.no_add_ram) {
		for (unsigned i = 0; i < g->nrgn; i++) {
			err = vtee_vm_add_ram(vm, g->rgn[i].gpa, g->rgn[i].size, g->rgn[i].hva, g->memfd,
					      (uint64_t)(g->rgn[i].hva - g->map));
			if (err) {
				gerr(g, "vtee_vm_add_ram(region %u) = %d", i, err);
				goto fail;
			}
		}
	}
	*out = g;
	return 0;
fail:
	g->vm = NULL;
	guest_destroy(g);
	return err;
}

int guest_create_vm(struct vtee_tee *tee, const struct vtee_vm_config *vcfg,
		    const struct guest_config *cfg, struct guest **out)
{
	struct vtee_vm *vm;
	int err = vtee_vm_create(tee, vcfg, &vm);
	if (err)
		return err;
	err = guest_create(vm, cfg, out);
	if (err) {
		vtee_vm_destroy(vm);
		return err;
	}
	(*out)->owns_vm = true;
	return 0;
}

void guest_destroy(struct guest *g)
{
	if (!g)
		return;
	if (g->owns_vm && g->vm)
		vtee_vm_destroy(g->vm);
	g->vm = NULL;
	while (g->arg_pages) {
		struct arg_page *p = g->arg_pages;
		g->arg_pages = p->next;
		guest_buf_free(g, p->shm->buf);
		free(p->shm);
		free(p);
	}
	while (g->rpc_bufs) {
		struct rpc_buf *b = g->rpc_bufs;
		g->rpc_bufs = b->next;
		free(b);
	}
	if (g->map)
		munmap(g->map, g->map_size);
	if (g->memfd >= 0)
		close(g->memfd);
	free(g->bitmap);
	pthread_mutex_destroy(&g->mem_lock);
	pthread_mutex_destroy(&g->cq_lock);
	pthread_mutex_destroy(&g->slot_lock);
	pthread_mutex_destroy(&g->rpc_lock);
	pthread_mutex_destroy(&g->notif_lock);
	pthread_mutex_destroy(&g->err_lock);
	pthread_cond_destroy(&g->cq_cond);
	pthread_cond_destroy(&g->notif_cond);
	free(g);
}

/* ---- SMC ---------------------------------------------------------------- */

void guest_smc(struct guest *g, uint64_t regs[8])
{
	atomic_fetch_add(&g->st.smc, 1);
	if (g->cfg.smc_fn)
		g->cfg.smc_fn(g->cfg.smc_ctx, regs);
	else
		vtee_vm_smc(g->vm, regs);
}

static void fast_call(struct guest *g, uint32_t fid, uint64_t a1, uint64_t r[8])
{
	memset(r, 0, 8 * sizeof(uint64_t));
	r[0] = fid;
	r[1] = a1;
	guest_smc(g, r);
}

/* ---- RAM and pages ------------------------------------------------------ */

int guest_ram_fd(const struct guest *g)
{
	return g->memfd;
}

void *guest_gpa_ptr(struct guest *g, uint64_t gpa, size_t len)
{
	for (unsigned i = 0; i < g->nrgn; i++) {
		const struct region *r = &g->rgn[i];
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t guest_ptr_gpa(struct guest *g, const void *p)
{
	const uint8_t *b = p;
	for (unsigned i = 0; i < g->nrgn; i++) {
		const struct region *r = &g->rgn[i];
		if (b >= r->hva && b < r->hva + r->size)
			return r->gpa + (uint64_t)(b - r->hva);
	}
	return UINT64_MAX;
}

static inline bool bit_get(const struct guest *g, size_t i)
{
	return g->bitmap[i / 64] >> (i % 64) & 1u;
}
static inline void bit_set(struct guest *g, size_t i)
{
	g->bitmap[i / 64] |= 1ull << (i % 64);
}
static inline void bit_clr(struct guest *g, size_t i)
{
	g->bitmap[i / 64] &= ~(1ull << (i % 64));
}

static uint64_t idx_gpa(const struct guest *g, size_t idx)
{
	for (unsigned i = 0; i < g->nrgn; i++)
		if (idx < g->rgn[i].first + g->rgn[i].npages)
			return g->rgn[i].gpa + (uint64_t)(idx - g->rgn[i].first) * PAGE;
	return UINT64_MAX;
}

static bool gpa_idx(const struct guest *g, uint64_t gpa, size_t *idx)
{
	if (gpa % PAGE)
		return false;
	for (unsigned i = 0; i < g->nrgn; i++) {
		const struct region *r = &g->rgn[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			*idx = r->first + (size_t)((gpa - r->gpa) / PAGE);
			return true;
		}
	}
	return false;
}

static void zero_pages(struct guest *g, uint64_t gpa, size_t n)
{
	memset(guest_gpa_ptr(g, gpa, n * PAGE), 0, n * PAGE);
}

int guest_pages_alloc(struct guest *g, size_t n, uint64_t *gpa)
{
	if (!n)
		return -EINVAL;
	pthread_mutex_lock(&g->mem_lock);
	for (unsigned r = 0; r < g->nrgn; r++) {
		const struct region *rg = &g->rgn[r];
		size_t run = 0;
		for (size_t i = rg->first; i < rg->first + rg->npages; i++) {
			run = bit_get(g, i) ? 0 : run + 1;
			if (run == n) {
				size_t start = i + 1 - n;
				for (size_t k = start; k <= i; k++)
					bit_set(g, k);
				g->free_pages -= n;
				pthread_mutex_unlock(&g->mem_lock);
				*gpa = idx_gpa(g, start);
				zero_pages(g, *gpa, n);
				return 0;
			}
		}
	}
	pthread_mutex_unlock(&g->mem_lock);
	return -ENOMEM;
}

int guest_pages_alloc_scattered(struct guest *g, size_t n, uint64_t *gpas, bool span_regions)
{
	if (!n)
		return -EINVAL;
	if (span_regions && g->nrgn < 2)
		return -EINVAL;
	size_t *idx = malloc(n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	pthread_mutex_lock(&g->mem_lock);
	size_t cur[2] = { g->rgn[0].first, g->nrgn > 1 ? g->rgn[1].first : 0 };
	unsigned r = 0;
	size_t got = 0;
	while (got < n) {
		if (span_regions)
			r = got % 2;
		const struct region *rg = &g->rgn[r];
		size_t end = rg->first + rg->npages, i = cur[r];
		while (i < end && bit_get(g, i))
			i++;
		if (i >= end) {
			if (span_regions || ++r >= g->nrgn)
				break;
			continue;
		}
		idx[got++] = i;
		bit_set(g, i);
		cur[r] = i + 2; /* leave a hole: never physically adjacent to the previous page */
	}
	if (got < n) {
		for (size_t k = 0; k < got; k++)
			bit_clr(g, idx[k]);
		pthread_mutex_unlock(&g->mem_lock);
		free(idx);
		return -ENOMEM;
	}
	g->free_pages -= n;
	pthread_mutex_unlock(&g->mem_lock);
	/* Swap neighbours so that the list is not sorted either. */
	for (size_t k = 0; k + 1 < n; k += 2) {
		size_t t = idx[k];
		idx[k] = idx[k + 1];
		idx[k + 1] = t;
	}
	for (size_t k = 0; k < n; k++) {
		gpas[k] = idx_gpa(g, idx[k]);
		zero_pages(g, gpas[k], 1);
	}
	free(idx);
	return 0;
}

static void free_one_locked(struct guest *g, uint64_t gpa)
{
	size_t i;
	if (!gpa_idx(g, gpa, &i) || !bit_get(g, i)) {
		fprintf(stderr, "guest: freeing page 0x%llx that is not allocated\n", (unsigned long long)gpa);
		abort();
	}
	bit_clr(g, i);
	g->free_pages++;
}

void guest_pages_free(struct guest *g, uint64_t gpa, size_t n)
{
	pthread_mutex_lock(&g->mem_lock);
	for (size_t k = 0; k < n; k++)
		free_one_locked(g, gpa + k * PAGE);
	pthread_mutex_unlock(&g->mem_lock);
}

void guest_pages_free_list(struct guest *g, const uint64_t *gpas, size_t n)
{
	pthread_mutex_lock(&g->mem_lock);
	for (size_t k = 0; k < n; k++)
		free_one_locked(g, gpas[k]);
	pthread_mutex_unlock(&g->mem_lock);
}

size_t guest_pages_free_count(struct guest *g)
{
	pthread_mutex_lock(&g->mem_lock);
	size_t n = g->free_pages;
	pthread_mutex_unlock(&g->mem_lock);
	return n;
}

/* ---- buffers ------------------------------------------------------------ */

struct guest_buf *guest_buf_alloc(struct guest *g, size_t size, uint32_t offset,
				  enum guest_buf_layout layout)
{
	if (offset >= PAGE)
		return NULL;
	struct guest_buf *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->size = size;
	b->offset = offset;
	b->npages = (offset + size + PAGE - 1) / PAGE;
	if (!b->npages)
		b->npages = 1;
	b->gpa = calloc(b->npages, sizeof(uint64_t));
	if (!b->gpa) {
		free(b);
		return NULL;
	}
	int err;
	if (layout == GUEST_BUF_CONTIG || b->npages == 1) {
		uint64_t first;
		err = guest_pages_alloc(g, b->npages, &first);
		for (size_t i = 0; !err && i < b->npages; i++)
			b->gpa[i] = first + i * PAGE;
		b->contig = true;
	} else {
		err = guest_pages_alloc_scattered(g, b->npages, b->gpa, layout == GUEST_BUF_SCATTER_REGIONS);
	}
	if (err) {
		gerr(g, "out of guest pages for a %zu-page buffer", b->npages);
		free(b->gpa);
		free(b);
		return NULL;
	}
	return b;
}

void guest_buf_free(struct guest *g, struct guest_buf *b)
{
	if (!b)
		return;
	if (b->contig)
		guest_pages_free(g, b->gpa[0], b->npages);
	else
		guest_pages_free_list(g, b->gpa, b->npages);
	free(b->gpa);
	free(b);
}

uint64_t guest_buf_gpa(const struct guest_buf *b, size_t off)
{
	size_t pos = b->offset + off;
	if (pos / PAGE >= b->npages)
		return b->gpa[b->npages - 1] + PAGE; /* one past the end */
	return b->gpa[pos / PAGE] + pos % PAGE;
}

typedef void (*chunk_fn)(uint8_t *host, size_t len, void *ctx);

static int buf_walk(struct guest *g, const struct guest_buf *b, size_t off, size_t len, chunk_fn fn,
		    void *ctx)
{
	if (off > b->size || len > b->size - off)
		return -EFAULT;
	size_t pos = b->offset + off;
	while (len) {
		size_t in = pos % PAGE, n = PAGE - in;
		if (n > len)
			n = len;
		uint8_t *h = guest_gpa_ptr(g, b->gpa[pos / PAGE] + in, n);
		if (!h)
			return -EFAULT;
		fn(h, n, ctx);
		pos += n;
		len -= n;
	}
	return 0;
}

static void chunk_write(uint8_t *h, size_t n, void *ctx)
{
	const uint8_t **src = ctx;
	memcpy(h, *src, n);
	*src += n;
}
static void chunk_read(uint8_t *h, size_t n, void *ctx)
{
	uint8_t **dst = ctx;
	memcpy(*dst, h, n);
	*dst += n;
}
static void chunk_fill(uint8_t *h, size_t n, void *ctx)
{
	memset(h, *(const uint8_t *)ctx, n);
}

int guest_buf_write(struct guest *g, const struct guest_buf *b, size_t off, const void *src, size_t len)
{
	const uint8_t *p = src;
	return buf_walk(g, b, off, len, chunk_write, &p);
}

int guest_buf_read(struct guest *g, const struct guest_buf *b, size_t off, void *dst, size_t len)
{
	uint8_t *p = dst;
	return buf_walk(g, b, off, len, chunk_read, &p);
}

int guest_buf_fill(struct guest *g, const struct guest_buf *b, size_t off, uint8_t byte, size_t len)
{
	return buf_walk(g, b, off, len, chunk_fill, &byte);
}

static int pagelist_from_pages(struct guest *g, const uint64_t *pages, size_t n, uint32_t in_off,
			       uint64_t *buf_ptr, uint64_t *list_gpa, size_t *list_pages)
{
	size_t lp = (n + GUEST_PAGELIST_ENTRIES - 1) / GUEST_PAGELIST_ENTRIES;
	uint64_t base;
	int err = guest_pages_alloc(g, lp, &base);
	if (err) {
		gerr(g, "out of guest pages for a %zu-page page list", lp);
		return err;
	}
	uint8_t *h = guest_gpa_ptr(g, base, lp * PAGE);
	for (size_t i = 0; i < n; i++) {
		size_t pg = i / GUEST_PAGELIST_ENTRIES, k = i % GUEST_PAGELIST_ENTRIES;
		memcpy(h + pg * PAGE + k * 8, &pages[i], 8);
		if (k == GUEST_PAGELIST_ENTRIES - 1 && i + 1 < n) {
			uint64_t next = base + (pg + 1) * PAGE;
			memcpy(h + pg * PAGE + GUEST_PAGELIST_ENTRIES * 8, &next, 8);
		}
	}
	*buf_ptr = base | in_off;
	*list_gpa = base;
	*list_pages = lp;
	return 0;
}

int guest_pagelist_build(struct guest *g, const struct guest_buf *b, size_t off, size_t len,
			 uint64_t *buf_ptr, uint64_t *list_gpa, size_t *list_pages)
{
	if (off > b->size || len > b->size - off)
		return -EFAULT;
	size_t pos = b->offset + off;
	size_t first = pos / PAGE;
	uint32_t in = (uint32_t)(pos % PAGE);
	size_t n = (in + len + PAGE - 1) / PAGE;
	if (!n)
		n = 1;
	if (first + n > b->npages)
		return -EFAULT;
	return pagelist_from_pages(g, b->gpa + first, n, in, buf_ptr, list_gpa, list_pages);
}

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

/* After ETHREAD_LIMIT: wait until some other call of this guest completed since gen. */
static bool wait_completion(struct guest *g, uint64_t gen)
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
				return false;
			}
			struct timespec ts = deadline_after_ms(1);
			pthread_cond_timedwait(&g->cq_cond, &g->cq_lock, &ts);
			continue;
		}
		if (el >= ETHREAD_WAIT_MS) {
			pthread_mutex_unlock(&g->cq_lock);
			gerr(g, "no call completed for %u ms after ETHREAD_LIMIT", ETHREAD_WAIT_MS);
			return false;
		}
		struct timespec ts = deadline_after_ms(100);
		pthread_cond_timedwait(&g->cq_cond, &g->cq_lock, &ts);
	}
	pthread_mutex_unlock(&g->cq_lock);
	return true;
}

/* ---- RPC ---------------------------------------------------------------- */

static void rpc_buf_add(struct guest *g, uint64_t cookie, uint64_t gpa, size_t npages)
{
	struct rpc_buf *b = malloc(sizeof(*b));
	if (!b)
		abort();
	*b = (struct rpc_buf){ cookie, gpa, npages, NULL };
	pthread_mutex_lock(&g->rpc_lock);
	b->next = g->rpc_bufs;
	g->rpc_bufs = b;
	pthread_mutex_unlock(&g->rpc_lock);
}

/* Find (and with take, unlink) the RPC buffer with this cookie. */
static bool rpc_buf_find(struct guest *g, uint64_t cookie, bool take, struct rpc_buf *out)
{
	bool found = false;
	pthread_mutex_lock(&g->rpc_lock);
	for (struct rpc_buf **pp = &g->rpc_bufs; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie) {
			struct rpc_buf *b = *pp;
			*out = *b;
			if (take) {
				*pp = b->next;
				free(b);
			}
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&g->rpc_lock);
	return found;
}

static void call_ctx_free_list(struct guest *g, struct call_ctx *c)
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
	uint32_t ret;

	switch (hdr.cmd) {
	case RPC_CMD_GET_TIME: {
		if (hdr.num_params != 1 || t0 != OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT) {
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		p[0].u.value.a = (uint64_t)ts.tv_sec;
		p[0].u.value.b = (uint64_t)ts.tv_nsec;
		ret = TEE_SUCCESS;
		break;
	}
	case RPC_CMD_SUSPEND:
		if (hdr.num_params != 1 || t0 != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		usleep((useconds_t)((p[0].u.value.a > RPC_SUSPEND_MAX_MS ? RPC_SUSPEND_MAX_MS : p[0].u.value.a) *
				    1000u));
		ret = TEE_SUCCESS;
		break;
	case RPC_CMD_NOTIFICATION:
		if (hdr.num_params != 1 || t0 != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		ret = rpc_notification(g, &p[0]);
		break;
	case RPC_CMD_SHM_ALLOC: {
		call_ctx_free_list(g, c);
		if (hdr.num_params != 1 || t0 != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		uint64_t type = p[0].u.value.a, sz = p[0].u.value.b;
		if (type == RPC_SHM_TYPE_APPL || sz == 0 || sz > RPC_ALLOC_MAX ||
		    (type != RPC_SHM_TYPE_KERNEL && type != RPC_SHM_TYPE_GLOBAL)) {
			/* APPL would go to tee-supplicant, which this guest does not run. */
			ret = TEE_ERROR_OUT_OF_MEMORY;
			break;
		}
		size_t np = (size_t)((sz + PAGE - 1) / PAGE);
		uint64_t base;
		if (guest_pages_alloc(g, np, &base)) {
			ret = TEE_ERROR_OUT_OF_MEMORY;
			break;
		}
		uint64_t *pages = malloc(np * sizeof(uint64_t));
		if (!pages)
			abort();
		for (size_t i = 0; i < np; i++)
			pages[i] = base + i * PAGE;
		uint64_t bp;
		int err = pagelist_from_pages(g, pages, np, 0, &bp, &c->list_gpa, &c->list_pages);
		free(pages);
		if (err) {
			guest_pages_free(g, base, np);
			ret = TEE_ERROR_OUT_OF_MEMORY;
			break;
		}
		uint64_t cookie = guest_new_cookie(g);
		rpc_buf_add(g, cookie, base, np);
		p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
		p[0].u.tmem.buf_ptr = bp;
		p[0].u.tmem.size = sz;
		p[0].u.tmem.shm_ref = cookie;
		ret = TEE_SUCCESS;
		break;
	}
	case RPC_CMD_SHM_FREE: {
		struct rpc_buf b;
		if (hdr.num_params != 1 || t0 != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		if (!rpc_buf_find(g, p[0].u.value.b, true, &b)) {
			atomic_fetch_add(&g->st.rpc_unknown, 1);
			gerr(g, "RPC SHM_FREE of unknown cookie 0x%llx (Linux would free a wild pointer)",
			     (unsigned long long)p[0].u.value.b);
			ret = TEE_ERROR_BAD_PARAMETERS;
			break;
		}
		guest_pages_free(g, b.gpa, b.npages);
		ret = TEE_SUCCESS;
		break;
	}
	default:
		/* Linux forwards these to tee-supplicant; there is none in this guest. */
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "RPC_CMD %u not served by this guest (no tee-supplicant)", hdr.cmd);
		ret = TEE_ERROR_COMMUNICATION;
		break;
	}
	hdr.ret = ret;
	memcpy(h, &hdr, sizeof(hdr));
	memcpy(h + sizeof(hdr), p, hdr.num_params * sizeof(p[0]));
}

/* r = the RPC answer; p = the next SMC's parameters (a4/a5 persist like Linux's param block). */
static void handle_rpc(struct guest *g, struct call_ctx *c, const uint64_t r[8], uint64_t p[8],
		       struct optee_msg_arg *rpc_arg)
{
	if (g->cfg.rpc_hook)
		g->cfg.rpc_hook(g->cfg.rpc_hook_ctx, g, r);
	p[1] = r[1];
	p[2] = r[2];
	p[3] = r[3];
	uint32_t func = (uint32_t)r[0] & 0xFFFFu;
	switch (func) {
	case OPTEE_SMC_RPC_FUNC_ALLOC: {
		atomic_fetch_add(&g->st.rpc_alloc, 1);
		uint64_t sz = r[1] & 0xFFFFFFFFu, base;
		size_t np = (size_t)((sz + PAGE - 1) / PAGE);
		if (sz && sz <= RPC_ALLOC_MAX && !guest_pages_alloc(g, np, &base)) {
			uint64_t cookie = guest_new_cookie(g);
			rpc_buf_add(g, cookie, base, np);
			p[1] = base >> 32;
			p[2] = base & 0xFFFFFFFFu;
			p[4] = cookie >> 32;
			p[5] = cookie & 0xFFFFFFFFu;
		} else {
			p[1] = p[2] = p[4] = p[5] = 0;
		}
		break;
	}
	case OPTEE_SMC_RPC_FUNC_FREE: {
		atomic_fetch_add(&g->st.rpc_free, 1);
		struct rpc_buf b;
		uint64_t cookie = reg_pair(r[1], r[2]);
		if (rpc_buf_find(g, cookie, true, &b)) {
			guest_pages_free(g, b.gpa, b.npages);
		} else {
			atomic_fetch_add(&g->st.rpc_unknown, 1);
			gerr(g, "RPC FREE of unknown cookie 0x%llx", (unsigned long long)cookie);
		}
		break;
	}
	case OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		atomic_fetch_add(&g->st.foreign_intr, 1);
		break;
	case OPTEE_SMC_RPC_FUNC_CMD:
		if (rpc_arg) {
			rpc_cmd(g, c, (uint8_t *)rpc_arg, g->info.rpc_param_count);
		} else {
			struct rpc_buf b;
			uint64_t cookie = reg_pair(r[1], r[2]);
			if (!rpc_buf_find(g, cookie, false, &b)) {
				atomic_fetch_add(&g->st.rpc_unknown, 1);
				gerr(g, "RPC_CMD names unknown cookie 0x%llx", (unsigned long long)cookie);
				break;
			}
			uint8_t *h = guest_gpa_ptr(g, b.gpa, b.npages * PAGE);
			size_t room = b.npages * PAGE;
			uint32_t maxp = (uint32_t)((room - sizeof(struct optee_msg_arg)) / sizeof(struct optee_msg_param));
			if (maxp > OPTEE_MSG_MAX_NUM_PARAMS)
				maxp = OPTEE_MSG_MAX_NUM_PARAMS;
			rpc_cmd(g, c, h, maxp);
		}
		break;
	default:
		atomic_fetch_add(&g->st.rpc_unknown, 1);
		gerr(g, "unknown RPC func 0x%x", func);
		break;
	}
	p[0] = OPTEE_SMC_RETURN_FROM_RPC;
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
			if (!wait_completion(g, gen)) {
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
			handle_rpc(g, &c, r, p, rpc_arg);
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
	call_ctx_free_list(g, &c);
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
static uint32_t call_msg_private(struct guest *g, struct optee_msg_arg *arg)
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
		return call_msg_private(g, arg);

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

static struct optee_msg_arg *msg_new(uint32_t cmd, uint32_t num_params)
{
	struct optee_msg_arg *a = calloc(1, OPTEE_MSG_GET_ARG_SIZE(num_params));
	if (!a)
		abort();
	a->cmd = cmd;
	a->num_params = num_params;
	return a;
}

/* What the kernel reports: transport errors become COMMUNICATION/COMMS. */
static uint32_t msg_result(struct guest *g, uint32_t a0, const struct optee_msg_arg *a, uint32_t *origin)
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

/* ---- shared memory ------------------------------------------------------ */

uint32_t guest_shm_register(struct guest *g, struct guest_buf *buf, size_t offs, size_t size,
			    struct guest_shm **out)
{
	uint64_t bp, lg;
	size_t lp;
	if (guest_pagelist_build(g, buf, offs, size, &bp, &lg, &lp))
		return TEE_ERROR_OUT_OF_MEMORY;
	struct guest_shm *shm = calloc(1, sizeof(*shm));
	if (!shm)
		abort();
	*shm = (struct guest_shm){ guest_new_cookie(g), buf, offs, size, false };
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_REGISTER_SHM, 1);
	a->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	a->params[0].u.tmem.buf_ptr = bp;
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = shm->cookie;
	uint32_t a0 = call_msg_private(g, a);
	uint32_t ret = msg_result(g, a0, a, NULL);
	free(a);
	guest_pages_free(g, lg, lp); /* the TEE has copied the list */
	if (ret != TEE_SUCCESS) {
		free(shm);
		return ret;
	}
	*out = shm;
	return TEE_SUCCESS;
}

uint32_t guest_shm_alloc(struct guest *g, size_t size, enum guest_buf_layout layout, struct guest_shm **out)
{
	struct guest_buf *b = guest_buf_alloc(g, size, 0, layout);
	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	uint32_t ret = guest_shm_register(g, b, 0, size, out);
	if (ret != TEE_SUCCESS) {
		guest_buf_free(g, b);
		return ret;
	}
	(*out)->owns_buf = true;
	return ret;
}

uint32_t guest_shm_unregister(struct guest *g, struct guest_shm *shm)
{
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_UNREGISTER_SHM, 1);
	a->params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
	a->params[0].u.rmem.shm_ref = shm->cookie;
	uint32_t a0 = call_msg_private(g, a);
	uint32_t ret = msg_result(g, a0, a, NULL);
	free(a);
	guest_shm_forget(g, shm);
	return ret;
}

void guest_shm_forget(struct guest *g, struct guest_shm *shm)
{
	if (!shm)
		return;
	if (shm->owns_buf)
		guest_buf_free(g, shm->buf);
	free(shm);
}

/* ---- client operations -------------------------------------------------- */

struct tmp_lists {
	uint64_t gpa[VTEE_MAX_PARAMS * 4];
	size_t pages[VTEE_MAX_PARAMS * 4];
	unsigned n;
};

static void tmp_lists_free(struct guest *g, struct tmp_lists *t)
{
	for (unsigned i = 0; i < t->n; i++)
		guest_pages_free(g, t->gpa[i], t->pages[i]);
	t->n = 0;
}

static int to_msg(struct guest *g, const struct guest_param *p, struct optee_msg_param *mp, struct tmp_lists *t)
{
	memset(mp, 0, sizeof(*mp));
	if (p->type == VTEE_PARAM_NONE)
		return 0;
	if (vtee_param_is_value(p->type)) {
		mp->attr = p->type; /* VALUE_INPUT/OUTPUT/INOUT = 1/2/3 */
		mp->u.value.a = p->u.value.a;
		mp->u.value.b = p->u.value.b;
		mp->u.value.c = p->u.value.c;
		return 0;
	}
	if (!vtee_param_is_memref(p->type)) {
		gerr(g, "bad param type %u", p->type);
		return -EINVAL;
	}
	uint32_t dir = p->type - VTEE_PARAM_MEMREF_IN; /* 0 in, 1 out, 2 inout */
	const struct guest_buf *b = p->u.memref.buf;
	uint64_t offs = p->u.memref.offs, size = p->u.memref.size;
	switch (p->mem) {
	case GUEST_MEM_NULL:
		mp->attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		mp->u.tmem.size = size;
		return 0;
	case GUEST_MEM_RMEM:
		if (!p->u.memref.shm)
			return -EINVAL;
		mp->attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + dir;
		mp->u.rmem.offs = offs;
		mp->u.rmem.size = size;
		mp->u.rmem.shm_ref = p->u.memref.shm->cookie;
		return 0;
	case GUEST_MEM_TMEM: {
		if (!b || offs > b->size || size > b->size - offs)
			return -EINVAL;
		uint64_t pos = b->offset + offs;
		size_t first = (size_t)(pos / PAGE), last = (size_t)((pos + (size ? size - 1 : 0)) / PAGE);
		for (size_t i = first; i < last; i++)
			if (b->gpa[i + 1] != b->gpa[i] + PAGE) {
				gerr(g, "TMEM over a non-contiguous range");
				return -EINVAL;
			}
		mp->attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		mp->u.tmem.buf_ptr = guest_buf_gpa(b, (size_t)offs);
		mp->u.tmem.size = size;
		mp->u.tmem.shm_ref = guest_new_cookie(g);
		return 0;
	}
	case GUEST_MEM_TMEM_NONCONTIG: {
		if (!b || t->n >= sizeof(t->gpa) / sizeof(t->gpa[0]))
			return -EINVAL;
		uint64_t bp;
		int err = guest_pagelist_build(g, b, (size_t)offs, (size_t)size, &bp, &t->gpa[t->n], &t->pages[t->n]);
		if (err)
			return err;
		t->n++;
		mp->attr = (OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir) | OPTEE_MSG_ATTR_NONCONTIG;
		mp->u.tmem.buf_ptr = bp;
		mp->u.tmem.size = size;
		mp->u.tmem.shm_ref = guest_new_cookie(g);
		return 0;
	}
	default:
		gerr(g, "bad memref kind %u", p->mem);
		return -EINVAL;
	}
}

static void from_msg(struct guest_param *p, const struct optee_msg_param *mp)
{
	if (vtee_param_is_value(p->type) && vtee_param_is_output(p->type)) {
		p->u.value.a = mp->u.value.a;
		p->u.value.b = mp->u.value.b;
		p->u.value.c = mp->u.value.c;
	} else if (vtee_param_is_memref(p->type) && vtee_param_is_output(p->type)) {
		p->u.memref.size = mp->u.tmem.size; /* same offset for tmem and rmem */
	}
}

static uint32_t do_client_call(struct guest *g, struct optee_msg_arg *a, unsigned first,
			       struct guest_param *params, unsigned n, uint32_t *origin)
{
	struct tmp_lists t = { .n = 0 };
	for (unsigned i = 0; i < n; i++) {
		if (to_msg(g, &params[i], &a->params[first + i], &t)) {
			tmp_lists_free(g, &t);
			if (origin)
				*origin = TEE_ORIGIN_API;
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	uint32_t a0 = guest_call_msg(g, a);
	tmp_lists_free(g, &t);
	uint32_t ret = msg_result(g, a0, a, origin);
	if (a0 == OPTEE_SMC_RETURN_OK)
		for (unsigned i = 0; i < n; i++)
			from_msg(&params[i], &a->params[first + i]);
	return ret;
}

uint32_t guest_open_session(struct guest *g, const uint8_t ta_uuid[16], uint32_t login,
			    const uint8_t client_uuid[16], struct guest_param *params, unsigned n,
			    uint32_t cancel_id, uint32_t *session, uint32_t *origin)
{
	if (n > VTEE_MAX_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_OPEN_SESSION, n + 2);
	a->cancel_id = cancel_id;
	a->params[0].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	memcpy(a->params[0].u.octets, ta_uuid, 16);
	a->params[1].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	if (client_uuid)
		memcpy(a->params[1].u.octets, client_uuid, 16);
	a->params[1].u.value.c = login;
	uint32_t ret = do_client_call(g, a, 2, params, n, origin);
	if (ret == TEE_SUCCESS && session)
		*session = a->session;
	free(a);
	return ret;
}

uint32_t guest_invoke(struct guest *g, uint32_t session, uint32_t func, struct guest_param *params,
		      unsigned n, uint32_t cancel_id, uint32_t *origin)
{
	if (n > VTEE_MAX_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_INVOKE_COMMAND, n);
	a->func = func;
	a->session = session;
	a->cancel_id = cancel_id;
	uint32_t ret = do_client_call(g, a, 0, params, n, origin);
	free(a);
	return ret;
}

uint32_t guest_close_session(struct guest *g, uint32_t session)
{
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_CLOSE_SESSION, 0);
	a->session = session;
	uint32_t ret = msg_result(g, guest_call_msg(g, a), a, NULL);
	free(a);
	return ret;
}

uint32_t guest_cancel(struct guest *g, uint32_t session, uint32_t cancel_id)
{
	struct optee_msg_arg *a = msg_new(OPTEE_MSG_CMD_CANCEL, 0);
	a->session = session;
	a->cancel_id = cancel_id;
	uint32_t ret = msg_result(g, guest_call_msg(g, a), a, NULL);
	free(a);
	return ret;
}

/* ---- device enumeration ------------------------------------------------- */

static int get_devices(struct guest *g, uint32_t sess, uint32_t cmd, struct guest_shm *shm, uint64_t *size)
{
	struct guest_param p[4] = { { 0 } };
	if (shm)
		p[0] = guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 0, *size);
	else
		p[0] = guest_param_null(VTEE_PARAM_MEMREF_OUT);
	uint32_t ret = guest_invoke(g, sess, cmd, p, 4, 0, NULL);
	if (ret != TEE_SUCCESS && ret != TEE_ERROR_SHORT_BUFFER) {
		gerr(g, "PTA_CMD_GET_DEVICES invoke function err: %x", ret);
		return -EINVAL;
	}
	*size = p[0].u.memref.size;
	return 0;
}

int guest_enumerate_devices(struct guest *g, uint32_t pta_cmd, struct vtee_uuid **uuids, size_t *count)
{
	static const uint8_t pta[16] = GUEST_PTA_DEVICE_UUID;
	uint32_t sess;
	*uuids = NULL;
	*count = 0;
	if (guest_open_session(g, pta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS)
		return 0; /* "device enumeration pseudo TA not found" */
	uint64_t size = 0;
	int rc = get_devices(g, sess, pta_cmd, NULL, &size);
	if (rc || !size)
		goto out_sess;
	if (size > (1u << 20)) {
		gerr(g, "device list of %llu bytes", (unsigned long long)size);
		rc = -EINVAL;
		goto out_sess;
	}
	/* tee_shm_alloc_kernel_buf(): whole pages from the page pool, registered. */
	struct guest_shm *shm;
	size_t alloc = (size_t)((size + PAGE - 1) / PAGE * PAGE);
	if (guest_shm_alloc(g, alloc, GUEST_BUF_CONTIG, &shm) != TEE_SUCCESS) {
		rc = -ENOMEM;
		goto out_sess;
	}
	uint64_t want = size;
	rc = get_devices(g, sess, pta_cmd, shm, &size);
	if (!rc && size > want) {
		gerr(g, "GET_DEVICES grew from %llu to %llu bytes", (unsigned long long)want,
		     (unsigned long long)size);
		rc = -EINVAL;
	}
	if (!rc) {
		size_t n = (size_t)(size / sizeof(struct vtee_uuid));
		if (n) {
			*uuids = calloc(n, sizeof(struct vtee_uuid));
			if (!*uuids)
				abort();
			guest_buf_read(g, shm->buf, 0, *uuids, n * sizeof(struct vtee_uuid));
		}
		*count = n;
	}
	if (guest_shm_unregister(g, shm) != TEE_SUCCESS && !rc) {
		gerr(g, "UNREGISTER_SHM of the device list failed");
		rc = -EIO;
	}
out_sess:
	if (guest_close_session(g, sess) != TEE_SUCCESS && !rc) {
		gerr(g, "CLOSE_SESSION of the device PTA failed");
		rc = -EIO;
	}
	if (rc) {
		free(*uuids);
		*uuids = NULL;
		*count = 0;
	}
	return rc;
}

/* ---- probe -------------------------------------------------------------- */

static void drop_cached_cookie(struct guest *g, uint64_t cookie)
{
	struct rpc_buf b;
	if (rpc_buf_find(g, cookie, true, &b))
		guest_pages_free(g, b.gpa, b.npages);
}

/* Linux's DISABLE_SHM_CACHE loop (probe and remove), bounded where Linux would wait forever. */
static int shm_cache_disable(struct guest *g)
{
	unsigned ok = 0, other = 0;
	for (;;) {
		uint64_t r[8];
		fast_call(g, OPTEE_SMC_DISABLE_SHM_CACHE, 0, r);
		if (r[0] == OPTEE_SMC_RETURN_ENOTAVAIL)
			return 0;
		if (r[0] == OPTEE_SMC_RETURN_OK) {
			g->info.shm_cache_disable_ok++;
			drop_cached_cookie(g, reg_pair(r[1], r[2]));
			if (++ok > SHM_CACHE_MAX_OK) {
				gerr(g, "DISABLE_SHM_CACHE returned OK %u times", ok);
				return -ETIMEDOUT;
			}
			continue;
		}
		/* Linux waits for a call to complete and retries: a hang if nothing is running. */
		if (++other > SHM_CACHE_MAX_OTHER) {
			gerr(g, "DISABLE_SHM_CACHE keeps answering 0x%llx (Linux would hang)",
			     (unsigned long long)r[0]);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
}

int guest_probe(struct guest *g)
{
	struct guest_probe_info *in = &g->info;
	uint64_t r[8];
	memset(in, 0, sizeof(*in));

	fast_call(g, OPTEE_SMC_CALLS_UID, 0, r);
	if (!(r[0] == OPTEE_MSG_UID_0 && r[1] == OPTEE_MSG_UID_1 && r[2] == OPTEE_MSG_UID_2 &&
	      r[3] == OPTEE_MSG_UID_3)) {
		gerr(g, "api uid mismatch: %llx %llx %llx %llx", (unsigned long long)r[0],
		     (unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3]);
		return -EINVAL;
	}

	fast_call(g, OPTEE_SMC_GET_OS_REVISION, 0, r);
	in->os_major = (uint32_t)r[0];
	in->os_minor = (uint32_t)r[1];
	in->os_build = (uint32_t)r[2];

	fast_call(g, OPTEE_SMC_CALLS_REVISION, 0, r);
	in->api_major = (uint32_t)r[0];
	in->api_minor = (uint32_t)r[1];
	if (!(r[0] == OPTEE_MSG_REVISION_MAJOR && (int)r[1] >= (int)OPTEE_MSG_REVISION_MINOR)) {
		gerr(g, "api revision mismatch: %llx.%llx", (unsigned long long)r[0], (unsigned long long)r[1]);
		return -EINVAL;
	}

	fast_call(g, OPTEE_SMC_GET_THREAD_COUNT, 0, r);
	in->thread_count = r[0] == OPTEE_SMC_RETURN_OK ? (uint32_t)r[1] : 0;

	fast_call(g, OPTEE_SMC_EXCHANGE_CAPABILITIES, g->cfg.uniprocessor ? OPTEE_SMC_NSEC_CAP_UNIPROCESSOR : 0, r);
	if (r[0] != OPTEE_SMC_RETURN_OK) {
		gerr(g, "capabilities mismatch: a0 = 0x%llx", (unsigned long long)r[0]);
		return -EINVAL;
	}
	in->sec_caps = (uint32_t)r[1];
	in->max_notif_value = in->sec_caps & OPTEE_SMC_SEC_CAP_ASYNC_NOTIF ? (uint32_t)r[2] : 255u;
	in->rpc_param_count = in->sec_caps & OPTEE_SMC_SEC_CAP_RPC_ARG ? (uint32_t)(r[3] & 0xFFu) : 0;

	if (!(in->sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM)) {
		/* Linux would fall back to a reserved carve-out; this model has none. */
		gerr(g, "no DYNAMIC_SHM in capabilities 0x%x", in->sec_caps);
		in->rpc_param_count = 0;
		return -EINVAL;
	}
	if (in->sec_caps & OPTEE_SMC_SEC_CAP_ASYNC_NOTIF) {
		/* The guest DT has no interrupt for notifications: Linux's probe fails. */
		gerr(g, "ASYNC_NOTIF offered but the guest has no notification interrupt");
		in->rpc_param_count = 0;
		return -EINVAL;
	}

	int err = shm_cache_disable(g);
	if (err) {
		in->rpc_param_count = 0;
		return err;
	}
	if (in->rpc_param_count == 0) {
		unsigned tries = 0;
		for (;;) {
			fast_call(g, OPTEE_SMC_ENABLE_SHM_CACHE, 0, r);
			if (r[0] == OPTEE_SMC_RETURN_OK)
				break;
			if (++tries > SHM_CACHE_MAX_OTHER) {
				gerr(g, "ENABLE_SHM_CACHE keeps answering 0x%llx (Linux would hang)",
				     (unsigned long long)r[0]);
				return -ETIMEDOUT;
			}
			usleep(1000);
		}
		in->shm_cache_enabled = true;
	}

	if (in->rpc_param_count) {
		in->mode = GUEST_MODE_REGD_ARG;
		in->slot_size = (uint32_t)(OPTEE_MSG_GET_ARG_SIZE(6) + OPTEE_MSG_GET_ARG_SIZE(in->rpc_param_count));
		if (in->slot_size > PAGE) {
			gerr(g, "rpc_param_count %u makes an arg slot bigger than a page", in->rpc_param_count);
			in->mode = GUEST_MODE_NONE;
			return -EINVAL;
		}
		g->slots_per_page = PAGE / in->slot_size;
		if (g->slots_per_page > 32)
			g->slots_per_page = 32;
	} else {
		in->mode = GUEST_MODE_CALL_WITH_ARG;
	}
	return 0;
}

const struct guest_probe_info *guest_probe_info(const struct guest *g)
{
	return &g->info;
}

void guest_shutdown(struct guest *g)
{
	pthread_mutex_lock(&g->slot_lock);
	struct arg_page *list = g->arg_pages;
	g->arg_pages = NULL;
	pthread_mutex_unlock(&g->slot_lock);
	while (list) {
		struct arg_page *p = list;
		list = p->next;
		if (p->used)
			gerr(g, "shutdown with arg slots in use");
		uint32_t ret = guest_shm_unregister(g, p->shm);
		if (ret != TEE_SUCCESS)
			gerr(g, "UNREGISTER_SHM of an arg page: 0x%x", ret);
		free(p);
	}
	if (g->info.mode != GUEST_MODE_NONE && g->info.rpc_param_count == 0)
		shm_cache_disable(g);
}

void guest_get_stats(struct guest *g, struct guest_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->smc = atomic_load(&g->st.smc);
	st->calls = atomic_load(&g->st.calls);
	st->foreign_intr = atomic_load(&g->st.foreign_intr);
	st->ethread_limit = atomic_load(&g->st.ethread_limit);
	st->ethread_limit_alone = atomic_load(&g->st.ethread_limit_alone);
	st->rpc_alloc = atomic_load(&g->st.rpc_alloc);
	st->rpc_free = atomic_load(&g->st.rpc_free);
	st->rpc_cmd = atomic_load(&g->st.rpc_cmd);
	st->rpc_unknown = atomic_load(&g->st.rpc_unknown);
	st->comm_errors = atomic_load(&g->st.comm_errors);
	pthread_mutex_lock(&g->cq_lock);
	st->max_inflight = g->max_inflight;
	st->inflight = g->inflight;
	pthread_mutex_unlock(&g->cq_lock);
}
