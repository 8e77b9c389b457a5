// SPDX-License-Identifier: MIT
/* Contiguous host views of scattered guest pages (shmview.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmview.h"

static _Atomic long windows;

long shmview_windows(void)
{
	return atomic_load(&windows);
}

static size_t host_page(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : SHMVIEW_PAGE;
}

/* A PROT_NONE window of span bytes aligned to the granule G (mmap() only promises the real page size). */
static uint8_t *window_reserve(size_t span, size_t G)
{
	const size_t gmask = G - 1, hp = host_page(), extra = G > hp ? G - hp : 0;
	uint8_t *raw = mmap(NULL, span + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *base = (uint8_t *)(((uintptr_t)raw + gmask) & ~(uintptr_t)gmask);
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + span + extra > base + span)
		munmap(base + span, (size_t)(raw + span + extra - (base + span)));
	atomic_fetch_add(&windows, 1);
	return base;
}

/* What mapping the runs of one view needs. */
struct layout {
	size_t n, G, gmask, shift, max_maps;
	shmview_get_fn get;
	void *ctx;
	uint8_t *base;
};

/* The run from page i (cur): pages i..end-1 adjacent in one file; *nxt the next run's first page, if *more. */
static size_t run_end(const struct layout *l, size_t i, const struct shmview_page *cur, struct shmview_page *nxt,
		      bool *more)
{
	size_t j = i + 1;
	*more = false;
	for (; j < l->n; j++) {
		l->get(l->ctx, j, nxt);
		if (nxt->fd != cur->fd || nxt->off < cur->off || nxt->off - cur->off != (uint64_t)(j - i) * SHMVIEW_PAGE) {
			*more = true;
			break;
		}
	}
	return j;
}

/* Each run of adjacent file pages mapped into the window in place; *nmaps counts them. 0 or -errno. */
static int map_runs(const struct layout *l, struct shmview_page cur, size_t *nmaps)
{
	const size_t gmask = l->gmask;
	struct shmview_page nxt;
	for (size_t i = 0; i < l->n;) {
		if (cur.fd < 0)
			return -EBADF;
		if (cur.off & (SHMVIEW_PAGE - 1))
			return -EINVAL;
		bool more;
		size_t j = run_end(l, i, &cur, &nxt, &more);
		size_t pos = l->shift + i * SHMVIEW_PAGE, end = l->shift + j * SHMVIEW_PAGE;
		size_t lead = pos & gmask;
		/*
		 * mmap() takes whole host pages at host-page-aligned file offsets:
		 * the run must sit in its host pages as it sits in the file, and
		 * it may share no host page with the next run.
		 */
		if ((cur.off & gmask) != lead || (more && (end & gmask)) || cur.off - lead > (uint64_t)INT64_MAX)
			return -EXDEV;
		if (l->max_maps && *nmaps == l->max_maps)
			return -E2BIG;
		size_t from = pos - lead, to = (end + gmask) & ~gmask;
		void *p = mmap(l->base + from, to - from, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, cur.fd,
			       (off_t)(cur.off - lead));
		if (p == MAP_FAILED)
			return errno ? -errno : -ENOMEM;
		(*nmaps)++;
		if (more)
			cur = nxt;
		i = j;
	}
	return 0;
}

int shmview_build(size_t n, uint32_t first_off, size_t granule, size_t max_maps, shmview_get_fn get,
		  void *ctx, struct shmview *v)
{
	memset(v, 0, sizeof(*v));
	if (!granule)
		granule = host_page();
	const size_t G = granule, gmask = G - 1;
	if (!n || !get || first_off >= SHMVIEW_PAGE || G < SHMVIEW_PAGE || (G & gmask) ||
	    n > (SIZE_MAX - 2 * G) / SHMVIEW_PAGE)
		return -EINVAL;

	struct shmview_page first;
	get(ctx, 0, &first);
	if (first.fd < 0)
		return -EBADF; /* the common "no file" case costs no system call */
	if (first.off & (SHMVIEW_PAGE - 1))
		return -EINVAL;

	/* page 0 sits where its file offset puts it inside a host page */
	const size_t shift = (size_t)(first.off & gmask);
	const size_t span = (shift + n * SHMVIEW_PAGE + gmask) & ~gmask;
	uint8_t *base = window_reserve(span, G);
	if (!base)
		return -errno;
	struct layout l = { n, G, gmask, shift, max_maps, get, ctx, base };
	size_t nmaps = 0;
	int err = map_runs(&l, first, &nmaps);
	if (err) {
		munmap(base, span);
		atomic_fetch_sub(&windows, 1);
		return err;
	}
	v->base = base;
	v->span = span;
	v->data = base + shift + first_off;
	v->npages = n;
	v->nmaps = nmaps;
	return 0;
}

static void get_array(void *ctx, size_t i, struct shmview_page *out)
{
	*out = ((const struct shmview_page *)ctx)[i];
}

int shmview_build_array(const struct shmview_page *pages, size_t n, uint32_t first_off, size_t granule,
			size_t max_maps, struct shmview *v)
{
	if (!pages) {
		memset(v, 0, sizeof(*v));
		return -EINVAL;
	}
	return shmview_build(n, first_off, granule, max_maps, get_array, (void *)pages, v);
}

void shmview_free(struct shmview *v)
{
	if (v && v->base) {
		munmap(v->base, v->span);
		atomic_fetch_sub(&windows, 1);
	}
	if (v)
		memset(v, 0, sizeof(*v));
}
