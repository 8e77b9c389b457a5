/* SPDX-License-Identifier: MIT */
/*
 * Contiguous host views of scattered guest pages (shmview.c), for the teedev
 * back-end: a guest buffer is a list of 4 KiB guest pages, anywhere in guest
 * RAM; the host kernel's TEE_IOC_SHM_REGISTER wants one virtual range. The
 * view reserves an address window and maps the same pages of the guest-RAM
 * file side by side in it (MAP_SHARED, so the TEE and the guest see the same
 * bytes: nothing is copied), one mmap() per run of adjacent file pages.
 *
 * Host pages may be larger than the guest's (arm64 hosts with 16 or 64 KiB
 * pages): mmap() then works in host pages, so a run may only start or end in
 * the middle of a host page where the view does too. The builder checks this
 * and fails with -EXDEV where the pages cannot be laid out, so the caller
 * falls back to copying. With 4 KiB host pages every page list can be viewed.
 */
#ifndef VTEE_TEEDEV_SHMVIEW_H
#define VTEE_TEEDEV_SHMVIEW_H

#include <stddef.h>
#include <stdint.h>

#define SHMVIEW_PAGE 4096u /* the guest's page: vtee_shm pages are always 4 KiB */

/* One guest page as the file that backs it: fd < 0 when there is none. */
struct shmview_page {
	int fd;
	uint64_t off; /* 4 KiB aligned */
};

struct shmview {
	void *base;      /* the window: host-page aligned, span bytes; NULL when empty */
	size_t span;
	void *data;      /* the buffer's first byte (page 0 + first_off) */
	size_t npages;   /* guest pages in the view */
	size_t nmaps;    /* mmap() calls it took (runs of adjacent file pages) */
};

/* Gives guest page i of the buffer (0 <= i < n). */
typedef void (*shmview_get_fn)(void *ctx, size_t i, struct shmview_page *out);

/*
 * Build a view of n guest pages, the buffer starting first_off bytes into
 * page 0. granule: the host page size (0: sysconf(_SC_PAGESIZE)); a power of
 * two >= 4096. max_maps bounds the mmap() calls (each is a kernel VMA, and a
 * process has vm.max_map_count of them); 0 means no bound.
 * 0, or on failure, with nothing left mapped and *v zeroed:
 *   -EINVAL    bad arguments (n == 0, first_off >= 4096, granule, unaligned offset)
 *   -EBADF     a page has no file (fd < 0)
 *   -EXDEV     the pages cannot be laid out in host pages (granule > 4 KiB)
 *   -E2BIG     more than max_maps runs
 *   -ENOMEM, -EACCES, ... from mmap()
 */
int shmview_build(size_t n, uint32_t first_off, size_t granule, size_t max_maps, shmview_get_fn get,
		  void *ctx, struct shmview *v);

/* The same for an array of pages. */
int shmview_build_array(const struct shmview_page *pages, size_t n, uint32_t first_off, size_t granule,
			size_t max_maps, struct shmview *v);

/* Unmap the whole window; safe on a zeroed view. */
void shmview_free(struct shmview *v);

/* Windows reserved now, in the whole process (tests: nothing leaks on any path). */
long shmview_windows(void);

#endif
