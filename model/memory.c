// SPDX-License-Identifier: MIT
/*
 * The modelled guest's memory: its RAM regions, a page allocator over them
 * (contiguous or deliberately scattered pages), buffers on those pages, and
 * the OP-TEE page lists that describe them to the TEE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_int.h"

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

/* The page index of gpa: 0, or -EFAULT if it is no page of the guest's RAM. */
static int gpa_idx(const struct guest *g, uint64_t gpa, size_t *idx)
{
	if (gpa % PAGE)
		return -EFAULT;
	for (unsigned i = 0; i < g->nrgn; i++) {
		const struct region *r = &g->rgn[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			*idx = r->first + (size_t)((gpa - r->gpa) / PAGE);
			return 0;
		}
	}
	return -EFAULT;
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
	if (gpa_idx(g, gpa, &i) || !bit_get(g, i)) {
		guest_say("guest: freeing page 0x%llx that is not allocated", (unsigned long long)gpa);
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

int guest_buf_alloc(struct guest *g, size_t size, uint32_t offset, enum guest_buf_layout layout,
		    struct guest_buf **out)
{
	if (offset >= PAGE)
		return -EINVAL;
	struct guest_buf *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->size = size;
	b->offset = offset;
	b->npages = (offset + size + PAGE - 1) / PAGE;
	if (!b->npages)
		b->npages = 1;
	b->gpa = calloc(b->npages, sizeof(uint64_t));
	if (!b->gpa) {
		free(b);
		return -ENOMEM;
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
		return err;
	}
	*out = b;
	return 0;
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

int guest_pagelist_from_pages(struct guest *g, const uint64_t *pages, size_t n, uint32_t in_off,
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
	return guest_pagelist_from_pages(g, b->gpa + first, n, in, buf_ptr, list_gpa, list_pages);
}
